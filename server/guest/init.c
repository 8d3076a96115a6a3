/*
 * init.c - klab's guest /init: a static program that runs as PID 1 inside the
 * lab VM. It mounts the pseudo filesystems, opens its results channel (the
 * virtio-serial port named klab.0, loading the modules in /klab/channel first
 * on kernels that have virtio as modules), takes the baselines the lab's
 * steps are checked against (tamper.h, leaks.h), says it is ready, and waits
 * for its run. The host saves the VM at that point and starts every run from
 * there.
 *
 * Everything /init reports goes through emit() to the channel, never to the
 * console: the console carries the kernel's log only, and a port has one
 * opener at a time, so a module cannot casually write results. On the channel:
 *
 *	KLAB-BOOTED                      (cold boot only: the boot marker)
 *	KLAB-READY                       (waiting: the snapshot point)
 *	# klab-run: ID                   (the run's header arrived; one run id a run)
 *	# klab-clean: boot=ID modules=0 tmp=0
 *	KTAP version 1
 *	1..N
 *	# klab-step: load:hello
 *	ok 1 load:hello
 *	# klab-step: test:test_basic
 *	    # Subtest: test_basic
 *	    KTAP version 1          (the test program's own KTAP, indented)
 *	    ok 1 param_value
 *	# klab-exit: test_basic status=0        (or signal=N)
 *	ok 2 test_basic
 *	...
 *	# klab-taint: 512 after test:test_basic     (when the kernel taint changed)
 *	# klab-tamper: load:hello: a kprobe on vfs_write   (tamper.h)
 *	# klab-done tainted=N
 *	KLAB-DONE
 *
 * then reboots (QEMU exits). Before KLAB-DONE it writes "klab-sync: ID" to
 * the kernel log, so the host knows it has read the console up to the end.
 *
 * The host sends, on the channel: the header
 *	KLAB-RUN id=ID seed=HEX time=SECONDS.NANOSECONDS
 * (a fresh run id; entropy for the RNG, added with RNDADDENTROPY; the wall
 * clock), then records (see the host's pack.h): KLAB-FILE PATH MODE SIZE and
 * SIZE bytes, KLAB-LINK PATH TARGET, and KLAB-END; during the run, KLAB-LAG MS:
 * how long the VM waited for a host CPU so far (the host's lag.h), which the
 * timeouts here do not count. The records may come while the host still
 * builds the lab's modules (they come last; KLAB-LAG only after KLAB-END), so
 * /init checks its clean start before reading them. /klab/plan, one of the
 * files, says what to do, one directive a line:
 *	kmod PATH             load an in-tree module (kvm, ...)
 *	module PATH [PARAMS]  load a lab module with its parameters
 *	test PATH SECONDS [go]  run a test program with a timeout; go: it waits
 *	                      for KLAB_GO_FD (klab_test.h), so it may start
 *	                      while the modules load
 *	timeout SECONDS       time allowed to load or unload a module
 *	kprobe SYMBOL         a function the lab may probe (read by tamper.c)
 * A step that runs out of time prints "# klab-timeout: STEP"; modules are
 * loaded and unloaded in a child process, so an oops kills the child, not /init.
 * It shares nothing with the host but these formats.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/random.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "tamper.h"

#include "leaks.h"
#include "loader.h"
#include "spawner.h"

#define MAX_STEPS 64
#define MAX_TEST_OUTPUT (1 << 20)

enum step_kind { STEP_KMOD, STEP_MODULE, STEP_TEST };

struct step {
	enum step_kind kind;
	char path[256];
	char name[256];   /* module name or test name */
	char params[512]; /* module parameters */
	int timeout;      /* test timeout in seconds */
	int waits;        /* a test that waits for KLAB_GO_FD (klab_test.h) */
	int loaded;       /* module loaded successfully */
	pid_t pid;        /* a started test: its process, its output, its go pipe */
	int out;
	int go;
};

static struct step steps[MAX_STEPS];
static int nsteps;
static int result_no;
static int step_timeout = 10; /* seconds for loading or unloading a module */
static struct klab_tamper tamper; /* the output path as it was before the lab ran */
static int out_fd = 1;        /* where emit() writes: the channel once open */
static int in_fd = -1;        /* where the run comes from: the channel */
static char run_id[72];       /* the run's id, from its header */
static char chan_mods[8][64]; /* modules loaded for the channel (not the lab's) */
static int nchan_mods;

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void start_early(int last);
static void emit(const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t w = write(out_fd, line + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += w;
	}
}

static void mount_fs(void)
{
	mkdir("/proc", 0755);
	mkdir("/sys", 0755);
	mkdir("/dev", 0755);
	mkdir("/tmp", 01777);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("tmpfs", "/tmp", "tmpfs", 0, NULL);
	mkdir("/sys/kernel/debug", 0755);
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	if (fcntl(1, F_GETFD) < 0) {
		int fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
}

/*
 * The kernel boots quietly (the profiles' loglevel=5: less to push through an
 * emulated UART); from here on the console shows pr_info and up, so that the
 * learner's own messages reach the host ("your module's log").
 */
static void console_verbose(void)
{
	int fd = open("/proc/sys/kernel/printk", O_WRONLY);

	if (fd >= 0) {
		ssize_t w = write(fd, "7", 1);
		(void)w; /* the lab still runs, its log is only shorter */
		close(fd);
	}
}

static long read_taint(void)
{
	char buf[32] = "";
	int fd = open("/proc/sys/kernel/tainted", O_RDONLY);

	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

static void base_name(const char *path, char *out, size_t size, int module)
{
	const char *b = strrchr(path, '/');

	snprintf(out, size, "%s", b ? b + 1 : path);
	if (module) {
		char *dot = strstr(out, ".ko");
		if (dot)
			*dot = '\0';
		for (char *p = out; *p; p++)
			if (*p == '-')
				*p = '_';
	}
}

static int read_plan(void)
{
	static int done;
	FILE *f;
	char line[1024];

	if (done)
		return 0;
	f = fopen("/klab/plan", "r");
	if (!f) {
		emit("# klab-error: no /klab/plan: %s", strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) && nsteps < MAX_STEPS) {
		struct step *s = &steps[nsteps];
		char kind[16], path[256];
		int off = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%15s %255s %n", kind, path, &off) < 2)
			continue;
		memset(s, 0, sizeof(*s));
		snprintf(s->path, sizeof(s->path), "%s", path);
		if (strcmp(kind, "kmod") == 0 || strcmp(kind, "module") == 0) {
			s->kind = kind[0] == 'k' ? STEP_KMOD : STEP_MODULE;
			base_name(path, s->name, sizeof(s->name), 1);
			snprintf(s->params, sizeof(s->params), "%s", off ? line + off : "");
		} else if (strcmp(kind, "timeout") == 0) {
			step_timeout = atoi(path) > 0 ? atoi(path) : 10;
			continue;
		} else if (strcmp(kind, "test") == 0) {
			s->kind = STEP_TEST;
			base_name(path, s->name, sizeof(s->name), 0);
			char flag[8] = "";
			if (!off || sscanf(line + off, "%d %7s", &s->timeout, flag) < 1 ||
			    s->timeout <= 0)
				s->timeout = 10;
			s->waits = strcmp(flag, "go") == 0;
			s->go = -1;
		} else {
			continue;
		}
		nsteps++;
	}
	fclose(f);
	done = 1;
	return 0;
}


/* Channel input, buffered: a system call per byte costs dearly under emulation. */
static char in_buf[4096];
static size_t in_pos, in_len;

/* The next input byte, or -1 at end of input. */
static int in_byte(void)
{
	while (in_pos == in_len) {
		ssize_t r = read(in_fd, in_buf, sizeof(in_buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		in_pos = 0;
		in_len = (size_t)r;
	}
	return (unsigned char)in_buf[in_pos++];
}

/* Reads one line (without '\n') into line; -1 at end of input. */
static int read_line(char *line, size_t size)
{
	size_t n = 0;
	int c;

	while ((c = in_byte()) != '\n') {
		if (c < 0)
			return -1;
		if (c != '\r' && n + 1 < size)
			line[n++] = (char)c;
	}
	line[n] = '\0';
	return (int)n;
}

/*
 * The run's lag: what the host last said with KLAB-LAG, in seconds. Read
 * without blocking from what the channel brought since the run's records.
 */
static double lag_s;
static char lag_line[64];
static size_t lag_n;

static void lag_poll(void)
{
	for (;;) {
		if (in_pos == in_len) {
			struct pollfd p = { .fd = in_fd, .events = POLLIN };
			if (in_fd < 0 || poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
				return;
			ssize_t r = read(in_fd, in_buf, sizeof(in_buf));
			if (r <= 0)
				return;
			in_pos = 0;
			in_len = (size_t)r;
		}
		char c = in_buf[in_pos++];
		if (c != '\n') {
			if (lag_n + 1 < sizeof(lag_line))
				lag_line[lag_n++] = c;
			continue;
		}
		lag_line[lag_n] = '\0';
		lag_n = 0;
		long ms;
		if (sscanf(lag_line, "KLAB-LAG %ld", &ms) != 1 || ms / 1000.0 <= lag_s)
			continue;
		lag_s = ms / 1000.0;
		/* for tests that time the kernel (klab_test.h: kt_lag) */
		int fd = open("/klab/lag.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
		if (fd >= 0) {
			dprintf(fd, "%ld\n", ms);
			close(fd);
			rename("/klab/lag.tmp", "/klab/lag");
		}
	}
}

static double now(void);

/*
 * Seconds that count toward a timeout: the clock less the lag, so that a
 * loaded host slows a step down without making it run out of time.
 */
static double counted(void)
{
	lag_poll();
	return now() - lag_s;
}

/* Copies exactly n input bytes to fd (-1: drops them); -1 if the input ends first. */
static int copy_exact(int fd, size_t n, int *write_failed)
{
	char big[65536];

	while (n) {
		const char *p;
		size_t got;
		if (in_pos < in_len) {
			got = in_len - in_pos < n ? in_len - in_pos : n;
			p = in_buf + in_pos;
			in_pos += got;
		} else {
			ssize_t r = read(in_fd, big, n < sizeof(big) ? n : sizeof(big));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return -1;
			got = (size_t)r;
			p = big;
		}
		for (size_t off = 0; fd >= 0 && off < got;) {
			ssize_t w = write(fd, p + off, got - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				*write_failed = errno ? errno : EIO;
				fd = -1;
				break;
			}
			off += (size_t)w;
		}
		n -= got;
	}
	return 0;
}

/* Only the run's own folders, never a path that climbs out of them. */
static int path_ok(const char *path)
{
	return (strncmp(path, "/klab/", 6) == 0 || strncmp(path, "/bin/", 5) == 0) &&
	       !strstr(path, "..");
}

/* One KLAB-FILE record: its SIZE bytes into PATH. 0, or -1 (reported). */
static int recv_file(const char *line)
{
	char path[256];
	unsigned mode = 0;
	unsigned long size = 0;
	int failed = 0;

	if (sscanf(line, "KLAB-FILE %255s %o %lu", path, &mode, &size) != 3 ||
	    size > (256UL << 20) || !path_ok(path)) {
		emit("# klab-error: bad file record `%.80s`", line);
		return -1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 0777);
	if (fd < 0)
		failed = errno;
	int rc = copy_exact(fd, size, &failed);
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		emit("# klab-error: %s: the channel ended early", path);
		return -1;
	}
	if (failed) {
		emit("# klab-error: cannot write %s: %s", path, strerror(failed));
		return -1;
	}
	return 0;
}

/* Takes the run's records until KLAB-END. 0, or -1 (reported). */
static int recv_records(void)
{
	char line[512], path[256], target[256];

	for (;;) {
		if (read_line(line, sizeof(line)) < 0) {
			emit("# klab-error: the channel ended before KLAB-END");
			return -1;
		}
		if (strcmp(line, "KLAB-END") == 0)
			return 0;
		if (strncmp(line, "KLAB-FILE ", 10) == 0) {
			if (recv_file(line) < 0)
				return -1;
			/* the plan comes before the modules the host may still build */
			if (strncmp(line + 10, "/klab/plan ", 11) == 0)
				read_plan();
			if (nsteps)
				start_early(0);
		} else if (sscanf(line, "KLAB-LINK %255s %255s", path, target) == 2 &&
			   path_ok(path) && !strstr(target, "..")) {
			if (symlink(target, path) < 0 && errno != EEXIST)
				emit("# klab-error: cannot link %s: %s", path, strerror(errno));
		} else {
			emit("# klab-error: expected a record, got `%.80s`", line);
			return -1;
		}
	}
}

/* Mixes n (at most 64) bytes into the RNG, credits them and reseeds at once. */
static void add_entropy_bytes(const unsigned char *bytes, size_t n)
{
	struct {
		struct rand_pool_info info;
		unsigned char room[64]; /* for info.buf, its flexible array */
	} pool;

	memset(&pool, 0, sizeof(pool));
	if (n > sizeof(pool.room))
		n = sizeof(pool.room);
	memcpy(pool.info.buf, bytes, n);
	pool.info.entropy_count = (int)n * 8;
	pool.info.buf_size = (int)n;
	int fd = open("/dev/urandom", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, RNDADDENTROPY, &pool.info) < 0 || ioctl(fd, RNDRESEEDCRNG) < 0)
		emit("# klab-error: cannot seed the RNG: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * Mixes the host's seed (hex) into the RNG: runs restored from one snapshot
 * must not draw the same random numbers.
 */
static void add_entropy(const char *hex)
{
	unsigned char bytes[64];
	size_t n = 0;
	unsigned byte;

	while (n < sizeof(bytes) && sscanf(hex + 2 * n, "%2x", &byte) == 1)
		bytes[n++] = (unsigned char)byte;
	add_entropy_bytes(bytes, n);
}

/*
 * Makes the RNG ready before the snapshot. What makes runs differ is the
 * host's seed in each run's header (add_entropy); this only moves the RNG's
 * first readiness out of every run: the "crng init done" line and the
 * static key it flips, code patched on both vCPUs, cost each run 20-40 ms of
 * a restored guest. The bytes (boot id and clocks) are no secret; crediting
 * them is wrong only for a guest whose randomness matters before its run.
 */
static void ready_rng(void)
{
	unsigned char bytes[32] = { 0 };
	struct timespec mono, real;
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		ssize_t got = read(fd, bytes, 16);
		(void)got; /* whatever it gave: not a secret either way */
		close(fd);
	}
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	memcpy(bytes + 16, &mono.tv_nsec, 8);
	memcpy(bytes + 24, &real.tv_nsec, 8);
	add_entropy_bytes(bytes, sizeof(bytes)); /* 256 bits credited: the RNG is ready */
}

/*
 * Waits for the run's header (the VM may have been saved and restored while
 * waiting), starts the run pristine: its id, fresh entropy, the wall clock.
 */
static int recv_header(void)
{
	char line[512], seed[160];
	long long sec = 0;
	long nsec = 0;

	if (read_line(line, sizeof(line)) < 0) {
		emit("# klab-error: the channel ended before the run's header");
		return -1;
	}
	if (sscanf(line, "KLAB-RUN id=%71s seed=%159s time=%lld.%ld", run_id, seed, &sec,
		   &nsec) != 4) {
		emit("# klab-error: expected the run's header, got `%.80s`", line);
		return -1;
	}
	emit("# klab-run: %s", run_id);
	add_entropy(seed);
	struct timespec ts = { .tv_sec = (time_t)sec, .tv_nsec = nsec };
	if (clock_settime(CLOCK_REALTIME, &ts) < 0)
		emit("# klab-error: cannot set the clock: %s", strerror(errno));
	return 0;
}

/*
 * Reports how a step's call ended: killed by signal sig, or returned errno
 * e (0: done). 0 on success, -1 on failure (reported).
 */
static int step_end(struct step *s, const char *what, int sig, int e)
{
	if (sig) {
		emit("# %s:%s: killed by signal %d (%s): see the kernel report", what, s->name, sig,
		     strsignal(sig));
		return -1;
	}
	if (e) {
		emit("# %s:%s: %s failed: %s (%d)", what, s->name,
		     what[0] == 'l' ? "init_module" : "delete_module", strerror(e), -e);
		return -1;
	}
	return 0;
}

static void step_timed_out(struct step *s, const char *what, int timeout)
{
	emit("# %s:%s: did not return within %d s", what, s->name, timeout);
	emit("# klab-timeout: %s:%s", what, s->name);
}

/*
 * Runs fn(s) in a child process with a timeout, so that an oops in a module's
 * init or exit function kills the child, not PID 1, and a function that never
 * returns does not stop the run. The child's exit status is fn's result (an
 * errno, 0 for success). Returns 0 on success, -1 on failure (reported).
 */
static int in_child(struct step *s, const char *what, int (*fn)(struct step *), int timeout)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(s));
	if (pid < 0) {
		emit("# %s:%s: fork: %s", what, s->name, strerror(errno));
		return -1;
	}
	double deadline = counted() + timeout;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (counted() > deadline) {
			step_timed_out(s, what, timeout);
			return -1;
		}
		usleep(2000); /* a load or unload takes 20-100 ms: 10 ms steps lost 5 ms a step */
	}
	return step_end(s, what, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
			WIFSIGNALED(status) ? 0 : WEXITSTATUS(status));
}

/*
 * The same in the loader (loader.h), forked before the snapshot: no fork
 * now. 0 or -1 as in_child(); -2 when there is no loader to ask (fork).
 */
static int in_loader(struct step *s, const char *what, int timeout)
{
	int load = what[0] == 'l', status = 0;

	if (loader_send(load ? 'l' : 'u', load ? s->path : s->name, load ? s->params : "") < 0)
		return -2;
	double deadline = counted() + timeout;
	for (;;) {
		double left = deadline - counted();
		if (left <= 0) {
			loader_abandon(); /* stuck in the call: steps fork from now on */
			step_timed_out(s, what, timeout);
			return -1;
		}
		struct pollfd p = { .fd = loader_fd(), .events = POLLIN };
		/* at most 0.5 s at a time: the host's lag may grow meanwhile */
		if (poll(&p, 1, left > 0.5 ? 500 : (int)(left * 1000) + 1) > 0)
			break;
	}
	int e = loader_result(&status);
	if (e >= 0)
		return step_end(s, what, 0, e);
	if (status != -1 && WIFSIGNALED(status))
		return step_end(s, what, WTERMSIG(status), 0);
	if (status == -1)
		emit("# %s:%s: the loader ended without an answer, and did not exit", what,
		     s->name);
	else
		emit("# %s:%s: the loader exited with status %d without an answer", what, s->name,
		     WEXITSTATUS(status));
	return -1;
}

/* A load or unload step: in the loader, or in a child of its own. */
static int run_step(struct step *s, const char *what, int (*fn)(struct step *))
{
	int rc = in_loader(s, what, step_timeout);

	return rc != -2 ? rc : in_child(s, what, fn, step_timeout);
}

static int do_load(struct step *s)
{
	return loader_call('l', s->path, s->params);
}

static int do_unload(struct step *s)
{
	return loader_call('u', s->name, NULL);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Relays complete lines of buf (len bytes) indented; returns bytes consumed. */
static size_t relay_lines(char *buf, size_t len, int flush_all)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		buf[i] = '\0';
		emit("    %s", buf + start);
		start = i + 1;
	}
	if (flush_all && start < len) {
		buf[len] = '\0';
		emit("    %s", buf + start);
		start = len;
	}
	return start;
}

/* Starts s's program now, its output on a pipe. 0, or -1 (reported). */
static int test_start(struct step *s)
{
	int pfd[2];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		emit("# %s: pipe: %s", s->name, strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP); /* its own group */
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawn_file_actions_addchdir_np(&fa, SPAWNER_DIR);
	char *argv[] = { s->path, NULL };
	char *envp[] = { SPAWNER_ENV_PATH, SPAWNER_ENV_HOME, NULL };
	int e = posix_spawn(&pid, s->path, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(pfd[1]);
	if (e) {
		emit("# %s: cannot run %s: %s", s->name, s->path, strerror(e));
		close(pfd[0]);
		return -1;
	}
	s->pid = pid;
	s->out = pfd[0];
	s->go = -1;
	return 0;
}

/*
 * Once the plan and the first test program are in: the spawner (spawner.h)
 * becomes that program if it waits for its go (klab_test.h), so that its
 * start overlaps the build and the loads; otherwise the spawner ends. Only
 * the first test: a later one would start beside the one before it. last:
 * every record is in, so a spawner still waiting ends.
 */
static void start_early(int last)
{
	struct step *s = NULL;

	for (int i = 0; i < nsteps && !s; i++)
		if (steps[i].kind == STEP_TEST)
			s = &steps[i];
	if (!spawner_waiting())
		return;
	if (!s || !s->waits || (last && access(s->path, X_OK) != 0)) {
		spawner_stop();
		return;
	}
	if (access(s->path, X_OK) != 0)
		return; /* not in yet: after the next record */
	if (spawner_exec(s->path, &s->pid, &s->out, &s->go) < 0)
		s->pid = 0; /* it starts the plain way */
}

/* A test started early that will not run (a module failed to load). */
static void test_cancel(struct step *s)
{
	if (!s->pid)
		return;
	kill(-s->pid, SIGKILL);
	close(s->out);
	close(s->go);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
}

/*
 * Runs s's program (started early by the spawner, then told to go; or now):
 * relays its output until it exits, with its timeout counted from here. 0
 * when it passed.
 */
static int run_test(struct step *s)
{
	char buf[4096 + 1];
	size_t len = 0, total = 0;
	int status = 0, timed_out = 0, flooded = 0;

	emit("    # Subtest: %s", s->name);
	if (!s->pid && test_start(s) < 0)
		return -1;
	pid_t pid = s->pid;
	int out = s->out;
	if (s->go >= 0) {
		ssize_t w = write(s->go, "g", 1);
		(void)w; /* a program that died meanwhile: its status says so */
		close(s->go);
		s->go = -1;
	}
	s->pid = 0;
	double deadline = counted() + s->timeout;
	for (;;) {
		double left = deadline - counted();
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		if (left > 0.5)
			left = 0.5; /* the lag may grow meanwhile */
		struct pollfd p = { .fd = out, .events = POLLIN };
		int r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		ssize_t n = read(out, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
		total += n;
		size_t used = relay_lines(buf, len, len == sizeof(buf) - 1);
		memmove(buf, buf + used, len - used);
		len -= used;
		if (total > MAX_TEST_OUTPUT) {
			flooded = 1;
			break;
		}
	}
	if (len)
		relay_lines(buf, len, 1);
	if (timed_out || flooded)
		kill(-pid, SIGKILL);
	close(out);
	waitpid(pid, &status, 0);
	kill(-pid, SIGKILL); /* anything the test left behind */
	emit("# klab-exit: %s %s=%d", s->name, WIFSIGNALED(status) ? "signal" : "status",
	     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	if (timed_out) {
		emit("# %s: timed out after %d s (killed)", s->name, s->timeout);
		emit("# klab-timeout: test:%s", s->name);
		return -1;
	}
	if (flooded) {
		emit("# %s: printed more than %d bytes (killed)", s->name, MAX_TEST_OUTPUT);
		return -1;
	}
	if (WIFSIGNALED(status)) {
		emit("# %s: killed by signal %d (%s)", s->name, WTERMSIG(status),
		     strsignal(WTERMSIG(status)));
		return -1;
	}
	if (WEXITSTATUS(status) != 0) {
		emit("# %s: exited with status %d", s->name, WEXITSTATUS(status));
		return -1;
	}
	return 0;
}

static void result(int ok, const char *prefix, const char *name, const char *directive)
{
	emit("%s %d %s%s%s", ok ? "ok" : "not ok", ++result_no, prefix, name,
	     directive ? directive : "");
}

/*
 * The "# klab-clean:" line: the boot id, the lines in /proc/modules and the
 * entries in /tmp (both 0 on a clean kernel), as they are now, into out.
 * Taken before the snapshot, and sent once a run's header is in: a restored
 * run starts from exactly the state the snapshot saved, so the line is true
 * of it, without the 50-90 ms of reading these after each restore.
 */
static void clean_line(char *out, size_t size)
{
	char id[64] = "unknown", line[512];
	int modules = 0, files = 0;
	FILE *f = fopen("/proc/modules", "r");

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			int ours = 0;
			for (int i = 0; i < nchan_mods; i++)
				ours |= strncmp(line, chan_mods[i], strlen(chan_mods[i])) == 0 &&
					line[strlen(chan_mods[i])] == ' ';
			modules += !ours;
		}
		fclose(f);
	}
	DIR *d = opendir("/tmp");
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			files += de->d_name[0] != '.';
		closedir(d);
	}
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, id, sizeof(id) - 1);
		id[n > 0 ? n : 0] = '\0';
		id[strcspn(id, "\n")] = '\0';
		close(fd);
	}
	snprintf(out, size, "# klab-clean: boot=%s modules=%d tmp=%d", id, modules, files);
}

/* What the kernel's taint became since the last look. */
static void check_taint(long *taint, const char *what, const char *name)
{
	long t = read_taint();

	if (t != *taint) {
		emit("# klab-taint: %ld after %s%s", t, what, name);
		*taint = t;
	}
}

/* After each step of the lab: its taint, and tampering (tamper.h). */
static void check_step(long *taint, const char *what, const char *name)
{
	check_taint(taint, what, name);
	klab_tamper_check(&tamper, what, name);
}

/* Loads the modules the channel needs (/klab/channel: none when built in). */
static void load_channel_modules(void)
{
	FILE *f = fopen("/klab/channel", "r");
	char path[256];

	if (!f)
		return;
	while (fgets(path, sizeof(path), f)) {
		path[strcspn(path, "\n")] = '\0';
		int e = loader_call('l', path, "");
		if (e)
			dprintf(2, "klab-init: cannot load %s: %s\n", path, strerror(e));
		if (nchan_mods < 8)
			base_name(path, chan_mods[nchan_mods++], sizeof(chan_mods[0]), 1);
	}
	fclose(f);
}

/* The /dev node of the virtio port named klab.0, once the driver has added it. */
static int find_port(char *dev, size_t size)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *de;
	int found = 0;

	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		char path[300], name[64] = "";
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", de->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, name, sizeof(name) - 1);
		close(fd);
		name[n > 0 ? n : 0] = '\0';
		if (strcmp(name, "klab.0\n") == 0 || strcmp(name, "klab.0") == 0) {
			snprintf(dev, size, "/dev/%s", de->d_name);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

/*
 * Opens the results channel (close-on-exec: no test program inherits it) and
 * makes it where emit() writes. 0, or -1 with the reason on the console.
 */
static int open_channel(void)
{
	char dev[300];
	double deadline = now() + 10;

	load_channel_modules();
	while (!find_port(dev, sizeof(dev))) {
		if (now() > deadline) {
			dprintf(2, "klab-init: no virtio port named klab.0: is the kernel built with "
				   "VIRTIO_CONSOLE and VIRTIO_MMIO?\n");
			return -1;
		}
		usleep(5000);
	}
	int fd = -1;
	while ((fd = open(dev, O_RDWR | O_CLOEXEC)) < 0 && now() < deadline)
		usleep(5000); /* devtmpfs may not have the node yet */
	if (fd < 0) {
		dprintf(2, "klab-init: cannot open %s: %s\n", dev, strerror(errno));
		return -1;
	}
	in_fd = out_fd = fd;
	return 0;
}

/*
 * Writes "klab-sync: ID" to the kernel log: when the host reads it on the
 * console, it has every kernel message of the run.
 */
static void sync_console(void)
{
	char line[128];
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	int n = snprintf(line, sizeof(line), "<4>klab-sync: %s\n", run_id);

	if (fd < 0 || write(fd, line, (size_t)n) != n)
		emit("# klab-error: cannot write to /dev/kmsg: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	long taint;
	int modules_ok = 1;
	int total = 0, modules = 0, unloaded = 0;
	char clean[512];

	mount_fs();
	if (open_channel() < 0)
		goto out_off;
	console_verbose();
	emit("KLAB-BOOTED");
	ready_rng();
	/*
	 * The baselines: the output path as it is now (tamper.h), the moment
	 * leaks count from (leaks.h) and the clean start (clean_line). The
	 * snapshot keeps them, and no lab code can run before its modules load,
	 * after the restore. So do the helpers forked here, which spare a
	 * restored run its first forks (spawner.h, loader.h).
	 */
	klab_tamper_baseline(&tamper, "", emit);
	leaks_start();
	clean_line(clean, sizeof(clean));
	spawner_start(); /* without it, tests start the plain way */
	loader_start();  /* without it, each load and unload forks */
	emit("KLAB-READY");
	if (recv_header() < 0)
		goto out;
	/* before the records: the host sends the lab's modules once they are built */
	emit("%s", clean);
	if (recv_records() < 0)
		goto out;
	/* after them: what the kernel did while the guest waited is not a step's */
	taint = read_taint();
	if (read_plan() < 0)
		goto out;
	for (int i = 0; i < nsteps; i++) {
		total += steps[i].kind == STEP_MODULE ? 2 : 1;
		modules += steps[i].kind == STEP_MODULE;
	}
	emit("KTAP version 1");
	emit("1..%d", total);
	start_early(1);
	for (int i = 0; i < nsteps; i++) {
		struct step *s = &steps[i];

		if (s->kind == STEP_TEST)
			continue;
		emit("# klab-step: load:%s", s->name);
		int ok = run_step(s, "load", do_load) == 0;
		if (ok && s->kind == STEP_MODULE)
			leaks_module_loaded(s->name);
		s->loaded = ok;
		modules_ok &= ok;
		result(ok, "load:", s->name, NULL);
		check_step(&taint, "load:", s->name);
	}
	for (int i = 0; i < nsteps; i++) {
		struct step *s = &steps[i];

		if (s->kind != STEP_TEST)
			continue;
		if (!modules_ok) {
			test_cancel(s);
			result(1, "", s->name, " # SKIP a module failed to load");
			continue;
		}
		emit("# klab-step: test:%s", s->name);
		result(run_test(s) == 0, "", s->name, NULL);
		check_step(&taint, "test:", s->name);
	}
	for (int i = nsteps - 1; i >= 0; i--) {
		struct step *s = &steps[i];

		if (s->kind != STEP_MODULE)
			continue;
		emit("# klab-step: unload:%s", s->name);
		if (!s->loaded) {
			result(1, "unload:", s->name, " # SKIP not loaded");
			continue;
		}
		if (read_taint() & 128) {
			/* after an oops, locks may be held forever: unloading would only hang */
			result(1, "unload:", s->name, " # SKIP the kernel oopsed");
			continue;
		}
		int ok = run_step(s, "unload", do_unload) == 0;
		unloaded += ok;
		result(ok, "unload:", s->name, NULL);
		check_step(&taint, "unload:", s->name);
	}
	if (unloaded == modules)
		leaks_scan(); /* what the unloaded modules left allocated: on the console */
	/* only klab's leak scan ran since the last step's tamper check */
	check_taint(&taint, "leak check", "");
out:
	taint = read_taint();
	sync_console();
	emit("# klab-done tainted=%ld", taint);
	emit("KLAB-DONE");
out_off:
	sync();
	/* a kernel without ACPI halts on power-off; reboot=t and -no-reboot end QEMU */
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}
