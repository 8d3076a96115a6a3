/*
 * read.c - `klab read NOTE`: marks a note read (a track's note step is done).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli/cli.h"
#include "core/catalog.h"
#include "core/content.h"
#include "core/progress.h"

int cmd_read(int argc, char **argv, const struct kl_config *cfg)
{
	struct kl_progress *p = NULL;
	struct kl_err err = { "" };
	char *path;

	if (argc != 2 || argv[1][0] == '-')
		return cli_usage("read", argc < 2 ? "which note? (its topic, e.g. modules)"
						  : "one note, by its topic");
	path = kl_valid_id(argv[1]) ? kl_content_find(cfg->content, "notes/%s.md", argv[1]) : NULL;
	if (!path)
		return cli_fail("no note `%s` (no notes/%s.md in %s)", argv[1], argv[1], cfg->content);
	free(path);
	if (kl_progress_open(cfg->home, &p, &err) < 0 ||
	    kl_progress_mark_read(p, argv[1], (long long)time(NULL), &err) < 0) {
		kl_progress_close(p);
		return cli_fail("%s", err.msg);
	}
	kl_progress_close(p);
	printf("marked the note %s read (`klab next` names the next step)\n", argv[1]);
	return 0;
}
