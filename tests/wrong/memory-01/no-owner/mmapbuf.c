// SPDX-License-Identifier: GPL-2.0
/*
 * mmapbuf.c - reference solution of lab memory-01: /dev/klab_mmap, a 16 KiB
 * buffer of kernel pages that read(2) and write(2) copy and mmap(2) maps
 * straight into the process.
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

static struct page *mmapbuf_pages;	/* MMAPBUF_PAGES contiguous pages */
static void *mmapbuf_data;		/* their kernel address */

static ssize_t mmapbuf_read(struct file *file, char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, count, ppos, mmapbuf_data,
				       MMAPBUF_SIZE);
}

static ssize_t mmapbuf_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	if (*ppos >= MMAPBUF_SIZE && count)
		return -ENOSPC;
	return simple_write_to_buffer(mmapbuf_data, MMAPBUF_SIZE, ppos, ubuf,
				      count);
}

static loff_t mmapbuf_llseek(struct file *file, loff_t offset, int whence)
{
	return fixed_size_llseek(file, offset, whence, MMAPBUF_SIZE);
}

static int mmapbuf_mmap(struct file *file, struct vm_area_struct *vma)
{
	unsigned long size = vma->vm_end - vma->vm_start;
	unsigned long pgoff = vma->vm_pgoff;

	/* the mapping must lie inside the buffer: [pgoff, pgoff + pages) */
	if (pgoff >= MMAPBUF_PAGES ||
	    size > (MMAPBUF_PAGES - pgoff) << PAGE_SHIFT)
		return -EINVAL;
	return remap_pfn_range(vma, vma->vm_start,
			       page_to_pfn(mmapbuf_pages) + pgoff, size,
			       vma->vm_page_prot);
}

static const struct file_operations mmapbuf_fops = {
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

	mmapbuf_pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, MMAPBUF_ORDER);
	if (!mmapbuf_pages)
		return -ENOMEM;
	mmapbuf_data = page_address(mmapbuf_pages);

	ret = misc_register(&mmapbuf_dev);
	if (ret)
		goto err_free;
	return 0;

err_free:
	__free_pages(mmapbuf_pages, MMAPBUF_ORDER);
	return ret;
}

static void __exit mmapbuf_exit(void)
{
	misc_deregister(&mmapbuf_dev);
	__free_pages(mmapbuf_pages, MMAPBUF_ORDER);
}

module_init(mmapbuf_init);
module_exit(mmapbuf_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab memory-01: mapping kernel pages into a process");
