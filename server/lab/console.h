/*
 * console.h - telling the kernel's lines from the guest programs' lines on the
 * one serial console they share. The kernel writes a printk record in one go,
 * even in the middle of a line a program is still writing:
 *
 *	    ok 9 rej[    1.530000] hello: count=0 is out of range 1..10
 *	ects_count_0
 *
 * lab_console_kernel_at() finds such a record so the caller can hand it on as
 * its own line and join the program's two pieces ("    ok 9 rejects_count_0").
 */
#ifndef KLAB_LAB_CONSOLE_H
#define KLAB_LAB_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* True when the line is a kernel record: it starts with a printk timestamp "[ 1.234]". */
bool lab_console_is_kernel(const char *line, size_t len);
/*
 * The offset of a kernel record that starts after some program text in the
 * line, or 0 when the line is all one writer's.
 */
size_t lab_console_kernel_at(const char *line, size_t len);

/* Rejoins the program lines that kernel records were written into. */
struct lab_console {
	struct kl_buf held;   /* a program's text before a kernel record, waiting for the rest */
	struct kl_buf joined; /* the program's line put back together */
};

typedef void (*lab_console_fn)(void *ctx, const char *line, size_t len);

void lab_console_init(struct lab_console *c);
void lab_console_release(struct lab_console *c);
/*
 * Takes one raw console line (no newline) and calls fn with each whole line
 * it holds, in order: a kernel record cut into a program's line is given on
 * its own, and the program's line once its rest arrives.
 */
void lab_console_feed(struct lab_console *c, const char *line, size_t len, lab_console_fn fn,
		      void *ctx);

#endif
