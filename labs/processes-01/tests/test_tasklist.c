/*
 * test_tasklist.c - guest tests of lab processes-01. /init loaded tasklist.ko;
 * this program reads /proc/klab_tasks and compares it with what /proc/<pid>/stat
 * says about known processes: itself, init, and children it puts in known
 * states (sleeping, stopped, zombie, orphaned). It reads the file while other
 * processes fork and exit as fast as they can, counts task_structs to see that
 * reading holds on to none, then unloads the module.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "klab_test.h"

#define TASKS "/proc/klab_tasks"
#define MAX_TASKS 4096

struct task {
	int pid, ppid;
	char state;
	char comm[64];
};

static struct task tasks[MAX_TASKS];
static int ntasks;
static char bad_line[256]; /* the first line that did not parse */
static int read_err;       /* -errno of the last read of TASKS */

/* Reads TASKS into tasks[]; -errno, or the number of lines that did not parse. */
static int read_tasks(void)
{
	static char buf[1 << 18];
	int n = kt_read_file(TASKS, buf, sizeof(buf));
	int bad = 0;

	ntasks = 0;
	bad_line[0] = '\0';
	read_err = n < 0 ? n : 0;
	if (n < 0)
		return n;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		struct task *t = &tasks[ntasks];
		int off = 0;

		if (ntasks == MAX_TASKS)
			break;
		if (sscanf(line, "%d %d %c %n", &t->pid, &t->ppid, &t->state, &off) != 3 ||
		    off == 0 || !line[off] || t->pid <= 0 || t->ppid < 0 ||
		    !strchr("RSDTtXZPI", t->state)) {
			if (!bad++)
				snprintf(bad_line, sizeof(bad_line), "%s", line);
			continue;
		}
		snprintf(t->comm, sizeof(t->comm), "%s", line + off);
		ntasks++;
	}
	return bad;
}

static struct task *find_task(int pid)
{
	for (int i = 0; i < ntasks; i++)
		if (tasks[i].pid == pid)
			return &tasks[i];
	return NULL;
}

static int count_task(int pid)
{
	int n = 0;

	for (int i = 0; i < ntasks; i++)
		n += tasks[i].pid == pid;
	return n;
}

/* What /proc/<pid>/stat says: 0, or -1 when the process is gone. */
static int proc_stat(int pid, struct task *t)
{
	char path[64], buf[1024];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (kt_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	char *open = strchr(buf, '('), *close = strrchr(buf, ')');
	if (!open || !close || close < open)
		return -1;
	*close = '\0';
	t->pid = pid;
	snprintf(t->comm, sizeof(t->comm), "%s", open + 1);
	if (sscanf(close + 1, " %c %d", &t->state, &t->ppid) != 2)
		return -1;
	return 0;
}

static const char *describe(const struct task *t)
{
	static char s[4][160];
	static int i;

	i = (i + 1) % 4;
	if (!t)
		snprintf(s[i], sizeof(s[i]), "no line");
	else
		snprintf(s[i], sizeof(s[i]), "\"%d %d %c %s\"", t->pid, t->ppid, t->state,
			 t->comm);
	return s[i];
}

/* Checks that pid is listed once as "pid ppid state comm" ('?': any state). */
static void check_task(const char *name, int pid, int ppid, char state, const char *comm)
{
	struct task want = { .pid = pid, .ppid = ppid, .state = state };

	snprintf(want.comm, sizeof(want.comm), "%s", comm);
	if (read_tasks() < 0 && read_err) {
		kt_check(name, 0, "cannot read %s: %s", TASKS, strerror(-read_err));
		return;
	}
	struct task *t = find_task(pid);
	int ok = t && count_task(pid) == 1 && t->ppid == ppid &&
		 (state == '?' || t->state == state) && strcmp(t->comm, comm) == 0;
	kt_check(name, ok, "expected the line %s%s in %s, got %s%s", describe(&want),
		 state == '?' ? " (any state)" : "", TASKS, describe(t),
		 t && count_task(pid) > 1 ? " (listed more than once)" : "");
}

/* Waits until /proc/<pid>/stat shows state; 1 when it did. */
static int wait_state(int pid, char state)
{
	struct task t;

	for (int i = 0; i < 200; i++) {
		if (proc_stat(pid, &t) == 0 && t.state == state)
			return 1;
		kt_msleep(10);
	}
	return 0;
}

/* A child named comm that sleeps reading a pipe until it is closed. */
static pid_t sleeper(const char *comm, int *wfd)
{
	int p[2];

	if (pipe(p) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;

		close(p[1]);
		prctl(PR_SET_NAME, comm);
		while (read(p[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	*wfd = p[1];
	return pid;
}

static void check_processes(void)
{
	pid_t me = getpid();
	int wfd;

	/* init may be asleep or just woken by our output: any state */
	check_task("lists_init", 1, 0, '?', "init");
	check_task("lists_self", me, getppid(), 'R', "test_tasklist");

	/* a child asleep in read(2) */
	pid_t s = sleeper("kl_sleeper", &wfd);
	if (s < 0 || !wait_state(s, 'S')) {
		kt_check("sleeping_child", 0, "could not start a sleeping child (a klab bug)");
	} else {
		check_task("sleeping_child", s, me, 'S', "kl_sleeper");
	}

	/* a stopped child */
	int wfd2;
	pid_t st = sleeper("kl_stopped", &wfd2);
	int status;
	if (st > 0 && wait_state(st, 'S') && kill(st, SIGSTOP) == 0 &&
	    waitpid(st, &status, WUNTRACED) == st)
		check_task("stopped_child", st, me, 'T', "kl_stopped");
	else
		kt_check("stopped_child", 0, "could not stop a child (a klab bug)");
	if (st > 0) {
		kill(st, SIGKILL);
		waitpid(st, &status, 0);
		close(wfd2);
	}

	/* a zombie: the sleeper exits, nobody reaps it yet */
	close(wfd);
	siginfo_t si;
	if (s > 0 && waitid(P_PID, s, &si, WEXITED | WNOWAIT) == 0 && wait_state(s, 'Z'))
		check_task("zombie_child", s, me, 'Z', "kl_sleeper");
	else
		kt_check("zombie_child", 0, "could not make a zombie child (a klab bug)");
	if (s > 0)
		waitpid(s, &status, 0);

	/* an orphan: its parent exits, init adopts it */
	int p[2];
	pid_t gc = -1;
	if (pipe(p) == 0) {
		pid_t c = fork();
		if (c == 0) {
			pid_t g = fork();
			if (g == 0) {
				prctl(PR_SET_NAME, "kl_orphan");
				close(p[1]);
				char ch;
				while (read(p[0], &ch, 1) > 0)
					;
				_exit(0);
			}
			_exit(0);
		}
		waitpid(c, &status, 0);
		/* init adopted the grandchild when its parent exited: find it */
		for (int i = 0; i < 200 && gc < 0; i++) {
			DIR *d = opendir("/proc");
			struct dirent *de;
			while (d && (de = readdir(d))) {
				struct task t;
				int pid = atoi(de->d_name);
				if (pid > 0 && proc_stat(pid, &t) == 0 &&
				    strcmp(t.comm, "kl_orphan") == 0 && t.ppid == 1 && t.state == 'S')
					gc = pid;
			}
			if (d)
				closedir(d);
			if (gc < 0)
				kt_msleep(10);
		}
		close(p[0]);
	}
	if (gc > 0)
		check_task("reparented", gc, 1, 'S', "kl_orphan");
	else
		kt_check("reparented", 0, "could not make an orphan (a klab bug)");
	if (gc > 0)
		kill(gc, SIGKILL);
	close(p[1]);
}

static int thread_pipe[2];
static pid_t thread_tid;

static void *thread_main(void *arg)
{
	char c;

	(void)arg;
	thread_tid = gettid();
	while (read(thread_pipe[0], &c, 1) > 0)
		;
	return NULL;
}

static void check_threads(void)
{
	pthread_t th;

	if (pipe(thread_pipe) < 0 || pthread_create(&th, NULL, thread_main, NULL) != 0) {
		kt_check("no_threads", 0, "cannot start a thread (a klab bug)");
		return;
	}
	for (int i = 0; i < 200 && !__atomic_load_n(&thread_tid, __ATOMIC_SEQ_CST); i++)
		kt_msleep(5);
	int rc = read_tasks();
	int dup = 0;
	for (int i = 0; i < ntasks && !dup; i++)
		if (count_task(tasks[i].pid) > 1)
			dup = tasks[i].pid;
	struct task *t = find_task(thread_tid);
	if (rc < 0 && read_err)
		kt_check("no_threads", 0, "cannot read %s: %s", TASKS, strerror(-read_err));
	else
		kt_check("no_threads", thread_tid > 0 && !t && !dup && find_task(getpid()),
			 "this process has a second thread (tid %d): expected only the process "
			 "(pid %d) to be listed, once; got %s for the thread%s%s",
			 thread_tid, getpid(), describe(t), dup ? ", and a pid listed twice: " : "",
			 dup ? describe(find_task(dup)) : "");
	close(thread_pipe[1]);
	pthread_join(th, NULL);
	close(thread_pipe[0]);
}

/*
 * /proc shows a kernel worker as "kworker/0:1-events" (comm, '-', its
 * workqueue) and a kernel thread by its full name, which comm truncates to 15
 * characters.
 */
static int same_comm(const char *comm, const char *proc)
{
	size_t n = strlen(comm);

	return strncmp(comm, proc, n) == 0 && (proc[n] == '\0' || proc[n] == '-' || n == 15);
}

/* Every process of /proc (before and after reading TASKS) is listed with its ppid and comm. */
static void check_matches_proc(void)
{
	static int before[MAX_TASKS], after[MAX_TASKS];
	int nb = 0, na = 0;
	DIR *d;
	struct dirent *de;

	if ((d = opendir("/proc"))) {
		while ((de = readdir(d)) && nb < MAX_TASKS)
			if (atoi(de->d_name) > 0)
				before[nb++] = atoi(de->d_name);
		closedir(d);
	}
	int rc = read_tasks();
	if ((d = opendir("/proc"))) {
		while ((de = readdir(d)) && na < MAX_TASKS)
			if (atoi(de->d_name) > 0)
				after[na++] = atoi(de->d_name);
		closedir(d);
	}
	if (rc < 0 && read_err) {
		kt_check("matches_proc", 0, "cannot read %s: %s", TASKS, strerror(-read_err));
		return;
	}
	for (int i = 0; i < nb; i++) {
		int pid = before[i], still = 0;
		struct task st;

		for (int j = 0; j < na; j++)
			still |= after[j] == pid;
		if (!still || proc_stat(pid, &st) < 0)
			continue; /* exited meanwhile */
		struct task *t = find_task(pid);
		if (!t || t->ppid != st.ppid || !same_comm(t->comm, st.comm)) {
			kt_check("matches_proc", 0,
				 "/proc/%d/stat says ppid %d comm \"%s\"; %s has %s", pid,
				 st.ppid, st.comm, TASKS, describe(t));
			return;
		}
	}
	for (int i = 0; i < ntasks; i++) {
		int pid = tasks[i].pid, seen = 0;

		for (int j = 0; j < nb; j++)
			seen |= before[j] == pid;
		for (int j = 0; j < na; j++)
			seen |= after[j] == pid;
		if (!seen) {
			kt_check("matches_proc", 0, "%s lists %s, which is not in /proc", TASKS,
				 describe(&tasks[i]));
			return;
		}
	}
	kt_check("matches_proc", nb > 0 && ntasks > 0, "%d processes in /proc, %d lines in %s",
		 nb, ntasks, TASKS);
}

/* One read of TASKS, checked alone (no shared buffers: threads call it): NULL or what is wrong. */
static const char *check_one_read(char *buf, size_t size, char *why, size_t len)
{
	static __thread int pids[MAX_TASKS];
	int n = kt_read_file(TASKS, buf, size), np = 0, init = 0;
	char *save;

	if (n < 0) {
		snprintf(why, len, "cannot read %s: %s", TASKS, strerror(-n));
		return why;
	}
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int pid, ppid, off = 0;
		char state;

		if (sscanf(l, "%d %d %c %n", &pid, &ppid, &state, &off) != 3 || off == 0 ||
		    !l[off] || pid <= 0 || ppid < 0 || !strchr("RSDTtXZPI", state)) {
			snprintf(why, len, "a line that is not \"pid ppid state comm\": \"%.80s\"", l);
			return why;
		}
		for (int i = 0; i < np; i++) {
			if (pids[i] == pid) {
				snprintf(why, len, "pid %d listed twice in one read", pid);
				return why;
			}
		}
		if (np < MAX_TASKS)
			pids[np++] = pid;
		init |= pid == 1;
	}
	if (!init) {
		snprintf(why, len, "init (pid 1) is missing from a read");
		return why;
	}
	return NULL;
}

/* Workers 0-1 read TASKS over and over; 2-3 fork children that exit at once. */
static int churn_worker(struct kt_hammer *h, int id)
{
	long *count = h->shared;
	char *why = (char *)h->shared + 64;

	if (id < 2) {
		char *buf = malloc(1 << 18), msg[200];
		if (!buf)
			return -ENOMEM;
		while (!kt_hammer_over(h)) {
			if (check_one_read(buf, 1 << 18, msg, sizeof(msg))) {
				snprintf(why, 200, "%s", msg);
				free(buf);
				return -EIO;
			}
			__atomic_fetch_add(&count[0], 1, __ATOMIC_RELAXED);
		}
		free(buf);
		return 0;
	}
	while (!kt_hammer_over(h)) {
		pid_t c = fork();
		if (c == 0)
			_exit(0);
		if (c > 0) {
			waitpid(c, NULL, 0);
			__atomic_fetch_add(&count[1], 1, __ATOMIC_RELAXED);
		}
	}
	return 0;
}

static void check_churn(void)
{
	struct kt_hammer h = { .fn = churn_worker };
	int rc = kt_hammer_run(&h, 2, 2, 1500);
	long *count = h.shared;

	kt_check("survives_churn", rc == 0 && count[0] > 0 && count[1] > 0,
		 "2 threads read %s while 2 processes forked children that exited at once, "
		 "for 1.5 s (%ld reads, %ld children): %s", TASKS, count[0], count[1],
		 rc == 0 ? "no read at all, or no child" : rc == -ETIMEDOUT ?
		 "a read did not return" : (char *)h.shared + 64);
	kt_hammer_release(&h);
}

/* Reading the file takes no lasting reference on a task: exited ones are freed. */
#define LEAK_CHILDREN 100

static void check_no_leak(void)
{
	static char buf[1 << 18];
	pid_t kids[LEAK_CHILDREN];
	int p[2], started = 0;
	char why[200];

	long before = kt_slab_settled("task_struct", -1, 0, 3000);
	if (before < 0 || pipe(p) < 0) {
		kt_check("no_task_leak", 0, "cannot count task_structs in /proc/slabinfo");
		return;
	}
	for (int i = 0; i < LEAK_CHILDREN; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			char c;
			close(p[1]);
			while (read(p[0], &c, 1) > 0)
				;
			_exit(0);
		}
		started += kids[i] > 0;
	}
	close(p[0]);
	const char *bad = check_one_read(buf, sizeof(buf), why, sizeof(why));
	if (!bad)
		bad = check_one_read(buf, sizeof(buf), why, sizeof(why));
	close(p[1]);
	for (int i = 0; i < LEAK_CHILDREN; i++)
		if (kids[i] > 0)
			waitpid(kids[i], NULL, 0);
	long after = kt_slab_settled("task_struct", before, LEAK_CHILDREN / 2, 6000);
	kt_check("no_task_leak", !bad && started == LEAK_CHILDREN && after - before < LEAK_CHILDREN / 2,
		 "%d children listed in %s (read twice%s%s) and then reaped: task_structs in use "
		 "went from %ld to %ld; a reference taken with get_task_struct() and never put "
		 "keeps an exited task's task_struct for ever", started, TASKS, bad ? ": " : "",
		 bad ? bad : "", before, after);
}

int main(void)
{
	struct stat st;

	kt_plan(13);
	if (stat(TASKS, &st) < 0)
		kt_check("proc_file", 0, "%s: %s", TASKS, strerror(errno));
	else
		kt_check("proc_file", S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0444,
			 "%s: expected a regular file with mode 0444, got mode %o", TASKS,
			 st.st_mode & 07777);

	int bad = read_tasks();
	if (bad < 0)
		kt_check("line_format", 0, "cannot read %s: %s", TASKS, strerror(-bad));
	else
		kt_check("line_format", bad == 0 && ntasks >= 10,
			 "expected one line \"pid ppid state comm\" per process (at least 10), "
			 "got %d good lines and %d bad ones%s%s%s", ntasks, bad,
			 bad ? ", the first: \"" : "", bad_line, bad ? "\"" : "");

	check_processes();
	check_threads();
	check_matches_proc();
	check_churn();
	check_no_leak();

	int rc = kt_rmmod("tasklist");
	int gone = stat(TASKS, &st) < 0;
	kt_check("clean_unload", rc == 0 && gone, "delete_module(\"tasklist\"): %s; %s %s",
		 rc ? strerror(-rc) : "ok", TASKS, gone ? "gone" : "still there after unload");
	return kt_done();
}
