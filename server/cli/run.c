/*
 * run.c - `klab run LAB`: grades the learner's workspace (or --src DIR) through
 * the lab pipeline and prints the result for a person, as JSON, or as JUnit.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/fsutil.h"
#include "lab/report.h"
#include "lab/run.h"
#include "xref/xref.h"

/*
 * One kernel frame of a fault: where the source index says its function is,
 * when it has one definition. Static functions share names (load_module is
 * kernel/module/main.c's and drivers/md/dm-target.c's): the index can't tell
 * which one ran, and a wrong place misleads more than none.
 */
static void S_frame_source(struct xref *x, struct lab_frame *fr, int *found)
{
	if (!fr->func || fr->module || fr->source)
		return;
	if (xref_function(x, fr->func, &fr->source, &fr->source_line) == 1) {
		(*found)++;
		return;
	}
	free(fr->source);
	fr->source = NULL;
	fr->source_line = 0;
}

/*
 * The fault's kernel frames (its RIP, then the reliable ones of its traces, at most
 * 12) with their place in the lab kernel's source, for the text and the JSON.
 */
static void S_fault_sources(const struct kl_config *cfg, struct lab_fault *f)
{
	struct xref *x = NULL;
	struct kl_err err;
	char *path = NULL;
	int found = 0;

	if (xref_path(cfg->cache, XREF_DEFAULT_SOURCE, &path, &err) < 0 || !kl_is_file(path) ||
	    xref_open(path, &x, &err) < 0) {
		free(path);
		return;
	}
	S_frame_source(x, &f->rip, &found);
	for (size_t i = 0; i < f->ntrace && found < 12; i++)
		if (f->trace[i].reliable)
			S_frame_source(x, &f->trace[i], &found);
	xref_close(x);
	free(path);
}

/* After a fault report: the kernel's own frames linked to the source pages. */
static void S_print_sources(const struct lab_fault *f, FILE *out)
{
	int shown = 0;

	for (size_t i = 0; i <= f->ntrace; i++) {
		const struct lab_frame *fr = i == 0 ? &f->rip : &f->trace[i - 1];
		if (!fr->source)
			continue;
		if (shown++ == 0)
			fputs("kernel frames in the lab kernel's source (`klab serve`, then the "
			      "path):\n", out);
		fprintf(out, "  %-28s %s:%d  /source/%s#L%d\n", fr->func, fr->source,
			fr->source_line, fr->source, fr->source_line);
	}
}

int cmd_run(int argc, char **argv, const struct kl_config *cfg)
{
	static const struct option opts[] = {
		{ "src", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "junit", required_argument, NULL, 'u' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keep", no_argument, NULL, 'k' },
		{ "kernel", required_argument, NULL, 'K' },
		{ "no-record", no_argument, NULL, 'n' },
		{ "no-overlap", no_argument, NULL, 'O' },
		{ "log", no_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	struct lab_run_opts o = { .record = 1 };
	struct lab_run_result r;
	struct kl_err err = { "" };
	const char *junit = NULL;
	int json = 0, log = 0, c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'l': log = 1; break;
		case 's': o.src = optarg; break;
		case 'j': json = 1; break;
		case 'u': junit = optarg; break;
		case 'k': o.keep = 1; break;
		case 'K': o.kernel = optarg; break;
		case 'n': o.record = 0; break;
		case 'O': o.no_overlap = 1; break;
		case 't': {
			char *end;
			o.timeout = strtol(optarg, &end, 10);
			if (*end || o.timeout < 1 || o.timeout > 3600)
				return cli_fail("--timeout takes whole seconds from 1 to 3600, not `%s`",
						optarg);
			break;
		}
		case ':':
			return cli_usage("run", "option `%s` needs a value", argv[optind - 1]);
		default:
			return cli_usage("run", "unknown option `%s`", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage("run", optind == argc ? "which lab? (`klab list` shows them)"
						       : "one lab at a time");
	o.lab = argv[optind];
	if (cli_lab_exists(cfg, o.lab) != 0)
		return 2;
	/* with --json, stdout carries only the JSON object: progress goes to stderr */
	o.progress = json ? stderr : stdout;
	o.color = json ? isatty(STDERR_FILENO) && cfg->color : cfg->color;
	if (json && !isatty(STDERR_FILENO))
		o.progress = NULL;
	o.live = o.progress && isatty(fileno(o.progress));
	if (lab_run(cfg, &o, &r, &err) < 0) {
		int rc = cli_fail("%s", err.msg);
		lab_run_result_release(&r);
		return rc;
	}
	if (r.fault.kind != LAB_FAULT_NONE)
		S_fault_sources(cfg, &r.fault);
	if (json) {
		struct kl_buf b = KL_BUF_INIT;
		lab_report_json(&r, &b);
		fputs(kl_buf_str(&b), stdout);
		kl_buf_release(&b);
	} else {
		lab_report_human(&r, stdout, o.color, log);
		S_print_sources(&r.fault, stdout);
	}
	int rc = lab_run_exit_status(&r);
	if (junit) {
		struct kl_buf b = KL_BUF_INIT;
		lab_report_junit(&r, &b);
		if (kl_write_file(junit, kl_buf_str(&b), b.len, &err) < 0)
			rc = cli_fail("%s", err.msg);
		kl_buf_release(&b);
	}
	lab_run_result_release(&r);
	return rc;
}
