/*
 * summary.c - progress.json, written with jansson (see summary.h).
 */
#include "core/summary.h"

#include <git2.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/attempts.h"
#include "core/catalog.h"
#include "core/fsutil.h"

/* True for a name fit to show a mentor: 1 to 100 bytes, no control characters. */
static int S_fit(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 100)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return 0;
	return 1;
}

char *kl_summary_learner(struct kl_err *err)
{
	const char *env = getenv("KLAB_LEARNER");
	git_config *gc = NULL;
	git_buf name = { 0 };
	char *out = NULL;

	if (env && *env) {
		if (S_fit(env))
			return kl_strdup(env);
		kl_err_set(err, "KLAB_LEARNER must be 1 to 100 printable bytes");
		return NULL;
	}
	git_libgit2_init();
	if (git_config_open_default(&gc) == 0 &&
	    git_config_get_string_buf(&name, gc, "user.name") == 0 && S_fit(name.ptr))
		out = kl_strdup(name.ptr);
	git_buf_dispose(&name);
	git_config_free(gc);
	git_libgit2_shutdown();
	if (!out)
		kl_err_set(err, "who are you? set KLAB_LEARNER=NAME or git's user.name "
				"(git config --global user.name NAME)");
	return out;
}

/* One lab's entry; NULL when it was never run. */
static json_t *S_lab(struct kl_progress *p, const char *id, long long *last, struct kl_err *err,
		     int *rc)
{
	struct kl_lab_status st;
	struct kl_attempt *a = NULL;
	size_t n = 0;

	*rc = kl_progress_lab_status(p, id, &st, err);
	if (*rc < 0 || st.attempts == 0)
		return NULL;
	*rc = kl_progress_attempts(p, id, KL_SUMMARY_SCORES, &a, &n, err);
	if (*rc < 0)
		return NULL;
	json_t *scores = json_array();
	for (size_t i = n; i-- > 0;) /* newest first: oldest first in the file */
		json_array_append_new(scores, json_integer(a[i].score));
	kl_attempts_free(a, n);
	if (st.last_at > *last)
		*last = st.last_at;
	return json_pack("{s:s, s:i, s:i, s:i, s:I, s:o}", "status", st.passed ? "passed" : "failed",
			 "best", st.best_score, "max", st.max_score, "attempts", st.attempts,
			 "last_at", (json_int_t)st.last_at, "scores", scores);
}

int kl_summary_build(const struct kl_config *cfg, struct kl_progress *p, const char *learner,
		     char **json, struct kl_err *err)
{
	char **ids = NULL;
	size_t n = 0;
	long long last = 0;
	int rc = 0;

	*json = NULL;
	if (kl_lab_ids(cfg->content, &ids, &n, err) < 0)
		return -1;
	json_t *labs = json_object(), *notes = json_object();
	for (size_t i = 0; i < n && rc == 0; i++) {
		json_t *lab = S_lab(p, ids[i], &last, err, &rc);
		if (lab)
			json_object_set_new(labs, ids[i], lab);
	}
	struct kl_note *nv = NULL;
	size_t nn = 0;
	if (rc == 0 && kl_notes_load(cfg->content, &nv, &nn, err) < 0)
		rc = -1;
	for (size_t i = 0; i < nn && rc == 0; i++) {
		long long at = 0;
		rc = kl_progress_note_read(p, nv[i].topic, &at, err);
		if (rc == 0 && at > 0) {
			json_object_set_new(notes, nv[i].topic, json_integer(at));
			if (at > last)
				last = at;
		}
	}
	kl_notes_free(nv, nn);
	kl_strv_free(ids, n);
	json_t *root = json_pack("{s:i, s:s, s:I, s:o, s:o}", "format", 1, "learner", learner,
				 "last_activity", (json_int_t)last, "labs", labs, "notes_read", notes);
	if (rc == 0) {
		*json = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
		if (!*json)
			rc = kl_err_set(err, "cannot write progress.json");
	}
	json_decref(root);
	return rc;
}

int kl_summary_commit(const struct kl_config *cfg, const char *learner, struct kl_err *err)
{
	struct kl_progress *p = NULL;
	char *json = NULL;
	int rc = -1;

	if (kl_progress_open(cfg->home, &p, err) < 0 ||
	    kl_summary_build(cfg, p, learner, &json, err) < 0)
		goto out;
	char *msg = kl_sprintf("progress of %s\n", learner);
	rc = kl_attempts_put(cfg->home, "progress", "progress.json", json, strlen(json), msg, err);
	free(msg);
out:
	free(json);
	kl_progress_close(p);
	return rc;
}
