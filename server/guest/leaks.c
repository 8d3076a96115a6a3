/*
 * leaks.c - kmemleak in the guest: a scan after the lab's modules are gone,
 * without kmemleak's 5 s minimum object age (see leaks.h).
 *
 * The debug kernel makes the minimum age a parameter
 * (kernels/patches/kmemleak-min-age.patch): with the modules unloaded nothing
 * they allocated can still sit in a register, so the age can be 0. With 0 the
 * patched kmemleak also reports an object whose checksum changed since the last
 * scan (a new object's checksum starts at 0), so one scan is enough.
 *
 * Most runs leave nothing behind, and a scan costs seconds under TCG: the
 * patched kmemleak (kernels/patches/kmemleak-module-objects.patch) counts,
 * without a scan, the objects still allocated since the first module was
 * loaded that have a module address on their allocation stack. Only those can
 * be reported as a lab module's leak (the host places a leak by such a frame),
 * so at 0 the scan is skipped; otherwise, or on a kernel without the count,
 * the scan runs as before.
 *
 * The host places a module's raw frames by its text sections, which the
 * patched kernel prints while it loads the module
 * (kernels/patches/module-print-text-sections.patch); on another kmemleak
 * kernel they are read from /sys/module/NAME/sections after the load.
 */
#define _GNU_SOURCE
#include "leaks.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KMEMLEAK "/sys/kernel/debug/kmemleak"
#define MIN_AGE "/sys/module/kmemleak/parameters/min_age_ms"
#define SINCE "/sys/module/kmemleak/parameters/module_objects_since"
#define MODULE_OBJECTS "/sys/module/kmemleak/parameters/module_objects"
#define KERNEL_PRINTS "/sys/module/module/parameters/print_text_sections"
#define MAX_OBJECTS 12      /* leaked objects printed */
#define MAX_OBJECT_LINES 24 /* lines of each */
#define MAX_REPORT (1 << 20)

static unsigned long start_jiffies; /* 0: no kmemleak, or nothing loaded yet */
static int started;
static int kernel_prints; /* the kernel prints a loading module's text sections itself */

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
		/* a record without its newline stays open, unprinted, until the next one */
		n += m < (int)sizeof(line) - n - 1 ? m : (int)sizeof(line) - n - 2;
		line[n++] = '\n';
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
	char *v = read_all(KERNEL_PRINTS);
	kernel_prints = v && v[0] == 'Y';
	free(v);
}

void leaks_module_loaded(const char *name)
{
	char path[320];

	if (!start_jiffies || kernel_prints)
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
	int objects = 0, keep = 0, lines = 0, hex = 0;

	for (char *line = strtok(report, "\n"); line; line = strtok(NULL, "\n")) {
		if (strncmp(line, "unreferenced object ", 20) == 0) {
			keep = 0;
			lines = 0;
			hex = 0;
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
		/* the object's bytes: from "hex dump (first 32 bytes):" to "backtrace:" */
		if (strstr(line, "hex dump"))
			hex = 1;
		else if (strstr(line, "backtrace:"))
			hex = 0;
		if (!keep || hex || ++lines > MAX_OBJECT_LINES)
			continue;
		kmsg("kmemleak: %s", line);
	}
	return objects;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * How many objects allocated since leaks_start() with a module address on their
 * stack are still allocated, by the patched kmemleak's count; -1 if the kernel
 * has no such count.
 */
static long module_objects(void)
{
	char since[32];

	snprintf(since, sizeof(since), "%lu", start_jiffies);
	if (write_file(SINCE, since) != 0)
		return -1;
	char *v = read_all(MODULE_OBJECTS);
	char *end = NULL;
	long n = v ? strtol(v, &end, 10) : -1;

	if (!v || end == v || n < 0)
		n = -1;
	free(v);
	return n;
}

void leaks_scan(void)
{
	if (!start_jiffies)
		return;
	double t0 = now_ms();
	long suspects = module_objects();
	if (suspects == 0) {
		kmsg("kmemleak: end 0 (no object a module allocated is left: no scan, %.0f ms)",
		     now_ms() - t0);
		return;
	}
	if (write_file(MIN_AGE, "0") != 0)
		kmsg("kmemleak: note: no %s: objects younger than 5 s are not checked", MIN_AGE);
	kmsg("kmemleak: scan"); /* the host's: a run that ends here is not the learner's timeout */
	write_file(KMEMLEAK, "scan");
	char *report = read_all(KMEMLEAK);
	int n = report ? print_new(report) : 0;
	free(report);
	kmsg("kmemleak: end %d (%.0f ms)", n, now_ms() - t0);
}
