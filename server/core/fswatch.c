/*
 * fswatch.c - change notices from inotify as a generation number (see fswatch.h).
 */
#include "core/fswatch.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "core/fsutil.h"

#define S_EVENTS (IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | \
		  IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

struct S_dir {
	int wd;      /* inotify watch descriptor */
	char *path;
	int subdirs; /* new subfolders get watched too */
};

struct fswatch {
	int fd;               /* inotify descriptor, -1 when unavailable */
	unsigned long gen;    /* moves on every change */
	struct S_dir *dirs;
	size_t ndirs;
};

int fswatch_open(struct fswatch **out, struct kl_err *err)
{
	struct fswatch *w = calloc(1, sizeof(*w));

	(void)err;
	if (!w)
		abort();
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	w->gen = 1;
	*out = w;
	return 0;
}

void fswatch_close(struct fswatch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	for (size_t i = 0; i < w->ndirs; i++)
		free(w->dirs[i].path);
	free(w->dirs);
	free(w);
}

static void S_add_one(struct fswatch *w, const char *dir, int subdirs)
{
	if (w->fd < 0)
		return;
	int wd = inotify_add_watch(w->fd, dir, S_EVENTS | IN_ONLYDIR);
	if (wd < 0)
		return;
	for (size_t i = 0; i < w->ndirs; i++)
		if (w->dirs[i].wd == wd)
			return;
	struct S_dir *v = realloc(w->dirs, (w->ndirs + 1) * sizeof(*v));
	if (!v)
		abort();
	w->dirs = v;
	v[w->ndirs].wd = wd;
	v[w->ndirs].path = kl_strdup(dir);
	v[w->ndirs].subdirs = subdirs;
	w->ndirs++;
}

void fswatch_add(struct fswatch *w, const char *dir, int subdirs)
{
	S_add_one(w, dir, subdirs);
	if (!subdirs)
		return;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *sub = kl_path_join(dir, de->d_name);
		if (kl_is_dir(sub))
			S_add_one(w, sub, 0);
		free(sub);
	}
	if (d)
		closedir(d);
}

unsigned long fswatch_generation(struct fswatch *w)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));

	if (w->fd < 0)
		return ++w->gen;
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		w->gen++;
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			p += sizeof(*ev) + ev->len;
			if (!(ev->mask & IN_ISDIR) || !(ev->mask & (IN_CREATE | IN_MOVED_TO)) ||
			    !ev->len)
				continue;
			for (size_t i = 0; i < w->ndirs; i++) {
				if (w->dirs[i].wd != ev->wd || !w->dirs[i].subdirs)
					continue;
				char *sub = kl_path_join(w->dirs[i].path, ev->name);
				S_add_one(w, sub, 0);
				free(sub);
				break;
			}
		}
	}
	return w->gen;
}
