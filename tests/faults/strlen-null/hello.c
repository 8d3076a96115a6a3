// SPDX-License-Identifier: GPL-2.0
/*
 * strlen() of a parameter nobody set (NULL): the fault is inside the kernel's
 * strlen, reached through the inlined fortify wrapper in fortify-string.h;
 * klab must place it at line 21, the learner's call (issue 13).
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

static char *greeting = "world";
module_param(greeting, charp, 0644);
static int count = 1;
module_param(count, int, 0444);
static char *name; /* never given: NULL */
module_param(name, charp, 0444);

static int __init hello_init(void)
{
	pr_info("hello: name is %zu bytes long\n", strlen(name));
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
