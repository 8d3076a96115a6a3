// SPDX-License-Identifier: GPL-2.0
/*
 * iring_kunit.c - KUnit tests of the ring of ints (iring.h).
 *
 * Write test cases that pass against the real library (iring.c) and fail
 * against a ring with a bug. The grader builds this file into five modules:
 * with iring.c, and with four copies of the library that each have one
 * planted bug. Each TODO below says what a case should pin down.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "iring.h"

#define IRING_SLOTS 4

/* iring_init() takes a buffer and its size, and refuses a bad one. */
static void iring_test_init(struct kunit *test)
{
	int buf[IRING_SLOTS];
	struct iring r;

	KUNIT_ASSERT_EQ(test, iring_init(&r, buf, IRING_SLOTS), 0);
	KUNIT_EXPECT_EQ(test, iring_count(&r), 0U);
	/* TODO: a NULL buffer and a size of 0 give -EINVAL */
}

/* Values come out in the order they went in. */
static void iring_test_fifo(struct kunit *test)
{
	int buf[IRING_SLOTS];
	struct iring r;

	KUNIT_ASSERT_EQ(test, iring_init(&r, buf, IRING_SLOTS), 0);
	/* TODO: push 1, 2, 3; pop them back: 1, 2, 3, and the count on the way */
}

/* A ring holds exactly size values. */
static void iring_test_full(struct kunit *test)
{
	int buf[IRING_SLOTS];
	struct iring r;

	KUNIT_ASSERT_EQ(test, iring_init(&r, buf, IRING_SLOTS), 0);
	/* TODO: fill it; the next push gives -ENOSPC; what does iring_count() say? */
}

/* An empty ring has nothing to give. */
static void iring_test_empty(struct kunit *test)
{
	int buf[IRING_SLOTS];
	struct iring r;

	KUNIT_ASSERT_EQ(test, iring_init(&r, buf, IRING_SLOTS), 0);
	/* TODO: iring_pop() on an empty ring: its return value, and *v */
}

/* Past the end of the array, the ring goes on from slot 0. */
static void iring_test_wrap(struct kunit *test)
{
	int buf[IRING_SLOTS];
	struct iring r;

	KUNIT_ASSERT_EQ(test, iring_init(&r, buf, IRING_SLOTS), 0);
	/* TODO: push and pop more values than the ring has slots */
}

static struct kunit_case iring_cases[] = {
	KUNIT_CASE(iring_test_init),
	KUNIT_CASE(iring_test_fifo),
	KUNIT_CASE(iring_test_full),
	KUNIT_CASE(iring_test_empty),
	KUNIT_CASE(iring_test_wrap),
	{}
};

/* The grader reads the results of the suite named "iring": keep the name. */
static struct kunit_suite iring_suite = {
	.name = "iring",
	.test_cases = iring_cases,
};
kunit_test_suite(iring_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of the ring of ints");
