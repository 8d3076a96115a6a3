/*
 * tarball.h - streams the kernel source tarball (any format libarchive reads)
 * without extracting it, for the source index (build.c):
 * every entry by its path without the first component ("linux-source-6.1/"),
 * and the data of the regular files the caller asks for.
 */
#ifndef KLAB_XREF_TARBALL_H
#define KLAB_XREF_TARBALL_H

#include <stddef.h>

#include "core/err.h"

enum xref_tar_type {
	XREF_TAR_FILE, /* a regular file */
	XREF_TAR_DIR,  /* a folder */
	XREF_TAR_LINK, /* a symbolic link */
};

struct xref_tar_cb {
	void *ctx;
	/*
	 * Each entry (other types are skipped): 1 to get its data (files only), 0 to
	 * go on, -1 to stop with err set.
	 */
	int (*entry)(void *ctx, const char *path, enum xref_tar_type type, long long size,
		     struct kl_err *err);
	/* The data asked for, NUL-terminated at len; -1 stops with err set. */
	int (*data)(void *ctx, const char *path, const char *data, size_t len,
		    struct kl_err *err);
};

/*
 * Reads tarball through cb. A file of more than max_size bytes is never read
 * (entry() still sees it). Errors name the tarball and say to reinstall it.
 */
int xref_tarball_read(const char *tarball, long long max_size, const struct xref_tar_cb *cb,
		      struct kl_err *err);

#endif
