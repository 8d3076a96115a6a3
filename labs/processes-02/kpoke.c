// SPDX-License-Identifier: GPL-2.0
/*
 * kpoke.c - a kernel thread that sleeps until it is poked (lab processes-02).
 *
 * /proc/kpoke takes three commands: "start" creates the thread "kpoke",
 * "poke" wakes it up, "stop" ends it. Reading /proc/kpoke says whether the
 * thread runs and how many pokes it has taken. The /proc file is done; the
 * thread is yours. README.md has the task; `klab hint processes-02` helps.
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
static atomic_t kpoke_wakeups = ATOMIC_INIT(0);	/* pokes the thread took */

/*
 * TODO 1: the thread needs something to sleep on and something that says
 * "you were poked": declare a wait queue head and a flag (an atomic_t is
 * handy, see atomic_xchg()).
 */

/* (__maybe_unused only keeps the compiler quiet until your code uses it) */
static int __maybe_unused kpoke_thread(void *data)
{
	/*
	 * TODO 2: until someone stops this thread, sleep on the wait queue
	 * until poked; each time you wake up and find the poke flag set,
	 * clear it and add one to kpoke_wakeups. Sleep interruptibly (state
	 * S), never busy-wait, and make sure a stop request wakes you up and
	 * ends the loop.
	 */
	return 0;
}

/* The next three run with kpoke_lock held; they return 0 or -errno. */

static int kpoke_start(void)
{
	/*
	 * TODO 3: -EBUSY if the thread already runs; else create and start
	 * a kernel thread named "kpoke" running kpoke_thread(), and keep it
	 * in kpoke_task. Creating a thread can fail.
	 */
	return -EOPNOTSUPP;
}

static int kpoke_stop(void)
{
	/*
	 * TODO 4: -ESRCH if no thread runs; else stop it, wait until it has
	 * exited, and forget it (kpoke_task = NULL).
	 */
	return -EOPNOTSUPP;
}

static int kpoke_poke(void)
{
	/* TODO 5: -ESRCH if no thread runs; else set the flag and wake it. */
	return -EOPNOTSUPP;
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
	/*
	 * TODO 6: a thread that outlives its module runs freed code: stop it
	 * if it still runs (kpoke_stop() expects kpoke_lock to be held).
	 */
}

module_init(kpoke_init);
module_exit(kpoke_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab processes-02: a kernel thread on a wait queue");
