/*
 * test_check.c - unit tests of `klab check`: the code span classifier, link
 * parsing and heading anchors (check/check.c), identifiers in prose
 * (check/words.c), the kernel's names as the source index records them, their
 * look-up and suggestions (xref/names.c), and check_notes() on a small notes
 * tree, with a learner's note outside it, written to a temporary folder.
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

#include "core/catalog.h"
#include "check/check.h"
#include "core/fsutil.h"
#include "tree.h"
#include "xref/names.h"
#include "xref/scan.h"
#include "xref/xref.h"

/* ---- code spans ---- */

static void expect_span(const char *text, enum check_span_kind kind, const char *name)
{
	struct check_span sp;

	check_span_classify(text, &sp);
	if (sp.kind != kind)
		fail_msg("`%s`: kind %d, expected %d", text, sp.kind, kind);
	if (name && strcmp(sp.name, name) != 0)
		fail_msg("`%s`: name `%s`, expected `%s`", text, sp.name, name);
}

static void test_span_classify(void **state)
{
	struct check_span sp;

	(void)state;
	expect_span("__send_signal()", CHECK_SPAN_FUNC, "__send_signal");
	expect_span("kmalloc(GFP_KERNEL)", CHECK_SPAN_FUNC, "kmalloc");
	expect_span("SYSCALL_DEFINE1(exit)", CHECK_SPAN_FUNC, "SYSCALL_DEFINE1");
	expect_span("sigaction(2)", CHECK_SPAN_NONE, NULL);
	expect_span("pthread_create(3p)", CHECK_SPAN_NONE, NULL);
	expect_span("module_param(name, type, perm)", CHECK_SPAN_NONE, NULL);
	expect_span("p->fn()", CHECK_SPAN_NONE, NULL);

	expect_span("struct task_struct", CHECK_SPAN_TAG, "task_struct");
	check_span_classify("union bpf_attr", &sp);
	assert_int_equal(sp.tag, XREF_N_UNION);
	check_span_classify("enum pid_type", &sp);
	assert_int_equal(sp.tag, XREF_N_ENUM);
	expect_span("struct task_struct *p", CHECK_SPAN_NONE, NULL);
	expect_span("strace -f ./a.out", CHECK_SPAN_NONE, NULL);

	expect_span("kernel/signal.c", CHECK_SPAN_PATH, "kernel/signal.c");
	expect_span("include/linux/sched.h", CHECK_SPAN_PATH, "include/linux/sched.h");
	expect_span("Documentation/dev-tools/ktap.rst", CHECK_SPAN_PATH, NULL);
	expect_span("arch/x86/entry/entry_64.S", CHECK_SPAN_PATH, NULL);
	expect_span("include/asm-generic/vmlinux.lds.h", CHECK_SPAN_PATH, NULL);
	expect_span("scripts/Makefile.modpost", CHECK_SPAN_PATH, NULL);
	expect_span("lib/Kconfig.debug", CHECK_SPAN_PATH, NULL);
	expect_span("Documentation/memory-barriers.txt", CHECK_SPAN_PATH, NULL);
	check_span_classify("<linux/sched.h>", &sp);
	assert_int_equal(sp.kind, CHECK_SPAN_PATH);
	assert_string_equal(sp.name, "linux/sched.h");
	assert_true(sp.include);
	expect_span("kernel/futex/", CHECK_SPAN_DIR, "kernel/futex");
	expect_span("hello.c", CHECK_SPAN_NONE, NULL);
	expect_span("/proc/self/maps", CHECK_SPAN_NONE, NULL);
	expect_span("/sys/kernel/debug/", CHECK_SPAN_NONE, NULL);
	expect_span("../labs/x.c", CHECK_SPAN_NONE, NULL);
	expect_span("a/b.py", CHECK_SPAN_NONE, NULL);
	expect_span("arch/x86/entry/syscalls/syscall_64.tbl", CHECK_SPAN_PATH, NULL);
	expect_span("foo/bar/", CHECK_SPAN_NONE, NULL);
	expect_span("kernel/", CHECK_SPAN_DIR, "kernel");

	expect_span("GFP_KERNEL", CHECK_SPAN_UPPER, "GFP_KERNEL");
	expect_span("CONFIG_KPROBES", CHECK_SPAN_UPPER, NULL);
	expect_span("__TASK_STOPPED", CHECK_SPAN_UPPER, NULL);
	expect_span("SIGKILL", CHECK_SPAN_NONE, NULL);
	expect_span("task_struct", CHECK_SPAN_IDENT, "task_struct");
	expect_span("__u32", CHECK_SPAN_IDENT, NULL);
	expect_span("current", CHECK_SPAN_NONE, NULL);
	expect_span("Elf64_Ehdr", CHECK_SPAN_NONE, NULL);
	expect_span("task->__state", CHECK_SPAN_NONE, NULL);
	expect_span("CONFIG_X=y", CHECK_SPAN_NONE, NULL);
	expect_span("TIF_*", CHECK_SPAN_NONE, NULL);
	expect_span("", CHECK_SPAN_NONE, NULL);
}

/* ---- prose ---- */

/* The words check_text_next finds in text, as "name" or "name()", joined by spaces. */
static void expect_words(const char *text, const char *want)
{
	struct kl_buf got = KL_BUF_INIT;
	struct check_span sp;
	size_t pos = 0, start;

	while (check_text_next(text, &pos, &sp, &start)) {
		assert_memory_equal(text + start, sp.name, strlen(sp.name));
		kl_buf_printf(&got, "%s%s%s", got.len ? " " : "", sp.name,
			      sp.kind == CHECK_SPAN_FUNC ? "()" : "");
	}
	if (strcmp(kl_buf_str(&got), want) != 0)
		fail_msg("in \"%s\": found \"%s\", expected \"%s\"", text, kl_buf_str(&got), want);
	kl_buf_release(&got);
}

static void test_text_words(void **state)
{
	(void)state;
	/* the seed note's lines */
	expect_words("\tget_signal_deliver()", "get_signal_deliver()");
	expect_words("if fatal -> do_greoup_exit()->...__cleanup_sighand()",
		     "do_greoup_exit() __cleanup_sighand()");
	expect_words("For example, all start_xmit of ppp_channel_ops, ",
		     "start_xmit ppp_channel_ops");
	expect_words("tsk->sig_state and file.f_op and schedule() but not Linux()s",
		     "sig_state f_op schedule()");
	/* English, paths, files, URLs, mail, options, hyphens, upper case: none */
	expect_words("The quick brown fox; it's 3_4 of a well-known x86_64 (really).", "x86_64");
	expect_words("kernel/sched_core.c and sched_core.c and my_dir/ and ~/my_notes",
		     "");
	expect_words("see https://lwn.net/a_b_c and www.x.org/some_page and me@my_host.org",
		     "");
	expect_words("--dry_run, pre-fetch_ahead, GFP_KERNEL, CONFIG_SMP, trailing_ and _",
		     "");
	expect_words("__init and __this_cpu_read() and _do_fork()",
		     "__init __this_cpu_read() _do_fork()");
	expect_words("", "");
}

/* ---- links ---- */

static void test_link_parse(void **state)
{
	struct check_link l;

	(void)state;
	check_link_parse("lab:signals-01", &l);
	assert_int_equal(l.kind, CHECK_LINK_LAB);
	assert_string_equal(l.target, "signals-01");
	check_link_parse("signals.md", &l);
	assert_int_equal(l.kind, CHECK_LINK_NOTE);
	assert_string_equal(l.target, "signals");
	assert_string_equal(l.anchor, "");
	check_link_parse("memory.md#page-faults", &l);
	assert_int_equal(l.kind, CHECK_LINK_NOTE);
	assert_string_equal(l.target, "memory");
	assert_string_equal(l.anchor, "page-faults");
	check_link_parse("#lockdep", &l);
	assert_int_equal(l.kind, CHECK_LINK_ANCHOR);
	assert_string_equal(l.anchor, "lockdep");
	check_link_parse("/static/diagrams/list-head.svg", &l);
	assert_int_equal(l.kind, CHECK_LINK_STATIC);
	assert_string_equal(l.target, "diagrams/list-head.svg");
	check_link_parse("https://lwn.net/Articles/1/", &l);
	assert_int_equal(l.kind, CHECK_LINK_EXTERNAL);
	check_link_parse("../notes/memory.md", &l);
	assert_int_equal(l.kind, CHECK_LINK_OTHER);
	check_link_parse("Memory.md", &l);
	assert_int_equal(l.kind, CHECK_LINK_OTHER);
	check_link_parse("ftp://x", &l);
	assert_int_equal(l.kind, CHECK_LINK_OTHER);
}

/* ---- anchors ---- */

static void test_anchors(void **state)
{
	const char *md = "# Processes\n\n"
			 "## task_struct: the PCB\n\n"
			 "### `SIGKILL`, `SIGSTOP` and `TASK_KILLABLE`\n\n"
			 "Setext heading\n--------------\n\n"
			 "```\n# not a heading\n```\n"
			 "## Example\n\n## Example\n\n## !!!\n";
	char **a;
	size_t n;

	(void)state;
	assert_int_equal(check_anchors(md, strlen(md), &a, &n, NULL), 0);
	assert_int_equal(n, 7);
	assert_string_equal(a[0], "processes");
	assert_string_equal(a[1], "task_struct-the-pcb");
	assert_string_equal(a[2], "sigkill-sigstop-and-task_killable");
	assert_string_equal(a[3], "setext-heading");
	assert_string_equal(a[4], "example");
	assert_string_equal(a[5], "example-1");
	assert_string_equal(a[6], "section");
	kl_strv_free(a, n);
}

/* ---- the names an index records ---- */

static const char S_c_source[] =
	"/* struct fake_comment { int x; }; */\n"
	"// void fake_line_comment(void) {}\n"
	"#include <linux/types.h>\n"
	"#define OBJ_MACRO 1\n"
	"#define FN_MACRO(x) ((x) + 1)\n"
	"#define MULTI_LINE(a) \\\n"
	"\tdo { fake_in_macro(a); } while (0)\n"
	"struct sched_thing {\n"
	"\tunsigned int __state;\n"
	"\tconst struct sched_class *sched_class;\n"
	"\tchar comm[TASK_COMM_LEN];\n"
	"\tint (*handler)(struct sched_thing *, int);\n"
	"\tunsigned int flag_bits:3;\n"
	"\tunion {\n"
	"\t\tstruct list_head tasks;\n"
	"\t\tint count __aligned(8);\n"
	"\t};\n"
	"} __randomize_layout;\n"
	"enum pid_kind { PIDKIND_PID, PIDKIND_TGID = 3, PIDKIND_MAX = FN_MACRO(2) };\n"
	"typedef unsigned int __bitwise my_gfp_t;\n"
	"typedef struct { int v; } my_atomic_t;\n"
	"typedef int (*my_handler_t)(int);\n"
	"extern struct sched_thing init_thing;\n"
	"static struct ops thing_ops __initdata = { .x = 1 };\n"
	"int thing_table[4];\n"
	"static inline int thing_inline(int a)\n"
	"{\n"
	"\tconst char *s = \"} struct fake_string {\";\n"
	"\tchar c = '{';\n"
	"\treturn a + s[0] + c;\n"
	"}\n"
	"asmlinkage __visible void __sched do_thing(void) __acquires(x)\n"
	"{\n"
	"\tstruct local_thing { int y; } l;\n"
	"}\n"
	"int declared_thing(int a);\n"
	"__attribute__((unused)) static int after_attr(void) { return 0; }\n"
	"SYSCALL_DEFINE3(thingcall, int, a, int, b, int, c)\n"
	"{\n"
	"\treturn 0;\n"
	"}\n"
	"DEFINE_PER_CPU(struct sched_thing *, current_thing);\n"
	"DEFINE_IDTENTRY_RAW(thing_vector)\n"
	"{\n"
	"}\n"
	"#ifdef CONFIG_A\n"
	"static int split_brace(int a) {\n"
	"#else\n"
	"static int split_brace(void) {\n"
	"#endif\n"
	"\treturn 0;\n"
	"}\n"
	"int after_split(void)\n"
	"{\n"
	"\treturn 1;\n"
	"}\n"
	".macro ASM_THING reg\n";

static const char S_asm_source[] =
	"#include <linux/linkage.h>\n#define ASM_CONST 4\n"
	"SYM_CODE_START(entry_thing_64)\n\tpushq %rax\nSYM_CODE_END(entry_thing_64)\n"
	"SYM_FUNC_START_LOCAL(local_asm_thing)\nSYM_INNER_LABEL(inner_thing, SYM_L_GLOBAL)\n"
	".macro SAVE_THING\n.endm\n";

static void expect_kind(const struct xref_names *nx, const char *name, unsigned kind)
{
	unsigned got = xref_names_lookup(nx, name);

	if (!(got & kind))
		fail_msg("`%s`: kinds %#x, expected %#x", name, got, kind);
}

static void expect_absent(const struct xref_names *nx, const char *name)
{
	unsigned got = xref_names_lookup(nx, name);

	if (got)
		fail_msg("`%s` should not be recorded (kinds %#x)", name, got);
}

/* The names of S_c_source and S_asm_source, as the index of a tarball holding them has them. */
static void expect_source_names(const struct xref_names *nx)
{
	expect_kind(nx, "OBJ_MACRO", XREF_N_MACRO);
	expect_kind(nx, "FN_MACRO", XREF_N_MACRO);
	expect_kind(nx, "MULTI_LINE", XREF_N_MACRO);
	expect_kind(nx, "sched_thing", XREF_N_STRUCT);
	expect_kind(nx, "__state", XREF_N_MEMBER);
	expect_kind(nx, "sched_class", XREF_N_MEMBER);
	expect_kind(nx, "comm", XREF_N_MEMBER);
	expect_kind(nx, "handler", XREF_N_MEMBER);
	expect_kind(nx, "flag_bits", XREF_N_MEMBER);
	expect_kind(nx, "tasks", XREF_N_MEMBER);
	expect_kind(nx, "count", XREF_N_MEMBER);
	expect_kind(nx, "pid_kind", XREF_N_ENUM);
	expect_kind(nx, "PIDKIND_PID", XREF_N_ENUM_CONST);
	expect_kind(nx, "PIDKIND_TGID", XREF_N_ENUM_CONST);
	expect_kind(nx, "PIDKIND_MAX", XREF_N_ENUM_CONST);
	expect_kind(nx, "my_gfp_t", XREF_N_TYPEDEF);
	expect_kind(nx, "my_atomic_t", XREF_N_TYPEDEF);
	expect_kind(nx, "my_handler_t", XREF_N_TYPEDEF);
	expect_kind(nx, "init_thing", XREF_N_VAR);
	expect_kind(nx, "thing_ops", XREF_N_VAR);
	expect_kind(nx, "thing_table", XREF_N_VAR);
	expect_kind(nx, "thing_inline", XREF_N_FUNC);
	expect_kind(nx, "do_thing", XREF_N_FUNC);
	expect_kind(nx, "local_thing", XREF_N_STRUCT);
	expect_kind(nx, "declared_thing", XREF_N_FUNC_DECL);
	expect_kind(nx, "after_attr", XREF_N_FUNC);
	expect_kind(nx, "__x64_sys_thingcall", XREF_N_FUNC);
	expect_kind(nx, "__ia32_sys_thingcall", XREF_N_FUNC);
	expect_kind(nx, "__do_sys_thingcall", XREF_N_FUNC);
	expect_kind(nx, "current_thing", XREF_N_VAR);
	expect_kind(nx, "thing_vector", XREF_N_FUNC);
	expect_kind(nx, "split_brace", XREF_N_FUNC);
	expect_kind(nx, "after_split", XREF_N_FUNC);
	expect_kind(nx, "ASM_CONST", XREF_N_MACRO);
	expect_kind(nx, "entry_thing_64", XREF_N_FUNC);
	expect_kind(nx, "local_asm_thing", XREF_N_FUNC);
	expect_kind(nx, "inner_thing", XREF_N_FUNC);
	expect_kind(nx, "SAVE_THING", XREF_N_MACRO);
	expect_absent(nx, "fake_comment");
	expect_absent(nx, "fake_line_comment");
	expect_absent(nx, "fake_in_macro");
	expect_absent(nx, "fake_string");
	expect_absent(nx, "__acquires");
	expect_absent(nx, "int");
}

struct S_defs {
	char names[1024];
};

static void on_def(void *ctx, const char *name, size_t n, unsigned kinds)
{
	struct S_defs *d = ctx;
	size_t len = strlen(d->names);

	snprintf(d->names + len, sizeof(d->names) - len, "%.*s:%#x ", (int)n, name, kinds);
}

/*
 * The names #defines and macro calls define (scan.c: not the macro call in a
 * function body, not DEFINE_NOT_THIS's definition as a call), the Kconfig
 * reader and which files are read.
 */
static void test_scan_macros_kconfig(void **state)
{
	const char *c = "SYSCALL_DEFINE2(kill, pid_t, pid, int, sig)\n{\n\tDEFINE_MUTEX(in_body);\n}\n"
			"COMPAT_SYSCALL_DEFINE1(sigpending, compat_old_sigset_t __user *, set)\n{\n}\n"
			"static DEFINE_SPINLOCK(thing_lock);\nstatic LIST_HEAD(thing_list);\n"
			"DECLARE_IDTENTRY(X86_TRAP_DE, exc_divide_error);\n"
			"#define DEFINE_NOT_THIS(x) x\n"
			".macro PUSH_THING rdx=%rdx\n.endm\n";
	const char *kconfig = "menu \"x\"\nconfig KPROBES\n\tbool \"Kprobes\"\n"
			      "menuconfig FTRACE\n  bool\n# config NOT_THIS\n";
	struct S_defs d = { "" };
	const struct xref_scan_cb cb = { &d, NULL, NULL, NULL, on_def };
	struct xref_names_builder *b = xref_names_builder_new();
	char want[1024];

	(void)state;
	xref_scan_c(c, strlen(c), &cb);
	snprintf(want, sizeof(want),
		 "__x64_sys_kill:%#x __ia32_sys_kill:%#x __se_sys_kill:%#x __do_sys_kill:%#x "
		 "sys_kill:%#x __ia32_compat_sys_sigpending:%#x __x64_compat_sys_sigpending:%#x "
		 "__se_compat_sys_sigpending:%#x __do_compat_sys_sigpending:%#x "
		 "compat_sys_sigpending:%#x thing_lock:%#x thing_list:%#x "
		 "exc_divide_error:%#x asm_exc_divide_error:%#x DEFINE_NOT_THIS:%#x "
		 "PUSH_THING:%#x ",
		 XREF_N_FUNC, XREF_N_FUNC, XREF_N_FUNC, XREF_N_FUNC, XREF_N_FUNC, XREF_N_FUNC,
		 XREF_N_FUNC, XREF_N_FUNC, XREF_N_FUNC, XREF_N_FUNC, XREF_N_VAR, XREF_N_VAR,
		 XREF_N_FUNC_DECL, XREF_N_FUNC_DECL, XREF_N_MACRO, XREF_N_MACRO);
	assert_string_equal(d.names, want);
	xref_names_scan_kconfig(b, kconfig, strlen(kconfig));
	assert_int_equal(xref_names_builder_get(b, "CONFIG_KPROBES"), XREF_N_KCONFIG);
	assert_int_equal(xref_names_builder_get(b, "CONFIG_FTRACE"), XREF_N_KCONFIG);
	assert_int_equal(xref_names_builder_get(b, "CONFIG_NOT_THIS"), 0);
	xref_names_add_path(b, "kernel/sched/core.c", XREF_N_FILE);
	assert_int_equal(xref_names_builder_get(b, "kernel/sched/core.c"), XREF_N_FILE);
	assert_int_equal(xref_names_builder_get(b, "kernel/sched"), XREF_N_DIR);
	assert_int_equal(xref_names_builder_get(b, "kernel"), XREF_N_DIR);
	assert_int_equal(xref_names_builder_count(b), 5);
	xref_names_builder_free(b);
	assert_int_equal(xref_scan_kind("kernel/signal.c"), 'c');
	assert_int_equal(xref_scan_kind("arch/x86/entry/entry_64.S"), 's');
	assert_int_equal(xref_scan_kind("arch/arm64/kernel/signal.c"), 0);
	assert_int_equal(xref_scan_kind("tools/include/linux/list.h"), 0);
	assert_int_equal(xref_scan_kind("arch/arm64/Kconfig"), 'k');
	assert_int_equal(xref_scan_kind("README"), 0);
}

/* ---- the index file and check_notes on a temporary tree ---- */

struct S_tree {
	char dir[64];      /* the temporary root */
	char *index;       /* its index file */
	struct check_kernel kernel;
};

static int S_tree_setup(void **state)
{
	static struct S_tree t;
	static const struct {
		const char *name;
		unsigned kinds;
	} names[] = {
		{ "task_struct", XREF_N_STRUCT }, { "pid", XREF_N_MEMBER },
		{ "schedule", XREF_N_FUNC },      { "GFP_KERNEL", XREF_N_MACRO },
	};
	struct xref_names_builder *b = xref_names_builder_new();
	struct kl_err err = { "" };

	memset(&t, 0, sizeof(t));
	strcpy(t.dir, "/tmp/klab-test-check.XXXXXX");
	assert_non_null(mkdtemp(t.dir));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		xref_names_builder_add(b, names[i].name, strlen(names[i].name), names[i].kinds);
	xref_names_add_path(b, "kernel/signal.c", XREF_N_FILE);
	t.index = kl_path_join(t.dir, "test.db");
	assert_int_equal(xref_names_save(b, t.index, &err), 0);
	xref_names_builder_free(b);
	if (xref_names_open(t.index, &t.kernel.kx, &err) < 0)
		fail_msg("%s", err.msg);
	t.kernel.version = kl_strdup("6.1");

	tree_write(t.dir, "labs/good-01/README.md", "---\nid: good-01\n---\n");
	tree_write(t.dir, "labs/lonely-01/README.md", "---\nid: lonely-01\n---\n");
	tree_write(t.dir, "static/diagrams/walk.dot", "digraph { a -> b }\n");
	tree_write(t.dir, "notes/alpha.md",
		"---\n"
		"title: Alpha\n"
		"topic: alpha\n"
		"order: 1\n"
		"labs: [good-01]\n"
		"tags: [a]\n"
		"---\n"
		"# Alpha\n"
		"\n"
		"## The task_struct\n"
		"\n"
		"`struct task_struct`, `schedule()`, `GFP_KERNEL`, `kernel/signal.c`, `kernel/`,\n"
		"`task_struct`, `sigaction(2)`, [beta](beta.md#second-part), [self](#alpha),\n"
		"![walk](/static/diagrams/walk.svg), [lab](lab:good-01), [web](https://x.org/).\n"
		"\n"
		"```c\n"
		"no_such_function_in_fences();\n"
		"```\n"
		"\n"
		"| a | b |\n"
		"|---|---|\n"
		"| `missing_in_table()` | x |\n"
		"\n"
		"1. Task.\n"
		"\n"
		"   <details>\n"
		"   <summary>Answer</summary>\n"
		"\n"
		"   `schedule()`\n"
		"\n"
		"   </details>\n");
	tree_write(t.dir, "notes/beta.md",
		"---\n"
		"title: Beta\n"
		"topic: gamma\n"
		"order: many\n"
		"labs: [good-01, nolab-01]\n"
		"tags: [b]\n"
		"colour: blue\n"
		"---\n"
		"# Beta\n"
		"\n"
		"## Second part\n"
		"\n"
		"`__send_signal()` and `struct no_such_struct` and\n"
		"`NO_SUCH_FLAG` and `kernel/nosuch.c`, see [alpha](alpha.md#the-task-struct),\n"
		"[lab](lab:missing-01), [x](#second-parts), [n](nonote.md), [o](../alpha.md),\n"
		"![img](/static/missing.png).\n"
		"\n"
		"<div onclick=\"x()\">hi</div>\n"
		"\n"
		"<details>\n"
		"<summary>Never closed</summary>\n"
		"\n"
		"answer\n");
	tree_write(t.dir, "mine/blog.md",
		"---\n"
		"tags: kernel\n"
		"title: kernel\n"
		"date: 2015-02-27 15:46:12\n"
		"category: kernel\n"
		"categories: [a, b]\n"
		"layout: post\n"
		"mood: curious\n"
		"titel: typo\n"
		"updated: yesterday\n"
		"---\n"
		"#Hacking\n"
		"shedule() then task_struct, then tsk->pid and no_such_word,\n"
		"`struct task_struct` and `shedule()`; see https://x.org/some_page.\n");
	tree_write(t.dir, "mine/bare.md", "no front matter: shedule()\n");
	*state = &t;
	return 0;
}

static int S_tree_teardown(void **state)
{
	struct S_tree *t = *state;
	struct kl_err err;

	check_kernel_release(&t->kernel);
	kl_rm_rf(t->dir, &err);
	free(t->index);
	return 0;
}

static void test_index_file(void **state)
{
	struct S_tree *t = *state;
	char *map = kl_path_join(t->dir, "System.map");
	char *symvers = kl_path_join(t->dir, "Module.symvers");
	struct kl_err err;
	size_t n;

	assert_int_equal(xref_names_count(t->kernel.kx), 6);
	assert_int_equal(xref_names_lookup(t->kernel.kx, "schedule"), XREF_N_FUNC);
	assert_int_equal(xref_names_lookup(t->kernel.kx, "task_struct"), XREF_N_STRUCT);
	assert_int_equal(xref_names_lookup(t->kernel.kx, "pid"), XREF_N_MEMBER);
	assert_int_equal(xref_names_lookup(t->kernel.kx, "kernel/signal.c"), XREF_N_FILE);
	assert_int_equal(xref_names_lookup(t->kernel.kx, "nothing"), 0);
	assert_int_equal(xref_names_lookup(t->kernel.kx, ""), 0);
	assert_int_equal(kl_write_file(map, "ffffffff81000000 T _text\n"
					    "ffffffff81001000 t helper.constprop.0\n"
					    "ffffffffffffffff B The real System.map is elsewhere\n",
				       strlen("ffffffff81000000 T _text\n"
					      "ffffffff81001000 t helper.constprop.0\n"
					      "ffffffffffffffff B The real System.map is elsewhere\n"),
				       &err), 0);
	assert_int_equal(xref_names_add_system_map(t->kernel.kx, map, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(xref_names_lookup(t->kernel.kx, "_text"), XREF_N_SYMBOL);
	assert_int_equal(xref_names_lookup(t->kernel.kx, "helper"), XREF_N_SYMBOL);
	const char *exports = "0x1\tschedule\tvmlinux\tEXPORT_SYMBOL\t\n";
	assert_int_equal(kl_write_file(symvers, exports, strlen(exports), &err), 0);
	assert_int_equal(xref_names_add_symvers(t->kernel.kx, symvers, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(xref_names_lookup(t->kernel.kx, "schedule"), XREF_N_FUNC | XREF_N_SYMBOL);
	free(map);
	free(symvers);
}

static void expect_suggest(const struct xref_names *kx, const char *word, unsigned kinds,
			   const char *want)
{
	char got[256];
	bool found = xref_names_suggest(kx, word, kinds, got, sizeof(got));

	if (!want && found)
		fail_msg("`%s`: suggested `%s`, expected none", word, got);
	if (want && (!found || strcmp(got, want) != 0))
		fail_msg("`%s`: suggested `%s`, expected `%s`", word, found ? got : "(none)", want);
}

static void test_suggest(void **state)
{
	static const struct {
		const char *name;
		unsigned kinds;
	} names[] = {
		{ "get_signal", XREF_N_FUNC },	   { "do_group_exit", XREF_N_FUNC },
		{ "signal_struct", XREF_N_STRUCT }, { "__send_signal_locked", XREF_N_FUNC },
		{ "do_signal_stop", XREF_N_FUNC },  { "group_exit_task", XREF_N_MEMBER },
		{ "schedule", XREF_N_FUNC },	   { "schedule_timeout", XREF_N_FUNC },
		{ "kmalloc_array", XREF_N_FUNC },   { "kernel/signal.c", XREF_N_FILE },
		{ "ab", XREF_N_FUNC },
	};
	struct xref_names_builder *b = xref_names_builder_new();
	struct xref_names *kx = NULL;
	struct kl_err err = { "" };
	char dir[] = "/tmp/klab-test-suggest.XXXXXX";
	const unsigned funcs = XREF_N_FUNC | XREF_N_FUNC_DECL | XREF_N_MACRO;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		xref_names_builder_add(b, names[i].name, strlen(names[i].name), names[i].kinds);
	char *path = kl_path_join(dir, "s.db");
	assert_int_equal(xref_names_save(b, path, &err), 0);
	xref_names_builder_free(b);
	if (xref_names_open(path, &kx, &err) < 0)
		fail_msg("%s", err.msg);
	expect_suggest(kx, "do_greoup_exit", funcs, "do_group_exit");   /* an extra letter */
	expect_suggest(kx, "signal_sturct", XREF_N_STRUCT, "signal_struct"); /* a swap */
	expect_suggest(kx, "shedule", funcs, "schedule");               /* a missing letter */
	expect_suggest(kx, "xschedule", funcs, "schedule");             /* an extra first one */
	expect_suggest(kx, "cshedule", funcs, "schedule");              /* the first two swapped */
	expect_suggest(kx, "kmaloc_arary", funcs, "kmalloc_array");      /* two edits, long word */
	expect_suggest(kx, "get_signal_deliver", funcs, "get_signal");  /* lost a part */
	expect_suggest(kx, "__send_signal", funcs, "__send_signal_locked"); /* grew one */
	expect_suggest(kx, "group_exit_tusk", funcs, NULL);             /* a member, not a function */
	expect_suggest(kx, "group_exit_tusk", ~0u, "group_exit_task");
	expect_suggest(kx, "kernel/signal.x", XREF_N_FILE, "kernel/signal.c");
	expect_suggest(kx, "no_such_thing", ~0u, NULL);
	expect_suggest(kx, "schedulr", funcs, "schedule"); /* nearest length wins a tie */
	expect_suggest(kx, "a", ~0u, NULL);
	xref_names_close(kx);
	kl_rm_rf(dir, &err);
	free(path);
}

/* check_span_exists on text, with its message (when it does not exist) in msg. */
static bool span_exists(const struct S_tree *t, const char *text, char *msg, size_t size)
{
	struct check_span sp;

	check_span_classify(text, &sp);
	return check_span_exists(t->kernel.kx, &sp, text, "6.1", msg, size);
}

static void test_span_exists(void **state)
{
	struct S_tree *t = *state;
	char msg[512];

	assert_true(span_exists(t, "schedule()", msg, sizeof(msg)));
	assert_false(span_exists(t, "__send_signal()", msg, sizeof(msg)));
	assert_string_equal(msg, "`__send_signal()` is not in the 6.1 kernel (System.map, "
				 "headers, source)");
	assert_false(span_exists(t, "pid_t", msg, sizeof(msg)));
	assert_false(span_exists(t, "struct schedule", msg, sizeof(msg)));
	assert_false(span_exists(t, "kernel/nothing/", msg, sizeof(msg)));
	/* GNU C's own words are not the kernel's to define */
	assert_true(span_exists(t, "__attribute__((...))", msg, sizeof(msg)));
	assert_true(span_exists(t, "__builtin_expect()", msg, sizeof(msg)));
	assert_true(span_exists(t, "__builtin_expcet_thing_unknown", msg, sizeof(msg)));
}

/* The problem at file:line whose message contains needle, or fail. */
static void expect_problem(const struct check_report *rep, const char *file, int line,
			   const char *kind, const char *needle)
{
	for (size_t i = 0; i < rep->n; i++) {
		const struct check_problem *p = &rep->problems[i];
		if (strcmp(p->file, file) == 0 && p->line == line && strcmp(p->kind, kind) == 0 &&
		    strstr(p->message, needle))
			return;
	}
	for (size_t i = 0; i < rep->n; i++)
		print_message("  %s:%d: [%s] %s\n", rep->problems[i].file, rep->problems[i].line,
			      rep->problems[i].kind, rep->problems[i].message);
	fail_msg("no problem %s:%d [%s] `%s`", file, line, kind, needle);
}

static void test_check_notes(void **state)
{
	struct S_tree *t = *state;
	struct check_report rep;
	struct kl_err err = { "" };
	struct kl_buf json = KL_BUF_INIT;

	memset(&rep, 0, sizeof(rep));
	if (check_notes(t->dir, &t->kernel, NULL, 0, &rep, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(rep.notes, 2);
	/* alpha.md: only the span in the table */
	expect_problem(&rep, "notes/alpha.md", 22, "identifier", "`missing_in_table()`");
	/* beta.md */
	expect_problem(&rep, "notes/beta.md", 3, "frontmatter", "`topic: gamma` must be");
	expect_problem(&rep, "notes/beta.md", 4, "frontmatter", "`order`");
	expect_problem(&rep, "notes/beta.md", 5, "lab", "`nolab-01`");
	expect_problem(&rep, "notes/beta.md", 7, "frontmatter", "unknown front matter key `colour`");
	expect_problem(&rep, "notes/beta.md", 13, "identifier",
		       "`__send_signal()` is not in the 6.1 kernel");
	expect_problem(&rep, "notes/beta.md", 13, "identifier", "`struct no_such_struct`");
	expect_problem(&rep, "notes/beta.md", 14, "identifier", "`NO_SUCH_FLAG`");
	expect_problem(&rep, "notes/beta.md", 14, "identifier", "`kernel/nosuch.c`");
	expect_problem(&rep, "notes/beta.md", 14, "anchor", "did you mean `#the-task_struct`");
	expect_problem(&rep, "notes/beta.md", 15, "link", "there is no lab `missing-01`");
	expect_problem(&rep, "notes/beta.md", 15, "anchor", "did you mean `#second-part`");
	expect_problem(&rep, "notes/beta.md", 15, "link", "there is no note `nonote`");
	expect_problem(&rep, "notes/beta.md", 15, "link", "`../alpha.md` is not a lab");
	expect_problem(&rep, "notes/beta.md", 16, "static", "static/missing.png does not exist");
	expect_problem(&rep, "notes/beta.md", 18, "html", "raw HTML is not shown");
	expect_problem(&rep, "notes/beta.md", 20, "html", "do not pair up");
	expect_problem(&rep, "labs/lonely-01/README.md", 1, "coverage", "`lonely-01` is not linked");
	assert_int_equal(rep.n, 18);
	check_report_json(&rep, &json);
	assert_non_null(strstr(kl_buf_str(&json), "{\"file\":\"notes/alpha.md\",\"line\":22,"
						  "\"kind\":\"identifier\",\"message\":"));
	kl_buf_release(&json);
	check_report_release(&rep);

	/* one file: no coverage problem; a path given relative to anything still works */
	char *alpha = kl_path_join(t->dir, "notes/alpha.md");
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(check_notes(t->dir, &t->kernel, &alpha, 1, &rep, &err), 0);
	assert_int_equal(rep.notes, 1);
	assert_int_equal(rep.n, 1);
	check_report_release(&rep);
	free(alpha);

	/* a learner's note: foreign front matter, prose words, suggestions */
	char *mine[] = { kl_path_join(t->dir, "mine/blog.md"), kl_path_join(t->dir, "mine/bare.md") };
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(check_notes(t->dir, &t->kernel, mine, 2, &rep, &err), 0);
	expect_problem(&rep, "mine/blog.md", 9, "frontmatter", "key `titel`: did you mean `title`?");
	expect_problem(&rep, "mine/blog.md", 10, "frontmatter", "`updated` must be a date");
	expect_problem(&rep, "mine/blog.md", 13, "identifier",
		       "`shedule()` is not in the 6.1 kernel (System.map, headers, source): did "
		       "you mean `schedule`?");
	expect_problem(&rep, "mine/blog.md", 13, "identifier", "`no_such_word`");
	expect_problem(&rep, "mine/blog.md", 14, "identifier", "`shedule()`");
	expect_problem(&rep, "mine/bare.md", 1, "identifier", "`shedule()`");
	assert_int_equal(rep.n, 6);
	assert_int_equal(rep.words, 4);
	assert_string_equal(rep.problems[2].name, "shedule");
	assert_string_equal(rep.problems[2].suggestion, "schedule");
	assert_null(rep.problems[3].suggestion);
	kl_buf_reset(&json);
	check_report_json(&rep, &json);
	assert_non_null(strstr(kl_buf_str(&json), "\"name\":\"shedule\",\"suggestion\":\"schedule\"}"));
	assert_non_null(strstr(kl_buf_str(&json), "\"name\":\"no_such_word\",\"suggestion\":null}"));
	kl_buf_release(&json);
	check_report_release(&rep);

	/* for a page: the identifiers only, prose when asked */
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(check_identifiers(&t->kernel, mine[0], "blog", true, &rep, &err), 0);
	assert_int_equal(rep.n, 3);
	assert_string_equal(rep.problems[0].file, "blog");
	check_report_release(&rep);
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(check_identifiers(&t->kernel, mine[0], "blog", false, &rep, &err), 0);
	assert_int_equal(rep.n, 1);
	assert_int_equal(rep.problems[0].line, 14);
	check_report_release(&rep);
	assert_int_equal(check_identifiers(&t->kernel, "/nonexistent.md", "x", true, &rep, &err), -1);
	free(mine[0]);
	free(mine[1]);

	char *missing = "notes/none.md";
	memset(&rep, 0, sizeof(rep));
	assert_int_equal(check_notes(t->dir, &t->kernel, &missing, 1, &rep, &err), -1);
	assert_non_null(strstr(err.msg, "no note notes/none.md"));
	check_report_release(&rep);
}

static void test_kernel_missing_source(void **state)
{
	struct check_kernel k;
	struct kl_err err = { "" };

	(void)state;
	assert_int_equal(check_kernel_open("/tmp", "/nonexistent/linux-source-6.1.tar.xz", "/tmp",
					   NULL, NULL, NULL, &k, &err), -1);
	assert_non_null(strstr(err.msg, "make setup"));
}

/*
 * xref_ensure on a small tarball made with tar(1): built once (ctags and the
 * scanner), then reused; its names as `klab check` reads them.
 */
static void test_index_build(void **state)
{
	char dir[] = "/tmp/klab-test-names.XXXXXX";
	struct xref_stats st;
	struct xref_names *nx;
	struct kl_err err = { "" };
	char *path = NULL, *cmd, *tarball, *stale;
	int built;

	(void)state;
	assert_non_null(mkdtemp(dir));
	tree_write(dir, "src/linux-source-9.9/kernel/thing.c", S_c_source);
	tree_write(dir, "src/linux-source-9.9/arch/x86/entry/thing.S", S_asm_source);
	tree_write(dir, "src/linux-source-9.9/init/Kconfig", "config THING\n\tbool\n");
	tree_write(dir, "src/linux-source-9.9/arch/arm64/other.c", "int arm_only(void)\n{\n}\n");
	tree_write(dir, "src/linux-source-9.9/Documentation/thing.rst", "Thing\n");
	tree_write(dir, "cache/xref/linux-source-9.9-1-2.v0.db", "stale");
	tarball = kl_path_join(dir, "linux-source-9.9.tar.gz");
	cmd = kl_sprintf("tar -C %s/src -czf %s linux-source-9.9", dir, tarball);
	assert_int_equal(system(cmd), 0);
	char *cache = kl_path_join(dir, "cache");
	if (xref_ensure(cache, tarball, dir, NULL, &path, &built, &st, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(built, 1);
	assert_int_equal(st.files, 2); /* thing.c and thing.S; other.c is only listed */
	stale = kl_path_join(dir, "cache/xref/linux-source-9.9-1-2.v0.db");
	assert_false(kl_is_file(stale));
	free(path);
	assert_int_equal(xref_ensure(cache, tarball, dir, NULL, &path, &built, NULL, &err), 0);
	assert_int_equal(built, 0);
	if (xref_names_open(path, &nx, &err) < 0)
		fail_msg("%s", err.msg);
	expect_source_names(nx);
	assert_int_equal(xref_names_lookup(nx, "CONFIG_THING"), XREF_N_KCONFIG);
	assert_int_equal(xref_names_lookup(nx, "arm_only"), 0);
	assert_int_equal(xref_names_lookup(nx, "kernel/thing.c"), XREF_N_FILE);
	assert_int_equal(xref_names_lookup(nx, "arch/arm64/other.c"), XREF_N_FILE);
	assert_int_equal(xref_names_lookup(nx, "Documentation/thing.rst"), XREF_N_FILE);
	assert_true(xref_names_lookup(nx, "arch/arm64") & XREF_N_DIR);
	assert_true(xref_names_count(nx) > 40);
	xref_names_close(nx);
	kl_rm_rf(dir, &err);
	free(stale);
	free(cache);
	free(path);
	free(cmd);
	free(tarball);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_span_classify),
		cmocka_unit_test(test_text_words),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_link_parse),
		cmocka_unit_test(test_anchors),
		cmocka_unit_test(test_scan_macros_kconfig),
		cmocka_unit_test(test_kernel_missing_source),
		cmocka_unit_test(test_index_build),
	};
	const struct CMUnitTest tree_tests[] = {
		cmocka_unit_test(test_index_file),
		cmocka_unit_test(test_span_exists),
		cmocka_unit_test(test_check_notes),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	return failed + cmocka_run_group_tests(tree_tests, S_tree_setup, S_tree_teardown);
}
