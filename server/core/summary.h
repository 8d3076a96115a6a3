/*
 * summary.h - progress.json: the learner's progress in one small file that the
 * attempts repository carries on its branch `progress`, for a mentor's
 * `klab team` to read after `klab push`:
 *
 *   {"format": 1, "learner": "Ada",
 *    "labs": {"modules-01": {"status": "passed", "best": 16, "max": 16,
 *                            "attempts": 3, "last_at": 1767225600,
 *                            "scores": [4, 12, 16]}},
 *    "notes_read": {"modules": 1767225000}}
 *
 * `scores` are the lab's last attempts' scores, oldest first (at most
 * KL_SUMMARY_SCORES); status is passed or failed (a lab never run is absent).
 */
#ifndef KLAB_SUMMARY_H
#define KLAB_SUMMARY_H

#include "core/config.h"
#include "core/err.h"
#include "core/progress.h"

#define KL_SUMMARY_SCORES 50

/*
 * The learner's name: $KLAB_LEARNER, else git's user.name; NULL (err says what
 * to set) when neither is set or the name is unfit (empty, over 100 bytes,
 * control characters). Caller frees.
 */
char *kl_summary_learner(struct kl_err *err);
/* progress.json's text for the labs of cfg's content path; caller frees. */
int kl_summary_build(const struct kl_config *cfg, struct kl_progress *p, const char *learner,
		     char **json, struct kl_err *err);
/* Builds progress.json and commits it on the attempts repository's branch `progress`. */
int kl_summary_commit(const struct kl_config *cfg, const char *learner, struct kl_err *err);

#endif
