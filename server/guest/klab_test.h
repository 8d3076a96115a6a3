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
 *
 * Beyond checks, three tools make a test bite (each documented where defined):
 * fault injection to walk a call's error paths (kt_fail_walk), guard bytes
 * around user buffers (kt_guard), and threads and processes hammering a file
 * at once (kt_hammer).
 */
#ifndef KLAB_TEST_H
#define KLAB_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int kt__n;      /* results printed */
static int kt__failed; /* failed checks */

/*
 * Started early. klab's /init may start the first test program while the
 * lab's modules still load, so that its exec and C library start-up (slow
 * the first time after a restore: emulation translates the code anew) run
 * on the other vCPU at the same time. It then passes the reading end of a
 * pipe in KLAB_GO_FD, and the program waits here, before main(), until /init
 * writes a byte: the modules are in. Without KLAB_GO_FD (any other start)
 * this returns at once. klab's packer looks for kt__waits_tag in the binary
 * to know that a program waits (pack.c: keep the two strings the same).
 */
__attribute__((used)) static const char kt__waits_tag[] = "klab-test: waits for KLAB_GO_FD";

__attribute__((constructor)) static void kt__wait_go(void)
{
	const char *v = getenv("KLAB_GO_FD");
	char *end = NULL;
	long fd = v ? strtol(v, &end, 10) : -1;
	char go;
	ssize_t n;

	if (!v || end == v || *end || fd < 0)
		return;
	unsetenv("KLAB_GO_FD");
	do
		n = read((int)fd, &go, 1);
	while (n < 0 && errno == EINTR);
	close((int)fd);
	if (n != 1)
		_exit(125); /* /init went away or cancelled the run: nothing to test */
}

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

/*
 * The log level (0 emerg .. 7 debug) of the first kernel log record that
 * contains needle and has a level of at most max_level; -1 when there is none.
 * The whole log comes in one syslog(2) call (SYSLOG_ACTION_READ_ALL), a line a
 * record: "<P>[    5.703094] text", P being facility << 3 | level. (Reading
 * /dev/kmsg costs a system call per record: hundreds after a boot.)
 */
static inline int kt_kmsg_level(const char *needle, int max_level)
{
	/* the text is the buffer's records with their prefixes: room for twice as much */
	int size = 2 * klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *log = size > 0 ? malloc((size_t)size + 1) : NULL;
	int n = log ? klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, size) : -1;
	int found = -1;

	if (n < 0) {
		printf("# kt_kmsg_level: cannot read the kernel log: %s\n", strerror(errno));
		free(log);
		return -1;
	}
	log[n] = '\0';
	for (char *line = log, *next; line && found < 0; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *msg = line[0] == '<' ? strchr(line, '>') : NULL;
		if (!msg)
			continue;
		int level = atoi(line + 1) & 7;
		msg++;
		size_t ts = msg[0] == '[' ? strspn(msg + 1, " 0123456789.") + 1 : 0;
		if (ts && msg[ts] == ']') /* the timestamp, when printk.time is on */
			msg += ts + 1 + (msg[ts + 1] == ' ');
		if (level <= max_level && strstr(msg, needle))
			found = level;
	}
	free(log);
	return found;
}

/* 1 when the kernel log (read from the start) has a line containing needle. */
static inline int kt_kmsg_contains(const char *needle)
{
	return kt_kmsg_level(needle, 7) >= 0;
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

/*
 * Seconds this run's VM has waited for a CPU of the loaded host so far (klab's
 * /init keeps /klab/lag): the clock went on meanwhile, the guest did not. A
 * check that times the kernel (ticks a second) takes it out of the elapsed time.
 */
static inline double kt_lag(void)
{
	char buf[32];
	int fd = open("/klab/lag", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return atol(buf) / 1000.0;
}

/*
 * Seconds of time the VM really ran: the monotonic clock less the lag. A wait
 * with a deadline ("within 2 s") counts on it, so a loaded host slows a test
 * down without failing it; a hang still runs out of it.
 */
static inline double kt_clock(void)
{
	return kt_now() - kt_lag();
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
	for (double end = kt_clock() + ms / 1000.0; kt_clock() < end; kt_msleep(5)) {
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

/*
 * Objects in use in the slab cache named cache (a line of /proc/slabinfo, e.g.
 * "task_struct"), or -1. Counting before and after a test finds leaks of
 * objects kmemleak may not see (or a kernel without kmemleak).
 */
static inline long kt_slab_objects(const char *cache)
{
	static char buf[1 << 18];
	size_t len = strlen(cache);

	if (kt_read_file("/proc/slabinfo", buf, sizeof(buf)) <= 0)
		return -1;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
		if (strncmp(l, cache, len) == 0 && l[len] == ' ')
			return strtol(l + len, NULL, 10);
	return -1;
}

/*
 * kt_slab_objects(cache) once freed objects have really gone, waiting up to
 * max_ms: many objects are freed after an RCU grace period (slow on a loaded
 * machine), and a KASAN kernel keeps freed objects in a quarantine (counted as
 * in use) until their cache is shrunk, which this does. Stops early once the
 * count is within limit of before; with before < 0, once it stops falling
 * (a baseline to take before a test).
 */
static inline long kt_slab_settled(const char *cache, long before, long limit, int max_ms)
{
	char path[128];
	long n = kt_slab_objects(cache), prev;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", cache);
	for (int i = 0; i < max_ms / 100 && n >= 0; i++) {
		kt_msleep(100);
		kt_write_file(path, "1");
		prev = n;
		n = kt_slab_objects(cache);
		if (before >= 0 ? n - before < limit : i > 0 && n >= prev)
			break;
	}
	return n;
}

/* ---------------------------------------------------------------------------
 * Fault injection: make the kernel fail an allocation (or a user copy) inside
 * one call of the test, to see the module's error paths. Needs a kernel with
 * CONFIG_FAULT_INJECTION, FAILSLAB, FAIL_PAGE_ALLOC and debugfs (klab's debug
 * profile); kt_fault_available() says whether this one has them, so a test can
 * skip (not pass) the check elsewhere. Documentation/fault-injection/.
 *
 * Two ways in:
 *  - /proc/thread-self/fail-nth (kt_fail_nth_call, kt_fail_walk): the Nth
 *    fallible site this thread reaches fails, whatever it is: a slab or page
 *    allocation, or a user copy. Only this thread, only this call.
 *  - the probability knobs of an attribute (kt_fault_config): probability,
 *    interval, times, space, with task-filter on, so that only tasks marked
 *    with kt_make_it_fail(1) see failures.
 * ------------------------------------------------------------------------- */

#define KT_DEBUGFS "/sys/kernel/debug/"

/* The fault attributes the kernel may have (lib/fault-inject.c users). */
static const char *const kt__fault_attrs[] = { "failslab", "fail_page_alloc", "fail_usercopy",
					       "fail_function" };

/* Writes value to the knob of a fault attribute, e.g. ("failslab", "times", "1"). */
static inline int kt_fault_write(const char *attr, const char *knob, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), KT_DEBUGFS "%s/%s", attr, knob);
	return kt_write_file(path, value);
}

/* 1 when this kernel can fail this thread's calls on purpose (failslab and fail-nth). */
static inline int kt_fault_available(void)
{
	return access(KT_DEBUGFS "failslab/probability", W_OK) == 0 &&
	       access("/proc/thread-self/fail-nth", W_OK) == 0;
}

/*
 * Prepares fault injection once per program: allocations that may sleep
 * (GFP_KERNEL, which a module mostly uses) become fallible (ignore-gfp-wait
 * off; the default only fails atomic ones), and an injected failure prints
 * nothing (verbose 0: no stack dump on the console). 0, or -errno when the
 * kernel has no fault injection.
 */
static inline int kt_fault_setup(void)
{
	if (!kt_fault_available())
		return -ENOSYS;
	for (size_t i = 0; i < sizeof(kt__fault_attrs) / sizeof(kt__fault_attrs[0]); i++)
		kt_fault_write(kt__fault_attrs[i], "verbose", "0");
	int rc = kt_fault_write("failslab", "ignore-gfp-wait", "N");
	if (rc == 0)
		rc = kt_fault_write("fail_page_alloc", "ignore-gfp-wait", "N");
	return rc;
}

/*
 * Sets the probability knobs of attr ("failslab", "fail_page_alloc", ...):
 * every interval-th fallible call fails with probability percent, at most
 * times times (-1: no limit), after space bytes went through. task-filter is
 * switched on: only tasks marked by kt_make_it_fail(1) are failed. probability
 * 0 switches the attribute off. 0 or -errno.
 */
static inline int kt_fault_config(const char *attr, int probability, int interval, int times,
				  int space)
{
	char v[32];
	int rc = kt_fault_write(attr, "task-filter", "Y");

	snprintf(v, sizeof(v), "%d", interval < 1 ? 1 : interval);
	if (rc == 0)
		rc = kt_fault_write(attr, "interval", v);
	snprintf(v, sizeof(v), "%d", times);
	if (rc == 0)
		rc = kt_fault_write(attr, "times", v);
	snprintf(v, sizeof(v), "%d", space);
	if (rc == 0)
		rc = kt_fault_write(attr, "space", v);
	snprintf(v, sizeof(v), "%d", probability);
	if (rc == 0)
		rc = kt_fault_write(attr, "probability", v);
	return rc;
}

/* Marks (1) or unmarks (0) the calling thread for attributes with task-filter on. */
static inline int kt_make_it_fail(int on)
{
	return kt_write_file("/proc/thread-self/make-it-fail", on ? "1" : "0");
}

/*
 * Runs call(arg) with the nth fallible site of this thread failing (n >= 1).
 * *fired says whether the failure was injected (the call reached n sites).
 * Returns call's result. The fail-nth file is opened before, so opening it
 * costs the call nothing; afterwards fail-nth is reset to 0.
 */
static inline int kt_fail_nth_call(int (*call)(void *arg), void *arg, int n, int *fired)
{
	char v[32];
	int fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);

	*fired = 0;
	if (fd < 0)
		return -ENOSYS;
	snprintf(v, sizeof(v), "%d", n);
	if (pwrite(fd, v, strlen(v), 0) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	int rc = call(arg);
	/*
	 * fail-nth reads the count left: 0 when the failure fired. Reading
	 * copies to user space, itself a fallible site: when one was left, that
	 * copy is the one that fails (EFAULT), which also means "not fired".
	 */
	ssize_t got = pread(fd, v, sizeof(v) - 1, 0);
	if (got > 0) {
		v[got] = '\0';
		*fired = atoi(v) == 0;
	}
	while (pwrite(fd, "0", 1, 0) < 0 && errno == EFAULT)
		; /* the write's own copy used up what was left: try again */
	close(fd);
	return rc;
}

/*
 * Walks the error paths of one call: runs call(arg) with its 1st fallible site
 * failing, then its 2nd, and so on, until a run reaches no injected failure
 * (the call then made fewer than n fallible calls) or max runs were made.
 * After each run, check(arg, rc, n, fired, why, len) says whether the module
 * coped: 0 if so, else -1 with why filled in (for example: the call returned
 * success though its allocation failed, or the device was left half set up).
 * check also undoes what a successful call did, so the next run starts alike.
 * A fault in the kernel (an oops on a NULL pointer) ends the run as `fault`.
 *
 * The walk relies on every run counting the same fallible sites. On klab's
 * debug kernel fail-nth counts only the calls whose failure is reported
 * (kernels/patches/fault-nth-skip-nowarn.patch): the kernel's own
 * bookkeeping (kmemleak's metadata, debug objects' pool, KASAN's stack depot)
 * asks with __GFP_NOWARN in some runs and not others, and without the patch
 * one mount(2) was seen making 45 to 48 fallible calls, so a walk could skip
 * the one allocation a learner forgot to check; with it, 18 every time.
 *
 * Returns how many failures were injected (>= 1) when every check passed;
 * -1 with why filled in on the first check that failed; -ENOSYS without
 * fault injection (why says so); -E2BIG when max runs all injected one.
 */
static inline int kt_fail_walk(int (*call)(void *arg),
			       int (*check)(void *arg, int rc, int n, int fired, char *why, size_t len),
			       void *arg, int max, char *why, size_t len)
{
	int n, fired = 1;

	why[0] = '\0';
	if (kt_fault_setup() < 0) {
		snprintf(why, len, "this kernel has no fault injection (run on klab's default "
			 "debug kernel)");
		return -ENOSYS;
	}
	for (n = 1; n <= max && fired; n++) {
		int rc = kt_fail_nth_call(call, arg, n, &fired);

		if (check(arg, rc, n, fired, why, len) < 0)
			return -1;
	}
	if (fired) {
		snprintf(why, len, "the call still reached an injected failure after %d runs", max);
		return -E2BIG;
	}
	return n - 2;
}

/* ---------------------------------------------------------------------------
 * Guard bytes around a user buffer. A module that copies more than it may
 * (an 8-byte copy_to_user into a 4-byte int, a read that writes past count)
 * either faults on an inaccessible page or overwrites canary bytes:
 *  - KT_GUARD_FENCE: the buffer ends at the end of a page, followed by a
 *    PROT_NONE page; copying one byte too many fails (EFAULT in the kernel);
 *  - KT_GUARD_CANARY: KT_GUARD_PAD canary bytes after the buffer, in the same
 *    page; a copy past the end succeeds but kt_guard_check() sees it.
 * Either way the bytes before the buffer are canaries too.
 * ------------------------------------------------------------------------- */

enum { KT_GUARD_FENCE, KT_GUARD_CANARY };
#define KT_GUARD_PAD 64
#define KT_GUARD_BYTE 0xa5

struct kt_guard {
	unsigned char *buf; /* the user buffer: size bytes */
	size_t size;
	unsigned char *map; /* the whole mapping */
	size_t maplen;
	size_t lo, hi; /* canary bytes: map[lo, buf) and [buf + size, map + hi) */
};

/* Sets up a guarded buffer of size bytes; buf is filled with canary too. 0 or -errno. */
static inline int kt_guard_init(struct kt_guard *g, size_t size, int mode)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data = (size + KT_GUARD_PAD * 2 + page - 1) / page * page;

	memset(g, 0, sizeof(*g));
	g->maplen = data + page;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED) {
		g->map = NULL;
		return -errno;
	}
	if (mprotect(g->map + data, page, PROT_NONE) < 0) {
		int e = errno;
		munmap(g->map, g->maplen);
		g->map = NULL;
		return -e;
	}
	memset(g->map, KT_GUARD_BYTE, data);
	g->size = size;
	g->buf = mode == KT_GUARD_FENCE ? g->map + data - size
					: g->map + data - size - KT_GUARD_PAD;
	g->lo = (size_t)(g->buf - g->map) - KT_GUARD_PAD;
	g->hi = (size_t)(g->buf - g->map) + size + (mode == KT_GUARD_FENCE ? 0 : KT_GUARD_PAD);
	return 0;
}

/*
 * -1 when every canary byte is intact, else the offset of the first changed
 * one relative to buf (negative: before the buffer; >= size: after it).
 */
static inline long kt_guard_check(const struct kt_guard *g)
{
	for (size_t i = g->lo; i < g->hi; i++) {
		const unsigned char *p = g->map + i;
		if ((p < g->buf || p >= g->buf + g->size) && *p != KT_GUARD_BYTE)
			return (long)(p - g->buf);
	}
	return -1;
}

/* Fills buf[from, to) with canary bytes again (e.g. before the next read into it). */
static inline void kt_guard_refill(struct kt_guard *g, size_t from, size_t to)
{
	memset(g->buf + from, KT_GUARD_BYTE, to - from);
}

/* Offset of the first byte of buf[from, to) that is not canary (the kernel wrote it), or -1. */
static inline long kt_guard_written(const struct kt_guard *g, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (g->buf[i] != KT_GUARD_BYTE)
			return (long)i;
	return -1;
}

static inline void kt_guard_release(struct kt_guard *g)
{
	if (g->map)
		munmap(g->map, g->maplen);
	memset(g, 0, sizeof(*g));
}

/* ---------------------------------------------------------------------------
 * Concurrency: workers hammering a device at once, as threads of this process
 * and as separate processes (the debug VM has 2 vCPUs), with a deadline.
 *
 *	static int worker(struct kt_hammer *h, int id)
 *	{
 *		while (!kt_hammer_over(h))
 *			if (write(fd, ...) < 0) return -errno;
 *		return 0;
 *	}
 *	struct kt_hammer h = { .fn = worker, .arg = &state };
 *	rc = kt_hammer_run(&h, 4, 2, 1000);	// 4 threads, 2 processes, 1 s
 *
 * Workers start together (a barrier), loop until kt_hammer_over(), and return
 * 0 or -errno. h->shared is a page shared by all of them (processes
 * included), zeroed before the start: counters go there (use __atomic_*).
 * ------------------------------------------------------------------------- */

#define KT_HAMMER_MAX 32

struct kt_hammer {
	int (*fn)(struct kt_hammer *h, int id); /* one worker, id 0..n-1 */
	void *arg;				 /* for fn */
	void *shared;				 /* a zeroed page shared by every worker */
	/* filled in by kt_hammer_run */
	int results[KT_HAMMER_MAX];		 /* each worker's result; -ETIMEDOUT if stuck */
	int failed_id;				 /* the first worker that failed, or -1 */
	struct {
		volatile int ready, go, over;
		double deadline;
		int results[KT_HAMMER_MAX];
		int failed;			 /* kt_hammer_fail() was called */
		char why[256];			 /* what the first failing worker saw */
		unsigned char user[];
	} *ctl;
};

/*
 * For a worker that found something wrong: the first call (of any worker,
 * thread or process) keeps its message, for kt_hammer_why(). Returns rc when
 * it is negative, else -EIO, for the worker to return.
 */
static inline __attribute__((format(printf, 3, 4))) int
kt_hammer_fail(struct kt_hammer *h, int rc, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(&h->ctl->failed, 1, __ATOMIC_SEQ_CST) == 0) {
		va_start(ap, fmt);
		vsnprintf(h->ctl->why, sizeof(h->ctl->why), fmt, ap);
		va_end(ap);
	}
	return rc < 0 ? rc : -EIO;
}

/* The message of the first kt_hammer_fail() of the last run, "" when there was none. */
static inline const char *kt_hammer_why(const struct kt_hammer *h)
{
	return h->ctl ? h->ctl->why : "";
}

/* Whether the workers should stop: the deadline passed or a worker failed. */
static inline int kt_hammer_over(const struct kt_hammer *h)
{
	return __atomic_load_n(&h->ctl->over, __ATOMIC_RELAXED) || kt_now() >= h->ctl->deadline;
}

struct kt__hammer_thread {
	struct kt_hammer *h;
	int id;
	volatile int done;
};

static inline int kt__hammer_work(struct kt_hammer *h, int id)
{
	__atomic_fetch_add(&h->ctl->ready, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&h->ctl->go, __ATOMIC_SEQ_CST))
		sched_yield();
	int rc = h->fn(h, id);
	if (rc < 0)
		__atomic_store_n(&h->ctl->over, 1, __ATOMIC_SEQ_CST);
	h->ctl->results[id] = rc;
	return rc;
}

static inline void *kt__hammer_thread_main(void *p)
{
	struct kt__hammer_thread *t = p;

	kt__hammer_work(t->h, t->id);
	__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * Runs h->fn in threads threads and procs child processes at once for ms
 * milliseconds. Waits 5 s more for stragglers (a loaded host can stall a
 * vCPU for seconds): a worker still inside the kernel then is left behind (a
 * thread detached, a process killed) and counts as -ETIMEDOUT. Returns 0 when every worker returned 0, else the first
 * failure (h->failed_id says whose). The shared page stays mapped until
 * kt_hammer_release().
 */
static inline int kt_hammer_run(struct kt_hammer *h, int threads, int procs, int ms)
{
	struct kt__hammer_thread t[KT_HAMMER_MAX];
	pthread_t tid[KT_HAMMER_MAX];
	pid_t pid[KT_HAMMER_MAX];
	int n = threads + procs, started = 0, rc = 0;

	h->failed_id = -1;
	if (n > KT_HAMMER_MAX || n < 1)
		return -EINVAL;
	if (!h->ctl) {
		h->ctl = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (h->ctl == MAP_FAILED) {
			h->ctl = NULL;
			return -errno;
		}
	}
	memset((void *)h->ctl, 0, 2 * 4096);
	h->shared = h->ctl->user;
	h->ctl->deadline = kt_now() + 3600; /* set for real at the start */
	for (int i = 0; i < n; i++) {
		h->results[i] = h->ctl->results[i] = -ETIMEDOUT;
		if (i < threads) {
			t[i] = (struct kt__hammer_thread){ .h = h, .id = i };
			if (pthread_create(&tid[i], NULL, kt__hammer_thread_main, &t[i]) != 0)
				break;
		} else {
			fflush(stdout);
			pid[i] = fork();
			if (pid[i] == 0)
				_exit(kt__hammer_work(h, i) < 0 ? 1 : 0);
			if (pid[i] < 0)
				break;
		}
		started++;
	}
	while (__atomic_load_n(&h->ctl->ready, __ATOMIC_SEQ_CST) < started)
		sched_yield();
	h->ctl->deadline = kt_now() + ms / 1000.0;
	__atomic_store_n(&h->ctl->go, 1, __ATOMIC_SEQ_CST);

	double end = kt_clock() + ms / 1000.0 + 5.0;
	for (int i = 0; i < started; i++) {
		int done = 0, status;

		while (!done) {
			if (i < threads)
				done = __atomic_load_n(&t[i].done, __ATOMIC_SEQ_CST);
			else
				done = waitpid(pid[i], &status, WNOHANG) == pid[i];
			if (done || kt_clock() >= end)
				break;
			kt_msleep(2);
		}
		if (!done) {
			__atomic_store_n(&h->ctl->over, 1, __ATOMIC_SEQ_CST);
			if (i < threads)
				pthread_detach(tid[i]);
			else
				kill(pid[i], SIGKILL);
			continue; /* stays -ETIMEDOUT */
		}
		if (i < threads)
			pthread_join(tid[i], NULL);
		h->results[i] = h->ctl->results[i];
	}
	if (started < n)
		rc = -EAGAIN;
	for (int i = 0; i < n && rc == 0; i++) {
		if (h->results[i] < 0) {
			rc = h->results[i];
			h->failed_id = i;
		}
	}
	return rc;
}

static inline void kt_hammer_release(struct kt_hammer *h)
{
	if (h->ctl)
		munmap((void *)h->ctl, 2 * 4096);
	h->ctl = NULL;
	h->shared = NULL;
}

#endif
