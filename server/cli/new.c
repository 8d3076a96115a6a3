/*
 * new.c - `klab new lab ID --topic T [--title T]`: writes a new lab, one that
 * already holds, into the first folder of KLAB_PATH (lab/scaffold.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/catalog.h"
#include "core/content.h"
#include "lab/scaffold.h"

int cmd_new(int argc, char **argv, const struct kl_config *cfg)
{
	static const struct option opts[] = {
		{ "topic", required_argument, NULL, 't' },
		{ "title", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab_scaffold s = { 0 };
	struct kl_lab have;
	struct kl_err err = { "" };
	char *dir = NULL, *lab_dir = NULL;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 't': s.topic = optarg; break;
		case 'T': s.title = optarg; break;
		case ':':
			return cli_usage("new", "option `%s` needs a value", argv[optind - 1]);
		default:
			return cli_usage("new", "unknown option `%s`", argv[optind - 1]);
		}
	}
	if (optind != argc - 2 || strcmp(argv[optind], "lab") != 0)
		return cli_usage("new", "what to write: `klab new lab ID --topic TOPIC`");
	s.id = argv[optind + 1];
	if (!s.topic)
		return cli_usage("new", "which topic? (--topic TOPIC, e.g. the note it goes with)");
	const char *kp = getenv("KLAB_PATH");
	if (!kp || !*kp)
		return cli_fail("KLAB_PATH is not set: a new lab goes into your own content folder "
				"(export KLAB_PATH=DIR; DIR/labs/%s is where it will be)", s.id);
	if (kl_lab_load(cfg->content, s.id, &have, &err) == 0) {
		int rc = cli_fail("there is already a lab `%s` in %s: pick another id", s.id, have.dir);
		kl_lab_release(&have);
		return rc;
	}
	dir = kl_content_first(cfg->content);
	if (lab_scaffold_write(dir, &s, &lab_dir, &err) < 0) {
		free(dir);
		return cli_fail("new lab %s: %s", s.id, err.msg);
	}
	printf("wrote %s: README.md, Kbuild, the skeleton, tests/, hints.md, solution/ and\n"
	       "wrong/no-range-check/. It holds as written: `klab verify %s` proves it.\n"
	       "Make it yours, then verify it again.\n", lab_dir, s.id);
	free(dir);
	free(lab_dir);
	return 0;
}
