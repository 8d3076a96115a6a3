/*
 * pages_home.c - the home page and the topic pages: what the knowledge base
 * holds, in study order, a page at a time, so that neither grows with the
 * corpus. Home: the learner's progress, the notes changed last, then the
 * topics (notes grouped by their front matter `topic`) with how many notes each
 * has and their labs' status, WEB_PAGE_TOPICS a page (/?page=N). A topic page
 * (/topics/NAME) lists its notes, WEB_PAGE_NOTES a page. Both are cached like
 * note pages (the server keys them by page number and the progress store).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "web/handlers.h"
#include "web/page.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define WEB_PAGE_TOPICS 50 /* topics on a page of the home page */
#define WEB_PAGE_NOTES 50  /* notes on a page of a topic page */
#define S_TOPIC_SHOWN 3    /* notes named under a topic of many notes on the home page */
#define S_PROBLEMS_SHOWN 20 /* unreadable files named on the home page */

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

/* Rows of the labs whose home is note i: its own list first, in order, then the others. */
static void S_note_labs(struct web_site *s, struct kl_progress *p, size_t i, struct kl_buf *out)
{
	const struct web_note *n = &s->notes[i];

	for (size_t k = 0; k < n->fm.nlabs; k++) {
		const struct web_lab *l = web_site_lab(s, n->fm.labs[k]);
		if (!l || l->home == (long)i)
			S_lab_row(s, p, n->fm.labs[k], out);
	}
	for (size_t k = 0; k < s->nlabs; k++) {
		const struct web_lab *l = &s->labs[k];
		if (l->home == (long)i && !S_listed(n->fm.labs, n->fm.nlabs, l->id))
			S_lab_row(s, p, l->id, out);
	}
}

/* The page number asked for (1 when none or nonsense), at most pages. */
static size_t S_page_arg(const struct web_request *rq, size_t pages)
{
	const char *a = rq->arg(rq->arg_ctx, "page");
	long n = a ? strtol(a, NULL, 10) : 1;

	if (n < 1)
		n = 1;
	return (size_t)n > pages ? (pages ? pages : 1) : (size_t)n;
}

/* Previous and next page links of a list at base ("/", "/topics/x"). */
static void S_list_pager(struct web_site *s, const char *base, size_t page, size_t pages,
			 struct kl_buf *out)
{
	char *pu = page > 1 ? kl_sprintf("%s?page=%zu", base, page - 1) : NULL;
	char *nu = page < pages ? kl_sprintf("%s?page=%zu", base, page + 1) : NULL;
	char pt[48], nt[48];

	snprintf(pt, sizeof(pt), "page %zu", page - 1);
	snprintf(nt, sizeof(nt), "page %zu of %zu", page + 1, pages);
	web_pager(s, pu, pt, nu, nt, out);
	free(pu);
	free(nu);
}

/* One topic on the home page: a note of its own, or a group with its count. */
static void S_topic_row(struct web_site *s, struct kl_progress *p, size_t num,
			const struct web_topic *t, struct kl_buf *labs, struct kl_buf *tags,
			struct kl_buf *out)
{
	const struct web_note *first = &s->notes[t->notes[0]];
	struct kl_buf names = KL_BUF_INIT;
	char nums[24], count[24];

	kl_buf_reset(labs);
	kl_buf_reset(tags);
	for (size_t k = 0; k < t->n; k++)
		S_note_labs(s, p, t->notes[k], labs);
	S_tags_html(s, first->fm.tags, first->fm.ntags, tags);
	snprintf(nums, sizeof(nums), "%zu", num);
	snprintf(count, sizeof(count), "%zu", t->n);
	if (t->n == 1) {
		const struct web_var v[] = {
			WEB_TEXT("num", nums),
			WEB_TEXT("id", first->id),
			WEB_TEXT("title", first->fm.title),
			WEB_HTML("tags", kl_buf_str(tags)),
			WEB_HTML("labs", kl_buf_str(labs)),
			WEB_TEXT("labs_class", labs->len ? "" : "empty"),
		};
		web_tpl_render(s->tpls, "home:topic", v, N(v), out);
		return;
	}
	for (size_t k = 0; k < t->n && k < S_TOPIC_SHOWN; k++) {
		const struct web_note *n = &s->notes[t->notes[k]];
		const struct web_var v[] = { WEB_TEXT("id", n->id), WEB_TEXT("title", n->fm.title) };
		web_tpl_render(s->tpls, "home:group_note", v, N(v), &names);
	}
	const struct web_var v[] = {
		WEB_TEXT("num", nums),
		WEB_TEXT("topic", t->name),
		WEB_TEXT("count", count),
		WEB_HTML("notes", kl_buf_str(&names)),
		WEB_HTML("tags", kl_buf_str(tags)),
		WEB_HTML("labs", kl_buf_str(labs)),
		WEB_TEXT("labs_class", labs->len ? "" : "empty"),
	};
	web_tpl_render(s->tpls, "home:group", v, N(v), out);
	kl_buf_release(&names);
}

/* The notes changed last, newest first. */
static void S_recent(struct web_site *s, struct kl_buf *out)
{
	struct kl_buf items = KL_BUF_INIT;

	for (size_t i = 0; i < s->nrecent; i++) {
		const struct web_note *n = &s->notes[s->recent[i]];
		char iso[40], human[40];
		web_time_iso(n->mtime, iso, sizeof(iso));
		web_time_human(n->mtime, human, sizeof(human));
		const struct web_var v[] = {
			WEB_TEXT("id", n->id), WEB_TEXT("title", n->fm.title),
			WEB_TEXT("topic", n->fm.topic), WEB_TEXT("iso", iso), WEB_TEXT("when", human),
		};
		web_tpl_render(s->tpls, "home:recent_note", v, N(v), &items);
	}
	if (items.len) {
		const struct web_var v[] = { WEB_HTML("items", kl_buf_str(&items)) };
		web_tpl_render(s->tpls, "home:recent", v, N(v), out);
	}
	kl_buf_release(&items);
}

/* The progress figures of the hero: labs passed, points. */
static void S_progress_figures(struct web_site *s, struct kl_progress *p, char fig[6][24])
{
	int passed = 0, points = 0, max_points = 0;

	for (size_t k = 0; k < s->nlabs; k++) {
		struct kl_lab_status st;
		web_lab_status(p, s->labs[k].id, &st);
		passed += st.passed;
		points += st.best_score > 0 ? st.best_score : 0;
		max_points += s->labs[k].max_score;
	}
	snprintf(fig[0], sizeof(fig[0]), "%d", passed);
	snprintf(fig[1], sizeof(fig[1]), "%zu", s->nlabs);
	snprintf(fig[2], sizeof(fig[2]), "%d", points);
	snprintf(fig[3], sizeof(fig[3]), "%d", max_points ? max_points : 1);
	snprintf(fig[4], sizeof(fig[4]), "%d", max_points ? points * 100 / max_points : 0);
	snprintf(fig[5], sizeof(fig[5]), "%zu", s->ntopics);
}

/* Labs no note lists, and files that could not be read: after the topics. */
static void S_home_tail(struct web_site *s, struct kl_progress *p, struct kl_buf *other,
			struct kl_buf *problems)
{
	struct kl_buf labs = KL_BUF_INIT, items = KL_BUF_INIT;

	for (size_t k = 0; k < s->nlabs; k++)
		if (s->labs[k].home < 0)
			S_lab_row(s, p, s->labs[k].id, &labs);
	if (labs.len) {
		const struct web_var v[] = { WEB_HTML("labs", kl_buf_str(&labs)) };
		web_tpl_render(s->tpls, "home:other_labs", v, N(v), other);
	}
	if (s->nproblems) {
		for (size_t i = 0; i < s->nproblems && i < S_PROBLEMS_SHOWN; i++) {
			const struct web_var v[] = { WEB_TEXT("text", s->problems[i]) };
			web_tpl_render(s->tpls, "home:problem", v, N(v), &items);
		}
		if (s->nproblems > S_PROBLEMS_SHOWN) {
			char more[64];
			snprintf(more, sizeof(more), "and %zu more (klab check lists them all)",
				 s->nproblems - S_PROBLEMS_SHOWN);
			const struct web_var v[] = { WEB_TEXT("text", more) };
			web_tpl_render(s->tpls, "home:problem", v, N(v), &items);
		}
		const struct web_var v[] = { WEB_HTML("items", kl_buf_str(&items)) };
		web_tpl_render(s->tpls, "home:problems", v, N(v), problems);
	}
	kl_buf_release(&labs);
	kl_buf_release(&items);
}

void web_page_home(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	struct kl_buf topics = KL_BUF_INIT, labs = KL_BUF_INIT, tags = KL_BUF_INIT;
	struct kl_buf other = KL_BUF_INIT, problems = KL_BUF_INIT, body = KL_BUF_INIT;
	struct kl_buf recent = KL_BUF_INIT, pager = KL_BUF_INIT, mine = KL_BUF_INIT;
	struct kl_progress *p = NULL;
	struct kl_err err;
	char fig[6][24], first[24];
	size_t pages = (s->ntopics + WEB_PAGE_TOPICS - 1) / WEB_PAGE_TOPICS;
	size_t page = S_page_arg(rq, pages);

	if (kl_progress_open_ro(s->cfg->home, &p, &err) < 0)
		p = NULL;
	size_t from = (page - 1) * WEB_PAGE_TOPICS;
	for (size_t i = from; i < s->ntopics && i < from + WEB_PAGE_TOPICS; i++)
		S_topic_row(s, p, i + 1, &s->topics[i], &labs, &tags, &topics);
	if (!s->nnotes)
		web_tpl_render(s->tpls, "home:no_notes", NULL, 0, &topics);
	S_home_tail(s, p, &other, &problems);
	if (page == 1)
		S_recent(s, &recent);
	S_list_pager(s, "/", page, pages, &pager);
	S_progress_figures(s, p, fig);
	web_my_home_section(s, &mine);
	snprintf(first, sizeof(first), "%zu", from + 1);
	const struct web_var v[] = {
		WEB_TEXT("labs_passed", fig[0]), WEB_TEXT("labs_total", fig[1]),
		WEB_TEXT("points", fig[2]),      WEB_TEXT("max_points", fig[3]),
		WEB_TEXT("percent", fig[4]),     WEB_TEXT("notes_total", fig[5]),
		WEB_TEXT("first", first),
		WEB_HTML("topics", kl_buf_str(&topics)),
		WEB_HTML("recent", kl_buf_str(&recent)),
		WEB_HTML("pager", kl_buf_str(&pager)),
		WEB_HTML("other_labs", kl_buf_str(&other)),
		WEB_HTML("problems", kl_buf_str(&problems)),
		WEB_HTML("my_notes", kl_buf_str(&mine)),
	};
	web_tpl_render(s->tpls, "home", v, N(v), &body);
	web_page_finish(s, rp, 200, "Topics", NULL, "home", kl_buf_str(&body));
	rp->cache = 1; /* keyed by page and the progress store; dropped when a file changes */
	kl_progress_close(p);
	kl_buf_release(&topics);
	kl_buf_release(&labs);
	kl_buf_release(&tags);
	kl_buf_release(&other);
	kl_buf_release(&problems);
	kl_buf_release(&body);
	kl_buf_release(&recent);
	kl_buf_release(&pager);
	kl_buf_release(&mine);
}

void web_page_topic(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const struct web_topic *t = web_site_topic(s, rq->params[0]);
	struct kl_buf rows = KL_BUF_INIT, tags = KL_BUF_INIT, pager = KL_BUF_INIT;
	struct kl_buf body = KL_BUF_INIT;

	if (!t) {
		web_page_error(s, rp, 404, "No such topic",
			       "No note has this topic. The home page lists every topic.");
		return;
	}
	size_t pages = (t->n + WEB_PAGE_NOTES - 1) / WEB_PAGE_NOTES;
	size_t page = S_page_arg(rq, pages), from = (page - 1) * WEB_PAGE_NOTES;
	for (size_t k = from; k < t->n && k < from + WEB_PAGE_NOTES; k++) {
		const struct web_note *n = &s->notes[t->notes[k]];
		char num[24];
		snprintf(num, sizeof(num), "%zu", k + 1);
		kl_buf_reset(&tags);
		S_tags_html(s, n->fm.tags, n->fm.ntags, &tags);
		const struct web_var v[] = { WEB_TEXT("num", num), WEB_TEXT("id", n->id),
					     WEB_TEXT("title", n->fm.title),
					     WEB_HTML("tags", kl_buf_str(&tags)) };
		web_tpl_render(s->tpls, "home:topic_note", v, N(v), &rows);
	}
	char *base = kl_sprintf("/topics/%s", t->name);
	S_list_pager(s, base, page, pages, &pager);
	char count[24], first[24];
	snprintf(count, sizeof(count), "%zu", t->n);
	snprintf(first, sizeof(first), "%zu", from + 1);
	const struct web_var v[] = { WEB_TEXT("topic", t->name), WEB_TEXT("count", count),
				     WEB_TEXT("first", first), WEB_HTML("notes", kl_buf_str(&rows)),
				     WEB_HTML("pager", kl_buf_str(&pager)) };
	web_tpl_render(s->tpls, "home:topic_page", v, N(v), &body);
	char *title = kl_sprintf("Topic: %s", t->name);
	web_page_finish(s, rp, 200, title, NULL, "page", kl_buf_str(&body));
	rp->cache = 1;
	free(title);
	free(base);
	kl_buf_release(&rows);
	kl_buf_release(&tags);
	kl_buf_release(&pager);
	kl_buf_release(&body);
}
