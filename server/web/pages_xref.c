/*
 * pages_xref.c - the lab kernel's source, cross-referenced (xref/xref.h):
 *   /source/          the tree, folder by folder;
 *   /source/PATH      a file, C highlighted, each line an anchor L<n>, every
 *                     identifier a link to /ident/NAME;
 *   /ident/NAME       definitions by kind (kernel-doc marked), initializers,
 *                     the ops tables NAME sits in, references by file, paged;
 *   /api/ident/NAME   the same as JSON (the JSON of `klab xref --json`).
 * Files are found by their path in the index only, never on the filesystem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "web/handlers.h"
#include "web/page.h"
#include "xref/lex.h"
#include "xref/xref.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define S_CACHE_MAX_BYTES (128u << 10) /* source pages larger than this are not cached */


static void S_no_index(struct web_site *s, struct web_reply *rp)
{
	web_page_error(s, rp, 503, "The source index is not built",
		       "Build it once with `klab xref --build` (a few minutes); this page works "
		       "as soon as it is there, without restarting the server.");
}

static int S_page_arg(const struct web_request *rq)
{
	const char *p = rq->arg(rq->arg_ctx, "page");
	long n = p ? strtol(p, NULL, 10) : 1;

	return n < 1 || n > 100000 ? 1 : (int)n;
}

/* ---------------------------------------------------------------- /ident */

static void S_def_items(struct web_site *s, const struct xref_result *r, struct kl_buf *out)
{
	const char *kind = NULL;
	struct kl_buf items = KL_BUF_INIT;

	for (size_t i = 0; i <= r->ndefs; i++) {
		const struct xref_def *d = i < r->ndefs ? &r->defs[i] : NULL;
		if (kind && (!d || strcmp(d->kind, kind) != 0)) {
			const struct web_var v[] = { WEB_TEXT("kind", kind),
						     WEB_HTML("items", kl_buf_str(&items)) };
			web_tpl_render(s->tpls, "xref:defgroup", v, N(v), out);
			kl_buf_reset(&items);
		}
		if (!d)
			break;
		kind = d->kind;
		char line[16];
		char *url = kl_sprintf("/source/%s#L%d", d->file, d->line);
		char *doc_url = d->doc_line ? kl_sprintf("/source/%s#L%d", d->file, d->doc_line)
					    : NULL;
		snprintf(line, sizeof(line), "%d", d->line);
		struct kl_buf in = KL_BUF_INIT;
		if (d->scope) {
			const struct web_var sv[] = { WEB_TEXT("scope", d->scope) };
			web_tpl_render(s->tpls, "xref:scope", sv, N(sv), &in);
		}
		const struct web_var v[] = {
			WEB_TEXT("url", url),   WEB_TEXT("file", d->file), WEB_TEXT("line", line),
			WEB_HTML("in", in.len ? kl_buf_str(&in) : NULL), WEB_TEXT("doc_url", doc_url),
		};
		web_tpl_render(s->tpls, d->doc_line ? "xref:def_doc" : "xref:def", v, N(v),
			       &items);
		kl_buf_release(&in);
		free(url);
		free(doc_url);
	}
	kl_buf_release(&items);
}

/* A section of initializers (fragment "xref:inits" or "xref:uses"); nothing when none. */
static void S_init_items(struct web_site *s, const char *section, const struct xref_init *in,
			 size_t n, size_t total, struct kl_buf *out)
{
	struct kl_buf items = KL_BUF_INIT;
	char line[16], count[32];

	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char *url = kl_sprintf("/source/%s#L%d", in[i].file, in[i].line);
		snprintf(line, sizeof(line), "%d", in[i].line);
		const struct web_var v[] = {
			WEB_TEXT("url", url),          WEB_TEXT("file", in[i].file),
			WEB_TEXT("line", line),        WEB_TEXT("type", in[i].type),
			WEB_TEXT("member", in[i].member), WEB_TEXT("value", in[i].value),
			WEB_TEXT("variable", in[i].variable),
		};
		web_tpl_render(s->tpls, "xref:init", v, N(v), &items);
		free(url);
	}
	snprintf(count, sizeof(count), "%zu", total);
	const struct web_var v[] = { WEB_TEXT("count", count),
				     WEB_HTML("items", kl_buf_str(&items)) };
	web_tpl_render(s->tpls, section, v, N(v), out);
	kl_buf_release(&items);
}

static void S_ref_items(struct web_site *s, const struct xref_result *r, struct kl_buf *out)
{
	struct kl_buf lines = KL_BUF_INIT;

	for (size_t i = 0; i < r->nrefs; i++) {
		const struct xref_ref_file *f = &r->refs[i];
		kl_buf_reset(&lines);
		for (size_t j = 0; j < f->nlines; j++) {
			kl_buf_puts(&lines, "<a href=\"/source/");
			kl_buf_puts_html(&lines, f->file);
			kl_buf_printf(&lines, "#L%d\">%d</a> ", f->lines[j], f->lines[j]);
		}
		if (f->total > f->nlines)
			kl_buf_printf(&lines, "<span class=\"muted\">and %zu more</span>",
				      f->total - f->nlines);
		char *url = kl_sprintf("/source/%s", f->file);
		const struct web_var v[] = { WEB_TEXT("url", url), WEB_TEXT("file", f->file),
					     WEB_HTML("lines", kl_buf_str(&lines)) };
		web_tpl_render(s->tpls, "xref:reffile", v, N(v), out);
		free(url);
	}
	kl_buf_release(&lines);
}

static void S_pager(const struct xref_result *r, struct kl_buf *out)
{
	if (r->pages <= 1)
		return;
	kl_buf_puts(out, "<nav class=\"pager\" aria-label=\"Pages of definitions, references and "
			"initializers\">");
	if (r->page > 1)
		kl_buf_printf(out, "<a rel=\"prev\" href=\"?page=%d\">← page %d</a> ", r->page - 1,
			      r->page - 1);
	kl_buf_printf(out, "<span>page %d of %d</span>", r->page, r->pages);
	if (r->page < r->pages)
		kl_buf_printf(out, " <a rel=\"next\" href=\"?page=%d\">page %d →</a>", r->page + 1,
			      r->page + 1);
	kl_buf_puts(out, "</nav>");
}

void web_page_ident(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const char *name = rq->params[0];
	struct xref *x = web_site_xref(s);
	struct xref_result r;
	struct kl_err err = { "" };
	struct kl_buf defs = KL_BUF_INIT, inits = KL_BUF_INIT, uses = KL_BUF_INIT;
	struct kl_buf refs = KL_BUF_INIT, pager = KL_BUF_INIT, body = KL_BUF_INIT;
	char counts[128];

	if (!xref_name_ok(name)) {
		web_page_error(s, rp, 400, "Not an identifier",
			       "An identifier page takes a C name such as task_struct, or "
			       "TYPE.MEMBER such as file_operations.read_iter.");
		return;
	}
	if (!x) {
		S_no_index(s, rp);
		return;
	}
	int found = xref_lookup(x, name, S_page_arg(rq), &r, &err);
	if (found <= 0) {
		char *msg = found < 0 ? kl_strdup(err.msg)
				      : kl_sprintf("The 6.1 kernel's source (x86 and the generic "
						   "tree) never mentions %s.", name);
		web_page_error(s, rp, found < 0 ? 500 : 404, "Unknown identifier", msg);
		free(msg);
		xref_result_release(&r);
		return;
	}
	S_def_items(s, &r, &defs);
	S_init_items(s, "xref:inits", r.inits, r.ninits, r.inits_total, &inits);
	S_init_items(s, "xref:uses", r.uses, r.nuses, r.uses_total, &uses);
	S_ref_items(s, &r, &refs);
	S_pager(&r, &pager);
	snprintf(counts, sizeof(counts), "%zu in %zu file%s", r.ref_total, r.ref_files,
		 r.ref_files == 1 ? "" : "s");
	const struct web_var v[] = {
		WEB_TEXT("name", name),
		WEB_HTML("defs", defs.len ? kl_buf_str(&defs) : NULL),
		WEB_HTML("inits", inits.len ? kl_buf_str(&inits) : NULL),
		WEB_HTML("uses", uses.len ? kl_buf_str(&uses) : NULL),
		WEB_TEXT("counts", counts),
		WEB_HTML("refs", kl_buf_str(&refs)),
		WEB_HTML("pager", kl_buf_str(&pager)),
	};
	web_tpl_render(s->tpls, "xref", v, N(v), &body);
	web_page_finish(s, rp, 200, name, NULL, "page", kl_buf_str(&body));
	xref_result_release(&r);
	kl_buf_release(&defs);
	kl_buf_release(&inits);
	kl_buf_release(&uses);
	kl_buf_release(&refs);
	kl_buf_release(&pager);
	kl_buf_release(&body);
}

static void S_json_error(struct web_reply *rp, int status, const char *msg)
{
	kl_buf_reset(&rp->body);
	kl_buf_puts(&rp->body, "{\"error\":");
	kl_buf_put_json(&rp->body, msg);
	kl_buf_puts(&rp->body, "}\n");
	rp->status = status;
	rp->type = "application/json; charset=utf-8";
}

void web_api_ident(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const char *name = rq->params[0];
	struct xref *x = web_site_xref(s);
	struct xref_result r;
	struct kl_err err = { "" };

	if (!xref_name_ok(name)) {
		S_json_error(rp, 400, "not a C identifier: give NAME or TYPE.MEMBER");
		return;
	}
	if (!x) {
		S_json_error(rp, 503, "the source index is not built: run `klab xref --build`");
		return;
	}
	int found = xref_lookup(x, name, S_page_arg(rq), &r, &err);
	if (found < 0) {
		S_json_error(rp, 500, err.msg);
	} else {
		kl_buf_reset(&rp->body);
		xref_result_json(&r, &rp->body);
		kl_buf_putc(&rp->body, '\n');
		rp->status = found ? 200 : 404;
		rp->type = "application/json; charset=utf-8";
	}
	xref_result_release(&r);
}

/* ---------------------------------------------------------------- /source */

/* "a/b/c.c" as links: source / a / b / c.c (the last one plain). */
static void S_crumbs(const char *path, struct kl_buf *out)
{
	kl_buf_puts(out, "<a href=\"/source/\">source</a>");
	for (const char *p = path; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		kl_buf_puts(out, " / ");
		if (slash) {
			kl_buf_puts(out, "<a href=\"/source/");
			kl_buf_add_html(out, path, (size_t)(p - path) + n);
			kl_buf_puts(out, "\">");
		}
		kl_buf_add_html(out, p, n);
		if (slash)
			kl_buf_puts(out, "</a>");
		p += n + (slash ? 1 : 0);
	}
}

static const char *S_tok_class(const struct xref_tok *t)
{
	switch (t->type) {
	case XREF_T_KEYWORD:
		return "tok-kw";
	case XREF_T_NUMBER:
		return "tok-num";
	case XREF_T_STRING:
	case XREF_T_CHAR:
	case XREF_T_HEADER:
		return "tok-str";
	case XREF_T_COMMENT:
		return "tok-com";
	case XREF_T_DIRECTIVE:
		return "tok-pp";
	default:
		return NULL;
	}
}

/* Text of a token, split at newlines into numbered lines, inside span class cls. */
static void S_emit(const char *s, size_t n, const char *cls, int *line, struct kl_buf *out)
{
	while (n) {
		const char *nl = memchr(s, '\n', n);
		size_t k = nl ? (size_t)(nl - s) : n;
		if (k) {
			if (cls)
				kl_buf_printf(out, "<span class=\"%s\">", cls);
			kl_buf_add_html(out, s, k);
			if (cls)
				kl_buf_puts(out, "</span>");
		}
		if (!nl)
			break;
		++*line;
		kl_buf_printf(out, "\n</span><span class=\"line\" id=\"L%d\"><a class=\"ln\" "
				   "href=\"#L%d\">%d</a>", *line, *line, *line);
		s += k + 1;
		n -= k + 1;
	}
}

/* The file as highlighted, numbered lines. */
static void S_code(const char *text, size_t len, struct kl_buf *out)
{
	struct xref_lex lx;
	struct xref_tok t;
	int line = 1;

	kl_buf_grow(out, len * 3);
	kl_buf_puts(out, "<pre class=\"src\"><code><span class=\"line\" id=\"L1\"><a class=\"ln\" "
			 "href=\"#L1\">1</a>");
	xref_lex_init(&lx, text, len);
	for (xref_lex_next(&lx, &t); t.type != XREF_T_END; xref_lex_next(&lx, &t)) {
		if (t.type == XREF_T_IDENT) {
			kl_buf_puts(out, "<a href=\"/ident/");
			kl_buf_add(out, t.s, t.n);
			kl_buf_puts(out, "\">");
			kl_buf_add(out, t.s, t.n);
			kl_buf_puts(out, "</a>");
		} else {
			S_emit(t.s, t.n, S_tok_class(&t), &line, out);
		}
	}
	kl_buf_puts(out, "</span></code></pre>");
}

static void S_dir_page(struct web_site *s, const char *dir, const struct xref_entry *e,
		       size_t n, struct web_reply *rp)
{
	struct kl_buf items = KL_BUF_INIT, crumbs = KL_BUF_INIT, body = KL_BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		char *url = kl_sprintf("/source/%s%s%s%s", dir, *dir ? "/" : "", e[i].name,
				       e[i].dir ? "/" : "");
		char lines[32] = "";
		if (!e[i].dir)
			snprintf(lines, sizeof(lines), "%d lines", e[i].lines);
		const struct web_var v[] = { WEB_TEXT("url", url), WEB_TEXT("name", e[i].name),
					     WEB_TEXT("lines", lines) };
		web_tpl_render(s->tpls, e[i].dir ? "xref:direntry" : "xref:fileentry", v, N(v),
			       &items);
		free(url);
	}
	S_crumbs(dir, &crumbs);
	const struct web_var v[] = { WEB_HTML("crumbs", kl_buf_str(&crumbs)),
				     WEB_HTML("items", kl_buf_str(&items)) };
	web_tpl_render(s->tpls, "xref:dir", v, N(v), &body);
	web_page_finish(s, rp, 200, *dir ? dir : "Kernel source", NULL, "page", kl_buf_str(&body));
	rp->cache = 1;
	kl_buf_release(&items);
	kl_buf_release(&crumbs);
	kl_buf_release(&body);
}

/* A path the index may hold: segments of printable bytes, none empty, "." or "..". */
static bool S_path_ok(const char *p)
{
	if (strlen(p) > 512)
		return false;
	for (const char *seg = p;;) {
		size_t n = strcspn(seg, "/");
		if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && !strncmp(seg, "..", 2)))
			return false;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)seg[i] <= 0x20 || seg[i] == '\\' || seg[i] == 0x7f)
				return false;
		if (!seg[n])
			return true;
		seg += n + 1;
	}
}

void web_page_source(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	char path[600];
	const char *rest = rq->nparams ? rq->params[0] : "";
	struct xref *x = web_site_xref(s);
	struct xref_entry *e = NULL;
	struct kl_buf text = KL_BUF_INIT, code = KL_BUF_INIT, crumbs = KL_BUF_INIT;
	struct kl_buf body = KL_BUF_INIT;
	struct kl_err err = { "" };
	size_t n = 0, len = strlen(rest);

	if (len >= sizeof(path))
		goto not_found;
	memcpy(path, rest, len + 1);
	if (len && path[len - 1] == '/')
		path[--len] = '\0';
	if (len && !S_path_ok(path))
		goto not_found;
	if (!x) {
		S_no_index(s, rp);
		return;
	}
	if (xref_dir(x, path, &e, &n, &err) == 1) {
		S_dir_page(s, path, e, n, rp);
		xref_entries_free(e, n);
		return;
	}
	int rc = len ? xref_file(x, path, &text, &err) : 0;
	if (rc < 0) {
		web_page_error(s, rp, 500, "This file cannot be read", err.msg);
		goto out;
	}
	if (rc == 0)
		goto not_found;
	S_code(kl_buf_str(&text), text.len, &code);
	S_crumbs(path, &crumbs);
	const struct web_var v[] = { WEB_HTML("crumbs", kl_buf_str(&crumbs)),
				     WEB_TEXT("path", path), WEB_HTML("code", kl_buf_str(&code)) };
	web_tpl_render(s->tpls, "xref:file", v, N(v), &body);
	web_page_finish(s, rp, 200, path, NULL, "wide", kl_buf_str(&body));
	/* the server keeps up to 700 pages: big files are rendered each time instead */
	rp->cache = rp->body.len <= S_CACHE_MAX_BYTES;
	goto out;
not_found:
	web_page_error(s, rp, 404, "No such source file",
		       "The lab kernel's source index has no file or folder at this path. "
		       "/source/ lists the tree from its top.");
out:
	kl_buf_release(&text);
	kl_buf_release(&code);
	kl_buf_release(&crumbs);
	kl_buf_release(&body);
}
