/*
 * workspace.c - the learner's lab workspaces (see workspace.h).
 */
#include "core/workspace.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fsutil.h"

char *kl_workspace_dir(const struct kl_config *cfg, const char *lab)
{
	return kl_sprintf("%s/workspace/%s", cfg->home, lab);
}

/* Copies from to to as a read-only file (replacing an older copy). */
static int S_copy_ro(const char *from, const char *to, struct kl_err *err)
{
	unlink(to);
	if (kl_copy_file(from, to, err) < 0)
		return -1;
	if (chmod(to, 0444) < 0)
		return kl_err_errno(err, "cannot make %s read-only", to);
	return 0;
}

/*
 * The lab's guest tests, read-only in tests/ beside the learner's files, with
 * the header they include: what the README's `tests/test_*.c` points to.
 */
static int S_copy_tests(const struct kl_config *cfg, const struct kl_lab *lab, const char *dir,
			struct kl_err *err)
{
	char *from = kl_path_join(lab->dir, "tests");
	char *to = kl_path_join(dir, "tests");
	char *hfrom = kl_sprintf("%s/server/guest/klab_test.h", cfg->root);
	char *hto = kl_path_join(to, "klab_test.h");
	DIR *d = opendir(from);
	struct dirent *de;
	int rc = 0;

	if (!d)
		goto out; /* a lab without guest tests: nothing to show */
	rc = kl_mkdir_p(to, 0755, err);
	while (rc == 0 && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n < 3 || (strcmp(de->d_name + n - 2, ".c") != 0 &&
						     strcmp(de->d_name + n - 2, ".h") != 0))
			continue;
		char *f = kl_path_join(from, de->d_name), *t = kl_path_join(to, de->d_name);
		rc = S_copy_ro(f, t, err);
		free(f);
		free(t);
	}
	closedir(d);
	if (rc == 0 && kl_is_file(hfrom))
		rc = S_copy_ro(hfrom, hto, err);
out:
	free(from);
	free(to);
	free(hfrom);
	free(hto);
	return rc;
}

int kl_workspace_ensure(const struct kl_config *cfg, const struct kl_lab *lab,
			struct kl_err *err)
{
	char *dir = kl_workspace_dir(cfg, lab->id);
	int rc = kl_mkdir_p(dir, 0755, err);

	if (rc == 0)
		rc = S_copy_tests(cfg, lab, dir, err);
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
	if (rc == 0)
		rc = S_copy_tests(cfg, lab, dir, err);
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
