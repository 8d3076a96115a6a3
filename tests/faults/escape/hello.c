// SPDX-License-Identifier: GPL-2.0
/*
 * The modules-01 solution, except that on unload it prints lines carrying
 * terminal escape sequences (a colour, a window title, a screen clear)
 * instead of "unloaded": klab must show them defused (^[...), never hand them
 * to the learner's terminal.
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
	if (count < 1 || count > 10) {
		pr_err("count=%d is out of range 1..10\n", count);
		return -EINVAL;
	}
	pr_info("loaded with greeting=\"%s\" count=%d\n", greeting, count);
	return 0;
}

static void __exit hello_exit(void)
{
	pr_info("\033[31mred\033[0m \033]0;pwned\007 \033[2J\n");
}

module_init(hello_init);
module_exit(hello_exit);

MODULE_LICENSE("GPL");
