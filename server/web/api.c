/*
 * api.c - the JSON API under /api/: topics, notes, labs, progress and search,
 * from the same data as the pages. Errors are JSON too: {"error": "..."}.
 * The lists that grow with the knowledge base (/api/topics, /api/notes) are
 * paged, ?page=N&per_page=M (100 by default, at most 1000): the body stays an
 * array, the Link header names the next and previous pages and X-Total-Count
 * the whole list's length, as GitHub's API does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/content.h"
#include "core/fsutil.h"
#include "web/handlers.h"
#include "web/page.h"

static void S_json(struct web_reply *rp, int status)
{
	rp->status = status;
	rp->type = "application/json; charset=utf-8";
}

static void S_error(struct web_reply *rp, int status, const char *msg)
{
	kl_buf_reset(&rp->body);
	kl_buf_puts(&rp->body, "{\"error\":");
	kl_buf_put_json(&rp->body, msg);
	kl_buf_puts(&rp->body, "}\n");
	S_json(rp, status);
}

#define S_PER_PAGE 100      /* items on a page of a list, unless asked */
#define S_PER_PAGE_MAX 1000 /* the most a page may hold */

/* A whole number argument from 1 to max; def when absent; 0 when nonsense. */
static size_t S_count_arg(const struct web_request *rq, const char *name, size_t def, size_t max)
{
	const char *a = rq->arg(rq->arg_ctx, name);
	char *end = NULL;

	if (!a)
		return def;
	long long n = strtoll(a, &end, 10);
	return end == a || *end || n < 1 || (unsigned long long)n > max ? 0 : (size_t)n;
}

/*
 * The slice [*from, *to) of a list of total items at path that the request
 * asks for, with the Link and X-Total-Count headers. -1 (a 400 answered) when
 * page or per_page is not a whole number in range.
 */
static int S_page(const struct web_request *rq, struct web_reply *rp, const char *path,
		  size_t total, size_t *from, size_t *to)
{
	size_t per = S_count_arg(rq, "per_page", S_PER_PAGE, S_PER_PAGE_MAX);
	size_t page = S_count_arg(rq, "page", 1, (size_t)1 << 40);
	size_t n = 0;

	if (!per || !page) {
		char msg[160];
		snprintf(msg, sizeof(msg), "page must be a whole number from 1, and per_page one "
			 "from 1 to %d", S_PER_PAGE_MAX);
		S_error(rp, 400, msg);
		return -1;
	}
	size_t pages = total ? (total + per - 1) / per : 1;
	*from = page <= pages ? (page - 1) * per : total;
	*to = *from + per < total ? *from + per : total;
	if (page < pages)
		n += (size_t)snprintf(rp->link + n, sizeof(rp->link) - n,
				      "<%s?page=%zu&per_page=%zu>; rel=\"next\", ", path, page + 1, per);
	if (page > 1 && n < sizeof(rp->link))
		n += (size_t)snprintf(rp->link + n, sizeof(rp->link) - n,
				      "<%s?page=%zu&per_page=%zu>; rel=\"prev\", ", path,
				      page - 1 < pages ? page - 1 : pages, per);
	if (n >= 2 && n < sizeof(rp->link))
		rp->link[n - 2] = '\0';
	snprintf(rp->total, sizeof(rp->total), "%zu", total);
	return 0;
}

static void S_strv(struct kl_buf *b, char *const *v, size_t n)
{
	kl_buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			kl_buf_putc(b, ',');
		kl_buf_put_json(b, v[i]);
	}
	kl_buf_putc(b, ']');
}

static void S_lab_json(struct kl_buf *b, const struct web_lab *l, const struct kl_lab_status *st)
{
	kl_buf_puts(b, "{\"id\":");
	kl_buf_put_json(b, l->id);
	kl_buf_puts(b, ",\"title\":");
	kl_buf_put_json(b, l->title);
	kl_buf_puts(b, ",\"topic\":");
	kl_buf_put_json(b, l->topic);
	kl_buf_puts(b, ",\"difficulty\":");
	kl_buf_put_json(b, l->difficulty);
	kl_buf_printf(b, ",\"url\":\"/labs/%s\",\"status\":", l->id);
	kl_buf_put_json(b, web_status_text(st));
	kl_buf_printf(b, ",\"attempts\":%d,\"best\":", st->attempts);
	if (st->best_score >= 0)
		kl_buf_printf(b, "%d", st->best_score);
	else
		kl_buf_puts(b, "null");
	kl_buf_printf(b, ",\"max\":%d,\"last_verdict\":", l->max_score);
	kl_buf_put_json(b, st->attempts ? st->last_verdict : NULL);
	kl_buf_printf(b, ",\"last_at\":%lld}", st->last_at);
}

static void S_note_json(struct kl_buf *b, const struct web_note *n)
{
	kl_buf_puts(b, "{\"id\":");
	kl_buf_put_json(b, n->id);
	kl_buf_puts(b, ",\"topic\":");
	kl_buf_put_json(b, n->fm.topic);
	kl_buf_puts(b, ",\"title\":");
	kl_buf_put_json(b, n->fm.title);
	kl_buf_printf(b, ",\"order\":%ld,\"url\":\"/notes/%s\",\"labs\":", n->fm.order, n->id);
	S_strv(b, n->fm.labs, n->fm.nlabs);
	kl_buf_puts(b, ",\"tags\":");
	S_strv(b, n->fm.tags, n->fm.ntags);
	kl_buf_putc(b, '}');
}

void web_api_topics(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	struct kl_progress *p = NULL;
	struct kl_err err;
	struct kl_buf *b = &rp->body;
	size_t from, to;

	if (S_page(rq, rp, "/api/topics", s->nnotes, &from, &to) < 0)
		return;
	if (kl_progress_open_ro(s->cfg->home, &p, &err) < 0)
		p = NULL;
	kl_buf_putc(b, '[');
	for (size_t i = from; i < to; i++) {
		const struct web_note *n = &s->notes[i];
		if (i > from)
			kl_buf_putc(b, ',');
		kl_buf_puts(b, "{\"topic\":");
		kl_buf_put_json(b, n->id);
		kl_buf_puts(b, ",\"title\":");
		kl_buf_put_json(b, n->fm.title);
		kl_buf_printf(b, ",\"order\":%ld,\"url\":\"/notes/%s\",\"labs\":[", n->fm.order,
			      n->id);
		int first = 1;
		for (size_t k = 0; k < s->nlabs; k++) {
			const struct web_lab *l = &s->labs[k];
			bool listed = false;
			for (size_t j = 0; j < n->fm.nlabs && !listed; j++)
				listed = strcmp(n->fm.labs[j], l->id) == 0;
			if (!listed && strcmp(l->topic, n->id) && strcmp(l->topic, n->fm.topic))
				continue;
			struct kl_lab_status st;
			web_lab_status(p, l->id, &st);
			if (!first)
				kl_buf_putc(b, ',');
			S_lab_json(b, l, &st);
			first = 0;
		}
		kl_buf_puts(b, "]}");
	}
	kl_buf_puts(b, "]\n");
	kl_progress_close(p);
	S_json(rp, 200);
}

void web_api_notes(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	size_t from, to;

	if (S_page(rq, rp, "/api/notes", s->nnotes, &from, &to) < 0)
		return;
	kl_buf_putc(&rp->body, '[');
	for (size_t i = from; i < to; i++) {
		if (i > from)
			kl_buf_putc(&rp->body, ',');
		S_note_json(&rp->body, &s->notes[i]);
	}
	kl_buf_puts(&rp->body, "]\n");
	S_json(rp, 200);
}

void web_api_note(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const char *id = rq->params[0];
	const struct web_note *n = kl_valid_id(id) ? web_site_note(s, id) : NULL;
	struct md_doc doc;
	struct kl_err err;
	struct kl_buf *b = &rp->body;

	if (!n) {
		S_error(rp, 404, "no such note: GET /api/notes lists them");
		return;
	}
	if (web_render_file(s, n->fm.path, MD_DROP_TITLE, &doc, NULL, &err) < 0) {
		S_error(rp, 500, err.msg);
		return;
	}
	S_note_json(b, n);
	kl_buf_truncate(b, b->len - 1); /* reopen the object */
	kl_buf_puts(b, ",\"html\":");
	kl_buf_put_json(b, doc.html);
	kl_buf_puts(b, ",\"toc\":[");
	for (size_t i = 0; i < doc.nheadings; i++) {
		if (i)
			kl_buf_putc(b, ',');
		kl_buf_printf(b, "{\"level\":%d,\"id\":", doc.headings[i].level);
		kl_buf_put_json(b, doc.headings[i].id);
		kl_buf_puts(b, ",\"text\":");
		kl_buf_put_json(b, doc.headings[i].text);
		kl_buf_putc(b, '}');
	}
	kl_buf_printf(b, "],\"broken_links\":%d,\"last_changed\":", doc.nbroken);
	struct history_commit *c = NULL;
	size_t nc = 0;
	if (s->history && history_file(s->history, n->fm.path, &c, &nc, &err) == 0 && nc) {
		kl_buf_printf(b, "{\"commit\":\"%s\",\"time\":%lld,\"author\":", c[0].id, c[0].time);
		kl_buf_put_json(b, c[0].author);
		kl_buf_puts(b, ",\"summary\":");
		kl_buf_put_json(b, c[0].summary);
		kl_buf_putc(b, '}');
	} else {
		kl_buf_puts(b, "null");
	}
	history_commits_free(c, nc);
	kl_buf_puts(b, "}\n");
	md_doc_release(&doc);
	S_json(rp, 200);
	rp->cache = 1;
}

void web_api_labs(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	struct kl_progress *p = NULL;
	struct kl_err err;

	(void)rq;
	if (kl_progress_open_ro(s->cfg->home, &p, &err) < 0)
		p = NULL;
	kl_buf_putc(&rp->body, '[');
	for (size_t i = 0; i < s->nlabs; i++) {
		struct kl_lab_status st;
		web_lab_status(p, s->labs[i].id, &st);
		if (i)
			kl_buf_putc(&rp->body, ',');
		S_lab_json(&rp->body, &s->labs[i], &st);
	}
	kl_buf_puts(&rp->body, "]\n");
	kl_progress_close(p);
	S_json(rp, 200);
}

void web_api_lab(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const char *id = rq->params[0];
	const struct web_lab *l = kl_valid_id(id) ? web_site_lab(s, id) : NULL;
	struct kl_progress *p = NULL;
	struct kl_attempt *a = NULL;
	size_t n = 0;
	struct kl_lab_status st;
	struct md_doc doc;
	struct kl_err err;
	struct kl_buf *b = &rp->body;

	if (!l) {
		S_error(rp, 404, "no such lab: GET /api/labs lists them");
		return;
	}
	char *readme = kl_content_file(s->cfg->content, "labs/%s/README.md", l->id);
	int rc = web_render_file(s, readme, MD_DROP_TITLE, &doc, NULL, &err);
	free(readme);
	if (rc < 0) {
		S_error(rp, 500, err.msg);
		return;
	}
	if (kl_progress_open_ro(s->cfg->home, &p, &err) < 0)
		p = NULL;
	web_lab_status(p, l->id, &st);
	S_lab_json(b, l, &st);
	kl_buf_truncate(b, b->len - 1);
	kl_buf_printf(b, ",\"command\":\"klab run %s\",\"files\":", l->id);
	S_strv(b, l->files, l->nfiles);
	kl_buf_puts(b, ",\"html\":");
	kl_buf_put_json(b, doc.html);
	kl_buf_puts(b, ",\"attempts\":[");
	if (kl_progress_attempts(p, l->id, 50, &a, &n, &err) < 0)
		n = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			kl_buf_putc(b, ',');
		kl_buf_printf(b, "{\"id\":%lld,\"started_at\":%lld,\"duration_ms\":%lld,"
				 "\"score\":%d,\"max_score\":%d,\"verdict\":",
			      a[i].id, a[i].started_at, a[i].duration_ms, a[i].score,
			      a[i].max_score);
		kl_buf_put_json(b, a[i].verdict);
		kl_buf_puts(b, ",\"commit\":");
		kl_buf_put_json(b, a[i].commit);
		kl_buf_putc(b, '}');
	}
	kl_buf_puts(b, "]}\n");
	kl_attempts_free(a, n);
	kl_progress_close(p);
	md_doc_release(&doc);
	S_json(rp, 200);
}

void web_api_progress(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	struct kl_progress *p = NULL;
	struct kl_err err;
	struct kl_buf labs = KL_BUF_INIT;
	int passed = 0, points = 0, max = 0;

	(void)rq;
	if (kl_progress_open_ro(s->cfg->home, &p, &err) < 0)
		p = NULL;
	kl_buf_putc(&labs, '[');
	for (size_t i = 0; i < s->nlabs; i++) {
		struct kl_lab_status st;
		web_lab_status(p, s->labs[i].id, &st);
		passed += st.passed;
		points += st.best_score > 0 ? st.best_score : 0;
		max += s->labs[i].max_score;
		if (i)
			kl_buf_putc(&labs, ',');
		S_lab_json(&labs, &s->labs[i], &st);
	}
	kl_buf_putc(&labs, ']');
	kl_buf_printf(&rp->body, "{\"labs_total\":%zu,\"labs_passed\":%d,\"points\":%d,"
				 "\"max_points\":%d,\"labs\":%s}\n",
		      s->nlabs, passed, points, max, kl_buf_str(&labs));
	kl_buf_release(&labs);
	kl_progress_close(p);
	S_json(rp, 200);
}

void web_api_search(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const char *q = rq->arg(rq->arg_ctx, "q");
	const char *lim = rq->arg(rq->arg_ctx, "limit");
	struct search_result r;
	struct kl_err err;
	struct kl_buf *b = &rp->body;
	struct kl_buf tmp = KL_BUF_INIT;
	int limit = lim ? atoi(lim) : 20;

	if (limit < 1 || limit > 100)
		limit = 20;
	if (search_run(s->search, q ? q : "", limit, &r, &err) < 0) {
		S_error(rp, 500, err.msg);
		return;
	}
	kl_buf_puts(b, "{\"query\":");
	kl_buf_put_json(b, q ? q : "");
	kl_buf_puts(b, ",\"fts\":");
	kl_buf_put_json(b, r.fts);
	kl_buf_puts(b, ",\"message\":");
	kl_buf_put_json(b, r.message);
	kl_buf_puts(b, ",\"results\":[");
	for (size_t i = 0; i < r.nhits; i++) {
		const struct search_hit *h = &r.hits[i];
		char *url = web_hit_url(s, h);
		if (i)
			kl_buf_putc(b, ',');
		kl_buf_puts(b, "{\"kind\":");
		kl_buf_put_json(b, h->kind);
		kl_buf_puts(b, ",\"id\":");
		kl_buf_put_json(b, h->id);
		kl_buf_puts(b, ",\"url\":");
		kl_buf_put_json(b, url);
		free(url);
		kl_buf_puts(b, ",\"title\":");
		kl_buf_reset(&tmp);
		search_mark(h->title, SEARCH_MARK_PLAIN, &tmp);
		kl_buf_put_json(b, kl_buf_str(&tmp));
		kl_buf_puts(b, ",\"title_html\":");
		kl_buf_reset(&tmp);
		search_mark(h->title, SEARCH_MARK_HTML, &tmp);
		kl_buf_put_json(b, kl_buf_str(&tmp));
		kl_buf_puts(b, ",\"snippet\":");
		kl_buf_reset(&tmp);
		search_mark(h->snippet, SEARCH_MARK_PLAIN, &tmp);
		kl_buf_put_json(b, kl_buf_str(&tmp));
		kl_buf_puts(b, ",\"snippet_html\":");
		kl_buf_reset(&tmp);
		search_mark(h->snippet, SEARCH_MARK_HTML, &tmp);
		kl_buf_put_json(b, kl_buf_str(&tmp));
		kl_buf_putc(b, '}');
	}
	kl_buf_puts(b, "]}\n");
	kl_buf_release(&tmp);
	search_result_release(&r);
	S_json(rp, 200);
	rp->cache = 1; /* keyed by the query; dropped when the index changes */
}

void web_api_not_found(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	(void)s;
	(void)rq;
	S_error(rp, 404, "no such API route: the API has /api/topics, /api/notes, "
			 "/api/notes/<topic>, /api/labs, /api/labs/<id>, /api/progress and "
			 "/api/search?q=");
}
