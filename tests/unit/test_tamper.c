/*
 * test_tamper.c - unit tests of the guest's tamper watch (server/guest/tamper.c)
 * on a fake /sys, /proc, /dev/kmsg and /klab/plan in a temporary folder: what
 * it reports, in which words, once, and what it leaves alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tamper.h"

static char S_out[8192]; /* what the watch printed, one line each */

static void S_emit(const char *fmt, ...)
{
	va_list ap;
	size_t used = strlen(S_out);

	va_start(ap, fmt);
	vsnprintf(S_out + used, sizeof(S_out) - used - 1, fmt, ap);
	va_end(ap);
	strcat(S_out, "\n");
}

struct S_tree {
	char root[256];
	struct klab_tamper t;
};

static void S_write(struct S_tree *tr, const char *path, const char *text, const char *mode)
{
	char full[512], cmd[600];

	snprintf(full, sizeof(full), "%s%s", tr->root, path);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%.*s'", (int)(strrchr(full, '/') - full), full);
	assert_int_equal(system(cmd), 0);
	FILE *f = fopen(full, mode);
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A guest as /init sees it before the lab runs: no probes, timestamps on, loglevel 7. */
static int S_setup(void **state)
{
	struct S_tree *tr = calloc(1, sizeof(*tr));
	const char *tmp = getenv("TMPDIR");

	snprintf(tr->root, sizeof(tr->root), "%s/klab-tamper-XXXXXX", tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(tr->root));
	S_write(tr, "/sys/kernel/debug/kprobes/list", "", "w");
	S_write(tr, "/sys/kernel/debug/tracing/enabled_functions", "", "w");
	S_write(tr, "/sys/module/printk/parameters/time", "Y\n", "w");
	S_write(tr, "/sys/module/printk/parameters/ignore_loglevel", "N\n", "w");
	S_write(tr, "/proc/sys/kernel/printk", "7\t4\t1\t7\n", "w");
	S_write(tr, "/proc/sys/kernel/tainted", "0\n", "w");
	S_write(tr, "/proc/consoles", "ttyS0                -W- (EC p a)    4:64\n", "w");
	S_write(tr, "/dev/kmsg", "6,1,100,-;Linux version 6.1\n", "w");
	S_write(tr, "/klab/plan", "timeout 10\nkprobe vfs_read\nmodule /klab/modules/m.ko\n",
		"w");
	S_out[0] = '\0';
	klab_tamper_baseline(&tr->t, tr->root, S_emit);
	*state = tr;
	return 0;
}

static int S_teardown(void **state)
{
	struct S_tree *tr = *state;
	char cmd[300];

	klab_tamper_release(&tr->t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tr->root);
	assert_int_equal(system(cmd), 0);
	free(tr);
	return 0;
}

static void test_nothing_changed(void **state)
{
	struct S_tree *tr = *state;

	klab_tamper_check(&tr->t, "load:", "m");
	klab_tamper_check(&tr->t, "test:", "test_m");
	assert_string_equal(S_out, "");
}

static void test_kprobe_on_output_path(void **state)
{
	struct S_tree *tr = *state;

	S_write(tr, "/sys/kernel/debug/kprobes/list",
		"ffffffff811a2b30  k  vfs_write+0x0    \n"
		"ffffffff81090000  k  __x64_sys_getppid+0x0    \n"
		"ffffffff811a2a00  k  vfs_read+0x0    \n"
		"ffffffff81070000  r  do_wait+0x0    \n", "w");
	klab_tamper_check(&tr->t, "load:", "sigsend");
	klab_tamper_check(&tr->t, "test:", "test_sigsend"); /* reported once only */
	assert_string_equal(S_out, "# klab-tamper: load:sigsend: a kprobe on vfs_write\n"
				   "# klab-tamper: load:sigsend: a kretprobe on do_wait\n");
}

/* Many harmless probes first: the one on the output path is still seen. */
static void test_kprobe_behind_many_others(void **state)
{
	struct S_tree *tr = *state;
	static char list[64 * 1024];
	size_t n = 0;

	for (int i = 0; i < 1000; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n,
				      "ffffffff8100%04x  k  harmless_%d+0x0    \n", i, i);
	snprintf(list + n, sizeof(list) - n, "ffffffff811a2b30  k  pipe_write+0x0    \n");
	S_write(tr, "/sys/kernel/debug/kprobes/list", list, "w");
	klab_tamper_check(&tr->t, "load:", "many");
	assert_string_equal(S_out, "# klab-tamper: load:many: a kprobe on pipe_write\n");
}

static void test_ftrace_hook(void **state)
{
	struct S_tree *tr = *state;

	/* a kprobe through ftrace shows in both lists: named once, as the kprobe */
	S_write(tr, "/sys/kernel/debug/kprobes/list",
		"ffffffff811a2b30  k  ksys_write+0x0    [FTRACE]\n", "w");
	S_write(tr, "/sys/kernel/debug/tracing/enabled_functions",
		"ksys_write (1) R         \ttramp: 0xffffffffc0201000 (kprobe_ftrace_handler+0x0/0x1a0) ->ftrace_ops_assist_func+0x0/0xf0\n"
		"tty_write (1)           \ttramp: 0xffffffffc0203000 (hook+0x0/0x10 [evil]) ->hook+0x0/0x10 [evil]\n"
		"schedule (1)  \n", "w");
	klab_tamper_check(&tr->t, "load:", "evil");
	assert_string_equal(S_out, "# klab-tamper: load:evil: a kprobe on ksys_write\n"
				   "# klab-tamper: load:evil: an ftrace hook on tty_write\n");
}

static void test_printk_switches(void **state)
{
	struct S_tree *tr = *state;

	S_write(tr, "/proc/sys/kernel/printk", "15\t4\t1\t7\n", "w");
	klab_tamper_check(&tr->t, "load:", "m"); /* raised, as an oops does: fine */
	assert_string_equal(S_out, "");
	S_write(tr, "/sys/module/printk/parameters/time", "N\n", "w");
	S_write(tr, "/sys/module/printk/parameters/ignore_loglevel", "Y\n", "w");
	S_write(tr, "/proc/sys/kernel/printk", "1\t4\t1\t7\n", "w");
	klab_tamper_check(&tr->t, "load:", "forger");
	assert_string_equal(
		S_out,
		"# klab-tamper: load:forger: printk timestamps switched off "
		"(/sys/module/printk/parameters/time: Y -> N)\n"
		"# klab-tamper: load:forger: printk's ignore_loglevel changed (N -> Y)\n"
		"# klab-tamper: load:forger: the console loglevel lowered from 7 to 1 "
		"(/proc/sys/kernel/printk)\n");
}

static void test_consoles_changed(void **state)
{
	struct S_tree *tr = *state;

	S_write(tr, "/proc/consoles",
		"ttyS0                -W- (EC p a)    4:64\nnetcon0              -W- (E  p  )\n", "w");
	S_write(tr, "/proc/sys/kernel/tainted", "128\n", "w");
	klab_tamper_check(&tr->t, "test:", "oops"); /* after an oops: not read (console lock) */
	assert_string_equal(S_out, "");
	S_write(tr, "/proc/sys/kernel/tainted", "0\n", "w");
	klab_tamper_check(&tr->t, "test:", "t");
	assert_string_equal(S_out, "# klab-tamper: test:t: the kernel's consoles changed (now: "
				   "ttyS0 -W- (EC p a) 4:64;netcon0 -W- (E p ))\n");
}

static void test_kernel_log_imitating_markers(void **state)
{
	struct S_tree *tr = *state;

	S_write(tr, "/dev/kmsg", "6,2,200,-;klabfs: mounted\n SUBSYSTEM=x\n"
				 "4,3,300,-;KLAB-DONE\n4,4,301,-;    ok 1 load:m\n", "a");
	klab_tamper_check(&tr->t, "load:", "m");
	assert_string_equal(S_out, "# klab-tamper: load:m: the kernel log imitates klab's own "
				   "output: `KLAB-DONE`\n");
}

static void test_output_path_names(void **state)
{
	(void)state;
	assert_true(klab_tamper_output_path("vfs_write"));
	assert_true(klab_tamper_output_path("pipe_write"));
	assert_true(klab_tamper_output_path("serial8250_tx_chars"));
	assert_true(klab_tamper_output_path("vprintk_emit"));
	assert_true(klab_tamper_output_path("do_exit"));
	assert_false(klab_tamper_output_path("__x64_sys_getppid"));
	assert_false(klab_tamper_output_path("x64_sys_call"));
	assert_false(klab_tamper_output_path("kmalloc_trace"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_changed, S_setup, S_teardown),
		cmocka_unit_test_setup_teardown(test_kprobe_on_output_path, S_setup, S_teardown),
		cmocka_unit_test_setup_teardown(test_kprobe_behind_many_others, S_setup,
						S_teardown),
		cmocka_unit_test_setup_teardown(test_ftrace_hook, S_setup, S_teardown),
		cmocka_unit_test_setup_teardown(test_printk_switches, S_setup, S_teardown),
		cmocka_unit_test_setup_teardown(test_consoles_changed, S_setup, S_teardown),
		cmocka_unit_test_setup_teardown(test_kernel_log_imitating_markers, S_setup,
						S_teardown),
		cmocka_unit_test(test_output_path_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
