/*
 * pages_team.c - the team onboarding pages: /tracks (every track with the
 * learner's progress), /tracks/NAME (its steps, done or not, and the next),
 * and /team (the learners of `klab serve --team URL|DIR...`, core/team.h).
 * None is cached: each shows the progress store or the learners as they are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "core/team.h"
#include "core/track.h"
#include "web/handlers.h"
#include "web/page.h"

#define S_TEAM_MAX_AGE 60 /* seconds a fetched remote is reused by /team */

/* "3 of 9 steps done" with a bar. */
static void S_meter(struct kl_buf *b, size_t done, size_t total)
{
	kl_buf_printf(b, "<p class=\"track-progress\"><progress value=\"%zu\" max=\"%zu\"></progress> "
		      "%zu of %zu steps done</p>", done, total ? total : 1, done, total);
}

void web_page_tracks(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	struct kl_buf b = KL_BUF_INIT;
	struct kl_progress *p = NULL;
	struct kl_err err;
	char **names = NULL;
	size_t n = 0;

	(void)rq;
	if (kl_progress_open_ro(s->cfg->home, &p, &err) < 0)
		p = NULL;
	kl_track_names(s->cfg->content, &names, &n, &err);
	kl_buf_puts(&b, "<article class=\"doc\"><header class=\"doc-head\"><h1>Tracks</h1>"
			"<p class=\"meta\">An order to take notes and labs in. A lab step is done "
			"once it passed, a note once marked read.</p></header><ul class=\"tracks\">");
	for (size_t i = 0; i < n; i++) {
		struct kl_track t;
		size_t done = 0;
		kl_buf_puts(&b, "<li><a href=\"/tracks/");
		kl_buf_puts_html(&b, names[i]);
		kl_buf_puts(&b, "\">");
		if (kl_track_load(s->cfg->content, names[i], &t, &err) < 0 ||
		    kl_track_progress(p, &t, &done, &err) < 0) {
			kl_buf_puts_html(&b, names[i]);
			kl_buf_puts(&b, "</a>: ");
			kl_buf_puts_html(&b, err.msg);
			kl_buf_puts(&b, "</li>");
			continue;
		}
		kl_buf_puts_html(&b, t.title);
		kl_buf_puts(&b, "</a>");
		S_meter(&b, done, t.nsteps);
		kl_buf_puts(&b, "</li>");
		kl_track_release(&t);
	}
	if (!n)
		kl_buf_puts(&b, "<li>No tracks: a content folder's <code>tracks/NAME.yaml</code> "
				"defines one.</li>");
	kl_buf_puts(&b, "</ul></article>");
	web_page_finish(s, rp, 200, "Tracks", NULL, "page", kl_buf_str(&b));
	kl_buf_release(&b);
	kl_strv_free(names, n);
	kl_progress_close(p);
}

/* One step: its link, title, and done or next. */
static void S_step(struct web_site *s, const struct kl_track_step *st, int next, struct kl_buf *b)
{
	const struct web_note *n = st->kind == KL_STEP_NOTE ? web_site_note(s, st->id) : NULL;
	const struct web_lab *l = st->kind == KL_STEP_LAB ? web_site_lab(s, st->id) : NULL;
	const char *title = n ? n->fm.title : l ? l->title : st->id;

	kl_buf_printf(b, "<li class=\"step %s\"><span class=\"step-kind\">%s</span> ",
		      st->done ? "done" : next ? "next" : "todo",
		      st->kind == KL_STEP_LAB ? "lab" : "note");
	if (n || l) {
		kl_buf_printf(b, "<a href=\"/%s/", n ? "notes" : "labs");
		kl_buf_puts_html(b, st->id);
		kl_buf_puts(b, "\">");
		kl_buf_puts_html(b, title);
		kl_buf_puts(b, "</a>");
	} else {
		kl_buf_puts_html(b, st->id);
		kl_buf_puts(b, " (missing)");
	}
	kl_buf_puts(b, st->done ? " <span class=\"step-state\">\xe2\x9c\x93 done</span>"
			: next ? " <span class=\"step-state\">next</span>" : "");
	kl_buf_puts(b, "</li>");
}

void web_page_track(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	struct kl_buf b = KL_BUF_INIT;
	struct kl_progress *p = NULL;
	struct kl_track t;
	struct kl_err err;
	size_t done = 0;

	if (kl_track_load(s->cfg->content, rq->params[0], &t, &err) < 0) {
		web_page_error(s, rp, 404, "No such track",
			       "There is no track by that name: /tracks lists them.");
		return;
	}
	if (kl_progress_open_ro(s->cfg->home, &p, &err) < 0)
		p = NULL;
	if (kl_track_progress(p, &t, &done, &err) < 0)
		done = 0;
	const struct kl_track_step *next = kl_track_next(&t);
	kl_buf_puts(&b, "<article class=\"doc track\"><header class=\"doc-head\"><nav class=\"crumbs\" "
			"aria-label=\"Breadcrumbs\"><a href=\"/tracks\">Tracks</a></nav><h1>");
	kl_buf_puts_html(&b, t.title);
	kl_buf_puts(&b, "</h1>");
	if (t.description) {
		kl_buf_puts(&b, "<p class=\"meta\">");
		kl_buf_puts_html(&b, t.description);
		kl_buf_puts(&b, "</p>");
	}
	S_meter(&b, done, t.nsteps);
	kl_buf_puts(&b, "</header><ol class=\"steps\">");
	for (size_t i = 0; i < t.nsteps; i++)
		S_step(s, &t.steps[i], &t.steps[i] == next, &b);
	kl_buf_puts(&b, "</ol></article>");
	web_page_finish(s, rp, 200, t.title, NULL, "page", kl_buf_str(&b));
	kl_buf_release(&b);
	kl_track_release(&t);
	kl_progress_close(p);
}

/* One learner's row: name, last activity, then a cell per lab. */
static void S_learner(const struct kl_team_learner *l, const struct kl_team_catalog *c,
		      struct kl_buf *b)
{
	char when[64];

	kl_buf_puts(b, "<tr><th scope=\"row\">");
	if (l->error) {
		kl_buf_puts_html(b, l->source);
		kl_buf_printf(b, "</th><td colspan=\"%zu\" class=\"team-error\">cannot read: ",
			      c->n + 1);
		kl_buf_puts_html(b, l->error);
		kl_buf_puts(b, "</td></tr>");
		return;
	}
	kl_buf_puts_html(b, l->name);
	web_time_human(l->last_activity, when, sizeof(when));
	kl_buf_puts(b, "</th><td>");
	kl_buf_puts(b, l->last_activity ? when : "never");
	kl_buf_puts(b, "</td>");
	for (size_t i = 0; i < l->nlabs; i++) {
		const struct kl_team_lab *r = &l->labs[i];
		const char *cls = r->stuck ? "stuck" : strcmp(r->status, "passed") == 0 ? "passed"
						: r->attempts ? "failing" : "not-started";
		kl_buf_printf(b, "<td class=\"%s\" title=\"%s, %d attempt%s\">", cls, r->status,
			      r->attempts, r->attempts == 1 ? "" : "s");
		if (r->attempts)
			kl_buf_printf(b, "%d/%d%s", r->best, r->max, r->stuck ? " stuck" : "");
		else
			kl_buf_puts(b, "-");
		kl_buf_puts(b, "</td>");
	}
	kl_buf_puts(b, "</tr>");
}

void web_page_team(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	struct kl_buf b = KL_BUF_INIT;
	struct kl_team_catalog c;
	struct kl_err err;

	(void)rq;
	if (!s->nteam) {
		web_page_error(s, rp, 404, "No team here",
			       "Start the server with `klab serve --team URL|DIR...` (each learner's "
			       "pushed repository) to follow a team here.");
		return;
	}
	if (kl_team_catalog_load(s->cfg->content, &c, &err) < 0) {
		web_page_error(s, rp, 500, "No catalog", err.msg);
		return;
	}
	kl_buf_puts(&b, "<article class=\"doc team\"><header class=\"doc-head\"><h1>Team</h1>"
			"<p class=\"meta\">Best score per lab; <em>stuck</em>: many attempts, no "
			"progress lately. Remotes are fetched at most once a minute.</p></header>"
			"<div class=\"table-wrap\"><table class=\"team\"><thead><tr><th>Learner</th>"
			"<th>Last activity</th>");
	for (size_t i = 0; i < c.n; i++) {
		kl_buf_puts(&b, "<th scope=\"col\"><a href=\"/labs/");
		kl_buf_puts_html(&b, c.ids[i]);
		kl_buf_puts(&b, "\">");
		kl_buf_puts_html(&b, c.ids[i]);
		kl_buf_puts(&b, "</a></th>");
	}
	kl_buf_puts(&b, "</tr></thead><tbody>");
	for (size_t i = 0; i < s->nteam; i++) {
		struct kl_team_learner l;
		kl_team_read(s->cfg->cache, s->team[i], &c, 4, S_TEAM_MAX_AGE, &l);
		S_learner(&l, &c, &b);
		kl_team_learner_release(&l);
	}
	kl_buf_puts(&b, "</tbody></table></div></article>");
	web_page_finish(s, rp, 200, "Team", NULL, "page", kl_buf_str(&b));
	kl_buf_release(&b);
	kl_team_catalog_release(&c);
}
