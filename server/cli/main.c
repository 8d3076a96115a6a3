/*
 * main.c - klab's entry point: reads the configuration once, then dispatches
 * to a subcommand from the table below. Conventions every subcommand shares
 * live here: `klab --version`, `klab help [CMD]`, `klab CMD --help`, usage on
 * a wrong argument, and "did you mean" for a mistyped command or lab.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/catalog.h"
#include "core/suggest.h"

#ifndef KLAB_VERSION
#define KLAB_VERSION "unknown"
#endif

static const struct cli_command S_commands[] = {
	{ "list", cmd_list, "[--json]", "your labs in curriculum order, your progress, what next",
	  "Lists every lab in the order the notes teach them (the topics' order), with its\n"
	  "title, difficulty, your status and best score, then your progress and the next\n"
	  "lab to do.\n"
	  "  --json   print the labs as a JSON array instead (same order)\n" },
	{ "run", cmd_run,
	  "LAB [--src DIR] [--log] [--json] [--junit FILE] [--timeout S] [--keep] "
	  "[--kernel PROFILE] [--no-record] [--no-overlap]",
	  "build, boot and grade a lab",
	  "Builds your copy of LAB (in the workspace) against the kernel's headers, boots it\n"
	  "in QEMU, runs the lab's tests and grades them. Every run is an attempt: its\n"
	  "result, output and sources are kept (`klab log LAB` shows them again).\n"
	  "  --src DIR          grade the files in DIR instead of your workspace\n"
	  "  --log              always show your module's kernel log (pr_info and up); it is\n"
	  "                     shown anyway when the run does not pass\n"
	  "  --json             print the result as one JSON object on stdout (progress goes\n"
	  "                     to stderr when it is a terminal)\n"
	  "  --junit FILE       also write the result as JUnit XML to FILE (for CI)\n"
	  "  --timeout S        seconds the tests may run in the VM (default: the lab's)\n"
	  "  --keep             keep the build folder and the console log, and say where\n"
	  "  --kernel PROFILE   kernel profile from kernels/ (default: debug; cloud is\n"
	  "                     Debian's prebuilt kernel, faster but sees fewer bugs)\n"
	  "  --no-record        do not record the attempt (progress, attempts repository)\n"
	  "  --no-overlap       build first, then boot (default: boot while building)\n" },
	{ "watch", cmd_watch, "LAB [--log]", "run the lab again each time you save one of its files",
	  "Runs LAB, then again each time you save one of its files in your workspace,\n"
	  "until Ctrl-C. A save is a trial, not an attempt: a run is recorded only when\n"
	  "its result (verdict or score) differs from the run recorded before it in this\n"
	  "session, and the first run always.\n"
	  "  --log   always show your module's kernel log\n" },
	{ "hint", cmd_hint, "LAB [--again | --reset]", "show the lab's next hint",
	  "Shows the next hint of LAB, one more each time.\n"
	  "  --again   show again the hints already seen\n"
	  "  --reset   forget the hints seen; the next call shows hint 1\n" },
	{ "log", cmd_log, "LAB [N] [--diff] [--list] [--json]", "show an attempt's output again",
	  "Shows what `klab run` printed for attempt N of LAB (default: the last), with\n"
	  "its date, kernel and sources.\n"
	  "  N        the attempt number: a lab's attempts count 1, 2, ... (`klab run` says\n"
	  "           which one it recorded)\n"
	  "  --diff   also show what you changed in your files since attempt N-1\n"
	  "  --list   list the attempts of LAB, one a line\n"
	  "  --json   print the attempt as JSON\n" },
	{ "reset", cmd_reset, "LAB", "put the lab's skeleton back in your workspace",
	  "Puts the skeleton of LAB back in your workspace; your files are saved first\n"
	  "(the command says where).\n" },
	{ "next", cmd_next, "[--track NAME] [--list] [--json]", "the next step of your track",
	  "Names the first unfinished step of a track (tracks/NAME.yaml in a content folder,\n"
	  "see KLAB_PATH): a lab not passed yet, or a note not marked read (`klab read`).\n"
	  "  --track NAME   this track (default: the first, by name, of the first content\n"
	  "                 folder that has tracks: your team's before klab's own)\n"
	  "  --list         every track with its progress\n"
	  "  --json         print {\"track\", \"title\", \"done\", \"steps\", \"next\"}\n" },
	{ "read", cmd_read, "NOTE", "mark a note read (a track's step)",
	  "Marks the note NOTE (its topic, e.g. modules) read: a track's step `- note:\n"
	  "NOTE` is then done. The note's page has the same button.\n" },
	{ "push", cmd_push, "[--remote URL]", "share your progress with your mentor (git push)",
	  "Writes progress.json (your labs' status, best score, attempts; the notes you\n"
	  "read) into your attempts repository and pushes it, with every attempt's sources,\n"
	  "to a git remote your mentor reads with `klab team`. Your name comes from\n"
	  "KLAB_LEARNER, else git's user.name.\n"
	  "  --remote URL   where to push (any git URL or a path); remembered for next time\n" },
	{ "team", cmd_team, "[--json] [--stuck N] URL|DIR...", "your learners' progress (mentors)",
	  "Reads each learner's pushed repository (a remote is fetched into $KLAB_CACHE/team)\n"
	  "and prints, per learner and lab: status (passed, failed, not started), best\n"
	  "score, max, attempts and last activity, and flags a learner stuck on a lab (N\n"
	  "attempts or more, the last N-1 no better than the best before; default 4). A\n"
	  "repository that cannot be read is an error for that learner only.\n"
	  "  --json      print {\"learners\": [{\"name\", \"source\", \"last_activity\",\n"
	  "              \"labs\": {LAB: {\"status\", \"best\", \"max\", \"attempts\"}},\n"
	  "              \"stuck\": [LAB...]} or {\"source\", \"error\"}]}\n"
	  "  --stuck N   attempts without progress that flag a learner (default 4)\n" },
	{ "new", cmd_new, "lab ID --topic TOPIC [--title TITLE]", "write a new lab for your team",
	  "Writes lab ID into the first folder of KLAB_PATH (DIR/labs/ID): README.md with\n"
	  "front matter, Kbuild, a skeleton module, a guest test on klab_test.h, hints.md,\n"
	  "a reference solution (solution/) and a wrong variant (wrong/no-range-check/).\n"
	  "The lab holds as written (`klab verify ID`); make it yours, then verify again.\n"
	  "  --topic TOPIC   the topic it belongs to (a note's topic)\n"
	  "  --title TITLE   its title (default: a placeholder)\n" },
	{ "verify", cmd_verify, "LAB [VARIANT...] [--kernel PROFILE] [--progress]",
	  "prove a lab: skeleton fails, solution passes, wrong variants caught",
	  "Runs LAB through the real pipeline (nothing recorded) and checks that the\n"
	  "skeleton builds and fails below full score, that the reference solution passes\n"
	  "with the full score, and that every wrong variant gets its expected verdict.\n"
	  "The solution and the variants are in the lab's folder (solution/, wrong/NAME/)\n"
	  "or, for klab's own labs, in tests/solutions/LAB and tests/wrong/LAB/NAME. A\n"
	  "variant is change.patch (patch -p1 on the solution) and expect: the verdict\n"
	  "(fail, fault, ... or fail|fault for a race: the tests named then must fail under\n"
	  "the first), then the tests that must fail, one a line; `base: skeleton` first\n"
	  "patches the skeleton instead. Exit status 0 when the lab holds, 1 when a check\n"
	  "failed, 2 when it could not be verified.\n"
	  "  VARIANT            check only these wrong variants (no skeleton, no solution)\n"
	  "  --kernel PROFILE   kernel profile (default: debug)\n"
	  "  --progress         each run's steps on stderr\n" },
	{ "doctor", cmd_doctor, "[--kernel PROFILE]", "check QEMU, kernel, headers and tools",
	  "Checks what `klab run` needs on this machine and says how to install what is\n"
	  "missing.\n"
	  "  --kernel PROFILE   check this kernel profile (default: debug)\n" },
	{ "serve", cmd_serve, "[--bind ADDR] [--port N] [--threads N] [--quiet] [--team URL|DIR...]",
	  "browse notes and labs on http://127.0.0.1:8080/",
	  "Serves the notes, labs, search, your progress and your own notes (/my/, edited\n"
	  "in the browser) on the web. Requests whose Host is not the bound address and\n"
	  "port get 421 (no DNS rebinding); see the README on what may write.\n"
	  "  --bind ADDR   address to listen on (default 127.0.0.1); on an address that is\n"
	  "                not loopback your notes are read-only (no editing)\n"
	  "  --port N      port (default 8080; 0 picks a free one and prints it)\n"
	  "  --threads N   request threads (default one per core)\n"
	  "  --quiet       no request log\n"
	  "  --team URL|DIR...   show these learners' pushed progress at /team (as\n"
	  "                      `klab team` does; remotes fetched at most once a minute)\n" },
	{ "search", cmd_search, "[--json] [--limit N] WORDS...", "full-text search of the notes and labs",
	  "Searches the notes and labs, and your own notes ($KLAB_HOME/notes, marked\n"
	  "`mine`), for WORDS (kernel identifiers are kept whole).\n"
	  "  --json      print the hits as JSON\n"
	  "  --limit N   at most N hits (1 to 1000, default 10)\n"
	  "  --          the words that follow are words even if they start with '-'\n" },
	{ "note", cmd_note, "new TITLE... | edit NAME | import DIR | list",
	  "your own notes: write, edit, import (a git repository in $KLAB_HOME/notes)",
	  "Your own notes live in $KLAB_HOME/notes/, a git repository klab keeps: every\n"
	  "change is a commit, so `klab serve` shows each note's history (/my/NAME).\n"
	  "Files you write there with any editor are committed by the next klab command\n"
	  "or page that touches your notes.\n"
	  "  new TITLE...   make NAME.md from the title (front matter: title, date), commit\n"
	  "                 it and print its path\n"
	  "  edit NAME      open NAME.md in $VISUAL or $EDITOR (else vi); commit on exit\n"
	  "  import DIR     copy every *.md file of DIR into your notes, as one commit (a\n"
	  "                 note of the same name is replaced; its history keeps the old)\n"
	  "  list           your notes: name, last change, title\n" },
	{ "check", cmd_check, "[--kernel PROFILE] [--json] [--source TARBALL] [--index] [FILE...]",
	  "check the notes: front matter, links, anchors, kernel identifiers", NULL },
	{ "ktap", cmd_ktap, "[--json] [FILE|-]",
	  "read KTAP (KUnit, kselftest, a lab's console) and print its tree of tests",
	  "Reads a console log or a KTAP stream (KUnit through printk or debugfs,\n"
	  "kselftest, klab's own guests) and prints the tree of tests with their\n"
	  "statuses (ok, fail, skip, crashed) and the overall result. Exit status 0 when\n"
	  "the whole is ok, 1 when not, 2 when the input cannot be read.\n"
	  "  FILE     the log to read; - or nothing reads standard input\n"
	  "  --json   print {\"ok\", \"tests\": [...], \"counts\": {...}} instead\n" },
	{ "xref", cmd_xref, "NAME [--json] [--page N] | --build",
	  "where the lab kernel's source defines, uses and fills NAME or TYPE.MEMBER",
	  "Looks NAME up in the index of the lab kernel's source (Debian's linux-source-6.1,\n"
	  "built once into $KLAB_CACHE/xref, a few minutes): its definitions with their kind,\n"
	  "every reference by file, and, for TYPE.MEMBER (ppp_channel_ops.start_xmit), every\n"
	  "initializer that fills that member. `klab serve` shows the same at /ident/NAME.\n"
	  "  --json     print {\"name\", \"definitions\", \"references\", \"initializers\"}\n"
	  "  --page N   page N of the references of a common name (200 files a page)\n"
	  "  --build    build the index now (it is built on first use otherwise)\n" },
};
#define S_NCOMMANDS (sizeof(S_commands) / sizeof(S_commands[0]))

static void S_vfail(const char *fmt, va_list ap)
{
	fputs("klab: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	S_vfail(fmt, ap);
	va_end(ap);
	return 2;
}

static const struct cli_command *S_find(const char *name)
{
	for (size_t i = 0; i < S_NCOMMANDS; i++)
		if (strcmp(name, S_commands[i].name) == 0)
			return &S_commands[i];
	return NULL;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	const struct cli_command *c = S_find(cmd);
	va_list ap;

	va_start(ap, fmt);
	S_vfail(fmt, ap);
	va_end(ap);
	if (c)
		fprintf(stderr, "usage: klab %s %s\n`klab help %s` explains every option\n", c->name,
			c->usage, c->name);
	return 2;
}

int cli_width(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col > 100 ? 100 : ws.ws_col;
	return 80;
}

int cli_lab_exists(const struct kl_config *cfg, const char *id)
{
	char **ids = NULL;
	size_t n = 0;
	struct kl_err err = { "" };
	int found = 0;

	if (kl_lab_ids(cfg->content, &ids, &n, &err) < 0)
		return cli_fail("%s", err.msg);
	for (size_t i = 0; i < n && !found; i++)
		found = strcmp(ids[i], id) == 0;
	if (!found) {
		const char *near = kl_suggest(id, (const char *const *)ids, n);
		if (near)
			cli_fail("no lab `%s`; did you mean `%s`?", id, near);
		else
			cli_fail("no lab `%s`: `klab list` shows the labs", id);
	}
	kl_strv_free(ids, n);
	return found ? 0 : 2;
}

static void S_usage(FILE *out)
{
	fputs("usage: klab COMMAND [ARGS]\n\ncommands:\n", out);
	for (size_t i = 0; i < S_NCOMMANDS; i++)
		fprintf(out, "  %-8s %s\n", S_commands[i].name, S_commands[i].summary);
	fputs("\n`klab help COMMAND` (or `klab COMMAND --help`) explains a command and every "
	      "option.\n`klab --version` prints the version.\n"
	      "\nenvironment: KLAB_HOME (progress, workspace), KLAB_CACHE (kernels), "
	      "KLAB_ROOT (labs and notes),\n"
	      "KLAB_PATH (your team's labs, notes and tracks first), KLAB_LEARNER (klab push), "
	      "NO_COLOR\n", out);
}

/* `klab help CMD`: the command's usage and every option (cfg only for a command's own). */
static int S_help(const struct cli_command *c, const struct kl_config *cfg)
{
	if (!c->help) {
		char *argv[] = { (char *)c->name, "--help", NULL };
		return c->fn(2, argv, cfg); /* the command explains itself */
	}
	printf("usage: klab %s %s\n\n%s", c->name, c->usage, c->help);
	return 0;
}

/* Names a mistyped command's closest match, or lists them all. */
static int S_unknown(const char *name)
{
	const char *names[S_NCOMMANDS + 1];

	for (size_t i = 0; i < S_NCOMMANDS; i++)
		names[i] = S_commands[i].name;
	names[S_NCOMMANDS] = "help";
	const char *near = kl_suggest(name, names, S_NCOMMANDS + 1);
	if (near)
		return cli_fail("unknown command `%s`; did you mean `klab %s`?", name, near);
	cli_fail("unknown command `%s`", name);
	S_usage(stderr);
	return 2;
}

/* True when argv asks for help before any "--". */
static int S_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct kl_config cfg;
	struct kl_err err = { "" };
	const struct cli_command *c = NULL;
	int help = 0;

	if (argc < 2) {
		S_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		printf("klab %s\n", KLAB_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		if (argc < 3) {
			S_usage(stdout);
			return 0;
		}
		if (!(c = S_find(argv[2])))
			return S_unknown(argv[2]);
		help = 1;
	} else if (argv[1][0] == '-') {
		cli_fail("unknown option `%s`", argv[1]);
		S_usage(stderr);
		return 2;
	} else if (!(c = S_find(argv[1]))) {
		return S_unknown(argv[1]);
	} else {
		help = S_wants_help(argc - 1, argv + 1);
	}
	if (help && c->help)
		return S_help(c, NULL); /* help needs no labs, home or cache */
	if (kl_config_load(&cfg, &err) < 0)
		return cli_fail("%s", err.msg);
	int rc = help ? S_help(c, &cfg) : c->fn(argc - 1, argv + 1, &cfg);
	kl_config_release(&cfg);
	return rc;
}
