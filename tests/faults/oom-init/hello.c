// SPDX-License-Identifier: GPL-2.0
/*
 * A module whose init allocates until the machine runs out of memory: the OOM
 * killer kills the loading process. klab must show the kernel's OOM report
 * (in "your module's log"), not just "killed by signal 9".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>

/* 32 KiB a time: the largest order the page allocator still OOM-kills for */
#define CHUNK_ORDER 3

static int __init hello_init(void)
{
	struct page *head = NULL, *p;
	unsigned long n = 0;

	pr_info("allocating until memory runs out\n");
	/* each chunk holds a pointer to the one before: all of them are freed below */
	while (!fatal_signal_pending(current)) {
		p = alloc_pages(GFP_KERNEL, CHUNK_ORDER);
		if (!p)
			break;
		*(struct page **)page_address(p) = head;
		head = p;
		n++;
	}
	while (head) {
		p = *(struct page **)page_address(head);
		__free_pages(head, CHUNK_ORDER);
		head = p;
	}
	pr_info("allocated %lu chunks before stopping\n", n);
	return -ENOMEM;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);

MODULE_LICENSE("GPL");
