/*
 * pages_lab.c - the lab pages: the task (README), the hints behind a click,
 * how to run it, the learner's status, best score and attempts from the
 * progress store, and the diff between two attempts from the attempts
 * repository. Nothing here runs a lab.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attempts.h"
#include "core/content.h"
#include "core/fsutil.h"
#include "core/workspace.h"
#include "web/handlers.h"
#include "web/page.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The lab for a request's first parameter, or an error page in rp (NULL). */
static const struct web_lab *S_lab_or_error(struct web_site *s, const struct web_request *rq,
					    struct web_reply *rp)
{
	const char *id = rq->params[0];
	const struct web_lab *lab = kl_valid_id(id) ? web_site_lab(s, id) : NULL;

	if (lab)
		return lab;
	if (kl_valid_id(id)) {
		char *dir = kl_sprintf("/labs/%s/", id);
		for (size_t i = 0; i < s->nproblems; i++) {
			if (strstr(s->problems[i], dir)) {
				web_page_error(s, rp, 500, "This lab cannot be read", s->problems[i]);
				free(dir);
				return NULL;
			}
		}
		free(dir);
	}
	web_page_error(s, rp, 404, "No such lab",
		       "There is no lab by that id. The home page lists every lab under its "
		       "topic; `klab list` shows them too.");
	return NULL;
}

/* Splits hints.md at its `## ` headings (outside code fences) and renders each. */
static void S_hints(struct web_site *s, const struct web_lab *lab, struct kl_buf *out)
{
	char *path = kl_content_file(s->cfg->content, "labs/%s/hints.md", lab->id);
	struct kl_buf text = KL_BUF_INIT, items = KL_BUF_INIT;
	struct kl_err err;
	int count = 0;

	if (!kl_is_file(path) || kl_read_file(path, &text, 1 << 20, &err) < 0)
		goto out;
	const char *p = kl_buf_str(&text);
	const char *end = p + text.len;
	bool fence = false;
	const char *start = NULL, *title = NULL;
	size_t tlen = 0;
	for (const char *line = p;;) {
		bool last = line >= end;
		const char *nl = last ? NULL : memchr(line, '\n', (size_t)(end - line));
		size_t len = last ? 0 : (size_t)((nl ? nl : end) - line);
		bool heading = !last && !fence && len > 3 && !strncmp(line, "## ", 3);
		if (!last && len >= 3 && (!strncmp(line, "```", 3) || !strncmp(line, "~~~", 3)))
			fence = !fence;
		if ((heading || last) && title) {
			struct md_doc doc;
			if (md_render(start, (size_t)(line - start), &s->resolver, 0, &doc, &err) == 0) {
				char *t = strndup(title, tlen);
				if (!t)
					abort();
				const struct web_var v[] = { WEB_TEXT("title", t),
							     WEB_HTML("content", doc.html) };
				web_tpl_render(s->tpls, "lab:hint", v, N(v), &items);
				md_doc_release(&doc);
				free(t);
				count++;
			}
		}
		if (heading) {
			title = line + 3;
			tlen = len - 3;
			start = nl ? nl + 1 : end;
		}
		if (last)
			break;
		line = nl ? nl + 1 : end;
	}
	if (count) {
		const struct web_var v[] = { WEB_HTML("items", kl_buf_str(&items)) };
		web_tpl_render(s->tpls, "lab:hints", v, N(v), out);
	}
out:
	free(path);
	kl_buf_release(&text);
	kl_buf_release(&items);
}

static const char *S_verdict_class(const char *v)
{
	if (!strcmp(v, "pass"))
		return "status-pass";
	if (!strcmp(v, "infra") || !strcmp(v, "timeout"))
		return "status-warn";
	return "status-fail";
}

static void S_attempts(struct web_site *s, struct kl_progress *p, const struct web_lab *lab,
		       struct kl_buf *out)
{
	struct kl_attempt *a = NULL;
	size_t n = 0;
	struct kl_err err;
	struct kl_buf rows = KL_BUF_INIT, from = KL_BUF_INIT, to = KL_BUF_INIT;
	struct kl_buf compare = KL_BUF_INIT;
	int with_commit = 0;

	if (kl_progress_attempts(p, lab->id, 50, &a, &n, &err) < 0 || n == 0) {
		const struct web_var v[] = { WEB_TEXT("id", lab->id) };
		web_tpl_render(s->tpls, "lab:no_attempts", v, N(v), out);
		kl_attempts_free(a, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char iso[32], human[64], score[32], num[24], dur[32], diff[128] = "";
		web_time_iso(a[i].started_at, iso, sizeof(iso));
		web_time_human(a[i].started_at, human, sizeof(human));
		snprintf(score, sizeof(score), "%d/%d", a[i].score, a[i].max_score);
		snprintf(num, sizeof(num), "%d", a[i].number); /* the lab's 1, 2, ... */
		snprintf(dur, sizeof(dur), "%.1f s", (double)a[i].duration_ms / 1000.0);
		/* The previous attempt with a commit, to diff against. */
		for (size_t k = i + 1; k < n && a[i].commit; k++) {
			if (a[k].commit) {
				snprintf(diff, sizeof(diff), "/labs/%s/diff?from=%lld&to=%lld",
					 lab->id, a[k].id, a[i].id);
				break;
			}
		}
		const struct web_var v[] = {
			WEB_TEXT("num", num),        WEB_TEXT("iso", iso),
			WEB_TEXT("date", human),     WEB_TEXT("score", score),
			WEB_TEXT("verdict", a[i].verdict),
			WEB_TEXT("verdict_class", S_verdict_class(a[i].verdict)),
			WEB_TEXT("duration", dur),   WEB_TEXT("diff_url", diff),
		};
		web_tpl_render(s->tpls, *diff ? "lab:attempt" : "lab:attempt_nodiff", v, N(v),
			       &rows);
		if (a[i].commit) {
			char label[160], id[24];
			snprintf(label, sizeof(label), "#%d · %s · %s", a[i].number, human, score);
			snprintf(id, sizeof(id), "%lld", a[i].id);
			const struct web_var o1[] = { WEB_TEXT("value", id), WEB_TEXT("label", label),
						      WEB_HTML("selected", with_commit == 1 ? " selected" : "") };
			const struct web_var o2[] = { WEB_TEXT("value", id), WEB_TEXT("label", label),
						      WEB_HTML("selected", with_commit == 0 ? " selected" : "") };
			web_tpl_render(s->tpls, "lab:option", o1, N(o1), &from);
			web_tpl_render(s->tpls, "lab:option", o2, N(o2), &to);
			with_commit++;
		}
	}
	if (with_commit >= 2) {
		const struct web_var v[] = { WEB_TEXT("id", lab->id),
					     WEB_HTML("from", kl_buf_str(&from)),
					     WEB_HTML("to", kl_buf_str(&to)) };
		web_tpl_render(s->tpls, "lab:compare", v, N(v), &compare);
	}
	char count[32];
	snprintf(count, sizeof(count), "%zu", n);
	const struct web_var v[] = { WEB_HTML("rows", kl_buf_str(&rows)),
				     WEB_HTML("compare", kl_buf_str(&compare)),
				     WEB_TEXT("count", count) };
	web_tpl_render(s->tpls, "lab:attempts", v, N(v), out);
	kl_attempts_free(a, n);
	kl_buf_release(&rows);
	kl_buf_release(&from);
	kl_buf_release(&to);
	kl_buf_release(&compare);
}

/* The note a lab belongs to: one listing it, else one of its topic; NULL when none. */
static const struct web_note *S_lab_note(struct web_site *s, const struct web_lab *lab)
{
	for (size_t i = 0; i < s->nnotes; i++)
		for (size_t k = 0; k < s->notes[i].fm.nlabs; k++)
			if (strcmp(s->notes[i].fm.labs[k], lab->id) == 0)
				return &s->notes[i];
	for (size_t i = 0; i < s->nnotes; i++)
		if (!strcmp(s->notes[i].id, lab->topic) || !strcmp(s->notes[i].fm.topic, lab->topic))
			return &s->notes[i];
	return NULL;
}

/* path with the learner's home folder written "~" (as the READMEs write it); takes path. */
static char *S_home_short(char *path)
{
	const char *home = getenv("HOME");
	size_t n = home ? strlen(home) : 0;

	if (n > 1 && strncmp(path, home, n) == 0 && path[n] == '/') {
		char *s = kl_sprintf("~%s", path + n);
		free(path);
		return s;
	}
	return path;
}

/*
 * The lab's README names the default workspace (~/.local/share/klab/workspace/);
 * where $KLAB_HOME puts it elsewhere, the page names the real one, once.
 */
static char *S_one_workspace(const char *html, const struct kl_config *cfg)
{
	static const char def[] = "~/.local/share/klab/workspace/";
	char *root = S_home_short(kl_sprintf("%s/workspace/", cfg->home));
	struct kl_buf out = KL_BUF_INIT;
	const char *p = html, *at;

	while ((at = strstr(p, def))) {
		kl_buf_add(&out, p, (size_t)(at - p));
		kl_buf_puts_html(&out, root);
		p = at + sizeof(def) - 1;
	}
	kl_buf_puts(&out, p);
	free(root);
	return kl_buf_detach(&out);
}

void web_page_lab(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const struct web_lab *lab = S_lab_or_error(s, rq, rp);
	struct kl_buf body = KL_BUF_INIT, hints = KL_BUF_INIT, attempts = KL_BUF_INIT;
	struct kl_buf files = KL_BUF_INIT, crumbs = KL_BUF_INIT;
	struct kl_progress *p = NULL;
	struct kl_lab_status st;
	struct md_doc doc;
	struct kl_err err;

	if (!lab)
		return;
	char *readme = kl_content_file(s->cfg->content, "labs/%s/README.md", lab->id);
	int rc = web_render_file(s, readme, MD_DROP_TITLE, &doc, NULL, &err);
	free(readme);
	if (rc < 0) {
		web_page_error(s, rp, 500, "This lab cannot be read", err.msg);
		return;
	}
	if (kl_progress_open_ro(s->cfg->home, &p, &err) < 0)
		p = NULL;
	web_lab_status(p, lab->id, &st);
	S_hints(s, lab, &hints);
	S_attempts(s, p, lab, &attempts);
	for (size_t i = 0; i < lab->nfiles; i++) {
		const struct web_var v[] = { WEB_TEXT("file", lab->files[i]) };
		web_tpl_render(s->tpls, "lab:file", v, N(v), &files);
	}
	const struct web_note *note = S_lab_note(s, lab);
	if (note) {
		const struct web_var v[] = { WEB_TEXT("id", note->id),
					     WEB_TEXT("title", note->fm.title) };
		web_tpl_render(s->tpls, "lab:note_crumb", v, N(v), &crumbs);
	}
	char best[32] = "–", runs[32];
	if (st.best_score >= 0)
		snprintf(best, sizeof(best), "%d/%d", st.best_score, lab->max_score);
	snprintf(runs, sizeof(runs), "%d attempt%s", st.attempts, st.attempts == 1 ? "" : "s");
	char *ws = S_home_short(kl_workspace_dir(s->cfg, lab->id));
	char *html = S_one_workspace(doc.html, s->cfg);
	struct kl_buf pager = KL_BUF_INIT;
	web_lab_pager(s, lab->id, &pager);
	const struct web_var v[] = {
		WEB_TEXT("id", lab->id),
		WEB_TEXT("title", lab->title),
		WEB_TEXT("difficulty", lab->difficulty),
		WEB_TEXT("status", web_status_text(&st)),
		WEB_TEXT("status_class", web_status_class(&st)),
		WEB_TEXT("best", best),
		WEB_TEXT("attempt_count", runs),
		WEB_TEXT("workspace", ws),
		WEB_HTML("files", kl_buf_str(&files)),
		WEB_HTML("crumbs", kl_buf_str(&crumbs)),
		WEB_HTML("content", html),
		WEB_HTML("hints", kl_buf_str(&hints)),
		WEB_HTML("attempts", kl_buf_str(&attempts)),
		WEB_HTML("pager", kl_buf_str(&pager)),
	};
	web_tpl_render(s->tpls, "lab", v, N(v), &body);
	web_page_finish(s, rp, 200, lab->title, NULL, "page", kl_buf_str(&body));
	rp->cache = 1; /* keyed by the progress store too (server.c) */
	free(ws);
	free(html);
	kl_buf_release(&pager);
	kl_progress_close(p);
	md_doc_release(&doc);
	kl_buf_release(&body);
	kl_buf_release(&hints);
	kl_buf_release(&attempts);
	kl_buf_release(&files);
	kl_buf_release(&crumbs);
}

/* Parses a positive attempt id, 0 when arg is missing or not one. */
static long long S_attempt_id(const char *arg)
{
	char *end;

	if (!arg || !*arg)
		return 0;
	long long v = strtoll(arg, &end, 10);
	return *end || v <= 0 ? 0 : v;
}

void web_page_lab_diff(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const struct web_lab *lab = S_lab_or_error(s, rq, rp);
	struct kl_attempt a = { 0 }, b = { 0 };
	struct kl_buf diff = KL_BUF_INIT, html = KL_BUF_INIT, body = KL_BUF_INIT;
	struct kl_progress *p = NULL;
	struct kl_err err;

	if (!lab)
		return;
	long long from = S_attempt_id(rq->arg(rq->arg_ctx, "from"));
	long long to = S_attempt_id(rq->arg(rq->arg_ctx, "to"));
	if (!from || !to) {
		web_page_error(s, rp, 400, "Pick two attempts",
			       "This page compares two attempts: it needs ?from=ID&to=ID with the "
			       "attempt numbers shown on the lab page.");
		return;
	}
	if (kl_progress_open_ro(s->cfg->home, &p, &err) < 0) {
		web_page_error(s, rp, 500, "The progress store cannot be read", err.msg);
		return;
	}
	int fa = kl_progress_attempt(p, from, &a, &err);
	int fb = fa == 1 ? kl_progress_attempt(p, to, &b, &err) : 0;
	if (fa < 0 || fb < 0) {
		web_page_error(s, rp, 500, "The progress store cannot be read", err.msg);
		goto out;
	}
	if (fa == 0 || fb == 0 || strcmp(a.lab, lab->id) != 0 || strcmp(b.lab, lab->id) != 0) {
		web_page_error(s, rp, 404, "No such attempts",
			       "Both attempts must exist and belong to this lab: the lab page lists "
			       "them.");
		goto out;
	}
	if (!a.commit || !b.commit) {
		web_page_error(s, rp, 404, "These attempts have no saved sources",
			       "Only attempts whose sources were committed to the attempts "
			       "repository can be compared.");
		goto out;
	}
	if (kl_attempts_diff(s->cfg->home, a.commit, b.commit, &diff, &err) < 0) {
		web_page_error(s, rp, 500, "The attempts cannot be compared", err.msg);
		goto out;
	}
	web_diff_html(kl_buf_str(&diff), diff.len, &html);
	char na[24], nb[24], sa[32], sb[32], da[64], db[64];
	snprintf(na, sizeof(na), "%d", a.number); /* the lab's own numbering */
	snprintf(nb, sizeof(nb), "%d", b.number);
	snprintf(sa, sizeof(sa), "%d/%d", a.score, a.max_score);
	snprintf(sb, sizeof(sb), "%d/%d", b.score, b.max_score);
	web_time_human(a.started_at, da, sizeof(da));
	web_time_human(b.started_at, db, sizeof(db));
	const struct web_var v[] = {
		WEB_TEXT("id", lab->id),    WEB_TEXT("title", lab->title),
		WEB_TEXT("from", na),       WEB_TEXT("to", nb),
		WEB_TEXT("from_score", sa), WEB_TEXT("to_score", sb),
		WEB_TEXT("from_date", da),  WEB_TEXT("to_date", db),
		WEB_TEXT("from_verdict", a.verdict), WEB_TEXT("to_verdict", b.verdict),
		WEB_HTML("diff", html.len ? kl_buf_str(&html) : NULL),
		WEB_TEXT("empty", html.len ? "" : "The sources of these two attempts are the same."),
	};
	web_tpl_render(s->tpls, "labdiff", v, N(v), &body);
	char *title = kl_sprintf("%s: attempt %s against %s", lab->title, nb, na);
	web_page_finish(s, rp, 200, title, NULL, "wide", kl_buf_str(&body));
	free(title);
out:
	kl_attempt_release(&a);
	kl_attempt_release(&b);
	kl_progress_close(p);
	kl_buf_release(&diff);
	kl_buf_release(&html);
	kl_buf_release(&body);
}
