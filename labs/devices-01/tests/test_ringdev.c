/*
 * test_ringdev.c - guest tests of lab devices-01. /init loaded ringdev.ko; this
 * program writes and reads /dev/klab_ring, fills it, wraps it around, passes
 * bad pointers and bad ioctls, reads and ioctls into buffers with guard bytes
 * (nothing may be written past what the call returns), runs concurrent writers
 * with pthreads, makes one writer and then one reader sleep in the middle of
 * its copy (a userfaultfd page) to see whether another writer or reader can
 * slip in, then runs readers, writers and an ioctl process at once. Then it
 * unloads the module.
 */
#define _GNU_SOURCE
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "klab_test.h"

/* the same as ../ringdev.h */
#define RING_SIZE 4096
#define RING_GET_FILL _IOR('k', 1, int)
#define RING_CLEAR _IO('k', 2)

#define DEV "/dev/klab_ring"
static void *volatile bad_ptr = (void *)16; /* never mapped */
#define BAD_PTR bad_ptr

static int fd = -1;

static const char *err_name(ssize_t rc, int e)
{
	return rc >= 0 ? "success" : strerror(e);
}

/* The fill level from RING_GET_FILL, or -errno. */
static int fill(void)
{
	int n = -1;

	return ioctl(fd, RING_GET_FILL, &n) < 0 ? -errno : n;
}

static void clear(void)
{
	char buf[RING_SIZE];

	ioctl(fd, RING_CLEAR);
	while (read(fd, buf, sizeof(buf)) > 0) /* in case RING_CLEAR does not work */
		;
}

/* Reads until the ring is empty (or max bytes): how many bytes, -errno on error. */
static ssize_t drain(char *buf, size_t max)
{
	size_t got = 0;

	while (got < max) {
		ssize_t n = read(fd, buf + got, max - got);
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void check_basics(void)
{
	char buf[RING_SIZE + 64];
	ssize_t n, r;
	int e;

	/* round trip */
	clear();
	n = write(fd, "hello ring", 10);
	e = errno;
	r = read(fd, buf, 100);
	ssize_t again = read(fd, buf + 100, 100);
	kt_check("write_read_roundtrip", n == 10 && r == 10 && memcmp(buf, "hello ring", 10) == 0 &&
		 again == 0, "wrote \"hello ring\" (%s, %zd), read 100: got %zd bytes \"%.*s\", "
		 "then a read of the empty ring returned %zd (expected 0)", err_name(n, e), n, r,
		 r > 0 ? (int)r : 0, buf, again);

	/* fill level and order */
	clear();
	ssize_t w1 = write(fd, "abc", 3), w2 = write(fd, "defg", 4);
	int f1 = fill();
	r = read(fd, buf, 2);
	int f2 = fill();
	kt_check("fill_level", w1 == 3 && w2 == 4 && f1 == 7 && r == 2 && f2 == 5,
		 "after writing 3 and 4 bytes (%zd, %zd) RING_GET_FILL said %d (expected 7); after "
		 "reading %zd bytes (expected 2) it said %d (expected 5)%s", w1, w2, f1, r, f2,
		 f1 < 0 ? " (negative: an errno)" : "");
	ssize_t r2 = read(fd, buf + 2, 100);
	kt_check("fifo_order", r == 2 && r2 == 5 && memcmp(buf, "abcdefg", 7) == 0,
		 "wrote \"abc\" and \"defg\", read 2 then 100 bytes: expected \"ab\" then \"cdefg\", "
		 "got %zd and %zd bytes: \"%.*s\"", r, r2, (int)((r > 0 ? r : 0) + (r2 > 0 ? r2 : 0)),
		 buf);

	/* around the end of the ring */
	static char pat[3000], back[3000];
	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (char)('A' + i % 23);
	clear();
	memset(buf, 'x', 3000);
	ssize_t a = write(fd, buf, 3000), b = drain(back, 3000);
	ssize_t c = write(fd, pat, 3000);
	int f3 = fill();
	memset(back, 0, sizeof(back));
	ssize_t d = drain(back, sizeof(back));
	size_t at = 0;
	while (d == 3000 && at < 3000 && back[at] == pat[at])
		at++;
	char diff[64] = "";
	if (d == 3000 && at < 3000)
		snprintf(diff, sizeof(diff), "; they differ from byte %zu on", at);
	kt_check("wraparound", a == 3000 && b == 3000 && c == 3000 && f3 == 3000 && d == 3000 &&
		 at == 3000, "3000 bytes in and out, then 3000 more (they wrap around the end of "
		 "the %d-byte ring): wrote %zd, read %zd, wrote %zd, fill %d, read %zd (expected "
		 "3000 each)%s", RING_SIZE, a, b, c, f3, d, diff);

	/* full */
	clear();
	memset(buf, 'f', RING_SIZE);
	n = write(fd, buf, RING_SIZE);
	errno = 0;
	ssize_t one = write(fd, "1", 1);
	e = errno;
	int f4 = fill();
	kt_check("full_eagain", n == RING_SIZE && one < 0 && e == EAGAIN && f4 == RING_SIZE,
		 "a write of %d bytes into the empty ring returned %zd (expected %d); then a 1-byte "
		 "write: expected %s, got %s; fill %d", RING_SIZE, n, RING_SIZE, strerror(EAGAIN),
		 one < 0 ? strerror(e) : "success", f4);
	clear();
	errno = 0;
	n = write(fd, buf, RING_SIZE + 1);
	e = errno;
	kt_check("too_big_einval", n < 0 && e == EINVAL,
		 "a write of %d bytes (more than the ring holds): expected %s, got %s", RING_SIZE + 1,
		 strerror(EINVAL), err_name(n, e));

	/* clear */
	n = write(fd, buf, 100);
	int rc = ioctl(fd, RING_CLEAR);
	e = errno;
	int f5 = fill();
	r = read(fd, buf, 100);
	kt_check("clear_ioctl", n == 100 && rc == 0 && f5 == 0 && r == 0,
		 "100 bytes in, then RING_CLEAR (%s): expected fill 0 and an empty read, got fill %d "
		 "and a read of %zd", rc < 0 ? strerror(e) : "ok", f5, r);
	clear();

	/* ioctl commands that are not the device's */
	errno = 0;
	int b1 = ioctl(fd, _IO('k', 99));
	int e1 = errno;
	errno = 0;
	int b2 = ioctl(fd, 0x1234);
	int e2 = errno;
	kt_check("bad_ioctl_enotty", b1 < 0 && e1 == ENOTTY && b2 < 0 && e2 == ENOTTY,
		 "unknown ioctl commands _IO('k', 99) and 0x1234: expected %s, got %s and %s",
		 strerror(ENOTTY), b1 < 0 ? strerror(e1) : "success", b2 < 0 ? strerror(e2) : "success");
}

static void check_faults(void)
{
	char buf[64];
	ssize_t n;
	int e;

	/* a bad source, and one that goes bad half way: nothing may be stored */
	clear();
	ssize_t w = write(fd, "abc", 3);
	errno = 0;
	n = write(fd, BAD_PTR, 10);
	e = errno;
	int f1 = fill();
	char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ssize_t half = 0;
	int he = 0, f2 = -1;
	if (two != MAP_FAILED) {
		memset(two, 'h', 4096);
		munmap(two + 4096, 4096);
		errno = 0;
		half = write(fd, two + 4096 - 5, 10); /* 5 good bytes, then a hole */
		he = errno;
		f2 = fill();
		munmap(two, 4096);
	}
	kt_check("write_efault", w == 3 && n < 0 && e == EFAULT && f1 == 3 && half < 0 &&
		 he == EFAULT && f2 == 3, "with 3 bytes stored, write(2) from a bad address: expected %s and fill "
		 "3, got %s and fill %d; from 5 good bytes then a hole: got %s and fill %d",
		 strerror(EFAULT), err_name(n, e), f1, err_name(half, he), f2);

	/* a bad destination: the bytes stay */
	errno = 0;
	n = read(fd, BAD_PTR, 3);
	e = errno;
	int f3 = fill();
	ssize_t r = read(fd, buf, sizeof(buf));
	kt_check("read_efault", n < 0 && e == EFAULT && f3 == 3 && r == 3 && memcmp(buf, "abc", 3) == 0,
		 "read(2) of the 3 stored bytes into a bad address: expected %s, the fill level "
		 "still 3 and then \"abc\", got %s, fill %d, then %zd bytes \"%.*s\"",
		 strerror(EFAULT), err_name(n, e), f3, r, r > 0 ? (int)r : 0, buf);

	errno = 0;
	int rc = ioctl(fd, RING_GET_FILL, BAD_PTR);
	e = errno;
	kt_check("ioctl_efault", rc < 0 && e == EFAULT,
		 "RING_GET_FILL with a bad address: expected %s, got %s", strerror(EFAULT),
		 rc < 0 ? strerror(e) : "success");

	errno = 0;
	off_t o = lseek(fd, 0, SEEK_SET);
	int le = errno;
	errno = 0;
	ssize_t p = pread(fd, buf, 1, 0);
	int pe = errno;
	kt_check("not_seekable", o < 0 && le == ESPIPE && p < 0 && pe == ESPIPE,
		 "a FIFO has no file position: expected lseek and pread to fail with %s, got %s "
		 "and %s", strerror(ESPIPE), o < 0 ? strerror(le) : "success", err_name(p, pe));
}

/* Reads and ioctls write only what they say: guard bytes around the user buffers. */
static void check_guarded(void)
{
	struct kt_guard g, fence;
	char why[240] = "";

	/* a read asks 100, 5 are there: only 5 bytes of the buffer are written */
	clear();
	if (kt_guard_init(&g, 100, KT_GUARD_CANARY) < 0) {
		kt_check("read_only_count", 0, "cannot map a guarded buffer (a klab bug)");
	} else {
		ssize_t w = write(fd, "12345", 5);
		errno = 0;
		ssize_t z = read(fd, g.buf, 0);
		int fz = fill();
		long wz = kt_guard_written(&g, 0, 100);
		ssize_t r = read(fd, g.buf, 100);
		int e = errno;
		long past = kt_guard_written(&g, r > 0 ? (size_t)r : 0, 100);
		long out = kt_guard_check(&g);
		if (w != 5 || z != 0 || fz != 5 || wz >= 0)
			snprintf(why, sizeof(why), "with 5 bytes stored, a read of 0 bytes returned "
				 "%zd (expected 0), left fill %d (expected 5), %s",
				 z, fz, wz >= 0 ? "and wrote into the buffer" : "wrote nothing");
		else if (r != 5 || memcmp(g.buf, "12345", 5) != 0)
			snprintf(why, sizeof(why), "a read of 100 bytes with 5 stored returned %zd%s%s",
				 r, r < 0 ? ": " : " (expected 5, \"12345\")", r < 0 ? strerror(e) : "");
		else if (past >= 0 || out != -1)
			snprintf(why, sizeof(why), "a read of 100 bytes returned 5 but wrote byte %ld "
				 "of the buffer (guard bytes changed): a read may write only the bytes "
				 "it returns", past >= 0 ? past : out);
		kt_check("read_only_count", !why[0], "%s", why);
		kt_guard_release(&g);
	}

	/* RING_GET_FILL stores an int: 4 bytes, not 8 */
	why[0] = '\0';
	clear();
	write(fd, "abcdefg", 7);
	if (kt_guard_init(&g, sizeof(int), KT_GUARD_CANARY) < 0 ||
	    kt_guard_init(&fence, sizeof(int), KT_GUARD_FENCE) < 0) {
		kt_check("ioctl_int_size", 0, "cannot map a guarded buffer (a klab bug)");
		return;
	}
	errno = 0;
	int rc = ioctl(fd, RING_GET_FILL, fence.buf);
	int e = errno, v = -1;
	memcpy(&v, fence.buf, sizeof(v));
	int rc2 = ioctl(fd, RING_GET_FILL, g.buf);
	int v2 = -1;
	memcpy(&v2, g.buf, sizeof(v2));
	long out = kt_guard_check(&g);
	if (rc < 0 || v != 7)
		snprintf(why, sizeof(why), "RING_GET_FILL into an int that ends a page (the next "
			 "page unmapped) with 7 bytes stored: %s, value %d (expected 7): does it "
			 "copy more than sizeof(int) bytes?", rc < 0 ? strerror(e) : "ok", v);
	else if (rc2 < 0 || v2 != 7 || out != -1)
		snprintf(why, sizeof(why), "RING_GET_FILL into an int followed by guard bytes: "
			 "returned %d, value %d, and changed the byte at offset %ld from the int "
			 "(expected only bytes 0-3)", rc2, v2, out);
	kt_check("ioctl_int_size", !why[0], "%s", why);
	kt_guard_release(&g);
	kt_guard_release(&fence);
	clear();
}

/* Concurrent writers: records of 16 bytes, all written whole, drained by a reader. */
#define WRITERS 4
#define RECORDS 300
#define REC 16

struct record {
	unsigned int writer, seq;
	unsigned char fill[REC - 8];
};

static volatile int stop_all;
static int writer_err[WRITERS];
static int writer_done;
static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static char stream[WRITERS * RECORDS * REC + RING_SIZE];
static size_t streamed;
static int reader_err;

static void *writer_main(void *arg)
{
	unsigned int id = (unsigned int)(long)arg;

	for (unsigned int seq = 0; seq < RECORDS && !stop_all; seq++) {
		struct record r = { .writer = id, .seq = seq };

		memset(r.fill, (int)(id * 37 + seq) & 0xff, sizeof(r.fill));
		for (;;) {
			ssize_t n = write(fd, &r, sizeof(r));
			if (n == REC)
				break;
			if (n < 0 && errno == EAGAIN && !stop_all) {
				sched_yield();
				continue;
			}
			writer_err[id] = n < 0 ? errno : EIO;
			goto out;
		}
	}
out:
	pthread_mutex_lock(&done_lock);
	writer_done++;
	pthread_mutex_unlock(&done_lock);
	return NULL;
}

static void *reader_main(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&done_lock);
		int done = writer_done == WRITERS;
		pthread_mutex_unlock(&done_lock);
		ssize_t n = read(fd, stream + streamed, sizeof(stream) - streamed > 1000 ?
							1000 : sizeof(stream) - streamed);
		if (n < 0) {
			reader_err = errno;
			return NULL;
		}
		streamed += (size_t)n;
		if (n == 0 && (done || stop_all))
			return NULL;
		if (n == 0 || streamed == sizeof(stream))
			sched_yield();
		if (streamed == sizeof(stream))
			return NULL;
	}
}

static void check_concurrent(void)
{
	pthread_t w[WRITERS], rd;
	unsigned int next[WRITERS] = { 0 };
	char why[200] = "";

	clear();
	pthread_create(&rd, NULL, reader_main, NULL);
	for (long i = 0; i < WRITERS; i++)
		pthread_create(&w[i], NULL, writer_main, (void *)i);
	double end = kt_clock() + 5.0;
	for (;;) {
		pthread_mutex_lock(&done_lock);
		int done = writer_done == WRITERS;
		pthread_mutex_unlock(&done_lock);
		if (done || kt_clock() > end)
			break;
		kt_msleep(10);
	}
	if (kt_clock() > end) {
		stop_all = 1;
		snprintf(why, sizeof(why), "the writers did not finish within 5 s; ");
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(w[i], NULL);
	pthread_join(rd, NULL);
	for (int i = 0; i < WRITERS && !why[0]; i++)
		if (writer_err[i])
			snprintf(why, sizeof(why), "writer %d: write(2) failed: %s; ", i,
				 strerror(writer_err[i]));
	if (!why[0] && reader_err)
		snprintf(why, sizeof(why), "read(2) failed: %s; ", strerror(reader_err));
	size_t nrec = streamed / REC;
	for (size_t k = 0; k < nrec && !why[0]; k++) {
		struct record r;

		memcpy(&r, stream + k * REC, REC);
		int intact = r.writer < WRITERS;
		for (size_t j = 0; intact && j < sizeof(r.fill); j++)
			intact = r.fill[j] == ((r.writer * 37 + r.seq) & 0xff);
		if (!intact)
			snprintf(why, sizeof(why), "record %zu of the stream is not a record that was "
				 "written (torn or mixed up); ", k);
		else if (r.seq != next[r.writer])
			snprintf(why, sizeof(why), "record %zu: writer %u's record %u, expected its "
				 "record %u; ", k, r.writer, r.seq, next[r.writer]);
		else
			next[r.writer]++;
	}
	kt_check("concurrent_writers", !why[0] && streamed == WRITERS * RECORDS * REC,
		 "%d threads wrote %d records of %d bytes each while one read: %sread %zu bytes "
		 "(expected %d)", WRITERS, RECORDS, REC, why, streamed, WRITERS * RECORDS * REC);
}

/*
 * Readers, writers and an ioctl process at once: 2 writer threads put records
 * in, 2 reader threads take them out (a whole number of records each time),
 * a process watches the fill level. Every record must come out once, whole.
 */
#define HW 2
#define HREC 3000

struct hstate {
	struct record got[2][HW * HREC]; /* what each reader read, in order */
	int ngot[2];
};

static struct hstate hs;

static int hammer_worker(struct kt_hammer *h, int id)
{
	int *written = h->shared; /* [0..HW): records written; [HW]: writers done */
	char *msg = (char *)h->shared + 64;

	if (id < HW) { /* a writer */
		int seq = 0;
		for (; seq < HREC && !kt_hammer_over(h);) {
			struct record r = { .writer = (unsigned int)id, .seq = (unsigned int)seq };
			memset(r.fill, (id * 37 + seq) & 0xff, sizeof(r.fill));
			ssize_t n = write(fd, &r, sizeof(r));
			if (n == REC) {
				seq++;
				continue;
			}
			if (n < 0 && errno == EAGAIN) {
				sched_yield();
				continue;
			}
			snprintf(msg, 200, "writer %d: write(2) of a record returned %zd (%s)", id, n,
				 n < 0 ? strerror(errno) : "short");
			__atomic_store_n(&written[id], seq, __ATOMIC_SEQ_CST);
			__atomic_fetch_add(&written[HW], 1, __ATOMIC_SEQ_CST);
			return -EIO;
		}
		__atomic_store_n(&written[id], seq, __ATOMIC_SEQ_CST);
		__atomic_fetch_add(&written[HW], 1, __ATOMIC_SEQ_CST);
		return 0;
	}
	if (id < HW + 2) { /* a reader */
		int me = id - HW;
		unsigned int seed = (unsigned int)id;
		for (;;) {
			int done = __atomic_load_n(&written[HW], __ATOMIC_SEQ_CST) == HW;
			int room = HW * HREC - hs.ngot[me];
			int want = 1 + (int)(rand_r(&seed) % 8);
			if (want > room)
				want = room;
			if (want == 0)
				return 0;
			ssize_t n = read(fd, &hs.got[me][hs.ngot[me]], (size_t)want * REC);
			if (n < 0 || n % REC) {
				snprintf(msg, 200, "reader %d: read(2) of %d records returned %zd (%s)",
					 me, want, n, n < 0 ? strerror(errno) : "not whole records");
				return -EIO;
			}
			hs.ngot[me] += (int)(n / REC);
			if (n == 0 && done)
				return 0;
			if (n == 0 && kt_now() > h->ctl->deadline + 1.0)
				return 0; /* what is left is drained afterwards */
			if (n == 0)
				sched_yield();
		}
	}
	/* the ioctl process: the fill level is always whole records, 0 to RING_SIZE */
	while (!kt_hammer_over(h) && __atomic_load_n(&written[HW], __ATOMIC_SEQ_CST) < HW) {
		int f = fill();
		if (f < 0 || f > RING_SIZE || f % REC) {
			snprintf(msg, 200, "RING_GET_FILL said %d while records of %d bytes went in "
				 "and out (expected a multiple of %d from 0 to %d)", f, REC, REC,
				 RING_SIZE);
			return -EIO;
		}
	}
	return 0;
}

static void check_hammer(void)
{
	struct kt_hammer h = { .fn = hammer_worker };
	char why[240] = "";
	static struct record rest[HW * HREC];
	int seen[HW][HREC] = { { 0 } };

	clear();
	memset(&hs, 0, sizeof(hs)); /* touched now: the readers' copies never wait for a page */
	int rc = kt_hammer_run(&h, HW + 2, 1, 1500);
	int *written = h.shared;
	if (rc < 0) {
		snprintf(why, sizeof(why), "%s", rc == -ETIMEDOUT ? "a worker did not return" :
			 (char *)h.shared + 64);
	}
	ssize_t left = drain((char *)rest, sizeof(rest));
	int nrest = left > 0 ? (int)(left / REC) : 0;
	for (int src = 0; src < 3 && !why[0]; src++) {
		struct record *recs = src < 2 ? hs.got[src] : rest;
		int n = src < 2 ? hs.ngot[src] : nrest, last[HW] = { -1, -1 };
		for (int k = 0; k < n && !why[0]; k++) {
			struct record *r = &recs[k];
			int intact = r->writer < HW && r->seq < HREC;
			for (size_t j = 0; intact && j < sizeof(r->fill); j++)
				intact = r->fill[j] == ((r->writer * 37 + r->seq) & 0xff);
			if (!intact)
				snprintf(why, sizeof(why), "%s %d's record %d is not a record that was "
					 "written (torn or mixed up)", src < 2 ? "reader" : "the rest",
					 src, k);
			else if (seen[r->writer][r->seq]++)
				snprintf(why, sizeof(why), "writer %u's record %u came out twice (the "
					 "second time for %s %d)", r->writer, r->seq,
					 src < 2 ? "reader" : "the rest", src);
			else if ((int)r->seq < last[r->writer])
				snprintf(why, sizeof(why), "writer %u's records came out of order",
					 r->writer);
			else
				last[r->writer] = (int)r->seq;
		}
	}
	for (int w = 0; w < HW && !why[0]; w++)
		for (int q = 0; q < written[w] && !why[0]; q++)
			if (!seen[w][q])
				snprintf(why, sizeof(why), "writer %d's record %d (of %d written) never "
					 "came out", w, q, written[w]);
	kt_check("concurrent_readers", !why[0], "2 writer threads, 2 reader threads and an "
		 "ioctl process for 1.5 s (%d and %d records written, %d and %d read, %d left): %s",
		 written ? written[0] : 0, written ? written[1] : 0, hs.ngot[0], hs.ngot[1], nrest,
		 why);
	kt_hammer_release(&h);
	clear();
}

/*
 * Two checks make one call sleep in the middle of its copy: its user page is
 * not there yet and comes late through userfaultfd. Thread A makes the call;
 * once it sleeps, thread B makes another for 300 ms; then A gets its page.
 * With one sleeping lock around the ring, B waits or goes entirely before or
 * after A; with the copy outside the lock, B works on the same bytes as A.
 */
#define CHUNK 1000

struct uf {
	int uffd;
	char *page;		/* A's buffer: registered, not yet there */
	ssize_t (*call)(char *buf);
	ssize_t ret[2];		/* what A's and B's call returned */
	int done[2];
	char b_buf[CHUNK];	/* B's buffer: an ordinary one */
};

static struct uf uf = { .uffd = -1, .page = MAP_FAILED };

static ssize_t uf_write(char *buf)
{
	return write(fd, buf, CHUNK);
}

static ssize_t uf_read(char *buf)
{
	return read(fd, buf, CHUNK);
}

static void *uf_thread(void *arg)
{
	int b = arg != NULL;

	uf.ret[b] = uf.call(b ? uf.b_buf : uf.page);
	__atomic_store_n(&uf.done[b], 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int wait_flag(int *flag, int ms)
{
	for (double end = kt_clock() + ms / 1000.0; kt_clock() < end; kt_msleep(2))
		if (__atomic_load_n(flag, __ATOMIC_SEQ_CST))
			return 1;
	return __atomic_load_n(flag, __ATOMIC_SEQ_CST);
}

/*
 * Runs A and B as above (B's buffer already holds what B writes). Returns 0,
 * or -1 with why filled in when A never touched its page or a call hangs.
 * A's page ends up holding what A read, or 'A' bytes for A to write.
 */
static int uf_race(ssize_t (*call)(char *buf), const char *what, char *why, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	pthread_t t[2];
	int started[2] = { 0, 0 }, ok[2] = { 0, 0 }, faulted = 0, rc = -1;

	uf.call = call;
	uf.ret[0] = uf.ret[1] = -1;
	uf.done[0] = uf.done[1] = 0;
	uf.uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	uf.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)uf.page, .len = 4096 },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	if (uf.uffd < 0 || ioctl(uf.uffd, UFFDIO_API, &api) < 0 || uf.page == MAP_FAILED ||
	    ioctl(uf.uffd, UFFDIO_REGISTER, &reg) < 0) {
		snprintf(why, len, "cannot set up userfaultfd: %s (a klab bug)", strerror(errno));
		goto out;
	}
	started[0] = pthread_create(&t[0], NULL, uf_thread, NULL) == 0;
	struct pollfd p = { .fd = uf.uffd, .events = POLLIN };
	struct uffd_msg msg;
	for (double end = kt_clock() + 2.0; started[0] && !faulted && kt_clock() < end;) {
		if (poll(&p, 1, 20) == 1)
			faulted = read(uf.uffd, &msg, sizeof(msg)) == sizeof(msg) &&
				  msg.event == UFFD_EVENT_PAGEFAULT;
		else if (__atomic_load_n(&uf.done[0], __ATOMIC_SEQ_CST))
			break; /* returned without touching the page */
	}
	if (!faulted) {
		snprintf(why, len, "%s A's call never touched its page (%s)", what,
			 wait_flag(&uf.done[0], 0) ? "it returned without copying" : "it hangs");
	} else {
		/* A sleeps inside its call; let B try for 300 ms */
		started[1] = pthread_create(&t[1], NULL, uf_thread, &uf) == 0;
		wait_flag(&uf.done[1], 300);
	}
	/* give A its page: 4096 bytes of 'A' */
	static char src[4096];
	memset(src, 'A', sizeof(src));
	struct uffdio_copy copy = { .dst = (unsigned long)uf.page, .src = (unsigned long)src,
				    .len = 4096 };
	ioctl(uf.uffd, UFFDIO_COPY, &copy);
	for (int i = 0; i < 2; i++)
		ok[i] = started[i] && wait_flag(&uf.done[i], 2000);
	if (faulted && (!ok[0] || !ok[1]))
		snprintf(why, len, "%s %s did not return within 2 s", what, ok[0] ? "B" : "A");
	else if (faulted)
		rc = 0;
out:
	if (uf.uffd >= 0)
		close(uf.uffd); /* wakes anything still waiting for the page */
	uf.uffd = -1;
	for (int i = 0; i < 2; i++)
		if (ok[i])
			pthread_join(t[i], NULL);
	return rc;
}

static void uf_release(void)
{
	if (uf.page != MAP_FAILED)
		munmap(uf.page, 4096);
	uf.page = MAP_FAILED;
}

/* How many of the n bytes at p are c. */
static int count_of(const char *p, ssize_t n, char c)
{
	int k = 0;

	for (ssize_t i = 0; i < n; i++)
		k += p[i] == c;
	return k;
}

static void check_interleave(void)
{
	char why[200] = "";

	clear();
	memset(uf.b_buf, 'B', sizeof(uf.b_buf));
	if (uf_race(uf_write, "writer", why, sizeof(why)) == 0 &&
	    (uf.ret[0] != CHUNK || uf.ret[1] != CHUNK))
		snprintf(why, sizeof(why), "the writes returned %zd (A) and %zd (B), expected %d",
			 uf.ret[0], uf.ret[1], CHUNK);
	if (!why[0]) {
		static char got[3 * CHUNK], want1[2 * CHUNK], want2[2 * CHUNK];
		ssize_t n = drain(got, sizeof(got));

		memset(want1, 'A', CHUNK);
		memset(want1 + CHUNK, 'B', CHUNK);
		memset(want2, 'B', CHUNK);
		memset(want2 + CHUNK, 'A', CHUNK);
		if (n != 2 * CHUNK || (memcmp(got, want1, n) != 0 && memcmp(got, want2, n) != 0)) {
			int as = count_of(got, n, 'A'), bs = count_of(got, n, 'B');

			snprintf(why, sizeof(why), "read back %zd bytes: %d 'A', %d 'B' and %zd "
				 "others, not 1000 'A' then 1000 'B' or the other way round",
				 n, as, bs, n - as - bs);
		}
	}
	uf_release();
	kt_check("writes_do_not_interleave", !why[0], "writer A sleeps in the middle of copying "
		 "1000 bytes while writer B writes 1000 bytes: %s", why);
}

/*
 * 1000 'x' then 1000 'y' in the ring; reader A sleeps in the middle of
 * copying out 1000 bytes while reader B reads 1000. Each must get one half:
 * A the 'x' and B the 'y', or the other way round (an A that lets go of the
 * lock to fault its page in and starts again may go second).
 */
static void check_read_overlap(void)
{
	char why[200] = "", half[CHUNK];

	clear();
	memset(uf.b_buf, 0, sizeof(uf.b_buf));
	memset(half, 'x', CHUNK);
	ssize_t w1 = write(fd, half, CHUNK);
	memset(half, 'y', CHUNK);
	ssize_t w2 = write(fd, half, CHUNK);
	if (w1 != CHUNK || w2 != CHUNK)
		snprintf(why, sizeof(why), "writing 1000 'x' then 1000 'y' returned %zd and %zd",
			 w1, w2);
	else if (uf_race(uf_read, "reader", why, sizeof(why)) == 0 &&
		 (uf.ret[0] != CHUNK || uf.ret[1] != CHUNK))
		snprintf(why, sizeof(why), "the reads returned %zd (A) and %zd (B), expected %d "
			 "each", uf.ret[0], uf.ret[1], CHUNK);
	if (!why[0]) {
		int ax = count_of(uf.page, CHUNK, 'x'), ay = count_of(uf.page, CHUNK, 'y');
		int bx = count_of(uf.b_buf, CHUNK, 'x'), by = count_of(uf.b_buf, CHUNK, 'y');
		int f = fill();

		if (!((ax == CHUNK && by == CHUNK) || (ay == CHUNK && bx == CHUNK)))
			snprintf(why, sizeof(why), "A got %d 'x' and %d 'y', B got %d 'x' and %d "
				 "'y'%s; then the fill level was %d", ax, ay, bx, by,
				 (ax == CHUNK && bx == CHUNK) || (ay == CHUNK && by == CHUNK) ?
				 ": both read the same bytes" : "", f);
		else if (f != 0)
			snprintf(why, sizeof(why), "both halves came out once, but then the fill "
				 "level was %d, not 0", f);
	}
	uf_release();
	clear();
	kt_check("reads_do_not_overlap", !why[0], "1000 'x' then 1000 'y' in the ring; reader A "
		 "sleeps in the middle of copying out 1000 bytes while reader B reads 1000: %s",
		 why);
}

int main(void)
{
	struct stat st;

	kt_plan(20);
	fd = open(DEV, O_RDWR | O_CLOEXEC);
	int e = errno;
	kt_check("device_node", stat(DEV, &st) == 0 && S_ISCHR(st.st_mode) && fd >= 0,
		 "expected a character device %s that opens for reading and writing: %s", DEV,
		 fd < 0 ? strerror(e) : "not a character device");
	if (fd < 0)
		fd = open("/dev/null", O_RDWR | O_CLOEXEC); /* the checks below then fail */

	check_basics();
	check_faults();
	check_guarded();
	check_concurrent();
	check_interleave();
	check_read_overlap();
	check_hammer();

	close(fd);
	int rc = kt_rmmod("ringdev");
	int gone = stat(DEV, &st) < 0;
	kt_check("clean_unload", rc == 0 && gone, "delete_module(\"ringdev\"): %s; %s %s",
		 rc ? strerror(-rc) : "ok", DEV, gone ? "gone" : "still there");
	return kt_done();
}
