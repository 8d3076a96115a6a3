/*
 * warm.h - the guest's warm-up: a child of /init that, while /init takes its
 * run's header and records, walks the kernel paths every run walks next, on
 * the other vCPU.
 *
 * Under TCG a restored VM starts with no translated code: the first exec, the
 * first read of a procfs or debugfs file, costs several times its later runs
 * (measured: exec of the first test program 108 ms, then 57 ms; the first
 * module load 125 ms, then 73 ms). Translations are shared by all vCPUs, so a
 * child pinned to vCPU 1 that execs /init again and reads what the run will
 * read (tamper.c's files, /proc/modules, /proc/timer_list, /dev/kmsg) does
 * that first-time work beside /init instead of in front of the steps.
 *
 * It only reads: nothing of it is left when /init waits for it, before the
 * first step, so the steps run alone as before. Skipped on one vCPU.
 */
#ifndef KLAB_GUEST_WARM_H
#define KLAB_GUEST_WARM_H

#define WARM_ARG "--warm" /* argv[1] of /init run as the warm-up */

/* Starts the warm-up (exec of self with WARM_ARG), unless the VM has one vCPU. */
void warm_start(const char *self);
/* Waits for the warm-up to end (at most a few seconds: it only reads). */
void warm_wait(void);
/* The warm-up itself: what /init does when started with WARM_ARG. Returns 0. */
int warm_main(void);

#endif
