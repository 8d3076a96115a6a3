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
#include "lab/finding.h"
#include "lab/report.h"
#include "lab/run.h"

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

/* `klab run --json`: the kernel's frames with their source, as the CLI fills them in. */
static void test_report_kernel_frames(void **state)
{
	struct lab_run_result r;
	struct kl_buf json = KL_BUF_INIT;

	(void)state;
	memset(&r, 0, sizeof(r));
	strcpy(r.verdict, "fault");
	lab_fault_init(&r.fault);
	feed_file(&r.fault, "console-null-deref.log");
	lab_report_json(&r, &json);
	assert_non_null(strstr(kl_buf_str(&json), "\"kernel_frames\":[]"));
	kl_buf_reset(&json);
	/* what cli/run.c finds in the source index: do_one_initcall and do_init_module */
	r.fault.trace[0].source = kl_strdup("init/main.c");
	r.fault.trace[0].source_line = 1238;
	r.fault.trace[1].source = kl_strdup("kernel/module/main.c");
	r.fault.trace[1].source_line = 2425;
	lab_report_json(&r, &json);
	assert_non_null(strstr(kl_buf_str(&json),
			       "\"kernel_frames\":[{\"function\":\"do_one_initcall\",\"file\":"
			       "\"init/main.c\",\"line\":1238,\"url\":\"/source/init/main.c#L1238\"},"
			       "{\"function\":\"do_init_module\",\"file\":\"kernel/module/main.c\","
			       "\"line\":2425,\"url\":\"/source/kernel/module/main.c#L2425\"}]"));
	kl_buf_release(&json);
	lab_fault_release(&r.fault);
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
	struct lab_fault_srcs srcs = { mods, kos, 1, NULL, NULL, NULL, 0 };
	assert_int_equal(lab_fault_decode(&f, &srcs), 1);
	assert_int_equal(f.line, 4);
	assert_string_equal(f.function, "crash");
	lab_fault_release(&f);

	kl_rm_rf(dir, NULL);
	free(cmd);
	free(src);
	free(obj);
}

/* Marks the frames of module "hello" decoded as if DWARF said hello.c:<offset>. */
static void fake_decode(struct lab_frame *fr)
{
	if (!fr->func || !fr->module || strcmp(fr->module, "hello") != 0)
		return;
	fr->file = kl_strdup("/work/hello.c");
	fr->line = (int)fr->off;
	fr->function = kl_strdup(fr->func);
	fr->learner = 1;
}

/* Feeds a captured console, decodes it the fake way and describes it. */
static void describe_file(struct lab_fault *f, const char *name)
{
	lab_fault_init(f);
	feed_file(f, name);
	fake_decode(&f->rip);
	for (size_t i = 0; i < f->ntrace; i++)
		fake_decode(&f->trace[i]);
	lab_finding_describe(f);
	assert_non_null(f->summary);
}

static void expect_summary(const char *log, const char *finding, const char *summary)
{
	struct lab_fault f;

	describe_file(&f, log);
	if (strcmp(f.finding, finding) != 0 || strcmp(f.summary, summary) != 0)
		fail_msg("%s:\n  finding %s\n  summary %s", log, f.finding, f.summary);
	lab_fault_release(&f);
}

/* Real reports from the debug kernel (6.1.192, KASAN, lockdep), each in words. */
static void test_findings(void **state)
{
	(void)state;
	/* kfree() then list_del(): 0x12d is the access, 0x125 the kfree, 0x5b the kmalloc */
	/* kfree() then list_del(): 0x12d is the access, 0x125 the kfree, 0x5b the kmalloc */
	expect_summary("console-kasan-uaf.log", "use-after-free",
		       "use-after-free: 8-byte read at hello.c:301 of memory freed at hello.c:293 "
		       "(allocated at hello.c:91)");
	expect_summary("console-kasan-oob.log", "out-of-bounds access (heap)",
		       "out-of-bounds access (heap): 1-byte write at hello.c:146 "
		       "(memory allocated at hello.c:87)");
	expect_summary("console-kasan-double-free.log", "double free",
		       "double free: at hello.c:105 of memory freed at hello.c:97 "
		       "(allocated at hello.c:86)");
	expect_summary("console-atomic-sleep.log", "sleeping in atomic context",
		       "sleeping in atomic context: kmalloc_trace() at hello.c:97 while holding "
		       "spinlock lock_a taken at hello.c:37");
	expect_summary("console-msleep-atomic.log", "sleeping in atomic context",
		       "sleeping in atomic context: msleep() at hello.c:47 while holding "
		       "spinlock lock_a taken at hello.c:37");
	expect_summary("console-abba.log", "possible deadlock (lock order)",
		       "possible deadlock (lock order): lock_a taken at hello.c:24 while holding "
		       "lock_b (taken at hello.c:12); hello.c:49 takes them in the other order");
	expect_summary("console-lock-held.log", "lock held when returning to user space",
		       "lock held when returning to user space: mtx is never released");
	expect_summary("console-bad-unlock.log", "bad unlock balance",
		       "bad unlock balance: mtx released at hello.c:37 but not held");
	expect_summary("console-inconsistent.log", "inconsistent lock state",
		       "inconsistent lock state: lock_a taken at hello.c:205 with softirqs enabled, "
		       "and at hello.c:12 in softirq context: an interrupt can deadlock on it");
	expect_summary("console-refcount.log", "refcount error",
		       "refcount error: decrement hit 0; leaking memory at hello.c:217");
	expect_summary("console-list-add.log", "list corruption",
		       "list corruption: list_add double add: new=ffffffffa0002840, "
		       "prev=ffffffffa0002000, next=ffffffffa0002840 at hello.c:156");
	expect_summary("console-odebug.log", "debug object misuse",
		       "debug object misuse: free active timer_list at hello.c:199");
	expect_summary("console-ubsan.log", "array index out of bounds",
		       "array index out of bounds: index 4 is out of range for type 'int [4]', at "
		       "hello.c:168");
	expect_summary("console-strlen-null.log", "NULL pointer dereference",
		       "NULL pointer dereference: at hello.c:37");
}

/* The stacks of a KASAN report and a lockdep report, frame by frame. */
static void test_stacks(void **state)
{
	struct lab_fault f;

	(void)state;
	lab_fault_init(&f);
	feed_file(&f, "console-kasan-uaf.log");
	assert_true(strncmp(f.detail, "Read of size 8 at addr ", 23) == 0);
	int alloc = 0, freed = 0, trace = 0;
	for (size_t i = 0; i < f.ntrace; i++) {
		alloc += f.trace[i].stack == LAB_STACK_ALLOC;
		freed += f.trace[i].stack == LAB_STACK_FREE;
		trace += f.trace[i].stack == LAB_STACK_TRACE;
	}
	assert_int_equal(alloc, 10);
	assert_int_equal(freed, 13);
	assert_true(trace >= 20); /* "? 0xffffffffa0008000" does not end the trace */
	lab_fault_release(&f);

	lab_fault_init(&f);
	feed_file(&f, "console-abba.log");
	const struct lab_frame *acq = NULL, *held = NULL, *chain = NULL;
	for (size_t i = 0; i < f.ntrace; i++) {
		const struct lab_frame *fr = &f.trace[i];
		if (fr->stack == LAB_STACK_ACQUIRE && !acq)
			acq = fr;
		if (fr->stack == LAB_STACK_HELD && !held)
			held = fr;
		if (fr->stack == LAB_STACK_CHAIN && fr->module && !chain)
			chain = fr;
	}
	assert_non_null(acq);
	assert_string_equal(acq->lock, "lock_a");
	assert_string_equal(acq->lock_type, "spinlock");
	assert_string_equal(acq->func, "path_two");
	assert_int_equal(acq->off, 0x18);
	assert_string_equal(held->lock, "lock_b");
	assert_string_equal(chain->lock, "lock_b");
	assert_string_equal(chain->func, "hello_init");
	lab_fault_release(&f);

	lab_fault_init(&f);
	feed_file(&f, "console-refcount.log");
	assert_string_equal(f.message, "refcount_t: decrement hit 0; leaking memory.");
	lab_fault_release(&f);
}

/* Feeds line as the console gives it: exactly its bytes, no NUL after them (ASan sees a read past). */
static void feed_exact(struct lab_fault *f, const char *line)
{
	size_t n = strlen(line);
	char *copy = malloc(n);

	assert_non_null(copy);
	memcpy(copy, line, n);
	lab_fault_feed(f, copy, n);
	free(copy);
}

/* A line cut right after a number's label: nothing is read past its end (fuzz.fault found it). */
static void test_cut_lines(void **state)
{
	struct lab_fault f;

	(void)state;
	lab_fault_init(&f);
	feed_exact(&f, "[    6.2] klab: kmemleak: unreferenced object 0xffff888004c2c000 (size ");
	feed_exact(&f, "[    6.2] klab: kmemleak: unreferenced object 0xffff888004c30000 (size 64");
	assert_int_equal(f.kind, LAB_FAULT_LEAK);
	assert_int_equal(f.leak[0].bytes, 0);
	assert_int_equal(f.leak[1].bytes, 64);
	lab_fault_release(&f);
	lab_fault_init(&f);
	feed_exact(&f, "WARNING: possible circular locking dependency detected");
	feed_exact(&f, "-> #");
	feed_exact(&f, "-> #12");
	lab_fault_release(&f);
}

/* kmemleak's report as klab's guest prints it, with the module's raw addresses. */
static void test_leak_records(void **state)
{
	static const char *const lines[] = {
		"[    5.1] klab: section hello .text 0xffffffffa0000000",
		"[    5.1] klab: section hello .init.text 0xffffffffa0008000",
		"[    6.0] hello: unloaded",
		"[    6.1] klab: kmemleak: scan",
		"[    6.2] klab: kmemleak: unreferenced object 0xffff888004c2c000 (size 16384):",
		"[    6.2] klab: kmemleak:   comm \"init\", pid 29, jiffies 4294672345",
		"[    6.2] klab: kmemleak:   backtrace:",
		"[    6.2] klab: kmemleak:     [<00000000a7f2e1c3>] kmalloc_trace+0x26/0x53",
		"[    6.2] klab: kmemleak:     [<00000000d2b9c8a1>] 0xffffffffa0008031",
		"[    6.2] klab: kmemleak:     [<00000000d2b9c8a2>] do_one_initcall+0x10b/0x275",
		"[    6.2] klab: kmemleak: unreferenced object 0xffff888004c30000 (size 64):",
		"[    6.2] klab: kmemleak:   comm \"init\", pid 29, jiffies 4294672346",
		"[    6.2] klab: kmemleak:   backtrace:",
		"[    6.2] klab: kmemleak:     [<00000000d2b9c8a3>] 0xffffffffa0008050",
		"[    6.2] klab: kmemleak: end 2 (412 ms)",
		"[    6.3] # klab-done tainted=4096",
	};
	struct lab_fault f;

	(void)state;
	lab_fault_init(&f);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		feed(&f, lines[i]);
	assert_int_equal(f.kind, LAB_FAULT_LEAK);
	assert_int_equal(f.leak_scan, 2);
	assert_int_equal(f.leaks, 2);
	assert_int_equal(f.leak[0].bytes, 16384);
	assert_int_equal(f.leak[1].bytes, 64);
	assert_string_equal(f.leak[0].comm, "init");
	assert_int_equal(f.nsections, 2);
	assert_string_equal(f.sections[1].name, ".init.text");
	assert_int_equal(f.sections[1].addr, 0xffffffffa0008000UL);
	assert_int_equal(f.ntrace, 4);
	assert_null(f.trace[1].func);
	assert_int_equal(f.trace[1].addr, 0xffffffffa0008031UL);
	assert_int_equal(f.trace[3].obj, 1);
	assert_false(f.collecting);
	/* what the decoder makes of the raw frames */
	for (size_t i = 1; i < f.ntrace; i += 2) {
		f.trace[i].file = kl_strdup("/w/hello.c");
		f.trace[i].line = 41 + (int)i;
		f.trace[i].learner = 1;
	}
	lab_finding_describe(&f);
	assert_string_equal(f.summary, "memory leak: 16384 bytes allocated at hello.c:42 never freed "
				       "(2 objects of yours leaked, 16448 bytes in all)");
	lab_fault_release(&f);
}

/*
 * A NULL passed to an inlined kernel helper: DWARF's line table says the
 * header, the inline chain says the learner's line. Also a raw address mapped
 * through a recorded section.
 */
static void test_inline_chain(void **state)
{
	char dir[] = "/tmp/klab-test-inline-XXXXXX";
	(void)state;
	assert_non_null(mkdtemp(dir));
	char *hdr = kl_sprintf("%s/helper.h", dir);
	char *src = kl_sprintf("%s/mine.c", dir);
	char *obj = kl_sprintf("%s/mine.o", dir);
	const char *h = "static inline int helper_len(const char *s)\n"
			"{\n"
			"\tint n = 0;\n"
			"\twhile (s[n])\n"
			"\t\tn++;\n"
			"\treturn n;\n"
			"}\n";
	const char *c = "#include \"helper.h\"\n"
			"int mine(const char *who);\n"
			"int mine(const char *who)\n"
			"{\n"
			"\treturn helper_len(who) + 1;\n"
			"}\n";
	assert_int_equal(kl_write_file(hdr, h, strlen(h), NULL), 0);
	assert_int_equal(kl_write_file(src, c, strlen(c), NULL), 0);
	char *cmd = kl_sprintf("gcc -g -O2 -c -o %s %s", obj, src);
	assert_int_equal(system(cmd), 0);

	/* the first load of s[n] is in the header, inlined into mine() */
	struct lab_srcpos *pos = NULL;
	size_t n = 0;
	unsigned long off = 0;
	for (off = 0; off < 16; off++) {
		assert_int_equal(lab_fault_inline_chain(obj, "mine", off, 0, &pos, &n, NULL), 0);
		if (n == 2)
			break;
		lab_srcpos_free(pos, n);
	}
	assert_int_equal(n, 2);
	assert_string_equal(pos[0].func, "helper_len");
	assert_string_equal(pos[0].file, hdr);
	assert_int_equal(pos[1].line, 5);
	assert_string_equal(pos[1].func, "mine");
	lab_srcpos_free(pos, n);

	struct lab_fault f;
	char *mods[] = { "mine" };
	char *kos[] = { obj };
	char *names[] = { "mine.c" };
	char *origins[] = { "/home/me/mine.c" };
	struct lab_fault_srcs srcs = { mods, kos, 1, dir, names, origins, 1 };
	lab_fault_init(&f);
	feed(&f, "[    1.0] BUG: kernel NULL pointer dereference, address: 0000000000000000");
	char *rip = kl_sprintf("[    1.0] RIP: 0010:mine+0x%lx/0x20 [mine]", off);
	feed(&f, rip);
	assert_int_equal(lab_fault_decode(&f, &srcs), 1);
	assert_string_equal(f.file, "/home/me/mine.c");
	assert_int_equal(f.line, 5);
	assert_string_equal(f.function, "mine");
	assert_non_null(strstr(f.context, "helper_len (helper.h:"));
	lab_fault_release(&f);

	/* the same address, raw, after the module is gone */
	lab_fault_init(&f);
	feed(&f, "[    1.0] klab: section mine .text 0xffffffffa0000000");
	feed(&f, "[    1.0] klab: kmemleak: unreferenced object 0xffff888004c2c000 (size 8):");
	feed(&f, "[    1.0] klab: kmemleak:   backtrace:");
	char *raw = kl_sprintf("[    1.0] klab: kmemleak:     [<0000000012345678>] 0x%lx",
			       0xffffffffa0000000UL + off + 1);
	feed(&f, raw);
	assert_int_equal(lab_fault_decode(&f, &srcs), 1);
	assert_string_equal(f.trace[0].func, "mine");
	assert_int_equal(f.line, 5);
	lab_fault_release(&f);

	kl_rm_rf(dir, NULL);
	free(raw);
	free(rip);
	free(cmd);
	free(hdr);
	free(src);
	free(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_deref_log),
		cmocka_unit_test(test_warning_log),
		cmocka_unit_test(test_report_kernel_frames),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_frame_parse),
		cmocka_unit_test(test_addr2line),
		cmocka_unit_test(test_findings),
		cmocka_unit_test(test_stacks),
		cmocka_unit_test(test_leak_records),
		cmocka_unit_test(test_cut_lines),
		cmocka_unit_test(test_inline_chain),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
