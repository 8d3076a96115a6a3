/*
 * main.c - klab's entry point: reads the configuration once, then dispatches
 * to a subcommand from the table below.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct cli_command S_commands[] = {
	{ "run", cmd_run, "LAB [--src DIR] [--json] [--junit FILE] [--timeout S] [--keep] "
			  "[--kernel PROFILE] [--no-record] [--no-overlap]",
	  "build, boot and grade a lab" },
	{ "list", cmd_list, "[--json]", "every lab with topic, difficulty, status and best score" },
	{ "reset", cmd_reset, "LAB", "put the lab's skeleton back in your workspace" },
	{ "hint", cmd_hint, "LAB [--again | --reset]", "show the lab's next hint" },
	{ "watch", cmd_watch, "LAB", "run the lab again each time you save one of its files" },
	{ "doctor", cmd_doctor, "[--kernel PROFILE]", "check QEMU, kernel, headers and tools" },
	{ "serve", cmd_serve, "[--bind ADDR] [--port N] [--quiet]", "browse notes and labs on http://127.0.0.1:8080/" },
	{ "search", cmd_search, "[--json] [--limit N] WORDS...", "full-text search of the notes and labs" },
	{ "check", cmd_check, "[--kernel PROFILE] [--json] [--source TARBALL] [--index] [FILE...]",
	  "check the notes: front matter, links, anchors, kernel identifiers" },
	{ "xref", cmd_xref, "NAME [--json] [--page N] | --build",
	  "where the lab kernel's source defines, uses and fills NAME or TYPE.MEMBER" },
};

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("klab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

static void S_usage(FILE *out)
{
	fputs("usage: klab COMMAND [ARGS]\n\ncommands:\n", out);
	for (size_t i = 0; i < sizeof(S_commands) / sizeof(S_commands[0]); i++)
		fprintf(out, "  %-8s %s\n           klab %s %s\n", S_commands[i].name,
			S_commands[i].summary, S_commands[i].name, S_commands[i].usage);
	fputs("\nenvironment: KLAB_HOME (progress, workspace), KLAB_CACHE (kernels), "
	      "KLAB_ROOT (labs and notes), NO_COLOR\n", out);
}

int main(int argc, char **argv)
{
	struct kl_config cfg;
	struct kl_err err = { "" };

	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		S_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(S_commands) / sizeof(S_commands[0]); i++) {
		if (strcmp(argv[1], S_commands[i].name) != 0)
			continue;
		if (kl_config_load(&cfg, &err) < 0)
			return cli_fail("%s", err.msg);
		int rc = S_commands[i].fn(argc - 1, argv + 1, &cfg);
		kl_config_release(&cfg);
		return rc;
	}
	cli_fail("unknown command `%s`", argv[1]);
	S_usage(stderr);
	return 2;
}
