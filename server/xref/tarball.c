/*
 * tarball.c - the kernel source tarball streamed through libarchive (see tarball.h).
 */
#include "xref/tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

int xref_tarball_read(const char *tarball, long long max_size, const struct xref_tar_cb *cb,
		      struct kl_err *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	struct kl_buf data = KL_BUF_INIT;
	int rc = -1, r;

	if (!a)
		abort();
	archive_read_support_filter_all(a);
	archive_read_support_format_all(a);
	if (archive_read_open_filename(a, tarball, 1 << 20) != ARCHIVE_OK) {
		kl_err_set(err, "cannot open the kernel source %s: %s (run `make setup`)", tarball,
			   archive_error_string(a));
		goto out;
	}
	while ((r = archive_read_next_header(a, &ent)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ent);
		const char *path = name ? strchr(name, '/') : NULL;
		mode_t ft = archive_entry_filetype(ent);
		enum xref_tar_type type = ft == AE_IFDIR ? XREF_TAR_DIR
					  : ft == AE_IFLNK ? XREF_TAR_LINK
							   : XREF_TAR_FILE;
		la_int64_t size = archive_entry_size(ent);

		if (!path || !path[1] || (ft != AE_IFREG && ft != AE_IFDIR && ft != AE_IFLNK))
			continue;
		path++;
		int want = cb->entry(cb->ctx, path, type, (long long)size, err);
		if (want < 0)
			goto out;
		if (!want || type != XREF_TAR_FILE || size < 0 || size > max_size)
			continue;
		kl_buf_reset(&data);
		kl_buf_grow(&data, (size_t)size + 1);
		la_ssize_t got = archive_read_data(a, data.ptr, (size_t)size);
		if (got < 0) {
			kl_err_set(err, "cannot read %s in %s: %s (reinstall linux-source-6.1 with "
					"`make setup`)", name, tarball, archive_error_string(a));
			goto out;
		}
		data.len = (size_t)got;
		data.ptr[data.len] = '\0';
		if (cb->data(cb->ctx, path, data.ptr, data.len, err) < 0)
			goto out;
	}
	if (r != ARCHIVE_EOF) {
		kl_err_set(err, "cannot read %s: %s (reinstall linux-source-6.1 with `make setup`)",
			   tarball, archive_error_string(a));
		goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	kl_buf_release(&data);
	return rc;
}
