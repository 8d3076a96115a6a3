/*
 * fsutil.h - file and folder helpers: whole-file reads, atomic writes, mkdir -p,
 * rm -rf, tree copies, path joins. Paths are plain C strings; every function
 * that allocates says who frees.
 */
#ifndef KLAB_FSUTIL_H
#define KLAB_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Appends the whole file to out. Refuses files larger than max bytes (0: no limit). */
int kl_read_file(const char *path, struct kl_buf *out, size_t max, struct kl_err *err);
/* Writes data to path through a temporary file and rename(2), so readers never see half. */
int kl_write_file(const char *path, const void *data, size_t len, struct kl_err *err);
int kl_mkdir_p(const char *path, int mode, struct kl_err *err);
/* Removes path and everything below it; never follows symlinks. Missing is not an error. */
int kl_rm_rf(const char *path, struct kl_err *err);
/* Copies a regular file, keeping its mode bits. */
int kl_copy_file(const char *from, const char *to, struct kl_err *err);
bool kl_is_dir(const char *path);
bool kl_is_file(const char *path);
/* Newly allocated "a/b" (caller frees). */
char *kl_path_join(const char *a, const char *b);
/* Modification time in nanoseconds, or 0 when missing. */
long long kl_mtime_ns(const char *path);
/* strdup that aborts on failure. */
char *kl_strdup(const char *s);
/* The first n bytes of s (which need not be NUL-terminated) as a new string. */
char *kl_strndup(const char *s, size_t n);
/* asprintf that aborts on failure; caller frees. */
char *kl_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
