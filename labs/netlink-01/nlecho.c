// SPDX-License-Identifier: GPL-2.0
/*
 * nlecho.c - a generic netlink echo service (lab netlink-01).
 *
 * The family "klab_echo" has one command, ECHO: its reply carries the string
 * of the request (KLECHO_A_MSG) and how many echo requests the module has
 * answered so far, this one included (KLECHO_A_COUNT). README.md has the
 * task; `klab hint netlink-01` helps.
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
	/*
	 * TODO 1: what each attribute may hold. The core checks requests
	 * against this before your command runs: MSG is a NUL-terminated
	 * string of at most KLECHO_MSG_MAX bytes, COUNT a u32.
	 */
};

/* (__maybe_unused: no warnings while the TODOs are not done; you may drop it) */
static atomic_t klecho_count __maybe_unused = ATOMIC_INIT(0);
static struct genl_family klecho_family;

static int klecho_echo(struct sk_buff *skb, struct genl_info *info)
{
	/*
	 * TODO 2: the ECHO command.
	 * - No KLECHO_A_MSG in info->attrs: -EINVAL (and it does not count).
	 * - Build a reply: genlmsg_new(), genlmsg_put() with the requester's
	 *   portid and sequence number (info->snd_portid, info->snd_seq) and
	 *   cmd KLECHO_CMD_ECHO, then the attributes MSG (nla_put_string) and
	 *   COUNT (nla_put_u32: the count after this request), genlmsg_end().
	 * - Send it with genlmsg_reply(); on an error free the message.
	 */
	return -EOPNOTSUPP;
}

static const struct genl_small_ops klecho_ops[] = {
	{
		.cmd = KLECHO_CMD_ECHO,
		.doit = klecho_echo,
	},
};

static struct genl_family klecho_family __maybe_unused = {
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
	/* TODO 3: register klecho_family (genl_register_family) */
	return 0;
}

static void __exit klecho_exit(void)
{
	/* TODO 3: and unregister it */
}

module_init(klecho_init);
module_exit(klecho_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab netlink-01: a generic netlink echo family");
