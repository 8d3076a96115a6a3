/*
 * test_fault.c - unit tests of the kernel fault detector and its DWARF decoder
 * (lab/fault.c), on console logs captured from real runs and on an object file
 * compiled here with debug information.
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
#include "lab/fault.h"

static void feed_file(struct lab_fault *f, const char *name)
{
	struct kl_buf text = KL_BUF_INIT;
	char *path = kl_sprintf("%s/%s", KLAB_TEST_DATA, name);

	assert_int_equal(kl_read_file(path, &text, 0, NULL), 0);
	const char *p = kl_buf_str(&text);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lab_fault_feed(f, p, len);
		p += len + (nl ? 1 : 0);
	}
	kl_buf_release(&text);
	free(path);
}

static void feed(struct lab_fault *f, const char *line)
{
	lab_fault_feed(f, line, strlen(line));
}

static void test_null_deref_log(void **state)
{
	struct lab_fault f;

	(void)state;
	lab_fault_init(&f);
	feed_file(&f, "console-null-deref.log");
	assert_int_equal(f.kind, LAB_FAULT_BUG);
	assert_non_null(strstr(f.title, "NULL pointer dereference"));
	assert_string_equal(f.rip.func, "hello_init");
	assert_int_equal(f.rip.off, 0x13);
	assert_int_equal(f.rip.size, 0x1000);
	assert_string_equal(f.rip.module, "hello");
	assert_true(f.ntrace >= 4);
	assert_string_equal(f.trace[0].func, "do_one_initcall");
	assert_null(f.trace[0].module);
	assert_true(f.trace[0].reliable);
	int unreliable = 0;
	for (size_t i = 0; i < f.ntrace; i++)
		unreliable += !f.trace[i].reliable;
	assert_true(unreliable >= 1); /* the "? handle_mm_fault" guesses */
	assert_true(f.report_lines > 10);
	lab_fault_release(&f);
}

static void test_warning_log(void **state)
{
	struct lab_fault f;

	(void)state;
	lab_fault_init(&f);
	feed_file(&f, "console-warn.log");
	assert_int_equal(f.kind, LAB_FAULT_WARNING);
	assert_string_equal(f.rip.func, "hello_init");
	assert_true(f.count >= 1);
	lab_fault_release(&f);
}

static void test_kinds(void **state)
{
	static const struct {
		const char *line;
		enum lab_fault_kind kind;
	} cases[] = {
		{ "[    2.1] Oops: 0002 [#1] PREEMPT SMP NOPTI", LAB_FAULT_OOPS },
		{ "[    2.1] general protection fault, probably for non-canonical address", LAB_FAULT_OOPS },
		{ "[    2.1] kernel BUG at mm/slub.c:435!", LAB_FAULT_BUG },
		{ "[   30.1] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [insmod:80]", LAB_FAULT_LOCKUP },
		{ "[   30.1] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:", LAB_FAULT_STALL },
		{ "[   30.1] INFO: task insmod:80 blocked for more than 120 seconds.", LAB_FAULT_HUNG },
		{ "[    2.1] Kernel panic - not syncing: Attempted to kill init!", LAB_FAULT_PANIC },
		{ "[    2.1] hello: loaded with greeting=\"klab\" count=3", LAB_FAULT_NONE },
		{ "    ok 1 no_BUG: here", LAB_FAULT_NONE },
		{ "[    2.1] Call Trace:", LAB_FAULT_NONE }, /* dump_stack() is not a fault */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lab_fault f;
		lab_fault_init(&f);
		feed(&f, cases[i].line);
		assert_int_equal(f.kind, cases[i].kind);
		lab_fault_release(&f);
	}
}

static void test_frame_parse(void **state)
{
	struct lab_frame fr;

	(void)state;
	assert_int_equal(lab_frame_parse(" ? list_del+0x1a/0x40 [mylist O]", 32, &fr), 0);
	assert_string_equal(fr.func, "list_del");
	assert_int_equal(fr.off, 0x1a);
	assert_int_equal(fr.size, 0x40);
	assert_string_equal(fr.module, "mylist");
	assert_false(fr.reliable);
	lab_frame_release(&fr);
	assert_int_equal(lab_frame_parse("0x43f319", 8, &fr), -1);
	lab_frame_release(&fr);
	assert_int_equal(lab_frame_parse("foo+bar/0x1", 11, &fr), -1);
	lab_frame_release(&fr);
	assert_int_equal(lab_frame_parse("a b+0x1/0x2", 11, &fr), -1);
	lab_frame_release(&fr);
}

/* Compiles a small file with DWARF and decodes symbol+offset back to its lines. */
static void test_addr2line(void **state)
{
	char dir[] = "/tmp/klab-test-fault-XXXXXX";
	(void)state;
	assert_non_null(mkdtemp(dir));
	char *src = kl_sprintf("%s/crash.c", dir);
	char *obj = kl_sprintf("%s/crash.o", dir);
	const char *code = "int crash(int *p);\n"
			   "int crash(int *p)\n"
			   "{\n"
			   "\treturn *p + 1;\n"
			   "}\n";
	assert_int_equal(kl_write_file(src, code, strlen(code), NULL), 0);
	char *cmd = kl_sprintf("gcc -g -O0 -c -o %s %s", obj, src);
	assert_int_equal(system(cmd), 0);

	char *file = NULL;
	int line = 0;
	assert_int_equal(lab_fault_addr2line(obj, "crash", 0, 0, &file, &line, NULL), 0);
	assert_string_equal(file, src);
	assert_int_equal(line, 3);
	free(file);
	/* somewhere in the body: line 4 */
	assert_int_equal(lab_fault_addr2line(obj, "crash", 8, 0, &file, &line, NULL), 0);
	assert_int_equal(line, 4);
	free(file);
	struct kl_err err;
	assert_int_equal(lab_fault_addr2line(obj, "nosuch", 0, 0, &file, &line, &err), -1);
	assert_non_null(strstr(err.msg, "no function nosuch"));

	struct lab_fault f;
	char *mods[] = { "crash" };
	char *kos[] = { obj };
	lab_fault_init(&f);
	feed(&f, "[    1.0] BUG: kernel NULL pointer dereference, address: 0000000000000000");
	feed(&f, "[    1.0] RIP: 0010:crash+0x8/0x20 [crash]");
	assert_int_equal(lab_fault_decode(&f, mods, kos, 1), 1);
	assert_int_equal(f.line, 4);
	assert_string_equal(f.function, "crash");
	lab_fault_release(&f);

	kl_rm_rf(dir, NULL);
	free(cmd);
	free(src);
	free(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_deref_log),
		cmocka_unit_test(test_warning_log),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_frame_parse),
		cmocka_unit_test(test_addr2line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
