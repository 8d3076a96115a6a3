/*
 * test_ktap_tree.c - unit tests of the KTAP tree parser (lab/ktap_tree.c): every
 * example of Documentation/dev-tools/ktap.rst (Linux 6.1), the rules of
 * lab/ktap_tree.h, and KUnit's output captured from klab's debug kernel
 * (tests/fixtures/ktap, see tests/ktap/kunit_compare.py for the same files
 * against the kernel's own kunit_parser.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "lab/ktap.h"
#include "lab/ktap_tree.h"

#define FIXTURES KLAB_TEST_DATA "/../../fixtures/ktap/"

static void S_shape_of(const struct lab_ktap_tree *t, long i, struct kl_buf *b)
{
	for (long k = i; k >= 0; k = t->nodes[k].next) {
		const struct lab_ktap_node *nd = &t->nodes[k];
		if (k != i)
			kl_buf_putc(b, ' ');
		kl_buf_printf(b, "%s:%s", nd->name, lab_ktap_status_name(nd->status));
		if (nd->first >= 0) {
			kl_buf_putc(b, '[');
			S_shape_of(t, nd->first, b);
			kl_buf_putc(b, ']');
		}
	}
}

/* Parses text, split at newlines (a last line without one counts), into a finished t. */
static void parse(struct lab_ktap_tree *t, const char *text)
{
	size_t len = strlen(text);

	lab_ktap_tree_init(t, NULL, NULL);
	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t l = nl ? (size_t)(nl - text) + 1 : len;
		lab_ktap_tree_feed(t, text, l);
		text += l;
		len -= l;
	}
	lab_ktap_tree_finish(t);
}

/* The tree's shape: "name:status[subtests] ..." then " => overall". Caller frees. */
static char *shape(const char *text)
{
	struct lab_ktap_tree t;
	struct kl_buf b = KL_BUF_INIT;

	parse(&t, text);
	S_shape_of(&t, t.first, &b);
	kl_buf_printf(&b, " => %s", lab_ktap_status_name(t.status));
	lab_ktap_tree_release(&t);
	return kl_buf_detach(&b);
}

#define assert_shape(text, want)                      \
	do {                                          \
		char *got_ = shape(text);             \
		assert_string_equal(got_, want);      \
		free(got_);                           \
	} while (0)

/* ktap.rst, "Test case result lines": each example line, alone under a version line. */
static void test_spec_result_lines(void **state)
{
	struct lab_ktap_tree t;
	static const char *text = "KTAP version 1\n1..6\n"
				  "ok 1 test_case_name\n"
				  "not ok 1 test_case_name\n"
				  "ok 1 test # SKIP necessary dependency unavailable\n"
				  "not ok 1 test # TIMEOUT 30 seconds\n"
				  "ok 5 check return code # rcode=0\n"
				  "not ok 6 test_skipped # SKIP not ok with SKIP is a skip too\n";

	(void)state;
	assert_shape(text, "test_case_name:ok test_case_name:fail test:skip test:fail "
			   "check return code:ok test_skipped:skip => fail");

	parse(&t, text);
	assert_int_equal(t.n, 6);
	assert_string_equal(t.nodes[2].directive, "SKIP necessary dependency unavailable");
	assert_string_equal(t.nodes[3].directive, "TIMEOUT 30 seconds");
	assert_string_equal(t.nodes[4].directive, "rcode=0");
	assert_int_equal(t.nodes[4].number, 5);
	/* numbers 1, 1, 1 where 2, 3, 4 were due */
	assert_int_equal(t.counts.errors, 3);
	assert_int_equal(t.counts.passed, 2);
	assert_int_equal(t.counts.failed, 2);
	assert_int_equal(t.counts.skipped, 2);
	lab_ktap_tree_release(&t);
}

/* ktap.rst, "Version lines": KTAP version 1, TAP version 13 and 14. */
static void test_spec_version_lines(void **state)
{
	(void)state;
	assert_shape("KTAP version 1\n1..1\nok 1 a\n", "a:ok => ok");
	assert_shape("TAP version 13\n1..1\nok 1 a\n", "a:ok => ok");
	assert_shape("TAP version 14\n1..1\nok 1 a\n", "a:ok => ok");
	/* anything before the version line is ignored */
	assert_shape("ok 1 early\n1..5\nKTAP version 1\nok 1 a\n", "a:ok => ok");
	assert_shape("ok 1 no version line\n", " => none");
	assert_shape("", " => none");
}

/* ktap.rst, "Nested tests": the example with two nested subtests. */
static void test_spec_two_nested(void **state)
{
	(void)state;
	assert_shape("KTAP version 1\n"
		     "1..1\n"
		     "  KTAP version 1\n"
		     "  1..2\n"
		     "  ok 1 test_1\n"
		     "  not ok 2 test_2\n"
		     "# example failed\n"
		     "not ok 1 example\n",
		     "example:fail[test_1:ok test_2:fail] => fail");
}

/* ktap.rst, "Nested tests": the example with multiple levels. */
static void test_spec_multiple_levels(void **state)
{
	(void)state;
	assert_shape("KTAP version 1\n"
		     "1..2\n"
		     "  KTAP version 1\n"
		     "  1..2\n"
		     "    KTAP version 1\n"
		     "    1..2\n"
		     "    not ok 1 test_1\n"
		     "    ok 2 test_2\n"
		     "  not ok 1 test_3\n"
		     "  ok 2 test_4 # SKIP\n"
		     "not ok 1 example_test_1\n"
		     "ok 2 example_test_2\n",
		     "example_test_1:fail[test_3:fail[test_1:fail test_2:ok] test_4:skip] "
		     "example_test_2:ok => fail");
}

static const char S_spec_example[] = "KTAP version 1\n"
				     "1..1\n"
				     "  KTAP version 1\n"
				     "  1..3\n"
				     "    KTAP version 1\n"
				     "    1..1\n"
				     "    # test_1: initializing test_1\n"
				     "    ok 1 test_1\n"
				     "  ok 1 example_test_1\n"
				     "    KTAP version 1\n"
				     "    1..2\n"
				     "    ok 1 test_1 # SKIP test_1 skipped\n"
				     "    ok 2 test_2\n"
				     "  ok 2 example_test_2\n"
				     "    KTAP version 1\n"
				     "    1..3\n"
				     "    ok 1 test_1\n"
				     "    # test_2: FAIL\n"
				     "    not ok 2 test_2\n"
				     "    ok 3 test_3 # SKIP test_3 skipped\n"
				     "  not ok 3 example_test_3\n"
				     "not ok 1 main_test\n";

/* ktap.rst, "Example KTAP output", and the hierarchy it says the output defines. */
static void test_spec_example_output(void **state)
{
	struct lab_ktap_tree t;

	(void)state;
	assert_shape(S_spec_example,
		     "main_test:fail[example_test_1:ok[test_1:ok] "
		     "example_test_2:ok[test_1:skip test_2:ok] "
		     "example_test_3:fail[test_1:ok test_2:fail test_3:skip]] => fail");
	parse(&t, S_spec_example);
	/* "test_1, which passes, and outputs the diagnostic message ..." */
	const struct lab_ktap_node *ex1 = &t.nodes[t.nodes[t.first].first];
	assert_string_equal(ex1->name, "example_test_1");
	assert_int_equal(ex1->plan, 1);
	assert_string_equal(t.nodes[ex1->first].diagnostic, "test_1: initializing test_1");
	/* "test_1, which is skipped, with the explanation test_1 skipped" */
	const struct lab_ktap_node *ex2 = &t.nodes[ex1->next];
	assert_string_equal(t.nodes[ex2->first].directive, "SKIP test_1 skipped");
	assert_int_equal(t.nodes[ex2->first].depth, 2);
	assert_int_equal(t.counts.passed, 3);
	assert_int_equal(t.counts.failed, 1);
	assert_int_equal(t.counts.skipped, 2);
	assert_int_equal(t.counts.errors, 0);
	lab_ktap_tree_release(&t);
}

/* The same example indented with tabs, and with four spaces (KUnit): the same tree. */
static void test_tabs_and_four_spaces(void **state)
{
	struct kl_buf tabs = KL_BUF_INIT, four = KL_BUF_INIT;
	char *want = shape(S_spec_example);

	(void)state;
	for (const char *p = S_spec_example; *p; p++) {
		if (*p == ' ' && p[1] == ' ' && (p == S_spec_example || p[-1] == '\n' || p[-1] == ' ')) {
			kl_buf_putc(&tabs, '\t');
			kl_buf_puts(&four, "    ");
			p++;
			continue;
		}
		kl_buf_putc(&tabs, *p);
		kl_buf_putc(&four, *p);
	}
	char *got_tabs = shape(kl_buf_str(&tabs));
	char *got_four = shape(kl_buf_str(&four));
	assert_string_equal(got_tabs, want);
	assert_string_equal(got_four, want);
	assert_non_null(strstr(kl_buf_str(&tabs), "\t\tok 1 test_1"));
	free(got_tabs);
	free(got_four);
	free(want);
	kl_buf_release(&tabs);
	kl_buf_release(&four);
}

/* Deeper than the spec shows: five levels, each two spaces. */
static void test_any_depth(void **state)
{
	(void)state;
	assert_shape("KTAP version 1\n1..1\n"
		     "  KTAP version 1\n  1..1\n"
		     "    KTAP version 1\n    1..1\n"
		     "      KTAP version 1\n      1..1\n"
		     "        KTAP version 1\n        1..1\n"
		     "        not ok 1 e\n"
		     "      ok 1 d\n"
		     "    ok 1 c\n"
		     "  ok 1 b\n"
		     "ok 1 a\n",
		     "a:fail[b:fail[c:fail[d:fail[e:fail]]]] => fail");
}

/* A printk prefix before the version line is stripped from every later line. */
static void test_printk_prefix(void **state)
{
	(void)state;
	assert_shape("[    0.050000] Booting\n"
		     "[    0.060000] TAP version 14\n"
		     "[    0.060001] 1..1\n"
		     "[    0.060002]     # Subtest: suite\n"
		     "[    0.060003]     1..2\n"
		     "[    0.060004] some driver: ok 1 not a result\n"
		     "[    0.060005]     ok 1 a\n"
		     "userspace line without a timestamp: ok 1 x\n"
		     "[    0.060006]     ok 2 b # SKIP not today\n"
		     "[12345.999999] ok 1 suite\n",
		     "suite:ok[a:ok b:skip] => ok");
	/* a literal prefix, and a line that does not carry it */
	assert_shape("kselftest: KTAP version 1\nkselftest: 1..2\nok 1 foreign\n"
		     "kselftest: ok 1 a\nkselftest: not ok 2 b\n",
		     "a:ok b:fail => fail");
}

/* KUnit in a module: each suite's block is indented, its result at column 0. */
static void test_implicit_top_level(void **state)
{
	(void)state;
	assert_shape("[   15.68]     KTAP version 1\n"
		     "[   15.68]     # Subtest: s1\n"
		     "[   15.68]     1..2\n"
		     "[   15.71]     ok 1 a\n"
		     "[   15.72]     ok 2 b\n"
		     "[   15.72] # s1: pass:2 fail:0 skip:0 total:2\n"
		     "[   15.72] ok 1 s1\n"
		     "[   15.73]     KTAP version 1\n"
		     "[   15.73]     # Subtest: s2\n"
		     "[   15.73]     1..1\n"
		     "[   15.74]     not ok 1 c\n"
		     "[   15.74] not ok 2 s2\n",
		     "s1:ok[a:ok b:ok] s2:fail[c:fail] => fail");
}

/* Missing results against a plan: one crashed test each, and a crashed parent. */
static void test_plan_missing_results(void **state)
{
	(void)state;
	assert_shape("KTAP version 1\n1..3\nok 1 a\nok 2 b\n", "a:ok b:ok :crashed => crashed");
	assert_shape("KTAP version 1\n1..2\n"
		     "  KTAP version 1\n  1..3\n  ok 1 x\n"
		     "ok 1 t\nok 2 u\n",
		     "t:crashed[x:ok :crashed :crashed] u:ok => crashed");
	/* a subtest whose own result never came: the next block closes it, crashed */
	assert_shape("KTAP version 1\n1..2\n"
		     "  # Subtest: t\n  1..1\n  ok 1 x\n"
		     "  # Subtest: u\n  1..1\n  ok 1 y\n"
		     "ok 2 u\n",
		     "t:crashed[x:ok] u:ok[y:ok] => crashed");
	/* the end of input closes what is open: crashes bubble up */
	assert_shape("KTAP version 1\n1..1\n  KTAP version 1\n  1..2\n"
		     "    KTAP version 1\n    1..1\n    ok 1 deep\n",
		     ":crashed[:crashed[deep:ok] :crashed] => crashed");
}

/* A skip never fails its parent; a failed subtest fails a parent that said ok. */
static void test_skip_and_bubbling(void **state)
{
	(void)state;
	assert_shape("KTAP version 1\n1..1\n  KTAP version 1\n  1..2\n"
		     "  ok 1 a # SKIP\n  ok 2 b\nok 1 p\n",
		     "p:ok[a:skip b:ok] => ok");
	assert_shape("KTAP version 1\n1..1\n  KTAP version 1\n  1..2\n"
		     "  ok 1 a\n  not ok 2 b\nok 1 p\n",
		     "p:fail[a:ok b:fail] => fail");
	assert_shape("KTAP version 1\n1..2\nok 1 a # SKIP\nok 2 b # skip lower case\n",
		     "a:skip b:skip => skip");
	/* SKIP is a word: SKIPPED is not the directive */
	assert_shape("KTAP version 1\n1..1\nnot ok 1 a # SKIPPED\n", "a:fail => fail");
}

/* TODO (and XFAIL) are not recognized in KTAP (ktap.rst's table): ok/not ok stands. */
static void test_todo(void **state)
{
	(void)state;
	assert_shape("KTAP version 1\n1..3\nnot ok 1 a # TODO not written yet\n"
		     "ok 2 b # TODO\nok 3 c # XFAIL\n",
		     "a:fail b:ok c:ok => fail");
}

/* The last line without a newline counts. */
static void test_last_line_without_newline(void **state)
{
	struct lab_ktap k;
	static const char text[] = "KTAP version 1\n1..2\nok 1 a\nnot ok 2 b";

	(void)state;
	assert_shape(text, "a:ok b:fail => fail");
	lab_ktap_init(&k);
	lab_ktap_feed_text(&k, text, strlen(text));
	assert_int_equal(k.n, 2);
	assert_string_equal(k.results[1].name, "b");
	lab_ktap_release(&k);
}

/* TAP13/14 "# Subtest:" headers, results with no header, "ok N - name". */
static void test_tap_forms(void **state)
{
	(void)state;
	assert_shape("TAP version 13\n1..2\n    # Subtest: s\n    1..1\n    ok 1 - inner\n"
		     "ok 1 - s\n"
		     "    ok 1 headless\n"
		     "not ok 2 t\n",
		     "s:ok[inner:ok] t:fail[headless:ok] => fail");
}

/* klab's own guest: "# Subtest" before the nested version line, markers dropped. */
static void test_klab_guest(void **state)
{
	struct lab_ktap k;
	static const char text[] =
		"KLAB-BOOTED\n# klab-clean: boot=x modules=0 tmp=0\nKTAP version 1\n1..2\n"
		"# klab-step: test:t\n"
		"    # Subtest: t\n    KTAP version 1\n    1..2\n"
		"      KTAP version 1\n      1..1\n        KTAP version 1\n"
		"        # Subtest: suite\n        1..1\n        not ok 1 case\n"
		"      not ok 1 suite\n"
		"    ok 1 kunit_ran\n"
		"    # second: wrong\n    not ok 2 second\n"
		"# t: exited with status 1\nnot ok 1 t\nok 2 unload:m\nKLAB-DONE\n";

	(void)state;
	lab_ktap_init(&k);
	lab_ktap_feed_text(&k, text, strlen(text));
	lab_ktap_finish(&k);
	assert_true(k.booted && k.done && k.clean);
	/* the tree: kunit_ran said ok, but a subtest failed */
	assert_int_equal(k.tree.nodes[k.tree.first].status, LAB_KTAP_FAIL);
	assert_int_equal(k.n, 6);
	assert_string_equal(k.results[0].name, "case");
	assert_int_equal(k.results[0].depth, 3);
	assert_string_equal(k.results[0].group, "suite");
	assert_string_equal(k.results[2].name, "kunit_ran");
	assert_int_equal(k.results[2].status, LAB_KTAP_FAIL);
	assert_false(k.results[2].ok);
	assert_string_equal(k.results[3].diagnostic, "second: wrong");
	assert_string_equal(k.results[4].name, "t");
	assert_string_equal(k.results[4].diagnostic, "t: exited with status 1");
	assert_int_equal(k.results[5].depth, 0);
	lab_ktap_release(&k);
}

/* Bounded whatever comes: depth, nodes. */
static void test_bounds(void **state)
{
	struct lab_ktap_tree t;
	char line[256];

	(void)state;
	lab_ktap_tree_init(&t, NULL, NULL);
	lab_ktap_tree_feed(&t, "KTAP version 1", 14);
	for (int d = 1; d < 100; d++) {
		int n = snprintf(line, sizeof(line), "%*sKTAP version 1", d * 2, "");
		lab_ktap_tree_feed(&t, line, (size_t)n);
	}
	assert_int_equal(t.nlevels, LAB_KTAP_MAX_DEPTH);
	for (int i = 0; i < LAB_KTAP_MAX_NODES + 10; i++)
		lab_ktap_tree_feed(&t, "ok 1 x", 6);
	lab_ktap_tree_finish(&t);
	assert_int_equal(t.n, LAB_KTAP_MAX_NODES);
	assert_true(t.dropped > 0);
	assert_int_equal(t.status, LAB_KTAP_CRASHED);
	lab_ktap_tree_release(&t);

	/* a failure past the limit still fails the whole */
	lab_ktap_tree_init(&t, NULL, NULL);
	lab_ktap_tree_feed(&t, "KTAP version 1", 14);
	for (int i = 0; i < LAB_KTAP_MAX_NODES; i++)
		lab_ktap_tree_feed(&t, "ok 1 x", 6);
	lab_ktap_tree_feed(&t, "ok 1 skipped # SKIP", 19);
	lab_ktap_tree_feed(&t, "not ok 1 late", 13);
	lab_ktap_tree_finish(&t);
	assert_int_equal(t.dropped, 2);
	assert_int_equal(t.counts.passed, LAB_KTAP_MAX_NODES);
	assert_int_equal(t.counts.skipped, 1);
	assert_int_equal(t.counts.failed, 1);
	assert_int_equal(t.status, LAB_KTAP_FAIL);
	lab_ktap_tree_release(&t);
}

/* Regression (found by fuzz_ktap): a plan of 10^8 missing results took seconds to close. */
static void test_huge_plan(void **state)
{
	struct lab_ktap_tree t;
	static const char *lines[] = { "KTAP version 1", "1..99999999", "ok 1 a",
				       "  KTAP version 1", "  1..99999999" };

	(void)state;
	lab_ktap_tree_init(&t, NULL, NULL);
	for (size_t i = 0; i < 5; i++)
		lab_ktap_tree_feed(&t, lines[i], strlen(lines[i]));
	lab_ktap_tree_finish(&t);
	assert_int_equal(t.n, LAB_KTAP_MAX_NODES);
	assert_int_equal(t.dropped, 99999999 - LAB_KTAP_MAX_NODES + 99999999);
	assert_int_equal(t.status, LAB_KTAP_CRASHED);
	lab_ktap_tree_release(&t);
}

/*
 * Regression (found by fuzz_ktap in CI): plans of ~10^9 at several levels made
 * the crashed count overflow an int (UBSan: signed integer overflow).
 */
static void test_plans_past_int(void **state)
{
	struct lab_ktap_tree t;
	/* plans saturate near 10^9 (S_number): three levels of them pass INT_MAX */
	static const char *lines[] = { "KTAP version 1",     "1..999999999",
				       "  KTAP version 1",   "  1..999999999",
				       "    KTAP version 1", "    1..999999999" };

	(void)state;
	lab_ktap_tree_init(&t, NULL, NULL);
	for (size_t i = 0; i < 6; i++)
		lab_ktap_tree_feed(&t, lines[i], strlen(lines[i]));
	lab_ktap_tree_finish(&t);
	assert_int_equal(t.counts.crashed, INT_MAX);
	assert_int_equal(t.status, LAB_KTAP_CRASHED);
	lab_ktap_tree_release(&t);
}

static char *S_fixture_shape(const char *name)
{
	char *path = kl_sprintf(FIXTURES "%s", name);
	struct kl_buf text = KL_BUF_INIT;
	struct kl_err err = { "" };

	if (kl_read_file(path, &text, 1 << 20, &err) < 0)
		fail_msg("%s", err.msg);
	char *s = shape(kl_buf_str(&text));
	kl_buf_release(&text);
	free(path);
	return s;
}

/* Real KUnit output from klab's debug kernel (lib/kunit and lib/list-test modules). */
static void test_kunit_fixtures(void **state)
{
	(void)state;
	char *s = S_fixture_shape("kunit-modules.dmesg");
	assert_non_null(strstr(s, "kunit-try-catch-test:ok[kunit_test_try_catch_successful_try_no_catch:ok "));
	assert_non_null(strstr(s, "example:ok[example_simple_test:ok example_skip_test:skip "
				  "example_mark_skipped_test:skip example_all_expect_macros_test:ok] "));
	assert_non_null(strstr(s, "list_test_list_for_each_entry_reverse:ok] hlist:ok["));
	assert_non_null(strstr(s, " => ok"));
	free(s);
	s = S_fixture_shape("kunit-kcap.dmesg");
	assert_string_equal(s, "kcap:fail[kcap_pass:ok kcap_fail:fail kcap_skip:skip "
			       "kcap_param:fail[value 1:ok value 2:fail value 3:ok]] => fail");
	free(s);
	s = S_fixture_shape("debugfs-kcap.ktap");
	assert_string_equal(s, "kcap:fail[kcap_pass:ok kcap_fail:fail kcap_skip:skip "
			       "kcap_param:fail[value 3:ok]] => fail");
	free(s);
	s = S_fixture_shape("debugfs-list-kunit-test.ktap");
	assert_non_null(strstr(s, "list-kunit-test:ok[list_test_list_init:ok "));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_result_lines),
		cmocka_unit_test(test_spec_version_lines),
		cmocka_unit_test(test_spec_two_nested),
		cmocka_unit_test(test_spec_multiple_levels),
		cmocka_unit_test(test_spec_example_output),
		cmocka_unit_test(test_tabs_and_four_spaces),
		cmocka_unit_test(test_any_depth),
		cmocka_unit_test(test_printk_prefix),
		cmocka_unit_test(test_implicit_top_level),
		cmocka_unit_test(test_plan_missing_results),
		cmocka_unit_test(test_skip_and_bubbling),
		cmocka_unit_test(test_todo),
		cmocka_unit_test(test_last_line_without_newline),
		cmocka_unit_test(test_tap_forms),
		cmocka_unit_test(test_klab_guest),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_huge_plan),
		cmocka_unit_test(test_plans_past_int),
		cmocka_unit_test(test_kunit_fixtures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
