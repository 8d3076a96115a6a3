// SPDX-License-Identifier: GPL-2.0
/*
 * iring_kunit.c - KUnit tests of the ring of ints (iring.h): the reference
 * solution of lab testing-01.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "iring.h"

#define IRING_SLOTS 4

static void iring_test_init(struct kunit *test)
{
	int buf[IRING_SLOTS];
	struct iring r;

	KUNIT_ASSERT_EQ(test, iring_init(&r, buf, IRING_SLOTS), 0);
	KUNIT_EXPECT_EQ(test, iring_count(&r), 0U);
	KUNIT_EXPECT_EQ(test, iring_init(&r, NULL, IRING_SLOTS), -EINVAL);
	KUNIT_EXPECT_EQ(test, iring_init(&r, buf, 0), -EINVAL);
}

static void iring_test_fifo(struct kunit *test)
{
	int buf[IRING_SLOTS], v;
	struct iring r;

	KUNIT_ASSERT_EQ(test, iring_init(&r, buf, IRING_SLOTS), 0);
	for (int i = 1; i <= 3; i++) {
		KUNIT_EXPECT_EQ(test, iring_push(&r, i), 0);
		KUNIT_EXPECT_EQ(test, iring_count(&r), (unsigned int)i);
	}
	for (int i = 1; i <= 3; i++) {
		KUNIT_ASSERT_EQ(test, iring_pop(&r, &v), 0);
		KUNIT_EXPECT_EQ(test, v, i);
		KUNIT_EXPECT_EQ(test, iring_count(&r), (unsigned int)(3 - i));
	}
}

static void iring_test_full(struct kunit *test)
{
	int buf[IRING_SLOTS], v;
	struct iring r;

	KUNIT_ASSERT_EQ(test, iring_init(&r, buf, IRING_SLOTS), 0);
	for (int i = 0; i < IRING_SLOTS; i++)
		KUNIT_EXPECT_EQ(test, iring_push(&r, 10 + i), 0);
	KUNIT_EXPECT_EQ(test, iring_count(&r), (unsigned int)IRING_SLOTS);
	KUNIT_EXPECT_EQ(test, iring_push(&r, 99), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iring_count(&r), (unsigned int)IRING_SLOTS);
	/* the refused value was not queued: the oldest comes out first */
	KUNIT_ASSERT_EQ(test, iring_pop(&r, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 10);
}

static void iring_test_empty(struct kunit *test)
{
	int buf[IRING_SLOTS], v = 42;
	struct iring r;

	KUNIT_ASSERT_EQ(test, iring_init(&r, buf, IRING_SLOTS), 0);
	KUNIT_EXPECT_EQ(test, iring_pop(&r, &v), -ENODATA);
	KUNIT_EXPECT_EQ(test, v, 42);
	KUNIT_EXPECT_EQ(test, iring_push(&r, 7), 0);
	KUNIT_EXPECT_EQ(test, iring_pop(&r, &v), 0);
	KUNIT_EXPECT_EQ(test, v, 7);
	v = 42;
	KUNIT_EXPECT_EQ(test, iring_pop(&r, &v), -ENODATA);
	KUNIT_EXPECT_EQ(test, v, 42);
	KUNIT_EXPECT_EQ(test, iring_count(&r), 0U);
}

static void iring_test_wrap(struct kunit *test)
{
	int buf[IRING_SLOTS], v;
	struct iring r;

	KUNIT_ASSERT_EQ(test, iring_init(&r, buf, IRING_SLOTS), 0);
	/* one value at a time, three laps around the array */
	for (int i = 0; i < 3 * IRING_SLOTS; i++) {
		KUNIT_EXPECT_EQ(test, iring_push(&r, i), 0);
		KUNIT_ASSERT_EQ(test, iring_pop(&r, &v), 0);
		KUNIT_EXPECT_EQ(test, v, i);
	}
	/* a full ring whose values straddle the end of the array */
	for (int i = 0; i < IRING_SLOTS; i++)
		KUNIT_EXPECT_EQ(test, iring_push(&r, 100 + i), 0);
	KUNIT_EXPECT_EQ(test, iring_count(&r), (unsigned int)IRING_SLOTS);
	for (int i = 0; i < IRING_SLOTS; i++) {
		KUNIT_ASSERT_EQ(test, iring_pop(&r, &v), 0);
		KUNIT_EXPECT_EQ(test, v, 100 + i);
	}
}

static struct kunit_case iring_cases[] = {
	KUNIT_CASE(iring_test_init),
	KUNIT_CASE(iring_test_fifo),
	KUNIT_CASE(iring_test_full),
	KUNIT_CASE(iring_test_empty),
	KUNIT_CASE(iring_test_wrap),
	{}
};

static struct kunit_suite iring_suite = {
	.name = "iring",
	.test_cases = iring_cases,
};
kunit_test_suite(iring_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests of the ring of ints");
