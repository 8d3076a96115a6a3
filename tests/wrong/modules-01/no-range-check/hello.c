// SPDX-License-Identifier: GPL-2.0
/*
 * hello.c - reference solution of lab modules-01: a module with two
 * parameters that logs when it loads and unloads.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static char *greeting = "world";
module_param(greeting, charp, 0644);
MODULE_PARM_DESC(greeting, "who to greet (default \"world\")");

static int count = 1;
module_param(count, int, 0444);
MODULE_PARM_DESC(count, "how many greetings, 1 to 10 (default 1)");

static int __init hello_init(void)
{
	if (count < 1) {
		pr_err("count=%d is out of range 1..10\n", count);
		return -EINVAL;
	}
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
MODULE_DESCRIPTION("klab modules-01: parameters and messages");
