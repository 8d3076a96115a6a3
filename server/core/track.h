/*
 * track.h - tracks: an order to take notes and labs in, tracks/NAME.yaml in any
 * content folder (core/content.h; the first folder wins on a clash):
 *
 *   title: First steps
 *   description: one line (optional)
 *   steps:
 *     - note: modules
 *     - lab: modules-01
 *
 * A step is done when its lab has passed or its note was marked read
 * (`klab read NOTE`, or the button on the note's page).
 */
#ifndef KLAB_TRACK_H
#define KLAB_TRACK_H

#include <stddef.h>

#include "core/err.h"
#include "core/progress.h"

enum kl_step_kind { KL_STEP_NOTE, KL_STEP_LAB };

struct kl_track_step {
	enum kl_step_kind kind;
	char *id;  /* the note's topic or the lab's id */
	int line;  /* in the track's file */
	int done;  /* filled by kl_track_progress */
};

struct kl_track {
	char *name, *title, *description; /* description may be NULL */
	char *path;
	struct kl_track_step *steps;
	size_t nsteps;
};

/* Parses a track's YAML text; path names it in errors. kl_track_release frees. */
int kl_track_parse(const char *text, size_t len, const char *path, struct kl_track *t,
		   struct kl_err *err);
/* Reads tracks/<name>.yaml from the content path. */
int kl_track_load(const char *content, const char *name, struct kl_track *t, struct kl_err *err);
void kl_track_release(struct kl_track *t);
/*
 * Every track's name: the first content folder's tracks first (sorted), then the
 * next folder's that are not already named. Free with kl_strv_free.
 */
int kl_track_names(const char *content, char ***names, size_t *n, struct kl_err *err);
/*
 * Sets each step's done from the progress store (p may be NULL: nothing done);
 * *ndone counts them.
 */
int kl_track_progress(struct kl_progress *p, struct kl_track *t, size_t *ndone,
		      struct kl_err *err);
/* The first step not done, or NULL when the track is complete. */
const struct kl_track_step *kl_track_next(const struct kl_track *t);

#endif
