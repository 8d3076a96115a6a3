/*
 * pages.c - the HTML pages about notes: home (topics in study order with lab
 * status), a note, its history and one commit's diff, search, and the error
 * pages. Each fills a template of static/templates/; the HTML built here is
 * limited to what templates cannot hold (rendered Markdown, diffs, marks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/*
 * The words of a search snippet around its first hit, without the marks and
 * the ellipses: a piece of the document's plain text, as it was indexed.
 */
static char *S_hit_needle(const char *snippet, int word_only)
{
	const char *on = snippet ? strchr(snippet, SEARCH_MARK_ON) : NULL;
	struct kl_buf b = KL_BUF_INIT;

	if (!on)
		return NULL;
	/* from the start of the hit's line in the snippet to its end */
	const char *from = on, *to;
	while (!word_only && from > snippet && from[-1] != '\n')
		from--;
	to = word_only ? strchr(on, SEARCH_MARK_OFF) : on + strcspn(on, "\n");
	if (!to)
		to = on + strlen(on);
	for (const char *p = from; p < to; p++) {
		if (*p == SEARCH_MARK_ON || *p == SEARCH_MARK_OFF)
			continue;
		if (!strncmp(p, "\xe2\x80\xa6", 3)) { /* the ellipsis snippet() adds */
			p += 2;
			continue;
		}
		kl_buf_putc(&b, *p);
	}
	char *n = kl_buf_detach(&b);
	char *start = n + strspn(n, " ");
	memmove(n, start, strlen(start) + 1);
	for (size_t l = strlen(n); l && n[l - 1] == ' ';)
		n[--l] = '\0';
	return n;
}

char *web_hit_url(struct web_site *s, const struct search_hit *h)
{
	int note = strcmp(h->kind, "note") == 0;
	char *url = kl_sprintf("/%s/%s", note ? "notes" : "labs", h->id);
	char *path = note ? kl_content_file(s->cfg->content, "notes/%s.md", h->id)
			  : kl_content_file(s->cfg->content, "labs/%s/README.md", h->id);
	struct kl_buf text = KL_BUF_INIT;
	struct kl_fm fm;
	struct kl_err err;
	char *anchor = NULL;

	if (kl_valid_id(h->id) && kl_read_file(path, &text, 4 << 20, &err) == 0 &&
	    kl_fm_parse(kl_buf_str(&text), text.len, &fm, &err) == 0) {
		const char *body = kl_buf_str(&text) + fm.body_offset;
		size_t blen = text.len - fm.body_offset;
		for (int word = 0; word < 2 && !anchor; word++) {
			char *needle = S_hit_needle(h->snippet, word);
			anchor = md_section_of(body, blen, MD_DROP_TITLE, needle);
			free(needle);
		}
		kl_fm_release(&fm);
	}
	if (anchor) {
		char *with = kl_sprintf("%s#%s", url, anchor);
		free(url);
		url = with;
	}
	free(anchor);
	free(path);
	kl_buf_release(&text);
	return url;
}

int web_render_file(struct web_site *s, const char *path, int flags, struct md_doc *doc,
		    char **fm_title, struct kl_err *err)
{
	struct kl_buf text = KL_BUF_INIT;
	struct kl_fm fm;
	struct kl_err e2;
	int rc = -1;

	if (fm_title)
		*fm_title = NULL;
	if (kl_read_file(path, &text, 4 << 20, err) < 0)
		goto out;
	if (kl_fm_parse(kl_buf_str(&text), text.len, &fm, &e2) < 0) {
		kl_err_set(err, "%s: %s", path, e2.msg);
		goto out;
	}
	if (fm_title && kl_fm_str(&fm, "title"))
		*fm_title = kl_strdup(kl_fm_str(&fm, "title"));
	rc = md_render(kl_buf_str(&text) + fm.body_offset, text.len - fm.body_offset,
		       &s->resolver, flags, doc, err);
	kl_fm_release(&fm);
out:
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

/* ---------------------------------------------------------------- home */

static void S_tags_html(struct web_site *s, char *const *tags, size_t n, struct kl_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		const struct web_var v[] = { WEB_TEXT("tag", tags[i]) };
		web_tpl_render(s->tpls, "home:tag", v, N(v), out);
	}
}

static void S_lab_row(struct web_site *s, struct kl_progress *p, const char *id,
		      struct kl_buf *out)
{
	const struct web_lab *lab = web_site_lab(s, id);
	struct kl_lab_status st;
	char score[32] = "";

	if (!lab) {
		const struct web_var v[] = { WEB_TEXT("id", id) };
		web_tpl_render(s->tpls, "home:lab_missing", v, N(v), out);
		return;
	}
	web_lab_status(p, id, &st);
	if (st.best_score >= 0)
		snprintf(score, sizeof(score), "best %d/%d", st.best_score, lab->max_score);
	const struct web_var v[] = {
		WEB_TEXT("id", lab->id),
		WEB_TEXT("title", lab->title),
		WEB_TEXT("difficulty", lab->difficulty),
		WEB_TEXT("status", web_status_text(&st)),
		WEB_TEXT("status_class", web_status_class(&st)),
		WEB_TEXT("score", score),
	};
	web_tpl_render(s->tpls, "home:lab", v, N(v), out);
}

static bool S_listed(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/*
 * The note a lab is listed under on the home page, once: the note of its own
 * topic, else the first note that lists it; -1 when none does.
 */
static long S_lab_home(const struct web_site *s, const char *id)
{
	const struct web_lab *lab = web_site_lab(s, id);

	for (size_t i = 0; lab && i < s->nnotes; i++)
		if (strcmp(s->notes[i].id, lab->topic) == 0 ||
		    strcmp(s->notes[i].fm.topic, lab->topic) == 0)
			return (long)i;
	for (size_t i = 0; i < s->nnotes; i++)
		if (S_listed(s->notes[i].fm.labs, s->notes[i].fm.nlabs, id))
			return (long)i;
	return -1;
}

/* Labs in curriculum order: by their home note, their place in its list, then id. */
static int S_lab_before(const struct web_site *s, const char *a, const char *b)
{
	long ha = S_lab_home(s, a), hb = S_lab_home(s, b);
	size_t pa = (size_t)-1, pb = (size_t)-1;

	if (ha != hb)
		return (unsigned long)ha < (unsigned long)hb; /* -1 (no note) last */
	for (size_t i = 0; ha >= 0 && i < s->notes[ha].fm.nlabs; i++) {
		if (strcmp(s->notes[ha].fm.labs[i], a) == 0 && pa == (size_t)-1)
			pa = i;
		if (strcmp(s->notes[ha].fm.labs[i], b) == 0 && pb == (size_t)-1)
			pb = i;
	}
	return pa != pb ? pa < pb : strcmp(a, b) < 0;
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
	const struct web_lab *prev = NULL, *next = NULL;

	for (size_t i = 0; i < s->nlabs; i++) {
		const struct web_lab *l = &s->labs[i];
		if (strcmp(l->id, id) == 0)
			continue;
		if (S_lab_before(s, l->id, id) && (!prev || S_lab_before(s, prev->id, l->id)))
			prev = l;
		if (S_lab_before(s, id, l->id) && (!next || S_lab_before(s, l->id, next->id)))
			next = l;
	}
	char *pu = prev ? kl_sprintf("/labs/%s", prev->id) : NULL;
	char *nu = next ? kl_sprintf("/labs/%s", next->id) : NULL;
	web_pager(s, pu, prev ? prev->title : NULL, nu, next ? next->title : NULL, out);
	free(pu);
	free(nu);
}

void web_page_home(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	struct kl_buf topics = KL_BUF_INIT, labs = KL_BUF_INIT, tags = KL_BUF_INIT;
	struct kl_buf other = KL_BUF_INIT, problems = KL_BUF_INIT, body = KL_BUF_INIT;
	struct kl_progress *p = NULL;
	struct kl_err err;
	int passed = 0, points = 0, max_points = 0;

	(void)rq;
	if (kl_progress_open_ro(s->cfg->home, &p, &err) < 0)
		p = NULL;
	for (size_t i = 0; i < s->nnotes; i++) {
		const struct web_note *n = &s->notes[i];
		char num[24];

		kl_buf_reset(&labs);
		kl_buf_reset(&tags);
		/* each lab once, under its home note: the note's list first, in its order */
		for (size_t k = 0; k < n->fm.nlabs; k++)
			if (S_lab_home(s, n->fm.labs[k]) == (long)i)
				S_lab_row(s, p, n->fm.labs[k], &labs);
		for (size_t k = 0; k < s->nlabs; k++) {
			const struct web_lab *l = &s->labs[k];
			if (S_lab_home(s, l->id) == (long)i && !S_listed(n->fm.labs, n->fm.nlabs, l->id))
				S_lab_row(s, p, l->id, &labs);
		}
		S_tags_html(s, n->fm.tags, n->fm.ntags, &tags);
		snprintf(num, sizeof(num), "%zu", i + 1);
		const struct web_var v[] = {
			WEB_TEXT("num", num),
			WEB_TEXT("id", n->id),
			WEB_TEXT("title", n->fm.title),
			WEB_HTML("tags", kl_buf_str(&tags)),
			WEB_HTML("labs", kl_buf_str(&labs)),
			WEB_TEXT("labs_class", labs.len ? "" : "empty"),
		};
		web_tpl_render(s->tpls, "home:topic", v, N(v), &topics);
	}
	kl_buf_reset(&labs);
	for (size_t k = 0; k < s->nlabs; k++) {
		const struct web_lab *l = &s->labs[k];
		struct kl_lab_status st;
		web_lab_status(p, l->id, &st);
		passed += st.passed;
		points += st.best_score > 0 ? st.best_score : 0;
		max_points += l->max_score;
		if (S_lab_home(s, l->id) < 0)
			S_lab_row(s, p, l->id, &labs);
	}
	if (labs.len) {
		const struct web_var v[] = { WEB_HTML("labs", kl_buf_str(&labs)) };
		web_tpl_render(s->tpls, "home:other_labs", v, N(v), &other);
	}
	if (s->nproblems) {
		struct kl_buf items = KL_BUF_INIT;
		for (size_t i = 0; i < s->nproblems; i++) {
			const struct web_var v[] = { WEB_TEXT("text", s->problems[i]) };
			web_tpl_render(s->tpls, "home:problem", v, N(v), &items);
		}
		const struct web_var v[] = { WEB_HTML("items", kl_buf_str(&items)) };
		web_tpl_render(s->tpls, "home:problems", v, N(v), &problems);
		kl_buf_release(&items);
	}
	if (!s->nnotes)
		web_tpl_render(s->tpls, "home:no_notes", NULL, 0, &topics);
	char fig[6][24];
	snprintf(fig[0], sizeof(fig[0]), "%d", passed);
	snprintf(fig[1], sizeof(fig[1]), "%zu", s->nlabs);
	snprintf(fig[2], sizeof(fig[2]), "%d", points);
	snprintf(fig[3], sizeof(fig[3]), "%d", max_points ? max_points : 1);
	snprintf(fig[4], sizeof(fig[4]), "%d", max_points ? points * 100 / max_points : 0);
	snprintf(fig[5], sizeof(fig[5]), "%zu", s->nnotes);
	const struct web_var v[] = {
		WEB_TEXT("labs_passed", fig[0]), WEB_TEXT("labs_total", fig[1]),
		WEB_TEXT("points", fig[2]),      WEB_TEXT("max_points", fig[3]),
		WEB_TEXT("percent", fig[4]),     WEB_TEXT("notes_total", fig[5]),
		WEB_HTML("topics", kl_buf_str(&topics)),
		WEB_HTML("other_labs", kl_buf_str(&other)),
		WEB_HTML("problems", kl_buf_str(&problems)),
	};
	web_tpl_render(s->tpls, "home", v, N(v), &body);
	web_page_finish(s, rp, 200, "Topics", NULL, "home", kl_buf_str(&body));
	kl_progress_close(p);
	kl_buf_release(&topics);
	kl_buf_release(&labs);
	kl_buf_release(&tags);
	kl_buf_release(&other);
	kl_buf_release(&problems);
	kl_buf_release(&body);
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

/* "Last changed ..." for a note, as HTML. */
static void S_changed_html(struct web_site *s, const struct web_note *n, struct kl_buf *out)
{
	struct history_commit *c = NULL;
	size_t nc = 0;
	struct kl_err err;

	if (!s->history) {
		web_tpl_render(s->tpls, "note:no_git", NULL, 0, out);
		return;
	}
	if (history_file(s->history, n->fm.path, &c, &nc, &err) < 0 || nc == 0) {
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
		WEB_TEXT("author", c[0].author),
	};
	web_tpl_render(s->tpls, "note:changed", v, N(v), out);
	if (history_file_dirty(s->history, n->fm.path))
		web_tpl_render(s->tpls, "note:dirty", NULL, 0, out);
	history_commits_free(c, nc);
}

void web_page_note(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const struct web_note *n = S_note_or_error(s, rq, rp);
	struct kl_buf body = KL_BUF_INIT, labs = KL_BUF_INIT, chips = KL_BUF_INIT;
	struct kl_buf changed = KL_BUF_INIT, toc = KL_BUF_INIT, tags = KL_BUF_INIT;
	struct md_doc doc;
	struct kl_err err;

	if (!n)
		return;
	if (web_render_file(s, n->fm.path, MD_DROP_TITLE, &doc, NULL, &err) < 0) {
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
	S_changed_html(s, n, &changed);
	/* previous and next topic, in the notes' order */
	struct kl_buf pager = KL_BUF_INIT;
	size_t at = (size_t)(n - s->notes);
	char *pu = at > 0 ? kl_sprintf("/notes/%s", s->notes[at - 1].id) : NULL;
	char *nu = at + 1 < s->nnotes ? kl_sprintf("/notes/%s", s->notes[at + 1].id) : NULL;
	web_pager(s, pu, pu ? s->notes[at - 1].fm.title : NULL, nu,
		  nu ? s->notes[at + 1].fm.title : NULL, &pager);
	free(pu);
	free(nu);
	struct kl_buf read = KL_BUF_INIT;
	web_note_read_html(s, n->id, &read);
	const struct web_var v[] = {
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
	struct kl_buf rows = KL_BUF_INIT, body = KL_BUF_INIT, notice = KL_BUF_INIT;
	struct history_commit *c = NULL;
	size_t nc = 0;
	struct kl_err err;

	if (!n)
		return;
	if (!s->history) {
		web_tpl_render(s->tpls, "history:no_git", NULL, 0, &notice);
	} else if (history_file(s->history, n->fm.path, &c, &nc, &err) < 0) {
		web_page_error(s, rp, 500, "The history cannot be read", err.msg);
		return;
	} else {
		if (history_file_dirty(s->history, n->fm.path))
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
			WEB_TEXT("author", c[i].author),
		};
		web_tpl_render(s->tpls, "history:row", v, N(v), &rows);
	}
	char count[32];
	snprintf(count, sizeof(count), "%zu change%s", nc, nc == 1 ? "" : "s");
	const struct web_var v[] = {
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
	struct kl_buf diff = KL_BUF_INIT, html = KL_BUF_INIT, body = KL_BUF_INIT;
	struct history_commit info;
	struct kl_err err;

	if (!n)
		return;
	int found = s->history ? history_diff(s->history, n->fm.path, rq->params[1], &diff, &info,
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

void web_page_search(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const char *q = rq->arg(rq->arg_ctx, "q");
	struct kl_buf results = KL_BUF_INIT, body = KL_BUF_INIT, msg = KL_BUF_INIT;
	struct kl_buf title = KL_BUF_INIT, snippet = KL_BUF_INIT;
	struct search_result r;
	struct kl_err err;

	if (!q)
		q = "";
	if (search_run(s->search, q, 30, &r, &err) < 0) {
		memset(&r, 0, sizeof(r));
		r.message = kl_sprintf("The search failed: %s", err.msg);
	}
	for (size_t i = 0; i < r.nhits; i++) {
		const struct search_hit *h = &r.hits[i];
		char *url = web_hit_url(s, h);
		kl_buf_reset(&title);
		kl_buf_reset(&snippet);
		search_mark(h->title, SEARCH_MARK_HTML, &title);
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
		char count[32];
		snprintf(count, sizeof(count), "%zu", r.nhits);
		const struct web_var v[] = { WEB_TEXT("n", count), WEB_TEXT("q", q),
					     WEB_TEXT("s", r.nhits == 1 ? "" : "s") };
		web_tpl_render(s->tpls, r.nhits ? "search:count" : "search:none", v, N(v), &msg);
	}
	const struct web_var v[] = {
		WEB_TEXT("q", q),
		WEB_HTML("message", kl_buf_str(&msg)),
		WEB_HTML("results", kl_buf_str(&results)),
	};
	web_tpl_render(s->tpls, "search", v, N(v), &body);
	char *t = *q ? kl_sprintf("Search: %.60s", q) : kl_strdup("Search");
	web_page_finish(s, rp, 200, t, q, "narrow", kl_buf_str(&body));
	rp->cache = 1; /* keyed by the query; dropped when the index changes */
	free(t);
	search_result_release(&r);
	kl_buf_release(&results);
	kl_buf_release(&body);
	kl_buf_release(&msg);
	kl_buf_release(&title);
	kl_buf_release(&snippet);
}
