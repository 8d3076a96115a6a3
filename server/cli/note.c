/*
 * note.c - `klab note new|edit|import|list`: the learner's own notes in
 * $KLAB_HOME/notes (core/mynotes.h), each change a commit. `edit` runs
 * $VISUAL or $EDITOR (else vi) on the note in the terminal and commits what
 * it saved when it exits.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/fsutil.h"
#include "core/mynotes.h"
#include "core/suggest.h"

/*
 * Runs the editor on path through the shell (so EDITOR may hold arguments,
 * as git allows), in klab's own process group so that it owns the terminal.
 * Returns its exit status, or -1 when it could not run.
 */
static int S_run_editor(const char *path)
{
	const char *ed = getenv("VISUAL");
	struct sigaction ign, old_int, old_quit;
	int status = 0;

	if (!ed || !*ed)
		ed = getenv("EDITOR");
	if (!ed || !*ed)
		ed = "vi";
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old_int); /* Ctrl-C belongs to the editor */
	sigaction(SIGQUIT, &ign, &old_quit);
	pid_t pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		char *cmd = kl_sprintf("%s \"$@\"", ed);
		execl("/bin/sh", "sh", "-c", cmd, ed, path, (char *)NULL);
		_exit(127);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (pid < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The note NAME exists, else says so with the closest name; 0 or 2. */
static int S_exists(struct mynotes *m, const char *name)
{
	struct mynotes_entry *v = NULL;
	size_t n = 0;
	struct kl_err err;
	int found = 0;

	if (!mynotes_name_ok(name))
		return cli_usage("note", "`%s` is not a note name: a-z, 0-9, '-' and '_' "
					 "(`klab note list` shows yours)", name);
	if (mynotes_list(m, &v, &n, &err) < 0)
		return cli_fail("%s", err.msg);
	const char **names = calloc(n + 1, sizeof(*names));
	if (!names)
		abort();
	for (size_t i = 0; i < n; i++) {
		names[i] = v[i].name;
		found |= strcmp(v[i].name, name) == 0;
	}
	if (!found) {
		const char *near = kl_suggest(name, names, n);
		if (near)
			cli_fail("no note `%s` in %s; did you mean `%s`?", name, mynotes_dir(m), near);
		else
			cli_fail("no note `%s` in %s: `klab note new TITLE` makes one", name,
				 mynotes_dir(m));
	}
	free(names);
	mynotes_entries_free(v, n);
	return found ? 0 : 2;
}

static int S_new(struct mynotes *m, int argc, char **argv)
{
	struct kl_buf title = KL_BUF_INIT;
	struct kl_err err;
	char *name = NULL;

	for (int i = 0; i < argc; i++)
		kl_buf_printf(&title, "%s%s", i ? " " : "", argv[i]);
	if (!title.len) {
		kl_buf_release(&title);
		return cli_usage("note", "a new note needs a title: klab note new \"Signal delivery\"");
	}
	int rc = mynotes_new(m, kl_buf_str(&title), NULL, &name, &err);
	if (rc < 0) {
		rc = cli_fail("%s", err.msg);
	} else {
		printf("%s/%s.md\n", mynotes_dir(m), name);
		rc = 0;
	}
	free(name);
	kl_buf_release(&title);
	return rc;
}

static int S_edit(struct mynotes *m, const char *name)
{
	struct kl_err err;
	int committed = 0;

	if (S_exists(m, name) != 0)
		return 2;
	char *path = mynotes_path(m, name);
	int st = S_run_editor(path);
	if (st < 0 || st == 127) {
		free(path);
		return cli_fail("cannot run the editor: set EDITOR (or VISUAL) to one on your PATH");
	}
	if (st != 0)
		fprintf(stderr, "klab: the editor exited with status %d; committing what it saved\n",
			st);
	char *msg = kl_sprintf("Edit %s", name);
	int rc = mynotes_commit_all(m, msg, &committed, &err);
	free(msg);
	if (rc < 0) {
		rc = cli_fail("%s", err.msg);
	} else {
		printf("%s: %s\n", path, committed ? "committed" : "unchanged");
		rc = 0;
	}
	free(path);
	return rc;
}

static int S_list(struct mynotes *m)
{
	struct mynotes_entry *v = NULL;
	size_t n = 0;
	struct kl_err err;

	if (mynotes_list(m, &v, &n, &err) < 0)
		return cli_fail("%s", err.msg);
	for (size_t i = 0; i < n; i++) {
		char when[32];
		time_t t = (time_t)v[i].mtime;
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		printf("%-30s %s  %s\n", v[i].name, when, v[i].title);
	}
	if (n == 0)
		printf("no notes yet in %s: `klab note new TITLE` makes one\n", mynotes_dir(m));
	mynotes_entries_free(v, n);
	return 0;
}

int cmd_note(int argc, char **argv, const struct kl_config *cfg)
{
	struct mynotes *m = NULL;
	struct kl_err err;
	const char *sub = argc > 1 ? argv[1] : NULL;
	int rc;

	if (!sub)
		return cli_usage("note", "which action? new, edit, import or list");
	if (strcmp(sub, "new") && strcmp(sub, "edit") && strcmp(sub, "import") &&
	    strcmp(sub, "list")) {
		const char *subs[] = { "new", "edit", "import", "list" };
		const char *near = kl_suggest(sub, subs, 4);
		return near ? cli_usage("note", "no action `%s`; did you mean `%s`?", sub, near)
			    : cli_usage("note", "no action `%s`: new, edit, import or list", sub);
	}
	if ((!strcmp(sub, "edit") || !strcmp(sub, "import")) && argc != 3)
		return cli_usage("note", "`klab note %s` takes one %s", sub,
				 sub[0] == 'e' ? "note name" : "folder");
	if (!strcmp(sub, "list") && argc != 2)
		return cli_usage("note", "`klab note list` takes no argument");
	if (mynotes_open(cfg->home, &m, &err) < 0)
		return cli_fail("%s", err.msg);
	if (!strcmp(sub, "new")) {
		rc = S_new(m, argc - 2, argv + 2);
	} else if (!strcmp(sub, "edit")) {
		rc = S_edit(m, argv[2]);
	} else if (!strcmp(sub, "list")) {
		rc = S_list(m);
	} else {
		size_t count = 0;
		if (mynotes_import(m, argv[2], &count, &err) < 0) {
			rc = cli_fail("%s", err.msg);
		} else {
			printf("imported %zu note%s into %s (one commit)\n", count,
			       count == 1 ? "" : "s", mynotes_dir(m));
			rc = 0;
		}
	}
	mynotes_close(m);
	return rc;
}
