/*
 * lag.c - how long QEMU's vCPU threads waited for a host CPU (see lag.h).
 * Read from /proc/PID/task/TID/{comm,schedstat}: comm "CPU 0/TCG" names a
 * vCPU, schedstat is "RUN_NS WAIT_NS SLICES".
 */
#include "lab/lag.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The wait of thread tid of pid in seconds, or -1 when it is not a vCPU or is gone. */
static double S_vcpu_wait(pid_t pid, pid_t tid)
{
	char path[96], comm[32] = "";
	unsigned long long run, wait;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", (int)pid, (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	int got = fgets(comm, sizeof(comm), f) != NULL;
	fclose(f);
	if (!got || strncmp(comm, "CPU ", 4) != 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	got = fscanf(f, "%llu %llu", &run, &wait) == 2;
	fclose(f);
	return got ? (double)wait / 1e9 : -1;
}

/* Calls fn for each vCPU thread of l->pid with its wait. */
static void S_each_vcpu(struct lab_lag *l, void (*fn)(struct lab_lag *l, pid_t tid, double wait))
{
	char path[64];
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)l->pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		pid_t tid = (pid_t)atoi(de->d_name);
		double w = S_vcpu_wait(l->pid, tid);
		if (w >= 0)
			fn(l, tid, w);
	}
	closedir(d);
}

static int S_find(const struct lab_lag *l, pid_t tid)
{
	for (int i = 0; i < l->n; i++)
		if (l->tid[i] == tid)
			return i;
	return -1;
}

static void S_note(struct lab_lag *l, pid_t tid, double wait)
{
	if (S_find(l, tid) >= 0 || l->n == LAB_LAG_THREADS)
		return;
	l->tid[l->n] = tid;
	l->base[l->n++] = wait;
}

static void S_measure(struct lab_lag *l, pid_t tid, double wait)
{
	int i = S_find(l, tid);
	double lost = i >= 0 ? wait - l->base[i] : wait; /* a vCPU born since: all of its wait */

	if (lost > l->lag)
		l->lag = lost;
}

void lab_lag_start(struct lab_lag *l, pid_t pid)
{
	memset(l, 0, sizeof(*l));
	l->pid = pid;
	if (pid > 0)
		S_each_vcpu(l, S_note);
}

double lab_lag_read(struct lab_lag *l)
{
	if (l->pid > 0)
		S_each_vcpu(l, S_measure);
	return l->lag;
}
