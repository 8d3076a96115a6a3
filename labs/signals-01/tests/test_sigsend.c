/*
 * test_sigsend.c - guest tests of lab signals-01. /init loaded sigsend.ko;
 * this program registers itself and child processes for signals through
 * /dev/sigsend, writes values to the device, and checks what the SA_SIGINFO
 * handlers received. It also checks that closing the device drops the
 * registration and that no struct pid is leaked.
 */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>

#include "klab_test.h"

#define DEV "/dev/sigsend"
#define SIGSEND_IOC_REGISTER _IOW('k', 1, int)
#define LEAK_CHILDREN 200

/* What the handler saw: the last signal, and the values of all of them in order. */
static volatile sig_atomic_t got_count;
static volatile int got_signo, got_code, got_int, got_pid, got_values[16];

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_signo = sig;
	got_code = si->si_code;
	got_int = si->si_value.sival_int;
	got_pid = si->si_pid;
	if (got_count < 16)
		got_values[got_count] = si->si_value.sival_int;
	got_count++;
}

static void catch_signal(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void reset_got(void)
{
	got_count = 0;
	got_signo = got_code = got_int = got_pid = 0;
}

/* Waits up to 1 s for the handler to have run n times. */
static int wait_signals(int n)
{
	for (int i = 0; i < 100 && got_count < n; i++)
		usleep(10000);
	return got_count >= n;
}

static int reg(int fd, int sig)
{
	return ioctl(fd, SIGSEND_IOC_REGISTER, &sig) < 0 ? -errno : 0;
}

/* Writes s to the device through a new file: bytes written or -errno. */
static long send_value(const char *s)
{
	int fd = open(DEV, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, s, strlen(s));
	int e = errno;
	close(fd);
	return n < 0 ? -e : n;
}

static const char *err_str(long rc)
{
	static char buf[4][64];
	static int k;
	char *b = buf[k++ % 4];

	if (rc >= 0)
		snprintf(b, 64, "success (%ld)", rc);
	else
		snprintf(b, 64, "%s", strerror((int)-rc));
	return b;
}

/*
 * A child process that registers for sig and reports. Commands on `cmd`:
 * 'r' reports what its handler saw, 'q' (or EOF) exits.
 */
struct child {
	pid_t pid;
	int cmd, rep;
};

struct report {
	int reg_rc, count, signo, code, value, pid;
};

static int child_start(struct child *c, int sig)
{
	int to[2], from[2];

	if (pipe(to) < 0 || pipe(from) < 0)
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		struct report r = { 0 };
		char cmd;

		close(to[1]);
		close(from[0]);
		reset_got();
		catch_signal(sig);
		int fd = open(DEV, O_RDWR);
		r.reg_rc = fd < 0 ? -errno : reg(fd, sig);
		if (write(from[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		for (;;) {
			ssize_t n = read(to[0], &cmd, 1);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || cmd == 'q')
				_exit(0);
			wait_signals(1);
			r.count = got_count;
			r.signo = got_signo;
			r.code = got_code;
			r.value = got_int;
			r.pid = got_pid;
			if (write(from[1], &r, sizeof(r)) != sizeof(r))
				_exit(1);
		}
	}
	close(to[0]);
	close(from[1]);
	c->cmd = to[1];
	c->rep = from[0];
	return 0;
}

static int child_report(struct child *c, struct report *r)
{
	memset(r, 0, sizeof(*r));
	return read(c->rep, r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

static void child_stop(struct child *c)
{
	if (write(c->cmd, "q", 1) < 0)
		kill(c->pid, SIGKILL);
	close(c->cmd);
	close(c->rep);
	waitpid(c->pid, NULL, 0);
}

/* Objects in use in slab cache `cache` ("pid", "task_struct"), or -1. */
static long slab_objects(const char *cache)
{
	static char buf[1 << 18];
	char path[96];
	size_t len = strlen(cache);

	if (kt_read_file("/proc/slabinfo", buf, sizeof(buf)) > 0) {
		for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
			if (strncmp(l, cache, len) == 0 && l[len] == ' ')
				return strtol(l + len, NULL, 10);
		}
	}
	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/objects", cache);
	if (kt_read_file(path, buf, sizeof(buf)) > 0)
		return strtol(buf, NULL, 10);
	return -1;
}

/*
 * slab_objects() once freed objects have really gone, or once 2 s have
 * passed: struct pid and task_struct are freed after an RCU grace period, and
 * a KASAN kernel keeps freed objects in a quarantine (still counted as in use)
 * until their cache is shrunk. Stops early when the count is within limit of
 * before.
 */
static long slab_objects_settled(const char *cache, long before, long limit)
{
	char path[96];
	long n = -1;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", cache);
	for (int i = 0; i < 20; i++) {
		kt_msleep(100);
		kt_write_file(path, "1");
		n = slab_objects(cache);
		if (before < 0 || n < 0 || n - before < limit)
			break;
	}
	return n;
}

static void test_self(void)
{
	struct stat st;

	kt_check("device_node", stat(DEV, &st) == 0 && S_ISCHR(st.st_mode),
		 "%s: expected a character device, got %s", DEV,
		 stat(DEV, &st) < 0 ? strerror(errno) : "another kind of file");

	catch_signal(SIGUSR1);
	catch_signal(SIGRTMIN + 3);
	int fd = open(DEV, O_RDWR | O_CLOEXEC);
	int rc = fd < 0 ? -errno : reg(fd, SIGUSR1);
	reset_got();
	long w = send_value("7");
	if (w > 0)
		wait_signals(1);
	kt_check("signal_delivered", w == 1 && got_count == 1 && got_signo == SIGUSR1,
		 "registered for SIGUSR1 (%s), wrote \"7\" (%s): expected one SIGUSR1 in the "
		 "handler, got %d signal(s), the last %d", err_str(rc), err_str(w),
		 (int)got_count, got_signo);
	int code1 = got_code, val1 = got_int;
	reset_got();
	long w2 = send_value("-5\n");
	if (w2 > 0)
		wait_signals(1);
	kt_check("si_code_queue", got_count == 1 && code1 == SI_QUEUE && got_code == SI_QUEUE,
		 "expected si_code SI_QUEUE (%d), got %d and %d", SI_QUEUE, code1, got_code);
	kt_check("si_value", val1 == 7 && got_int == -5 && w2 == 3,
		 "wrote \"7\" then \"-5\\n\": expected si_value.sival_int 7 and -5, got %d and "
		 "%d (second write: %s)", val1, got_int, err_str(w2));

	int bad0 = fd < 0 ? -EBADF : reg(fd, 0);
	int bad65 = fd < 0 ? -EBADF : reg(fd, 65);
	int badkill = fd < 0 ? -EBADF : reg(fd, SIGKILL);
	kt_check("invalid_signal", bad0 == -EINVAL && bad65 == -EINVAL && badkill == -EINVAL,
		 "registering signal 0, 65 and SIGKILL: expected %s each, got %s, %s and %s",
		 strerror(EINVAL), err_str(bad0), err_str(bad65), err_str(badkill));

	reset_got();
	long bad = send_value("seven");
	long empty = send_value("");
	kt_check("invalid_value", bad == -EINVAL && empty == -EINVAL && got_count == 0,
		 "writing \"seven\" and \"\": expected %s and no signal, got %s and %s, %d "
		 "signal(s)", strerror(EINVAL), err_str(bad), err_str(empty), (int)got_count);

	/* the same file registers again, for a real-time signal: queued, in order */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 3);
	int rrc = fd < 0 ? -EBADF : reg(fd, SIGRTMIN + 3);
	reset_got();
	sigprocmask(SIG_BLOCK, &set, &old);
	long r1 = send_value("1"), r2 = send_value("2"), r3 = send_value("3");
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r1 > 0)
		wait_signals(3);
	kt_check("rt_signals_queued",
		 rrc == 0 && got_count == 3 && got_signo == SIGRTMIN + 3 && got_values[0] == 1 &&
			 got_values[1] == 2 && got_values[2] == 3,
		 "registered again for SIGRTMIN+3 (%s), wrote 1, 2, 3 (%s, %s, %s) while it was "
		 "blocked: expected 3 signals %d with values 1 2 3, got %d, the last %d, values "
		 "%d %d %d", err_str(rrc), err_str(r1), err_str(r2), err_str(r3), SIGRTMIN + 3,
		 (int)got_count, got_signo, got_values[0], got_values[1], got_values[2]);
	if (fd >= 0)
		close(fd);

	long none = send_value("9");
	kt_check("no_receiver_esrch", none == -ESRCH,
		 "after the registered file was closed, writing \"9\": expected %s, got %s",
		 strerror(ESRCH), err_str(none));
}

static void test_children(void)
{
	struct child c;
	struct report r;

	if (child_start(&c, SIGUSR2) < 0 || child_report(&c, &r) < 0) {
		kt_check("cross_process", 0, "cannot start a child: %s", strerror(errno));
		kt_check("si_pid_writer", 0, "no child");
		kt_check("busy", 0, "no child");
		kt_check("close_unregisters", 0, "no child");
		return;
	}
	int reg_rc = r.reg_rc;
	long w = send_value("1234");
	if (write(c.cmd, "r", 1) < 0 || child_report(&c, &r) < 0)
		memset(&r, 0, sizeof(r));
	kt_check("cross_process",
		 reg_rc == 0 && w == 4 && r.count == 1 && r.signo == SIGUSR2 && r.value == 1234,
		 "child %d registered for SIGUSR2 (%s), the parent wrote \"1234\" (%s): expected "
		 "one SIGUSR2 with value 1234 in the child, got %d signal(s), signal %d, value %d",
		 c.pid, err_str(reg_rc), err_str(w), r.count, r.signo, r.value);
	kt_check("si_pid_writer", r.count == 1 && r.pid == getpid(),
		 "expected si_pid %d (the writer), got %d", getpid(), r.pid);

	int fd = open(DEV, O_RDWR | O_CLOEXEC);
	int busy = fd < 0 ? -errno : reg(fd, SIGUSR1);
	kt_check("busy", busy == -EBUSY,
		 "registering while child %d is registered: expected %s, got %s", c.pid,
		 strerror(EBUSY), err_str(busy));
	if (fd >= 0)
		close(fd);

	child_stop(&c); /* the child exits: its file is closed */
	long gone = send_value("5");
	fd = open(DEV, O_RDWR | O_CLOEXEC);
	int again = fd < 0 ? -errno : reg(fd, SIGUSR1);
	if (fd >= 0)
		close(fd);
	kt_check("close_unregisters", gone == -ESRCH && again == 0,
		 "after the registered child exited: expected a write to fail with %s and a new "
		 "registration to succeed, got %s and %s", strerror(ESRCH), err_str(gone),
		 err_str(again));
}

static void test_leak(void)
{
	long pids = slab_objects("pid"), tasks = slab_objects("task_struct");

	/*
	 * Each child registers, signals itself through the device (ignored) and
	 * exits. vfork: a child that copies no page tables is cheap on a debug
	 * kernel under TCG.
	 */
	for (int i = 0; i < LEAK_CHILDREN; i++) {
		pid_t pid = vfork();
		if (pid == 0) {
			int sig = SIGUSR1;
			signal(SIGUSR1, SIG_IGN); /* this child's own copy: no CLONE_SIGHAND */
			int fd = (int)syscall(SYS_openat, AT_FDCWD, DEV, O_RDWR);
			if (fd >= 0 && syscall(SYS_ioctl, fd, SIGSEND_IOC_REGISTER, &sig) == 0)
				syscall(SYS_write, fd, "1", 1);
			_exit(0); /* exit closes the file */
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	long pids2 = slab_objects_settled("pid", pids, LEAK_CHILDREN / 2);
	long tasks2 = slab_objects_settled("task_struct", tasks, LEAK_CHILDREN / 2);
	if (pids < 0 || pids2 < 0 || tasks < 0 || tasks2 < 0) {
		kt_check("no_pid_leak", 0, "cannot read the pid and task_struct slab caches in "
			 "/proc/slabinfo");
		return;
	}
	kt_check("no_pid_leak", pids2 - pids < LEAK_CHILDREN / 2 && tasks2 - tasks < LEAK_CHILDREN / 2,
		 "%d processes registered, signalled themselves through the device and exited: "
		 "struct pid objects in use went from %ld to %ld, task_struct objects from %ld to "
		 "%ld (a reference from get_pid() or get_pid_task() never put?)", LEAK_CHILDREN,
		 pids, pids2, tasks, tasks2);
}

/* ---- user_buffers: the arguments at the very end of a page, an unmapped page after ---- */

static void test_user_buffers(void)
{
	struct kt_guard gi, gw;
	char why[300] = "";

	if (kt_guard_init(&gi, sizeof(int), KT_GUARD_FENCE) < 0 ||
	    kt_guard_init(&gw, 2, KT_GUARD_FENCE) < 0) {
		kt_check("user_buffers", 0, "cannot map guarded buffers: %s", strerror(errno));
		return;
	}
	catch_signal(SIGUSR1);
	reset_got();
	int sig = SIGUSR1;
	memcpy(gi.buf, &sig, sizeof(sig));
	int fd = open(DEV, O_RDWR | O_CLOEXEC);
	int rc = fd < 0 ? -errno : ioctl(fd, SIGSEND_IOC_REGISTER, gi.buf) < 0 ? -errno : 0;
	long w1 = -EBADF, w2 = -EBADF;
	int got1 = 0, got2 = 0;
	if (rc == 0) {
		memcpy(gw.buf, "42", 2);
		w1 = write(fd, gw.buf, 2) < 0 ? -errno : 2;
		wait_signals(1);
		got1 = got_count == 1 ? got_int : -1;
		reset_got();
		memcpy(gw.buf, "7\n", 2);
		w2 = write(fd, gw.buf, 2) < 0 ? -errno : 2;
		wait_signals(1);
		got2 = got_count == 1 ? got_int : -1;
	}
	if (rc < 0)
		snprintf(why, sizeof(why), "SIGSEND_IOC_REGISTER with the int at the end of a page, "
			 "an unmapped page after it: %s (read only sizeof(int) bytes)", err_str(rc));
	else if (w1 != 2 || w2 != 2)
		snprintf(why, sizeof(why), "writing \"42\" and \"7\\n\" (2 bytes each, the last 2 of a "
			 "page, an unmapped page after them): %s and %s (copy only count bytes)",
			 err_str(w1), err_str(w2));
	else if (got1 != 42 || got2 != 7)
		snprintf(why, sizeof(why), "writing \"42\" and \"7\\n\" at the end of a page: "
			 "expected values 42 and 7, got %d and %d", got1, got2);
	if (fd >= 0)
		close(fd);
	kt_guard_release(&gi);
	kt_guard_release(&gw);
	kt_check("user_buffers", !why[0], "%s", why);
}

/* ---- write_no_memory: every allocation of a write failing in turn ---- */

struct nomem {
	int fd;
	long w;
};

static int nomem_call(void *arg)
{
	struct nomem *a = arg;

	a->w = write(a->fd, "11", 2) < 0 ? -errno : 2;
	return (int)a->w;
}

static int nomem_check(void *arg, int rc, int n, int fired, char *why, size_t len)
{
	(void)arg;
	if (rc == 2 || (fired && (rc == -ENOMEM || rc == -EFAULT || rc == -EAGAIN)))
		return 0;
	snprintf(why, len, "writing \"11\" to the registered receiver (real-time signal), with "
		 "fallible call %d failing%s: expected success, %s, %s or %s, got %s", n,
		 fired ? "" : " (it did not fire)", strerror(ENOMEM), strerror(EFAULT),
		 strerror(EAGAIN), err_str(rc));
	return -1;
}

static void test_no_memory(void)
{
	struct nomem a;
	char why[400];
	int sig = SIGRTMIN + 5;

	catch_signal(sig);
	a.fd = open(DEV, O_RDWR | O_CLOEXEC);
	int rc = a.fd < 0 ? -errno : reg(a.fd, sig);
	if (rc < 0) {
		kt_check("write_no_memory", 0, "registering for SIGRTMIN+5: %s", err_str(rc));
		if (a.fd >= 0)
			close(a.fd);
		return;
	}
	/*
	 * Blocked during the walk: delivering a signal on the way out of write()
	 * copies a frame to the stack, itself a fallible call, and a failed one
	 * kills the receiver (SIGSEGV). Unblocked after, the queued ones arrive.
	 */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, &old);
	int n = kt_fail_walk(nomem_call, nomem_check, &a, 50, why, sizeof(why));
	sigprocmask(SIG_SETMASK, &old, NULL);
	reset_got();
	long w = n > 0 ? send_value("12") : -1;
	if (n > 0)
		wait_signals(1);
	close(a.fd);
	if (n == -ENOSYS)
		kt_skip("write_no_memory", why);
	else if (n <= 0)
		kt_check("write_no_memory", 0, "%s", why);
	else
		kt_check("write_no_memory", w == 2 && got_count == 1 && got_int == 12,
			 "after %d writes with an allocation failing, writing \"12\": expected one "
			 "signal with value 12, got %s and %d signal(s), value %d", n, err_str(w),
			 (int)got_count, got_int);
}

/* ---- writers_at_once: threads and processes writing to one receiver at once ---- */

static volatile long sum_values;	/* what the handler of SIGRTMIN+6 added up */

static void sum_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)uc;
	__atomic_fetch_add(&sum_values, si->si_value.sival_int, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&got_count, 1, __ATOMIC_SEQ_CST);
}

struct hshared {
	long sent, sum;		/* writes that succeeded, and the sum of their values */
	int busy_ok;		/* registrations refused with EBUSY */
};

static int writer(struct kt_hammer *h, int id)
{
	struct hshared *sh = h->shared;
	int fd = open(DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	for (int i = 1; !kt_hammer_over(h); i++) {
		if (id == 5) { /* one process tries to take the registration */
			int rc = reg(fd, SIGUSR2);
			if (rc != -EBUSY) {
				close(fd);
				return kt_hammer_fail(h, -EIO, "registering while another file "
						      "holds the registration: %s, not EBUSY",
						      err_str(rc));
			}
			__atomic_fetch_add(&sh->busy_ok, 1, __ATOMIC_SEQ_CST);
			kt_msleep(1);
			continue;
		}
		char v[16];
		int val = id * 1000 + i % 1000;
		int len = snprintf(v, sizeof(v), "%d", val);
		ssize_t n = write(fd, v, len);
		if (n == len) {
			__atomic_fetch_add(&sh->sent, 1, __ATOMIC_SEQ_CST);
			__atomic_fetch_add(&sh->sum, val, __ATOMIC_SEQ_CST);
		} else if (!(n < 0 && errno == EAGAIN)) { /* a full signal queue may refuse */
			int e = errno;
			close(fd);
			return kt_hammer_fail(h, -EIO, "writing \"%s\": %s", v,
					      n < 0 ? strerror(e) : "short write");
		}
	}
	close(fd);
	return 0;
}

static void test_at_once(void)
{
	struct sigaction sa;
	struct kt_hammer h = { .fn = writer };
	int sig = SIGRTMIN + 6;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sum_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
	reset_got();
	sum_values = 0;
	int fd = open(DEV, O_RDWR | O_CLOEXEC);
	int rc = fd < 0 ? -errno : reg(fd, sig);
	if (rc < 0) {
		kt_check("writers_at_once", 0, "registering for SIGRTMIN+6: %s", err_str(rc));
		if (fd >= 0)
			close(fd);
		return;
	}
	/* the signals go to this process: any of its threads may run the handler */
	rc = kt_hammer_run(&h, 3, 3, 1000);
	struct hshared *sh = h.shared;
	for (int i = 0; i < 100 && got_count < sh->sent; i++)
		kt_msleep(10);
	close(fd);
	kt_check("writers_at_once", rc == 0 && sh->sent > 0 && got_count == sh->sent &&
		 sum_values == sh->sum && sh->busy_ok > 0,
		 "3 threads and 2 processes writing to one receiver, a third process trying to "
		 "register (%d EBUSY), for 1 s: %s; %ld writes succeeded (values adding up to "
		 "%ld), the handler got %d signals adding up to %ld", sh->busy_ok,
		 kt_hammer_why(&h)[0] ? kt_hammer_why(&h) : rc ? "a worker got stuck" : "no error",
		 sh->sent, sh->sum,
		 (int)got_count, sum_values);
	kt_hammer_release(&h);
}

int main(void)
{
	kt_plan(17);
	test_self();
	test_children();
	test_user_buffers();
	test_no_memory();
	test_at_once();
	test_leak();
	int rc = kt_rmmod("sigsend");
	kt_check("clean_unload", rc == 0, "rmmod sigsend: expected success, got %s",
		 strerror(-rc));
	return kt_done();
}
