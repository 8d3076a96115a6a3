// SPDX-License-Identifier: GPL-2.0
/*
 * tasklist.c - reference solution of lab processes-01: /proc/klab_tasks lists
 * every process (thread group leader) as "pid ppid state comm", walking the
 * task list under RCU.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>

#define TASKLIST_NAME "klab_tasks"

static struct proc_dir_entry *tasklist_entry;

static int tasklist_show(struct seq_file *m, void *v)
{
	struct task_struct *p;

	rcu_read_lock();
	for_each_process(p) {
		seq_printf(m, "%d %d %c %s\n", task_pid_nr(p), task_ppid_nr(p),
			   task_state_to_char(p), p->comm);
	}
	rcu_read_unlock();
	return 0;
}

static int __init tasklist_init(void)
{
	tasklist_entry = proc_create_single(TASKLIST_NAME, 0444, NULL,
					    tasklist_show);
	if (!tasklist_entry) {
		pr_err("cannot create /proc/%s\n", TASKLIST_NAME);
		return -ENOMEM;
	}
	pr_info("/proc/%s ready\n", TASKLIST_NAME);
	return 0;
}

static void __exit tasklist_exit(void)
{
	proc_remove(tasklist_entry);
	pr_info("unloaded\n");
}

module_init(tasklist_init);
module_exit(tasklist_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab processes-01: the task list in /proc");
