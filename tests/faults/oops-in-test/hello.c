// SPDX-License-Identifier: GPL-2.0
/*
 * Loads fine, but reading /sys/module/hello/parameters/greeting (which the
 * test does) dereferences NULL in the parameter's getter, line 20: an oops in
 * the test program's context, not in init.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static int greeting_set(const char *val, const struct kernel_param *kp)
{
	return 0;
}

static int greeting_get(char *buffer, const struct kernel_param *kp)
{
	int *nothing = kp->arg;

	return sprintf(buffer, "%d\n", *nothing);
}

static const struct kernel_param_ops greeting_ops = {
	.set = greeting_set,
	.get = greeting_get,
};
module_param_cb(greeting, &greeting_ops, NULL, 0644);

static int __init hello_init(void)
{
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
