/*
 * warm.c - the guest's warm-up before a run's first step (see warm.h).
 */
#define _GNU_SOURCE
#include "warm.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WARM_MAX_S 5 /* it only reads: longer means something is wrong; /init goes on */

static pid_t warm_pid = -1;

void warm_start(const char *self)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return; /* on one vCPU it would only add to the run */
	pid_t pid = fork();
	if (pid == 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(1, &set);
		sched_setaffinity(0, sizeof(set), &set); /* /init keeps vCPU 0 to itself */
		char *argv[] = { (char *)self, WARM_ARG, NULL };
		char *envp[] = { NULL };
		execve(self, argv, envp); /* the exec is half the point: the test programs' */
		_exit(127);
	}
	warm_pid = pid;
}

void warm_wait(void)
{
	struct timespec t0, t;

	if (warm_pid <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pid_t w = waitpid(warm_pid, NULL, WNOHANG);
		if (w == warm_pid || w < 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec >= WARM_MAX_S) {
			kill(warm_pid, SIGKILL);
			waitpid(warm_pid, NULL, 0);
			break;
		}
		usleep(1000);
	}
	warm_pid = -1;
}

/* Reads a file to its end and drops it. */
static void S_read(const char *path)
{
	char buf[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

/* Lists a folder and drops what it read. */
static void S_list(const char *path)
{
	DIR *d = opendir(path);

	if (!d)
		return;
	while (readdir(d))
		;
	closedir(d);
}

int warm_main(void)
{
	/* what tamper.c, report_clean, leaks.c and read_plan read, in their order */
	static const char *const files[] = {
		"/proc/modules",
		"/proc/sys/kernel/random/boot_id",
		"/proc/sys/kernel/tainted",
		"/sys/kernel/debug/kprobes/list",
		"/sys/kernel/debug/tracing/enabled_functions",
		"/proc/consoles",
		"/sys/module/printk/parameters/time",
		"/sys/module/printk/parameters/ignore_loglevel",
		"/proc/sys/kernel/printk",
		"/proc/timer_list",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		S_read(files[i]);
	S_list("/tmp");
	S_list("/sys/module/kmemleak/parameters");
	/* /dev/kmsg, a record a read, as the tests' kt_kmsg_contains and tamper.c read it */
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		char rec[2048];
		for (int i = 0; i < 4 && read(fd, rec, sizeof(rec)) > 0; i++)
			;
		lseek(fd, 0, SEEK_END);
		close(fd);
	}
	FILE *f = fopen("/proc/self/status", "re"); /* stdio's paths, as read_plan's */
	char line[256];
	while (f && fgets(line, sizeof(line), f))
		;
	if (f)
		fclose(f);
	return 0;
}
