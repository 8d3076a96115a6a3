/*
 * test_kpoke.c - guest tests of lab processes-02. /init loaded kpoke.ko; this
 * program starts the thread through /proc/kpoke, finds it in /proc, checks that
 * it sleeps, pokes it and counts, stops and restarts it, and unloads the module
 * while it runs. It also sends edge cases (`stop` with nothing running, a
 * 16-byte command), fails the allocations of `start` one by one (fault
 * injection), and has threads and processes send commands at once. Every
 * command that could block for ever runs in a child with a deadline, so a
 * thread that never stops cannot hang the test.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "klab_test.h"

#define CTL "/proc/kpoke"
#define KO "/klab/modules/kpoke.ko"

static int write_ctl(const void *cmd)
{
	return kt_write_file(CTL, cmd);
}

/*
 * Writes cmd to CTL in a child: 0 or -errno, -ETIMEDOUT when it has not
 * returned within ms (the child is left behind, stuck in the kernel).
 */
static int command(const char *cmd, int ms)
{
	return kt_within(write_ctl, cmd, ms);
}

/* Unloads kpoke in a child with a deadline: 0, -errno or -ETIMEDOUT. */
static int unload(int ms)
{
	return kt_rmmod_within("kpoke", ms);
}

static const char *err_name(int rc)
{
	return rc == 0 ? "success" : rc == -ETIMEDOUT ? "no return within the deadline"
						       : strerror(-rc);
}

/* Parses CTL: 0, or -errno; running and wakeups are -1 when absent. */
static int status(int *running, int *wakeups)
{
	char buf[256];
	int n = kt_read_file(CTL, buf, sizeof(buf));

	*running = *wakeups = -1;
	if (n < 0)
		return n;
	char *r = strstr(buf, "running "), *w = strstr(buf, "wakeups ");
	if (r)
		*running = atoi(r + 8);
	if (w)
		*wakeups = atoi(w + 8);
	return 0;
}

static int wakeups(void)
{
	int r, w;

	status(&r, &w);
	return w;
}

struct kthread {
	int pid, ppid;
	char state;
};

/* Finds the tasks named "kpoke": how many, the first in *t. */
static int find_kpoke(struct kthread *t)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[64], buf[512], comm[64];
		int pid = atoi(de->d_name);
		struct kthread k;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if (kt_read_file(path, buf, sizeof(buf)) < 0)
			continue;
		if (sscanf(buf, "%d (%63[^)]) %c %d", &k.pid, comm, &k.state, &k.ppid) != 4 ||
		    strcmp(comm, "kpoke") != 0)
			continue;
		if (n++ == 0 && t)
			*t = k;
	}
	closedir(d);
	return n;
}

/* Waits up to ms for the number of kpoke tasks to become want; returns that number. */
static int wait_kpoke(int want, int ms, struct kthread *t)
{
	int n = find_kpoke(t);

	for (double end = kt_clock() + ms / 1000.0; n != want && kt_clock() < end;
	     n = find_kpoke(t))
		kt_msleep(10);
	return n;
}

static char thread_state(int pid)
{
	char path[64], buf[512], comm[64], state = '?';
	int p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (kt_read_file(path, buf, sizeof(buf)) >= 0)
		sscanf(buf, "%d (%63[^)]) %c", &p, comm, &state);
	return state;
}

/* One write of "start" in this thread (fault injection is per thread). */
static int start_here(void *arg)
{
	(void)arg;
	return kt_write_file(CTL, "start");
}

/* After "start" with its nth fallible call failed: all or nothing, then back to stopped. */
static int check_start(void *arg, int rc, int nth, int fired, char *why, size_t len)
{
	int running, woken;
	int n = wait_kpoke(rc == 0 ? 1 : 0, 1000, NULL);

	(void)arg;
	status(&running, &woken);
	if (!fired && rc < 0) {
		snprintf(why, len, "\"start\" with no failure injected: %s", err_name(rc));
		return -1;
	}
	if (rc == 0 && (n != 1 || running != 1)) {
		snprintf(why, len, "\"start\" with its call %d failing (%s) returned success, "
			 "but there are %d kpoke threads and \"running %d\": was the result of "
			 "creating the thread checked?", nth, fired ? "an allocation or copy" : "none",
			 n, running);
		return -1;
	}
	if (rc < 0 && (n != 0 || running != 0)) {
		snprintf(why, len, "\"start\" with its call %d failing returned %s but left %d "
			 "kpoke threads and \"running %d\"", nth, err_name(rc), n, running);
		return -1;
	}
	if (rc == 0) {
		int s = command("stop", 3000);
		if (s < 0 || wait_kpoke(0, 1000, NULL) != 0) {
			snprintf(why, len, "\"stop\" after a successful \"start\": %s",
				 err_name(s));
			return -1;
		}
	}
	return 0;
}

/* Commands from several threads and processes at once: each gets a legal answer. */
static int hammer_worker(struct kt_hammer *h, int id)
{
	static const char *const cmds[] = { "start", "stop", "poke" };
	unsigned int seed = (unsigned int)id * 7919u + 1;
	long *ops = h->shared;

	while (!kt_hammer_over(h)) {
		int c = (int)(rand_r(&seed) % 3);
		int rc = kt_write_file(CTL, cmds[c]);

		if (rc < 0 && !(c == 0 && rc == -EBUSY) && !(c > 0 && rc == -ESRCH)) {
			snprintf((char *)(ops + 2), 200, "\"%s\" from worker %d: %s", cmds[c],
				 id, strerror(-rc));
			return rc;
		}
		__atomic_fetch_add(&ops[0], 1, __ATOMIC_RELAXED);
	}
	return 0;
}

static void check_hammer(void)
{
	struct kt_hammer h = { .fn = hammer_worker };
	int rc = kt_hammer_run(&h, 2, 2, 1000);
	long ops = h.shared ? ((long *)h.shared)[0] : 0;
	char what[200] = "";

	if (h.shared)
		snprintf(what, sizeof(what), "%s", (char *)((long *)h.shared + 2));
	int s = command("stop", 3000);
	int n = wait_kpoke(0, 1000, NULL), running, woken;
	status(&running, &woken);
	kt_check("concurrent_commands", rc == 0 && (s == 0 || s == -ESRCH) && n == 0 && running == 0,
		 "2 threads and 2 processes sent start/stop/poke at random for 1 s (%ld commands): "
		 "%s%s; then \"stop\": %s, %d kpoke threads left, running %d (expected none, 0)",
		 ops, rc == 0 ? "every answer legal" : what[0] ? what : "a worker got stuck",
		 rc == -ETIMEDOUT ? " (a command did not return)" : "", err_name(s), n, running);
	kt_hammer_release(&h);
}

int main(void)
{
	struct stat st;
	struct kthread k = { 0 };
	int running, woken, rc, n;

	kt_plan(16);

	rc = stat(CTL, &st);
	status(&running, &woken);
	if (rc < 0)
		kt_check("control_file", 0, "%s: %s", CTL, strerror(errno));
	else
		kt_check("control_file", (st.st_mode & 0777) == 0644 && running == 0 && woken == 0,
			 "expected mode 0644 and \"running 0\", \"wakeups 0\" before any command, "
			 "got mode %o, running %d, wakeups %d", st.st_mode & 0777, running, woken);

	/* stop with nothing running */
	rc = command("stop", 3000);
	n = wait_kpoke(0, 200, NULL);
	status(&running, &woken);
	kt_check("stop_idle_esrch", rc == -ESRCH && n == 0 && running == 0,
		 "\"stop\" before any \"start\": expected %s, no kpoke thread and running 0, "
		 "got %s, %d threads, running %d", strerror(ESRCH), err_name(rc), n, running);

	/* start, with each of its fallible calls failing in turn */
	char fwhy[300];
	rc = kt_fail_walk(start_here, check_start, NULL, 50, fwhy, sizeof(fwhy));
	if (rc == -ENOSYS)
		kt_skip("start_enomem", fwhy);
	else
		kt_check("start_enomem", rc > 0, "%s", fwhy);

	/* start */
	rc = command("start", 3000);
	n = wait_kpoke(1, 1000, &k);
	status(&running, &woken);
	kt_check("thread_started", rc == 0 && n == 1 && k.ppid == 2 && running == 1,
		 "after writing \"start\" (%s): expected one kernel thread named kpoke "
		 "(parent kthreadd, pid 2) and \"running 1\", got %d kpoke tasks (the first with "
		 "parent %d) and running %d", err_name(rc), n, n ? k.ppid : 0, running);

	rc = command("start", 3000);
	n = wait_kpoke(1, 200, NULL);
	kt_check("double_start_ebusy", rc == -EBUSY && n == 1,
		 "a second \"start\" while the thread runs: expected %s and still one kpoke "
		 "thread, got %s and %d threads", strerror(EBUSY), err_name(rc), n);

	/* it sleeps, interruptibly, and is not woken for nothing */
	char states[16] = "";
	if (k.pid > 0) {
		kt_msleep(100);
		for (int i = 0; i < 10; i++) {
			states[i] = thread_state(k.pid);
			kt_msleep(20);
		}
	}
	int sleeping = k.pid > 0;
	for (int i = 0; sleeping && i < 10; i++)
		sleeping = states[i] == 'S' || states[i] == 'I';
	kt_check("sleeps_interruptible", sleeping,
		 "expected the kpoke thread to sleep interruptibly (state S in /proc/<pid>/stat) "
		 "while nobody pokes it, got the states \"%s\" over 200 ms%s",
		 states, k.pid > 0 ? "" : " (no thread)");
	kt_msleep(200);
	woken = wakeups();
	kt_check("no_spurious_wakeups", woken == 0,
		 "expected \"wakeups 0\" after 500 ms without a poke, got %d", woken);

	/* pokes, one at a time */
	int base = wakeups() < 0 ? 0 : wakeups(), got = base, i;
	for (i = 1; i <= 5; i++) {
		rc = command("poke", 2000);
		if (rc < 0)
			break;
		for (double end = kt_clock() + 2.0; (got = wakeups()) < base + i && kt_clock() < end;)
			kt_msleep(5);
		if (got != base + i)
			break;
	}
	if (i > 5) {
		kt_msleep(200);
		got = wakeups();
	}
	char why[128] = "";
	if (i <= 5 && rc < 0)
		snprintf(why, sizeof(why), " (poke %d: writing \"poke\": %s)", i, err_name(rc));
	else if (i <= 5)
		snprintf(why, sizeof(why), " (poke %d: expected wakeups %d within 2 s)", i, base + i);
	kt_check("counts_wakeups", i > 5 && got == base + 5,
		 "expected \"wakeups %d\" after 5 pokes (waiting for each), got %d%s", base + 5, got,
		 why);

	check_hammer();
	command("start", 3000); /* running again, for stop_clean */
	wait_kpoke(1, 1000, NULL);

	rc = command("jump", 2000);
	kt_check("bad_command_einval", rc == -EINVAL,
		 "writing \"jump\": expected %s, got %s", strerror(EINVAL), err_name(rc));

	/* commands of 16 bytes and more do not fit the 16-byte buffer with its NUL */
	int r15 = command("abcdefghijklmno", 2000);
	int r16 = command("pokepokepokepoke", 2000);
	int r17 = command("startstartstartst", 2000);
	kt_check("long_command_einval", r15 == -EINVAL && r16 == -EINVAL && r17 == -EINVAL,
		 "commands of 15, 16 and 17 bytes: expected %s each, got %s, %s and %s",
		 strerror(EINVAL), err_name(r15), err_name(r16), err_name(r17));

	/* stop */
	rc = command("stop", 3000);
	n = wait_kpoke(0, 1000, NULL);
	status(&running, &woken);
	kt_check("stop_clean", rc == 0 && n == 0 && running == 0,
		 "after writing \"stop\" (%s): expected no kpoke thread and \"running 0\", "
		 "got %d threads and running %d", err_name(rc), n, running);

	rc = command("poke", 2000);
	kt_check("poke_stopped_esrch", rc == -ESRCH,
		 "\"poke\" with no thread: expected %s, got %s", strerror(ESRCH), err_name(rc));

	/* restart */
	struct kthread k2 = { 0 };
	rc = command("start", 3000);
	n = wait_kpoke(1, 1000, &k2);
	kt_check("restart", rc == 0 && n == 1 && k2.pid != k.pid,
		 "\"start\" after \"stop\" (%s): expected one new kpoke thread, got %d "
		 "(pid %d, the first was %d)", err_name(rc), n, k2.pid, k.pid);

	/* unload while it runs */
	rc = unload(5000);
	n = wait_kpoke(0, 1000, NULL);
	int gone = stat(CTL, &st) < 0;
	kt_check("unload_stops_thread", rc == 0 && n == 0 && gone,
		 "unloading kpoke while the thread runs: %s; expected no kpoke thread left, "
		 "got %d; %s %s", err_name(rc), n, CTL, gone ? "gone" : "still there");

	/* loaded again, and unloaded with no thread */
	rc = kt_insmod(KO, "");
	if (rc < 0) {
		kt_check("unload_idle", 0, "loading kpoke again: %s", strerror(-rc));
	} else {
		rc = unload(5000);
		gone = stat(CTL, &st) < 0;
		kt_check("unload_idle", rc == 0 && gone && wait_kpoke(0, 200, NULL) == 0,
			 "unloading kpoke with no thread ever started: %s; %s %s", err_name(rc),
			 CTL, gone ? "gone" : "still there");
	}
	return kt_done();
}
