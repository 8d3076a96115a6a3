// SPDX-License-Identifier: GPL-2.0
/*
 * sigsend.c - send a process a signal with a value (lab signals-01).
 *
 * /dev/sigsend: a process registers for a signal with
 * ioctl(fd, SIGSEND_IOC_REGISTER, &sig); then every write of a number to the
 * device sends the registered process that signal with the number as its
 * value, as sigqueue(3) would. Closing the registering file drops the
 * registration. README.md has the task; `klab hint signals-01` helps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/ioctl.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/signal.h>
#include <linux/uaccess.h>

#define SIGSEND_IOC_REGISTER _IOW('k', 1, int)

/* The one registered receiver. */
static struct {
	struct mutex lock;
	struct pid *pid;	/* the receiving process, a reference we hold */
	struct file *owner;	/* the open file that registered it */
	int sig;
} receiver = {
	.lock = __MUTEX_INITIALIZER(receiver.lock),
};

static long sigsend_register(struct file *file, int __user *arg)
{
	/*
	 * TODO 1: read the signal number from user memory (get_user). Refuse
	 * 0, numbers that are not valid signals, SIGKILL and SIGSTOP with
	 * -EINVAL. Under receiver.lock: if another file is registered,
	 * -EBUSY; else record the calling process (a reference to its struct
	 * pid: get_pid(task_tgid(current))), this file and the signal. The
	 * same file may register again: drop the reference it held before.
	 */
	return -ENOTTY;
}

static long sigsend_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case SIGSEND_IOC_REGISTER:
		return sigsend_register(file, (int __user *)arg);
	default:
		return -ENOTTY;
	}
}

static ssize_t sigsend_write(struct file *file, const char __user *buf, size_t count,
			     loff_t *ppos)
{
	/*
	 * TODO 2: parse the number written (kstrtoint_from_user; not a
	 * number: -EINVAL). No receiver: -ESRCH. Else fill a struct
	 * kernel_siginfo (clear_siginfo first) as sigqueue(3) would: the
	 * signal, si_code SI_QUEUE, si_pid and si_uid of the writer, si_int
	 * the value; find the receiver's task from its struct pid and send it
	 * with send_sig_info(). Return count on success.
	 */
	return -EOPNOTSUPP;
}

static int sigsend_release(struct inode *inode, struct file *file)
{
	/*
	 * TODO 3: if this file registered the receiver, drop the registration
	 * and the struct pid reference.
	 */
	return 0;
}

static const struct file_operations sigsend_fops = {
	.owner = THIS_MODULE,
	.write = sigsend_write,
	.unlocked_ioctl = sigsend_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.release = sigsend_release,
	.llseek = noop_llseek,
};

static struct miscdevice sigsend_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "sigsend",
	.fops = &sigsend_fops,
	.mode = 0666,
};

static int __init sigsend_init(void)
{
	return misc_register(&sigsend_dev);
}

static void __exit sigsend_exit(void)
{
	misc_deregister(&sigsend_dev);
}

module_init(sigsend_init);
module_exit(sigsend_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab signals-01: send a registered process a signal with a value");
