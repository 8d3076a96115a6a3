// SPDX-License-Identifier: GPL-2.0
/*
 * sigsend.c - a wrong solution of lab signals-01 (no-put-pid): closing the
 * file drops the registration but never puts the struct pid reference taken by
 * get_pid(), so every registered process leaks its struct pid. Otherwise the
 * reference solution.
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
	struct pid *old = NULL;
	int sig, ret = 0;

	if (get_user(sig, arg))
		return -EFAULT;
	if (!valid_signal(sig) || sig == 0 || sig_kernel_only(sig))
		return -EINVAL;
	mutex_lock(&receiver.lock);
	if (receiver.owner && receiver.owner != file) {
		ret = -EBUSY;
	} else {
		old = receiver.pid;
		receiver.pid = get_pid(task_tgid(current));
		receiver.owner = file;
		receiver.sig = sig;
	}
	mutex_unlock(&receiver.lock);
	put_pid(old);	/* the same file registering again */
	return ret;
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
	struct kernel_siginfo info;
	struct task_struct *task;
	struct pid *pid;
	int value, sig, ret;

	ret = kstrtoint_from_user(buf, count, 0, &value);
	if (ret)
		return ret;

	mutex_lock(&receiver.lock);
	pid = get_pid(receiver.pid);
	sig = receiver.sig;
	mutex_unlock(&receiver.lock);
	if (!pid)
		return -ESRCH;

	clear_siginfo(&info);
	info.si_signo = sig;
	info.si_errno = 0;
	info.si_code = SI_QUEUE;
	info.si_pid = task_tgid_vnr(current);
	info.si_uid = from_kuid_munged(current_user_ns(), current_uid());
	info.si_int = value;

	ret = -ESRCH;
	task = get_pid_task(pid, PIDTYPE_TGID);
	if (task) {
		ret = send_sig_info(sig, &info, task);
		put_task_struct(task);
	}
	put_pid(pid);
	return ret ? ret : count;
}

static int sigsend_release(struct inode *inode, struct file *file)
{
	struct pid *old = NULL;

	mutex_lock(&receiver.lock);
	if (receiver.owner == file) {
		old = receiver.pid;
		receiver.pid = NULL;
		receiver.owner = NULL;
		receiver.sig = 0;
	}
	mutex_unlock(&receiver.lock);
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
