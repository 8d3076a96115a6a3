/*
 * team.c - reads learners' progress.json from their repositories (see team.h).
 */
#include "core/team.h"

#include <git2.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/attempts.h"
#include "core/buf.h"
#include "core/catalog.h"
#include "core/fsutil.h"
#include "core/hash.h"

#define S_MAX_COUNT 1000000       /* points, attempts */
#define S_MAX_TIME 100000000000LL /* unix seconds: year 5138 */
#define S_MAX_SCORES 1000

int kl_team_catalog_load(const char *content, struct kl_team_catalog *c, struct kl_err *err)
{
	memset(c, 0, sizeof(*c));
	if (kl_lab_ids_ordered(content, &c->ids, &c->n, err) < 0)
		return -1;
	c->max = calloc(c->n + 1, sizeof(*c->max));
	if (!c->max)
		abort();
	for (size_t i = 0; i < c->n; i++) {
		struct kl_lab lab;
		struct kl_err e2;
		if (kl_lab_load(content, c->ids[i], &lab, &e2) == 0) {
			c->max[i] = lab.max_score;
			kl_lab_release(&lab);
		}
	}
	return 0;
}

void kl_team_catalog_release(struct kl_team_catalog *c)
{
	kl_strv_free(c->ids, c->n);
	free(c->max);
	memset(c, 0, sizeof(*c));
}

void kl_team_learner_release(struct kl_team_learner *l)
{
	free(l->source);
	free(l->name);
	free(l->labs);
	free(l->error);
	memset(l, 0, sizeof(*l));
}

/* Sets l->error (dropping any rows); returns -1. */
static int S_fail(struct kl_team_learner *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int S_fail(struct kl_team_learner *l, const char *fmt, ...)
{
	struct kl_buf b = KL_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	kl_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	free(l->error);
	l->error = kl_buf_detach(&b);
	free(l->labs);
	l->labs = NULL;
	l->nlabs = 0;
	free(l->name);
	l->name = NULL;
	l->last_activity = 0;
	return -1;
}

/* A whole number in [0, max] (JSON integer, not a real, string or bool). */
static int S_int(json_t *v, long long max, long long *out)
{
	if (!json_is_integer(v))
		return -1;
	json_int_t x = json_integer_value(v);
	if (x < 0 || x > max)
		return -1;
	*out = x;
	return 0;
}

/* A name fit to show: 1 to 100 bytes, no control characters. */
static int S_name_ok(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return n > 0 && n <= 100;
}

/* How many attempts since the first that reached the best score (scores oldest first). */
static long long S_since_best(json_t *scores, struct kl_team_learner *l, const char *id, int *rc)
{
	size_t n = json_array_size(scores), at = 0;
	long long best = -1;

	*rc = 0;
	if (n > S_MAX_SCORES) {
		*rc = S_fail(l, "progress.json: labs.%s.scores: more than %d scores", id,
			     S_MAX_SCORES);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		long long s;
		if (S_int(json_array_get(scores, i), S_MAX_COUNT, &s) < 0) {
			*rc = S_fail(l, "progress.json: labs.%s.scores[%zu]: not a whole number from "
				     "0 to %d", id, i, S_MAX_COUNT);
			return 0;
		}
		if (s > best) {
			best = s;
			at = i;
		}
	}
	return n ? (long long)(n - 1 - at) : 0;
}

/* One lab's entry into row r. */
static int S_lab(json_t *e, const char *id, int stuck_after, struct kl_team_lab *r,
		 struct kl_team_learner *l)
{
	const char *keys[] = { "best", "max", "attempts", "last_at" };
	long long v[4];
	json_t *status = json_object_get(e, "status"), *scores = json_object_get(e, "scores");

	if (!json_is_object(e))
		return S_fail(l, "progress.json: labs.%s: not an object", id);
	if (!json_is_string(status) || (strcmp(json_string_value(status), "passed") != 0 &&
					 strcmp(json_string_value(status), "failed") != 0))
		return S_fail(l, "progress.json: labs.%s.status: not \"passed\" or \"failed\"", id);
	for (size_t k = 0; k < 4; k++) {
		long long max = k == 3 ? S_MAX_TIME : S_MAX_COUNT;
		if (S_int(json_object_get(e, keys[k]), max, &v[k]) < 0)
			return S_fail(l, "progress.json: labs.%s.%s: not a whole number from 0 to "
				      "%lld", id, keys[k], max);
	}
	if (v[0] > v[1])
		return S_fail(l, "progress.json: labs.%s: best %lld over max %lld", id, v[0], v[1]);
	if (scores && !json_is_array(scores))
		return S_fail(l, "progress.json: labs.%s.scores: not a list", id);
	int rc;
	long long since = scores ? S_since_best(scores, l, id, &rc) : 0;
	if (scores && rc < 0)
		return -1;
	snprintf(r->status, sizeof(r->status), "%s", json_string_value(status));
	r->best = (int)v[0];
	r->max = (int)v[1];
	r->attempts = (int)v[2];
	r->last_at = v[3];
	r->stuck = strcmp(r->status, "failed") == 0 && r->attempts >= stuck_after &&
		   since >= stuck_after - 1;
	if (r->last_at > l->last_activity)
		l->last_activity = r->last_at;
	return 0;
}

int kl_team_parse(const char *text, size_t len, const struct kl_team_catalog *c,
		  int stuck_after, struct kl_team_learner *l)
{
	json_error_t je;
	json_t *root, *labs, *name, *notes;
	long long fmt, at;
	int rc = -1;

	if (len > KL_TEAM_MAX_JSON)
		return S_fail(l, "progress.json is over %d bytes", KL_TEAM_MAX_JSON);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return S_fail(l, "progress.json:%d: %s", je.line, je.text);
	name = json_object_get(root, "learner");
	labs = json_object_get(root, "labs");
	notes = json_object_get(root, "notes_read");
	if (!json_is_object(root)) {
		S_fail(l, "progress.json: not an object");
	} else if (S_int(json_object_get(root, "format"), S_MAX_COUNT, &fmt) < 0 || fmt != 1) {
		S_fail(l, "progress.json: format is not 1 (made by another klab: update klab)");
	} else if (!json_is_string(name) || !S_name_ok(json_string_value(name))) {
		S_fail(l, "progress.json: learner: not a name (1 to 100 printable bytes)");
	} else if (!json_is_object(labs)) {
		S_fail(l, "progress.json: labs: not an object");
	} else if (notes && !json_is_object(notes)) {
		S_fail(l, "progress.json: notes_read: not an object");
	} else {
		l->name = kl_strdup(json_string_value(name));
		l->labs = calloc(c->n + 1, sizeof(*l->labs));
		if (!l->labs)
			abort();
		l->nlabs = c->n;
		rc = 0;
		for (size_t i = 0; i < c->n && rc == 0; i++) {
			struct kl_team_lab *r = &l->labs[i];
			json_t *e = json_object_get(labs, c->ids[i]);
			r->id = c->ids[i];
			snprintf(r->status, sizeof(r->status), "not started");
			r->max = c->max[i];
			if (e)
				rc = S_lab(e, c->ids[i], stuck_after, r, l);
		}
		const char *k;
		json_t *v;
		json_object_foreach(rc == 0 && notes ? notes : NULL, k, v) {
			if (S_int(v, S_MAX_TIME, &at) < 0) {
				rc = S_fail(l, "progress.json: notes_read: a time that is not a whole "
					    "number from 0 to %lld", S_MAX_TIME);
				break;
			}
			if (at > l->last_activity)
				l->last_activity = at;
		}
	}
	json_decref(root);
	return rc;
}

/* True for a git URL (scheme://... or user@host:path) rather than a local folder. */
static int S_is_url(const char *s)
{
	const char *colon = strchr(s, ':'), *slash = strchr(s, '/');

	return strstr(s, "://") != NULL || (colon && (!slash || colon < slash) && strchr(s, '@'));
}

/* Fetches url's branch `progress` into cache/team/<hash>.git; *repo is that repository. */
static int S_fetch(const char *cache, const char *url, long max_age, git_repository **repo,
		   struct kl_team_learner *l)
{
	char *path = kl_sprintf("%s/team/%016llx.git", cache,
				(unsigned long long)kl_hash_str(KL_HASH_INIT, url));
	git_remote *remote = NULL;
	git_fetch_options fo;
	char *spec = "+refs/heads/progress:refs/heads/progress";
	git_strarray specs = { &spec, 1 };
	int rc = -1;

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	if (git_repository_open_bare(repo, path) < 0 && git_repository_init(repo, path, 1) < 0) {
		S_fail(l, "cannot make the cache repository %s: %s", path,
		       git_error_last() ? git_error_last()->message : "unknown");
		goto out;
	}
	char *fetched = kl_path_join(path, "FETCH_HEAD");
	long long at = kl_mtime_ns(fetched);
	free(fetched);
	if (max_age > 0 && at > 0 && (long long)time(NULL) - at / 1000000000LL < max_age) {
		rc = 0; /* fetched a moment ago */
		goto out;
	}
	if (kl_git_remote_for(&remote, *repo, url) < 0 ||
	    git_remote_fetch(remote, &specs, &fo, "klab team") < 0) {
		S_fail(l, "cannot fetch %s: %s", url,
		       git_error_last() ? git_error_last()->message : "unknown");
		goto out;
	}
	rc = 0;
out:
	git_remote_free(remote);
	free(path);
	return rc;
}

/* progress.json of the branch `progress`, a regular file of at most KL_TEAM_MAX_JSON. */
static int S_progress_blob(git_repository *repo, struct kl_buf *out, struct kl_team_learner *l)
{
	git_object *obj = NULL;
	git_tree *tree = NULL;
	git_blob *blob = NULL;
	int rc = -1;

	if (git_revparse_single(&obj, repo, "refs/heads/progress^{commit}") < 0) {
		S_fail(l, "no branch `progress`: has this learner run `klab push`?");
		goto out;
	}
	if (git_commit_tree(&tree, (git_commit *)obj) < 0) {
		S_fail(l, "the branch `progress` has no readable tree");
		goto out;
	}
	const git_tree_entry *e = git_tree_entry_byname(tree, "progress.json");
	if (!e) {
		S_fail(l, "the branch `progress` has no progress.json");
		goto out;
	}
	if (git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB &&
	    git_tree_entry_filemode(e) != GIT_FILEMODE_BLOB_EXECUTABLE) {
		S_fail(l, "progress.json is not a regular file (a symlink, a folder or a submodule)");
		goto out;
	}
	if (git_blob_lookup(&blob, repo, git_tree_entry_id(e)) < 0) {
		S_fail(l, "progress.json cannot be read: %s",
		       git_error_last() ? git_error_last()->message : "unknown");
		goto out;
	}
	if (git_blob_rawsize(blob) > KL_TEAM_MAX_JSON) {
		S_fail(l, "progress.json is over %d bytes", KL_TEAM_MAX_JSON);
		goto out;
	}
	kl_buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	rc = 0;
out:
	git_blob_free(blob);
	git_tree_free(tree);
	git_object_free(obj);
	return rc;
}

int kl_team_read(const char *cache, const char *source, const struct kl_team_catalog *c,
		 int stuck_after, long max_age, struct kl_team_learner *l)
{
	git_repository *repo = NULL;
	struct kl_buf text = KL_BUF_INIT;
	int rc = -1;

	memset(l, 0, sizeof(*l));
	l->source = kl_strdup(source);
	git_libgit2_init();
	if (S_is_url(source)) {
		if (S_fetch(cache, source, max_age, &repo, l) < 0)
			goto out;
	} else if (!kl_is_dir(source)) {
		S_fail(l, "%s is not a folder or a git URL", source);
		goto out;
	} else if (git_repository_open_ext(&repo, source, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		S_fail(l, "%s is not a git repository: %s", source,
		       git_error_last() ? git_error_last()->message : "unknown");
		goto out;
	}
	if (S_progress_blob(repo, &text, l) < 0)
		goto out;
	rc = kl_team_parse(text.ptr ? text.ptr : "", text.len, c, stuck_after, l);
out:
	kl_buf_release(&text);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
