// SPDX-License-Identifier: GPL-2.0
/* A module whose init writes through a NULL pointer: klab must say `fault` at line 12. */
#include <linux/init.h>
#include <linux/module.h>

static int *target;

static int __init hello_init(void)
{
	pr_info("about to crash\n");
	/* the fault is on the next line: pipeline_test.py expects line 12 */
	*target = 42;
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
