/*
 * test_grade.c - unit tests of the grading rules (lab/grade.c) on guest output
 * fed through the KTAP parser: a test program's exit status and plan against
 * its results, and tampering markers from the guest's /init.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/grade.h"

/* A lab with three checks, all in test_x: a (1 point), b (2), c (3). */
static struct kl_lab_test S_tests[] = { { "a", 1 }, { "b", 2 }, { "c", 3 } };
static const struct kl_lab S_lab = {
	.id = "fixture-01", .tests = S_tests, .ntests = 3, .max_score = 6, .test_timeout = 10,
};

/* The guest's output around test_x's own lines (plan and results) and its end. */
static void S_grade(const char *program, const char *exit_marker, int top_ok,
		    const char *extra, struct lab_grade *g)
{
	struct lab_ktap kt;
	struct lab_fault f;
	struct lab_vm_result vm;
	char text[4096];

	snprintf(text, sizeof(text),
		 "KLAB-BOOTED\nKTAP version 1\n1..3\n# klab-step: load:mod\nok 1 load:mod\n%s"
		 "# klab-step: test:test_x\n    # Subtest: test_x\n    KTAP version 1\n%s"
		 "# klab-exit: test_x %s\n%s%s 2 test_x\n"
		 "# klab-step: unload:mod\nok 3 unload:mod\nKLAB-DONE\n",
		 extra ? extra : "", program, exit_marker,
		 top_ok ? "" : "# test_x: exited with status 1\n", top_ok ? "ok" : "not ok");
	lab_ktap_init(&kt);
	lab_fault_init(&f);
	memset(&vm, 0, sizeof(vm));
	vm.end = LAB_VM_DONE;
	lab_ktap_feed_text(&kt, text, strlen(text));
	lab_grade(&S_lab, &kt, &f, &vm, 30, g);
	lab_ktap_release(&kt);
	lab_fault_release(&f);
}

static const struct lab_outcome *S_outcome(const struct lab_grade *g, const char *name)
{
	for (size_t i = 0; i < g->ntests; i++)
		if (strcmp(g->tests[i].name, name) == 0)
			return &g->tests[i];
	fail_msg("no outcome %s", name);
	return NULL;
}

static void test_honest_pass(void **state)
{
	struct lab_grade g;

	(void)state;
	S_grade("    1..3\n    ok 1 a\n    ok 2 b\n    ok 3 c\n", "status=0", 1, NULL, &g);
	assert_string_equal(g.verdict, "pass");
	assert_int_equal(g.score, 6);
	assert_int_equal(g.ntests, 3);
	lab_grade_release(&g);
}

static void test_honest_failure_keeps_the_rest(void **state)
{
	struct lab_grade g;

	(void)state;
	S_grade("    1..3\n    ok 1 a\n    # b: expected 2, got 3\n    not ok 2 b\n    ok 3 c\n",
		"status=1", 0, NULL, &g);
	assert_string_equal(g.verdict, "fail");
	assert_int_equal(g.score, 4);
	assert_string_equal(S_outcome(&g, "b")->diagnostic, "expected 2, got 3");
	assert_int_equal(g.ntests, 3); /* no extra outcome for the program itself */
	lab_grade_release(&g);
}

/* Every result says ok, but the program exits 1: what klab read is not what it saw. */
static void test_all_ok_but_exit_status_fails_everything(void **state)
{
	struct lab_grade g;

	(void)state;
	S_grade("    1..3\n    ok 1 a\n    ok 2 b\n    ok 3 c\n", "status=1", 0, NULL, &g);
	assert_string_equal(g.verdict, "fail");
	assert_int_equal(g.score, 0);
	for (size_t i = 0; i < g.ntests; i++) {
		assert_false(g.tests[i].ok);
		assert_non_null(strstr(g.tests[i].diagnostic,
				       "test_x exited with status 1 although none of its 3 results"));
	}
	lab_grade_release(&g);
}

/* A plan of 3 and two results, exit 0: the missing check fails and says why. */
static void test_fewer_results_than_plan(void **state)
{
	struct lab_grade g;

	(void)state;
	S_grade("    1..3\n    ok 1 a\n    ok 2 b\n", "status=0", 1, NULL, &g);
	assert_string_equal(g.verdict, "fail");
	assert_int_equal(g.score, 3);
	assert_false(S_outcome(&g, "c")->ok);
	assert_string_equal(S_outcome(&g, "c")->diagnostic,
			    "not run: test_x printed 2 of the 3 results its plan declared, then "
			    "exited with status 0");
	lab_grade_release(&g);
}

/* A plan of 2, all its checks ok, but a third check undeclared: the program still fails. */
static void test_short_of_plan_with_undeclared_checks(void **state)
{
	struct lab_grade g;

	(void)state;
	S_grade("    1..4\n    ok 1 a\n    ok 2 b\n    ok 3 c\n", "status=0", 1, NULL, &g);
	assert_string_equal(g.verdict, "fail");
	assert_int_equal(g.score, 6);
	const struct lab_outcome *o = S_outcome(&g, "test_x");
	assert_false(o->ok);
	assert_string_equal(o->diagnostic, "test_x printed 3 of the 4 results its plan declared, "
					   "then exited with status 0");
	lab_grade_release(&g);
}

/* Killed midway: the checks it passed count, the rest did not run, and it says how it ended. */
static void test_killed_program(void **state)
{
	struct lab_grade g;

	(void)state;
	S_grade("    1..3\n    ok 1 a\n", "signal=11", 0, NULL, &g);
	assert_string_equal(g.verdict, "fail");
	assert_int_equal(g.score, 1);
	assert_true(S_outcome(&g, "a")->ok);
	assert_non_null(strstr(S_outcome(&g, "b")->diagnostic,
			       "printed 1 of the 3 results its plan declared, then was killed by "
			       "signal 11"));
	lab_grade_release(&g);
}

/* More results than the plan: something else printed results in its name. */
static void test_more_results_than_plan(void **state)
{
	struct lab_grade g;

	(void)state;
	S_grade("    1..1\n    not ok 1 a\n    ok 2 b\n    ok 3 c\n", "status=1", 0, NULL, &g);
	assert_string_equal(g.verdict, "fail");
	assert_int_equal(g.score, 0);
	assert_non_null(strstr(S_outcome(&g, "c")->diagnostic,
			       "test_x printed 3 results against its plan of 1"));
	lab_grade_release(&g);
}

/* A tamper marker: fault, the what and the module in words, and no points. */
static void test_tampering_is_a_fault(void **state)
{
	struct lab_grade g;

	(void)state;
	S_grade("    1..3\n    ok 1 a\n    ok 2 b\n    ok 3 c\n", "status=0", 1,
		"# klab-tamper: load:sigsend: a kprobe on vfs_write\n", &g);
	assert_string_equal(g.verdict, "fault");
	assert_int_equal(g.score, 0);
	assert_non_null(strstr(g.message, "tampering: a kprobe on vfs_write from module sigsend"));
	assert_false(S_outcome(&g, "a")->ok);
	assert_int_equal(S_outcome(&g, "a")->points, 0);
	lab_grade_release(&g);
}

static void test_tamper_markers_in_words(void **state)
{
	struct lab_grade g;

	(void)state;
	S_grade("    1..3\n    ok 1 a\n    ok 2 b\n    ok 3 c\n"
		"# klab-tamper: test:test_x: printk timestamps switched off "
		"(/sys/module/printk/parameters/time: Y -> N)\n"
		"# klab-tamper: test:test_x: a kretprobe on do_wait\n",
		"status=0", 1, NULL, &g);
	assert_string_equal(g.verdict, "fault");
	assert_non_null(strstr(g.message, "tampering: printk timestamps switched off "
					  "(/sys/module/printk/parameters/time: Y -> N), seen after "
					  "test_x ran; a kretprobe on do_wait, seen after test_x ran"));
	lab_grade_release(&g);
}

/* The parser keeps exit markers and nested plans with the program's result. */
static void test_ktap_keeps_exit_and_plan(void **state)
{
	struct lab_ktap kt;
	const char *text = "KTAP version 1\n1..2\n"
			   "# klab-step: test:t\n    # Subtest: t\n    1..5\n    ok 1 x\n"
			   "    1..9\n# klab-exit: t signal=9\nnot ok 1 t\n"
			   "# klab-exit: other status=3\nok 2 u\n"
			   "# klab-tamper: load:m: a kprobe on tty_write\n# klab-exit: bogus\n";

	(void)state;
	lab_ktap_init(&kt);
	lab_ktap_feed_text(&kt, text, strlen(text));
	assert_int_equal(kt.n, 3);
	assert_int_equal(kt.results[1].sub_plan, 5); /* the first plan counts */
	assert_int_equal(kt.results[1].exit_signal, 9);
	assert_int_equal(kt.results[1].exit_status, -1);
	assert_int_equal(kt.results[2].exit_status, -1); /* the marker named another program */
	assert_int_equal(kt.results[2].sub_plan, -1);
	assert_string_equal(kt.tamper, "load:m: a kprobe on tty_write");
	lab_ktap_release(&kt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_honest_pass),
		cmocka_unit_test(test_honest_failure_keeps_the_rest),
		cmocka_unit_test(test_all_ok_but_exit_status_fails_everything),
		cmocka_unit_test(test_fewer_results_than_plan),
		cmocka_unit_test(test_short_of_plan_with_undeclared_checks),
		cmocka_unit_test(test_killed_program),
		cmocka_unit_test(test_more_results_than_plan),
		cmocka_unit_test(test_tampering_is_a_fault),
		cmocka_unit_test(test_tamper_markers_in_words),
		cmocka_unit_test(test_ktap_keeps_exit_and_plan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
