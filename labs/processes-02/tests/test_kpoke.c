/*
 * test_kpoke.c - guest tests of lab processes-02. /init loaded kpoke.ko; this
 * program starts the thread through /proc/kpoke, finds it in /proc, checks that
 * it sleeps, pokes it and counts, stops and restarts it, and unloads the module
 * while it runs. Every command that could block for ever runs in a child with
 * a deadline, so a thread that never stops cannot hang the test.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "klab_test.h"

#define CTL "/proc/kpoke"

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

	for (double end = kt_now() + ms / 1000.0; n != want && kt_now() < end; n = find_kpoke(t))
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

int main(void)
{
	struct stat st;
	struct kthread k = { 0 };
	int running, woken, rc, n;

	kt_plan(11);

	rc = stat(CTL, &st);
	status(&running, &woken);
	if (rc < 0)
		kt_check("control_file", 0, "%s: %s", CTL, strerror(errno));
	else
		kt_check("control_file", (st.st_mode & 0777) == 0644 && running == 0 && woken == 0,
			 "expected mode 0644 and \"running 0\", \"wakeups 0\" before any command, "
			 "got mode %o, running %d, wakeups %d", st.st_mode & 0777, running, woken);

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
		for (double end = kt_now() + 2.0; (got = wakeups()) < base + i && kt_now() < end;)
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

	rc = command("jump", 2000);
	kt_check("bad_command_einval", rc == -EINVAL,
		 "writing \"jump\": expected %s, got %s", strerror(EINVAL), err_name(rc));

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
	return kt_done();
}
