/*
 * test_frontmatter.c - unit tests of the front matter reader (core/frontmatter.c)
 * and the lab catalog built on it (core/catalog.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "core/frontmatter.h"
#include "core/fsutil.h"

static void test_shapes(void **state)
{
	const char *text = "---\n"
			   "title: \"Signals: delivery\"\n"
			   "order: 6\n"
			   "labs: [signals-01, oops-01]\n"
			   "tags:\n  - a\n  - b\n"
			   "points:\n  first: 2\n  second: 1\n"
			   "---\n"
			   "# Body\n";
	struct kl_fm fm;
	struct kl_err err;
	long order;

	(void)state;
	assert_int_equal(kl_fm_parse(text, strlen(text), &fm, &err), 0);
	assert_string_equal(kl_fm_str(&fm, "title"), "Signals: delivery");
	assert_int_equal(kl_fm_int(&fm, "order", 0, 100, 0, &order, &err), 0);
	assert_int_equal(order, 6);
	const struct kl_fm_entry *labs = kl_fm_find(&fm, "labs");
	assert_int_equal(labs->type, KL_FM_LIST);
	assert_int_equal(labs->n, 2);
	assert_string_equal(labs->items[1], "oops-01");
	assert_int_equal(kl_fm_find(&fm, "tags")->n, 2);
	const struct kl_fm_entry *pts = kl_fm_find(&fm, "points");
	assert_int_equal(pts->type, KL_FM_MAP);
	assert_string_equal(pts->items[0], "first");
	assert_string_equal(pts->values[0], "2");
	assert_int_equal(pts->line, 8);
	assert_string_equal(text + fm.body_offset, "# Body\n");
	assert_int_equal(fm.body_line, 12);
	assert_null(kl_fm_str(&fm, "labs"));
	kl_fm_release(&fm);
}

static void expect_error(const char *text, const char *needle)
{
	struct kl_fm fm;
	struct kl_err err = { "" };

	assert_int_equal(kl_fm_parse(text, strlen(text), &fm, &err), -1);
	if (!strstr(err.msg, needle))
		fail_msg("error `%s` does not contain `%s`", err.msg, needle);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("# no front matter\n", "front matter missing");
	expect_error("---\ntitle: x\n", "not closed");
	expect_error("---\ntitle: x\ntitle: y\n---\n", "line 3: `title` is given twice");
	expect_error("---\ntitle: [unclosed\n---\n", "YAML error");
	expect_error("---\nlabs: [[nested]]\n---\n", "may only hold plain values");
	expect_error("---\npoints:\n  a: [1]\n---\n", "must be a plain value");
	expect_error("---\n- a\n- b\n---\n", "expected `key: value` lines");
	expect_error("", "front matter missing");

	struct kl_fm fm;
	struct kl_err err;
	long v;
	const char *t = "---\norder: twelve\n---\n";
	assert_int_equal(kl_fm_parse(t, strlen(t), &fm, &err), 0);
	assert_int_equal(kl_fm_int(&fm, "order", 0, 100, 0, &v, &err), -1);
	assert_non_null(strstr(err.msg, "line 2"));
	kl_fm_release(&fm);
}

static void test_crlf_and_empty(void **state)
{
	const char *text = "---\r\ntitle: x\r\n---\r\nbody";
	struct kl_fm fm;

	(void)state;
	assert_int_equal(kl_fm_parse(text, strlen(text), &fm, NULL), 0);
	assert_string_equal(kl_fm_str(&fm, "title"), "x");
	assert_string_equal(text + fm.body_offset, "body");
	kl_fm_release(&fm);
	assert_int_equal(kl_fm_parse("---\n---\n", 8, &fm, NULL), 0);
	assert_int_equal(fm.n, 0);
	kl_fm_release(&fm);
}

static void test_real_lab(void **state)
{
	struct kl_lab lab;
	struct kl_err err = { "" };

	(void)state;
	if (kl_lab_load(KLAB_SOURCE_DIR, "modules-01", &lab, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(lab.topic, "modules");
	assert_int_equal(lab.nfiles, 1);
	assert_true(lab.max_score > 0);
	assert_int_equal(kl_lab_points(&lab, "no-such-test"), -1);
	assert_int_equal(lab.nkprobes, 0);
	kl_lab_release(&lab);
	/* the kprobe lab declares the function it probes (tamper.h) */
	if (kl_lab_load(KLAB_SOURCE_DIR, "syscalls-01", &lab, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(lab.nkprobes, 1);
	assert_string_equal(lab.kprobes[0], "__x64_sys_getppid");
	kl_lab_release(&lab);
	assert_int_equal(kl_lab_load(KLAB_SOURCE_DIR, "../etc", &lab, &err), -1);
	assert_non_null(strstr(err.msg, "not a lab id"));
	assert_int_equal(kl_lab_load(KLAB_SOURCE_DIR, "no-such-lab", &lab, &err), -1);
	assert_non_null(strstr(err.msg, "klab list"));
}

static void test_valid_id(void **state)
{
	(void)state;
	assert_true(kl_valid_id("signals-01"));
	assert_false(kl_valid_id("-x"));
	assert_false(kl_valid_id("a/b"));
	assert_false(kl_valid_id(".."));
	assert_false(kl_valid_id(""));
	assert_false(kl_valid_id("Upper"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_crlf_and_empty),
		cmocka_unit_test(test_real_lab),
		cmocka_unit_test(test_valid_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
