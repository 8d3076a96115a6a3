/*
 * workspace.c - the learner's lab workspaces (see workspace.h).
 */
#include "core/workspace.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fsutil.h"

char *kl_workspace_dir(const struct kl_config *cfg, const char *lab)
{
	return kl_sprintf("%s/workspace/%s", cfg->home, lab);
}

int kl_workspace_ensure(const struct kl_config *cfg, const struct kl_lab *lab,
			struct kl_err *err)
{
	char *dir = kl_workspace_dir(cfg, lab->id);
	int rc = kl_mkdir_p(dir, 0755, err);

	for (size_t i = 0; rc == 0 && i < lab->nfiles; i++) {
		char *to = kl_path_join(dir, lab->files[i]);
		if (!kl_is_file(to)) {
			char *from = kl_path_join(lab->dir, lab->files[i]);
			rc = kl_copy_file(from, to, err);
			free(from);
		}
		free(to);
	}
	free(dir);
	return rc;
}

int kl_workspace_reset(const struct kl_config *cfg, const struct kl_lab *lab, char **backup,
		       struct kl_err *err)
{
	char *dir = kl_workspace_dir(cfg, lab->id);
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int rc = 0;

	*backup = NULL;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	for (size_t i = 0; rc == 0 && i < lab->nfiles; i++) {
		char *cur = kl_path_join(dir, lab->files[i]);
		if (kl_is_file(cur)) {
			if (!*backup) {
				*backup = kl_sprintf("%s/backup/%s-%s", cfg->home, lab->id, stamp);
				rc = kl_mkdir_p(*backup, 0755, err);
			}
			if (rc == 0) {
				char *to = kl_path_join(*backup, lab->files[i]);
				rc = kl_copy_file(cur, to, err);
				free(to);
			}
		}
		free(cur);
	}
	if (rc == 0)
		rc = kl_mkdir_p(dir, 0755, err);
	for (size_t i = 0; rc == 0 && i < lab->nfiles; i++) {
		char *from = kl_path_join(lab->dir, lab->files[i]);
		char *to = kl_path_join(dir, lab->files[i]);
		rc = kl_copy_file(from, to, err);
		free(from);
		free(to);
	}
	free(dir);
	return rc;
}
