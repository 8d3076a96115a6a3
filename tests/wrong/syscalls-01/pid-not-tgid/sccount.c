// SPDX-License-Identifier: GPL-2.0
/*
 * sccount.c - a wrong solution of lab syscalls-01 (pid-not-tgid): it counts
 * per thread (task_pid_nr) instead of per process (task_tgid_nr). Otherwise
 * the reference solution.
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
	pid_t tgid = task_pid_nr(current);
	struct sc_count *c;
	unsigned long flags;

	spin_lock_irqsave(&sc_lock, flags);
	list_for_each_entry(c, &sc_counts, node) {
		if (c->tgid == tgid) {
			c->calls++;
			goto out;
		}
	}
	/* a kprobe handler must not sleep: GFP_ATOMIC */
	c = kmalloc(sizeof(*c), GFP_ATOMIC);
	if (c) {
		c->tgid = tgid;
		c->calls = 1;
		list_add_tail(&c->node, &sc_counts);
	}
out:
	spin_unlock_irqrestore(&sc_lock, flags);
	return 0;
}

static struct kprobe sc_kprobe = {
	.symbol_name = PROBED_SYMBOL,
	.pre_handler = sc_pre_handler,
};

static int sc_show(struct seq_file *m, void *v)
{
	struct sc_count *c;
	unsigned long flags;

	spin_lock_irqsave(&sc_lock, flags);
	list_for_each_entry(c, &sc_counts, node)
		seq_printf(m, "%d %lu\n", c->tgid, c->calls);
	spin_unlock_irqrestore(&sc_lock, flags);
	return 0;
}

static int __init sc_init(void)
{
	int ret;

	sc_proc = proc_create_single("sccount", 0444, NULL, sc_show);
	if (!sc_proc)
		return -ENOMEM;
	ret = register_kprobe(&sc_kprobe);
	if (ret < 0) {
		pr_err("register_kprobe(%s): %d\n", PROBED_SYMBOL, ret);
		proc_remove(sc_proc);
		return ret;
	}
	pr_info("counting calls of %s\n", PROBED_SYMBOL);
	return 0;
}

static void __exit sc_exit(void)
{
	struct sc_count *c, *tmp;

	/* first stop the handler, then nobody else uses the list */
	unregister_kprobe(&sc_kprobe);
	proc_remove(sc_proc);
	list_for_each_entry_safe(c, tmp, &sc_counts, node) {
		list_del(&c->node);
		kfree(c);
	}
}

module_init(sc_init);
module_exit(sc_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab syscalls-01: count getppid() calls per process with a kprobe");
