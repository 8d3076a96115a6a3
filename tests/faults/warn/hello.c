// SPDX-License-Identifier: GPL-2.0
/* A module that triggers a WARNING in init (line 10): klab must say `fault`. */
#include <linux/bug.h>
#include <linux/init.h>
#include <linux/module.h>

static int __init hello_init(void)
{
	int zero = 0;
	WARN_ON(zero == 0);
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
