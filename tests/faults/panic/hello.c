// SPDX-License-Identifier: GPL-2.0
/* A module that panics the kernel in init: klab must say `fault` (panic), quickly. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/panic.h>

static int __init hello_init(void)
{
	panic("klab test: deliberate panic");
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
