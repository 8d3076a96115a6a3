/*
 * pages.c - the HTML pages about notes: a note, its history and one commit's
 * diff, search, the error pages and the pagers (the home and topic pages are
 * in pages_home.c). Each fills a template of static/templates/; the HTML built here is
 * limited to what templates cannot hold (rendered Markdown, diffs, marks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check/check.h"
#include "core/frontmatter.h"
#include "core/content.h"
#include "core/fsutil.h"
#include "web/handlers.h"
#include "web/page.h"
#include "web/post.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- shared */

void web_page_finish(struct web_site *s, struct web_reply *rp, int status, const char *title,
		     const char *q, const char *layout, const char *body)
{
	const struct web_var vars[] = {
		WEB_TEXT("title", title),
		WEB_TEXT("q", q ? q : ""),
		WEB_TEXT("layout", layout ? layout : "page"),
		WEB_HTML("body", body),
	};

	rp->status = status;
	rp->type = "text/html; charset=utf-8";
	kl_buf_reset(&rp->body);
	web_tpl_render(s->tpls, "page", vars, N(vars), &rp->body);
}

void web_time_iso(long long t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void web_time_human(long long t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	localtime_r(&tt, &tm);
	strftime(out, size, "%-d %b %Y, %H:%M", &tm);
}

void web_diff_html(const char *diff, size_t len, struct kl_buf *out)
{
	md_highlight_diff(diff, len, out);
}

char *web_hit_url(struct web_site *s, const struct search_hit *h)
{
	int note = strcmp(h->kind, "note") == 0, mine = strcmp(h->kind, "mine") == 0;
	const char *base = note ? "notes" : mine ? "my" : "labs";

	(void)s;
	if (h->anchor && *h->anchor)
		return kl_sprintf("/%s/%s#%s", base, h->id, h->anchor);
	return kl_sprintf("/%s/%s", base, h->id);
}

/*
 * `klab check`'s findings in path as marks for md_render (*marks and their
 * titles in rep and titles: the caller releases them), one per name.
 */
static void S_check_marks(struct web_site *s, const char *path, bool prose,
			  struct check_report *rep, struct md_mark **marks, size_t *n,
			  char ***titles)
{
	const struct check_kernel *k = web_site_check(s);
	struct kl_err err;

	*marks = NULL;
	*titles = NULL;
	*n = 0;
	if (!k || check_identifiers(k, path, path, prose, rep, &err) < 0 || !rep->n)
		return;
	*marks = calloc(rep->n, sizeof(**marks));
	*titles = calloc(rep->n, sizeof(**titles));
	if (!*marks || !*titles)
		abort();
	for (size_t i = 0; i < rep->n; i++) {
		const struct check_problem *p = &rep->problems[i];
		bool seen = false;
		for (size_t j = 0; j < *n && !seen; j++)
			seen = strcmp((*marks)[j].word, p->name) == 0;
		if (seen)
			continue;
		(*titles)[*n] = p->suggestion
			? kl_sprintf("unknown identifier, did you mean %s?", p->suggestion)
			: kl_sprintf("unknown identifier: not in the %s kernel", k->version);
		(*marks)[*n] = (struct md_mark){ p->name, (*titles)[*n] };
		(*n)++;
	}
}

int web_render_file(struct web_site *s, const char *path, int flags, struct md_doc *doc,
		    char **fm_title, struct kl_err *err)
{
	struct kl_buf text = KL_BUF_INIT;
	struct kl_fm fm;
	struct kl_err e2;
	struct md_resolver res = s->resolver;
	struct check_report rep;
	struct md_mark *marks = NULL;
	char **titles = NULL;
	size_t nmarks = 0;
	int rc = -1;

	memset(&rep, 0, sizeof(rep));

	if (fm_title)
		*fm_title = NULL;
	if (kl_read_file(path, &text, 4 << 20, err) < 0)
		goto out;
	if (strncmp(kl_buf_str(&text), "---", 3) != 0)
		memset(&fm, 0, sizeof(fm)); /* no front matter (a learner's note): all is body */
	else if (kl_fm_parse(kl_buf_str(&text), text.len, &fm, &e2) < 0) {
		kl_err_set(err, "%s: %s", path, e2.msg);
		goto out;
	}
	if (fm_title && kl_fm_str(&fm, "title"))
		*fm_title = kl_strdup(kl_fm_str(&fm, "title"));
	if (flags & (WEB_RENDER_CHECK | WEB_RENDER_CHECK_PROSE))
		S_check_marks(s, path, flags & WEB_RENDER_CHECK_PROSE, &rep, &marks, &nmarks,
			      &titles);
	res.marks = marks;
	res.nmarks = nmarks;
	rc = md_render(kl_buf_str(&text) + fm.body_offset, text.len - fm.body_offset, &res,
		       flags & ~(WEB_RENDER_CHECK | WEB_RENDER_CHECK_PROSE), doc, err);
	kl_fm_release(&fm);
out:
	kl_strv_free(titles, nmarks);
	free(marks);
	check_report_release(&rep);
	kl_buf_release(&text);
	return rc;
}

void web_page_error(struct web_site *s, struct web_reply *rp, int status, const char *title,
		    const char *message)
{
	struct kl_buf body = KL_BUF_INIT;
	char code[8];

	struct kl_buf msg = KL_BUF_INIT;

	/* `x` in a message is code, as in Markdown */
	for (const char *p = message; *p;) {
		const char *tick = strchr(p, '`');
		const char *close = tick ? strchr(tick + 1, '`') : NULL;
		if (!close) {
			kl_buf_puts_html(&msg, p);
			break;
		}
		kl_buf_add_html(&msg, p, (size_t)(tick - p));
		kl_buf_puts(&msg, "<code>");
		kl_buf_add_html(&msg, tick + 1, (size_t)(close - tick - 1));
		kl_buf_puts(&msg, "</code>");
		p = close + 1;
	}
	snprintf(code, sizeof(code), "%d", status);
	const struct web_var vars[] = {
		WEB_TEXT("status", code),
		WEB_TEXT("title", title),
		WEB_HTML("message", kl_buf_str(&msg)),
	};
	web_tpl_render(s->tpls, "error", vars, N(vars), &body);
	kl_buf_release(&msg);
	web_page_finish(s, rp, status, title, NULL, "narrow", kl_buf_str(&body));
	rp->cache = 0;
	kl_buf_release(&body);
}

void web_page_not_found(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	(void)rq;
	web_page_error(s, rp, 404, "Page not found",
		       "Nothing lives at this address. The topics on the home page lead to every "
		       "note and lab, and the search box finds words inside them.");
}

/* ---------------------------------------------------------------- pagers */

/* Labs in curriculum order: by their home note, their place in its list, then id. */
static int S_lab_before(const struct web_site *s, const struct web_lab *a,
			const struct web_lab *b)
{
	long ha = a->home, hb = b->home;
	size_t pa = (size_t)-1, pb = (size_t)-1;

	if (ha != hb)
		return (unsigned long)ha < (unsigned long)hb; /* -1 (no note) last */
	for (size_t i = 0; ha >= 0 && i < s->notes[ha].fm.nlabs; i++) {
		if (strcmp(s->notes[ha].fm.labs[i], a->id) == 0 && pa == (size_t)-1)
			pa = i;
		if (strcmp(s->notes[ha].fm.labs[i], b->id) == 0 && pb == (size_t)-1)
			pb = i;
	}
	return pa != pb ? pa < pb : strcmp(a->id, b->id) < 0;
}

void web_pager(struct web_site *s, const char *prev_url, const char *prev_title,
	       const char *next_url, const char *next_title, struct kl_buf *out)
{
	struct kl_buf links = KL_BUF_INIT;

	if (prev_url) {
		const struct web_var v[] = { WEB_TEXT("url", prev_url), WEB_TEXT("title", prev_title) };
		web_tpl_render(s->tpls, "note:prev", v, N(v), &links);
	}
	if (next_url) {
		const struct web_var v[] = { WEB_TEXT("url", next_url), WEB_TEXT("title", next_title) };
		web_tpl_render(s->tpls, "note:next", v, N(v), &links);
	}
	if (links.len) {
		const struct web_var v[] = { WEB_HTML("links", kl_buf_str(&links)) };
		web_tpl_render(s->tpls, "note:pager", v, N(v), out);
	}
	kl_buf_release(&links);
}

void web_lab_pager(struct web_site *s, const char *id, struct kl_buf *out)
{
	const struct web_lab *prev = NULL, *next = NULL, *at = web_site_lab(s, id);

	for (size_t i = 0; at && i < s->nlabs; i++) {
		const struct web_lab *l = &s->labs[i];
		if (l == at)
			continue;
		if (S_lab_before(s, l, at) && (!prev || S_lab_before(s, prev, l)))
			prev = l;
		if (S_lab_before(s, at, l) && (!next || S_lab_before(s, l, next)))
			next = l;
	}
	char *pu = prev ? kl_sprintf("/labs/%s", prev->id) : NULL;
	char *nu = next ? kl_sprintf("/labs/%s", next->id) : NULL;
	web_pager(s, pu, prev ? prev->title : NULL, nu, next ? next->title : NULL, out);
	free(pu);
	free(nu);
}

/* ---------------------------------------------------------------- note */

/* The note for a request's first parameter, or an error page in rp (NULL). */
static const struct web_note *S_note_or_error(struct web_site *s, const struct web_request *rq,
					      struct web_reply *rp)
{
	const char *id = rq->params[0];
	const struct web_note *n = kl_valid_id(id) ? web_site_note(s, id) : NULL;

	if (n)
		return n;
	char *path = kl_valid_id(id) ? kl_content_file(s->cfg->content, "notes/%s.md", id) : NULL;
	if (path && kl_is_file(path)) {
		for (size_t i = 0; i < s->nproblems; i++) {
			if (strstr(s->problems[i], path)) {
				web_page_error(s, rp, 500, "This note cannot be read",
					       s->problems[i]);
				free(path);
				return NULL;
			}
		}
	}
	free(path);
	web_page_error(s, rp, 404, "No such note",
		       "There is no note by that name. The home page lists every topic.");
	return NULL;
}

/* The project's notes: /notes/ID, the source tree's history, a pager. */
static void S_project_view(struct web_site *s, struct web_note_view *v)
{
	v->base = "/notes";
	v->home_url = "/";
	v->home_title = "Topics";
	v->history = s->history;
	v->actions = NULL;
	v->pager = true;
	v->prose = false; /* the course keeps kernel names in code spans */
}

/* "Last changed ..." for a note, as HTML. */
static void S_changed_html(struct web_site *s, const struct web_note *n,
			   const struct web_note_view *view, struct kl_buf *out)
{
	struct history_commit *c = NULL;
	size_t nc = 0;
	struct kl_err err;

	if (!view->history) {
		web_tpl_render(s->tpls, "note:no_git", NULL, 0, out);
		return;
	}
	if (history_file(view->history, n->fm.path, &c, &nc, &err) < 0 || nc == 0) {
		web_tpl_render(s->tpls, "note:uncommitted", NULL, 0, out);
		history_commits_free(c, nc);
		return;
	}
	char iso[32], human[64], short_id[8];
	web_time_iso(c[0].time, iso, sizeof(iso));
	web_time_human(c[0].time, human, sizeof(human));
	snprintf(short_id, sizeof(short_id), "%.7s", c[0].id);
	const struct web_var v[] = {
		WEB_TEXT("id", n->id),       WEB_TEXT("iso", iso),
		WEB_TEXT("date", human),     WEB_TEXT("commit", c[0].id),
		WEB_TEXT("short", short_id), WEB_TEXT("summary", c[0].summary),
		WEB_TEXT("author", c[0].author), WEB_TEXT("base", view->base),
	};
	web_tpl_render(s->tpls, "note:changed", v, N(v), out);
	if (history_file_dirty(view->history, n->fm.path))
		web_tpl_render(s->tpls, "note:dirty", NULL, 0, out);
	history_commits_free(c, nc);
}

void web_page_note(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const struct web_note *n = S_note_or_error(s, rq, rp);
	struct web_note_view view;

	if (!n)
		return;
	S_project_view(s, &view);
	web_note_page(s, n, &view, rp);
}

void web_note_page(struct web_site *s, const struct web_note *n, const struct web_note_view *view,
		   struct web_reply *rp)
{
	struct kl_buf body = KL_BUF_INIT, labs = KL_BUF_INIT, chips = KL_BUF_INIT;
	struct kl_buf changed = KL_BUF_INIT, toc = KL_BUF_INIT, tags = KL_BUF_INIT;
	struct md_doc doc;
	struct kl_err err;

	if (!n)
		return;
	int check = view->prose ? WEB_RENDER_CHECK_PROSE : WEB_RENDER_CHECK;
	if (web_render_file(s, n->fm.path, MD_DROP_TITLE | check, &doc, NULL, &err) < 0) {
		web_page_error(s, rp, 500, "This note cannot be read", err.msg);
		return;
	}
	for (size_t i = 0; i < n->fm.nlabs; i++) {
		const struct web_lab *l = web_site_lab(s, n->fm.labs[i]);
		const struct web_var v[] = {
			WEB_TEXT("id", n->fm.labs[i]),
			WEB_TEXT("title", l ? l->title : n->fm.labs[i]),
			WEB_TEXT("difficulty", l ? l->difficulty : ""),
		};
		web_tpl_render(s->tpls, l ? "note:lab" : "note:lab_missing", v, N(v), &chips);
	}
	if (chips.len) {
		const struct web_var v[] = { WEB_HTML("items", kl_buf_str(&chips)) };
		web_tpl_render(s->tpls, "note:labs", v, N(v), &labs);
	}
	if (*doc.toc_html) {
		const struct web_var v[] = { WEB_HTML("items", doc.toc_html) };
		web_tpl_render(s->tpls, "note:toc", v, N(v), &toc);
	}
	for (size_t i = 0; i < n->fm.ntags; i++) {
		const struct web_var v[] = { WEB_TEXT("tag", n->fm.tags[i]) };
		web_tpl_render(s->tpls, "home:tag", v, N(v), &tags);
	}
	S_changed_html(s, n, view, &changed);
	/* previous and next topic, in the notes' order */
	struct kl_buf pager = KL_BUF_INIT;
	if (view->pager) {
		size_t at = (size_t)(n - s->notes);
		char *pu = at > 0 ? kl_sprintf("/notes/%s", s->notes[at - 1].id) : NULL;
		char *nu = at + 1 < s->nnotes ? kl_sprintf("/notes/%s", s->notes[at + 1].id) : NULL;
		web_pager(s, pu, pu ? s->notes[at - 1].fm.title : NULL, nu,
			  nu ? s->notes[at + 1].fm.title : NULL, &pager);
		free(pu);
		free(nu);
	}
	struct kl_buf read = KL_BUF_INIT;
	if (view->pager)
		web_note_read_html(s, n->id, &read); /* the course's notes only */
	const struct web_var v[] = {
		WEB_TEXT("base", view->base),
		WEB_TEXT("home_url", view->home_url),
		WEB_TEXT("home_title", view->home_title),
		WEB_HTML("actions", view->actions),
		WEB_HTML("pager", kl_buf_str(&pager)),
		WEB_HTML("read", kl_buf_str(&read)),
		WEB_TEXT("id", n->id),
		WEB_TEXT("topic", n->fm.topic),
		WEB_TEXT("title", n->fm.title),
		WEB_HTML("content", doc.html),
		WEB_HTML("toc", kl_buf_str(&toc)),
		WEB_HTML("labs", kl_buf_str(&labs)),
		WEB_HTML("tags", kl_buf_str(&tags)),
		WEB_HTML("changed", kl_buf_str(&changed)),
	};
	web_tpl_render(s->tpls, "note", v, N(v), &body);
	web_page_finish(s, rp, 200, n->fm.title, NULL, toc.len ? "with-toc" : "page",
			kl_buf_str(&body));
	rp->cache = 1;
	kl_buf_release(&read);
	md_doc_release(&doc);
	kl_buf_release(&body);
	kl_buf_release(&labs);
	kl_buf_release(&chips);
	kl_buf_release(&changed);
	kl_buf_release(&toc);
	kl_buf_release(&tags);
	kl_buf_release(&pager);
}

/* ---------------------------------------------------------------- history */

void web_page_history(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const struct web_note *n = S_note_or_error(s, rq, rp);
	struct web_note_view view;

	if (!n)
		return;
	S_project_view(s, &view);
	web_note_history_page(s, n, &view, rp);
}

void web_note_history_page(struct web_site *s, const struct web_note *n,
			   const struct web_note_view *view, struct web_reply *rp)
{
	struct kl_buf rows = KL_BUF_INIT, body = KL_BUF_INIT, notice = KL_BUF_INIT;
	struct history_commit *c = NULL;
	size_t nc = 0;
	struct kl_err err;

	if (!view->history) {
		web_tpl_render(s->tpls, "history:no_git", NULL, 0, &notice);
	} else if (history_file(view->history, n->fm.path, &c, &nc, &err) < 0) {
		web_page_error(s, rp, 500, "The history cannot be read", err.msg);
		return;
	} else {
		if (history_file_dirty(view->history, n->fm.path))
			web_tpl_render(s->tpls, "history:dirty", NULL, 0, &notice);
		if (nc == 0)
			web_tpl_render(s->tpls, "history:none", NULL, 0, &notice);
	}
	for (size_t i = 0; i < nc; i++) {
		char iso[32], human[64], short_id[8];
		web_time_iso(c[i].time, iso, sizeof(iso));
		web_time_human(c[i].time, human, sizeof(human));
		snprintf(short_id, sizeof(short_id), "%.7s", c[i].id);
		const struct web_var v[] = {
			WEB_TEXT("id", n->id),       WEB_TEXT("iso", iso),
			WEB_TEXT("date", human),     WEB_TEXT("commit", c[i].id),
			WEB_TEXT("short", short_id), WEB_TEXT("summary", c[i].summary),
			WEB_TEXT("author", c[i].author), WEB_TEXT("base", view->base),
		};
		web_tpl_render(s->tpls, "history:row", v, N(v), &rows);
	}
	char count[32];
	snprintf(count, sizeof(count), "%zu change%s", nc, nc == 1 ? "" : "s");
	const struct web_var v[] = {
		WEB_TEXT("base", view->base),
		WEB_TEXT("home_url", view->home_url),
		WEB_TEXT("home_title", view->home_title),
		WEB_TEXT("id", n->id),
		WEB_TEXT("title", n->fm.title),
		WEB_TEXT("count", count),
		WEB_HTML("rows", kl_buf_str(&rows)),
		WEB_HTML("notice", kl_buf_str(&notice)),
	};
	web_tpl_render(s->tpls, "history", v, N(v), &body);
	char *title = kl_sprintf("History of %s", n->fm.title);
	web_page_finish(s, rp, 200, title, NULL, "narrow", kl_buf_str(&body));
	rp->cache = 1;
	free(title);
	history_commits_free(c, nc);
	kl_buf_release(&rows);
	kl_buf_release(&body);
	kl_buf_release(&notice);
}

void web_page_commit(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const struct web_note *n = S_note_or_error(s, rq, rp);
	struct web_note_view view;

	if (!n)
		return;
	S_project_view(s, &view);
	web_note_commit_page(s, n, &view, rq->params[1], rp);
}

void web_note_commit_page(struct web_site *s, const struct web_note *n,
			  const struct web_note_view *view, const char *commit,
			  struct web_reply *rp)
{
	struct kl_buf diff = KL_BUF_INIT, html = KL_BUF_INIT, body = KL_BUF_INIT;
	struct history_commit info;
	struct kl_err err;

	int found = view->history ? history_diff(view->history, n->fm.path, commit, &diff, &info,
						 &err)
				  : 0;
	if (found < 0) {
		web_page_error(s, rp, 500, "The change cannot be read", err.msg);
		goto out;
	}
	if (found == 0) {
		web_page_error(s, rp, 404, "No such change",
			       "There is no commit by that id in the notes' history. The note's "
			       "history page lists the commits that changed it.");
		goto out;
	}
	char iso[32], human[64], short_id[8];
	web_time_iso(info.time, iso, sizeof(iso));
	web_time_human(info.time, human, sizeof(human));
	snprintf(short_id, sizeof(short_id), "%.7s", info.id);
	web_diff_html(kl_buf_str(&diff), diff.len, &html);
	const struct web_var v[] = {
		WEB_TEXT("base", view->base),   WEB_TEXT("home_url", view->home_url),
		WEB_TEXT("home_title", view->home_title),
		WEB_TEXT("id", n->id),          WEB_TEXT("title", n->fm.title),
		WEB_TEXT("commit", info.id),    WEB_TEXT("short", short_id),
		WEB_TEXT("summary", info.summary), WEB_TEXT("author", info.author),
		WEB_TEXT("iso", iso),           WEB_TEXT("date", human),
		WEB_HTML("diff", html.len ? kl_buf_str(&html) : NULL),
		WEB_TEXT("empty", html.len ? "" : "This commit did not change the note's text."),
	};
	web_tpl_render(s->tpls, "commit", v, N(v), &body);
	char *title = kl_sprintf("%s: %s", n->fm.title, short_id);
	web_page_finish(s, rp, 200, title, NULL, "wide", kl_buf_str(&body));
	rp->cache = 1;
	free(title);
	history_commit_release(&info);
out:
	kl_buf_release(&diff);
	kl_buf_release(&html);
	kl_buf_release(&body);
}

/* ---------------------------------------------------------------- search */

#define S_SEARCH_PAGE 10 /* hits on a page of /search (a page costs 50 us a hit: snippets) */

/* Appends s percent-encoded for a URL's query (unreserved bytes kept). */
static void S_url_query(const char *s, struct kl_buf *out)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~')
			kl_buf_putc(out, (char)*p);
		else
			kl_buf_printf(out, "%%%02X", *p);
	}
}

void web_page_search(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const char *q = rq->arg(rq->arg_ctx, "q");
	struct kl_buf results = KL_BUF_INIT, body = KL_BUF_INIT, msg = KL_BUF_INIT;
	struct kl_buf title = KL_BUF_INIT, snippet = KL_BUF_INIT;
	struct search_result r;
	struct kl_err err;

	const char *pg = rq->arg(rq->arg_ctx, "page");
	long page = pg ? strtol(pg, NULL, 10) : 1;

	if (!q)
		q = "";
	if (page < 1 || page > 100)
		page = 1;
	/* one more than a page: tells whether there is a next one */
	if (search_run_page(s->search, q, (size_t)(page - 1) * S_SEARCH_PAGE, S_SEARCH_PAGE + 1,
			    &r, &err) < 0) {
		memset(&r, 0, sizeof(r));
		r.message = kl_sprintf("The search failed: %s", err.msg);
	}
	bool more = r.nhits > S_SEARCH_PAGE;
	size_t shown = more ? S_SEARCH_PAGE : r.nhits;
	for (size_t i = 0; i < shown; i++) {
		const struct search_hit *h = &r.hits[i];
		char *url = web_hit_url(s, h);
		kl_buf_reset(&title);
		kl_buf_reset(&snippet);
		search_mark(h->title, SEARCH_MARK_HTML, &title);
		if (h->heading && *h->heading) {
			kl_buf_puts(&title, " › ");
			search_mark(h->heading, SEARCH_MARK_HTML, &title);
		}
		search_mark(h->snippet, SEARCH_MARK_HTML, &snippet);
		const struct web_var v[] = {
			WEB_TEXT("url", url),
			WEB_TEXT("kind", h->kind),
			WEB_HTML("title", kl_buf_str(&title)),
			WEB_HTML("snippet", kl_buf_str(&snippet)),
		};
		web_tpl_render(s->tpls, "search:result", v, N(v), &results);
		free(url);
	}
	if (r.message) {
		const struct web_var v[] = { WEB_TEXT("text", r.message) };
		web_tpl_render(s->tpls, "search:message", v, N(v), &msg);
	} else {
		char count[48];
		size_t first = (size_t)(page - 1) * S_SEARCH_PAGE;
		if (page > 1 || more)
			snprintf(count, sizeof(count), "%zu–%zu of the best", first + 1, first + shown);
		else
			snprintf(count, sizeof(count), "%zu", shown);
		const struct web_var v[] = { WEB_TEXT("n", count), WEB_TEXT("q", q),
					     WEB_TEXT("s", shown == 1 && !more ? "" : "s") };
		web_tpl_render(s->tpls, shown ? "search:count" : "search:none", v, N(v), &msg);
	}
	struct kl_buf pager = KL_BUF_INIT, qs = KL_BUF_INIT;
	S_url_query(q, &qs);
	char *pu = page > 1 ? kl_sprintf("/search?q=%s&page=%ld", kl_buf_str(&qs), page - 1) : NULL;
	char *nu = more ? kl_sprintf("/search?q=%s&page=%ld", kl_buf_str(&qs), page + 1) : NULL;
	web_pager(s, pu, "better results", nu, "more results", &pager);
	free(pu);
	free(nu);
	kl_buf_release(&qs);
	const struct web_var v[] = {
		WEB_TEXT("q", q),
		WEB_HTML("message", kl_buf_str(&msg)),
		WEB_HTML("results", kl_buf_str(&results)),
		WEB_HTML("pager", kl_buf_str(&pager)),
	};
	web_tpl_render(s->tpls, "search", v, N(v), &body);
	char *t = *q ? kl_sprintf("Search: %.60s", q) : kl_strdup("Search");
	web_page_finish(s, rp, 200, t, q, "narrow", kl_buf_str(&body));
	rp->cache = 1; /* keyed by the query and page; dropped when the index changes */
	free(t);
	kl_buf_release(&pager);
	search_result_release(&r);
	kl_buf_release(&results);
	kl_buf_release(&body);
	kl_buf_release(&msg);
	kl_buf_release(&title);
	kl_buf_release(&snippet);
}
