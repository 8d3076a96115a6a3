// SPDX-License-Identifier: GPL-2.0
/* A module whose init never returns (it sleeps forever): klab must say `timeout`. */
#include <linux/delay.h>
#include <linux/init.h>
#include <linux/module.h>

static int __init hello_init(void)
{
	for (;;)
		msleep(1000);
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
