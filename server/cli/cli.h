/*
 * cli.h - klab's subcommands, one file each, dispatched from the table in main.c.
 * Each takes its own argv (argv[0] is the subcommand) and the configuration read
 * once at start-up, and returns the process exit status.
 */
#ifndef KLAB_CLI_H
#define KLAB_CLI_H

#include "core/config.h"

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv, const struct kl_config *cfg);
	const char *usage;   /* arguments, for `klab help` */
	const char *summary; /* one line */
	const char *help;    /* what it does and every option, for `klab help CMD`;
				NULL: the command prints its own on --help */
};

int cmd_run(int argc, char **argv, const struct kl_config *cfg);
int cmd_list(int argc, char **argv, const struct kl_config *cfg);
int cmd_reset(int argc, char **argv, const struct kl_config *cfg);
int cmd_doctor(int argc, char **argv, const struct kl_config *cfg);
int cmd_serve(int argc, char **argv, const struct kl_config *cfg);
int cmd_search(int argc, char **argv, const struct kl_config *cfg);
int cmd_check(int argc, char **argv, const struct kl_config *cfg);
int cmd_note(int argc, char **argv, const struct kl_config *cfg);
int cmd_hint(int argc, char **argv, const struct kl_config *cfg);
int cmd_watch(int argc, char **argv, const struct kl_config *cfg);
int cmd_ktap(int argc, char **argv, const struct kl_config *cfg);
int cmd_log(int argc, char **argv, const struct kl_config *cfg);
int cmd_xref(int argc, char **argv, const struct kl_config *cfg);
int cmd_next(int argc, char **argv, const struct kl_config *cfg);
int cmd_read(int argc, char **argv, const struct kl_config *cfg);
int cmd_push(int argc, char **argv, const struct kl_config *cfg);
int cmd_team(int argc, char **argv, const struct kl_config *cfg);
int cmd_new(int argc, char **argv, const struct kl_config *cfg);
int cmd_verify(int argc, char **argv, const struct kl_config *cfg);

/* Prints "klab: message" to stderr; returns 2 (usage or environment error). */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A wrong argument: prints "klab: message", the command's usage line and where
 * its help is; returns 2.
 */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 0 when LAB exists; else says so, with the closest lab id, and returns 2. */
int cli_lab_exists(const struct kl_config *cfg, const char *id);
/* Columns of the terminal on stdout (80 when not a terminal), at most 100. */
int cli_width(void);

#endif
