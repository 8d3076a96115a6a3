/*
 * fswatch.h - notices changes on disk: a generation number that moves whenever a
 * file in one of the watched folders is written, created, removed or renamed
 * (inotify). Readers keep the generation their derived data was built for and
 * rebuild when it moved. Checking costs one non-blocking read(2).
 *
 * Without inotify (or when its queue overflows) every check moves the
 * generation, so nothing is ever served stale, only rebuilt more often.
 * A struct fswatch belongs to one thread at a time.
 */
#ifndef KLAB_FSWATCH_H
#define KLAB_FSWATCH_H

#include "core/err.h"

struct fswatch;

/* Creates a watch with nothing watched yet; fswatch_close() frees it. */
int fswatch_open(struct fswatch **out, struct kl_err *err);
void fswatch_close(struct fswatch *w);

/*
 * Watches folder dir (a missing folder is skipped, not an error). With
 * subdirs set, its subfolders are watched too, including ones created later
 * (one level: labs/<id>/).
 */
void fswatch_add(struct fswatch *w, const char *dir, int subdirs);

/* The current generation, after taking in pending events. */
unsigned long fswatch_generation(struct fswatch *w);

#endif
