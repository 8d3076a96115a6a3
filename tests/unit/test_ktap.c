/*
 * test_ktap.c - unit tests of the pipeline's reader of the guest output (lab/ktap.c):
 * klab's markers and the flat results over the KTAP tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/ktap.h"

static void feed(struct lab_ktap *k, const char *text)
{
	lab_ktap_feed_text(k, text, strlen(text));
}

static void test_nested_results(void **state)
{
	struct lab_ktap k;

	(void)state;
	lab_ktap_init(&k);
	feed(&k, "KLAB-BOOTED\nKTAP version 1\n1..3\n# klab-step: load:hello\nok 1 load:hello\n"
		 "# klab-step: test:t\n    # Subtest: t\n    KTAP version 1\n    1..2\n"
		 "    ok 1 first\n    # second: expected 3, got 4\n    not ok 2 second\n"
		 "# t: exited with status 1\nnot ok 2 t\nok 3 unload:hello\nKLAB-DONE\n");
	assert_true(k.booted);
	assert_true(k.done);
	assert_true(k.version_seen);
	assert_int_equal(k.plan, 3);
	assert_int_equal(k.n, 5);
	assert_string_equal(k.results[0].name, "load:hello");
	assert_int_equal(k.results[0].depth, 0);
	assert_string_equal(k.results[1].name, "first");
	assert_int_equal(k.results[1].depth, 1);
	assert_string_equal(k.results[1].group, "t");
	assert_true(k.results[1].ok);
	assert_false(k.results[2].ok);
	assert_string_equal(k.results[2].diagnostic, "second: expected 3, got 4");
	assert_string_equal(k.results[3].name, "t");
	assert_string_equal(k.results[3].diagnostic, "t: exited with status 1");
	assert_null(k.results[3].group);
	assert_string_equal(k.step, "test:t");
	lab_ktap_release(&k);
}

static void test_kernel_lines_and_noise_ignored(void **state)
{
	struct lab_ktap k;

	(void)state;
	lab_ktap_init(&k);
	/* a module's printk that looks like KTAP carries a timestamp: never a result */
	feed(&k, "KTAP version 1\n[    1.234] ok 1 fake\nrandom noise\r\n\n"
		 "ok 1 real # SKIP no module\n   \nnot ok 2 - tap style\n");
	assert_int_equal(k.n, 2);
	assert_string_equal(k.results[0].name, "real");
	assert_true(k.results[0].skip);
	assert_string_equal(k.results[0].directive, "SKIP no module");
	assert_string_equal(k.results[1].name, "tap style");
	assert_false(k.results[1].ok);
	lab_ktap_release(&k);
}

static void test_markers(void **state)
{
	struct lab_ktap k;

	(void)state;
	lab_ktap_init(&k);
	feed(&k, "# klab-taint: 12288 after load:hello\n# klab-timeout: test:t\n"
		 "# klab-timeout: unload:hello\n# klab-taint: 12800 after test:t\n");
	assert_true(k.taint_seen);
	assert_int_equal(k.taint, 12800);
	assert_string_equal(k.taint_step, "test:t");
	assert_string_equal(k.timeout_step, "test:t");
	assert_int_equal(k.n, 0);
	lab_ktap_release(&k);
}

static void test_lying_ktap_is_bounded(void **state)
{
	struct lab_ktap k;
	char line[64];

	(void)state;
	lab_ktap_init(&k);
	feed(&k, "KTAP version 1\n1..1\n");
	for (int i = 0; i < LAB_KTAP_MAX_RESULTS + 100; i++) {
		int n = snprintf(line, sizeof(line), "ok %d same", 1);
		lab_ktap_feed(&k, line, (size_t)n);
	}
	assert_int_equal(k.n, LAB_KTAP_MAX_RESULTS);
	assert_int_equal(k.dropped, 100);
	/* a huge diagnostic is cut */
	char big[LAB_KTAP_MAX_DIAG * 3];
	memset(big, 'x', sizeof(big));
	big[0] = '#';
	big[1] = ' ';
	lab_ktap_feed(&k, big, sizeof(big));
	lab_ktap_feed(&k, big, sizeof(big));
	assert_true(k.tree.levels[0].diag.len <= LAB_KTAP_MAX_DIAG + 1);
	lab_ktap_release(&k);
}

static void test_garbage_numbers(void **state)
{
	struct lab_ktap k;

	(void)state;
	lab_ktap_init(&k);
	feed(&k, "KTAP version 1\nok\nok x\nnot ok\nok 99999999999999999999 big\nok 3\n");
	assert_int_equal(k.n, 2);
	assert_string_equal(k.results[0].name, "big");
	assert_string_equal(k.results[1].name, "");
	lab_ktap_release(&k);
}

/* Regression (found by fuzz_ktap): numbers at the very end of an unterminated buffer. */
static void test_unterminated_numbers(void **state)
{
	static const char *lines[] = { "# klab-taint: 1241", "KTAP version 1", "1..3" };
	struct lab_ktap k;

	(void)state;
	lab_ktap_init(&k);
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(lines[i]);
		char *exact = malloc(n); /* no NUL: ASan flags any read past it */
		memcpy(exact, lines[i], n);
		lab_ktap_feed(&k, exact, n);
		free(exact);
	}
	assert_int_equal(k.taint, 1241);
	assert_int_equal(k.plan, 3);
	lab_ktap_release(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_results),
		cmocka_unit_test(test_kernel_lines_and_noise_ignored),
		cmocka_unit_test(test_markers),
		cmocka_unit_test(test_lying_ktap_is_bounded),
		cmocka_unit_test(test_garbage_numbers),
		cmocka_unit_test(test_unterminated_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
