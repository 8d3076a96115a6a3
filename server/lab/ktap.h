/*
 * ktap.h - the lab pipeline's reader of the guest's output: klab's own
 * markers (boot, done, the running step, the guest's clean start, the kernel
 * taint, a step's timeout, tampering, each test program's exit), and every other line to the KTAP tree parser
 * (lab/ktap_tree.h), the same one `klab ktap` uses. Feed it one line at a
 * time as the lines arrive.
 *
 * Markers are read only at column 0 (a test program's output is relayed
 * indented, so it cannot forge them). Kernel messages (a printk timestamp
 * "[    1.234] ...") are never test output in the pipeline; `klab ktap` keeps
 * them (kernel_lines), to read KUnit from a console log.
 *
 * Besides the tree, the reader keeps a flat list of the results in the order
 * their lines came, each with its depth and its parent's name: the top level
 * is the guest init's steps (load:MOD, each test program, unload:MOD), depth 1
 * each test program's checks, deeper levels what a test program nests (KUnit
 * suites and cases). Grading policy is not here: lab/grade.c decides what a
 * result is worth.
 */
#ifndef KLAB_LAB_KTAP_H
#define KLAB_LAB_KTAP_H

#include <stddef.h>

#include "lab/ktap_tree.h"

#define LAB_KTAP_MAX_RESULTS 4096

struct lab_ktap_result {
	char *name;
	char *group;      /* the parent test's name, NULL at top level */
	int depth;        /* 0 top level, 1 a test program's checks, ... */
	int number;       /* the number KTAP gave it */
	enum lab_ktap_status status; /* from the tree: ok, fail, skip or crashed */
	int ok;           /* status is ok or skip */
	int skip;         /* status is skip (directive SKIP): not a pass */
	char *directive;  /* text after '#' on the result line, may be NULL */
	char *diagnostic; /* the '#' lines printed just before it, may be NULL */
	/* a test program's top-level result: what the program itself said and did */
	int sub_plan;     /* the plan 1..N it printed, -1 when none */
	int exit_status;  /* its exit status ("# klab-exit: NAME status=N"), -1 unknown */
	int exit_signal;  /* the signal that killed it ("signal=N"), 0 when none */
};

struct lab_ktap {
	struct lab_ktap_tree tree; /* every KTAP line but the markers */
	int kernel_lines; /* 1: printk lines are read as KTAP too (klab ktap); 0 by default */
	struct lab_ktap_result *results; /* in the order their result lines came */
	size_t n;
	size_t dropped;   /* results past LAB_KTAP_MAX_RESULTS */
	int version_seen; /* the first version line came */
	int plan;         /* top-level plan 1..N, -1 when none */
	int booted;       /* saw KLAB-BOOTED */
	int done;         /* saw KLAB-DONE */
	char *step;       /* the step running ("# klab-step:"), may be NULL */
	char *timeout_step; /* the first step the guest timed out ("# klab-timeout:") */
	char *boot_id;    /* the guest kernel's boot id ("# klab-clean:") */
	int clean;        /* 1 when the guest started with no module loaded and an empty /tmp */
	long taint;       /* last reported kernel taint */
	int taint_seen;
	char *taint_step; /* the step after which the taint changed */
	char *tamper;     /* "# klab-tamper:" lines (STEP: WHAT), '\n'-separated, or NULL */
	char *exit_name;  /* the last "# klab-exit:" marker, for the next top-level result */
	int exit_status, exit_signal;
};

void lab_ktap_init(struct lab_ktap *k);
void lab_ktap_release(struct lab_ktap *k);
/* One line, with or without its newline. */
void lab_ktap_feed(struct lab_ktap *k, const char *line, size_t len);
/* Feeds a whole text, split at newlines; a last line without one counts. */
void lab_ktap_feed_text(struct lab_ktap *k, const char *text, size_t len);
/* The end of the output: what is still open is crashed (see lab_ktap_tree_finish). */
void lab_ktap_finish(struct lab_ktap *k);

#endif
