/*
 * history.c - a file's commits and diffs from the source repository (see history.h).
 */
#include "core/history.h"

#include <git2.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"

#define S_CACHE_MAX 256

struct S_cached {
	char *rel;        /* path relative to the work tree */
	git_oid head;     /* HEAD when the walk was made */
	struct history_commit *commits;
	size_t n;
};

struct history {
	git_repository *repo;
	char *workdir;    /* real path of the work tree, no trailing slash */
	struct S_cached *cache;
	size_t ncache;
};

static int S_git_err(struct kl_err *err, const char *what)
{
	const git_error *e = git_error_last();

	return kl_err_set(err, "git history: %s: %s", what, e ? e->message : "unknown error");
}

int history_open(const char *root, struct history **out, struct kl_err *err)
{
	git_repository *repo = NULL;
	char real[PATH_MAX];

	*out = NULL;
	git_libgit2_init();
	if (git_repository_open_ext(&repo, root, 0, NULL) < 0) {
		git_libgit2_shutdown();
		return 0; /* not a repository: no history, not an error */
	}
	const char *wd = git_repository_workdir(repo);
	if (!wd || !realpath(wd, real)) {
		git_repository_free(repo);
		git_libgit2_shutdown();
		return kl_err_set(err, "git history: the repository of %s has no work tree", root);
	}
	struct history *h = calloc(1, sizeof(*h));
	if (!h)
		abort();
	h->repo = repo;
	h->workdir = kl_strdup(real);
	*out = h;
	return 0;
}

static void S_commit_clear(struct history_commit *c)
{
	free(c->author);
	free(c->summary);
	c->author = NULL;
	c->summary = NULL;
}

void history_commit_release(struct history_commit *c)
{
	S_commit_clear(c);
}

void history_commits_free(struct history_commit *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		S_commit_clear(&c[i]);
	free(c);
}

static void S_cache_clear(struct history *h)
{
	for (size_t i = 0; i < h->ncache; i++) {
		free(h->cache[i].rel);
		history_commits_free(h->cache[i].commits, h->cache[i].n);
	}
	free(h->cache);
	h->cache = NULL;
	h->ncache = 0;
}

void history_close(struct history *h)
{
	if (!h)
		return;
	S_cache_clear(h);
	git_repository_free(h->repo);
	free(h->workdir);
	free(h);
	git_libgit2_shutdown();
}

/* path relative to the work tree (caller frees), or NULL when it is outside. */
static char *S_rel(struct history *h, const char *path)
{
	char real[PATH_MAX];
	size_t n = strlen(h->workdir);

	if (!realpath(path, real))
		return NULL;
	if (strncmp(real, h->workdir, n) != 0 || real[n] != '/')
		return NULL;
	return kl_strdup(real + n + 1);
}

static void S_fill(struct history_commit *out, const git_commit *c)
{
	const git_signature *a = git_commit_author(c);
	const char *summary = git_commit_summary((git_commit *)c);

	memset(out, 0, sizeof(*out));
	git_oid_tostr(out->id, sizeof(out->id), git_commit_id(c));
	out->author = kl_strdup(a && a->name ? a->name : "unknown");
	out->time = (long long)git_commit_time(c);
	out->tz_offset = git_commit_time_offset(c);
	out->summary = kl_strdup(summary ? summary : "");
}

/* 1 and *id when the commit's tree has rel, 0 when not, -1 on error. */
static int S_entry(const git_commit *c, const char *rel, git_oid *id)
{
	git_tree *tree = NULL;
	git_tree_entry *e = NULL;
	int found;

	if (git_commit_tree(&tree, c) < 0)
		return -1;
	found = git_tree_entry_bypath(&e, tree, rel) == 0;
	if (found)
		git_oid_cpy(id, git_tree_entry_id(e));
	git_tree_entry_free(e);
	git_tree_free(tree);
	return found;
}

static int S_walk(struct history *h, const char *rel, struct history_commit **out, size_t *n,
		  struct kl_err *err)
{
	git_revwalk *walk = NULL;
	git_oid oid;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (git_revwalk_new(&walk, h->repo) < 0) {
		S_git_err(err, "cannot walk the commits");
		return -1;
	}
	git_revwalk_sorting(walk, GIT_SORT_TIME);
	if (git_revwalk_push_head(walk) < 0) { /* no commit yet */
		git_revwalk_free(walk);
		return 0;
	}
	while (git_revwalk_next(&oid, walk) == 0) {
		git_commit *c = NULL;
		git_oid cur, prev;
		if (git_commit_lookup(&c, h->repo, &oid) < 0) {
			S_git_err(err, "cannot read a commit");
			goto out;
		}
		int has = S_entry(c, rel, &cur);
		unsigned np = git_commit_parentcount(c);
		bool changed = np == 0 ? has == 1 : true;
		for (unsigned i = 0; i < np && changed && has >= 0; i++) {
			git_commit *p = NULL;
			if (git_commit_parent(&p, c, i) < 0)
				continue; /* shallow clone: the parent is missing */
			int phas = S_entry(p, rel, &prev);
			if (phas == has && (has == 0 || git_oid_equal(&cur, &prev)))
				changed = false;
			git_commit_free(p);
		}
		if (has < 0) {
			git_commit_free(c);
			S_git_err(err, "cannot read a tree");
			goto out;
		}
		if (changed) {
			struct history_commit *v = realloc(*out, (*n + 1) * sizeof(*v));
			if (!v)
				abort();
			*out = v;
			S_fill(&v[(*n)++], c);
		}
		git_commit_free(c);
	}
	rc = 0;
out:
	git_revwalk_free(walk);
	if (rc < 0) {
		history_commits_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

static struct history_commit *S_copy(const struct history_commit *c, size_t n)
{
	struct history_commit *v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		abort();
	for (size_t i = 0; i < n; i++) {
		v[i] = c[i];
		v[i].author = kl_strdup(c[i].author);
		v[i].summary = kl_strdup(c[i].summary);
	}
	return v;
}

int history_file(struct history *h, const char *path, struct history_commit **out, size_t *n,
		 struct kl_err *err)
{
	git_oid head;
	char *rel = S_rel(h, path);
	struct S_cached *hit = NULL;
	int rc = -1;

	*out = NULL;
	*n = 0;
	if (!rel)
		return kl_err_set(err, "git history: %s is not in the repository at %s", path,
				  h->workdir);
	if (git_reference_name_to_id(&head, h->repo, "HEAD") < 0) {
		free(rel);
		return 0; /* no commit yet */
	}
	for (size_t i = 0; i < h->ncache && !hit; i++)
		if (strcmp(h->cache[i].rel, rel) == 0)
			hit = &h->cache[i];
	if (hit && !git_oid_equal(&hit->head, &head)) {
		history_commits_free(hit->commits, hit->n);
		hit->commits = NULL;
		hit->n = 0;
		if (S_walk(h, rel, &hit->commits, &hit->n, err) < 0)
			goto out;
		git_oid_cpy(&hit->head, &head);
	} else if (!hit) {
		if (h->ncache >= S_CACHE_MAX)
			S_cache_clear(h);
		struct S_cached *v = realloc(h->cache, (h->ncache + 1) * sizeof(*v));
		if (!v)
			abort();
		h->cache = v;
		hit = &v[h->ncache];
		memset(hit, 0, sizeof(*hit));
		if (S_walk(h, rel, &hit->commits, &hit->n, err) < 0)
			goto out;
		hit->rel = rel;
		rel = NULL;
		git_oid_cpy(&hit->head, &head);
		h->ncache++;
	}
	*out = S_copy(hit->commits, hit->n);
	*n = hit->n;
	rc = 0;
out:
	free(rel);
	return rc;
}

int history_file_dirty(struct history *h, const char *path)
{
	unsigned int flags = 0;
	char *rel = S_rel(h, path);

	if (!rel)
		return 0;
	int rc = git_status_file(&flags, h->repo, rel);
	free(rel);
	if (rc < 0)
		return 0;
	return (flags & (GIT_STATUS_WT_MODIFIED | GIT_STATUS_WT_NEW | GIT_STATUS_INDEX_MODIFIED |
			 GIT_STATUS_INDEX_NEW | GIT_STATUS_WT_RENAMED)) != 0;
}

static int S_print_line(const git_diff_delta *d, const git_diff_hunk *hk,
			const git_diff_line *l, void *payload)
{
	struct kl_buf *out = payload;

	(void)d;
	(void)hk;
	if (l->origin == GIT_DIFF_LINE_CONTEXT || l->origin == GIT_DIFF_LINE_ADDITION ||
	    l->origin == GIT_DIFF_LINE_DELETION)
		kl_buf_putc(out, l->origin);
	kl_buf_add(out, l->content, l->content_len);
	return 0;
}

int history_diff(struct history *h, const char *path, const char *commit,
		 struct kl_buf *out, struct history_commit *info, struct kl_err *err)
{
	git_oid oid;
	git_commit *c = NULL, *parent = NULL;
	git_tree *tree = NULL, *ptree = NULL;
	git_diff *diff = NULL;
	git_diff_options opts;
	char *rel = S_rel(h, path);
	size_t len = strlen(commit);
	int rc = -1;

	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	if (info)
		memset(info, 0, sizeof(*info));
	if (!rel)
		return kl_err_set(err, "git history: %s is not in the repository at %s", path,
				  h->workdir);
	if (len < 7 || len > 40 || strspn(commit, "0123456789abcdef") != len ||
	    git_oid_fromstrn(&oid, commit, len) < 0 ||
	    git_commit_lookup_prefix(&c, h->repo, &oid, len) < 0) {
		rc = 0;
		goto out;
	}
	if (git_commit_tree(&tree, c) < 0 ||
	    (git_commit_parentcount(c) > 0 &&
	     (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&ptree, parent) < 0))) {
		S_git_err(err, "cannot read the commit's trees");
		goto out;
	}
	char *paths[1] = { rel };
	opts.pathspec.strings = paths;
	opts.pathspec.count = 1;
	opts.flags |= GIT_DIFF_DISABLE_PATHSPEC_MATCH;
	if (git_diff_tree_to_tree(&diff, h->repo, ptree, tree, &opts) < 0 ||
	    git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, S_print_line, out) < 0) {
		S_git_err(err, "cannot diff the commit");
		goto out;
	}
	if (info)
		S_fill(info, c);
	rc = 1;
out:
	git_diff_free(diff);
	git_tree_free(tree);
	git_tree_free(ptree);
	git_commit_free(parent);
	git_commit_free(c);
	free(rel);
	return rc;
}
