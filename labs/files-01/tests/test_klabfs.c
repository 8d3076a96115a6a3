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

static void check_files(int mounted)
{
	struct stat st;
	struct statfs sfs;
	char buf[256];

	if (!mounted) {
		const char *names[] = { "superblock_magic", "root_dir", "lists_file", "file_mode",
					"file_size", "file_content", "partial_read",
					"lookup_missing", "read_only" };
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

int main(void)
{
	kt_plan(14);

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
