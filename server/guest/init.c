/*
 * init.c - klab's guest /init: a static program that runs as PID 1 inside the
 * lab VM. It mounts the pseudo filesystems, prints the boot marker, loads the
 * in-tree and lab modules, runs each guest test program with its own timeout,
 * unloads the lab modules, and prints everything as KTAP on the console:
 *
 *	KLAB-BOOTED
 *	KTAP version 1
 *	1..N
 *	# klab-step: load:hello
 *	ok 1 load:hello
 *	# klab-step: test:test_basic
 *	    # Subtest: test_basic
 *	    KTAP version 1          (the test program's own KTAP, indented)
 *	    ok 1 param_value
 *	ok 2 test_basic
 *	...
 *	# klab-taint: 512 after test:test_basic     (when the kernel taint changed)
 *	KLAB-DONE
 *
 * then powers the VM off. /klab/plan says what to do, one directive a line:
 *	kmod PATH             load an in-tree module (kvm, ...)
 *	module PATH [PARAMS]  load a lab module with its parameters
 *	test PATH SECONDS     run a test program with a timeout
 *	timeout SECONDS       time allowed to load or unload a module
 *	recv N                receive N files on the console before the plan runs:
 *	                      /init prints KLAB-READY, the host sends, per file,
 *	                      "KLAB-FILE PATH SIZE ZSIZE" and ZSIZE bytes of zlib data
 *	                      (so the VM boots while the host still compiles)
 * A step that runs out of time prints "# klab-timeout: STEP"; modules are
 * loaded and unloaded in a child process, so an oops kills the child, not /init.
 * It shares nothing with the host but this format.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "leaks.h"

#define MAX_STEPS 64
#define MAX_TEST_OUTPUT (1 << 20)

enum step_kind { STEP_KMOD, STEP_MODULE, STEP_TEST };

struct step {
	enum step_kind kind;
	char path[256];
	char name[256];   /* module name or test name */
	char params[512]; /* module parameters */
	int timeout;      /* test timeout in seconds */
	int loaded;       /* module loaded successfully */
};

static struct step steps[MAX_STEPS];
static int nsteps;
static int result_no;
static int step_timeout = 10; /* seconds for loading or unloading a module */
static int recv_files;        /* files to receive on the console first */

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
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
		ssize_t w = write(1, line + off, n - off);
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
	FILE *f = fopen("/klab/plan", "r");
	char line[1024];

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
		} else if (strcmp(kind, "recv") == 0) {
			recv_files = atoi(path);
			continue;
		} else if (strcmp(kind, "timeout") == 0) {
			step_timeout = atoi(path) > 0 ? atoi(path) : 10;
			continue;
		} else if (strcmp(kind, "test") == 0) {
			s->kind = STEP_TEST;
			base_name(path, s->name, sizeof(s->name), 0);
			s->timeout = off ? atoi(line + off) : 10;
			if (s->timeout <= 0)
				s->timeout = 10;
		} else {
			continue;
		}
		nsteps++;
	}
	fclose(f);
	return 0;
}


/* Console input, buffered: a system call per byte costs dearly under emulation. */
static char in_buf[4096];
static size_t in_pos, in_len;

/* The next input byte, or -1 at end of input. */
static int in_byte(void)
{
	while (in_pos == in_len) {
		ssize_t r = read(0, in_buf, sizeof(in_buf));
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

/* Reads exactly n bytes into p; -1 if the input ends first. */
static int read_exact(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = in_byte();
		if (c < 0)
			return -1;
		p[i] = (unsigned char)c;
	}
	return 0;
}

/*
 * Receives one file: a line "KLAB-FILE PATH SIZE ZSIZE", then ZSIZE bytes of
 * zlib data that inflate to SIZE bytes. 0, or -1 (reported).
 */
static int recv_one(void)
{
	char line[512], path[256];
	unsigned long size = 0, zsize = 0;
	unsigned char *z = NULL, *data = NULL;
	int rc = -1;

	if (read_line(line, sizeof(line)) < 0 ||
	    sscanf(line, "KLAB-FILE %255s %lu %lu", path, &size, &zsize) != 3 ||
	    size > (64UL << 20) || zsize > (64UL << 20) || strncmp(path, "/klab/", 6) != 0 ||
	    strstr(path, "..")) {
		emit("# klab-error: expected a KLAB-FILE header, got `%.80s`", line);
		return -1;
	}
	z = malloc(zsize ? zsize : 1);
	data = malloc(size ? size : 1);
	if (!z || !data) {
		emit("# klab-error: %s: out of memory", path);
		goto out;
	}
	if (read_exact(z, zsize) < 0) {
		emit("# klab-error: %s: input ended early", path);
		goto out;
	}
	uLongf got = size;
	if (uncompress(data, &got, z, zsize) != Z_OK || got != size) {
		emit("# klab-error: %s: corrupt data (%lu of %lu bytes)", path, (unsigned long)got,
		     size);
		goto out;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (fd < 0) {
		emit("# klab-error: cannot create %s: %s", path, strerror(errno));
		goto out;
	}
	if (write(fd, data, size) != (ssize_t)size)
		emit("# klab-error: cannot write %s: %s", path, strerror(errno));
	else
		rc = 0;
	close(fd);
out:
	free(z);
	free(data);
	return rc;
}

/* Takes the plan's files from the console, in raw mode so nothing is echoed. */
static void recv_all(void)
{
	struct termios saved, raw;
	int have_tty = tcgetattr(0, &saved) == 0;

	if (have_tty) {
		raw = saved;
		cfmakeraw(&raw);
		raw.c_oflag |= OPOST | ONLCR;
		tcsetattr(0, TCSANOW, &raw);
	}
	emit("KLAB-READY");
	for (int i = 0; i < recv_files; i++)
		if (recv_one() < 0)
			break;
	if (have_tty)
		tcsetattr(0, TCSANOW, &saved);
}

static double now(void);

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
	double deadline = now() + timeout;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (now() > deadline) {
			emit("# %s:%s: did not return within %d s", what, s->name, timeout);
			emit("# klab-timeout: %s:%s", what, s->name);
			return -1;
		}
		usleep(10000);
	}
	if (WIFSIGNALED(status)) {
		emit("# %s:%s: killed by signal %d (%s): see the kernel report", what, s->name,
		     WTERMSIG(status), strsignal(WTERMSIG(status)));
		return -1;
	}
	int e = WEXITSTATUS(status);
	if (e) {
		emit("# %s:%s: %s failed: %s (%d)", what, s->name,
		     what[0] == 'l' ? "init_module" : "delete_module", strerror(e), -e);
		return -1;
	}
	return 0;
}

static int do_load(struct step *s)
{
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	long rc = syscall(SYS_finit_module, fd, s->params, 0);
	return rc < 0 && errno != EEXIST ? errno : 0;
}

static int do_unload(struct step *s)
{
	long rc = syscall(SYS_delete_module, s->name, O_NONBLOCK);

	return rc < 0 && errno != ENOENT ? errno : 0;
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

static int run_test(struct step *s)
{
	int pfd[2];
	char buf[4096 + 1];
	size_t len = 0, total = 0;
	int status = 0, timed_out = 0, flooded = 0;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		emit("# %s: pipe: %s", s->name, strerror(errno));
		return -1;
	}
	emit("    # Subtest: %s", s->name);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		if (chdir("/tmp") < 0)
			_exit(127);
		char *argv[] = { s->path, NULL };
		char *envp[] = { "PATH=/klab/bin:/bin:/sbin", "HOME=/tmp", NULL };
		execve(s->path, argv, envp);
		dprintf(1, "# %s: cannot run %s: %s\n", s->name, s->path, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		emit("# %s: fork: %s", s->name, strerror(errno));
		return -1;
	}
	setpgid(pid, pid);
	double deadline = now() + s->timeout;
	for (;;) {
		double left = deadline - now();
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int r = poll(&p, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		ssize_t n = read(pfd[0], buf + len, sizeof(buf) - 1 - len);
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
	close(pfd[0]);
	waitpid(pid, &status, 0);
	kill(-pid, SIGKILL); /* anything the test left behind */
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

/* Lines in /proc/modules and entries in /tmp: both 0 on a clean kernel. */
static void report_clean(void)
{
	char id[64] = "unknown", line[512];
	int modules = 0, files = 0;
	FILE *f = fopen("/proc/modules", "r");

	if (f) {
		while (fgets(line, sizeof(line), f))
			modules++;
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
	emit("# klab-clean: boot=%s modules=%d tmp=%d", id, modules, files);
}

static void check_taint(long *taint, const char *what, const char *name)
{
	long t = read_taint();

	if (t != *taint) {
		emit("# klab-taint: %ld after %s%s", t, what, name);
		*taint = t;
	}
}

int main(void)
{
	long taint;
	int modules_ok = 1;
	int total = 0, modules = 0, unloaded = 0;

	mount_fs();
	emit("KLAB-BOOTED");
	report_clean();
	taint = read_taint();
	if (read_plan() < 0)
		goto out;
	if (recv_files)
		recv_all();
	for (int i = 0; i < nsteps; i++) {
		total += steps[i].kind == STEP_MODULE ? 2 : 1;
		modules += steps[i].kind == STEP_MODULE;
	}
	emit("KTAP version 1");
	emit("1..%d", total);
	for (int i = 0; i < nsteps; i++) {
		struct step *s = &steps[i];

		if (s->kind == STEP_TEST)
			continue;
		emit("# klab-step: load:%s", s->name);
		if (s->kind == STEP_MODULE)
			leaks_start();
		int ok = in_child(s, "load", do_load, step_timeout) == 0;
		if (ok && s->kind == STEP_MODULE)
			leaks_module_loaded(s->name);
		s->loaded = ok;
		modules_ok &= ok;
		result(ok, "load:", s->name, NULL);
		check_taint(&taint, "load:", s->name);
	}
	for (int i = 0; i < nsteps; i++) {
		struct step *s = &steps[i];

		if (s->kind != STEP_TEST)
			continue;
		if (!modules_ok) {
			result(1, "", s->name, " # SKIP a module failed to load");
			continue;
		}
		emit("# klab-step: test:%s", s->name);
		result(run_test(s) == 0, "", s->name, NULL);
		check_taint(&taint, "test:", s->name);
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
		int ok = in_child(s, "unload", do_unload, step_timeout) == 0;
		unloaded += ok;
		result(ok, "unload:", s->name, NULL);
		check_taint(&taint, "unload:", s->name);
	}
	if (unloaded == modules)
		leaks_scan(); /* what the unloaded modules left allocated: on the console */
	check_taint(&taint, "leak check", "");
out:
	emit("# klab-done tainted=%ld", taint);
	emit("KLAB-DONE");
	sync();
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}
