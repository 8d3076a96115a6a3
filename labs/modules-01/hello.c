// SPDX-License-Identifier: GPL-2.0
/*
 * hello.c - your first kernel module (lab modules-01).
 *
 * Build a module that takes two parameters and says hello and goodbye in the
 * kernel log. README.md has the task; `klab hint modules-01` helps.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

/*
 * TODO 1: make every message of this module start with "hello: " without
 * writing it in each pr_info() (hint: pr_fmt, defined before the includes).
 */

/*
 * TODO 2: two parameters, visible in /sys/module/hello/parameters/:
 *   greeting - a string, default "world", readable by everyone and writable
 *              by root (0644)
 *   count    - an int from 1 to 10, default 1, read-only (0444)
 */

static int __init hello_init(void)
{
	/*
	 * TODO 3: refuse a count outside 1..10 with -EINVAL (the module must
	 * then not load), else log: loaded with greeting="<greeting>" count=<count>
	 */
	return 0;
}

static void __exit hello_exit(void)
{
	/* TODO 4: log: unloaded */
}

module_init(hello_init);
module_exit(hello_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab modules-01: parameters and messages");
