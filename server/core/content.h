/*
 * content.h - layered content: the folders that may hold labs/, notes/ and
 * tracks/, in the order they are searched. $KLAB_PATH=DIR[:DIR...] comes
 * first (the first folder wins on a clash), klab's own root last. A content
 * path is one string, the folders joined by ':', so a one-folder path is a
 * plain folder (what every catalog function took before layering).
 */
#ifndef KLAB_CONTENT_H
#define KLAB_CONTENT_H

#include <stddef.h>

#include "core/err.h"

/*
 * The content path from $KLAB_PATH (may be NULL or "") and klab's root: every
 * folder of KLAB_PATH must exist; a folder named twice (or the root) counts
 * once, at its first place. *out is freed by the caller.
 */
int kl_content_path(const char *klab_path, const char *root, char **out, struct kl_err *err);
/* The folders of a content path, in order; free with kl_strv_free. */
size_t kl_content_dirs(const char *path, char ***dirs);
/*
 * DIR/rel for the first folder of path where it exists (file or folder);
 * else NULL. rel is printf-formatted. Caller frees.
 */
char *kl_content_find(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * Like kl_content_find, but never NULL: when no folder has rel, the path it
 * would have under the last folder (klab's own), for callers that report a
 * missing file themselves. Caller frees.
 */
char *kl_content_file(const char *path, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The first folder of a content path (where `klab new` writes). Caller frees. */
char *kl_content_first(const char *path);

#endif
