/*
 * modlog.h - "your module's log": the kernel lines the learner's own module
 * printed (pr_info and up: klab's /init sets the console loglevel to 7 once booted),
 * picked out of the guest console as the run goes.
 *
 * Kept: every kernel record from the first load of a module that is not one
 * of the lab's in-tree modules (the channel's "# klab-step: load:NAME", fed
 * here too; the loop reads the channel before the console), without the
 * printk timestamp; not the lines
 * of the first fault report (shown whole elsewhere) nor the register dump x86
 * repeats after it, nor a few lines of kernel chatter that are never the
 * module's (crng init, clocksource, the out-of-tree taint notice). Later
 * reports, an OOM killer's included, are kept. At most LAB_MODLOG_MAX lines.
 */
#ifndef KLAB_LAB_MODLOG_H
#define KLAB_LAB_MODLOG_H

#include <stddef.h>

#include "core/buf.h"
#include "lab/fault.h"

#define LAB_MODLOG_MAX 2000 /* lines kept (a printk flood is cut) */

struct lab_modlog {
	char *const *in_tree;  /* the lab's in-tree modules (not the learner's), borrowed */
	size_t nin_tree;
	int on;                /* a learner's module has started loading */
	struct kl_buf text;    /* the lines, each ending in '\n' */
	size_t lines, dropped; /* kept, and left out past LAB_MODLOG_MAX */
};

void lab_modlog_init(struct lab_modlog *m, char *const *in_tree, size_t nin_tree);
void lab_modlog_release(struct lab_modlog *m);
/* Empties the log (a run that starts over). */
void lab_modlog_reset(struct lab_modlog *m);
/* One whole console line; f is the fault detector after it saw the same line. */
void lab_modlog_feed(struct lab_modlog *m, const struct lab_fault *f, const char *line,
		     size_t len);

#endif
