// SPDX-License-Identifier: GPL-2.0
/*
 * ticker.c - a timer that hands its work to a workqueue (lab devices-02).
 *
 * An hrtimer fires every period_ms milliseconds; it may not sleep, so it only
 * queues a work item. The work item, which runs in a kernel thread and may
 * sleep (work_ms milliseconds, to play a slow device), counts the ticks shown
 * in /proc/klab_ticker. README.md has the task; `klab hint devices-02` helps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/init.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/workqueue.h>

static unsigned int period_ms = 100;
module_param(period_ms, uint, 0444);
MODULE_PARM_DESC(period_ms, "timer period in ms, 1 to 10000 (default 100)");

static unsigned int work_ms;
module_param(work_ms, uint, 0444);
MODULE_PARM_DESC(work_ms, "how long each work item sleeps, 0 to 1000 ms");

/* (__maybe_unused only keeps the compiler quiet until your code uses them) */
static struct hrtimer ticker_timer __maybe_unused;
static struct work_struct ticker_work __maybe_unused;
static atomic_long_t ticker_ticks = ATOMIC_LONG_INIT(0);
static struct proc_dir_entry *ticker_entry;

static void __maybe_unused ticker_work_fn(struct work_struct *work)
{
	/*
	 * TODO 1: this runs in process context: sleep work_ms milliseconds
	 * if work_ms is not 0, then count one tick in ticker_ticks.
	 */
}

static enum hrtimer_restart __maybe_unused ticker_fire(struct hrtimer *timer)
{
	/*
	 * TODO 2: this runs in hard interrupt context, where sleeping is a
	 * bug: queue ticker_work, move the expiry one period_ms later, and
	 * ask for the timer to be restarted.
	 */
	return HRTIMER_NORESTART;
}

static int ticker_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%ld\n", atomic_long_read(&ticker_ticks));
	return 0;
}

static int __init ticker_init(void)
{
	/*
	 * TODO 3: refuse (-EINVAL) a period_ms outside 1..10000 or a work_ms
	 * above 1000; set up ticker_work and ticker_timer (CLOCK_MONOTONIC,
	 * relative) with their functions.
	 */
	ticker_entry = proc_create_single("klab_ticker", 0444, NULL,
					  ticker_show);
	if (!ticker_entry)
		return -ENOMEM;
	/* TODO 4: start the timer: first expiry period_ms from now. */
	return 0;
}

static void __exit ticker_exit(void)
{
	proc_remove(ticker_entry);
	/*
	 * TODO 5: after this function, none of this module's code may run
	 * again: no timer may fire and no work item may be queued or running.
	 * Mind the order: the timer queues the work.
	 */
}

module_init(ticker_init);
module_exit(ticker_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab devices-02: an hrtimer and a work item");
