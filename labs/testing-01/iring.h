/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iring.h - a ring of ints: a fixed-size FIFO queue over an array the caller
 * owns, the shape of the kernel's kfifo. Not thread-safe: the caller locks.
 */
#ifndef IRING_H
#define IRING_H

#include <linux/types.h>

struct iring {
	int *buf;          /* size slots, owned by the caller */
	unsigned int size; /* capacity, at least 1 */
	unsigned int head; /* the slot the next push writes */
	unsigned int tail; /* the slot the next pop reads */
	unsigned int count; /* values queued */
};

/* Starts an empty ring over buf[0..size-1]; -EINVAL when size is 0 or buf NULL. */
int iring_init(struct iring *r, int *buf, unsigned int size);
/* Queues v; -ENOSPC when the ring is full (v is not queued). */
int iring_push(struct iring *r, int v);
/* Takes the oldest value into *v; -ENODATA when the ring is empty (*v untouched). */
int iring_pop(struct iring *r, int *v);
/* How many values are queued. */
unsigned int iring_count(const struct iring *r);

#endif
