// SPDX-License-Identifier: GPL-2.0
/*
 * A reference put twice: the second refcount_dec_and_test() underflows, a
 * WARNING that DWARF places at line 33 (the second put_users() call: the
 * compiler moves the warning's call out of the inlined helper), then every CPU
 * spins with interrupts off and the guest stops making progress. The run must end a test timeout after the fault, not at the lab's
 * timeout.
 */
#include <linux/init.h>
#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/smp.h>

static refcount_t users = REFCOUNT_INIT(1);

static void put_users(void)
{
	if (refcount_dec_and_test(&users))
		pr_info("hello: last user gone\n");
}

static void spin_forever(void *unused)
{
	local_irq_disable();
	for (;;)
		cpu_relax();
}

static int __init hello_init(void)
{
	put_users();
	put_users();
	on_each_cpu(spin_forever, NULL, 0);
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
