/*
 * page.h - what the HTML pages share: the page frame (page.html around a
 * body), dates, diffs as HTML, and Markdown files of the tree rendered with
 * the site's link resolver.
 */
#ifndef KLAB_WEB_PAGE_H
#define KLAB_WEB_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/markdown.h"
#include "core/search.h"
#include "web/router.h"
#include "web/site.h"

/*
 * Fills rp with body inside the page frame: status, <title>, the search box's
 * text q (may be NULL) and layout, a CSS class for <main>.
 */
void web_page_finish(struct web_site *s, struct web_reply *rp, int status, const char *title,
		     const char *q, const char *layout, const char *body);

/* "2024-05-03T14:22:05Z" and "3 May 2024, 14:22" for unix time t (local time). */
void web_time_iso(long long t, char *out, size_t size);
void web_time_human(long long t, char *out, size_t size);

/* A unified diff as HTML lines classed d-add, d-del, d-hunk, d-meta, d-ctx, numbered. */
void web_diff_html(const char *diff, size_t len, struct kl_buf *out);

/* web_render_file flags, beside md_render's */
#define WEB_RENDER_CHECK 0x100       /* mark the unknown kernel names of code spans */
#define WEB_RENDER_CHECK_PROSE 0x200 /* ... and of prose (a learner's own note) */

/*
 * Reads a Markdown file with front matter and renders its body (flags as for
 * md_render, and WEB_RENDER_*: `klab check`'s findings marked quietly in the
 * text, when the kernel's name index exists). *fm_title (may be NULL) gets the
 * front matter's title or NULL; the caller frees it. Returns -1 with err set
 * when the file cannot be read.
 */
int web_render_file(struct web_site *s, const char *path, int flags, struct md_doc *doc,
		    char **fm_title, struct kl_err *err);

/*
 * Previous and next links (either URL may be NULL), as a <nav class="pager">;
 * nothing when both are NULL.
 */
void web_pager(struct web_site *s, const char *prev_url, const char *prev_title,
	       const char *next_url, const char *next_title, struct kl_buf *out);
/* The pager of a lab page: the labs before and after it in curriculum order. */
void web_lab_pager(struct web_site *s, const char *id, struct kl_buf *out);

/*
 * Where a note page's links go: the project's notes (/notes/ID, the source
 * tree's history, a pager through the topics) or the learner's own
 * (/my/NAME, their notes repository, an Edit link).
 */
struct web_note_view {
	const char *base;       /* "/notes" or "/my": pages are base/ID, base/ID/history... */
	const char *home_url;   /* the first breadcrumb: "/" or "/my" */
	const char *home_title; /* its text: "Topics" or "My notes" */
	struct history *history; /* the note's repository; NULL: not under version control */
	const char *actions;    /* HTML after the History link (may be NULL) */
	bool pager;             /* previous and next among the project's notes (n in s->notes) */
	bool prose;             /* mark unknown kernel names in prose too (a learner's note) */
};

/* A note's page, its history and one commit's diff, as the view links them. */
void web_note_page(struct web_site *s, const struct web_note *n, const struct web_note_view *view,
		   struct web_reply *rp);
void web_note_history_page(struct web_site *s, const struct web_note *n,
			   const struct web_note_view *view, struct web_reply *rp);
void web_note_commit_page(struct web_site *s, const struct web_note *n,
			  const struct web_note_view *view, const char *commit,
			  struct web_reply *rp);

/*
 * The page of a search hit, down to the section its snippet comes from
 * ("/notes/signals#pending-signals"), or the page alone. The caller frees.
 */
char *web_hit_url(struct web_site *s, const struct search_hit *h);

#endif
