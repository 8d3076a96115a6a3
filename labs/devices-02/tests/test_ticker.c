/*
 * test_ticker.c - guest tests of lab devices-02. /init loaded ticker.ko with
 * period_ms=20; this program measures the tick rate from /proc/klab_ticker,
 * unloads the module and reloads it with other parameters: another period, bad
 * periods, and a work item slower than the timer, unloaded while it is busy.
 * The VM is emulated (TCG) and shares a busy host: the rates have wide margins.
 */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "klab_test.h"

#define KO "/klab/modules/ticker.ko"
#define TICKS "/proc/klab_ticker"
#define FAULT_TAINT ((1L << 5) | (1L << 7) | (1L << 9) | (1L << 14)) /* B, D, W, L */

/* The tick count, or -1. */
static long ticks(void)
{
	char buf[64], *end;
	int n = kt_read_file(TICKS, buf, sizeof(buf));

	if (n <= 0)
		return -1;
	long v = strtol(buf, &end, 10);
	return *end == '\0' && v >= 0 ? v : -1;
}

/*
 * The tick rate over about ms milliseconds, as a range: ticks over the time
 * that passed (low: the VM may have waited for a CPU of a loaded host
 * meanwhile, ticking less), and over that time less the lag (high: the lag
 * is the most any vCPU waited, and the timer may have run on the other).
 * The true rate lies between; it passes when the range meets the expected
 * one. On a quiet host both are the same. -1 if the count cannot be read.
 */
struct rate {
	double low, high;
	long ticks;
};

static int rate(int ms, struct rate *r)
{
	long t0 = ticks();
	double s0 = kt_now(), l0 = kt_lag();

	kt_msleep(ms);
	long t1 = ticks();
	double took = kt_now() - s0, ran = took - (kt_lag() - l0);

	r->ticks = t1 - t0;
	if (t0 < 0 || t1 < 0)
		return -1;
	r->low = r->ticks / took;
	r->high = r->ticks / (ran > 0.1 ? ran : 0.1);
	return 0;
}

/* The rate meets [lo, hi]. */
static int rate_in(const struct rate *r, double lo, double hi)
{
	return r->high >= lo && r->low <= hi;
}

static long fault_taint(void)
{
	char buf[32];

	if (kt_read_file("/proc/sys/kernel/tainted", buf, sizeof(buf)) < 0)
		return 0;
	return strtol(buf, NULL, 10) & FAULT_TAINT;
}

/* Unloads ticker in a child with a deadline: 0, -errno or -ETIMEDOUT. */
static int unload(int ms)
{
	return kt_rmmod_within("ticker", ms);
}

static const char *err_name(int rc)
{
	return rc == 0 ? "ok" : rc == -ETIMEDOUT ? "did not return within 5 s" : strerror(-rc);
}

/* Unloads, waits a few periods, and checks that the module is gone without a fault. */
static void check_unload(const char *name, const char *when)
{
	long before = fault_taint();
	int rc = unload(5000);
	struct stat st;
	int gone = stat(TICKS, &st) < 0;

	kt_msleep(300); /* a timer or work item left behind would run (and crash) by now */
	long after = fault_taint();
	kt_check(name, rc == 0 && gone && after == before,
		 "unloading %s: %s; %s %s; %s", when, err_name(rc), TICKS,
		 gone ? "gone" : "still there",
		 after != before ? "then the kernel reported a fault (see the kernel report)"
				 : "no fault after 300 ms");
}

static int load(const char *params)
{
	int rc = kt_insmod(KO, params);

	if (rc == -EEXIST) { /* still loaded after a failed unload */
		kt_rmmod("ticker");
		rc = kt_insmod(KO, params);
	}
	return rc;
}

int main(void)
{
	struct stat st;
	char buf[64] = "";
	struct rate r;

	kt_plan(11);

	int srt = stat(TICKS, &st);
	long t = ticks();
	kt_check("ticker_file", srt == 0 && (st.st_mode & 0777) == 0444 && t >= 0,
		 "expected %s with mode 0444 holding a number, got %s",
		 TICKS, srt < 0 ? strerror(errno) : t < 0 ? "something else" : "another mode");

	int prc = kt_read_file("/sys/module/ticker/parameters/period_ms", buf, sizeof(buf));
	kt_check("period_param", prc >= 0 && strcmp(buf, "20") == 0,
		 "/sys/module/ticker/parameters/period_ms: expected \"20\", got %s%s%s",
		 prc < 0 ? strerror(-prc) : "\"", prc < 0 ? "" : buf, prc < 0 ? "" : "\"");

	long t0 = ticks();
	kt_msleep(300);
	long t1 = ticks();
	kt_check("ticks_advance", t0 >= 0 && t1 > t0,
		 "with period_ms=20, the count should grow in 300 ms: it went from %ld to %ld",
		 t0, t1);

	int rok = rate(1000, &r) == 0;
	kt_check("tick_rate", rok && rate_in(&r, 25, 75),
		 "with period_ms=20, expected about 50 ticks a second (25 to 75 pass), got %.1f "
		 "to %.1f (%ld ticks)", r.low, r.high, r.ticks);

	check_unload("clean_unload", "the module (period_ms=20)");

	/* another period */
	int rc = load("period_ms=50");
	if (rc < 0) {
		kt_check("rate_follows_param", 0, "loading with period_ms=50 failed: %s",
			 strerror(-rc));
	} else {
		kt_msleep(100);
		rok = rate(1000, &r) == 0;
		kt_check("rate_follows_param", rok && rate_in(&r, 10, 30),
			 "with period_ms=50, expected about 20 ticks a second (10 to 30 pass), got "
			 "%.1f to %.1f (%ld ticks)", r.low, r.high, r.ticks);
		unload(5000);
	}

	/* bad periods */
	int r0 = load("period_ms=0");
	if (r0 == 0)
		unload(5000);
	int r1 = load("period_ms=20000");
	if (r1 == 0)
		unload(5000);
	kt_check("rejects_bad_period", r0 == -EINVAL && r1 == -EINVAL,
		 "loading with period_ms=0 and period_ms=20000: expected %s for both, got %s and %s",
		 strerror(EINVAL), r0 ? strerror(-r0) : "success", r1 ? strerror(-r1) : "success");

	/* work_ms has a bound too, and the bounds themselves are fine */
	int w0 = load("work_ms=1001");
	if (w0 == 0)
		unload(5000);
	kt_check("rejects_bad_work", w0 == -EINVAL,
		 "loading with work_ms=1001: expected %s, got %s", strerror(EINVAL),
		 w0 ? strerror(-w0) : "success");
	long before = fault_taint();
	int l1 = load("period_ms=10000 work_ms=1000"), u1 = l1 == 0 ? unload(5000) : 0;
	int l2 = load("period_ms=1"), u2 = 0;
	if (l2 == 0) {
		kt_msleep(50);
		u2 = unload(5000);
	}
	kt_check("accepts_limits", l1 == 0 && u1 == 0 && l2 == 0 && u2 == 0 && fault_taint() == before,
		 "loading with period_ms=10000 work_ms=1000: %s, unloading: %s; with period_ms=1: "
		 "%s, unloading after 50 ms: %s (all should work)", err_name(l1), err_name(u1),
		 err_name(l2), err_name(u2));

	/* a work item slower than the timer */
	rc = load("period_ms=10 work_ms=30");
	if (rc < 0) {
		kt_check("busy_rate", 0, "loading with period_ms=10 work_ms=30 failed: %s",
			 strerror(-rc));
		kt_check("unload_while_busy", 0, "not checked: the module did not load");
	} else {
		kt_msleep(100);
		rok = rate(600, &r) == 0;
		kt_check("busy_rate", rok && rate_in(&r, 8, 50),
			 "with period_ms=10 and work_ms=30, the timer fires 100 times a second but "
			 "each work item sleeps 30 ms, and a work item that is already queued is "
			 "not queued twice: expected 8 to 50 ticks a second, got %.1f to %.1f (%ld "
			 "ticks)", r.low, r.high, r.ticks);
		/*
		 * Unloading must wait for the work item: one that sleeps 1 s is surely
		 * running when the module's code is freed (a 30 ms one may end first).
		 */
		unload(5000);
		rc = load("period_ms=10 work_ms=1000");
		kt_msleep(100);
		if (rc < 0)
			kt_check("unload_while_busy", 0, "loading with period_ms=10 work_ms=1000 "
				 "failed: %s", strerror(-rc));
		else
			check_unload("unload_while_busy", "while a work item sleeps 1 s");
	}
	return kt_done();
}
