// SPDX-License-Identifier: GPL-2.0
/*
 * iring_mutant.c - the grader's copies of iring.c, each with one planted bug
 * (IRING_MUTANT 1 to 4), built into the modules iring_test_m1 .. m4 together
 * with your tests. Good tests fail against every one of them. Reading this
 * file before you write your tests spoils the lab: each bug is a mistake a
 * real ring buffer has had.
 */
#include <linux/errno.h>

#include "iring.h"

#ifndef IRING_MUTANT
#error "build this file through iring_test_mN.c"
#endif

int iring_init(struct iring *r, int *buf, unsigned int size)
{
	if (!buf || size == 0)
		return -EINVAL;
	r->buf = buf;
	r->size = size;
	r->head = 0;
	r->tail = 0;
	r->count = 0;
	return 0;
}

int iring_push(struct iring *r, int v)
{
#if IRING_MUTANT == 1
	if (r->count + 1 >= r->size) /* full one slot early */
#else
	if (r->count == r->size)
#endif
		return -ENOSPC;
	r->buf[r->head] = v;
	r->head = (r->head + 1) % r->size;
	r->count++;
	return 0;
}

int iring_pop(struct iring *r, int *v)
{
#if IRING_MUTANT == 2
	if (r->count == 0) { /* an empty ring "succeeds" with 0 */
		*v = 0;
		return 0;
	}
#else
	if (r->count == 0)
		return -ENODATA;
#endif
	*v = r->buf[r->tail];
#if IRING_MUTANT == 3
	if (++r->tail >= r->size) /* wraps to slot 1, not 0 */
		r->tail = r->size > 1 ? 1 : 0;
#else
	r->tail = (r->tail + 1) % r->size;
#endif
	r->count--;
	return 0;
}

unsigned int iring_count(const struct iring *r)
{
#if IRING_MUTANT == 4
	return (r->head - r->tail) % r->size; /* 0 when the ring is full */
#else
	return r->count;
#endif
}
