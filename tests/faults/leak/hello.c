// SPDX-License-Identifier: GPL-2.0
/*
 * A modules-01 solution that allocates a buffer on load and forgets to free it
 * on unload. Every test passes; the leak check after the unload must give a
 * fault at line 29 (the kmalloc).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

static char *greeting = "world";
module_param(greeting, charp, 0644);
static int count = 1;
module_param(count, int, 0444);

static char *history;

static int __init hello_init(void)
{
	if (count < 1 || count > 10) {
		pr_err("count=%d is out of range 1..10\n", count);
		return -EINVAL;
	}
	/* room for every greeting we will ever print */
	history = kmalloc(16384, GFP_KERNEL);
	if (!history)
		return -ENOMEM;
	memset(history, ' ', 16384);
	pr_info("loaded with greeting=\"%s\" count=%d\n", greeting, count);
	return 0;
}

static void __exit hello_exit(void)
{
	pr_info("unloaded\n");
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
