/*
 * attempts.h - the learner's attempts repository, $KLAB_HOME/attempts.git (bare,
 * libgit2). Every `klab run` commits the sources it graded to refs/heads/<lab>,
 * so two attempts can be diffed. Writers take an flock on attempts.lock, so runs
 * in parallel never lose a commit.
 */
#ifndef KLAB_ATTEMPTS_H
#define KLAB_ATTEMPTS_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/*
 * Commits files[i] read from paths[i] (base names) as a new commit on
 * refs/heads/<lab>, parent the branch's tip. oid receives the 40-hex id.
 */
int kl_attempts_commit(const char *home, const char *lab, char *const *names,
		       char *const *paths, size_t n, const char *message, char oid[41],
		       struct kl_err *err);
/* Unified diff between two commits of the repository (hex ids), appended to out. */
int kl_attempts_diff(const char *home, const char *from, const char *to, struct kl_buf *out,
		     struct kl_err *err);
/*
 * Commits one file (name, data) as the whole tree of refs/heads/<branch>, parent
 * the branch's tip; nothing when the tip already holds exactly that tree.
 */
int kl_attempts_put(const char *home, const char *branch, const char *name, const char *data,
		    size_t len, const char *message, struct kl_err *err);
/*
 * Pushes every local branch to url, or to the remote `origin` when url
 * is NULL; a url given becomes `origin` for the next push. *pushed_to receives the
 * url used (caller frees).
 */
int kl_attempts_push(const char *home, const char *url, char **pushed_to, struct kl_err *err);
/*
 * An anonymous libgit2 remote for url, made without regex config look-ups
 * (see attempts.c); git_remote_free frees it.
 */
struct git_remote;
struct git_repository;
int kl_git_remote_for(struct git_remote **remote, struct git_repository *repo, const char *url);

#endif
