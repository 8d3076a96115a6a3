// SPDX-License-Identifier: GPL-2.0
/*
 * ringdev.c - /dev/klab_ring, a FIFO in a ring buffer (lab devices-01).
 *
 * Bytes written to the device come out of read(2) in the same order, once.
 * The ring holds RING_SIZE bytes; ioctl(2) reports or clears the fill level
 * (ringdev.h). Many processes may use the device at once. README.md has the
 * task; `klab hint devices-01` helps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/init.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/uaccess.h>

#include "ringdev.h"

/*
 * The ring: ring_fill bytes starting at ring_tail, wrapping around at
 * RING_SIZE. (__maybe_unused only keeps the compiler quiet until your code
 * uses them.)
 *
 * TODO 1: readers, writers and ioctls run at the same time, and copying
 * from or to user memory may sleep: add a lock that protects the ring.
 */
static char ring_data[RING_SIZE] __maybe_unused;
static size_t ring_tail __maybe_unused;	/* where the oldest byte is */
static size_t ring_fill __maybe_unused;	/* how many bytes are stored */

static int ring_open(struct inode *inode, struct file *file)
{
	/*
	 * TODO 2: a FIFO has no file position: make lseek(2), pread(2) and
	 * pwrite(2) fail with ESPIPE for this file.
	 */
	return 0;
}

static ssize_t ring_read(struct file *file, char __user *ubuf, size_t count,
			 loff_t *ppos)
{
	/*
	 * TODO 3: move up to count of the oldest bytes to the user and return
	 * how many; 0 when the ring is empty. If the copy fails: -EFAULT, and
	 * the bytes stay in the ring.
	 */
	return 0;
}

static ssize_t ring_write(struct file *file, const char __user *ubuf,
			  size_t count, loff_t *ppos)
{
	/*
	 * TODO 4: all or nothing: -EINVAL if count > RING_SIZE (it can never
	 * fit), -EAGAIN if it does not fit now; else append the count bytes
	 * and return count. If the copy fails: -EFAULT, and nothing is added.
	 */
	return -EOPNOTSUPP;
}

static long ring_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	/*
	 * TODO 5: RING_GET_FILL stores the fill level as an int at the user
	 * address arg; RING_CLEAR empties the ring; any other command is not
	 * one of this device's.
	 */
	return -EOPNOTSUPP;
}

static const struct file_operations ring_fops = {
	.owner = THIS_MODULE,
	.open = ring_open,
	.read = ring_read,
	.write = ring_write,
	.llseek = no_llseek,	/* lseek(2) fails with ESPIPE */
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
