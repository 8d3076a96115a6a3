/*
 * pages_my.c - the learner's own notes under /my/: the list, a note (the
 * note page of pages.c, linked to /my/ and to their notes repository), its
 * history and diffs, a new note, and the editor with its live preview.
 *
 * Writes (POST /my/new, /my/NAME/edit, /api/my/preview) reach these handlers
 * only after server.c checked the bind, the origin and the session token
 * (guard.h); the forms carry the token. A save is mynotes_save(): atomic,
 * then a commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/frontmatter.h"
#include "core/fsutil.h"
#include "core/mynotes.h"
#include "web/guard.h"
#include "web/handlers.h"
#include "web/page.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define S_HOME_MAX 8 /* notes listed on the home page */

static bool S_editable(const struct web_site *s)
{
	return s->my && s->guard && s->guard->loopback;
}

/* The notes could not be opened: a 500 page that says why; true when so. */
static bool S_unavailable(struct web_site *s, struct web_reply *rp)
{
	if (s->my)
		return false;
	web_page_error(s, rp, 500, "Your notes cannot be opened",
		       s->my_problem ? s->my_problem : "$KLAB_HOME/notes cannot be opened.");
	return true;
}

static void S_no_note(struct web_site *s, struct web_reply *rp)
{
	web_page_error(s, rp, 404, "No such note",
		       "You have no note by that name. `/my` lists your notes.");
}

/*
 * A web_note for NAME (its front matter or what stands for it, see
 * mynotes_doc_parse); false with a 404 page in rp when there is none.
 * S_note_release frees.
 */
static bool S_note(struct web_site *s, const char *name, struct web_note *n, struct web_reply *rp)
{
	char *path = s->my ? mynotes_path(s->my, name) : NULL;
	struct kl_buf text = KL_BUF_INIT;
	struct kl_err err;
	struct mynotes_doc doc;

	memset(n, 0, sizeof(*n));
	if (!path || kl_read_file(path, &text, 4 << 20, &err) < 0) {
		free(path);
		S_no_note(s, rp);
		return false;
	}
	mynotes_doc_parse(kl_buf_str(&text), text.len, name, &doc);
	n->id = kl_strdup(name);
	n->fm.path = path;
	n->fm.title = doc.title;
	n->fm.topic = kl_strdup(doc.title);
	n->fm.tags = doc.tags;
	n->fm.ntags = doc.ntags;
	kl_buf_release(&text);
	return true;
}

static void S_note_release(struct web_note *n)
{
	free(n->id);
	kl_note_release(&n->fm);
}

static void S_view(struct web_site *s, const char *name, struct web_note_view *v,
		   struct kl_buf *actions)
{
	v->base = "/my";
	v->home_url = "/my";
	v->home_title = "My notes";
	v->history = s->my_history;
	v->pager = false;
	v->prose = true; /* `klab check` reads a learner's prose too */
	if (S_editable(s)) {
		const struct web_var var[] = { WEB_TEXT("name", name) };
		web_tpl_render(s->tpls, "my:actions", var, N(var), actions);
	}
	v->actions = actions->len ? kl_buf_str(actions) : NULL;
}

/* ---------------------------------------------------------------- reading */

void web_page_my_index(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	struct kl_buf rows = KL_BUF_INIT, body = KL_BUF_INIT, link = KL_BUF_INIT;
	struct kl_buf problem = KL_BUF_INIT;
	struct mynotes_entry *v = NULL;
	size_t n = 0;
	struct kl_err err;

	(void)rq;
	if (s->my && mynotes_list(s->my, &v, &n, &err) < 0) {
		web_page_error(s, rp, 500, "Your notes cannot be read", err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char iso[32], human[64];
		web_time_iso(v[i].mtime, iso, sizeof(iso));
		web_time_human(v[i].mtime, human, sizeof(human));
		const struct web_var var[] = {
			WEB_TEXT("name", v[i].name), WEB_TEXT("title", v[i].title),
			WEB_TEXT("iso", iso),        WEB_TEXT("date", human),
		};
		web_tpl_render(s->tpls, "my:row", var, N(var), &rows);
	}
	if (s->my && !n)
		web_tpl_render(s->tpls, "my:empty", NULL, 0, &rows);
	if (S_editable(s))
		web_tpl_render(s->tpls, "my:new_link", NULL, 0, &link);
	else if (s->my)
		web_tpl_render(s->tpls, "my:readonly", NULL, 0, &problem);
	if (!s->my) {
		const struct web_var var[] = { WEB_TEXT("text", s->my_problem) };
		web_tpl_render(s->tpls, "my:problem", var, N(var), &problem);
	}
	const struct web_var var[] = {
		WEB_TEXT("dir", s->my ? mynotes_dir(s->my) : "$KLAB_HOME/notes"),
		WEB_HTML("rows", kl_buf_str(&rows)),
		WEB_HTML("new_link", kl_buf_str(&link)),
		WEB_HTML("problem", kl_buf_str(&problem)),
	};
	web_tpl_render(s->tpls, "my", var, N(var), &body);
	web_page_finish(s, rp, 200, "My notes", NULL, "narrow", kl_buf_str(&body));
	rp->cache = 1;
	mynotes_entries_free(v, n);
	kl_buf_release(&rows);
	kl_buf_release(&body);
	kl_buf_release(&link);
	kl_buf_release(&problem);
}

void web_my_home_section(struct web_site *s, struct kl_buf *out)
{
	struct kl_buf rows = KL_BUF_INIT, link = KL_BUF_INIT;
	struct mynotes_entry *v = NULL;
	size_t n = 0;
	struct kl_err err;

	if (!s->my || mynotes_list(s->my, &v, &n, &err) < 0)
		return;
	for (size_t i = 0; i < n && i < S_HOME_MAX; i++) {
		const struct web_var var[] = { WEB_TEXT("name", v[i].name),
					       WEB_TEXT("title", v[i].title) };
		web_tpl_render(s->tpls, "my:home_row", var, N(var), &rows);
	}
	if (n > S_HOME_MAX) {
		char more[24];
		snprintf(more, sizeof(more), "%zu", n - S_HOME_MAX);
		const struct web_var var[] = { WEB_TEXT("n", more) };
		web_tpl_render(s->tpls, "my:home_more", var, N(var), &rows);
	}
	if (!n)
		web_tpl_render(s->tpls, "my:home_empty", NULL, 0, &rows);
	if (S_editable(s))
		web_tpl_render(s->tpls, "my:home_new", NULL, 0, &link);
	const struct web_var var[] = { WEB_HTML("rows", kl_buf_str(&rows)),
				       WEB_HTML("new_link", kl_buf_str(&link)) };
	web_tpl_render(s->tpls, "my:home", var, N(var), out);
	mynotes_entries_free(v, n);
	kl_buf_release(&rows);
	kl_buf_release(&link);
}

/*
 * A note whose front matter cannot be read: a 500 page that says why and
 * where to fix it; true when so (the history pages still work).
 */
static bool S_broken(struct web_site *s, const struct web_note *n, struct web_reply *rp)
{
	struct kl_buf text = KL_BUF_INIT;
	struct kl_fm fm;
	struct kl_err err;
	bool broken = false;

	if (kl_read_file(n->fm.path, &text, 4 << 20, &err) == 0 &&
	    strncmp(kl_buf_str(&text), "---", 3) == 0) {
		if (kl_fm_parse(kl_buf_str(&text), text.len, &fm, &err) == 0) {
			kl_fm_release(&fm);
		} else {
			char *msg = S_editable(s)
					    ? kl_sprintf("%s. Fix it in the editor: `/my/%s/edit`.",
							 err.msg, n->id)
					    : kl_sprintf("%s. Fix it with `klab note edit %s`.", err.msg,
							 n->id);
			web_page_error(s, rp, 500, "This note's front matter cannot be read", msg);
			free(msg);
			broken = true;
		}
	}
	kl_buf_release(&text);
	return broken;
}

enum S_page { S_PAGE_NOTE, S_PAGE_HISTORY, S_PAGE_COMMIT };

/* A note's page, history or commit: the project's page code, linked to /my/. */
static void S_note_page(struct web_site *s, const struct web_request *rq, struct web_reply *rp,
			enum S_page which)
{
	struct web_note n;
	struct web_note_view view;
	struct kl_buf actions = KL_BUF_INIT;

	if (S_unavailable(s, rp) || !S_note(s, rq->params[0], &n, rp))
		return;
	if (which == S_PAGE_NOTE && S_broken(s, &n, rp)) {
		S_note_release(&n);
		return;
	}
	S_view(s, n.id, &view, &actions);
	if (which == S_PAGE_NOTE)
		web_note_page(s, &n, &view, rp);
	else if (which == S_PAGE_HISTORY)
		web_note_history_page(s, &n, &view, rp);
	else
		web_note_commit_page(s, &n, &view, rq->params[1], rp);
	S_note_release(&n);
	kl_buf_release(&actions);
}

void web_page_my(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	S_note_page(s, rq, rp, S_PAGE_NOTE);
}

void web_page_my_history(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	S_note_page(s, rq, rp, S_PAGE_HISTORY);
}

void web_page_my_commit(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	S_note_page(s, rq, rp, S_PAGE_COMMIT);
}

/* ---------------------------------------------------------------- writing */

/* A read-only server: 403 in rp; true when so. */
static bool S_readonly(struct web_site *s, struct web_reply *rp)
{
	if (S_unavailable(s, rp))
		return true;
	if (S_editable(s))
		return false;
	web_page_error(s, rp, 403, "Read-only server",
		       "This klab serves a network address, so it is read-only. Edit your notes "
		       "with `klab note edit NAME`, or serve on 127.0.0.1.");
	return true;
}

static void S_redirect(struct web_reply *rp, const char *fmt, const char *name)
{
	rp->status = 303;
	rp->type = "text/plain; charset=utf-8";
	snprintf(rp->location, sizeof(rp->location), fmt, name);
	kl_buf_reset(&rp->body);
	kl_buf_printf(&rp->body, "See %s\n", rp->location);
	rp->cache = 0;
}

void web_page_my_new(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	struct kl_buf body = KL_BUF_INIT;

	(void)rq;
	if (S_readonly(s, rp))
		return;
	const struct web_var var[] = { WEB_TEXT("token", s->guard->token) };
	web_tpl_render(s->tpls, "my:new", var, N(var), &body);
	web_page_finish(s, rp, 200, "New note", NULL, "narrow", kl_buf_str(&body));
	rp->cache = 0;
	kl_buf_release(&body);
}

void web_post_my_new(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const char *title = rq->arg(rq->arg_ctx, "title");
	char *name = NULL;
	struct kl_err err;

	if (S_readonly(s, rp))
		return;
	if (!title || !*title || strlen(title) > 200) {
		web_page_error(s, rp, 400, "A note needs a title",
			       "Give the new note a title of at most 200 characters.");
		return;
	}
	if (mynotes_new(s->my, title, NULL, &name, &err) < 0) {
		web_page_error(s, rp, 500, "The note cannot be created", err.msg);
		return;
	}
	S_redirect(rp, "/my/%s/edit", name);
	free(name);
}

/* Markdown text (front matter left out) as HTML, for the preview; a notice when it fails. */
static void S_preview(struct web_site *s, const char *text, size_t len, struct kl_buf *out)
{
	struct mynotes_doc doc;
	struct md_doc md;
	struct kl_err err;

	mynotes_doc_parse(text, len, "preview", &doc);
	if (md_render(text + doc.body_offset, len - doc.body_offset, &s->resolver, 0, &md,
		      &err) == 0) {
		kl_buf_puts(out, md.html);
		md_doc_release(&md);
	} else {
		kl_buf_puts(out, "<p class=\"notice warn\">");
		kl_buf_puts_html(out, err.msg);
		kl_buf_puts(out, "</p>");
	}
	mynotes_doc_release(&doc);
}

void web_page_my_edit(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	struct web_note n;
	struct kl_buf text = KL_BUF_INIT, preview = KL_BUF_INIT, body = KL_BUF_INIT;
	struct kl_err err;

	if (S_readonly(s, rp) || !S_note(s, rq->params[0], &n, rp))
		return;
	if (kl_read_file(n.fm.path, &text, 4 << 20, &err) < 0) {
		web_page_error(s, rp, 500, "This note cannot be read", err.msg);
		goto out;
	}
	S_preview(s, kl_buf_str(&text), text.len, &preview);
	const struct web_var var[] = {
		WEB_TEXT("name", n.id),
		WEB_TEXT("title", n.fm.title),
		WEB_TEXT("token", s->guard->token),
		WEB_TEXT("text", kl_buf_str(&text)),
		WEB_HTML("preview", kl_buf_str(&preview)),
	};
	web_tpl_render(s->tpls, "my:edit", var, N(var), &body);
	char *title = kl_sprintf("Edit %s", n.fm.title);
	web_page_finish(s, rp, 200, title, NULL, "wide", kl_buf_str(&body));
	rp->cache = 0;
	free(title);
out:
	S_note_release(&n);
	kl_buf_release(&text);
	kl_buf_release(&preview);
	kl_buf_release(&body);
}

/* s with every CR LF (as browsers send a textarea) made LF. Caller frees. */
static char *S_unix_lines(const char *s, size_t *len)
{
	struct kl_buf b = KL_BUF_INIT;

	for (const char *p = s; *p; p++)
		if (!(p[0] == '\r' && p[1] == '\n'))
			kl_buf_putc(&b, *p);
	*len = b.len;
	return kl_buf_detach(&b);
}

void web_post_my_edit(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const char *name = rq->params[0];
	const char *text = rq->arg(rq->arg_ctx, "text");
	const char *message = rq->arg(rq->arg_ctx, "message");
	struct web_note n;
	struct kl_err err;

	if (S_readonly(s, rp) || !S_note(s, name, &n, rp))
		return;
	if (!text) {
		web_page_error(s, rp, 400, "Nothing to save", "The form sent no text.");
		goto out;
	}
	size_t len;
	char *unix_text = S_unix_lines(text, &len);
	char *msg = message && *message ? kl_strdup(message) : NULL;
	for (char *p = msg; p && *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	int rc = mynotes_save(s->my, name, unix_text, len, msg, NULL, &err);
	free(unix_text);
	free(msg);
	if (rc < 0)
		web_page_error(s, rp, 500, "The note cannot be saved", err.msg);
	else
		S_redirect(rp, "/my/%s", name);
out:
	S_note_release(&n);
}

void web_post_my_preview(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const char *text = rq->arg(rq->arg_ctx, "text");

	rp->status = 200;
	rp->type = "text/html; charset=utf-8";
	rp->cache = 0;
	kl_buf_reset(&rp->body);
	if (!text) {
		web_page_error(s, rp, 400, "Nothing to preview", "The request sent no text.");
		return;
	}
	S_preview(s, text, strlen(text), &rp->body);
}
