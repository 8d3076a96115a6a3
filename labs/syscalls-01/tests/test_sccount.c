/*
 * test_sccount.c - guest tests of lab syscalls-01. /init loaded sccount.ko;
 * this program makes known numbers of getppid(2) calls from itself, from
 * child processes and from threads, and compares /proc/sccount with them.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "klab_test.h"

#define PROC "/proc/sccount"
#define KO "/klab/modules/sccount.ko"
#define MAX_LINES 4096

struct line {
	long pid;
	long count;
};

static struct line lines[MAX_LINES];
static int nlines;
static char bad_line[128]; /* the first line that is not "PID COUNT", if any */

/* Reads /proc/sccount into lines[]; -errno when it cannot be read. */
static int read_counts(void)
{
	static char buf[1 << 20];
	int n = kt_read_file(PROC, buf, sizeof(buf));

	nlines = 0;
	bad_line[0] = '\0';
	if (n < 0)
		return n;
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		long pid, count;
		char extra;

		if (sscanf(l, "%ld %ld %c", &pid, &count, &extra) != 2) {
			if (!bad_line[0])
				snprintf(bad_line, sizeof(bad_line), "%s", l);
			continue;
		}
		if (nlines < MAX_LINES)
			lines[nlines++] = (struct line){ pid, count };
	}
	return 0;
}

/* The count listed for pid, 0 when it has no line, -1 when it has several. */
static long count_of(long pid)
{
	long found = 0;
	int seen = 0;

	for (int i = 0; i < nlines; i++) {
		if (lines[i].pid == pid) {
			found = lines[i].count;
			seen++;
		}
	}
	return seen > 1 ? -1 : found;
}

static void getppid_n(int n)
{
	for (int i = 0; i < n; i++)
		syscall(SYS_getppid);
}

/* Forks a child that calls getppid n times and exits; returns its pid. */
static pid_t child_calls(int n)
{
	pid_t pid = fork();

	if (pid == 0) {
		getppid_n(n);
		_exit(0);
	}
	return pid;
}

static void wait_all(void)
{
	while (wait(NULL) > 0)
		;
}

static void *thread_calls(void *arg)
{
	int *tid = arg;

	*tid = (int)syscall(SYS_gettid);
	getppid_n(25);
	return NULL;
}

/* A child with 4 threads that call getppid 25 times each; sends the tids on fd. */
static void threaded_child(int fd)
{
	pthread_t t[4];
	int tids[4] = { 0 };

	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, thread_calls, &tids[i]) != 0)
			_exit(1);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	if (write(fd, tids, sizeof(tids)) != sizeof(tids))
		_exit(1);
	_exit(0);
}

static void test_threads(void)
{
	int pfd[2], tids[4] = { 0 };

	if (pipe(pfd) < 0) {
		kt_check("threads_one_process", 0, "pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		threaded_child(pfd[1]);
	}
	close(pfd[1]);
	ssize_t got = read(pfd[0], tids, sizeof(tids));
	close(pfd[0]);
	wait_all();
	if (got != sizeof(tids)) {
		kt_check("threads_one_process", 0, "the threaded child failed (pthread_create?)");
		return;
	}
	read_counts();
	int tid_lines = 0;
	for (int i = 0; i < 4; i++)
		tid_lines += tids[i] != pid && count_of(tids[i]) != 0;
	long c = count_of(pid);
	kt_check("threads_one_process", c == 100 && tid_lines == 0,
		 "4 threads of process %d made 25 calls each: expected \"%d 100\" and no line for "
		 "the thread ids, got count %ld and %d line(s) for thread ids",
		 pid, pid, c, tid_lines);
}

/* ---- first_calls_at_once: threads of a new process making their first call together ---- */

#define RACE_PROCS 40
#define RACE_THREADS 2

struct race {
	volatile int ready;
};

static void *race_thread(void *arg)
{
	struct race *r = arg;

	/* spin until the last thread arrives: the threads on the two CPUs leave together */
	__atomic_fetch_add(&r->ready, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&r->ready, __ATOMIC_SEQ_CST) < RACE_THREADS)
		__builtin_ia32_pause();
	getppid_n(50);
	return NULL;
}

/* A child whose threads (the main one too) all make their first getppid() at once. */
static void race_child(void)
{
	static struct race r;
	pthread_t t[RACE_THREADS];

	for (int i = 1; i < RACE_THREADS; i++)
		if (pthread_create(&t[i], NULL, race_thread, &r) != 0)
			_exit(1);
	race_thread(&r);
	for (int i = 1; i < RACE_THREADS; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

static void test_first_calls(void)
{
	pid_t kids[RACE_PROCS];
	int bad = 0, first_bad = -1, lines_of_first = 0;

	for (int i = 0; i < RACE_PROCS; i++) {
		kids[i] = fork();
		if (kids[i] == 0)
			race_child();
		if (kids[i] > 0)
			waitpid(kids[i], NULL, 0);
	}
	read_counts();
	for (int i = 0; i < RACE_PROCS; i++) {
		int seen = 0;
		long sum = 0;
		for (int j = 0; j < nlines; j++) {
			if (lines[j].pid == kids[i]) {
				seen++;
				sum += lines[j].count;
			}
		}
		if (seen != 1 || sum != RACE_THREADS * 50) {
			if (!bad++) {
				first_bad = i;
				lines_of_first = seen;
			}
		}
	}
	kt_check("first_calls_at_once", bad == 0,
		 "%d processes whose %d threads made their first getppid() calls at the same "
		 "moment (50 each): %d of them do not have exactly one line with %d, e.g. pid %d "
		 "has %d line(s), count %ld (two CPUs looked the process up at once and both "
		 "added it?)", RACE_PROCS, RACE_THREADS, bad, RACE_THREADS * 50,
		 first_bad >= 0 ? kids[first_bad] : 0, lines_of_first,
		 first_bad >= 0 ? count_of(kids[first_bad]) : 0);
}

/* ---- counts_at_once: threads and processes calling while others read the file ---- */

struct hshared {
	long calls[KT_HAMMER_MAX];	/* each worker's calls */
	int pids[KT_HAMMER_MAX];	/* each worker's process */
	int read_errors;
};

static int count_worker(struct kt_hammer *h, int id)
{
	struct hshared *sh = h->shared;
	char buf[256];

	sh->pids[id] = getpid();
	if (id == 0) { /* a reader */
		while (!kt_hammer_over(h)) {
			int fd = open(PROC, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || read(fd, buf, sizeof(buf)) < 0)
				__atomic_fetch_add(&sh->read_errors, 1, __ATOMIC_SEQ_CST);
			if (fd >= 0)
				close(fd);
		}
		return 0;
	}
	while (!kt_hammer_over(h)) {
		getppid_n(50);
		sh->calls[id] += 50;
	}
	return 0;
}

static void test_at_once(void)
{
	struct kt_hammer h = { .fn = count_worker };
	pid_t self = getpid();

	read_counts();
	long before = count_of(self);
	int rc = kt_hammer_run(&h, 4, 2, 1500);
	struct hshared *sh = h.shared;
	read_counts();
	long want_self = before;
	for (int i = 0; i < 4; i++)
		want_self += sh->calls[i];
	int ok = rc == 0 && count_of(self) == want_self && sh->read_errors == 0;
	char diag[300];
	snprintf(diag, sizeof(diag), "this process: expected %ld, got %ld", want_self,
		 count_of(self));
	for (int i = 4; i < 6; i++) {
		if (count_of(sh->pids[i]) != sh->calls[i]) {
			ok = 0;
			snprintf(diag, sizeof(diag), "process %d: expected %ld, got %ld", sh->pids[i],
				 sh->calls[i], count_of(sh->pids[i]));
		}
	}
	kt_check("counts_at_once", ok,
		 "3 threads of this process and 2 processes called getppid() for 1.5 s while a "
		 "thread read %s (%d read errors)%s: %s", PROC, sh->read_errors,
		 rc ? ", and a worker got stuck" : "", diag);
	kt_hammer_release(&h);
}

/* ---- no_memory_no_crash: the handler's allocation fails ---- */

static int getppid_call(void *arg)
{
	(void)arg;
	syscall(SYS_getppid);
	return 0;
}

static int no_check(void *arg, int rc, int n, int fired, char *why, size_t len)
{
	(void)arg, (void)rc, (void)n, (void)fired, (void)why, (void)len;
	return 0;
}

/* In a new process: its first getppid() with allocation 1, 2, ... failing. Exit: the calls made. */
static void no_memory_child(int fd)
{
	char why[200];
	int n = kt_fail_walk(getppid_call, no_check, NULL, 20, why, sizeof(why));
	int calls = n >= 0 ? n + 1 : n; /* n injected failures, then one call that made it */

	if (write(fd, &calls, sizeof(calls)) != sizeof(calls))
		_exit(1);
	if (write(fd, why, sizeof(why)) != sizeof(why))
		_exit(1);
	_exit(0);
}

static void test_no_memory(void)
{
	int pfd[2], calls = 0;
	char why[200] = "";

	if (pipe(pfd) < 0) {
		kt_check("no_memory_no_crash", 0, "pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		no_memory_child(pfd[1]);
	}
	close(pfd[1]);
	int got = read(pfd[0], &calls, sizeof(calls)) == sizeof(calls) &&
		  read(pfd[0], why, sizeof(why)) == sizeof(why);
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	if (got && calls == -ENOSYS) {
		kt_skip("no_memory_no_crash", why);
		return;
	}
	read_counts();
	long c = count_of(pid);
	/*
	 * The walk's first call fails the first allocation of the process's first
	 * getppid(): the handler's, which must then not count it. Later steps may fail
	 * an allocation elsewhere, in calls the handler rightly counts; the last call
	 * makes it, so it counts.
	 */
	kt_check("no_memory_no_crash", got && calls >= 2 && c >= 1 && c <= calls - 1,
		 "a new process called getppid() with the handler's allocation failing, then "
		 "with later allocations failing, then with none (%d calls): expected a count "
		 "from 1 to %d (the call whose allocation failed is not counted), got %ld%s%s",
		 got ? calls : 0, got ? calls - 1 : 0, c,
		 calls == 1 ? "; no allocation of the handler could be made to fail" : "",
		 calls < 0 ? why : "");
}

int main(void)
{
	struct stat st;
	pid_t self = getpid();

	kt_plan(12);

	/* proc_file: /proc/sccount exists, mode 0444 */
	int rc = stat(PROC, &st);
	kt_check("proc_file", rc == 0 && (st.st_mode & 0777) == 0444 && read_counts() == 0,
		 "%s: expected a readable file with mode 0444, got %s (mode %o)", PROC,
		 rc < 0 ? strerror(errno) : "a file", rc < 0 ? 0 : st.st_mode & 0777);

	/* counts_own_calls: this process calls getppid 7 times */
	read_counts();
	long before = count_of(self);
	getppid_n(7);
	read_counts();
	long after = count_of(self);
	kt_check("counts_own_calls", before == 0 && after == 7,
		 "process %d called getppid 7 times: expected no line before and \"%d 7\" after, "
		 "got %ld before and %ld after%s%s", self, self, before, after,
		 bad_line[0] ? "; unreadable line: " : "", bad_line);

	/* several_processes: 4 children with different numbers of calls */
	static const int calls[4] = { 5, 17, 31, 64 };
	pid_t kids[4];
	for (int i = 0; i < 4; i++)
		kids[i] = child_calls(calls[i]);
	wait_all();
	read_counts();
	int ok = 1;
	char diag[400] = "";
	size_t dl = 0;
	for (int i = 0; i < 4; i++) {
		long c = count_of(kids[i]);
		ok &= c == calls[i];
		dl += snprintf(diag + dl, sizeof(diag) - dl, "%spid %d: expected %d, got %ld",
			       i ? "; " : "", kids[i], calls[i], c);
	}
	kt_check("several_processes", ok, "%s", diag);

	/* threads_one_process: counted per process (tgid), not per thread */
	test_threads();

	/* ignores_other_syscalls: getpid, getuid, uname are not getppid */
	pid_t pid = fork();
	if (pid == 0) {
		struct utsname u;
		for (int i = 0; i < 20; i++) {
			syscall(SYS_getpid);
			syscall(SYS_getuid);
			uname(&u);
		}
		_exit(0);
	}
	wait_all();
	read_counts();
	long c = count_of(pid);
	kt_check("ignores_other_syscalls", c == 0,
		 "process %d called getpid, getuid and uname but never getppid: expected no "
		 "line, got count %ld", pid, c);

	/* many_processes: 200 children with one call each, all listed */
	pid_t many[200];
	for (int i = 0; i < 200; i++) {
		many[i] = child_calls(1);
		if (many[i] < 0) {
			many[i] = 0;
			break;
		}
		waitpid(many[i], NULL, 0);
	}
	read_counts();
	int wrong = 0, first_bad = -1;
	for (int i = 0; i < 200; i++) {
		if (count_of(many[i]) != 1) {
			wrong++;
			if (first_bad < 0)
				first_bad = i;
		}
	}
	kt_check("many_processes", wrong == 0,
		 "200 processes called getppid once each: %d of them do not have count 1 in %s "
		 "(%d lines), e.g. pid %d has %ld", wrong, PROC, nlines,
		 first_bad >= 0 ? many[first_bad] : 0, first_bad >= 0 ? count_of(many[first_bad]) : 0);

	/* total_lines: exactly one line per process that called getppid */
	int expected_lines = 1 + 4 + 1 + 200;
	kt_check("one_line_per_process", nlines == expected_lines && !bad_line[0],
		 "expected %d lines \"PID COUNT\" (one per process that called getppid), got %d%s%s",
		 expected_lines, nlines, bad_line[0] ? "; unreadable line: " : "", bad_line);

	test_first_calls();
	test_at_once();
	test_no_memory();

	/* unload_clean: rmmod, then getppid must still work (the probe is gone) */
	rc = kt_rmmod("sccount");
	getppid_n(10);
	int gone = stat(PROC, &st) < 0;
	kt_check("unload_clean", rc == 0 && gone,
		 "rmmod sccount: %s; %s %s", rc ? strerror(-rc) : "ok", PROC,
		 gone ? "gone" : "still there");

	/* reload_fresh: a new load starts from no counts */
	rc = kt_insmod(KO, "");
	if (rc < 0) {
		kt_check("reload_fresh", 0, "loading sccount.ko again failed: %s", strerror(-rc));
	} else {
		getppid_n(3);
		read_counts();
		kt_check("reload_fresh", nlines == 1 && count_of(self) == 3,
			 "after a reload and 3 calls: expected the single line \"%d 3\", got %d "
			 "lines, count %ld for pid %d", self, nlines, count_of(self), self);
	}
	return kt_done();
}
