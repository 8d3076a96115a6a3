/*
 * pack.c - the base initramfs (libarchive) and the run's records (see pack.h).
 */
#include "lab/pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

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
		 const void *data, size_t len, dev_t rdev, struct kl_err *err)
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
		rc = S_add(a, dst, AE_IFREG, mode, data.ptr, data.len, 0, err);
	kl_buf_release(&data);
	return rc;
}

static const char *S_base(const char *p)
{
	const char *b = strrchr(p, '/');

	return b ? b + 1 : p;
}

int lab_pack_base(const char *init, char *const *mods, size_t nmods, const char *out,
		  struct kl_err *err)
{
	static const char *const dirs[] = { "bin", "sbin", "dev", "proc", "sys", "tmp", "root",
					    "klab", "klab/chan", "klab/kmod", "klab/modules",
					    "klab/tests", "klab/bin" };
	struct archive *a = archive_write_new();
	struct kl_buf list = KL_BUF_INIT;
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
		if (S_add(a, dirs[i], AE_IFDIR, 0755, NULL, 0, 0, err) < 0)
			goto out;
	if (S_add(a, "dev/console", AE_IFCHR, 0600, NULL, 0, makedev(5, 1), err) < 0 ||
	    S_add_file(a, "init", init, 0755, err) < 0)
		goto out;
	for (size_t i = 0; i < nmods; i++) {
		char *dst = kl_sprintf("klab/chan/%s", S_base(mods[i]));
		int r = S_add_file(a, dst, mods[i], 0644, err);
		kl_buf_printf(&list, "/%s\n", dst);
		free(dst);
		if (r < 0)
			goto out;
	}
	if (S_add(a, "klab/channel", AE_IFREG, 0644, kl_buf_str(&list), list.len, 0, err) < 0)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		S_ar_err(a, err, "file", out);
		goto out;
	}
	rc = 0;
out:
	archive_write_free(a);
	kl_buf_release(&list);
	return rc;
}

void lab_pack_data(struct kl_buf *out, const char *path, int mode, const void *data, size_t len)
{
	kl_buf_printf(out, "KLAB-FILE %s %o %zu\n", path, (unsigned)mode, len);
	kl_buf_add(out, data, len);
}

int lab_pack_file(struct kl_buf *out, const char *path, int mode, const char *host,
		  struct kl_err *err)
{
	struct kl_buf data = KL_BUF_INIT;
	int rc = kl_read_file(host, &data, 512u << 20, err);

	if (rc == 0)
		lab_pack_data(out, path, mode, data.ptr, data.len);
	kl_buf_release(&data);
	return rc;
}

void lab_pack_end(struct kl_buf *out)
{
	kl_buf_puts(out, "KLAB-END\n");
}

/*
 * What a test program built with klab_test.h carries when it waits for
 * KLAB_GO_FD before main() (kt__waits_tag there: keep the two the same). Its
 * plan line then ends in "go": /init may start it while the modules load.
 */
#define S_WAITS_TAG "klab-test: waits for KLAB_GO_FD"

/* Appends one file record of host at dir/<its name>; the guest path to plan_fmt's line. */
static int S_bundle_file(struct kl_buf *out, struct kl_buf *plan, const char *dir, int mode,
			 const char *host, const char *plan_fmt, const char *plan_arg,
			 struct kl_err *err)
{
	char *dst = kl_sprintf("%s/%s", dir, S_base(host));
	int rc = lab_pack_file(out, dst, mode, host, err);

	if (plan_fmt)
		kl_buf_printf(plan, plan_fmt, dst, plan_arg ? plan_arg : "");
	free(dst);
	return rc;
}

int lab_pack_bundle(const struct lab_pack_input *in, struct kl_buf *out, struct kl_err *err)
{
	struct kl_buf plan = KL_BUF_INIT;
	char timeout[32];
	int rc = -1;

	snprintf(timeout, sizeof(timeout), "%ld", in->test_timeout);
	if (in->busybox) {
		if (lab_pack_file(out, "/bin/busybox", 0755, in->busybox, err) < 0)
			goto out;
		for (size_t i = 0; i < sizeof(S_applets) / sizeof(S_applets[0]); i++)
			kl_buf_printf(out, "KLAB-LINK /bin/%s busybox\n", S_applets[i]);
	}
	kl_buf_printf(&plan, "timeout %ld\n", in->test_timeout);
	for (size_t i = 0; i < in->nkprobes; i++)
		kl_buf_printf(&plan, "kprobe %s\n", in->kprobes[i]);
	for (size_t i = 0; i < in->nkmods; i++)
		if (S_bundle_file(out, &plan, "/klab/kmod", 0644, in->kmods[i], "kmod %s%s\n", NULL,
				  err) < 0)
			goto out;
	for (size_t i = 0; i < in->nmodules; i++)
		if (S_bundle_file(out, &plan, "/klab/modules", 0644, in->modules[i], "module %s %s\n",
				  in->module_params, err) < 0)
			goto out;
	for (size_t i = 0; i < in->nrecv; i++)
		if (strncmp(in->recv[i], "/klab/modules/", 14) == 0)
			kl_buf_printf(&plan, "module %s %s\n", in->recv[i],
				      in->module_params ? in->module_params : "");
	for (size_t i = 0; i < in->nprograms; i++)
		if (S_bundle_file(out, &plan, "/klab/bin", 0755, in->programs[i], NULL, NULL, err) < 0)
			goto out;
	for (size_t i = 0; i < in->ntests; i++) {
		size_t at = out->len;
		if (S_bundle_file(out, &plan, "/klab/tests", 0755, in->tests[i], "test %s %s", timeout,
				  err) < 0)
			goto out;
		/* the file's bytes are the record's last: a program that waits says so */
		int waits = memmem(out->ptr + at, out->len - at, S_WAITS_TAG,
				   sizeof(S_WAITS_TAG) - 1) != NULL;
		kl_buf_puts(&plan, waits ? " go\n" : "\n");
	}
	lab_pack_data(out, "/klab/plan", 0644, plan.ptr, plan.len);
	rc = 0;
out:
	kl_buf_release(&plan);
	return rc;
}
