// SPDX-License-Identifier: GPL-2.0
/*
 * hello.c - modules-01's reference solution that also logs a number from the
 * kernel's RNG when it loads: pipeline_test.py checks that runs restored from
 * one snapshot draw different numbers (each run's header reseeds the RNG).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/random.h>

static char *greeting = "world";
module_param(greeting, charp, 0644);
MODULE_PARM_DESC(greeting, "who to greet (default \"world\")");

static int count = 1;
module_param(count, int, 0444);
MODULE_PARM_DESC(count, "how many greetings, 1 to 10 (default 1)");

static int __init hello_init(void)
{
	if (count < 1 || count > 10) {
		pr_err("count=%d is out of range 1..10\n", count);
		return -EINVAL;
	}
	pr_info("loaded with greeting=\"%s\" count=%d\n", greeting, count);
	pr_info("random %016llx\n", get_random_u64());
	return 0;
}

static void __exit hello_exit(void)
{
	pr_info("unloaded\n");
}

module_init(hello_init);
module_exit(hello_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab modules-01 with a random number");
