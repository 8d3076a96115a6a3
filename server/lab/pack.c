/*
 * pack.c - writes the lab VM's initramfs with libarchive (see pack.h).
 */
#include "lab/pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "core/buf.h"
#include "core/fsutil.h"

static const char *const S_applets[] = {
	"sh", "ls", "cat", "echo", "mount", "umount", "insmod", "rmmod", "lsmod", "dmesg",
	"grep", "sleep", "ps", "mkdir", "kill", "head", "tail", "wc", "true", "false",
};

static int S_ar_err(struct archive *a, struct kl_err *err, const char *what, const char *path)
{
	return kl_err_set(err, "cannot write the initramfs (%s %s): %s", what, path,
			  archive_error_string(a) ? archive_error_string(a) : "unknown");
}

static int S_add(struct archive *a, const char *path, unsigned int type, int mode,
		 const void *data, size_t len, const char *link, dev_t rdev, struct kl_err *err)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	if (!e)
		abort();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, (mode_t)mode);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_nlink(e, type == AE_IFDIR ? 2 : 1);
	archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t)len : 0);
	if (link)
		archive_entry_set_symlink(e, link);
	if (type == AE_IFCHR)
		archive_entry_set_rdev(e, rdev);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		rc = S_ar_err(a, err, "entry", path);
	else if (len && archive_write_data(a, data, len) != (la_ssize_t)len)
		rc = S_ar_err(a, err, "data of", path);
	archive_entry_free(e);
	return rc;
}

static int S_add_file(struct archive *a, const char *dst, const char *src, int mode,
		      struct kl_err *err)
{
	struct kl_buf data = KL_BUF_INIT;
	int rc = kl_read_file(src, &data, 512u << 20, err);

	if (rc == 0)
		rc = S_add(a, dst, AE_IFREG, mode, data.ptr, data.len, NULL, 0, err);
	kl_buf_release(&data);
	return rc;
}

static const char *S_base(const char *p)
{
	const char *b = strrchr(p, '/');

	return b ? b + 1 : p;
}

int lab_pack_initramfs(const struct lab_pack_input *in, const char *out, struct kl_err *err)
{
	static const char *const dirs[] = { "bin", "sbin", "dev", "proc", "sys", "tmp", "root",
					    "klab", "klab/kmod", "klab/modules", "klab/tests",
					    "klab/bin" };
	struct archive *a = archive_write_new();
	struct kl_buf plan = KL_BUF_INIT;
	int rc = -1;

	if (!a)
		abort();
	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_add_filter_none(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, out) != ARCHIVE_OK) {
		S_ar_err(a, err, "file", out);
		goto out;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (S_add(a, dirs[i], AE_IFDIR, 0755, NULL, 0, NULL, 0, err) < 0)
			goto out;
	if (S_add(a, "dev/console", AE_IFCHR, 0600, NULL, 0, NULL, makedev(5, 1), err) < 0 ||
	    S_add_file(a, "init", in->init, 0755, err) < 0)
		goto out;
	if (in->busybox) {
		if (S_add_file(a, "bin/busybox", in->busybox, 0755, err) < 0)
			goto out;
		for (size_t i = 0; i < sizeof(S_applets) / sizeof(S_applets[0]); i++) {
			char *p = kl_sprintf("bin/%s", S_applets[i]);
			int r = S_add(a, p, AE_IFLNK, 0777, NULL, 0, "busybox", 0, err);
			free(p);
			if (r < 0)
				goto out;
		}
	}
	kl_buf_printf(&plan, "timeout %ld\n", in->test_timeout);
	for (size_t i = 0; i < in->nkprobes; i++)
		kl_buf_printf(&plan, "kprobe %s\n", in->kprobes[i]);
	if (in->nrecv)
		kl_buf_printf(&plan, "recv %zu\n", in->nrecv);
	for (size_t i = 0; i < in->nkmods; i++) {
		char *dst = kl_sprintf("klab/kmod/%s", S_base(in->kmods[i]));
		int r = S_add_file(a, dst, in->kmods[i], 0644, err);
		kl_buf_printf(&plan, "kmod /%s\n", dst);
		free(dst);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < in->nmodules; i++) {
		char *dst = kl_sprintf("klab/modules/%s", S_base(in->modules[i]));
		int r = S_add_file(a, dst, in->modules[i], 0644, err);
		kl_buf_printf(&plan, "module /%s %s\n", dst,
			      in->module_params ? in->module_params : "");
		free(dst);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < in->nrecv; i++) {
		const char *r = in->recv[i];
		if (strncmp(r, "/klab/modules/", 14) == 0)
			kl_buf_printf(&plan, "module %s %s\n", r,
				      in->module_params ? in->module_params : "");
	}
	for (size_t i = 0; i < in->nprograms; i++) {
		char *dst = kl_sprintf("klab/bin/%s", S_base(in->programs[i]));
		int r = S_add_file(a, dst, in->programs[i], 0755, err);
		free(dst);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < in->ntests; i++) {
		char *dst = kl_sprintf("klab/tests/%s", S_base(in->tests[i]));
		int r = S_add_file(a, dst, in->tests[i], 0755, err);
		kl_buf_printf(&plan, "test /%s %ld\n", dst, in->test_timeout);
		free(dst);
		if (r < 0)
			goto out;
	}
	if (S_add(a, "klab/plan", AE_IFREG, 0644, kl_buf_str(&plan), plan.len, NULL, 0, err) < 0)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		S_ar_err(a, err, "file", out);
		goto out;
	}
	rc = 0;
out:
	archive_write_free(a);
	kl_buf_release(&plan);
	return rc;
}
