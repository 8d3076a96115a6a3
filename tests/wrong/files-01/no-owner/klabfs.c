// SPDX-License-Identifier: GPL-2.0
/*
 * klabfs.c - reference solution of lab files-01: a read-only in-memory
 * filesystem whose root directory holds one file, hello.txt.
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
	return simple_read_from_buffer(buf, count, ppos, klabfs_text,
				       sizeof(klabfs_text) - 1);
}

static const struct file_operations klabfs_file_ops = {
	.read = klabfs_read,
	.llseek = generic_file_llseek,
};

static const struct super_operations klabfs_super_ops = {
	.statfs = simple_statfs,
	.drop_inode = generic_delete_inode,
};

static struct inode *klabfs_new_inode(struct super_block *sb, umode_t mode)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_ino = get_next_ino();
	inode->i_mode = mode;
	inode->i_atime = current_time(inode);
	inode->i_mtime = inode->i_atime;
	inode->i_ctime = inode->i_atime;
	return inode;
}

static int klabfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct inode *root, *inode;
	struct dentry *dentry;

	sb->s_magic = KLABFS_MAGIC;
	sb->s_op = &klabfs_super_ops;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_time_gran = 1;

	root = klabfs_new_inode(sb, S_IFDIR | 0755);
	if (!root)
		return -ENOMEM;
	root->i_op = &simple_dir_inode_operations;
	root->i_fop = &simple_dir_operations;
	set_nlink(root, 2);
	sb->s_root = d_make_root(root);	/* puts root on failure */
	if (!sb->s_root)
		return -ENOMEM;

	/* on failure from here, kill_sb cleans up s_root */
	dentry = d_alloc_name(sb->s_root, KLABFS_FILE);
	if (!dentry)
		return -ENOMEM;
	inode = klabfs_new_inode(sb, S_IFREG | 0444);
	if (!inode) {
		dput(dentry);
		return -ENOMEM;
	}
	inode->i_fop = &klabfs_file_ops;
	inode->i_size = sizeof(klabfs_text) - 1;
	/* the dentry keeps its reference: kill_litter_super() drops it */
	d_add(dentry, inode);
	return 0;
}

static int klabfs_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, klabfs_fill_super);
}

static const struct fs_context_operations klabfs_context_ops = {
	.get_tree = klabfs_get_tree,
};

static int klabfs_init_fs_context(struct fs_context *fc)
{
	fc->sb_flags |= SB_RDONLY;
	fc->ops = &klabfs_context_ops;
	return 0;
}

static struct file_system_type klabfs_type = {
	.name = "klabfs",
	.init_fs_context = klabfs_init_fs_context,
	.kill_sb = kill_litter_super,
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
