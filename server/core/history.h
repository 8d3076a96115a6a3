/*
 * history.h - the git history of one file of the source tree (a note), read
 * with libgit2: the commits that changed it and the diff each one made.
 *
 * libgit2 has no `log -- path`: the history of a file is the list of commits
 * whose tree entry for the file differs from every parent's. That walk is
 * cached per file and tip of HEAD. A struct history holds a repository handle,
 * which libgit2 does not share between threads: use one per thread, or a lock.
 */
#ifndef KLAB_HISTORY_H
#define KLAB_HISTORY_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct history;

struct history_commit {
	char id[41];      /* full hex id */
	char *author;     /* name */
	long long time;   /* unix seconds */
	int tz_offset;    /* minutes east of UTC */
	char *summary;    /* first line of the message */
};

/*
 * Opens the repository that holds root. When root is not inside a git
 * repository, *out is NULL and that is not an error.
 */
int history_open(const char *root, struct history **out, struct kl_err *err);
void history_close(struct history *h);

/*
 * The commits that changed path (absolute, inside the work tree), newest first.
 * *out is a copy the caller frees with history_commits_free(); none is not an error.
 */
int history_file(struct history *h, const char *path, struct history_commit **out, size_t *n,
		 struct kl_err *err);
void history_commits_free(struct history_commit *c, size_t n);

/* 1 when path differs in the work tree from HEAD (or is not committed), else 0. */
int history_file_dirty(struct history *h, const char *path);

/*
 * The unified diff that commit (hex, at least 7 digits) made to path, appended
 * to out; info (may be NULL) receives the commit (history_commit_release frees).
 * Returns 1, 0 when there is no such commit, -1 on error.
 */
int history_diff(struct history *h, const char *path, const char *commit,
		 struct kl_buf *out, struct history_commit *info, struct kl_err *err);
void history_commit_release(struct history_commit *c);

#endif
