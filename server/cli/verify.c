/*
 * verify.c - `klab verify LAB [VARIANT...]`: proves that a lab holds (skeleton
 * fails, reference solution passes, wrong variants caught; lab/verify.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "lab/verify.h"

int cmd_verify(int argc, char **argv, const struct kl_config *cfg)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'K' },
		{ "progress", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab_verify_opts o = { .out = stdout };
	struct kl_err err = { "" };
	int failed, infra, c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'K': o.kernel = optarg; break;
		case 'p': o.progress = stderr; break;
		case ':':
			return cli_usage("verify", "option `%s` needs a value", argv[optind - 1]);
		default:
			return cli_usage("verify", "unknown option `%s`", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage("verify", "which lab? (`klab list` shows them)");
	o.lab = argv[optind];
	o.variants = argv + optind + 1;
	o.nvariants = (size_t)(argc - optind - 1);
	if (cli_lab_exists(cfg, o.lab) != 0)
		return 2;
	if (lab_verify(cfg, &o, &failed, &infra, &err) < 0)
		return cli_fail("verify %s: %s", o.lab, err.msg);
	if (infra)
		return cli_fail("%s: %d check%s could not run on this machine (`klab doctor` says "
				"what is missing)", o.lab, infra, infra == 1 ? "" : "s");
	if (failed) {
		printf("%s does not hold: %d check%s failed\n", o.lab, failed, failed == 1 ? "" : "s");
		return 1;
	}
	printf("%s holds\n", o.lab);
	return 0;
}
