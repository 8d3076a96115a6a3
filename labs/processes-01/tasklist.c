// SPDX-License-Identifier: GPL-2.0
/*
 * tasklist.c - list every process in /proc/klab_tasks (lab processes-01).
 *
 * Walk the kernel's task list under RCU and print one line per process:
 * "pid ppid state comm". README.md has the task; `klab hint processes-01`
 * helps.
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

/* (__maybe_unused only keeps the compiler quiet until your code uses them) */
static struct proc_dir_entry *tasklist_entry __maybe_unused;

/*
 * Called by the seq_file code each time /proc/klab_tasks is read. Everything
 * printed with seq_printf(m, ...) is what the reader gets.
 */
static int __maybe_unused tasklist_show(struct seq_file *m, void *v)
{
	/*
	 * TODO 1: walk every process (not every thread) and print one line:
	 *	"<pid> <ppid> <state> <comm>\n"
	 * e.g. "1 0 S init". The task list may change under you: hold the
	 * RCU read lock for the whole walk (and do not sleep while you hold
	 * it). The state is one letter, the same as in /proc/<pid>/stat.
	 */
	return 0;
}

static int __init tasklist_init(void)
{
	/*
	 * TODO 2: create /proc/klab_tasks, mode 0444, whose content is made by
	 * tasklist_show(), and keep the entry in tasklist_entry. If that
	 * fails, the module must not load.
	 */
	return 0;
}

static void __exit tasklist_exit(void)
{
	/* TODO 3: remove /proc/klab_tasks: no file may outlive the module. */
}

module_init(tasklist_init);
module_exit(tasklist_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab processes-01: the task list in /proc");
