/*
 * progress.h - the learner's progress store: $KLAB_HOME/progress.db (SQLite, WAL).
 * Every `klab run` is one attempt row with its per-test results, written in one
 * transaction, so a run killed half-way leaves either the whole attempt or none.
 * Also remembers which hints were shown.
 */
#ifndef KLAB_PROGRESS_H
#define KLAB_PROGRESS_H

#include <stddef.h>

#include "core/err.h"

struct kl_progress; /* an open store; one per thread */

struct kl_attempt_test {
	char *name;
	int ok;         /* 1 passed, 0 failed */
	int points;     /* points earned */
	int max_points; /* points it is worth */
	char *diagnostic; /* why it failed, may be NULL */
};

struct kl_attempt {
	long long id;         /* set by the store */
	char *lab;
	long long started_at; /* unix seconds */
	long long duration_ms;
	char *verdict;        /* pass, fail, build-error, fault, timeout, infra */
	int score, max_score;
	char *kernel;         /* kernel profile and release, may be NULL */
	char *commit;         /* attempts repository commit, may be NULL */
	char *source;         /* folder the sources came from */
	struct kl_attempt_test *tests;
	size_t ntests;
	int number;           /* set by the store: 1 for a lab's first attempt, 2 ... */
	char *output;         /* what `klab run` printed (the report), may be NULL */
};

struct kl_lab_status {
	int attempts;       /* how many runs */
	int best_score;     /* -1 when never run */
	int max_score;      /* of the best attempt */
	int passed;         /* 1 once any attempt passed */
	char last_verdict[16]; /* "" when never run */
	long long last_at;  /* unix seconds of the last run, 0 when never */
};

/* Opens (creating if needed) home/progress.db. */
int kl_progress_open(const char *home, struct kl_progress **out, struct kl_err *err);
/* Opens read-only; a missing store is not an error (*out = NULL). */
int kl_progress_open_ro(const char *home, struct kl_progress **out, struct kl_err *err);
void kl_progress_close(struct kl_progress *p);

/* Records a whole attempt in one transaction; sets a->id. */
int kl_progress_record(struct kl_progress *p, struct kl_attempt *a, struct kl_err *err);
int kl_progress_set_commit(struct kl_progress *p, long long id, const char *commit,
			   struct kl_err *err);
int kl_progress_lab_status(struct kl_progress *p, const char *lab, struct kl_lab_status *st,
			   struct kl_err *err);
/*
 * The newest attempts of a lab (all labs when lab is NULL), newest first, at most
 * limit, with their tests. Free with kl_attempts_free.
 */
int kl_progress_attempts(struct kl_progress *p, const char *lab, int limit,
			 struct kl_attempt **out, size_t *n, struct kl_err *err);
/* One attempt by id; returns 1 found, 0 not found, -1 error. Free with kl_attempt_release. */
int kl_progress_attempt(struct kl_progress *p, long long id, struct kl_attempt *out,
			struct kl_err *err);
/* A lab's attempt by its number (1 = the first); 1 found, 0 not found, -1 error. */
int kl_progress_attempt_number(struct kl_progress *p, const char *lab, int number,
			       struct kl_attempt *out, struct kl_err *err);
void kl_attempt_release(struct kl_attempt *a);
void kl_attempts_free(struct kl_attempt *a, size_t n);

/* Hints shown so far for a lab (0 when none). */
int kl_progress_hints_shown(struct kl_progress *p, const char *lab, int *shown,
			    struct kl_err *err);
int kl_progress_set_hints_shown(struct kl_progress *p, const char *lab, int shown,
				struct kl_err *err);

/* When the note was marked read (unix seconds), 0 when never. */
int kl_progress_note_read(struct kl_progress *p, const char *topic, long long *at,
			  struct kl_err *err);
/* Marks a note read at time at (unix seconds). */
int kl_progress_mark_read(struct kl_progress *p, const char *topic, long long at,
			  struct kl_err *err);

#endif
