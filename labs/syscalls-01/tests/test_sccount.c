/*
 * test_sccount.c - guest tests of lab syscalls-01. /init loaded sccount.ko;
 * this program makes known numbers of getppid(2) calls from itself, from
 * child processes and from threads, and compares /proc/sccount with them.
 */
#include <pthread.h>
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

int main(void)
{
	struct stat st;
	pid_t self = getpid();

	kt_plan(9);

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
