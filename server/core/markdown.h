/*
 * markdown.h - notes and lab texts to HTML with cmark-gfm in safe mode (raw HTML
 * is never passed through, but for answer folds rebuilt from fixed strings;
 * tables are on), plus what klab adds on top: heading
 * ids (kl_slug) and a table of contents, C code highlighted by a small
 * tokenizer, and links between notes and labs resolved (`lab:x`, `x.md#y`,
 * `/static/diagrams/x.svg`) with broken ones shown as such. Also the plain
 * text of a document, for the search index.
 *
 * Nothing here knows HTTP: the caller says which notes, labs and diagrams
 * exist through a struct md_resolver.
 */
#ifndef KLAB_MARKDOWN_H
#define KLAB_MARKDOWN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct md_mark;

/* Which link targets exist. A NULL function means "every such target exists". */
struct md_resolver {
	bool (*note_exists)(void *ctx, const char *topic);
	bool (*lab_exists)(void *ctx, const char *id);
	bool (*diagram_exists)(void *ctx, const char *name); /* "x.svg" */
	/*
	 * The kernel source index: the URL (caller frees) for what a code span names
	 * (name, `struct x`, name(), a source path), NULL for no link. NULL: no links.
	 */
	char *(*code_link)(void *ctx, const char *code);
	void *ctx;
	/*
	 * Names to mark quietly (kernel identifiers that `klab check` found unknown):
	 * each code span that names one (`x`, `x()`, `struct x`) and each whole word x of
	 * prose becomes <span class="ident-unknown" title="...">. NULL/0: none.
	 */
	const struct md_mark *marks;
	size_t nmarks;
};

struct md_mark {
	const char *word;  /* the name as written */
	const char *title; /* the mark's tooltip, plain text */
};

enum md_link_kind {
	MD_LINK_EXTERNAL, /* http:, https:, mailto: - left as written */
	MD_LINK_NOTE,     /* /notes/<topic>[#frag] */
	MD_LINK_LAB,      /* /labs/<id> */
	MD_LINK_ANCHOR,   /* #frag in the same document */
	MD_LINK_STATIC,   /* /static/... (diagrams are checked) */
	MD_LINK_BROKEN,   /* href is NULL, why says what is wrong */
};

struct md_link {
	enum md_link_kind kind;
	char *href; /* the URL to emit, NULL when broken; owned, md_link_release frees */
	char *why;  /* for a broken link: a sentence for the title attribute; owned */
};

/*
 * Resolves one link or image target as written in a note or lab. anchors[0..n)
 * are the heading ids of the current document, used to check "#frag" links
 * (anchors NULL: not checked). Always fills out; md_link_release() frees it.
 */
void md_link_resolve(const char *url, const struct md_resolver *res, char *const *anchors,
		     size_t nanchors, struct md_link *out);
void md_link_release(struct md_link *l);

struct md_heading {
	int level;  /* 1..6 */
	char *id;   /* the anchor (unique in the document) */
	char *text; /* plain text */
};

struct md_doc {
	char *html;     /* the rendered body */
	char *toc_html; /* nested <ol> of the level 2 and 3 headings, "" when fewer than two */
	struct md_heading *headings;
	size_t nheadings;
	char *title;    /* text of the first level-1 heading, NULL when none */
	int nbroken;    /* broken links and images */
};

/* md_render flags */
#define MD_DROP_TITLE 1 /* leave out a level-1 heading that opens the document */

/*
 * Renders Markdown text (no front matter) into doc; md_doc_release() frees it.
 * res may be NULL (nothing is checked). Returns 0, or -1 with err set.
 */
int md_render(const char *text, size_t len, const struct md_resolver *res, int flags,
	      struct md_doc *doc, struct kl_err *err);
void md_doc_release(struct md_doc *doc);

struct cmark_node;

/*
 * Answer folds, the one piece of HTML a note may hold:
 *
 *     <details>
 *     <summary>Answer</summary>
 *
 *     Markdown ...
 *
 *     </details>
 *
 * md_fold_parse() reads the literal of one HTML block. When it is made only of
 * `</details>` tags followed by `<details>` tags, each optionally followed by
 * `<summary>text</summary>` (one line, no '<' or '>'), it sets *closes and
 * *opens, appends the HTML to emit to out (text escaped) and returns 0;
 * otherwise it returns -1.
 *
 * md_folds() walks a parsed document. Every raw HTML node that is not a fold
 * block, and the first fold that does not pair up under one parent block, is
 * passed to bad (may be NULL) with a sentence saying why; raw HTML stays raw,
 * which safe mode omits. With replace, when all folds pair up, the fold blocks
 * become custom blocks with the HTML to emit. Returns the number of bad nodes.
 */
int md_fold_parse(const char *html, int *closes, int *opens, struct kl_buf *out);
int md_folds(struct cmark_node *root, bool replace,
	     void (*bad)(void *ctx, struct cmark_node *node, const char *why), void *ctx);

/*
 * Appends a unified diff as HTML: one <span class="d-add|d-del|d-ctx|d-hunk|d-meta">
 * a line, each opening with two <span class="ln" data-n="N"> for its old and new
 * line numbers (empty where a side has none), numbered from the hunk headers.
 * ```diff blocks in notes and the diff pages both use it.
 */
void md_highlight_diff(const char *diff, size_t len, struct kl_buf *out);

/*
 * The id of the section (heading) of a Markdown text where needle first occurs
 * in a block's plain text (case-insensitive), as md_render numbers the ids with
 * the same flags; NULL when it is not found or comes before any heading.
 * The caller frees. Search hits link to it.
 */
char *md_section_of(const char *text, size_t len, int flags, const char *needle);

/* A part of a Markdown text for the search index (md_sections). */
struct md_section {
	char *id;           /* the heading's anchor as md_render numbers it; NULL for the text
			     * before the first heading */
	char *heading;      /* the heading's plain text; NULL likewise */
	struct kl_buf text; /* plain text of the blocks up to the next heading */
};

/*
 * Cuts a Markdown text into sections: the text before the first heading, then
 * one section per top-level heading of level 2 and more (with the same flags
 * md_render takes, so ids match the page's). After max sections, the rest goes
 * into the last one. *out (at least one section) is freed with md_sections_free.
 */
void md_sections(const char *text, size_t len, int flags, size_t max, struct md_section **out,
		 size_t *n);
void md_sections_free(struct md_section *v, size_t n);

/* Appends C source as HTML: escaped, each token class in <span class="tok-...">. */
void md_highlight_c(const char *code, size_t len, struct kl_buf *out);

/* Appends the plain text of a Markdown document (words of text, code and headings). */
void md_plain_text(const char *text, size_t len, struct kl_buf *out);

#endif
