/*
 * cache.h - an index file built once in the cache from the kernel source
 * tarball (build.c: <cache>/xref/NAME.db): built under a lock so that
 * concurrent callers build it once, with what other versions and killed builds
 * left removed.
 */
#ifndef KLAB_XREF_CACHE_H
#define KLAB_XREF_CACHE_H

#include <stdbool.h>

#include "core/err.h"

struct xref_cache_build {
	const char *ext;               /* the index files' ending: ".db" */
	bool (*ok)(const char *path);  /* path holds a whole index of this version */
	/* Builds the index into path (through a temporary file and a rename). */
	int (*build)(void *ctx, const char *path, struct kl_err *err);
	void *ctx;
};

/*
 * Makes sure *path (in <cache>/<sub>, named "<stem>-<size>-<mtime>.v<N><ext>")
 * holds an index: when it does not, takes <cache>/<sub>/build.lock, looks again,
 * and builds it (*built = 1). Under the lock, removes the files of the folder
 * that are other versions of the same stem ending in ext, and the temporary
 * files a killed build left (ext followed by ".tmp"). On failure *path is
 * freed and set to NULL.
 */
int xref_cache_ensure(const char *cache, const char *sub, char **path,
		      const struct xref_cache_build *b, int *built, struct kl_err *err);

#endif
