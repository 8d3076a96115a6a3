/*
 * reset.c - `klab reset LAB`: puts the lab's skeleton back in the learner's
 * workspace, after saving the files it replaces.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/catalog.h"
#include "core/workspace.h"

int cmd_reset(int argc, char **argv, const struct kl_config *cfg)
{
	struct kl_err err = { "" };
	struct kl_lab lab;
	char *backup = NULL;

	if (argc > 1 && argv[1][0] == '-')
		return cli_usage("reset", "unknown option `%s`", argv[1]);
	if (argc != 2)
		return cli_usage("reset", argc < 2 ? "which lab? (`klab list` shows them)"
						   : "one lab at a time");
	if (cli_lab_exists(cfg, argv[1]) != 0)
		return 2;
	if (kl_lab_load(cfg->content, argv[1], &lab, &err) < 0)
		return cli_fail("%s", err.msg);
	int rc = kl_workspace_reset(cfg, &lab, &backup, &err);
	if (rc < 0) {
		rc = cli_fail("%s", err.msg);
	} else {
		char *dir = kl_workspace_dir(cfg, lab.id);
		printf("%s: skeleton restored in %s\n", lab.id, dir);
		if (backup)
			printf("your previous files are saved in %s\n", backup);
		free(dir);
	}
	free(backup);
	kl_lab_release(&lab);
	return rc;
}
