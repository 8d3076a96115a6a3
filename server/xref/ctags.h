/*
 * ctags.h - universal-ctags over the scratch copy of the source that the index
 * builder writes (build.c), in chunks of about XREF_CTAGS_CHUNK bytes: a chunk
 * is handed to a ctags process as soon as it is listed, so ctags runs on one
 * core while the builder still reads the tarball on the other.
 */
#ifndef KLAB_XREF_CTAGS_H
#define KLAB_XREF_CTAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define XREF_CTAGS_CHUNK (96u << 20)

struct xref_ctags;

/*
 * Chunks listed under folder scratch (files0.txt, tags0.txt, ...), ctags run in
 * srcdir (the paths listed are relative to it). xref_ctags_free() releases it.
 */
struct xref_ctags *xref_ctags_new(const char *scratch, const char *srcdir);
/* Kills the ctags still running (a failed build) and frees c (NULL is harmless). */
void xref_ctags_free(struct xref_ctags *c);
/* Lists path (bytes long); a chunk that is full becomes ready to run. */
int xref_ctags_add(struct xref_ctags *c, const char *path, size_t bytes, struct kl_err *err);
/* Makes the last chunk ready: nothing more will be listed. */
int xref_ctags_close(struct xref_ctags *c, struct kl_err *err);
/*
 * Collects the ctags that ended and starts ready chunks while fewer than
 * max_running run. With wait, returns only when every chunk listed has been
 * through ctags. Fails when a ctags failed or cannot be started.
 */
int xref_ctags_pump(struct xref_ctags *c, int max_running, bool wait, struct kl_err *err);
/* Each line of every chunk's tags, in the order the chunks were listed. */
int xref_ctags_lines(struct xref_ctags *c, void (*line)(void *ctx, char *line), void *ctx,
		     struct kl_err *err);

#endif
