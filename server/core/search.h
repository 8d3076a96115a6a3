/*
 * search.h - full-text search over the notes and labs: an in-memory SQLite FTS5
 * index, shared by `klab search` and the web server.
 *
 * Identifiers stay whole (tokenchars '_': spin_lock_irqsave is one word),
 * prefixes of two and three characters are indexed for type-ahead, and titles
 * weigh more than tags, tags more than the body (bm25). What a person types is
 * never handed to FTS5 as query syntax: each word is quoted (see
 * search_query_build), so no input can make a query fail.
 *
 * Each document is cut into sections (md_sections): hits name the section,
 * queries rank a bounded window of matches (see search.c). An index in a file
 * (search_index_open_file) is kept between runs; several handles, one per
 * thread, may open the same file, and one of them syncs it at a time.
 *
 * A handle belongs to one thread at a time.
 */
#ifndef KLAB_SEARCH_H
#define KLAB_SEARCH_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct search_index;

/* Hits are marked in titles and snippets with these bytes (never found in indexed text). */
#define SEARCH_MARK_ON '\x01'
#define SEARCH_MARK_OFF '\x02'

/* Creates an empty in-memory index; search_index_close() frees it. */
int search_index_open(struct search_index **out, struct kl_err *err);
/*
 * Opens (or creates) the index kept in file path, for instance under $KLAB_CACHE.
 * A file that is damaged or of another version is started again (it is a cache).
 */
int search_index_open_file(const char *path, struct search_index **out, struct kl_err *err);
/* Where the index of the tree at root (and of the learner's notes in mine, may be NULL) is
 * kept under cache ($KLAB_CACHE): cache/search/<hash>.db, one file per pair. The caller
 * frees; the folder may not exist yet. */
char *search_index_path(const char *cache, const char *root, const char *mine);
void search_index_close(struct search_index *idx);

/*
 * Brings the index in line with DIR/notes/NAME.md and DIR/labs/ID/README.md of
 * every folder of the content path (core/content.h: DIR[:DIR...], the first
 * folder winning a clash), and the learner's notes (search_index_set_mine):
 * files whose size or modification time changed are indexed again, files gone
 * are dropped. *changed (may be NULL) gets how many documents were touched.
 * A file with broken front matter is skipped, never an error.
 */
int search_index_sync(struct search_index *idx, const char *content, int *changed,
		      struct kl_err *err);

/*
 * Also index the learner's own notes: every NAME.md of dir, kind "mine" (from
 * the next sync on). Their front matter is optional (core/mynotes.h).
 */
void search_index_set_mine(struct search_index *idx, const char *dir);

/* Where documents come from: one kind of document in one folder. */
struct search_source {
	const char *kind;  /* what its hits are called: "note", "lab", ... */
	const char *dir;   /* the folder */
	enum search_layout {
		SEARCH_MD_FILES,    /* dir/ID.md, tags from `tags` and `topic` */
		SEARCH_README_DIRS, /* dir/ID/README.md, tags from `topic`, `difficulty`, ID */
		SEARCH_MINE_FILES,  /* dir/NAME.md, the learner's: front matter optional */
	} layout;
};

/*
 * search_index_sync over any sources: documents rank (see search.c) by their
 * source's place in src, then their front matter `order`, then id; documents
 * added later rank after those already there. Files of no source are dropped.
 */
int search_index_sync_sources(struct search_index *idx, const struct search_source *src,
			      size_t nsrc, int *changed, struct kl_err *err);

/* A file of the index, as its last sync saw it (search_index_files). */
struct search_file {
	const char *ref;   /* its id */
	const char *path;
	long long mtime;   /* nanoseconds since the epoch */
	const char *fm;    /* its front matter text, NULL when it could not be read */
	size_t fmlen;
};

/*
 * Calls fn for each file of kind (a source's kind, "note") in path order, so a
 * catalog can be built without reading the files again. The strings live until
 * fn returns.
 */
int search_index_files(struct search_index *idx, const char *kind,
		       void (*fn)(void *ctx, const struct search_file *f), void *ctx,
		       struct kl_err *err);

/* Adds or replaces one document (kind "note" or "lab", id its topic or lab id). */
int search_index_put(struct search_index *idx, const char *kind, const char *id,
		     const char *title, const char *tags, const char *body, struct kl_err *err);
/* Number of documents. */
long search_index_count(struct search_index *idx);

struct search_hit {
	char *kind;    /* "note", "lab" or "mine" (the learner's own note) */
	char *id;      /* topic or lab id */
	char *title;   /* with SEARCH_MARK_ON/OFF around hits */
	char *snippet; /* a piece of the section's text, marked likewise */
	char *anchor;  /* the section's heading id, "" for the text before any heading */
	char *heading; /* the section's heading, marked likewise; "" likewise */
	double rank;   /* bm25: lower is better */
};

struct search_result {
	char *fts;     /* the FTS5 query that ran, "" when none */
	char *message; /* for the person when nothing could be searched, else NULL */
	struct search_hit *hits;
	size_t nhits;
};

/*
 * Searches for what a person typed. Any text is accepted: when it holds no word
 * to search, result->message says so and there are no hits. Returns -1 only on
 * an internal failure. search_result_release() frees result.
 */
int search_run(struct search_index *idx, const char *text, int limit,
	       struct search_result *result, struct kl_err *err);
/* search_run from the (skip+1)-th hit on: a page of results after the first ones. */
int search_run_page(struct search_index *idx, const char *text, size_t skip, int limit,
		    struct search_result *result, struct kl_err *err);
void search_result_release(struct search_result *result);

/*
 * Turns typed text into an FTS5 query (appended to out): words are split on
 * blanks and control characters, each put in double quotes with inner quotes
 * doubled, and joined (FTS5's implicit AND). Words without a letter or digit
 * (`*`, `++`) are dropped. The last word becomes a prefix query ("word"*) unless
 * the text ends with a blank. Returns the number of words kept.
 */
int search_query_build(const char *text, struct kl_buf *out);

enum search_mark_style {
	SEARCH_MARK_HTML,  /* escaped, hits in <mark> */
	SEARCH_MARK_ANSI,  /* hits in bold for a terminal */
	SEARCH_MARK_PLAIN, /* marks dropped */
};

/* Appends marked text s in the given style. */
void search_mark(const char *s, enum search_mark_style style, struct kl_buf *out);

#endif
