// SPDX-License-Identifier: GPL-2.0
/*
 * kfree() before list_del(): the entry is read after it was freed. On the
 * debug kernel KASAN says use-after-free; klab must place it at line 29 (the
 * list_del), freed at line 28, allocated at line 24.
 */
#include <linux/init.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/slab.h>

struct entry {
	struct list_head node;
	int value;
};

static LIST_HEAD(entries);

static int __init hello_init(void)
{
	struct entry *e;

	pr_info("hello: loaded\n");
	e = kmalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	list_add(&e->node, &entries);
	kfree(e);
	list_del(&e->node);
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
