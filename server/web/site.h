/*
 * site.h - what the server knows about the source tree, built at start and
 * rebuilt when something changes on disk: the notes and labs (front matter),
 * the templates, the search index, the git history handle, and the link
 * resolver for Markdown. One struct web_site lives in the server and is used
 * under its lock (libgit2 and SQLite handles are not shared between threads).
 */
#ifndef KLAB_WEB_SITE_H
#define KLAB_WEB_SITE_H

#include <stddef.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/history.h"
#include "core/markdown.h"
#include "core/progress.h"
#include "core/search.h"
#include "core/fswatch.h"
#include "web/tpl.h"

struct xref;

struct web_note {
	char *id;           /* file name without .md: the URL's /notes/<id> */
	struct kl_note fm;  /* front matter */
};

struct web_lab {
	char *id, *title, *topic, *difficulty;
	int max_score;
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
	char **problems;         /* files that could not be read, with why */
	size_t nproblems;
	struct search_index *search;
	struct history *history; /* NULL when the tree is not in git */
	char *static_dir;        /* real path of root/static */
	char *diagram_dir;       /* real path of bindir/diagrams, NULL when missing */
	struct md_resolver resolver;
	struct xref *xref;       /* the kernel source index, NULL until built (pages_xref.c) */
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

/* The kernel source index, opened on first use (it may be built after the start); NULL
 * until `klab xref --build` made it. */
struct xref *web_site_xref(struct web_site *s);

const struct web_note *web_site_note(const struct web_site *s, const char *id);
const struct web_lab *web_site_lab(const struct web_site *s, const char *id);

/* Progress of one lab; st->best_score -1 when never run. p may be NULL. */
void web_lab_status(struct kl_progress *p, const char *id, struct kl_lab_status *st);
/* "not started", "failing" or "passed", and the CSS class that goes with it. */
const char *web_status_text(const struct kl_lab_status *st);
const char *web_status_class(const struct kl_lab_status *st);

#endif
