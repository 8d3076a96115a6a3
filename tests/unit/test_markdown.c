/*
 * test_markdown.c - note rendering: safe mode (raw HTML never passes), link
 * rewriting between notes, labs and diagrams, broken links shown as such,
 * heading ids and the table of contents, C highlighting, plain text, answer
 * folds (the one HTML a note may hold); diagrams linked full size, key/value
 * tables without an empty header, numbered diffs, and the section a search hit
 * comes from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/markdown.h"

static bool S_note(void *ctx, const char *topic)
{
	(void)ctx;
	return !strcmp(topic, "signals") || !strcmp(topic, "modules");
}

static bool S_lab(void *ctx, const char *id)
{
	(void)ctx;
	return strcmp(id, "signals-01") == 0;
}

static bool S_diagram(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "list-head.svg") == 0;
}

static const struct md_resolver S_res = { S_note, S_lab, S_diagram, NULL, NULL, NULL, 0 };

static void S_link(const char *url, enum md_link_kind kind, const char *href)
{
	struct md_link l;
	char *anchors[] = { "intro", "the-task_struct" };

	md_link_resolve(url, &S_res, anchors, 2, &l);
	assert_int_equal(l.kind, kind);
	if (href)
		assert_string_equal(l.href, href);
	else
		assert_null(l.href);
	if (kind == MD_LINK_BROKEN)
		assert_non_null(l.why);
	md_link_release(&l);
}

static void test_links(void **state)
{
	(void)state;
	S_link("lab:signals-01", MD_LINK_LAB, "/labs/signals-01");
	S_link("lab:signals-99", MD_LINK_BROKEN, NULL);
	S_link("lab:../../etc", MD_LINK_BROKEN, NULL);
	S_link("signals.md", MD_LINK_NOTE, "/notes/signals");
	S_link("signals.md#the-sigaction", MD_LINK_NOTE, "/notes/signals#the-sigaction");
	S_link("./modules.md", MD_LINK_NOTE, "/notes/modules");
	S_link("../notes/modules.md#x", MD_LINK_NOTE, "/notes/modules#x");
	S_link("../../notes/signals.md", MD_LINK_NOTE, "/notes/signals");
	S_link("/notes/signals", MD_LINK_NOTE, "/notes/signals");
	S_link("/labs/signals-01", MD_LINK_LAB, "/labs/signals-01");
	S_link("nosuch.md", MD_LINK_BROKEN, NULL);
	S_link("../labs/x/README.md", MD_LINK_BROKEN, NULL);
	S_link("Signals.md", MD_LINK_BROKEN, NULL);
	S_link("#intro", MD_LINK_ANCHOR, "#intro");
	S_link("#the-task_struct", MD_LINK_ANCHOR, "#the-task_struct");
	S_link("#nowhere", MD_LINK_BROKEN, NULL);
	S_link("https://docs.kernel.org/", MD_LINK_EXTERNAL, "https://docs.kernel.org/");
	S_link("mailto:a@b.c", MD_LINK_EXTERNAL, "mailto:a@b.c");
	S_link("javascript:alert(1)", MD_LINK_BROKEN, NULL);
	S_link("JavaScript:alert(1)", MD_LINK_BROKEN, NULL);
	S_link("data:text/html,x", MD_LINK_BROKEN, NULL);
	S_link("file:///etc/passwd", MD_LINK_BROKEN, NULL);
	S_link("/static/diagrams/list-head.svg", MD_LINK_STATIC, "/static/diagrams/list-head.svg");
	S_link("../static/diagrams/list-head.svg", MD_LINK_STATIC,
	       "/static/diagrams/list-head.svg");
	S_link("diagrams/list-head.svg", MD_LINK_STATIC, "/static/diagrams/list-head.svg");
	S_link("/static/diagrams/missing.svg", MD_LINK_BROKEN, NULL);
	S_link("/static/diagrams/../x.svg", MD_LINK_BROKEN, NULL);
	S_link("some/file.c", MD_LINK_BROKEN, NULL);
	S_link("", MD_LINK_BROKEN, NULL);
}

static char *S_render(const char *md, int flags, struct md_doc *doc)
{
	struct kl_err err;

	assert_int_equal(md_render(md, strlen(md), &S_res, flags, doc, &err), 0);
	return doc->html;
}

static void test_safe_mode(void **state)
{
	struct md_doc doc;
	const char *md = "# T\n\n<script>alert(1)</script>\n\n"
			 "<img src=x onerror=alert(1)>\n\n"
			 "Inline <b onmouseover=\"x()\">bold</b> and [x](javascript:alert(1)).\n\n"
			 "`<script>` in code and \"quotes\" & amps.\n";
	char *html = S_render(md, 0, &doc);

	(void)state;
	assert_null(strstr(html, "<script"));
	assert_null(strstr(html, "onerror"));
	assert_null(strstr(html, "onmouseover"));
	assert_null(strstr(html, "<img"));
	assert_null(strstr(html, "href=\"javascript"));
	assert_non_null(strstr(html, "<code>&lt;script&gt;</code>"));
	assert_non_null(strstr(html, "&amp; amps"));
	assert_non_null(strstr(html, "class=\"broken-link\""));
	md_doc_release(&doc);
}

static void test_headings_toc(void **state)
{
	struct md_doc doc;
	const char *md = "# Title\n\nIntro.\n\n## The task_struct!\n\n### Fields\n\n"
			 "## The task_struct!\n\n## `current` & <em>you</em>\n\n"
			 "See [above](#the-task_struct) and [nowhere](#nope).\n";
	char *html = S_render(md, MD_DROP_TITLE, &doc);

	(void)state;
	assert_string_equal(doc.title, "Title");
	assert_null(strstr(html, "<h1"));
	assert_int_equal(doc.nheadings, 4);
	assert_string_equal(doc.headings[0].id, "the-task_struct");
	assert_string_equal(doc.headings[1].id, "fields");
	assert_string_equal(doc.headings[2].id, "the-task_struct-1");
	assert_non_null(strstr(html, "<h2 id=\"the-task_struct\">The task_struct!"));
	assert_non_null(strstr(html, "<h3 id=\"fields\">"));
	assert_non_null(strstr(html, "<h2 id=\"the-task_struct-1\">"));
	assert_non_null(strstr(html, "<code>current</code> &amp; "));
	assert_non_null(strstr(html, "href=\"#the-task_struct\""));
	assert_non_null(strstr(html, "title=\"No heading `nope` in this page\""));
	assert_non_null(strstr(doc.toc_html, "<a href=\"#fields\">Fields</a>"));
	assert_non_null(strstr(doc.toc_html, "<ol><li><a href=\"#the-task_struct\">"));
	assert_int_equal(doc.nbroken, 1);
	md_doc_release(&doc);
}

static void test_rewritten_links(void **state)
{
	struct md_doc doc;
	const char *md = "Do [the lab](lab:signals-01), read [signals](signals.md#sigaction), "
			 "skip [gone](lab:gone-01) and [\"quoted\" <b>](nope.md).\n\n"
			 "![List](/static/diagrams/list-head.svg) ![Missing](diagrams/none.svg)\n";
	char *html = S_render(md, 0, &doc);

	(void)state;
	assert_non_null(strstr(html, "<a href=\"/labs/signals-01\">the lab</a>"));
	assert_non_null(strstr(html, "<a href=\"/notes/signals#sigaction\">signals</a>"));
	assert_non_null(strstr(html, "<span class=\"broken-link\" title=\"There is no lab "
				     "`gone-01` (labs/gone-01/) yet\">gone</span>"));
	assert_non_null(strstr(html, ">&quot;quoted&quot; <!-- raw HTML omitted --></span>"));
	assert_non_null(strstr(html, "<img src=\"/static/diagrams/list-head.svg\" alt=\"List\""));
	assert_non_null(strstr(html, "class=\"broken-link broken-image\""));
	assert_int_equal(doc.nbroken, 3);
	md_doc_release(&doc);
}

static void test_tables_and_code(void **state)
{
	struct md_doc doc;
	const char *md = "| a | b |\n|---|---|\n| `x` | <i>y</i> |\n\n"
			 "```c\n#include <linux/module.h>\n/* c <b> */\nstatic int x = 0x1f; "
			 "// note\nchar *s = \"a\\\"<\";\nfoo(x);\n```\n\n"
			 "```sh\nmake && echo <done>\n```\n";
	char *html = S_render(md, 0, &doc);

	(void)state;
	assert_non_null(strstr(html, "<table>"));
	assert_non_null(strstr(html, "<td><code>x</code></td>"));
	assert_null(strstr(html, "<i>"));
	assert_non_null(strstr(html, "<span class=\"tok-pp\">#include</span> "
				     "<span class=\"tok-str\">&lt;linux/module.h&gt;</span>"));
	assert_non_null(strstr(html, "<span class=\"tok-com\">/* c &lt;b&gt; */</span>"));
	assert_non_null(strstr(html, "<span class=\"tok-kw\">static</span> "
				     "<span class=\"tok-type\">int</span> x = "
				     "<span class=\"tok-num\">0x1f</span>;"));
	assert_non_null(strstr(html, "<span class=\"tok-str\">&quot;a\\&quot;&lt;&quot;</span>"));
	assert_non_null(strstr(html, "<span class=\"tok-fn\">foo</span>(x)"));
	assert_non_null(strstr(html, "make &amp;&amp; echo &lt;done&gt;"));
	md_doc_release(&doc);
}

/* Regression (found by fuzz_markdown): a broken link where no span may go leaked. */
static void test_broken_link_in_table(void **state)
{
	struct md_doc doc;
	struct kl_err err;
	const char *md = "f\n|-\n[]()\n\n| a | b |\n|---|---|\n| [x](nosuch.md) | y |\n";

	(void)state;
	assert_int_equal(md_render(md, strlen(md), &S_res, 0, &doc, &err), 0);
	assert_true(doc.nbroken >= 1);
	assert_non_null(strstr(doc.html, "nosuch"));
	md_doc_release(&doc);
}

static void test_folds(void **state)
{
	struct md_doc doc;
	const char *md = "1. Why?\n\n"
			 "   <details>\n   <summary>Answer & <why></summary>\n\n"
			 "   Because `x` *matters*.\n\n   </details>\n\n"
			 "<details>\n\nNo summary, [a link](signals.md).\n\n</details>\n";
	char *html = S_render(md, 0, &doc);
	struct kl_buf b = KL_BUF_INIT;
	int closes, opens;

	(void)state;
	/* "<why>" is not plain text: that block stays raw (omitted), so nothing pairs */
	assert_null(strstr(html, "<details"));
	assert_null(strstr(html, "<why>"));
	md_doc_release(&doc);

	md = "1. Why?\n\n"
	     "   <details>\n   <summary>Answer & \"more\"</summary>\n\n"
	     "   Because `x` *matters*.\n\n   </details>\n\n"
	     "<details>\n\nNo summary, [a link](signals.md).\n\n</details>\n";
	html = S_render(md, 0, &doc);
	assert_non_null(strstr(html, "<li>\n<p>Why?</p>\n<details class=\"fold\">\n"
				     "<summary>Answer &amp; &quot;more&quot;</summary>\n"
				     "<p>Because <code>x</code> <em>matters</em>.</p>\n</details>\n"));
	assert_non_null(strstr(html, "<details class=\"fold\">\n<p>No summary, "
				     "<a href=\"/notes/signals\">a link</a>.</p>\n</details>\n"));
	md_doc_release(&doc);

	/* attributes, other tags, a close in a list item for an open outside: omitted */
	md = "<details open>\n\nx\n\n</details>\n\n<details onclick=\"y()\">\n\n</details>\n";
	html = S_render(md, 0, &doc);
	assert_null(strstr(html, "<details"));
	assert_null(strstr(html, "onclick"));
	md_doc_release(&doc);
	md = "<details>\n\n- item\n\n  </details>\n\n</details>\n";
	html = S_render(md, 0, &doc);
	assert_null(strstr(html, "<details"));
	md_doc_release(&doc);
	md = "<details>\n<summary>s</summary>\n\nnever closed\n";
	html = S_render(md, 0, &doc);
	assert_null(strstr(html, "<details"));
	md_doc_release(&doc);

	assert_int_equal(md_fold_parse("</details>\n<details><summary>B</summary>", &closes,
				       &opens, &b), 0);
	assert_int_equal(closes, 1);
	assert_int_equal(opens, 1);
	assert_int_equal(md_fold_parse("<details></details>", &closes, &opens, &b), -1);
	assert_int_equal(md_fold_parse("<details><summary>a\nb</summary>", &closes, &opens, &b), -1);
	assert_int_equal(md_fold_parse("<details><summary></summary>", &closes, &opens, &b), -1);
	assert_int_equal(md_fold_parse("<details><script>", &closes, &opens, &b), -1);
	assert_int_equal(md_fold_parse("  ", &closes, &opens, &b), -1);
	kl_buf_release(&b);
}

static void test_highlight_edges(void **state)
{
	struct kl_buf b = KL_BUF_INIT;
	const char *unterminated = "/* never closed <x>";

	(void)state;
	md_highlight_c(unterminated, strlen(unterminated), &b);
	assert_string_equal(kl_buf_str(&b), "<span class=\"tok-com\">/* never closed &lt;x&gt;</span>");
	kl_buf_reset(&b);
	md_highlight_c("\"open\nx 1.5e-3f 'c'", 19, &b);
	assert_non_null(strstr(kl_buf_str(&b), "<span class=\"tok-str\">&quot;open</span>\n"));
	assert_non_null(strstr(kl_buf_str(&b), "<span class=\"tok-num\">1.5e-3f</span>"));
	assert_non_null(strstr(kl_buf_str(&b), "<span class=\"tok-str\">&#39;c&#39;</span>"));
	kl_buf_release(&b);
}

static void test_plain_text(void **state)
{
	struct kl_buf b = KL_BUF_INIT;
	const char *md = "# Head\n\nSome *emph* and `spin_lock()`.\n\n```c\nint x;\n```\n";

	(void)state;
	md_plain_text(md, strlen(md), &b);
	assert_non_null(strstr(kl_buf_str(&b), "Head"));
	assert_non_null(strstr(kl_buf_str(&b), "Some emph and spin_lock()."));
	assert_non_null(strstr(kl_buf_str(&b), "int x;"));
	assert_null(strchr(kl_buf_str(&b), '*'));
	kl_buf_release(&b);
}

static void test_diagram_and_table(void **state)
{
	const char *md = "# T\n\n![A list](/static/diagrams/list-head.svg)\n\n"
			 "| | |\n|---|---|\n| name | `klab_echo` |\n| version | 1 |\n";
	struct md_doc doc;
	struct kl_err err;

	(void)state;
	assert_int_equal(md_render(md, strlen(md), &S_res, MD_DROP_TITLE, &doc, &err), 0);
	assert_non_null(strstr(doc.html, "<a class=\"diagram\" href=\"/static/diagrams/list-head.svg\""));
	assert_non_null(strstr(doc.html, "<img src=\"/static/diagrams/list-head.svg\" alt=\"A list\""));
	assert_null(strstr(doc.html, "<thead>"));
	assert_non_null(strstr(doc.html, "<td>name</td>"));
	md_doc_release(&doc);
	/* a real header row stays */
	md = "| a | b |\n|---|---|\n| 1 | 2 |\n";
	assert_int_equal(md_render(md, strlen(md), &S_res, 0, &doc, &err), 0);
	assert_non_null(strstr(doc.html, "<thead>"));
	md_doc_release(&doc);
}

static void test_diff(void **state)
{
	const char *d = "--- a/x.c\n+++ b/x.c\n@@ -10,3 +10,3 @@ f\n a\n-b\n+c\n d\n";
	struct kl_buf out = KL_BUF_INIT;

	(void)state;
	md_highlight_diff(d, strlen(d), &out);
	const char *h = kl_buf_str(&out);
	assert_non_null(strstr(h, "<span class=\"d-meta\">"));
	assert_non_null(strstr(h, "<span class=\"d-hunk\">"));
	/* context: both numbers; removed: old only; added: new only */
	assert_non_null(strstr(h, "data-n=\"10\"></span><span class=\"ln\" data-n=\"10\"></span> a"));
	assert_non_null(strstr(h, "<span class=\"d-del\"><span class=\"ln\" data-n=\"11\"></span>"
				  "<span class=\"ln\" data-n=\"\"></span>-b"));
	assert_non_null(strstr(h, "<span class=\"d-add\"><span class=\"ln\" data-n=\"\"></span>"
				  "<span class=\"ln\" data-n=\"11\"></span>+c"));
	assert_non_null(strstr(h, "data-n=\"12\"></span><span class=\"ln\" data-n=\"12\"></span> d"));
	kl_buf_release(&out);
	/* a ```diff block in a note gets the same */
	const char *md = "```diff\n@@ -1 +1 @@\n-x\n+y\n```\n";
	struct md_doc doc;
	struct kl_err err;
	assert_int_equal(md_render(md, strlen(md), &S_res, 0, &doc, &err), 0);
	assert_non_null(strstr(doc.html, "<pre class=\"diff\">"));
	assert_non_null(strstr(doc.html, "<span class=\"d-add\">"));
	md_doc_release(&doc);
}

static void test_marks(void **state)
{
	const struct md_mark marks[] = {
		{ "do_greoup_exit", "unknown identifier, did you mean `do_group_exit`?" },
		{ "no_such", "unknown identifier <&>" },
	};
	struct md_resolver res = S_res;
	const char *md = "# T\n\nif fatal -> do_greoup_exit()->...no_such and do_greoup_exit\n"
			 "not no_such_thing nor xdo_greoup_exit; `do_greoup_exit()`, `struct no_such`,"
			 " `no_such_x`.\n\n| a |\n|---|\n| no_such |\n";
	struct md_doc doc;
	struct kl_err err;
	const char *h;
	size_t n = 0;

	(void)state;
	res.marks = marks;
	res.nmarks = 2;
	assert_int_equal(md_render(md, strlen(md), &res, 0, &doc, &err), 0);
	h = doc.html;
	assert_non_null(strstr(h, "if fatal -&gt; <span class=\"ident-unknown\" title=\"unknown "
				  "identifier, did you mean `do_group_exit`?\">do_greoup_exit</span>()"
				  "-&gt;...<span class=\"ident-unknown\" title=\"unknown identifier "
				  "&lt;&amp;&gt;\">no_such</span> and <span class=\"ident-unknown\""));
	assert_non_null(strstr(h, "not no_such_thing nor xdo_greoup_exit; <span class=\"ident-unknown"
				  "\" title=\"unknown identifier, did you mean `do_group_exit`?\"><code>"
				  "do_greoup_exit()</code></span>, <span class=\"ident-unknown\" title="
				  "\"unknown identifier &lt;&amp;&gt;\"><code>struct no_such</code></span>,"
				  " <code>no_such_x</code>."));
	for (const char *p = h; (p = strstr(p, "ident-unknown")); p++)
		n++;
	assert_int_equal(n, 5); /* not in the table: a cell takes no custom node */
	md_doc_release(&doc);
}

static void test_section_of(void **state)
{
	const char *md = "# Title\n\nIntro words.\n\n## Pending signals\n\nA `sigqueue` is queued.\n\n"
			 "## Delivery\n\nThe sigqueue is freed.\n\n## Delivery\n\nagain, twice\n";
	char *a;

	(void)state;
	a = md_section_of(md, strlen(md), MD_DROP_TITLE, "A sigqueue is");
	assert_string_equal(a, "pending-signals");
	free(a);
	a = md_section_of(md, strlen(md), MD_DROP_TITLE, "SIGQUEUE IS FREED");
	assert_string_equal(a, "delivery");
	free(a);
	a = md_section_of(md, strlen(md), MD_DROP_TITLE, "twice");
	assert_string_equal(a, "delivery-1"); /* the id md_render gives the second one */
	free(a);
	assert_null(md_section_of(md, strlen(md), MD_DROP_TITLE, "Intro"));
	assert_null(md_section_of(md, strlen(md), MD_DROP_TITLE, "nowhere"));
}

static void test_sections(void **state)
{
	const char *md = "# Title\n\nIntro words.\n\n## Pending signals\n\nA `sigqueue` is queued.\n\n"
			 "```c\nsend_sig(sig, p, 0);\n```\n\n## Delivery\n\nfreed\n\n### Delivery\n\n"
			 "again\n\n## Last\n\nthe end\n";
	struct md_section *v;
	size_t n;

	(void)state;
	md_sections(md, strlen(md), MD_DROP_TITLE, 64, &v, &n);
	assert_int_equal(n, 5);
	assert_null(v[0].id);
	assert_string_equal(kl_buf_str(&v[0].text), "Intro words.\n");
	assert_string_equal(v[1].id, "pending-signals");
	assert_string_equal(v[1].heading, "Pending signals");
	assert_non_null(strstr(kl_buf_str(&v[1].text), "A sigqueue is queued."));
	assert_non_null(strstr(kl_buf_str(&v[1].text), "send_sig(sig, p, 0);")); /* code too */
	assert_string_equal(v[2].id, "delivery");
	assert_string_equal(v[3].id, "delivery-1"); /* as md_render numbers the second one */
	assert_null(strstr(kl_buf_str(&v[2].text), "again"));
	md_sections_free(v, n);
	/* past max sections, the rest goes into the last one */
	md_sections(md, strlen(md), MD_DROP_TITLE, 3, &v, &n);
	assert_int_equal(n, 3);
	assert_non_null(strstr(kl_buf_str(&v[2].text), "the end"));
	md_sections_free(v, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_safe_mode),
		cmocka_unit_test(test_headings_toc),
		cmocka_unit_test(test_rewritten_links),
		cmocka_unit_test(test_tables_and_code),
		cmocka_unit_test(test_broken_link_in_table),
		cmocka_unit_test(test_folds),
		cmocka_unit_test(test_highlight_edges),
		cmocka_unit_test(test_plain_text),
		cmocka_unit_test(test_diagram_and_table),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_section_of),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_marks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
