// SPDX-License-Identifier: GPL-2.0
/*
 * ringdev.c - reference solution of lab devices-01: /dev/klab_ring, a FIFO of
 * RING_SIZE bytes in a ring buffer, with an ioctl for the fill level.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/init.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>

#include "ringdev.h"

static DEFINE_MUTEX(ring_lock);		/* protects the three below */
static char ring_data[RING_SIZE];
static size_t ring_tail;		/* where the oldest byte is */
static size_t ring_fill;		/* how many bytes are stored */

static int ring_open(struct inode *inode, struct file *file)
{
	/* a FIFO has no file position: no lseek, pread or pwrite */
	return stream_open(inode, file);
}

static ssize_t ring_read(struct file *file, char __user *ubuf, size_t count,
			 loff_t *ppos)
{
	size_t n, first;
	ssize_t ret;

	if (mutex_lock_interruptible(&ring_lock))
		return -ERESTARTSYS;
	n = min(count, ring_fill);
	first = min(n, RING_SIZE - ring_tail);
	if (copy_to_user(ubuf, ring_data + ring_tail, first) ||
	    copy_to_user(ubuf + first, ring_data, n - first)) {
		ret = -EFAULT;	/* nothing consumed */
		goto out;
	}
	ring_tail = (ring_tail + n) % RING_SIZE;
	ring_fill -= n;
	ret = n;
out:
	mutex_unlock(&ring_lock);
	return ret;
}

static ssize_t ring_write(struct file *file, const char __user *ubuf,
			  size_t count, loff_t *ppos)
{
	size_t head, first;
	ssize_t ret;

	if (count > RING_SIZE)
		return -EINVAL;
	if (mutex_lock_interruptible(&ring_lock))
		return -ERESTARTSYS;
	if (count > RING_SIZE - ring_fill) {
		ret = -EAGAIN;	/* all or nothing: try again after a read */
		goto out;
	}
	head = (ring_tail + ring_fill) % RING_SIZE;
	first = min(count, RING_SIZE - head);
	if (copy_from_user(ring_data + head, ubuf, first) ||
	    copy_from_user(ring_data, ubuf + first, count - first)) {
		ret = -EFAULT;	/* nothing stored: ring_fill is unchanged */
		goto out;
	}
	ring_fill += count;
	ret = count;
out:
	mutex_unlock(&ring_lock);
	return ret;
}

static long ring_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	int fill;

	switch (cmd) {
	case RING_GET_FILL:
		mutex_lock(&ring_lock);
		fill = ring_fill;
		mutex_unlock(&ring_lock);
		return put_user(fill, (int __user *)arg);
	case RING_CLEAR:
		mutex_lock(&ring_lock);
		ring_tail = 0;
		ring_fill = 0;
		mutex_unlock(&ring_lock);
		return 0;
	default:
		return -EINVAL;
	}
}

static const struct file_operations ring_fops = {
	.owner = THIS_MODULE,
	.open = ring_open,
	.read = ring_read,
	.write = ring_write,
	.llseek = no_llseek,
	.unlocked_ioctl = ring_ioctl,
};

static struct miscdevice ring_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "klab_ring",
	.fops = &ring_fops,
	.mode = 0666,
};

static int __init ring_init(void)
{
	return misc_register(&ring_dev);
}

static void __exit ring_exit(void)
{
	misc_deregister(&ring_dev);
}

module_init(ring_init);
module_exit(ring_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab devices-01: a ring buffer character device");
