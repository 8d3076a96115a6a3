/*
 * site.h - what the server knows about the source tree, built at start and
 * rebuilt when something changes on disk: the notes and labs (front matter),
 * the templates, the search index, the git history handle, and the link
 * resolver for Markdown. One struct web_site lives in the server: its data is
 * read by every request thread under the server's read lock and rebuilt under
 * its write lock. Its handles (search, history, xref) serve one thread at a
 * time: each request thread gets its own set (web_site_handles_open), and the
 * site's own search handle is the one that syncs the index file.
 */
#ifndef KLAB_WEB_SITE_H
#define KLAB_WEB_SITE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/history.h"
#include "core/markdown.h"
#include "core/progress.h"
#include "core/search.h"
#include "core/fswatch.h"
#include "web/tpl.h"

struct mynotes;
struct web_guard;
struct web_check_slot;
struct xref;
struct check_kernel;

#define WEB_RECENT 8 /* notes in the home page's recent changes */

struct web_note {
	char *id;           /* file name without .md: the URL's /notes/<id> */
	struct kl_note fm;  /* front matter */
	long long mtime;    /* of its file, for the recent changes */
};

/* Notes grouped by their front matter `topic`, in study order. */
struct web_topic {
	const char *name;   /* the topic (a note's fm.topic) */
	size_t *notes;      /* indexes in web_site.notes, in study order */
	size_t n;
};

struct web_lab {
	char *id, *title, *topic, *difficulty;
	int max_score;
	long home;          /* the note it is listed under on the home page, -1 for none */
	char **files;       /* what the learner edits */
	size_t nfiles;
};

struct web_site {
	const struct kl_config *cfg;
	struct fswatch *watch;
	unsigned long gen;       /* watch generation the data below was built for */
	struct web_tpls *tpls;   /* page templates */
	struct web_note *notes;  /* sorted by order, then id */
	size_t nnotes;
	struct web_lab *labs;    /* sorted by id */
	size_t nlabs;
	struct web_topic *topics; /* in the order of their first note */
	size_t ntopics;
	size_t recent[WEB_RECENT]; /* the notes changed last, newest first */
	size_t nrecent;
	char *search_path;       /* the search index file (search_index_path) */
	char **problems;         /* files that could not be read, with why */
	size_t nproblems;
	struct search_index *search;
	struct history *history; /* NULL when the tree is not in git */
	struct mynotes *my;      /* the learner's notes ($KLAB_HOME/notes), NULL when they cannot
				    be opened (my_problem says why) */
	char *my_problem;
	struct history *my_history; /* their history (the same repository) */
	const struct web_guard *guard; /* set by the server: Host rule, writes, token */
	char *static_dir;        /* real path of root/static */
	char *diagram_dir;       /* real path of bindir/diagrams, NULL when missing */
	struct md_resolver resolver;
	struct xref *xref;       /* the kernel source index, NULL until built (pages_xref.c) */
	/* `klab check`'s name index, opened once by the first request that needs it
	 * (web_site_check); a pointer, so that every request's view shares it */
	struct web_check_slot *check;
	long long progress_ns;   /* newest change of the progress store the pages saw */
	char *const *team;       /* learners' repositories for /team (klab serve --team) */
	size_t nteam;
};

/* Loads everything; web_site_close() frees. */
int web_site_open(struct web_site *s, const struct kl_config *cfg, struct kl_err *err);
void web_site_close(struct web_site *s);

/*
 * Takes in changes on disk (cheap when there are none), and in the progress
 * store (a note marked read by `klab read`, a run). Returns 1 when something
 * changed and cached pages must go, else 0.
 */
int web_site_refresh(struct web_site *s);
/* True when something changed on disk since the last load (web_site_refresh would reload). */
bool web_site_stale(struct web_site *s);

/* The handles one request thread uses on the site's files (see web_site_view). */
struct web_handles {
	struct search_index *search;
	struct history *history; /* NULL when the tree is not in git */
	struct xref *xref;       /* opened on first use */
};

/* Opens a set of handles on s's files; web_handles_close() frees them. */
int web_handles_open(const struct web_site *s, struct web_handles *h, struct kl_err *err);
void web_handles_close(struct web_handles *h);

/*
 * Makes view a copy of s that uses h's handles, for one request (s's data is
 * shared, not copied: hold the server's read lock). web_site_view_end() takes
 * back into h what the request opened (the xref index, on first use).
 */
void web_site_view(const struct web_site *s, struct web_handles *h, struct web_site *view);
void web_site_view_end(struct web_site *view, struct web_handles *h);

/* The topic named name, NULL when no note has it. */
const struct web_topic *web_site_topic(const struct web_site *s, const char *name);

/* The kernel source index, opened on first use (it may be built after the start); NULL
 * until `klab xref --build` made it. */
struct xref *web_site_xref(struct web_site *s);

/*
 * `klab check`'s name index of the lab kernel (the source's names only: the server
 * reads no kernel profile), opened on first use; NULL until `klab check` built it.
 */
const struct check_kernel *web_site_check(struct web_site *s);

const struct web_note *web_site_note(const struct web_site *s, const char *id);
const struct web_lab *web_site_lab(const struct web_site *s, const char *id);

/* Progress of one lab; st->best_score -1 when never run. p may be NULL. */
void web_lab_status(struct kl_progress *p, const char *id, struct kl_lab_status *st);
/* "not started", "failing" or "passed", and the CSS class that goes with it. */
const char *web_status_text(const struct kl_lab_status *st);
const char *web_status_class(const struct kl_lab_status *st);

#endif
