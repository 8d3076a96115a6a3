// SPDX-License-Identifier: GPL-2.0
/*
 * nlecho.c - reference solution of lab netlink-01: a generic netlink family,
 * "klab_echo", whose ECHO command replies with the string it was sent and
 * the number of echo requests answered so far.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/init.h>
#include <linux/module.h>
#include <net/genetlink.h>

#define KLECHO_FAMILY_NAME	"klab_echo"
#define KLECHO_FAMILY_VERSION	1
#define KLECHO_MSG_MAX		255	/* bytes, without the terminating NUL */

enum {
	KLECHO_CMD_UNSPEC,
	KLECHO_CMD_ECHO,	/* request: MSG; reply: MSG, COUNT */
};

enum {
	KLECHO_A_UNSPEC,
	KLECHO_A_MSG,		/* NUL-terminated string */
	KLECHO_A_COUNT,		/* u32: echo requests answered, this one included */
	__KLECHO_A_MAX,
};
#define KLECHO_A_MAX (__KLECHO_A_MAX - 1)

static const struct nla_policy klecho_policy[KLECHO_A_MAX + 1] = {
	[KLECHO_A_MSG] = { .type = NLA_NUL_STRING, .len = KLECHO_MSG_MAX },
	[KLECHO_A_COUNT] = { .type = NLA_U32 },
};

static atomic_t klecho_count = ATOMIC_INIT(0);
static struct genl_family klecho_family;

static int klecho_echo(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *reply;
	const char *msg;
	void *hdr;

	if (GENL_REQ_ATTR_CHECK(info, KLECHO_A_MSG))
		return -EINVAL;
	msg = nla_data(info->attrs[KLECHO_A_MSG]);

	reply = genlmsg_new(nla_total_size(strlen(msg) + 1) + nla_total_size(sizeof(u32)),
			    GFP_KERNEL);
	if (!reply)
		return -ENOMEM;
	hdr = genlmsg_put(reply, info->snd_portid, info->snd_seq, &klecho_family, 0,
			  KLECHO_CMD_ECHO);
	if (!hdr)
		goto too_big;
	if (nla_put_string(reply, KLECHO_A_MSG, msg) ||
	    nla_put_u32(reply, KLECHO_A_COUNT, atomic_inc_return(&klecho_count)))
		goto too_big;
	genlmsg_end(reply, hdr);
	return genlmsg_reply(reply, info);

too_big:
	nlmsg_free(reply);
	return -EMSGSIZE;
}

static const struct genl_small_ops klecho_ops[] = {
	{
		.cmd = KLECHO_CMD_ECHO,
		.doit = klecho_echo,
	},
};

static struct genl_family klecho_family = {
	.name = KLECHO_FAMILY_NAME,
	.version = KLECHO_FAMILY_VERSION,
	.maxattr = KLECHO_A_MAX,
	.policy = klecho_policy,
	.module = THIS_MODULE,
	.small_ops = klecho_ops,
	.n_small_ops = ARRAY_SIZE(klecho_ops),
};

static int __init klecho_init(void)
{
	int ret = genl_register_family(&klecho_family);

	if (ret)
		pr_err("genl_register_family: %d\n", ret);
	return ret;
}

static void __exit klecho_exit(void)
{
	genl_unregister_family(&klecho_family);
}

module_init(klecho_init);
module_exit(klecho_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab netlink-01: a generic netlink echo family");
