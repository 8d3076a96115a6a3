// SPDX-License-Identifier: GPL-2.0
/*
 * mmapbuf.c - /dev/klab_mmap, kernel pages mapped into a process (lab
 * memory-01).
 *
 * The device holds a 16 KiB buffer of kernel pages. read(2) and write(2) copy
 * to and from it; mmap(2) maps the pages themselves into the caller, so that
 * both see the same bytes. README.md has the task; `klab hint memory-01`
 * helps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>

#define MMAPBUF_ORDER 2				/* 2^2 = 4 pages */
#define MMAPBUF_PAGES (1UL << MMAPBUF_ORDER)
#define MMAPBUF_SIZE (MMAPBUF_PAGES << PAGE_SHIFT)

/* (__maybe_unused only keeps the compiler quiet until your code uses them) */
static struct page *mmapbuf_pages __maybe_unused; /* MMAPBUF_PAGES pages */
static void *mmapbuf_data __maybe_unused;	  /* their kernel address */

static ssize_t mmapbuf_read(struct file *file, char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	/*
	 * TODO 2: copy up to count bytes of the buffer, from offset *ppos, to
	 * the user; advance *ppos; 0 at or past the end (end of file).
	 */
	return 0;
}

static ssize_t mmapbuf_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	/*
	 * TODO 3: copy up to count bytes from the user into the buffer at
	 * *ppos and advance *ppos: a write that crosses the end is cut short.
	 * A write that starts at or past the end fails with -ENOSPC.
	 */
	return -ENOSPC;
}

/*
 * lseek(2) works on a buffer of a fixed size, SEEK_END included. (Without a
 * .llseek, the open path clears FMODE_LSEEK and lseek fails with ESPIPE.)
 */
static loff_t mmapbuf_llseek(struct file *file, loff_t offset, int whence)
{
	return fixed_size_llseek(file, offset, whence, MMAPBUF_SIZE);
}

static int mmapbuf_mmap(struct file *file, struct vm_area_struct *vma)
{
	/*
	 * TODO 4: map the buffer's pages into vma. The process asked for
	 * vma->vm_end - vma->vm_start bytes starting at page vma->vm_pgoff of
	 * the device (the offset argument of mmap(2), in pages). A mapping
	 * that does not lie entirely inside the buffer fails with -EINVAL.
	 */
	return -EOPNOTSUPP;
}

static const struct file_operations mmapbuf_fops = {
	.owner = THIS_MODULE,
	.read = mmapbuf_read,
	.write = mmapbuf_write,
	.llseek = mmapbuf_llseek,
	.mmap = mmapbuf_mmap,
};

static struct miscdevice mmapbuf_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "klab_mmap",
	.fops = &mmapbuf_fops,
	.mode = 0666,
};

static int __init mmapbuf_init(void)
{
	int ret;

	/*
	 * TODO 1: allocate MMAPBUF_PAGES physically contiguous, zeroed pages
	 * into mmapbuf_pages and set mmapbuf_data to their kernel address.
	 * Free them again if misc_register() fails, and in mmapbuf_exit().
	 */

	ret = misc_register(&mmapbuf_dev);
	if (ret)
		return ret;
	return 0;
}

static void __exit mmapbuf_exit(void)
{
	misc_deregister(&mmapbuf_dev);
}

module_init(mmapbuf_init);
module_exit(mmapbuf_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab memory-01: mapping kernel pages into a process");
