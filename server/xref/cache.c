/*
 * cache.c - index files built once under a lock (see cache.h).
 */
#include "xref/cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/fsutil.h"

/*
 * Removes from dir the other versions of keep's stem ending in ext and the
 * temporary files of killed builds (ext + ".tmp" ...), all but keep.
 */
static void S_tidy(const char *dir, const char *keep, const char *ext)
{
	const char *base = strrchr(keep, '/') ? strrchr(keep, '/') + 1 : keep;
	const char *last = strrchr(base, '-'), *dash = NULL;
	size_t elen = strlen(ext);
	DIR *d;
	struct dirent *de;

	/* "linux-source-6.1-SIZE-MTIME.vN.db": the stem ends at the '-' before the size */
	for (const char *p = base; last && p < last; p++)
		if (*p == '-')
			dash = p;
	if (!dash)
		return;
	size_t stem = (size_t)(dash - base) + 1;
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		const char *e = strstr(de->d_name, ext);
		bool index = n > elen && strcmp(de->d_name + n - elen, ext) == 0;
		bool tmp = e && strncmp(e + elen, ".tmp", 4) == 0;
		if ((!index && !tmp) || strcmp(de->d_name, base) == 0 ||
		    strncmp(de->d_name, base, stem) != 0)
			continue;
		char *path = kl_path_join(dir, de->d_name);
		unlink(path);
		free(path);
	}
	closedir(d);
}

int xref_cache_ensure(const char *cache, const char *sub, char **path,
		      const struct xref_cache_build *b, int *built, struct kl_err *err)
{
	char *dir = kl_path_join(cache, sub);
	char *lock = kl_path_join(dir, "build.lock");
	int fd = -1, rc = -1;

	*built = 0;
	if (b->ok(*path)) {
		rc = 0;
		goto out;
	}
	if (kl_mkdir_p(dir, 0755, err) < 0)
		goto out;
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		kl_err_errno(err, "cannot lock %s", lock);
		goto out;
	}
	if (!b->ok(*path)) { /* someone else may have built it while we waited */
		S_tidy(dir, *path, b->ext);
		if (b->build(b->ctx, *path, err) < 0)
			goto out;
		*built = 1;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0) {
		free(*path);
		*path = NULL;
	}
	free(lock);
	free(dir);
	return rc;
}
