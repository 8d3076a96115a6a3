/*
 * proc.h - runs a child program with its output captured, in its own process
 * group, with a timeout after which the whole group is killed.
 */
#ifndef KLAB_PROC_H
#define KLAB_PROC_H

#include "core/buf.h"
#include "core/err.h"

struct kl_proc_result {
	int exited;    /* 1 when it exited normally */
	int status;    /* its exit status, or the signal that killed it */
	int timed_out; /* 1 when the timeout killed it */
	double seconds;
};

#include <sys/types.h>

/* Seconds on the monotonic clock, for timeouts and step times. */
double kl_now(void);

/*
 * Starts argv (argv[0] looked up in PATH) in its own process group, killed by
 * PR_SET_PDEATHSIG if klab dies first, so a killed klab leaves no child behind.
 * fds[0..2] become its stdin, stdout and stderr (-1: /dev/null); cwd (may be
 * NULL) is its folder and env ("NAME=value", may be NULL) is added to its
 * environment. Returns its pid (the caller waits for it), or -1 with err.
 */
pid_t kl_proc_spawn(char *const *argv, const char *cwd, char *const *env, const int fds[3],
		    struct kl_err *err);
/*
 * The same with nfds descriptors (at least 3): fds[i] becomes descriptor i of
 * the child (-1: /dev/null for 0..2, closed above), e.g. sockets for QEMU's
 * `-chardev socket,fd=3`. Every other descriptor of klab's is close-on-exec.
 */
pid_t kl_proc_spawn_fds(char *const *argv, const char *cwd, char *const *env, const int *fds,
			size_t nfds, struct kl_err *err);

/*
 * Runs argv (argv[0] looked up in PATH) in folder cwd (NULL: unchanged), with
 * the variables of env ("NAME=value", NULL-terminated, may be NULL) added to the
 * environment; stdout and stderr are appended to out (up to max bytes, the rest
 * dropped). Returns -1 only when the program could not be started.
 */
int kl_proc_run(char *const *argv, const char *cwd, char *const *env, double timeout,
		struct kl_buf *out, size_t max, struct kl_proc_result *res, struct kl_err *err);

#endif
