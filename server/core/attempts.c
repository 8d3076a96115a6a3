/*
 * attempts.c - commits and diffs in the attempts repository (see attempts.h).
 */
#include "core/attempts.h"

#include <fcntl.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/fsutil.h"

static int S_git_err(struct kl_err *err, const char *what)
{
	const git_error *e = git_error_last();

	return kl_err_set(err, "attempts repository: %s: %s", what, e ? e->message : "unknown");
}

static int S_open_repo(const char *home, git_repository **repo, struct kl_err *err)
{
	char *path = kl_path_join(home, "attempts.git");
	int rc = 0;

	if (git_repository_open_bare(repo, path) < 0 &&
	    git_repository_init(repo, path, 1) < 0)
		rc = S_git_err(err, "cannot open or create it");
	free(path);
	return rc;
}

/*
 * Commits a tree of n files (names[i] holding data[i], len[i] bytes) on
 * refs/heads/<branch>, parent the branch's tip, under the repository's lock.
 * With skip_same, nothing is committed when the tip already has that tree.
 * oid_hex (may be NULL) receives the commit (the tip when nothing was committed).
 */
static int S_commit(const char *home, const char *branch, char *const *names,
		    const char *const *data, const size_t *len, size_t n, const char *message,
		    int skip_same, char *oid_hex, struct kl_err *err)
{
	git_repository *repo = NULL;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, commit_id, parent_id;
	char *lockpath = kl_path_join(home, "attempts.lock");
	char *ref = kl_sprintf("refs/heads/%s", branch);
	int rc = -1;
	int lockfd;

	git_libgit2_init();
	lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lockfd < 0 || flock(lockfd, LOCK_EX) < 0) {
		kl_err_errno(err, "cannot lock %s", lockpath);
		goto out;
	}
	if (S_open_repo(home, &repo, err) < 0)
		goto out;
	if (git_treebuilder_new(&tb, repo, NULL) < 0) {
		S_git_err(err, "cannot build a tree");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		git_oid blob;
		if (git_blob_create_from_buffer(&blob, repo, data[i], len[i]) < 0 ||
		    git_treebuilder_insert(NULL, tb, names[i], &blob, GIT_FILEMODE_BLOB) < 0) {
			S_git_err(err, "cannot store a file");
			goto out;
		}
	}
	if (git_treebuilder_write(&tree_id, tb) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0) {
		S_git_err(err, "cannot write the tree");
		goto out;
	}
	if (git_signature_now(&sig, "klab", "klab@localhost") < 0) {
		S_git_err(err, "cannot make a signature");
		goto out;
	}
	if (git_reference_name_to_id(&parent_id, repo, ref) == 0 &&
	    git_commit_lookup(&parent, repo, &parent_id) < 0) {
		S_git_err(err, "cannot read the branch tip");
		goto out;
	}
	if (skip_same && parent && git_oid_equal(git_commit_tree_id(parent), &tree_id)) {
		commit_id = parent_id; /* unchanged */
	} else {
		const git_commit *parents[1] = { parent };
		if (git_commit_create(&commit_id, repo, ref, sig, sig, NULL, message, tree,
				      parent ? 1 : 0, parents) < 0) {
			S_git_err(err, "cannot commit");
			goto out;
		}
	}
	if (oid_hex)
		git_oid_tostr(oid_hex, 41, &commit_id);
	rc = 0;
out:
	git_commit_free(parent);
	git_tree_free(tree);
	git_signature_free(sig);
	git_treebuilder_free(tb);
	git_repository_free(repo);
	if (lockfd >= 0)
		close(lockfd);
	free(lockpath);
	free(ref);
	git_libgit2_shutdown();
	return rc;
}

int kl_attempts_commit(const char *home, const char *lab, char *const *names,
		       char *const *paths, size_t n, const char *message, char oid_hex[41],
		       struct kl_err *err)
{
	struct kl_buf *bufs = calloc(n + 1, sizeof(*bufs));
	const char **data = calloc(n + 1, sizeof(*data));
	size_t *len = calloc(n + 1, sizeof(*len));
	int rc = 0;

	if (!bufs || !data || !len)
		abort();
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = kl_read_file(paths[i], &bufs[i], 16 << 20, err);
		data[i] = bufs[i].ptr ? bufs[i].ptr : "";
		len[i] = bufs[i].len;
	}
	if (rc == 0)
		rc = S_commit(home, lab, names, data, len, n, message, 0, oid_hex, err);
	for (size_t i = 0; i < n; i++)
		kl_buf_release(&bufs[i]);
	free(bufs);
	free(data);
	free(len);
	return rc;
}

static int S_print_line(const git_diff_delta *d, const git_diff_hunk *h,
			const git_diff_line *l, void *payload)
{
	struct kl_buf *out = payload;

	(void)d;
	(void)h;
	if (l->origin == GIT_DIFF_LINE_CONTEXT || l->origin == GIT_DIFF_LINE_ADDITION ||
	    l->origin == GIT_DIFF_LINE_DELETION)
		kl_buf_putc(out, l->origin);
	kl_buf_add(out, l->content, l->content_len);
	return 0;
}

static int S_commit_tree(git_repository *repo, const char *hex, git_tree **tree,
			 struct kl_err *err)
{
	git_oid oid;
	git_commit *c = NULL;
	int rc = 0;

	if (git_oid_fromstr(&oid, hex) < 0 || git_commit_lookup(&c, repo, &oid) < 0)
		return kl_err_set(err, "no attempt commit %s", hex);
	if (git_commit_tree(tree, c) < 0)
		rc = S_git_err(err, "cannot read a commit's tree");
	git_commit_free(c);
	return rc;
}

int kl_attempts_diff(const char *home, const char *from, const char *to, struct kl_buf *out,
		     struct kl_err *err)
{
	git_repository *repo = NULL;
	git_tree *a = NULL, *b = NULL;
	git_diff *diff = NULL;
	int rc = -1;

	git_libgit2_init();
	if (S_open_repo(home, &repo, err) < 0)
		goto out;
	if (S_commit_tree(repo, from, &a, err) < 0 || S_commit_tree(repo, to, &b, err) < 0)
		goto out;
	if (git_diff_tree_to_tree(&diff, repo, a, b, NULL) < 0 ||
	    git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, S_print_line, out) < 0) {
		S_git_err(err, "cannot diff the attempts");
		goto out;
	}
	rc = 0;
out:
	git_diff_free(diff);
	git_tree_free(a);
	git_tree_free(b);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}

int kl_attempts_put(const char *home, const char *branch, const char *name, const char *data,
		    size_t len, const char *message, struct kl_err *err)
{
	char *names[1] = { (char *)name };

	return S_commit(home, branch, names, &data, &len, 1, message, 1, NULL, err);
}

/* Every local branch as a push refspec (refs/heads/x:refs/heads/x). */
static int S_branch_specs(git_repository *repo, git_strarray *specs, struct kl_err *err)
{
	git_branch_iterator *it = NULL;
	git_reference *ref;
	git_branch_t type;

	specs->strings = NULL;
	specs->count = 0;
	if (git_branch_iterator_new(&it, repo, GIT_BRANCH_LOCAL) < 0)
		return S_git_err(err, "cannot list the branches");
	while (git_branch_next(&ref, &type, it) == 0) {
		char **v = realloc(specs->strings, (specs->count + 1) * sizeof(*v));
		if (!v)
			abort();
		specs->strings = v;
		v[specs->count++] = kl_sprintf("%s:%s", git_reference_name(ref), git_reference_name(ref));
		git_reference_free(ref);
	}
	git_branch_iterator_free(it);
	return 0;
}

/*
 * An anonymous remote for url, without the config's url.*.insteadOf look-up:
 * libgit2 1.5 leaks pcre2 match data on every regex config look-up that finds
 * nothing (fixed upstream in libgit2#6382), and nothing here needs it.
 */
int kl_git_remote_for(git_remote **remote, git_repository *repo, const char *url)
{
	git_remote_create_options o;

	git_remote_create_options_init(&o, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	o.repository = repo;
	o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	return git_remote_create_with_opts(remote, url, &o);
}

int kl_attempts_push(const char *home, const char *url, char **pushed_to, struct kl_err *err)
{
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_config *gc = NULL;
	git_buf saved = { 0 };
	git_strarray specs = { NULL, 0 };
	git_push_options po;
	int rc = -1;

	*pushed_to = NULL;
	git_libgit2_init();
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	if (S_open_repo(home, &repo, err) < 0)
		goto out;
	/* the remote is remote.origin.url, so plain git sees it too */
	if (git_repository_config(&gc, repo) < 0) {
		S_git_err(err, "cannot read its config");
		goto out;
	}
	if (url && git_config_set_string(gc, "remote.origin.url", url) < 0) {
		S_git_err(err, "cannot remember the remote");
		goto out;
	}
	if (!url && git_config_get_string_buf(&saved, gc, "remote.origin.url") == 0)
		url = saved.ptr;
	if (!url) {
		kl_err_set(err, "no remote to push to: `klab push --remote URL` (a git repository "
				"your mentor can read; it is remembered)");
		goto out;
	}
	if (kl_git_remote_for(&remote, repo, url) < 0) {
		S_git_err(err, "cannot use the remote");
		goto out;
	}
	if (S_branch_specs(repo, &specs, err) < 0)
		goto out;
	if (!specs.count) {
		kl_err_set(err, "nothing to push yet: run a lab (`klab run LAB`) or read a note "
				"(`klab read NOTE`) first");
		goto out;
	}
	if (git_remote_push(remote, &specs, &po) < 0) {
		const git_error *e = git_error_last();
		kl_err_set(err, "cannot push to %s: %s", url, e ? e->message : "unknown error");
		goto out;
	}
	*pushed_to = kl_strdup(url);
	rc = 0;
out:
	for (size_t i = 0; i < specs.count; i++)
		free(specs.strings[i]);
	free(specs.strings);
	git_remote_free(remote);
	git_buf_dispose(&saved);
	git_config_free(gc);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rc;
}
