/*
 * content.c - layered content folders (see content.h).
 */
#include "core/content.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/catalog.h"
#include "core/fsutil.h"

size_t kl_content_dirs(const char *path, char ***dirs)
{
	size_t n = 0;

	*dirs = NULL;
	for (const char *p = path; p && *p;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		if (len) {
			char **v = realloc(*dirs, (n + 1) * sizeof(*v));
			if (!v)
				abort();
			*dirs = v;
			v[n++] = kl_strndup(p, len);
		}
		p += len + (colon ? 1 : 0);
	}
	return n;
}

/* Appends dir to b unless it is already one of its folders. */
static void S_add(struct kl_buf *b, const char *dir)
{
	char **have;
	size_t n = kl_content_dirs(kl_buf_str(b), &have);
	int dup = 0;

	for (size_t i = 0; i < n && !dup; i++)
		dup = strcmp(have[i], dir) == 0;
	kl_strv_free(have, n);
	if (dup)
		return;
	if (b->len)
		kl_buf_putc(b, ':');
	kl_buf_puts(b, dir);
}

int kl_content_path(const char *klab_path, const char *root, char **out, struct kl_err *err)
{
	struct kl_buf b = KL_BUF_INIT;
	char **dirs;
	size_t n = kl_content_dirs(klab_path, &dirs);
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *real = realpath(dirs[i], NULL);
		if (!real || !kl_is_dir(real))
			rc = kl_err_set(err, "KLAB_PATH names `%s`, which is not a folder: create "
					     "it (it may hold labs/, notes/ and tracks/) or take "
					     "it out of KLAB_PATH", dirs[i]);
		else
			S_add(&b, real);
		free(real);
	}
	kl_strv_free(dirs, n);
	if (rc < 0) {
		kl_buf_release(&b);
		return -1;
	}
	char *real = realpath(root, NULL);
	S_add(&b, real ? real : root);
	free(real);
	*out = kl_buf_detach(&b);
	return 0;
}

/* The first folder's dir/rel that exists, else (fallback) the last folder's, else NULL. */
static char *S_find(const char *path, const char *rel, int fallback)
{
	char **dirs, *found = NULL;
	size_t n = kl_content_dirs(path, &dirs);

	for (size_t i = 0; i < n && !found; i++) {
		char *p = kl_path_join(dirs[i], rel);
		if (kl_is_file(p) || kl_is_dir(p) || (fallback && i + 1 == n))
			found = p;
		else
			free(p);
	}
	kl_strv_free(dirs, n);
	return found;
}

/* S_find on the formatted rel. */
static char *S_vfind(const char *path, int fallback, const char *fmt, va_list ap)
{
	struct kl_buf rel = KL_BUF_INIT;

	kl_buf_vprintf(&rel, fmt, ap);
	char *found = S_find(path, kl_buf_str(&rel), fallback);
	if (!found && fallback)
		found = kl_strdup(kl_buf_str(&rel)); /* an empty content path */
	kl_buf_release(&rel);
	return found;
}

char *kl_content_find(const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *found = S_vfind(path, 0, fmt, ap);
	va_end(ap);
	return found;
}

char *kl_content_file(const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	char *found = S_vfind(path, 1, fmt, ap);
	va_end(ap);
	return found;
}

char *kl_content_first(const char *path)
{
	char **dirs;
	size_t n = kl_content_dirs(path, &dirs);
	char *first = n ? kl_strdup(dirs[0]) : kl_strdup(".");

	kl_strv_free(dirs, n);
	return first;
}
