/*
 * fsutil.c - file and folder helpers (see fsutil.h).
 */
#include "core/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *kl_strdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		abort();
	return p;
}

char *kl_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *kl_sprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	int n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	return p;
}

int kl_read_file(const char *path, struct kl_buf *out, size_t max, struct kl_err *err)
{
	int rc = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return kl_err_errno(err, "cannot open %s", path);
	for (;;) {
		kl_buf_grow(out, 65536);
		ssize_t n = read(fd, out->ptr + out->len, out->cap - out->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			kl_err_errno(err, "cannot read %s", path);
			goto out;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->ptr[out->len] = '\0';
		if (max && out->len > max) {
			kl_err_set(err, "%s is larger than %zu bytes", path, max);
			goto out;
		}
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

int kl_write_file(const char *path, const void *data, size_t len, struct kl_err *err)
{
	char *tmp = kl_sprintf("%s.tmp.%ld", path, (long)getpid());
	int rc = -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0) {
		kl_err_errno(err, "cannot create %s", tmp);
		goto out_free;
	}
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t n = write(fd, p, left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			kl_err_errno(err, "cannot write %s", tmp);
			close(fd);
			goto out_unlink;
		}
		p += n;
		left -= (size_t)n;
	}
	if (close(fd) < 0) {
		kl_err_errno(err, "cannot write %s", tmp);
		goto out_unlink;
	}
	if (rename(tmp, path) < 0) {
		kl_err_errno(err, "cannot rename %s to %s", tmp, path);
		goto out_unlink;
	}
	rc = 0;
	goto out_free;
out_unlink:
	unlink(tmp);
out_free:
	free(tmp);
	return rc;
}

int kl_mkdir_p(const char *path, int mode, struct kl_err *err)
{
	char *p = kl_strdup(path);
	int rc = 0;

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
			rc = kl_err_errno(err, "cannot create folder %s", p);
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	if (rc == 0 && !kl_is_dir(path))
		rc = kl_err_set(err, "%s exists and is not a folder", path);
	return rc;
}

static int S_rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

int kl_rm_rf(const char *path, struct kl_err *err)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : kl_err_errno(err, "cannot remove %s", path);
	if (nftw(path, S_rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0)
		return kl_err_errno(err, "cannot remove %s", path);
	return 0;
}

int kl_copy_file(const char *from, const char *to, struct kl_err *err)
{
	struct kl_buf data = KL_BUF_INIT;
	struct stat st;
	int rc = -1;

	if (stat(from, &st) < 0) {
		kl_err_errno(err, "cannot read %s", from);
		goto out;
	}
	if (kl_read_file(from, &data, 0, err) < 0)
		goto out;
	if (kl_write_file(to, kl_buf_str(&data), data.len, err) < 0)
		goto out;
	if (chmod(to, st.st_mode & 07777) < 0) {
		kl_err_errno(err, "cannot set the mode of %s", to);
		goto out;
	}
	rc = 0;
out:
	kl_buf_release(&data);
	return rc;
}

bool kl_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool kl_is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *kl_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	if (la && a[la - 1] == '/')
		return kl_sprintf("%s%s", a, b);
	return kl_sprintf("%s/%s", a, b);
}

long long kl_mtime_ns(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return 0;
	return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}
