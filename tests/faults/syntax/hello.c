// SPDX-License-Identifier: GPL-2.0
/* A module with a syntax error on line 8: klab must say `build-error` there. */
#include <linux/init.h>
#include <linux/module.h>

static int __init hello_init(void)
{
	int x = 1
	return x - 1;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
