/*
 * test_mynotes.c - the learner's notes repository: names and slugs, a new
 * note's front matter and commit, saves as commits (none when nothing
 * changed), files written by another editor picked up on open (their swap and
 * backup files never), import as one commit, stale lock files of a killed
 * writer, and reading titles and tags.
 * Commits are read back with the git command line, not with klab's own code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/mynotes.h"

/* A fresh KLAB_HOME; the caller frees it (after kl_rm_rf). */
static char *S_home(void)
{
	const char *tmp = getenv("TMPDIR");
	char *t = kl_sprintf("%s/klab-mynotes-XXXXXX", tmp && *tmp ? tmp : "/tmp");

	assert_non_null(mkdtemp(t));
	return t;
}

/* stdout of a shell command, trailing newline dropped. */
static char *S_sh(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	struct kl_buf b = KL_BUF_INIT;
	char chunk[512];
	size_t n;

	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		kl_buf_add(&b, chunk, n);
	pclose(p);
	while (b.len && kl_buf_str(&b)[b.len - 1] == '\n')
		kl_buf_truncate(&b, b.len - 1);
	return kl_buf_detach(&b);
}

/* S_sh of a formatted command. */
static char *S_shf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *S_shf(const char *fmt, ...)
{
	va_list ap;
	char *cmd = NULL;

	va_start(ap, fmt);
	assert_true(vasprintf(&cmd, fmt, ap) >= 0);
	va_end(ap);
	char *out = S_sh(cmd);
	free(cmd);
	return out;
}

static int S_commits(const char *home)
{
	char *cmd = kl_sprintf("git -C %s/notes rev-list --count HEAD 2>/dev/null || echo 0", home);
	char *out = S_sh(cmd);
	int n = atoi(out);

	free(cmd);
	free(out);
	return n;
}

static char *S_head_file(const char *home, const char *name)
{
	char *cmd = kl_sprintf("git -C %s/notes show HEAD:%s.md", home, name);
	char *out = S_sh(cmd);

	free(cmd);
	return out;
}

static void S_remove(char *home)
{
	struct kl_err err;

	assert_int_equal(kl_rm_rf(home, &err), 0);
	free(home);
}

static void test_names(void **state)
{
	(void)state;
	char *s = mynotes_slug("Signals: how do_signal() works!");
	assert_string_equal(s, "signals-how-do-signal-works");
	free(s);
	s = mynotes_slug("  ***  ");
	assert_string_equal(s, "note");
	free(s);
	s = mynotes_slug("Über -- Größe");
	assert_string_equal(s, "ber-gr-e");
	free(s);
	char long_title[200];
	memset(long_title, 'a', sizeof(long_title) - 1);
	long_title[sizeof(long_title) - 1] = '\0';
	s = mynotes_slug(long_title);
	assert_int_equal(strlen(s), 60);
	free(s);
	assert_true(mynotes_name_ok("kernel-notes"));
	assert_false(mynotes_name_ok("../etc/passwd"));
	assert_false(mynotes_name_ok(".git"));
	assert_false(mynotes_name_ok("a/b"));
	assert_false(mynotes_name_ok(""));
	assert_false(mynotes_name_ok(NULL));
}

static void test_new_save_list(void **state)
{
	(void)state;
	char *home = S_home();
	struct mynotes *m = NULL;
	struct kl_err err;
	char *name = NULL, *name2 = NULL;
	int committed = -1;

	assert_int_equal(mynotes_open(home, &m, &err), 0);
	assert_int_equal(S_commits(home), 1); /* "Start your notes": the .gitignore */
	char *first = S_shf("git -C %s/notes log -1 --format=%%s --name-only", home);
	assert_string_equal(first, "Start your notes\n\n.gitignore");
	free(first);
	assert_int_equal(mynotes_new(m, "Signal \"delivery\"", "Body text.\n", &name, &err), 0);
	assert_string_equal(name, "signal-delivery");
	assert_int_equal(S_commits(home), 2);
	char *head = S_head_file(home, name);
	assert_non_null(strstr(head, "title: \"Signal \\\"delivery\\\"\"\n"));
	assert_non_null(strstr(head, "\ndate: 20"));
	assert_non_null(strstr(head, "# Signal \"delivery\"\n\nBody text."));
	free(head);
	/* the same title again gets the next free name */
	assert_int_equal(mynotes_new(m, "Signal delivery", NULL, &name2, &err), 0);
	assert_string_equal(name2, "signal-delivery-2");
	assert_int_equal(S_commits(home), 3);

	const char *text = "---\ntitle: Changed\ntags: [a, b]\n---\n# Changed\n\nNew.\n";
	assert_int_equal(mynotes_save(m, name, text, strlen(text), NULL, &committed, &err), 0);
	assert_int_equal(committed, 1);
	assert_int_equal(S_commits(home), 4);
	head = S_head_file(home, name);
	assert_string_equal(head, "---\ntitle: Changed\ntags: [a, b]\n---\n# Changed\n\nNew.");
	free(head);
	char *msg = S_shf("git -C %s/notes log -1 --format=%%s", home);
	assert_string_equal(msg, "Edit signal-delivery");
	free(msg);
	/* the same text again: no commit */
	assert_int_equal(mynotes_save(m, name, text, strlen(text), NULL, &committed, &err), 0);
	assert_int_equal(committed, 0);
	assert_int_equal(S_commits(home), 4);
	/* a bad name is refused, and nothing is written */
	assert_int_equal(mynotes_save(m, "../x", "x", 1, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "not a note name"));
	/* no temporary file is left in the work tree or staged */
	char *status = S_shf("git -C %s/notes status --porcelain", home);
	assert_string_equal(status, "");
	free(status);

	struct mynotes_entry *v = NULL;
	size_t n = 0;
	assert_int_equal(mynotes_list(m, &v, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].name, "signal-delivery");
	assert_string_equal(v[0].title, "Changed");
	assert_string_equal(v[1].name, "signal-delivery-2");
	assert_string_equal(v[1].title, "Signal delivery");
	mynotes_entries_free(v, n);
	mynotes_close(m);
	free(name);
	free(name2);
	S_remove(home);
}

static void test_outside_editor_and_stale_locks(void **state)
{
	(void)state;
	char *home = S_home();
	struct mynotes *m = NULL;
	struct kl_err err;
	char *name = NULL;

	assert_int_equal(mynotes_open(home, &m, &err), 0);
	assert_int_equal(mynotes_new(m, "First", NULL, &name, &err), 0);
	mynotes_close(m);
	/* another editor writes a note and deletes one; a killed writer left its locks */
	char *p = kl_sprintf("%s/notes/vim-note.md", home);
	assert_int_equal(kl_write_file(p, "# From vim\n", 11, &err), 0);
	free(p);
	p = kl_sprintf("%s/notes/first.md", home);
	assert_int_equal(unlink(p), 0);
	free(p);
	/* and its swap and backup files, which are never committed */
	p = kl_sprintf("%s/notes/.vim-note.md.swp", home);
	assert_int_equal(kl_write_file(p, "swap", 4, &err), 0);
	free(p);
	p = kl_sprintf("%s/notes/vim-note.md~", home);
	assert_int_equal(kl_write_file(p, "backup", 6, &err), 0);
	free(p);
	p = kl_sprintf("%s/notes/.git/index.lock", home);
	assert_int_equal(kl_write_file(p, "x", 1, &err), 0);
	free(p);
	p = kl_sprintf("%s/notes/.git/refs/heads/main.lock", home);
	assert_int_equal(kl_write_file(p, "x", 1, &err), 0);
	free(p);
	assert_int_equal(mynotes_open(home, &m, &err), 0);
	assert_int_equal(S_commits(home), 3);
	char *msg = S_shf("git -C %s/notes log -1 --format=%%s", home);
	assert_string_equal(msg, "Pick up changes made outside klab");
	free(msg);
	char *files = S_shf("git -C %s/notes ls-tree --name-only HEAD", home);
	assert_string_equal(files, ".gitignore\nvim-note.md");
	free(files);
	char *fsck = S_shf("git -C %s/notes fsck --strict 2>&1 && echo ok", home);
	assert_non_null(strstr(fsck, "ok"));
	free(fsck);
	/* a note without front matter: title from its heading */
	struct mynotes_entry *v = NULL;
	size_t n = 0;
	assert_int_equal(mynotes_list(m, &v, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].title, "From vim");
	mynotes_entries_free(v, n);
	mynotes_close(m);
	free(name);
	S_remove(home);
}

static void test_import(void **state)
{
	(void)state;
	char *home = S_home();
	char *src = kl_sprintf("%s/src", home);
	struct mynotes *m = NULL;
	struct kl_err err;
	size_t count = 0;

	assert_int_equal(kl_mkdir_p(src, 0755, &err), 0);
	const char *hexo = "---\ntitle: Kernel notes\ndate: 2023-04-01 10:00:00\n"
			   "category: linux\ntags: kernel\n---\nget_signal_deliver\n";
	char *p = kl_sprintf("%s/kernel-notes.md", src);
	assert_int_equal(kl_write_file(p, hexo, strlen(hexo), &err), 0);
	free(p);
	p = kl_sprintf("%s/My Other Note.md", src);
	assert_int_equal(kl_write_file(p, "# Other\n", 8, &err), 0);
	free(p);
	p = kl_sprintf("%s/skip.txt", src);
	assert_int_equal(kl_write_file(p, "not markdown", 12, &err), 0);
	free(p);
	assert_int_equal(mynotes_open(home, &m, &err), 0);
	assert_int_equal(mynotes_import(m, src, &count, &err), 0);
	assert_int_equal(count, 2);
	assert_int_equal(S_commits(home), 2);
	char *files = S_shf("git -C %s/notes ls-tree --name-only HEAD", home);
	assert_string_equal(files, ".gitignore\nkernel-notes.md\nmy-other-note.md");
	free(files);
	char *head = S_head_file(home, "kernel-notes");
	assert_string_equal(head, "---\ntitle: Kernel notes\ndate: 2023-04-01 10:00:00\n"
				  "category: linux\ntags: kernel\n---\nget_signal_deliver");
	free(head);
	/* Hexo's `tags: word` is one tag */
	struct mynotes_doc doc;
	mynotes_doc_parse(hexo, strlen(hexo), "kernel-notes", &doc);
	assert_string_equal(doc.title, "Kernel notes");
	assert_int_equal(doc.ntags, 1);
	assert_string_equal(doc.tags[0], "kernel");
	assert_string_equal(hexo + doc.body_offset, "get_signal_deliver\n");
	mynotes_doc_release(&doc);
	/* broken front matter: the whole text is the body */
	mynotes_doc_parse("---\n: [\n---\nx\n", 13, "broken", &doc);
	assert_string_equal(doc.title, "broken");
	assert_int_equal(doc.body_offset, 0);
	mynotes_doc_release(&doc);
	/* an empty folder is an error that says so */
	char *empty = kl_sprintf("%s/empty", home);
	assert_int_equal(kl_mkdir_p(empty, 0755, &err), 0);
	assert_int_equal(mynotes_import(m, empty, &count, &err), -1);
	assert_non_null(strstr(err.msg, "no Markdown file"));
	free(empty);
	mynotes_close(m);
	free(src);
	S_remove(home);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_new_save_list),
		cmocka_unit_test(test_outside_editor_and_stale_locks),
		cmocka_unit_test(test_import),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
