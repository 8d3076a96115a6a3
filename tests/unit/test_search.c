/*
 * test_search.c - the search index: query sanitising (no typed text can break
 * FTS5), identifiers kept whole, prefixes, title weighting, snippet marks and
 * their HTML escaping, and sync with files on disk.
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

#include "core/fsutil.h"
#include "core/search.h"

static void S_q(const char *in, const char *want, int words)
{
	struct kl_buf b = KL_BUF_INIT;
	int n = search_query_build(in, &b);

	assert_int_equal(n, words);
	assert_string_equal(kl_buf_str(&b), want);
	kl_buf_release(&b);
}

static void test_query_build(void **state)
{
	(void)state;
	S_q("spin_lock", "\"spin_lock\"*", 1);
	S_q("spin_lock ", "\"spin_lock\"", 1);
	S_q("page fault", "\"page\" \"fault\"*", 2);
	S_q("\"x", "\"\"\"x\"*", 1);
	S_q("a\"b\"c ", "\"a\"\"b\"\"c\"", 1);
	S_q("AND", "\"AND\"*", 1);
	S_q("NOT foo", "\"NOT\" \"foo\"*", 2);
	S_q("*", "", 0);
	S_q("C++", "\"C++\"", 1);
	S_q("foo-bar", "\"foo-bar\"*", 1);
	S_q("a:b", "\"a:b\"*", 1);
	S_q("", "", 0);
	S_q("   \t ", "", 0);
	S_q("x\x01y\x7fz", "\"x\" \"y\" \"z\"*", 3);
	S_q("(((", "", 0);
	S_q("NEAR(a b)", "\"NEAR(a\" \"b)\"", 2);
	S_q("caf\xc3\xa9", "\"caf\xc3\xa9\"*", 1);
}

static struct search_index *S_index(void)
{
	struct search_index *idx = NULL;
	struct kl_err err;

	assert_int_equal(search_index_open(&idx, &err), 0);
	assert_int_equal(search_index_put(idx, "note", "locking", "Locking",
					  "spinlock mutex", "Take spin_lock_irqsave(&l, flags) "
					  "when an interrupt handler shares the data. C++ is not "
					  "used; <script>alert(1)</script> is just text here.",
					  &err), 0);
	assert_int_equal(search_index_put(idx, "note", "memory", "Memory and kmalloc", "mm",
					  "kmalloc returns physically contiguous memory; a page "
					  "fault happens on first touch.", &err), 0);
	assert_int_equal(search_index_put(idx, "lab", "memory-01", "Mapping pages", "memory",
					  "Use kmalloc and remap_pfn_range. Locking is not needed.",
					  &err), 0);
	return idx;
}

static void test_bad_queries_never_fail(void **state)
{
	const char *bad[] = { "\"", "\"unbalanced", "AND", "OR", "NOT", "*", "C++", "foo-bar",
			      "a:b", "\x01\x02\x03", "", "   ", "title:x", "NEAR(", "^x", "(",
			      ")", "-", "+", "\"\"\"\"", "x*y", "{a b}:c", "a AND", "' OR 1=1 --" };
	struct search_index *idx = S_index();
	struct kl_err err;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct search_result r;
		assert_int_equal(search_run(idx, bad[i], 10, &r, &err), 0);
		/* Either hits, a message, or a clean "nothing": never an FTS5 error. */
		if (r.message)
			assert_null(strstr(r.message, "Could not search"));
		search_result_release(&r);
	}
	struct search_result r;
	assert_int_equal(search_run(idx, "", 10, &r, &err), 0);
	assert_non_null(r.message);
	assert_int_equal(r.nhits, 0);
	search_result_release(&r);
	assert_int_equal(search_run(idx, "*", 10, &r, &err), 0);
	assert_non_null(strstr(r.message, "no letters or digits"));
	search_result_release(&r);
	search_index_close(idx);
}

static void test_identifiers_prefixes_weights(void **state)
{
	struct search_index *idx = S_index();
	struct search_result r;
	struct kl_err err;

	(void)state;
	assert_int_equal(search_run(idx, "spin_lock_irqsave", 10, &r, &err), 0);
	assert_int_equal(r.nhits, 1);
	assert_string_equal(r.hits[0].id, "locking");
	search_result_release(&r);
	/* identifiers stay whole: "irqsave" alone is not a word of the text */
	assert_int_equal(search_run(idx, "irqsave ", 10, &r, &err), 0);
	assert_int_equal(r.nhits, 0);
	search_result_release(&r);
	/* type-ahead: a prefix of the last word */
	assert_int_equal(search_run(idx, "kmal", 10, &r, &err), 0);
	assert_int_equal(r.nhits, 2);
	search_result_release(&r);
	/* the title weighs more: "memory" in a title beats it in the body */
	assert_int_equal(search_run(idx, "locking", 10, &r, &err), 0);
	assert_int_equal(r.nhits, 2);
	assert_string_equal(r.hits[0].id, "locking");
	search_result_release(&r);
	search_index_close(idx);
}

static void test_snippet_marks_escaped(void **state)
{
	struct search_index *idx = S_index();
	struct search_result r;
	struct kl_err err;
	struct kl_buf html = KL_BUF_INIT, plain = KL_BUF_INIT;

	(void)state;
	assert_int_equal(search_run(idx, "script", 10, &r, &err), 0);
	assert_int_equal(r.nhits, 1);
	search_mark(r.hits[0].snippet, SEARCH_MARK_HTML, &html);
	assert_non_null(strstr(kl_buf_str(&html), "&lt;<mark>script</mark>&gt;"));
	assert_null(strstr(kl_buf_str(&html), "<script"));
	search_mark(r.hits[0].snippet, SEARCH_MARK_PLAIN, &plain);
	assert_null(strchr(kl_buf_str(&plain), SEARCH_MARK_ON));
	search_result_release(&r);
	search_index_close(idx);
	kl_buf_release(&html);
	kl_buf_release(&plain);
}

static void test_mark_styles(void **state)
{
	struct kl_buf b = KL_BUF_INIT;

	(void)state;
	search_mark("a \x01<b>&\x02 c \x01open", SEARCH_MARK_HTML, &b);
	assert_string_equal(kl_buf_str(&b), "a <mark>&lt;b&gt;&amp;</mark> c <mark>open</mark>");
	kl_buf_reset(&b);
	search_mark("x\x01y\x02z\x02", SEARCH_MARK_ANSI, &b);
	assert_string_equal(kl_buf_str(&b), "x\033[1;4my\033[0mz");
	kl_buf_reset(&b);
	search_mark("line\nnext\x03", SEARCH_MARK_PLAIN, &b);
	assert_string_equal(kl_buf_str(&b), "line next");
	kl_buf_release(&b);
}

static void S_write(const char *path, const char *text)
{
	struct kl_err err;

	assert_int_equal(kl_write_file(path, text, strlen(text), &err), 0);
}

static void test_sync_files(void **state)
{
	char tmpl[] = "/tmp/klab-test-search-XXXXXX";
	char *root = mkdtemp(tmpl);
	struct search_index *idx = NULL;
	struct search_result r;
	struct kl_err err;
	int changed;

	(void)state;
	assert_non_null(root);
	char *notes = kl_path_join(root, "notes"), *lab = kl_sprintf("%s/labs/lab-01", root);
	assert_int_equal(kl_mkdir_p(notes, 0755, &err), 0);
	assert_int_equal(kl_mkdir_p(lab, 0755, &err), 0);
	char *a = kl_path_join(notes, "alpha.md"), *b = kl_path_join(notes, "beta.md");
	char *bad = kl_path_join(notes, "broken.md"), *readme = kl_path_join(lab, "README.md");
	S_write(a, "---\ntitle: Alpha\ntopic: alpha\n---\n# Alpha\n\nThe **wait_event** macro.\n");
	S_write(b, "---\ntitle: Beta\ntopic: beta\n---\nNothing here.\n");
	S_write(bad, "no front matter at all: zebra\n");
	S_write(readme, "---\nid: lab-01\ntitle: Lab one\n---\nCall wait_event here.\n");
	assert_int_equal(search_index_open(&idx, &err), 0);
	assert_int_equal(search_index_sync(idx, root, &changed, &err), 0);
	assert_int_equal(changed, 4);
	assert_int_equal(search_index_count(idx), 3); /* broken.md skipped */
	assert_int_equal(search_run(idx, "wait_event", 10, &r, &err), 0);
	assert_int_equal(r.nhits, 2);
	search_result_release(&r);
	assert_int_equal(search_index_sync(idx, root, &changed, &err), 0);
	assert_int_equal(changed, 0);
	/* an edit, a removal and a fix are all noticed */
	usleep(20000);
	S_write(b, "---\ntitle: Beta\ntopic: beta\n---\nNow about wait_event too.\n");
	unlink(a);
	S_write(bad, "---\ntitle: Fixed\ntopic: broken\n---\nzebra\n");
	assert_int_equal(search_index_sync(idx, root, &changed, &err), 0);
	assert_int_equal(changed, 3);
	assert_int_equal(search_run(idx, "wait_event", 10, &r, &err), 0);
	assert_int_equal(r.nhits, 2);
	for (size_t i = 0; i < r.nhits; i++)
		assert_string_not_equal(r.hits[i].id, "alpha");
	search_result_release(&r);
	assert_int_equal(search_run(idx, "zebra", 10, &r, &err), 0);
	assert_int_equal(r.nhits, 1);
	search_result_release(&r);
	search_index_close(idx);
	assert_int_equal(kl_rm_rf(root, &err), 0);
	free(notes);
	free(lab);
	free(a);
	free(b);
	free(bad);
	free(readme);
}

/* A tree of n notes in study order saying "common", and one more, last in that order,
 * whose title names the word: past the ranking window, found by the title pass. */
static char *S_big_tree(int n)
{
	char tmpl[] = "/tmp/klab-test-search-XXXXXX";
	char *root = kl_strdup(mkdtemp(tmpl));
	struct kl_err err;

	char *notes = kl_path_join(root, "notes");
	assert_int_equal(kl_mkdir_p(notes, 0755, &err), 0);
	for (int i = 0; i < n; i++) {
		char *path = kl_sprintf("%s/n%03d.md", notes, i);
		char *text = kl_sprintf("---\ntitle: Note %d\ntopic: t\norder: %d\n---\n# Note %d\n\n"
					"## First part\n\nA common word, said %d times.\n\n"
					"## Second part\n\nThe common thread again: spin_lock_irqsave.\n",
					i, i, i, i);
		S_write(path, text);
		free(path);
		free(text);
	}
	char *late = kl_path_join(notes, "late.md");
	S_write(late, "---\ntitle: Common knowledge\ntopic: t\norder: 100000\n---\n"
		      "## Why it matters\n\nThis one is about the common case.\n");
	free(late);
	free(notes);
	return root;
}

static void test_file_index_sections_window(void **state)
{
	char *root = S_big_tree(300);
	char *db = kl_path_join(root, "index.db");
	struct search_index *idx = NULL;
	struct search_result r;
	struct kl_err err;
	int changed;

	(void)state;
	assert_int_equal(search_index_open_file(db, &idx, &err), 0);
	assert_int_equal(search_index_sync(idx, root, &changed, &err), 0);
	assert_int_equal(changed, 301);
	assert_int_equal(search_index_count(idx), 301);
	/* 600 sections match: the window ranks the first ones in study order, and the
	 * title pass brings the note named after the word to the top all the same */
	assert_int_equal(search_run(idx, "common ", 5, &r, &err), 0);
	assert_null(r.message);
	assert_int_equal(r.nhits, 5);
	assert_string_equal(r.hits[0].id, "late");
	assert_string_equal(r.hits[0].anchor, "why-it-matters");
	for (size_t i = 1; i < r.nhits; i++) /* one hit a note, its best section */
		for (size_t k = 0; k < i; k++)
			assert_string_not_equal(r.hits[i].id, r.hits[k].id);
	search_result_release(&r);
	/* a section's anchor and heading, as the note page numbers them */
	assert_int_equal(search_run(idx, "thread", 3, &r, &err), 0);
	assert_true(r.nhits > 0);
	assert_string_equal(r.hits[0].anchor, "second-part");
	assert_non_null(strstr(r.hits[0].heading, "Second part"));
	assert_non_null(strchr(r.hits[0].snippet, SEARCH_MARK_ON));
	search_result_release(&r);
	/* a typed prefix past the FTS5 prefix indexes becomes its completions */
	assert_int_equal(search_run(idx, "spin_lock_irq", 3, &r, &err), 0);
	assert_non_null(strstr(r.fts, "\"spin_lock_irqsave\""));
	assert_int_equal(r.nhits, 3);
	search_result_release(&r);
	assert_int_equal(search_run(idx, "common spin_lock_i", 3, &r, &err), 0);
	assert_int_equal(r.nhits, 3);
	assert_null(r.message);
	search_result_release(&r);
	search_index_close(idx);
	/* kept between runs: a restart syncs nothing and answers at once */
	assert_int_equal(search_index_open_file(db, &idx, &err), 0);
	assert_int_equal(search_index_sync(idx, root, &changed, &err), 0);
	assert_int_equal(changed, 0);
	assert_int_equal(search_run(idx, "knowledge", 3, &r, &err), 0);
	assert_int_equal(r.nhits, 1);
	search_result_release(&r);
	search_index_close(idx);
	/* a damaged file is only a cache: it is started again */
	S_write(db, "not a database");
	assert_int_equal(search_index_open_file(db, &idx, &err), 0);
	assert_int_equal(search_index_sync(idx, root, &changed, &err), 0);
	assert_int_equal(changed, 301);
	search_index_close(idx);
	assert_int_equal(kl_rm_rf(root, &err), 0);
	free(db);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_build),
		cmocka_unit_test(test_bad_queries_never_fail),
		cmocka_unit_test(test_identifiers_prefixes_weights),
		cmocka_unit_test(test_snippet_marks_escaped),
		cmocka_unit_test(test_file_index_sections_window),
		cmocka_unit_test(test_mark_styles),
		cmocka_unit_test(test_sync_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
