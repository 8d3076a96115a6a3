// SPDX-License-Identifier: GPL-2.0
/* A module that spins forever with interrupts off: the guest freezes; klab must time out. */
#include <linux/init.h>
#include <linux/irqflags.h>
#include <linux/module.h>

static int __init hello_init(void)
{
	local_irq_disable();
	for (;;)
		cpu_relax();
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
