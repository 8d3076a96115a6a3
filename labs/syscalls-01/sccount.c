// SPDX-License-Identifier: GPL-2.0
/*
 * sccount.c - count system calls per process with a kprobe (lab syscalls-01).
 *
 * Every call of getppid(2) enters the kernel at __x64_sys_getppid(). Put a
 * kprobe there, count the calls of each process, and list the counts in
 * /proc/sccount, one "PID COUNT" line per process. README.md has the task;
 * `klab hint syscalls-01` helps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/kprobes.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#define PROBED_SYMBOL "__x64_sys_getppid"

/* The calls of one process. */
struct sc_count {
	struct list_head node;
	pid_t tgid;		/* the process: its thread group id */
	unsigned long calls;
};

static LIST_HEAD(sc_counts);
static DEFINE_SPINLOCK(sc_lock);	/* protects sc_counts and the counts */
static struct proc_dir_entry *sc_proc;

/* Runs at every call of the probed function, in the caller's context. */
static int sc_pre_handler(struct kprobe *p, struct pt_regs *regs)
{
	unsigned long flags;

	spin_lock_irqsave(&sc_lock, flags);
	/*
	 * TODO 1: find the sc_count of the calling process
	 * (task_tgid_nr(current): all threads of a process count together)
	 * and add one; if it has none yet, allocate one with calls = 1 and add
	 * it to sc_counts. A kprobe handler must not sleep: which GFP flags?
	 */
	spin_unlock_irqrestore(&sc_lock, flags);
	return 0;
}

/* (__maybe_unused: no warning while TODO 3 is not done; you may drop it) */
static struct kprobe sc_kprobe __maybe_unused = {
	.symbol_name = PROBED_SYMBOL,
	.pre_handler = sc_pre_handler,
};

/* Prints /proc/sccount. */
static int sc_show(struct seq_file *m, void *v)
{
	unsigned long flags;

	spin_lock_irqsave(&sc_lock, flags);
	/* TODO 2: one line "PID COUNT\n" per sc_count (seq_printf) */
	spin_unlock_irqrestore(&sc_lock, flags);
	return 0;
}

static int __init sc_init(void)
{
	sc_proc = proc_create_single("sccount", 0444, NULL, sc_show);
	if (!sc_proc)
		return -ENOMEM;
	/*
	 * TODO 3: register sc_kprobe; on failure remove the proc file and
	 * return the error.
	 */
	return 0;
}

static void __exit sc_exit(void)
{
	/*
	 * TODO 4: unregister sc_kprobe (before anything it uses goes away),
	 * then free every sc_count.
	 */
	proc_remove(sc_proc);
}

module_init(sc_init);
module_exit(sc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab syscalls-01: count getppid() calls per process with a kprobe");
