// SPDX-License-Identifier: GPL-2.0
/*
 * Two locks taken in both orders by two code paths (AB-BA). Nothing deadlocks
 * here, one thread runs both paths, but lockdep sees the order inversion;
 * klab must place it at line 29 (taking a while holding b), with the other
 * order at line 19.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/spinlock.h>

static DEFINE_SPINLOCK(a);
static DEFINE_SPINLOCK(b);
static int counter_a, counter_b;

static noinline void move_a_to_b(void)
{
	spin_lock(&a);
	spin_lock(&b);
	counter_b += counter_a;
	counter_a = 0;
	spin_unlock(&b);
	spin_unlock(&a);
}

static noinline void move_b_to_a(void)
{
	spin_lock(&b);
	spin_lock(&a);
	counter_a += counter_b;
	counter_b = 0;
	spin_unlock(&a);
	spin_unlock(&b);
}

static int __init hello_init(void)
{
	pr_info("hello: loaded\n");
	counter_a = 1;
	move_a_to_b();
	move_b_to_a();
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
