/*
 * finding.h - what a decoded kernel fault means, in words: the kind of bug
 * ("use-after-free", "memory leak", "possible deadlock (lock order)",
 * "sleeping in atomic context", ...) and one line that says where and how,
 * with the learner's file:line of each stack that matters:
 *
 *	memory leak: 16384 bytes allocated at mmapbuf.c:41 never freed
 *	use-after-free: 8-byte read at stash.c:100 of memory freed at stash.c:88
 *	sleeping in atomic context: kmalloc() at hello.c:14 may sleep, while holding
 *	    spinlock lock_a taken at hello.c:13
 */
#ifndef KLAB_LAB_FINDING_H
#define KLAB_LAB_FINDING_H

#include "lab/fault.h"

/*
 * Sets f->finding and f->summary from a fault that lab_fault_decode() has
 * placed (or not: then the summary names no line). Nothing for no fault.
 */
void lab_finding_describe(struct lab_fault *f);

#endif
