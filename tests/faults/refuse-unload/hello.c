// SPDX-License-Identifier: GPL-2.0
/*
 * The reference solution, except that init takes a reference on itself that is
 * never dropped: delete_module() fails with EBUSY, so the module refuses to unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static char *greeting = "world";
module_param(greeting, charp, 0644);

static int count = 1;
module_param(count, int, 0444);

static int __init hello_init(void)
{
	if (count < 1 || count > 10)
		return -EINVAL;
	__module_get(THIS_MODULE);
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
