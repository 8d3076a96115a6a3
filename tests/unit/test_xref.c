/*
 * test_xref.c - unit tests of the source index (server/xref/): the lexer and
 * scanner on small texts, an index built from a small tarball, then definitions, members, initializers, references
 * and files pinned against the real index of Debian's linux-source-6.1 (built
 * into $KLAB_CACHE, default ~/.cache/klab, when missing: a few minutes once).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "tree.h"
#include "core/markdown.h"
#include "xref/db.h"
#include "xref/lex.h"
#include "xref/scan.h"
#include "xref/xref.h"

/* ---- the lexer and the scanner ---- */

struct seen {
	char idents[4096];
	char inits[4096];
	char docs[512];
};

static void on_ident(void *ctx, const char *s, size_t n, int line)
{
	struct seen *se = ctx;
	size_t len = strlen(se->idents);

	snprintf(se->idents + len, sizeof(se->idents) - len, "%.*s:%d ", (int)n, s, line);
}

static void on_init(void *ctx, const struct xref_init_rec *r)
{
	struct seen *se = ctx;
	size_t len = strlen(se->inits);

	snprintf(se->inits + len, sizeof(se->inits) - len, "%.*s.%.*s=%.*s@%.*s:%d|",
		 (int)r->type_n, r->type, (int)r->member_n, r->member, (int)r->value_n, r->value,
		 (int)r->var_n, r->var, r->line);
}

static void on_doc(void *ctx, const char *name, size_t n, int line)
{
	struct seen *se = ctx;
	size_t len = strlen(se->docs);

	snprintf(se->docs + len, sizeof(se->docs) - len, "%.*s:%d ", (int)n, name, line);
}

static void scan(const char *text, struct seen *se)
{
	const struct xref_scan_cb cb = { se, on_ident, on_init, on_doc, NULL };

	memset(se, 0, sizeof(*se));
	xref_scan_c(text, strlen(text), &cb);
}

static void test_lex_roundtrip(void **state)
{
	const char *text = "#include <linux/fs.h>\n/* a\n b */ int x = 'a' + 0x1fUL; // c\n"
			   "s = \"q\\\"x\"; a->b == c ... L\"w\"\n#define A(x) \\\n  x##y\n";
	struct xref_lex lx;
	struct xref_tok t;
	size_t total = 0;
	int last_line = 0;

	(void)state;
	xref_lex_init(&lx, text, strlen(text));
	for (xref_lex_next(&lx, &t); t.type != XREF_T_END; xref_lex_next(&lx, &t)) {
		assert_ptr_equal(t.s, text + total); /* no byte lost or read twice */
		total += t.n;
		last_line = t.line;
		if (t.type == XREF_T_HEADER)
			assert_memory_equal(t.s, "<linux/fs.h>", t.n);
		if (t.type == XREF_T_PUNCT && t.n == 2 && t.s[0] == '=')
			assert_memory_equal(t.s, "==", 2);
	}
	assert_int_equal(total, strlen(text));
	assert_int_equal(last_line, 6);
}

static void test_scan_refs(void **state)
{
	struct seen se;

	(void)state;
	scan("#include <linux/sched.h>\n#include \"local.h\"\n"
	     "/* task_struct in a comment */\n"
	     "static int f(struct task_struct *p) { return p->pid + 'x'; } // pid\n"
	     "#if defined(CONFIG_X)\nchar *s = \"inode page\";\n#endif\n",
	     &se);
	assert_string_equal(se.idents, "f:4 task_struct:4 p:4 p:4 pid:4 CONFIG_X:5 s:6 ");
}

static void test_scan_inits(void **state)
{
	struct seen se;

	(void)state;
	scan("static const struct ppp_channel_ops async_ops = {\n"
	     "\t.start_xmit = ppp_async_send,\n"
	     "#ifdef CONFIG_X\n"
	     "\t.ioctl\t= ppp_async_ioctl,\n"
	     "#endif\n"
	     "\t.nested = { .inner = skip_me },\n"
	     "\t.call = f(a, b)\n"
	     "};\n"
	     "static struct file_operations fops __ro_after_init = { .read_iter = &rd };\n"
	     "struct pci_device_id ids[] __initconst = { { .vendor = 1 }, [2] = { .device = D } };\n"
	     "struct foo *p = { 0 };\n"
	     "if (a == b) { struct bar x; x.y = 1; }\n",
	     &se);
	assert_string_equal(se.inits,
			    "ppp_channel_ops.start_xmit=ppp_async_send@async_ops:2|"
			    "ppp_channel_ops.ioctl=ppp_async_ioctl@async_ops:4|"
			    "ppp_channel_ops.nested={ .inner = skip_me }@async_ops:6|"
			    "ppp_channel_ops.call=f(a, b)@async_ops:7|"
			    "file_operations.read_iter=&rd@fops:9|"
			    "pci_device_id.vendor=1@ids:10|"
			    "pci_device_id.device=D@ids:10|");
}

static void test_scan_docs(void **state)
{
	struct seen se;

	(void)state;
	scan("/**\n * kmalloc - allocate memory\n */\n/**\n * struct page - x\n */\n"
	     "/** DOC: overview */\n/***** banner */\n/** wake_up_process() - wake */\n", &se);
	assert_string_equal(se.docs, "kmalloc:2 page:5 wake_up_process:9 ");
}

static void test_varint(void **state)
{
	unsigned char buf[32], *p = buf;
	const unsigned char *q = buf;
	uint32_t v;

	(void)state;
	p = xref_varint_put(p, 1);
	p = xref_varint_put(p, 300);
	p = xref_varint_put(p, 4000000000u);
	assert_true(xref_varint_get(&q, p, &v) && v == 1);
	assert_true(xref_varint_get(&q, p, &v) && v == 300);
	assert_true(xref_varint_get(&q, p, &v) && v == 4000000000u);
	assert_false(xref_varint_get(&q, p, &v));
	buf[0] = 0x80; /* cut short */
	q = buf;
	assert_false(xref_varint_get(&q, buf + 1, &v));
}

static void test_name_ok(void **state)
{
	(void)state;
	assert_true(xref_name_ok("task_struct"));
	assert_true(xref_name_ok("ppp_channel_ops.start_xmit"));
	assert_true(xref_name_ok("_X1"));
	assert_false(xref_name_ok(""));
	assert_false(xref_name_ok("1abc"));
	assert_false(xref_name_ok("a.b.c"));
	assert_false(xref_name_ok("a."));
	assert_false(xref_name_ok("../etc"));
	assert_false(xref_name_ok("a b"));
	assert_false(xref_name_ok("<script>"));
}

/* ---- code spans of Markdown linked through md_resolver.code_link ---- */

static char *code_link(void *ctx, const char *code)
{
	(void)ctx;
	if (strcmp(code, "kmalloc()") == 0)
		return kl_strdup("/ident/kmalloc");
	return NULL;
}

static void test_md_code_links(void **state)
{
	struct md_resolver res = { 0 };
	struct md_doc doc;
	struct kl_err err;
	const char *md = "Call `kmalloc()`, not `malloc()`; [see `kmalloc()`](https://x.org/).\n";

	(void)state;
	res.code_link = code_link;
	assert_int_equal(md_render(md, strlen(md), &res, 0, &doc, &err), 0);
	assert_non_null(strstr(doc.html, "<a href=\"/ident/kmalloc\"><code>kmalloc()</code></a>, not "
					 "<code>malloc()</code>"));
	/* a span already inside a link stays as it is */
	assert_non_null(strstr(doc.html, "<a href=\"https://x.org/\">see <code>kmalloc()</code></a>"));
	md_doc_release(&doc);
	res.code_link = NULL;
	assert_int_equal(md_render(md, strlen(md), &res, 0, &doc, &err), 0);
	assert_null(strstr(doc.html, "/ident/"));
	md_doc_release(&doc);
}

/* ---- a small tree built into an index (ctags, chunks, rows, the lock) ---- */

static void test_build_small(void **state)
{
	char dir[] = "/tmp/klab-test-xref.XXXXXX";
	struct xref_stats st;
	struct xref_result r;
	struct xref *x = NULL;
	struct kl_err err = { "" };
	char *path = NULL, *tarball, *cmd, *cache, *stale;
	int built;

	(void)state;
	assert_non_null(mkdtemp(dir));
	tree_write(dir, "src/linux-source-9.9/include/linux/ops.h",
		"struct ops {\n\tint (*go)(int);\n};\n#define OPS_MAX 4\n");
	tree_write(dir, "src/linux-source-9.9/kernel/a.c",
		"#include <linux/ops.h>\n"
		"static int go_a(int n)\n{\n\treturn n + OPS_MAX;\n}\n"
		"static struct ops a_ops = {\n\t.go = go_a,\n};\n");
	tree_write(dir, "src/linux-source-9.9/arch/arm64/b.c", "int arm_only(void) { return 0; }\n");
	tree_write(dir, "cache/xref/linux-source-9.9-1-2.v1.db", "stale");
	tree_write(dir, "cache/xref/linux-source-9.9-3-4.v2.db.tmp", "killed");
	tarball = kl_path_join(dir, "linux-source-9.9.tar.gz");
	cmd = kl_sprintf("tar -C %s/src -czf %s linux-source-9.9", dir, tarball);
	assert_int_equal(system(cmd), 0);
	cache = kl_path_join(dir, "cache");
	if (xref_ensure(cache, tarball, dir, NULL, &path, &built, &st, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(built, 1);
	assert_int_equal(st.files, 2); /* other architectures are left out */
	assert_true(st.defs >= 4);
	stale = kl_path_join(dir, "cache/xref/linux-source-9.9-1-2.v1.db");
	assert_false(kl_is_file(stale));
	free(stale);
	stale = kl_path_join(dir, "cache/xref/linux-source-9.9-3-4.v2.db.tmp");
	assert_false(kl_is_file(stale));
	free(stale);
	free(path);
	assert_int_equal(xref_ensure(cache, tarball, dir, NULL, &path, &built, NULL, &err), 0);
	assert_int_equal(built, 0);
	if (xref_open(path, &x, &err) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(xref_lookup(x, "go_a", 1, &r, &err), 1);
	assert_int_equal(r.ndefs, 1);
	assert_string_equal(r.defs[0].file, "kernel/a.c");
	assert_int_equal(r.defs[0].line, 2);
	assert_string_equal(r.defs[0].kind, "function");
	assert_int_equal(r.nuses, 1);
	assert_string_equal(r.uses[0].variable, "a_ops");
	xref_result_release(&r);
	assert_int_equal(xref_lookup(x, "ops.go", 1, &r, &err), 1);
	assert_int_equal(r.ndefs, 1);
	assert_string_equal(r.defs[0].kind, "member");
	assert_int_equal(r.ninits, 1);
	assert_string_equal(r.inits[0].value, "go_a");
	xref_result_release(&r);
	assert_int_equal(xref_lookup(x, "OPS_MAX", 1, &r, &err), 1);
	assert_string_equal(r.defs[0].kind, "macro");
	assert_int_equal(r.ref_files, 2);
	xref_result_release(&r);
	assert_int_equal(xref_lookup(x, "arm_only", 1, &r, &err), 0);
	xref_result_release(&r);
	xref_close(x);
	kl_rm_rf(dir, &err);
	free(path);
	free(cache);
	free(cmd);
	free(tarball);
}

/* ---- against the real index ---- */

static struct xref *S_x;

static int open_index(void **state)
{
	const char *cache = getenv("KLAB_CACHE");
	const char *home = getenv("HOME");
	char *dflt = kl_sprintf("%s/.cache/klab", home ? home : "/root");
	struct kl_err err = { "" };
	char *path = NULL;
	int built;

	(void)state;
	if (xref_ensure(cache ? cache : dflt, XREF_DEFAULT_SOURCE, getenv("TMPDIR"), stderr, &path,
			&built, NULL, &err) < 0 ||
	    xref_open(path, &S_x, &err) < 0) {
		fprintf(stderr, "test_xref: %s\n", err.msg);
		free(dflt);
		free(path);
		return -1;
	}
	free(dflt);
	free(path);
	return 0;
}

static int close_index(void **state)
{
	(void)state;
	xref_close(S_x);
	return 0;
}

static const struct xref_def *find_def(const struct xref_result *r, const char *kind,
				       const char *file)
{
	for (size_t i = 0; i < r->ndefs; i++)
		if (strcmp(r->defs[i].kind, kind) == 0 && strcmp(r->defs[i].file, file) == 0)
			return &r->defs[i];
	return NULL;
}

static const struct xref_init *find_init(const struct xref_result *r, const char *file,
					 const char *value)
{
	for (size_t i = 0; i < r->ninits; i++)
		if (strcmp(r->inits[i].file, file) == 0 && strcmp(r->inits[i].value, value) == 0)
			return &r->inits[i];
	return NULL;
}

static void lookup(const char *name, int page, struct xref_result *r)
{
	struct kl_err err = { "" };
	int rc = xref_lookup(S_x, name, page, r, &err);

	if (rc != 1)
		fail_msg("xref_lookup(%s) = %d: %s", name, rc, err.msg);
}

static void test_member_initializers(void **state)
{
	struct xref_result r;
	const struct xref_def *d;
	const struct xref_init *in;

	(void)state;
	lookup("ppp_channel_ops.start_xmit", 1, &r);
	d = find_def(&r, "member", "include/linux/ppp_channel.h");
	assert_non_null(d);
	assert_int_equal(d->line, 30);
	assert_string_equal(d->scope, "ppp_channel_ops");
	in = find_init(&r, "drivers/net/ppp/ppp_async.c", "ppp_async_send");
	assert_non_null(in);
	assert_string_equal(in->variable, "async_ops");
	assert_non_null(find_init(&r, "drivers/net/ppp/ppp_synctty.c", "ppp_sync_send"));
	assert_non_null(find_init(&r, "drivers/net/ppp/pppoe.c", "pppoe_xmit"));
	assert_true(r.ninits >= 5);
	for (size_t i = 0; i < r.ninits; i++) {
		assert_string_equal(r.inits[i].type, "ppp_channel_ops");
		assert_string_equal(r.inits[i].member, "start_xmit");
	}
	xref_result_release(&r);

	lookup("file_operations.read_iter", 1, &r);
	d = find_def(&r, "member", "include/linux/fs.h");
	assert_non_null(d);
	assert_int_equal(d->line, 2179);
	assert_non_null(find_init(&r, "fs/ext4/file.c", "ext4_file_read_iter"));
	assert_non_null(find_init(&r, "drivers/char/mem.c", "read_iter_null"));
	assert_true(r.inits_total > 50);
	xref_result_release(&r);
}

static void test_definitions(void **state)
{
	struct xref_result r;
	const struct xref_def *d;

	(void)state;
	lookup("task_struct", 1, &r);
	d = find_def(&r, "struct", "include/linux/sched.h");
	assert_non_null(d);
	assert_true(r.ref_files > 500); /* common names are not left out */
	assert_true(r.pages > 1);
	assert_true(r.nrefs <= XREF_FILES_PER_PAGE);
	xref_result_release(&r);

	lookup("task_struct.pid", 1, &r);
	d = find_def(&r, "member", "include/linux/sched.h");
	assert_non_null(d);
	assert_string_equal(d->scope, "task_struct");
	xref_result_release(&r);
	lookup("task_struct.mm", 1, &r);
	assert_non_null(find_def(&r, "member", "include/linux/sched.h"));
	xref_result_release(&r);

	lookup("GFP_KERNEL", 1, &r); /* a macro */
	d = find_def(&r, "macro", "include/linux/gfp_types.h");
	assert_non_null(d);
	xref_result_release(&r);

	lookup("pid_t", 1, &r); /* a typedef */
	assert_non_null(find_def(&r, "typedef", "include/linux/types.h"));
	xref_result_release(&r);

	lookup("kmalloc", 1, &r); /* a function with kernel-doc */
	d = find_def(&r, "function", "include/linux/slab.h");
	assert_non_null(d);
	assert_true(d->doc_line > 0 && d->doc_line < d->line);
	xref_result_release(&r);

	/* fault frames: where a kernel function is (klab run prints it after a fault) */
	char *file = NULL;
	int line = 0;
	assert_int_equal(xref_function(S_x, "do_one_initcall", &file, &line), 1);
	assert_string_equal(file, "init/main.c");
	assert_true(line > 1000);
	free(file);
	assert_int_equal(xref_function(S_x, "no_such_function_xyzzy", &file, &line), 0);
	assert_null(file);
	/* a static name defined twice: klab run links neither (cli/run.c) */
	assert_int_equal(xref_function(S_x, "load_module", &file, &line), 2);
	free(file);

	lookup("inode", 2, &r); /* paged */
	assert_int_equal(r.page, 2);
	assert_true(r.nrefs > 0 && r.nrefs <= XREF_FILES_PER_PAGE);
	xref_result_release(&r);
}

static void test_unknown_and_bad(void **state)
{
	struct xref_result r;
	struct kl_err err = { "" };

	(void)state;
	assert_int_equal(xref_lookup(S_x, "no_such_identifier_xyzzy", 1, &r, &err), 0);
	xref_result_release(&r);
	assert_int_equal(xref_lookup(S_x, "../etc/passwd", 1, &r, &err), -1);
	assert_non_null(strstr(err.msg, "not a C identifier"));
	xref_result_release(&r);
	assert_true(xref_defined(S_x, "spin_lock_irqsave"));
	assert_false(xref_defined(S_x, "no_such_identifier_xyzzy"));
}

static void test_files(void **state)
{
	struct kl_buf text = KL_BUF_INIT;
	struct kl_err err = { "" };
	struct xref_entry *e;
	size_t n;

	(void)state;
	assert_int_equal(xref_file(S_x, "include/linux/ppp_channel.h", &text, &err), 1);
	assert_non_null(strstr(kl_buf_str(&text), "struct ppp_channel_ops {"));
	assert_int_equal(xref_file(S_x, "../include/linux/ppp_channel.h", &text, &err), 0);
	assert_int_equal(xref_file(S_x, "/etc/passwd", &text, &err), 0);
	assert_int_equal(xref_file(S_x, "include/linux", &text, &err), 0);
	assert_int_equal(xref_dir(S_x, "", &e, &n, &err), 1);
	bool kernel = false, arm = false;
	for (size_t i = 0; i < n; i++) {
		kernel |= e[i].dir && strcmp(e[i].name, "kernel") == 0;
		arm |= strcmp(e[i].name, "arm64") == 0;
	}
	xref_entries_free(e, n);
	assert_true(kernel);
	assert_false(arm);
	assert_int_equal(xref_dir(S_x, "include/linux/ppp_channel.h", &e, &n, &err), 0);
	kl_buf_release(&text);
}

int main(void)
{
	const struct CMUnitTest unit[] = {
		cmocka_unit_test(test_lex_roundtrip), cmocka_unit_test(test_scan_refs),
		cmocka_unit_test(test_scan_inits),    cmocka_unit_test(test_scan_docs),
		cmocka_unit_test(test_varint),        cmocka_unit_test(test_name_ok),
		cmocka_unit_test(test_md_code_links), cmocka_unit_test(test_build_small),
	};
	const struct CMUnitTest real[] = {
		cmocka_unit_test(test_member_initializers),
		cmocka_unit_test(test_definitions),
		cmocka_unit_test(test_unknown_and_bad),
		cmocka_unit_test(test_files),
	};
	int rc = cmocka_run_group_tests_name("xref scanner", unit, NULL, NULL);

	return rc + cmocka_run_group_tests_name("xref on linux-source-6.1", real, open_index,
						close_index);
}
