// SPDX-License-Identifier: GPL-2.0
/*
 * stash.c - a wrong solution of lab oops-01 (bound-minus-one): it overcorrects
 * the bound of stash_nth() to idx + 1 >= count, so the newest item is never
 * listed and cannot be deleted.
 *
 *	echo "add KEY VALUE" > /proc/stash	append an item (KEY: 1 to 15 characters)
 *	echo "del INDEX" > /proc/stash		delete the item at INDEX (0 is the oldest)
 *	echo "clear" > /proc/stash		delete every item
 *	cat /proc/stash				one "KEY VALUE" line per item, oldest first
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

/*
 * Uncomment to make the module crash itself when it loads, the way users
 * reported: add three items, then "del 3". Run it, read the oops, then
 * comment it out again (the tests never load a module that does this).
 */
/* #define STASH_REPRODUCE */

#include <linux/init.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#define STASH_KEY_MAX	15
#define STASH_MAX_ITEMS	1000
#define STASH_CMD_MAX	64

struct stash_item {
	struct list_head node;
	char key[STASH_KEY_MAX + 1];
	int value;
};

/* The stash: items oldest first. */
static struct {
	struct list_head items;
	unsigned int count;
	struct mutex lock;	/* protects items and count */
} stash = {
	.items = LIST_HEAD_INIT(stash.items),
	.lock = __MUTEX_INITIALIZER(stash.lock),
};

/* The item at position idx (0 is the oldest), or NULL past the end. */
static struct stash_item *stash_nth(loff_t idx)
{
	struct list_head *p = stash.items.next;

	if (idx < 0 || idx + 1 >= stash.count)
		return NULL;
	while (idx--)
		p = p->next;
	return list_entry(p, struct stash_item, node);
}

static struct stash_item *stash_find(const char *key)
{
	struct stash_item *it;

	list_for_each_entry(it, &stash.items, node)
		if (strcmp(it->key, key) == 0)
			return it;
	return NULL;
}

static int stash_add(const char *key, int value)
{
	struct stash_item *it;

	if (stash_find(key))
		return -EEXIST;
	if (stash.count >= STASH_MAX_ITEMS)
		return -ENOSPC;
	it = kzalloc(sizeof(*it), GFP_KERNEL);
	if (!it)
		return -ENOMEM;
	strscpy(it->key, key, sizeof(it->key));
	it->value = value;
	list_add_tail(&it->node, &stash.items);
	stash.count++;
	return 0;
}

static int stash_del(loff_t idx)
{
	struct stash_item *it = stash_nth(idx);

	if (!it)
		return -ENOENT;
	list_del(&it->node);
	kfree(it);
	stash.count--;
	return 0;
}

static void stash_clear(void)
{
	struct stash_item *it, *tmp;

	list_for_each_entry_safe(it, tmp, &stash.items, node) {
		list_del(&it->node);
		kfree(it);
	}
	stash.count = 0;
}

/* One command: "add KEY VALUE", "del INDEX" or "clear". */
static int stash_command(char *cmd)
{
	char key[STASH_KEY_MAX + 1], extra;
	long long idx;
	int value;

	if (sscanf(cmd, "add %15s %d %c", key, &value, &extra) == 2)
		return stash_add(key, value);
	if (sscanf(cmd, "del %lld %c", &idx, &extra) == 1)
		return stash_del(idx);
	if (strcmp(strim(cmd), "clear") == 0) {
		stash_clear();
		return 0;
	}
	return -EINVAL;
}

static ssize_t stash_write(struct file *file, const char __user *buf, size_t count,
			   loff_t *ppos)
{
	char *cmd;
	int ret;

	if (count == 0 || count > STASH_CMD_MAX)
		return -EINVAL;
	cmd = memdup_user_nul(buf, count);
	if (IS_ERR(cmd))
		return PTR_ERR(cmd);
	mutex_lock(&stash.lock);
	ret = stash_command(cmd);
	mutex_unlock(&stash.lock);
	kfree(cmd);
	return ret ? ret : count;
}

static void *stash_start(struct seq_file *m, loff_t *pos)
{
	mutex_lock(&stash.lock);
	return stash_nth(*pos);
}

static void *stash_next(struct seq_file *m, void *v, loff_t *pos)
{
	++*pos;
	return stash_nth(*pos);
}

static void stash_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&stash.lock);
}

static int stash_show(struct seq_file *m, void *v)
{
	struct stash_item *it = v;

	seq_printf(m, "%s %d\n", it->key, it->value);
	return 0;
}

static const struct seq_operations stash_seq_ops = {
	.start = stash_start,
	.next = stash_next,
	.stop = stash_stop,
	.show = stash_show,
};

static int stash_open(struct inode *inode, struct file *file)
{
	return seq_open(file, &stash_seq_ops);
}

static const struct proc_ops stash_proc_ops = {
	.proc_open = stash_open,
	.proc_read = seq_read,
	.proc_write = stash_write,
	.proc_lseek = seq_lseek,
	.proc_release = seq_release,
};

static struct proc_dir_entry *stash_proc;

static int __init stash_init(void)
{
	stash_proc = proc_create("stash", 0644, NULL, &stash_proc_ops);
	if (!stash_proc)
		return -ENOMEM;
#ifdef STASH_REPRODUCE
	{
		char cmds[][STASH_CMD_MAX] = { "add a 1", "add b 2", "add c 3", "del 3" };

		mutex_lock(&stash.lock);
		for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
			pr_info("%s: %d\n", cmds[i], stash_command(cmds[i]));
		mutex_unlock(&stash.lock);
	}
#endif
	return 0;
}

static void __exit stash_exit(void)
{
	proc_remove(stash_proc);
	stash_clear();
}

module_init(stash_init);
module_exit(stash_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab oops-01: a key/value stash with a bug to find");
