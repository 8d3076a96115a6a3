/*
 * push.c - `klab push [--remote URL]`: refreshes progress.json in the attempts
 * repository (core/summary.h) and pushes every branch to a git remote, for a
 * mentor's `klab team`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/attempts.h"
#include "core/summary.h"

int cmd_push(int argc, char **argv, const struct kl_config *cfg)
{
	static const struct option opts[] = {
		{ "remote", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct kl_err err = { "" };
	const char *url = NULL;
	char *who, *to = NULL;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'r': url = optarg; break;
		case ':':
			return cli_usage("push", "option `%s` needs a value", argv[optind - 1]);
		default:
			return cli_usage("push", "unknown option `%s`", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage("push", "unexpected `%s`", argv[optind]);
	if (!(who = kl_summary_learner(&err)))
		return cli_fail("%s", err.msg);
	if (kl_summary_commit(cfg, who, &err) < 0 || kl_attempts_push(cfg->home, url, &to, &err) < 0) {
		free(who);
		return cli_fail("push: %s", err.msg);
	}
	printf("pushed the progress and attempts of %s to %s\n", who, to);
	free(who);
	free(to);
	return 0;
}
