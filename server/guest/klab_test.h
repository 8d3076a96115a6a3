/*
 * klab_test.h - the header every lab's guest test program includes. A test
 * program is a static binary run by klab's guest /init; it prints KTAP
 * (Documentation/dev-tools/ktap.rst) on stdout, one result per check:
 *
 *	int main(void)
 *	{
 *		kt_plan(2);
 *		kt_expect_int("param_value", 42, read_param());
 *		kt_check("dev_exists", access("/dev/foo", F_OK) == 0,
 *			 "/dev/foo: %s", strerror(errno));
 *		return kt_done();
 *	}
 *
 * A failed check prints a diagnostic line first (`# name: what went wrong`),
 * which klab shows the learner. Each check name must match a key of the lab's
 * `points:` front matter. Header-only, so a test is one file.
 */
#ifndef KLAB_TEST_H
#define KLAB_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int kt__n;      /* results printed */
static int kt__failed; /* failed checks */

static inline void kt_plan(int n)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..%d\n", n);
}

static inline void kt_vresult(int ok, const char *name, const char *fmt, va_list ap)
{
	if (!ok) {
		char diag[512] = "";

		if (fmt)
			vsnprintf(diag, sizeof(diag), fmt, ap);
		for (char *p = diag; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		printf("# %s: %s\n", name, diag[0] ? diag : "failed");
		kt__failed++;
	}
	printf("%s %d %s\n", ok ? "ok" : "not ok", ++kt__n, name);
	fflush(stdout);
}

/* One check: ok when cond is true; on failure fmt says what was expected and got. */
static inline __attribute__((format(printf, 3, 4))) int
kt_check(const char *name, int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kt_vresult(cond, name, fmt, ap);
	va_end(ap);
	return cond;
}

static inline int kt_expect_int(const char *name, long long expected, long long got)
{
	return kt_check(name, expected == got, "expected %lld, got %lld", expected, got);
}

static inline int kt_expect_str(const char *name, const char *expected, const char *got)
{
	int ok = got && strcmp(expected, got) == 0;

	return kt_check(name, ok, "expected \"%s\", got %s%s%s", expected, got ? "\"" : "",
			got ? got : "nothing", got ? "\"" : "");
}

/* A check that could not run: counts as not passed. */
static inline void kt_skip(const char *name, const char *why)
{
	printf("ok %d %s # SKIP %s\n", ++kt__n, name, why);
	fflush(stdout);
}

/* Ends the program: exit status 0 only when every check passed. */
static inline int kt_done(void)
{
	fflush(stdout);
	return kt__failed ? 1 : 0;
}

/* Reads a whole (small) file into buf, NUL-terminated, trailing newline dropped. -errno on error. */
static inline int kt_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (len && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return (int)len;
}

/* Writes s to path (e.g. a /proc or /sys file). 0 or -errno. */
static inline int kt_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, s, strlen(s));
	int e = errno;
	close(fd);
	return n < 0 ? -e : 0;
}

/* 1 when the kernel log (/dev/kmsg, read from the start) has a line containing needle. */
static inline int kt_kmsg_contains(const char *needle)
{
	char rec[2048];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int found = 0;

	if (fd < 0)
		return 0;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0) {
			if (errno == EPIPE)
				continue; /* overwritten records: keep reading */
			break;
		}
		rec[n] = '\0';
		char *msg = strchr(rec, ';');
		if (msg && strstr(msg + 1, needle)) {
			found = 1;
			break;
		}
	}
	close(fd);
	return found;
}

/* Loads a module file with parameters; 0 or -errno. */
static inline int kt_insmod(const char *path, const char *params)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	long rc = syscall(SYS_finit_module, fd, params ? params : "", 0);
	int e = errno;
	close(fd);
	return rc < 0 ? -e : 0;
}

/* Unloads a module by name; 0 or -errno. */
static inline int kt_rmmod(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) < 0 ? -errno : 0;
}

/* Seconds on the monotonic clock. */
static inline double kt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void kt_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Runs fn(arg) in a child process and waits at most ms for it, so a call that
 * blocks in the learner's code cannot hang the test. Returns fn's result (0 or
 * -errno, as the child's exit status), -EINTR when the child was killed, or
 * -ETIMEDOUT (the child is left behind: it may be stuck in the kernel).
 */
static inline int kt_within(int (*fn)(const void *arg), const void *arg, int ms)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(-fn(arg) & 0xff);
	if (pid < 0)
		return -errno;
	for (double end = kt_now() + ms / 1000.0; kt_now() < end; kt_msleep(5)) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? -WEXITSTATUS(status) : -EINTR;
	}
	return -ETIMEDOUT;
}

static inline int kt__rmmod_fn(const void *name)
{
	return syscall(SYS_delete_module, (const char *)name, O_NONBLOCK) < 0 ? -errno : 0;
}

/* kt_rmmod() with a deadline: 0, -errno, or -ETIMEDOUT when the exit function hangs. */
static inline int kt_rmmod_within(const char *name, int ms)
{
	return kt_within(kt__rmmod_fn, name, ms);
}

#endif
