// SPDX-License-Identifier: GPL-2.0
/*
 * A refcount underflow (a WARNING), then every CPU spins with interrupts off:
 * the guest stops making progress. The run must end a test timeout after the
 * fault, not at the lab's timeout, with the fault at line 25.
 */
#include <linux/init.h>
#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/smp.h>

static refcount_t users = REFCOUNT_INIT(1);

static void spin_forever(void *unused)
{
	local_irq_disable();
	for (;;)
		cpu_relax();
}

static int __init hello_init(void)
{
	if (refcount_dec_and_test(&users))
		refcount_dec(&users);
	on_each_cpu(spin_forever, NULL, 0);
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
