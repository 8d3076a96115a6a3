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

int kl_attempts_commit(const char *home, const char *lab, char *const *names,
		       char *const *paths, size_t n, const char *message, char oid_hex[41],
		       struct kl_err *err)
{
	git_repository *repo = NULL;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, commit_id, parent_id;
	struct kl_buf data = KL_BUF_INIT;
	char *lockpath = kl_path_join(home, "attempts.lock");
	char *ref = kl_sprintf("refs/heads/%s", lab);
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

		kl_buf_reset(&data);
		if (kl_read_file(paths[i], &data, 16 << 20, err) < 0)
			goto out;
		if (git_blob_create_from_buffer(&blob, repo, kl_buf_str(&data), data.len) < 0 ||
		    git_treebuilder_insert(NULL, tb, names[i], &blob, GIT_FILEMODE_BLOB) < 0) {
			S_git_err(err, "cannot store a source file");
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
	const git_commit *parents[1] = { parent };
	if (git_commit_create(&commit_id, repo, ref, sig, sig, NULL, message, tree,
			      parent ? 1 : 0, parents) < 0) {
		S_git_err(err, "cannot commit the attempt");
		goto out;
	}
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
	kl_buf_release(&data);
	free(lockpath);
	free(ref);
	git_libgit2_shutdown();
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
