// SPDX-License-Identifier: GPL-2.0
/*
 * ticker.c - reference solution of lab devices-02: an hrtimer fires every
 * period_ms milliseconds and queues a work item; the work (which may sleep
 * work_ms milliseconds) counts the ticks, shown in /proc/klab_ticker.
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

static struct hrtimer ticker_timer;
static ktime_t ticker_period;
static struct work_struct ticker_work;
static atomic_long_t ticker_ticks = ATOMIC_LONG_INIT(0);
static struct proc_dir_entry *ticker_entry;

/* process context, on a kworker thread: may sleep */
static void ticker_work_fn(struct work_struct *work)
{
	if (work_ms)
		msleep(work_ms);
	atomic_long_inc(&ticker_ticks);
}

/* hard interrupt context: must not sleep */
static enum hrtimer_restart ticker_fire(struct hrtimer *timer)
{
	schedule_work(&ticker_work);
	return HRTIMER_NORESTART;
}

static int ticker_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%ld\n", atomic_long_read(&ticker_ticks));
	return 0;
}

static int __init ticker_init(void)
{
	if (period_ms < 1 || period_ms > 10000 || work_ms > 1000) {
		pr_err("period_ms=%u work_ms=%u out of range\n", period_ms,
		       work_ms);
		return -EINVAL;
	}
	ticker_period = ms_to_ktime(period_ms);
	INIT_WORK(&ticker_work, ticker_work_fn);
	hrtimer_init(&ticker_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	ticker_timer.function = ticker_fire;

	ticker_entry = proc_create_single("klab_ticker", 0444, NULL,
					  ticker_show);
	if (!ticker_entry)
		return -ENOMEM;
	hrtimer_start(&ticker_timer, ticker_period, HRTIMER_MODE_REL);
	return 0;
}

static void __exit ticker_exit(void)
{
	proc_remove(ticker_entry);
	/* first the timer, so that nothing queues the work again */
	hrtimer_cancel(&ticker_timer);
	cancel_work_sync(&ticker_work);
}

module_init(ticker_init);
module_exit(ticker_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab devices-02: an hrtimer and a work item");
