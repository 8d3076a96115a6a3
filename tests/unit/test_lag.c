/*
 * test_lag.c - unit tests of lab/lag.c on this process's own threads: a
 * thread named like a QEMU vCPU ("CPU 0/TCG") that must share one host CPU
 * with a spinning competitor waits for it, and that wait is the lag; one that
 * sleeps waits for nothing; threads not named as vCPUs never count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "lab/lag.h"

struct S_spinner {
	const char *name;
	int spin;          /* 1: burn the CPU, 0: sleep */
	volatile int stop;
	pthread_t thread;
};

static double S_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *S_spin(void *arg)
{
	struct S_spinner *s = arg;
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof(one), &one); /* every spinner on CPU 0: they queue */
	prctl(PR_SET_NAME, s->name);
	while (!s->stop) {
		if (!s->spin)
			usleep(100000);
	}
	return NULL;
}

static void S_start(struct S_spinner *s)
{
	assert_int_equal(pthread_create(&s->thread, NULL, S_spin, s), 0);
}

static void S_stop(struct S_spinner *s)
{
	s->stop = 1;
	pthread_join(s->thread, NULL);
}

/* Waits until the spinners have named themselves. */
static void S_settle(void)
{
	usleep(50000);
}

static void test_busy_vcpu_waits(void **state)
{
	struct S_spinner vcpu = { "CPU 0/TCG", 1, 0, 0 }, rival = { "rival", 1, 0, 0 };
	struct lab_lag l;

	(void)state;
	S_start(&vcpu);
	S_start(&rival);
	S_settle();
	lab_lag_start(&l, getpid());
	assert_int_equal(l.n, 1); /* the vCPU only, not the rival */
	double t0 = S_now();
	while (S_now() - t0 < 0.6)
		usleep(20000);
	double lag = lab_lag_read(&l);
	S_stop(&vcpu);
	S_stop(&rival);
	/* two spinners on one CPU: the vCPU waits about half the time */
	assert_true(lag > 0.1);
	assert_true(lag < 0.7);
	assert_true(lab_lag_read(&l) >= lag); /* never goes back, even with the vCPU gone */
}

static void test_idle_vcpu_does_not_wait(void **state)
{
	struct S_spinner vcpu = { "CPU 1/TCG", 0, 0, 0 };
	struct lab_lag l;

	(void)state;
	S_start(&vcpu);
	S_settle();
	lab_lag_start(&l, getpid());
	assert_int_equal(l.n, 1);
	usleep(300000);
	double lag = lab_lag_read(&l);
	S_stop(&vcpu);
	assert_true(lag < 0.05); /* asleep: a hang still times out */
}

static void test_no_vcpu_no_lag(void **state)
{
	struct lab_lag l;

	(void)state;
	lab_lag_start(&l, getpid());
	assert_int_equal(l.n, 0);
	assert_true(lab_lag_read(&l) == 0);
	lab_lag_start(&l, 0); /* no QEMU: nothing measured */
	assert_true(lab_lag_read(&l) == 0);
	lab_lag_start(&l, 999999999); /* a QEMU gone */
	assert_true(lab_lag_read(&l) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_vcpu_waits),
		cmocka_unit_test(test_idle_vcpu_does_not_wait),
		cmocka_unit_test(test_no_vcpu_no_lag),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
