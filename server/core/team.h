/*
 * team.h - a mentor's view of learners: reads each learner's pushed attempts
 * repository (its branch `progress`, file progress.json, see summary.h) and
 * makes one row per lab of the catalog.
 *
 * A learner's repository is untrusted input: progress.json is read with
 * jansson under limits (1 MB, no duplicate keys, strict types and ranges, no
 * symlink in place of the file) and anything wrong is an error for that
 * learner only, never a crash or a row for someone else. Labs the catalog does
 * not have are ignored.
 */
#ifndef KLAB_TEAM_H
#define KLAB_TEAM_H

#include <stddef.h>

#include "core/config.h"
#include "core/err.h"

#define KL_TEAM_MAX_JSON (1 << 20)

struct kl_team_lab {
	const char *id;      /* the catalog's */
	char status[16];     /* passed, failed, not started */
	int best, max, attempts;
	long long last_at;   /* 0 when never */
	int stuck;           /* failed after stuck_after attempts or more, the last
				* stuck_after - 1 of them no better than the one before */
};

struct kl_team_learner {
	char *source;        /* the URL or folder it was read from */
	char *name;          /* NULL when it could not be read */
	long long last_activity;
	struct kl_team_lab *labs; /* one per catalog lab, in its order */
	size_t nlabs;
	char *error;         /* NULL, or why this learner could not be read */
};

/* The labs rows are made for (ids and full scores, in curriculum order). */
struct kl_team_catalog {
	char **ids;
	int *max;
	size_t n;
};

int kl_team_catalog_load(const char *content, struct kl_team_catalog *c, struct kl_err *err);
void kl_team_catalog_release(struct kl_team_catalog *c);
/*
 * Reads progress.json's text into l (source is kept as given). On an error l
 * has no rows and l->error says what was wrong; returns -1.
 */
int kl_team_parse(const char *text, size_t len, const struct kl_team_catalog *c,
		  int stuck_after, struct kl_team_learner *l);
/*
 * Reads one learner from source: a local git repository (bare or not), or a
 * remote URL fetched into cache/team/ (unless fetched less than max_age seconds
 * ago; 0: always). Always fills l (l->error on failure).
 */
int kl_team_read(const char *cache, const char *source, const struct kl_team_catalog *c,
		 int stuck_after, long max_age, struct kl_team_learner *l);
void kl_team_learner_release(struct kl_team_learner *l);

#endif
