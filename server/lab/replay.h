/*
 * replay.h - a lab's modules rebuilt without make: the commands Kbuild ran the
 * last time it built the same lab against the same headers (recorded from its
 * .cmd files) run again, in order, in a new build folder.
 *
 * For one small module, make itself (reading the kernel's makefiles, deciding
 * what to rebuild) costs more than the compiler; modpost and the link take
 * milliseconds. A learner's edits change no command, so a recipe is keyed by
 * the headers, the lab, its Kbuild file and the names of the files in the build
 * folder, never by their contents. Any doubt leaves the build to Kbuild: no
 * recipe, a command that fails or prints anything (a compiler error or warning
 * is then Kbuild's own output, word for word), a .cmd file the recipe cannot
 * read.
 */
#ifndef KLAB_LAB_REPLAY_H
#define KLAB_LAB_REPLAY_H

#include <stddef.h>

#include "core/err.h"

/*
 * The folder of the recipe for building the files names[0..n) of dir with the
 * lab's Kbuild file against headers: $cache/kbuild/<lab_id>-<hash>. Computed
 * before the build (later the folder holds more files). The caller frees it;
 * NULL when dir has no readable Kbuild file, or the headers' kernel has
 * MODVERSIONS (modpost then reads what Kbuild writes into the .cmd files).
 */
char *lab_replay_key(const char *cache, const char *headers, const char *lab_id, const char *dir,
		     char *const *names, size_t n);
/*
 * Runs the recipe's commands for dir (from headers, as Kbuild does). 0 when every
 * command succeeded without a word; 1 when there is no recipe or a command failed
 * or printed anything: then Kbuild must build dir (what the replay left has no
 * .cmd file, so Kbuild builds it all again).
 */
int lab_replay_build(const char *recipe, const char *headers, const char *dir);
/*
 * After Kbuild built dir: keeps its commands (and its .mod.c and .mod.o, reused
 * while the .mod.c is the same) as the recipe, unless there is one. 0, or -1
 * with err (the build stands; the next one uses Kbuild again).
 */
int lab_replay_record(const char *recipe, const char *dir, struct kl_err *err);

#endif
