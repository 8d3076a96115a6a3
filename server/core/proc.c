/*
 * proc.c - runs a child program with captured output and a timeout (see proc.h).
 */
#include "core/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double kl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

pid_t kl_proc_spawn(char *const *argv, const char *cwd, char *const *env, const int fds[3],
		    struct kl_err *err)
{
	return kl_proc_spawn_fds(argv, cwd, env, fds, 3, err);
}

/*
 * In the child: moves each fds[i] to descriptor i. The sources go above every
 * target first, so that one source's number being another's target is harmless.
 */
static void S_child_fds(const int *fds, size_t nfds)
{
	int moved[16];

	if (nfds > sizeof(moved) / sizeof(moved[0]))
		_exit(127);
	for (size_t i = 0; i < nfds; i++) {
		int null = fds[i] < 0 && i < 3 ? open("/dev/null", i ? O_WRONLY : O_RDONLY) : -1;
		int fd = fds[i] >= 0 ? fds[i] : null;
		moved[i] = fd >= 0 ? fcntl(fd, F_DUPFD, (int)nfds) : -1;
		if (fd >= 0 && moved[i] < 0)
			_exit(127);
		if (null >= 0)
			close(null);
	}
	for (size_t i = 0; i < nfds; i++) {
		if (moved[i] < 0) {
			close((int)i);
			continue;
		}
		if (dup2(moved[i], (int)i) < 0)
			_exit(127);
		close(moved[i]);
	}
}

pid_t kl_proc_spawn_fds(char *const *argv, const char *cwd, char *const *env, const int *fds,
			size_t nfds, struct kl_err *err)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid < 0)
		return kl_err_errno(err, "cannot fork for %s", argv[0]);
	if (pid > 0) {
		setpgid(pid, pid);
		return pid;
	}
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127); /* klab died before the prctl */
	S_child_fds(fds, nfds);
	if (cwd && chdir(cwd) < 0) {
		dprintf(2, "cannot enter %s: %s\n", cwd, strerror(errno));
		_exit(127);
	}
	for (char *const *e = env; e && *e; e++)
		putenv(*e);
	execvp(argv[0], argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int kl_proc_run(char *const *argv, const char *cwd, char *const *env, double timeout,
		struct kl_buf *out, size_t max, struct kl_proc_result *res, struct kl_err *err)
{
	int p[2];
	int status = 0;
	double t0 = kl_now();

	memset(res, 0, sizeof(*res));
	if (pipe2(p, O_CLOEXEC) < 0)
		return kl_err_errno(err, "cannot make a pipe for %s", argv[0]);
	const int fds[3] = { -1, p[1], p[1] };
	pid_t pid = kl_proc_spawn(argv, cwd, env, fds, err);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -1;
	}
	double deadline = t0 + timeout;
	for (;;) {
		double left = deadline - kl_now();
		if (left <= 0) {
			res->timed_out = 1;
			kill(-pid, SIGKILL);
			break;
		}
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		int rc = poll(&pf, 1, (int)(left * 1000) + 1);
		if (rc < 0 && errno != EINTR)
			break;
		if (rc <= 0)
			continue;
		char buf[8192];
		ssize_t n = read(p[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out && out->len < max)
			kl_buf_add(out, buf, (size_t)n > max - out->len ? max - out->len : (size_t)n);
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	kill(-pid, SIGKILL); /* whatever it left running */
	res->seconds = kl_now() - t0;
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->status = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->status = WTERMSIG(status);
	}
	return 0;
}
