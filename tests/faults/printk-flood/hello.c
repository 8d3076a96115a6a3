// SPDX-License-Identifier: GPL-2.0
/* A module that floods the console (about 20 MB of pr_err): bounded time and memory. */
#include <linux/init.h>
#include <linux/module.h>

static int __init hello_init(void)
{
	int i;

	for (i = 0; i < 200000; i++)
		pr_err("flood %d: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", i);
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
