// SPDX-License-Identifier: GPL-2.0
/*
 * kpoke.c - reference solution of lab processes-02: a kernel thread that
 * sleeps on a wait queue and counts the times it is poked, controlled through
 * /proc/kpoke ("start", "stop", "poke").
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/init.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#define KPOKE_NAME "kpoke"

static struct proc_dir_entry *kpoke_entry;
static DEFINE_MUTEX(kpoke_lock);	/* serialises start, stop and poke */
static struct task_struct *kpoke_task;	/* the thread, NULL when stopped */
static DECLARE_WAIT_QUEUE_HEAD(kpoke_wq);
static atomic_t kpoke_poked = ATOMIC_INIT(0);	/* a poke is pending */
static atomic_t kpoke_wakeups = ATOMIC_INIT(0);	/* pokes the thread took */

static int kpoke_thread(void *data)
{
	while (!kthread_should_stop()) {
		wait_event_interruptible(kpoke_wq,
					 atomic_read(&kpoke_poked) ||
					 kthread_should_stop());
		if (atomic_xchg(&kpoke_poked, 0))
			atomic_inc(&kpoke_wakeups);
	}
	return 0;
}

static int kpoke_start(void)
{
	struct task_struct *t;

	t = kthread_run(kpoke_thread, NULL, KPOKE_NAME);
	if (IS_ERR(t))
		return PTR_ERR(t);
	kpoke_task = t;
	return 0;
}

static int kpoke_stop(void)
{
	if (!kpoke_task)
		return -ESRCH;
	kthread_stop(kpoke_task);
	kpoke_task = NULL;
	atomic_set(&kpoke_poked, 0);
	return 0;
}

static int kpoke_poke(void)
{
	if (!kpoke_task)
		return -ESRCH;
	atomic_set(&kpoke_poked, 1);
	wake_up_interruptible(&kpoke_wq);
	return 0;
}

static int kpoke_show(struct seq_file *m, void *v)
{
	mutex_lock(&kpoke_lock);
	seq_printf(m, "running %d\nwakeups %d\n", kpoke_task != NULL,
		   atomic_read(&kpoke_wakeups));
	mutex_unlock(&kpoke_lock);
	return 0;
}

static int kpoke_open(struct inode *inode, struct file *file)
{
	return single_open(file, kpoke_show, NULL);
}

static ssize_t kpoke_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	char cmd[16];
	int ret;

	if (count >= sizeof(cmd))
		return -EINVAL;
	if (copy_from_user(cmd, ubuf, count))
		return -EFAULT;
	cmd[count] = '\0';

	mutex_lock(&kpoke_lock);
	if (sysfs_streq(cmd, "start"))
		ret = kpoke_start();
	else if (sysfs_streq(cmd, "stop"))
		ret = kpoke_stop();
	else if (sysfs_streq(cmd, "poke"))
		ret = kpoke_poke();
	else
		ret = -EINVAL;
	mutex_unlock(&kpoke_lock);
	return ret ? ret : count;
}

static const struct proc_ops kpoke_ops = {
	.proc_open = kpoke_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
	.proc_write = kpoke_write,
};

static int __init kpoke_init(void)
{
	kpoke_entry = proc_create(KPOKE_NAME, 0644, NULL, &kpoke_ops);
	if (!kpoke_entry)
		return -ENOMEM;
	return 0;
}

static void __exit kpoke_exit(void)
{
	/* no new command can arrive once the file is gone */
	proc_remove(kpoke_entry);
	mutex_lock(&kpoke_lock);
	if (kpoke_task)
		kpoke_stop();
	mutex_unlock(&kpoke_lock);
}

module_init(kpoke_init);
module_exit(kpoke_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab processes-02: a kernel thread on a wait queue");
