/*
 * leaks.c - kmemleak in the guest: a scan after the lab's modules are gone,
 * without kmemleak's 5 s minimum object age (see leaks.h).
 *
 * The debug kernel makes the minimum age a parameter
 * (kernels/patches/kmemleak-min-age.patch): with the modules unloaded nothing
 * they allocated can still sit in a register, so the age can be 0. kmemleak
 * does not report an object whose checksum changed since the last scan, and a
 * new object's checksum starts at 0: a leak with any non-zero byte is only
 * reported by the second scan, so there are always two.
 */
#define _GNU_SOURCE
#include "leaks.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KMEMLEAK "/sys/kernel/debug/kmemleak"
#define MIN_AGE "/sys/module/kmemleak/parameters/min_age_ms"
#define MAX_OBJECTS 12      /* leaked objects printed */
#define MAX_OBJECT_LINES 24 /* lines of each */
#define MAX_REPORT (1 << 20)

static unsigned long start_jiffies; /* 0: no kmemleak, or nothing loaded yet */
static int started;

/* One line to the kernel log, at warning level so loglevel=5 consoles show it too. */
static void kmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void kmsg(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	int n = snprintf(line, sizeof(line), "<4>klab: ");
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (m > 0) {
		n += m < (int)sizeof(line) - n ? m : (int)sizeof(line) - n - 1;
		ssize_t w = write(fd, line, (size_t)n);
		(void)w; /* a lost line: the host sees less, nothing else to do */
	}
	close(fd);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	ssize_t w = write(fd, text, strlen(text));
	close(fd);
	return w == (ssize_t)strlen(text) ? 0 : -1;
}

/* Reads a whole (pseudo) file into a new buffer; NULL on failure. */
static char *read_all(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap + 1);

	if (fd < 0 || !buf) {
		if (fd >= 0)
			close(fd);
		free(buf);
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			if (cap >= MAX_REPORT)
				break;
			cap *= 2;
			char *b = realloc(buf, cap + 1);
			if (!b)
				break;
			buf = b;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* The kernel's jiffies now, from /proc/timer_list; 0 if unknown. */
static unsigned long read_jiffies(void)
{
	char *t = read_all("/proc/timer_list");
	char *j = t ? strstr(t, "\njiffies: ") : NULL;
	unsigned long v = j ? strtoul(j + 10, NULL, 10) : 0;

	free(t);
	return v;
}

void leaks_start(void)
{
	if (started)
		return;
	started = 1;
	if (access(KMEMLEAK, R_OK) != 0)
		return;
	start_jiffies = read_jiffies();
}

void leaks_module_loaded(const char *name)
{
	char path[320];

	if (!start_jiffies)
		return;
	snprintf(path, sizeof(path), "/sys/module/%s/sections", name);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strstr(de->d_name, "text"))
			continue; /* backtraces only hold code addresses */
		char file[640];
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		char *v = read_all(file);
		if (v) {
			kmsg("section %s %s %s", name, de->d_name, strtok(v, "\n") ? v : "0");
			free(v);
		}
	}
	closedir(d);
}

/* Prints the objects of kmemleak's report allocated since leaks_start(). */
static int print_new(char *report)
{
	int objects = 0, keep = 0, lines = 0;

	for (char *line = strtok(report, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "unreferenced object ", 20) == 0) {
			keep = 0;
			lines = 0;
			/* the comm line that follows says when: decide there */
			if (objects >= MAX_OBJECTS)
				continue;
			char *next = strtok(NULL, "\n");
			const char *j = next ? strstr(next, "jiffies ") : NULL;
			unsigned long at = j ? strtoul(j + 8, NULL, 10) : 0;
			if (!j || (long)(at - start_jiffies) < 0)
				continue;
			keep = 1;
			objects++;
			kmsg("kmemleak: %s", line);
			kmsg("kmemleak: %s", next);
			continue;
		}
		if (!keep || strstr(line, "hex dump") || strncmp(line, "      ", 6) == 0 ||
		    ++lines > MAX_OBJECT_LINES)
			continue;
		kmsg("kmemleak: %s", line);
	}
	return objects;
}

void leaks_scan(void)
{
	if (!start_jiffies)
		return;
	if (write_file(MIN_AGE, "0") != 0)
		kmsg("kmemleak: note: no %s: objects younger than 5 s are not checked", MIN_AGE);
	for (int i = 0; i < 2; i++)
		write_file(KMEMLEAK, "scan");
	char *report = read_all(KMEMLEAK);
	int n = report ? print_new(report) : 0;
	free(report);
	kmsg("kmemleak: end %d", n);
}
