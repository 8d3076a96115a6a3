// SPDX-License-Identifier: GPL-2.0
/*
 * klabfs.c - a tiny read-only in-memory filesystem (lab files-01).
 *
 * `mount -t klabfs none /mnt` gives a root directory with one file,
 * hello.txt, whose content is klabfs_text. Nothing can be written. README.md
 * has the task; `klab hint files-01` helps.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/pagemap.h>

#define KLABFS_MAGIC 0x6b6c6162		/* "klab" */
#define KLABFS_FILE "hello.txt"

static const char klabfs_text[] = "Hello from klabfs!\n";

static ssize_t klabfs_read(struct file *file, char __user *buf, size_t count,
			   loff_t *ppos)
{
	/*
	 * TODO 1: copy klabfs_text (without its final '\0') from offset *ppos
	 * to the user, advance *ppos; 0 at the end.
	 */
	return 0;
}

/* (__maybe_unused only keeps the compiler quiet until your code uses them) */
static const struct file_operations klabfs_file_ops __maybe_unused = {
	.read = klabfs_read,
	.llseek = generic_file_llseek,
};

static const struct super_operations klabfs_super_ops __maybe_unused = {
	.statfs = simple_statfs,
	.drop_inode = generic_delete_inode,
};

static int __maybe_unused klabfs_fill_super(struct super_block *sb,
					    struct fs_context *fc)
{
	/*
	 * TODO 2: fill in the new superblock:
	 * - s_magic KLABFS_MAGIC, s_op &klabfs_super_ops, block size PAGE_SIZE;
	 * - a root inode: a directory, mode 0755, served by the libfs helpers
	 *   for directories, made into sb->s_root;
	 * - in the root, a dentry named KLABFS_FILE with a regular file inode,
	 *   mode 0444, whose reads go to klabfs_file_ops and whose size is the
	 *   length of klabfs_text.
	 * Each inode needs a number (i_ino) and times. Return -ENOMEM if an
	 * allocation fails.
	 */
	return -EOPNOTSUPP;
}

static int klabfs_get_tree(struct fs_context *fc)
{
	/*
	 * TODO 3: a filesystem with no device behind it: each mount gets a
	 * new superblock, filled by klabfs_fill_super().
	 */
	return -EOPNOTSUPP;
}

static const struct fs_context_operations klabfs_context_ops = {
	.get_tree = klabfs_get_tree,
};

static int klabfs_init_fs_context(struct fs_context *fc)
{
	/*
	 * TODO 4: the whole filesystem is read-only, whatever the mount
	 * flags say, even for root: say so in fc->sb_flags.
	 */
	fc->ops = &klabfs_context_ops;
	return 0;
}

static struct file_system_type klabfs_type = {
	.owner = THIS_MODULE,
	.name = "klabfs",
	.init_fs_context = klabfs_init_fs_context,
	/*
	 * TODO 5: .kill_sb, which frees a superblock at unmount. Your file's
	 * dentry is pinned in the dcache (no one else holds it): read
	 * fs/super.c for the helper that drops such dentries first. (Without
	 * a .kill_sb, unmounting calls a NULL pointer.)
	 */
};

static int __init klabfs_init(void)
{
	return register_filesystem(&klabfs_type);
}

static void __exit klabfs_exit(void)
{
	unregister_filesystem(&klabfs_type);
}

module_init(klabfs_init);
module_exit(klabfs_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("klab files-01: a tiny in-memory filesystem");
MODULE_ALIAS_FS("klabfs");
