/*
 * spawner.h - the guest's spawner: a child of /init, forked before the
 * snapshot, that becomes the run's first test program when /init sends its
 * path, with the program's output pipe, process group, folder (/tmp) and go
 * pipe already in place.
 *
 * Why: after a restore, every kernel path runs for the first time under
 * emulation and pays its translation. Forking or spawning the test program,
 * then exec and its C library start-up, cost ~100 ms of /init's time plus
 * ~120 ms of the program's. With the spawner, /init pays a write; the exec
 * runs beside the host's build or the modules' loading, on the other vCPU,
 * and the program then waits before main() for its go (klab_test.h: it
 * reads one byte from the descriptor named by KLAB_GO_FD).
 *
 *	spawner_start()                   before the snapshot
 *	spawner_exec(path, &pid, &out, &go)   it becomes path's program
 *	write(go, "g", 1); close(go)      the program runs main()
 *	spawner_stop()                    an unused spawner exits
 *
 * Standalone C (libc only), like init.c.
 */
#ifndef KLAB_GUEST_SPAWNER_H
#define KLAB_GUEST_SPAWNER_H

#include <sys/types.h>

/* Where every test program starts, and its environment: the spawner's and /init's plain start. */
#define SPAWNER_DIR "/tmp"
#define SPAWNER_ENV_PATH "PATH=/klab/bin:/bin:/sbin"
#define SPAWNER_ENV_HOME "HOME=/tmp"

/* Forks the spawner. 0, or -1 with errno: tests then start the plain way. */
int spawner_start(void);

/* 1 while a spawner waits for a program. */
int spawner_waiting(void);

/*
 * Makes the spawner become the program at path (absolute). 0 and the
 * program's pid (its own process group), the reading end of its stdout and
 * stderr, and the go descriptor, all the caller's now; -1 (no spawner, or it
 * is gone: stopped). A program that cannot be executed prints why on its
 * output and exits with 127.
 */
int spawner_exec(const char *path, pid_t *pid, int *out, int *go);

/* Ends a spawner that was not used, and reaps it. */
void spawner_stop(void);

#endif
