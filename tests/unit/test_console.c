/*
 * test_console.c - unit tests of telling kernel records from program lines on
 * the shared guest console (lab/console.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lab/console.h"

static size_t at(const char *s)
{
	return lab_console_kernel_at(s, strlen(s));
}

static void test_kernel_record_inside_a_program_line(void **state)
{
	const char *cut = "    ok 9 rej[    1.530000] hello: count=0 is out of range 1..10";

	(void)state;
	assert_int_equal(at(cut), 12);
	assert_true(lab_console_is_kernel(cut + 12, strlen(cut + 12)));
	assert_false(lab_console_is_kernel(cut, strlen(cut)));
}

static void test_whole_lines(void **state)
{
	(void)state;
	assert_int_equal(at("[    1.530000] hello: loaded"), 0);
	assert_true(lab_console_is_kernel("[    1.530000] hello", 20));
	assert_true(lab_console_is_kernel("[12345.6]", 9));
	assert_int_equal(at("    ok 9 rejects_count_0"), 0);
	assert_int_equal(at("# x: expected [1, 2], got [3.]"), 0);
	assert_int_equal(at("a[1.]"), 0);
	assert_int_equal(at("a[.5]"), 0);
	assert_int_equal(at("a[ 1.5"), 0);
	assert_false(lab_console_is_kernel("[", 1));
	assert_false(lab_console_is_kernel("", 0));
	assert_int_equal(at("x[y[   2.000001] z"), 3);
}

struct lines {
	char text[8][128];
	int n;
};

static void collect(void *ctx, const char *line, size_t len)
{
	struct lines *l = ctx;

	snprintf(l->text[l->n++], sizeof(l->text[0]), "%.*s", (int)len, line);
}

static void feed(struct lab_console *c, struct lines *l, const char *line)
{
	lab_console_feed(c, line, strlen(line), collect, l);
}

/* The program's line comes back whole, after the kernel records written into it. */
static void test_rejoin(void **state)
{
	struct lab_console c;
	struct lines l = { .n = 0 };

	(void)state;
	lab_console_init(&c);
	feed(&c, &l, "    ok 9 rej[    1.530000] hello: count=0 is out of range 1..10");
	feed(&c, &l, "[    1.530100] second record");
	feed(&c, &l, "ects_count_0");
	feed(&c, &l, "    ok 10 plain");
	assert_int_equal(l.n, 4);
	assert_string_equal(l.text[0], "[    1.530000] hello: count=0 is out of range 1..10");
	assert_string_equal(l.text[1], "[    1.530100] second record");
	assert_string_equal(l.text[2], "    ok 9 rejects_count_0");
	assert_string_equal(l.text[3], "    ok 10 plain");
	lab_console_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_record_inside_a_program_line),
		cmocka_unit_test(test_whole_lines),
		cmocka_unit_test(test_rejoin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
