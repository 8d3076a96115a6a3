/*
 * test_klabfs.c - guest tests of lab files-01. /init loaded klabfs.ko; this
 * program mounts a klabfs, looks at its root and its one file, tries to write,
 * unmounts it and unloads the module.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "klab_test.h"

#define MNT "/tmp/klabfs"
#define FILE_PATH MNT "/hello.txt"
#define TEXT "Hello from klabfs!\n"
#define MAGIC 0x6b6c6162
#define FAULT_TAINT ((1L << 5) | (1L << 7) | (1L << 9) | (1L << 14)) /* B, D, W, L */

static long fault_taint(void)
{
	char buf[32];

	if (kt_read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)) < 0)
		return 0;
	return strtol(buf, NULL, 10) & FAULT_TAINT;
}

/* 1 when a line of path contains needle. */
static int file_has_line(const char *path, const char *needle)
{
	static char buf[1 << 16];

	if (kt_read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, needle))
			return 1;
	return 0;
}

static int is_write_refusal(int e)
{
	return e == EROFS || e == EACCES || e == EPERM;
}

/*
 * A read writes exactly the bytes it returns: into a buffer with canary bytes
 * around it, a read of 256 bytes gets the 19 of the text and leaves the rest
 * of the buffer alone, and an 8-byte read at offset 15 gets "fs!\n" and
 * nothing past it.
 */
static void check_exact_bytes(void)
{
	struct kt_guard g;
	char why[256] = "";
	ssize_t n = -1, m = -1;
	long past = -1, outside = -1;

	if (kt_guard_init(&g, 256, KT_GUARD_CANARY) < 0) {
		kt_check("read_exact_bytes", 0, "cannot map a guarded buffer: %s", strerror(errno));
		return;
	}
	int fd = open(FILE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, sizeof(why), "open %s: %s", FILE_PATH, strerror(errno));
	} else {
		n = read(fd, g.buf, 256);
		past = n >= 0 && n <= 256 ? kt_guard_written(&g, (size_t)n, 256) : -1;
		outside = kt_guard_check(&g);
		if (n != (ssize_t)strlen(TEXT) || memcmp(g.buf, TEXT, strlen(TEXT)) != 0)
			snprintf(why, sizeof(why), "read(256 bytes) returned %zd, expected %zu and "
				 "the text", n, strlen(TEXT));
		else if (past >= 0)
			snprintf(why, sizeof(why), "read(256 bytes) returned %zd but wrote byte %ld "
				 "of the buffer too: a read must copy only what it returns", n, past);
		else if (outside != -1)
			snprintf(why, sizeof(why), "read(256 bytes) wrote at offset %ld, outside "
				 "the buffer", outside);
	}
	if (fd >= 0 && !why[0]) {
		kt_guard_refill(&g, 0, 256);
		m = pread(fd, g.buf, 8, 15);
		past = m >= 0 && m <= 8 ? kt_guard_written(&g, (size_t)m, 256) : -1;
		if (m != 4 || memcmp(g.buf, "fs!\n", 4) != 0)
			snprintf(why, sizeof(why), "pread(8 bytes at offset 15) returned %zd, "
				 "expected 4 (\"fs!\\n\")", m);
		else if (past >= 0)
			snprintf(why, sizeof(why), "pread(8 bytes at offset 15) returned 4 but wrote "
				 "byte %ld of the buffer too: a read must copy only what it returns",
				 past);
		else if (kt_guard_check(&g) != -1)
			snprintf(why, sizeof(why), "pread(8 bytes at offset 15) wrote outside the "
				 "buffer (offset %ld)", kt_guard_check(&g));
	}
	if (fd >= 0)
		close(fd);
	kt_guard_release(&g);
	kt_check("read_exact_bytes", !why[0], "%s", why);
}

static void check_files(int mounted)
{
	struct stat st;
	struct statfs sfs;
	char buf[256];

	if (!mounted) {
		const char *names[] = { "superblock_magic", "root_dir", "lists_file", "file_mode",
					"file_size", "file_content", "partial_read",
					"read_exact_bytes", "lookup_missing", "read_only" };
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			kt_check(names[i], 0, "not checked: klabfs did not mount");
		return;
	}

	int rc = statfs(MNT, &sfs);
	kt_check("superblock_magic", rc == 0 && (unsigned long)sfs.f_type == MAGIC,
		 "statfs(%s): expected f_type 0x%x, got %s0x%lx", MNT, MAGIC,
		 rc ? strerror(errno) : "", rc ? 0UL : (unsigned long)sfs.f_type);

	rc = stat(MNT, &st);
	kt_check("root_dir", rc == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755,
		 "%s: expected a directory with mode 0755, got %s mode %o", MNT,
		 rc ? strerror(errno) : S_ISDIR(st.st_mode) ? "a directory with" : "a non-directory",
		 rc ? 0 : st.st_mode & 07777);

	/* exactly ".", ".." and "hello.txt" */
	char names[512] = "";
	int dot = 0, dotdot = 0, hello = 0, other = 0;
	DIR *d = opendir(MNT);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (strlen(names) + strlen(de->d_name) + 3 < sizeof(names)) {
			strcat(names, names[0] ? ", " : "");
			strcat(names, de->d_name);
		}
		if (strcmp(de->d_name, ".") == 0)
			dot++;
		else if (strcmp(de->d_name, "..") == 0)
			dotdot++;
		else if (strcmp(de->d_name, "hello.txt") == 0)
			hello++;
		else
			other++;
	}
	if (d)
		closedir(d);
	kt_check("lists_file", dot == 1 && dotdot == 1 && hello == 1 && !other,
		 "listing %s: expected \".\", \"..\" and \"hello.txt\", got %s%s", MNT,
		 d ? "" : "an error", names[0] ? names : d ? "nothing" : "");

	rc = stat(FILE_PATH, &st);
	int e = errno;
	kt_check("file_mode", rc == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0444,
		 "%s: expected a regular file with mode 0444, got %s%s mode %o", FILE_PATH,
		 rc ? strerror(e) : "", rc ? "" : S_ISREG(st.st_mode) ? "a file with" : "a non-file with",
		 rc ? 0 : st.st_mode & 07777);
	kt_check("file_size", rc == 0 && st.st_size == (off_t)strlen(TEXT),
		 "%s: expected st_size %zu (the length of its content), got %s%ld", FILE_PATH,
		 strlen(TEXT), rc ? strerror(e) : "", rc ? 0L : (long)st.st_size);

	int n = kt_read_file(FILE_PATH, buf, sizeof(buf));
	if (n < 0)
		kt_check("file_content", 0, "reading %s: %s", FILE_PATH, strerror(-n));
	else
		kt_check("file_content", strcmp(buf, "Hello from klabfs!") == 0,
			 "%s: expected \"Hello from klabfs!\\n\", got \"%s\"", FILE_PATH, buf);

	/* offsets, and byte by byte */
	int fd = open(FILE_PATH, O_RDONLY | O_CLOEXEC);
	char mid[8] = "", one[64] = "";
	ssize_t m = -1, past = -1;
	size_t got = 0;
	if (fd >= 0) {
		m = pread(fd, mid, 4, 6);
		past = pread(fd, buf, sizeof(buf), 100);
		while (got + 1 < sizeof(one) && read(fd, one + got, 1) == 1)
			got++;
		close(fd);
	}
	kt_check("partial_read", m == 4 && memcmp(mid, "from", 4) == 0 && past == 0 &&
		 got == strlen(TEXT) && memcmp(one, TEXT, got) == 0,
		 "expected 4 bytes at offset 6 to be \"from\", a read at offset 100 to return 0, and "
		 "1-byte reads to give the whole text; got %zd bytes \"%.4s\", %zd, and %zu bytes",
		 m, m > 0 ? mid : "", past, got);

	check_exact_bytes();

	errno = 0;
	rc = stat(MNT "/nothing-here", &st);
	e = errno;
	kt_check("lookup_missing", rc < 0 && e == ENOENT,
		 "stat(%s/nothing-here): expected %s, got %s", MNT, strerror(ENOENT),
		 rc ? strerror(e) : "success");

	/* nothing can be written, even by root */
	errno = 0;
	int w = open(FILE_PATH, O_WRONLY | O_CLOEXEC);
	int we = errno;
	ssize_t wn = 0;
	int wne = 0;
	if (w >= 0) {
		errno = 0;
		wn = write(w, "x", 1);
		wne = errno;
		close(w);
	}
	errno = 0;
	int c = open(MNT "/new.txt", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	int ce = errno;
	if (c >= 0)
		close(c);
	errno = 0;
	int mk = mkdir(MNT "/newdir", 0755);
	int me = errno;
	char wr[96];
	if (w < 0)
		snprintf(wr, sizeof(wr), "%s", strerror(we));
	else
		snprintf(wr, sizeof(wr), "open ok, then write: %s", wn < 0 ? strerror(wne) : "ok");
	kt_check("read_only", w < 0 && is_write_refusal(we) && c < 0 && is_write_refusal(ce) &&
		 mk < 0 && is_write_refusal(me),
		 "expected opening hello.txt for writing, creating a file and making a directory "
		 "to fail with EROFS, EACCES or EPERM (the test runs as root); got %s, %s and %s",
		 wr, c < 0 ? strerror(ce) : "created", mk < 0 ? strerror(me) : "made");
}

/* ---- mount_no_memory: every allocation of a mount failing in turn ---- */

#define MNT_FAULT "/tmp/klabfs-fault"

static int mount_call(void *arg)
{
	(void)arg;
	return mount("klabfs", MNT_FAULT, "klabfs", 0, NULL) < 0 ? -errno : 0;
}

/* After a mount with its nth fallible call failing: a clean error, or a complete mount. */
static int mount_check(void *arg, int rc, int n, int fired, char *why, size_t len)
{
	char buf[64];

	(void)arg;
	if (rc == 0) {
		int r = kt_read_file(MNT_FAULT "/hello.txt", buf, sizeof(buf));
		int u = umount2(MNT_FAULT, 0) < 0 ? -errno : 0;

		if (r < 0 || strcmp(buf, "Hello from klabfs!") != 0) {
			snprintf(why, len, "with fallible call %d of mount(2) failing, the mount "
				 "succeeded but %s/hello.txt %s%s", n, MNT_FAULT,
				 r < 0 ? "cannot be read: " : "reads something else",
				 r < 0 ? strerror(-r) : "");
			return -1;
		}
		if (u < 0) {
			snprintf(why, len, "with fallible call %d failing, umount(%s): %s", n,
				 MNT_FAULT, strerror(-u));
			return -1;
		}
		return 0;
	}
	if (!fired) {
		snprintf(why, len, "mount(2) failed (%s) though no allocation was made to fail",
			 strerror(-rc));
		return -1;
	}
	if (file_has_line("/proc/mounts", " " MNT_FAULT " ")) {
		snprintf(why, len, "with fallible call %d failing, mount(2) failed (%s) but "
			 "/proc/mounts lists %s", n, strerror(-rc), MNT_FAULT);
		umount2(MNT_FAULT, MNT_DETACH);
		return -1;
	}
	if (rc != -ENOMEM && rc != -EFAULT) {
		snprintf(why, len, "with fallible call %d failing (an allocation), mount(2) "
			 "failed with %s: expected %s", n, strerror(-rc), strerror(ENOMEM));
		return -1;
	}
	return 0;
}

static void check_no_memory(int mounted)
{
	char why[300];

	if (!mounted) {
		kt_check("mount_no_memory", 0, "not checked: klabfs did not mount");
		return;
	}
	mkdir(MNT_FAULT, 0755);
	int n = kt_fail_walk(mount_call, mount_check, NULL, 400, why, sizeof(why));
	if (n == -ENOSYS) {
		kt_skip("mount_no_memory", why);
		return;
	}
	kt_check("mount_no_memory", n > 0, "%s", why);
}

/* ---- mounts_at_once: mounts, reads and unmounts in threads and processes at once ---- */

#define WORKERS 4

struct shared {
	long mounts, reads;
};

/* Even workers mount their own klabfs, read it and unmount it; odd ones read the main mount. */
static int hammer_worker(struct kt_hammer *h, int id)
{
	struct shared *sh = h->shared;
	char mnt[64], path[96], buf[64];

	snprintf(mnt, sizeof(mnt), "/tmp/klabfs-%d", id);
	snprintf(path, sizeof(path), "%s/hello.txt", id % 2 ? MNT : mnt);
	while (!kt_hammer_over(h)) {
		if (id % 2 == 0) {
			if (mount("klabfs", mnt, "klabfs", 0, NULL) < 0)
				return kt_hammer_fail(h, -errno, "mount %s: %s", mnt, strerror(errno));
			__atomic_fetch_add(&sh->mounts, 1, __ATOMIC_RELAXED);
		}
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return kt_hammer_fail(h, -errno, "open %s: %s", path, strerror(errno));
		for (int off = 0; off < (int)strlen(TEXT); off += 5) {
			ssize_t n = pread(fd, buf, 5, off);
			size_t want = strlen(TEXT) - off < 5 ? strlen(TEXT) - off : 5;
			if (n != (ssize_t)want || memcmp(buf, TEXT + off, want) != 0) {
				close(fd);
				return kt_hammer_fail(h, n < 0 ? -errno : -EIO, "pread(%s, 5 bytes at %d) "
						   "returned %zd, not \"%.*s\"", path, off, n,
						   (int)want, TEXT + off);
			}
		}
		close(fd);
		__atomic_fetch_add(&sh->reads, 1, __ATOMIC_RELAXED);
		if (id % 2 == 0 && umount2(mnt, 0) < 0)
			return kt_hammer_fail(h, -errno, "umount %s: %s", mnt, strerror(errno));
	}
	return 0;
}

static void check_at_once(int mounted)
{
	struct kt_hammer h = { .fn = hammer_worker };

	if (!mounted) {
		kt_check("mounts_at_once", 0, "not checked: klabfs did not mount");
		return;
	}
	for (int i = 0; i < WORKERS; i++) {
		char mnt[64];
		snprintf(mnt, sizeof(mnt), "/tmp/klabfs-%d", i);
		mkdir(mnt, 0755);
	}
	long before = fault_taint();
	int rc = kt_hammer_run(&h, WORKERS / 2, WORKERS / 2, 1000);
	struct shared *sh = h.shared;
	int faulted = fault_taint() != before;
	kt_check("mounts_at_once", rc == 0 && sh->mounts > 0 && !faulted,
		 "2 threads and 2 processes mounting, reading and unmounting klabfs for 1 s "
		 "(%ld mounts, %ld reads): %s", sh->mounts, sh->reads,
		 kt_hammer_why(&h)[0] ? kt_hammer_why(&h)
		 : rc == -ETIMEDOUT ? "a worker got stuck"
		 : faulted ? "the kernel reported a fault (see the kernel report)" : "no mount made");
	kt_hammer_release(&h);
}

int main(void)
{
	kt_plan(17);

	kt_check("fs_registered", file_has_line("/proc/filesystems", "nodev\tklabfs"),
		 "no line \"nodev<TAB>klabfs\" in /proc/filesystems");

	mkdir(MNT, 0755);
	errno = 0;
	int rc = mount("klabfs", MNT, "klabfs", 0, NULL);
	int e = errno;
	int listed = file_has_line("/proc/mounts", "klabfs " MNT " klabfs");
	kt_check("mount_ok", rc == 0 && listed,
		 "mount(\"klabfs\", \"%s\", \"klabfs\"): %s; /proc/mounts %s", MNT,
		 rc ? strerror(e) : "ok", listed ? "lists it" : "does not list it");
	int mounted = rc == 0;

	check_files(mounted);
	check_no_memory(mounted);
	check_at_once(mounted);

	if (!mounted) {
		kt_check("busy_while_mounted", 0, "not checked: klabfs did not mount");
		kt_check("unmount", 0, "not checked: klabfs did not mount");
		rc = kt_rmmod("klabfs");
		kt_check("clean_unload", rc == 0, "delete_module(\"klabfs\"): %s",
			 rc ? strerror(-rc) : "ok");
		return kt_done();
	}

	/* the mounted filesystem keeps the module in memory */
	int busy = kt_rmmod("klabfs");
	kt_check("busy_while_mounted", busy == -EAGAIN || busy == -EBUSY,
		 "unloading klabfs while it is mounted: expected %s (the module is in use), got %s",
		 strerror(EAGAIN), busy ? strerror(-busy) : "success");
	if (busy == 0) {
		/* the module is gone under a mounted filesystem: unmounting would crash */
		kt_check("unmount", 0, "not checked: the module unloaded while mounted");
		kt_check("clean_unload", 0, "not checked: the module unloaded while mounted");
		return kt_done();
	}

	long before = fault_taint();
	rc = umount2(MNT, 0);
	e = errno;
	listed = file_has_line("/proc/mounts", " " MNT " ");
	long after = fault_taint();
	kt_check("unmount", rc == 0 && !listed && after == before,
		 "umount(%s): %s; /proc/mounts %s; %s", MNT, rc ? strerror(e) : "ok",
		 listed ? "still lists it" : "no longer lists it",
		 after != before ? "the kernel reported a fault (see the kernel report)"
				 : "no fault");

	rc = kt_rmmod("klabfs");
	int still = file_has_line("/proc/filesystems", "klabfs");
	kt_check("clean_unload", rc == 0 && !still,
		 "delete_module(\"klabfs\"): %s; /proc/filesystems %s", rc ? strerror(-rc) : "ok",
		 still ? "still lists klabfs" : "no longer lists it");
	return kt_done();
}
