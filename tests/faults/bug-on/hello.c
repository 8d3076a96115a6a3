// SPDX-License-Identifier: GPL-2.0
/*
 * A module whose init hits BUG_ON(): the kernel names the source file in the
 * report's title ("kernel BUG at FILE:LINE!"), a path in klab's private build
 * folder, deleted when the run ends. klab must name the learner's file instead.
 */
#include <linux/bug.h>
#include <linux/init.h>
#include <linux/module.h>

static int __init hello_init(void)
{
	int ready = 0;

	BUG_ON(!ready);
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
