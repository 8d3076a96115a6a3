/*
 * serve.c - `klab serve [--bind ADDR] [--port N] [--threads N] [--quiet] [--team URL|DIR...]`:
 * the knowledge base on http://127.0.0.1:8080/ until Ctrl-C (see web/web.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "web/web.h"

int cmd_serve(int argc, char **argv, const struct kl_config *cfg)
{
	struct web_options opt = { NULL, 8080, 0, 0, NULL, 0 };
	struct kl_err err = { "" };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
			opt.bind = argv[++i];
		} else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			char *end;
			long p = strtol(argv[++i], &end, 10);
			if (*end || p < 0 || p > 65535)
				return cli_fail("--port takes a number from 0 to 65535 (0: any free "
						"port), not `%s`", argv[i]);
			opt.port = (int)p;
		} else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
			char *end;
			long n = strtol(argv[++i], &end, 10);
			if (*end || n < 1 || n > 16)
				return cli_fail("--threads takes a number from 1 to 16, not `%s`",
						argv[i]);
			opt.threads = (int)n;
		} else if (strcmp(argv[i], "--quiet") == 0) {
			opt.quiet = 1;
		} else if (strcmp(argv[i], "--team") == 0 && i + 1 < argc) {
			/* every argument up to the next option is a learner's repository */
			opt.team = argv + i + 1;
			while (i + 1 < argc && argv[i + 1][0] != '-') {
				i++;
				opt.nteam++;
			}
		} else {
			return cli_usage("serve", "unknown or incomplete option `%s`", argv[i]);
		}
	}
	if (web_serve(cfg, &opt, &err) < 0)
		return cli_fail("serve: %s", err.msg);
	return 0;
}
