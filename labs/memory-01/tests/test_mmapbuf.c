/*
 * test_mmapbuf.c - guest tests of lab memory-01. /init loaded mmapbuf.ko; this
 * program maps /dev/klab_mmap, writes through the mapping and reads back with
 * read(2) (and the other way round), maps it again, maps a part of it at an
 * offset, asks for mappings that do not fit, and unloads the module. Then it
 * loads it again with its buffer allocation failing (fault injection), and
 * once more to see, through /proc/kpagecount, that unloading frees the pages.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "klab_test.h"

#define DEV "/dev/klab_mmap"
#define KO "/klab/modules/mmapbuf.ko"
#define PAGE 4096
#define SIZE (4 * PAGE)

static unsigned char expect[SIZE]; /* what the buffer should hold */

/* The first offset where a (len bytes) differs from b, or -1. */
static long differ(const unsigned char *a, const unsigned char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

/* mmap(2) that gives the errno: the mapping, or NULL with *err set. */
static unsigned char *map(int fd, size_t len, off_t off, int *err)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);

	*err = p == MAP_FAILED ? errno : 0;
	return p == MAP_FAILED ? NULL : p;
}

static const char *err_name(int e)
{
	return e ? strerror(e) : "success";
}

/* Asks for a mapping that must fail with EINVAL; never touches it if it works. */
static void check_rejected(const char *name, int fd, size_t len, off_t off)
{
	int err;
	unsigned char *p = map(fd, len, off, &err);

	if (p)
		munmap(p, len);
	kt_check(name, err == EINVAL, "mmap of %zu bytes at offset %ld of a %d-byte buffer: "
		 "expected %s, got %s", len, (long)off, SIZE, strerror(EINVAL), err_name(err));
}

/*
 * A mapping keeps the module in use, even with the file closed. The mapping
 * is held by a child that has let go of our stdout: if the module unloads
 * under it, the child's exit crashes in the kernel, and only the child hangs.
 */
static void check_unload(void)
{
	int ready[2], status, rc = -EAGAIN;
	char c = '0';
	struct stat st;

	if (pipe(ready) < 0) {
		kt_check("busy_while_mapped", 0, "pipe: %s (a klab bug)", strerror(errno));
		kt_check("clean_unload", 0, "not checked");
		return;
	}
	pid_t holder = fork();
	if (holder == 0) {
		int f = open(DEV, O_RDWR | O_CLOEXEC);
		void *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
		int null = open("/dev/null", O_RDWR);

		close(f);
		dup2(null, 1);
		dup2(null, 2);
		c = p == MAP_FAILED ? '0' : '1';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	if (holder < 0 || read(ready[0], &c, 1) != 1 || c != '1') {
		kt_check("busy_while_mapped", 0, "not checked: no mapping");
	} else {
		rc = kt_rmmod("mmapbuf");
		kt_check("busy_while_mapped", rc == -EAGAIN || rc == -EBUSY,
			 "unloading mmapbuf while a mapping of it exists (file closed): expected "
			 "%s (the module is in use), got %s", strerror(EAGAIN),
			 rc ? strerror(-rc) : "success");
	}
	close(ready[0]);
	if (holder > 0) {
		kill(holder, SIGKILL);
		for (int i = 0; i < 200 && waitpid(holder, &status, WNOHANG) != holder; i++)
			kt_msleep(10);
	}
	if (rc == 0) {
		kt_check("clean_unload", 0, "not checked: the module unloaded while mapped");
		return;
	}
	rc = kt_rmmod("mmapbuf");
	int gone = stat(DEV, &st) < 0;
	kt_check("clean_unload", rc == 0 && gone, "delete_module(\"mmapbuf\") after munmap: %s; "
		 "%s %s", rc ? strerror(-rc) : "ok", DEV, gone ? "gone" : "still there");
}

static int read_dev(const void *arg)
{
	char buf[16];
	int f = open(DEV, O_RDONLY | O_CLOEXEC);
	ssize_t n = f < 0 ? -1 : pread(f, buf, sizeof(buf), 0);

	(void)arg;
	if (f >= 0)
		close(f);
	return n == sizeof(buf) ? 0 : -EIO;
}

/*
 * Loading with the buffer's allocation failing: the load fails cleanly. Every
 * allocation of 4 pages or more made by this thread fails (up to FAIL_TIMES).
 * Those the kernel makes with __GFP_NOWARN fall back quietly (a new slab tried
 * smaller, KASAN's stack depot, kvmalloc's first try); a single failure, as
 * this once was, was often spent on one of them. If the module loads all the
 * same, its device must still work, and the test tries again.
 */
#define FAIL_TIMES 100

static void check_load_enomem(void)
{
	struct stat st;
	char times[32] = "", why[200] = "";
	int rc = 0, dev = 0, fired = 0, tries;

	if (kt_fault_setup() < 0) {
		kt_skip("load_enomem", "this kernel has no fault injection (run on klab's default "
			"debug kernel)");
		return;
	}
	for (tries = 1; tries <= 5; tries++) {
		kt_fault_write("fail_page_alloc", "min-order", "2");
		kt_fault_config("fail_page_alloc", 100, 1, FAIL_TIMES, 0);
		kt_make_it_fail(1);
		rc = kt_insmod(KO, "");
		kt_make_it_fail(0);
		/* what is left of the failures, read before the knobs are reset */
		kt_read_file(KT_DEBUGFS "fail_page_alloc/times", times, sizeof(times));
		kt_fault_config("fail_page_alloc", 0, 1, 0, 0);
		fired = atoi(times) < FAIL_TIMES;
		dev = stat(DEV, &st) == 0;
		if (rc < 0 || !fired)
			break;
		/* loaded although its big allocations failed: the failure was ignored, or
		 * the buffer came another way; a buffer that is not there crashes the
		 * reader (in a child) */
		int r = kt_within(read_dev, NULL, 3000);
		if (r < 0) {
			snprintf(why, sizeof(why), "loading with a 4-page allocation failing "
				 "succeeded, and reading the device then %s", r == -EINTR ?
				 "crashed" : "failed");
			break;
		}
		kt_rmmod_within("mmapbuf", 5000);
	}
	if (!why[0] && !fired)
		snprintf(why, sizeof(why), "the injected failure was never reached");
	else if (!why[0] && (rc != -ENOMEM || dev))
		snprintf(why, sizeof(why), "loading mmapbuf with its 4-page allocation failing: "
			 "expected %s and no %s, got %s and %s", strerror(ENOMEM), DEV,
			 rc ? strerror(-rc) : "success", dev ? "the device" : "no device");
	kt_check("load_enomem", !why[0], "%s", why);
	if (stat(DEV, &st) == 0)
		kt_rmmod_within("mmapbuf", 5000); /* it may crash: not in this process */
}

/* Free pages: in the buddy allocator plus on the per-CPU lists (/proc/zoneinfo); -1 on error. */
static long free_pages(void)
{
	static char buf[1 << 16];
	long total = 0, v;

	if (kt_read_file("/proc/zoneinfo", buf, sizeof(buf)) <= 0)
		return -1;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		if (sscanf(l, " pages free %ld", &v) == 1 || sscanf(l, " count: %ld", &v) == 1)
			total += v;
	}
	return total;
}

/* Empties KASAN's quarantine and the slab caches' free slabs: free memory settles. */
static void shrink_slabs(void)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *de;
	char path[300];

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink", de->d_name);
		kt_write_file(path, "1");
	}
	if (d)
		closedir(d);
}

/*
 * Free pages once what was freed lately has landed: frees wait for an RCU
 * grace period, then in KASAN's quarantine, then in empty slabs. Shrinks and
 * reads again until two readings agree within 2 pages (at most 1 s).
 */
static long settled_free_pages(void)
{
	long prev = -1, now = -1;

	for (int i = 0; i < 10; i++) {
		shrink_slabs();
		now = free_pages();
		if (now < 0 || (prev >= 0 && labs(now - prev) <= 2))
			break;
		prev = now;
		kt_msleep(100);
	}
	return now;
}

/* Loads and unloads the module n times: 0, or -errno of the first failure. */
static int cycle(int n)
{
	for (int i = 0; i < n; i++) {
		int rc = kt_insmod(KO, "");
		if (rc == 0)
			rc = kt_rmmod("mmapbuf");
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Pages lost over n loads and unloads (*rc: the first failure), or LONG_MIN. */
static long pages_lost(int n, int *rc)
{
	long before = settled_free_pages();

	*rc = cycle(n);
	long after = settled_free_pages();

	return before < 0 || after < 0 ? LONG_MIN : before - after;
}

/*
 * Unloading frees the buffer. Neither the mapping (a PFN map) nor kmemleak (it
 * does not track page allocations) can tell, so free memory does: after a
 * warm-up, CYCLES loads and unloads may not lose half of CYCLES * 4 pages,
 * what a buffer never freed loses. Free memory moves by itself too (page
 * tables of fresh module addresses, caches refilled, frees landing late):
 * -30 to +33 pages were seen over 16 cycles, so 32 cycles give the leak a
 * clear margin, and a loss that big is measured twice before it counts.
 */
#define CYCLES 32

static void check_frees_buffer(void)
{
	const long most = CYCLES * 4 / 2;
	int rc = cycle(2);
	long lost = LONG_MIN, again = LONG_MIN;

	if (rc == 0)
		lost = pages_lost(CYCLES, &rc);
	if (rc == 0 && lost >= most)
		again = pages_lost(CYCLES, &rc);
	if (rc == 0 && (lost == LONG_MIN || (lost >= most && again == LONG_MIN)))
		kt_check("frees_buffer", 0, "cannot read /proc/zoneinfo");
	else
		kt_check("frees_buffer", rc == 0 && (lost < most || again < most),
			 "loaded and unloaded mmapbuf %d times (%s): %ld pages were lost, and %ld "
			 "the next %d times (a buffer not freed at unload loses %d each time)",
			 CYCLES, rc ? strerror(-rc) : "ok", lost, again, CYCLES, 4);
}

int main(void)
{
	static unsigned char got[SIZE];
	struct stat st;
	int err, fd;
	unsigned char *m;
	long d;

	kt_plan(15);

	fd = open(DEV, O_RDWR | O_CLOEXEC);
	int e = errno;
	kt_check("device_node", stat(DEV, &st) == 0 && S_ISCHR(st.st_mode) && fd >= 0,
		 "expected a character device %s that opens for reading and writing: %s", DEV,
		 fd < 0 ? strerror(e) : "not a character device");
	if (fd < 0)
		fd = open("/dev/null", O_RDWR | O_CLOEXEC); /* the checks below then fail */

	/* the whole buffer */
	m = map(fd, SIZE, 0, &err);
	kt_check("map_full_buffer", m != NULL, "mmap of the whole %d-byte buffer: %s", SIZE,
		 err_name(err));
	d = m ? differ(m, expect, SIZE) : -2;
	if (!m)
		kt_check("zeroed_at_load", 0, "not checked: no mapping");
	else
		kt_check("zeroed_at_load", d == -1, "expected a freshly loaded buffer to be all "
			 "zeros, got a non-zero byte at offset %ld", d);

	/* written through the mapping, read back with read(2) */
	for (int i = 0; i < SIZE; i++)
		expect[i] = (unsigned char)(i * 7 + i / 251 + 3);
	if (m)
		memcpy(m, expect, SIZE);
	memset(got, 0, sizeof(got));
	ssize_t n = pread(fd, got, SIZE, 0);
	e = errno;
	d = n == SIZE ? differ(got, expect, SIZE) : -2;
	if (!m)
		kt_check("read_sees_mapping", 0, "not checked: no mapping");
	else if (n != SIZE)
		kt_check("read_sees_mapping", 0, "read(2) of the %d bytes written through the "
			 "mapping: expected %d, got %zd%s%s", SIZE, SIZE, n, n < 0 ? ": " : "",
			 n < 0 ? strerror(e) : "");
	else
		kt_check("read_sees_mapping", d == -1, "wrote %d bytes through the mapping, read(2) "
			 "returns other bytes from offset %ld on", SIZE, d);

	/* written with write(2), seen through the mapping */
	unsigned char w[3000];
	for (size_t i = 0; i < sizeof(w); i++)
		w[i] = (unsigned char)(255 - i % 200);
	n = pwrite(fd, w, sizeof(w), 5000);
	e = errno;
	if (n > 0)
		memcpy(expect + 5000, w, (size_t)n);
	d = m ? differ(m, expect, SIZE) : -2;
	if (n != (ssize_t)sizeof(w))
		kt_check("mapping_sees_write", 0, "write(2) of %zu bytes at offset 5000: expected "
			 "%zu, got %zd%s%s", sizeof(w), sizeof(w), n, n < 0 ? ": " : "",
			 n < 0 ? strerror(e) : "");
	else if (!m)
		kt_check("mapping_sees_write", 0, "not checked: no mapping");
	else
		kt_check("mapping_sees_write", d == -1, "after write(2) of %zu bytes at offset "
			 "5000, the mapping differs at offset %ld", sizeof(w), d);

	/* unmapped, closed, opened and mapped again: the data is still there */
	if (m)
		munmap(m, SIZE);
	close(fd);
	fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	m = map(fd, SIZE, 0, &err);
	d = m ? differ(m, expect, SIZE) : -2;
	if (d == -2)
		kt_check("survives_remap", 0, "after munmap, close and open, mmap failed: %s",
			 err_name(err));
	else
		kt_check("survives_remap", d == -1, "after munmap, close, open and mmap again, the "
			 "data differs at offset %ld", d);

	/* one page at an offset of two pages, both ways */
	int err2;
	unsigned char *p2 = map(fd, PAGE, 2 * PAGE, &err2);
	char why[160] = "";
	if (!p2) {
		snprintf(why, sizeof(why), "mmap failed: %s", err_name(err2));
	} else if ((d = differ(p2, expect + 2 * PAGE, PAGE)) >= 0) {
		snprintf(why, sizeof(why), "its byte %ld is not byte %ld of the buffer", d,
			 2L * PAGE + d);
	} else {
		p2[100] ^= 0xff;
		expect[2 * PAGE + 100] ^= 0xff;
		if (pread(fd, got, SIZE, 0) != SIZE || got[2 * PAGE + 100] != expect[2 * PAGE + 100])
			snprintf(why, sizeof(why), "a byte written at its offset 100 is not at "
				 "offset %d of read(2)", 2 * PAGE + 100);
	}
	kt_check("offset_mapping", !why[0], "mmap of one page at offset %d (page 2): %s",
		 2 * PAGE, why);
	if (p2)
		munmap(p2, PAGE);

	check_rejected("rejects_too_large", fd, SIZE + PAGE, 0);
	{
		int e1, e2;
		unsigned char *q1 = map(fd, 2 * PAGE, 3 * PAGE, &e1);
		if (q1)
			munmap(q1, 2 * PAGE);
		unsigned char *q2 = map(fd, PAGE, 4 * PAGE, &e2);
		if (q2)
			munmap(q2, PAGE);
		kt_check("rejects_past_end", e1 == EINVAL && e2 == EINVAL,
			 "expected %s for 2 pages at page 3 and for 1 page at page 4 of a 4-page "
			 "buffer, got %s and %s", strerror(EINVAL), err_name(e1), err_name(e2));
	}

	/* the end of the buffer */
	off_t end = lseek(fd, 0, SEEK_END);
	ssize_t at_end = pread(fd, got, 100, SIZE);
	struct kt_guard g;
	ssize_t tail = -1, none = -1;
	long over = -1;
	if (kt_guard_init(&g, 100, KT_GUARD_CANARY) == 0) {
		none = pread(fd, g.buf, 0, 0);
		tail = pread(fd, g.buf, 100, SIZE - 10);
		over = kt_guard_written(&g, tail > 0 ? (size_t)tail : 0, 100);
		if (over < 0)
			over = kt_guard_check(&g);
		kt_guard_release(&g);
	}
	kt_check("read_eof", end == SIZE && at_end == 0 && tail == 10 && none == 0 && over == -1,
		 "expected lseek(SEEK_END) = %d, read at the end = 0, 100 bytes asked 10 "
		 "before the end = 10 (and nothing written past them) and a read of 0 bytes = 0, "
		 "got %ld, %zd, %zd%s and %zd", SIZE, (long)end, at_end, tail,
		 over != -1 ? " (with bytes written past them: guard bytes changed)" : "", none);

	errno = 0;
	ssize_t past = pwrite(fd, "0123456789", 10, SIZE);
	int past_err = errno;
	ssize_t cut = pwrite(fd, "0123456789", 10, SIZE - 4);
	if (cut > 0)
		memcpy(expect + SIZE - 4, "0123", (size_t)cut < 4 ? (size_t)cut : 4);
	kt_check("write_past_end_enospc", past < 0 && past_err == ENOSPC && cut == 4,
		 "expected a write at the end to fail with %s and a 10-byte write 4 bytes before "
		 "the end to write 4, got %zd (%s) and %zd", strerror(ENOSPC), past,
		 past < 0 ? strerror(past_err) : "no error", cut);

	close(fd);
	if (m)
		munmap(m, SIZE);
	check_unload();
	check_load_enomem();
	check_frees_buffer();
	return kt_done();
}
