// SPDX-License-Identifier: GPL-2.0
/*
 * kmalloc(GFP_KERNEL) while holding a spinlock: the allocation may sleep.
 * DEBUG_ATOMIC_SLEEP reports it; klab must place it at line 25 (the kmalloc),
 * with the lock taken at line 24.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

struct stash {
	spinlock_t lock;
	void *buf;
};

static struct stash stash = {
	.lock = __SPIN_LOCK_UNLOCKED(stash.lock),
};

static int __init hello_init(void)
{
	pr_info("hello: loaded\n");
	spin_lock(&stash.lock);
	stash.buf = kmalloc(64, GFP_KERNEL);
	spin_unlock(&stash.lock);
	return 0;
}

static void __exit hello_exit(void)
{
	kfree(stash.buf);
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
