/*
 * lag.h - the time a lab VM lost to a loaded host. Under TCG the guest's
 * clock follows the host's, so on a busy machine a guest test gets less done
 * per second and a healthy module could run out of time. QEMU's vCPU threads
 * (named "CPU n/TCG" with -name debug-threads=on) say how long they waited
 * for a host CPU (/proc/PID/task/TID/schedstat, second field): that wait,
 * the most of any vCPU since the run began, is the lag. The host adds it to
 * its deadlines and sends it to the guest ("KLAB-LAG MS" on the channel), so
 * a loaded machine makes a run slower, never a timeout blamed on the learner.
 * A guest that hangs asleep does not wait for a CPU: its timeouts still fire.
 */
#ifndef KLAB_LAB_LAG_H
#define KLAB_LAB_LAG_H

#include <sys/types.h>

#define LAB_LAG_THREADS 16

struct lab_lag {
	pid_t pid;                         /* QEMU; 0: nothing measured */
	pid_t tid[LAB_LAG_THREADS];        /* the vCPU threads seen */
	double base[LAB_LAG_THREADS];      /* their wait when first seen, seconds */
	int n;
	double lag;                        /* the last reading */
};

/* Starts measuring QEMU's vCPUs from now. Without /proc schedstat the lag stays 0. */
void lab_lag_start(struct lab_lag *l, pid_t pid);
/* Seconds the busiest-waiting vCPU waited for a host CPU since lab_lag_start (never less than before). */
double lab_lag_read(struct lab_lag *l);

#endif
