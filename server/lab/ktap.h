/*
 * ktap.h - a streaming KTAP parser (Documentation/dev-tools/ktap.rst) for the
 * guest console. Feed it the console one line at a time; it keeps the results
 * of the top level (the guest init's steps: load:MOD, each test program,
 * unload:MOD) and of one nested level (each test program's checks), the
 * diagnostics printed before each result, and klab's own markers (boot, done,
 * the running step, the kernel taint, tampering, each test program's exit).
 *
 * Kernel messages carry a printk timestamp ("[    1.234] ...") and are never
 * taken for KTAP; any other noise between KTAP lines is ignored, as the
 * kernel's own kunit_parser.py does. Memory is bounded whatever the guest prints.
 */
#ifndef KLAB_LAB_KTAP_H
#define KLAB_LAB_KTAP_H

#include <stddef.h>

#include "core/buf.h"

#define LAB_KTAP_MAX_RESULTS 4096
#define LAB_KTAP_MAX_DIAG 2048

struct lab_ktap_result {
	char *name;
	char *group;      /* the test program for a nested result, NULL at top level */
	int depth;        /* 0 top level, 1 nested */
	int number;       /* the number KTAP gave it */
	int ok;           /* "ok" (1) or "not ok" (0) */
	int skip;         /* directive SKIP: not a pass */
	char *directive;  /* text after '#' on the result line, may be NULL */
	char *diagnostic; /* the '#' lines printed just before it, may be NULL */
	/* a test program's top-level result: what the program itself said and did */
	int sub_plan;     /* the plan 1..N it printed, -1 when none */
	int exit_status;  /* its exit status ("# klab-exit: NAME status=N"), -1 unknown */
	int exit_signal;  /* the signal that killed it ("signal=N"), 0 when none */
};

struct lab_ktap {
	struct lab_ktap_result *results;
	size_t n;
	size_t dropped;   /* results past LAB_KTAP_MAX_RESULTS */
	int version_seen; /* a top-level "KTAP version" line */
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
	char *subtest;    /* current nested test program */
	int sub_plan;     /* its plan, -1 when none yet */
	char *exit_name;  /* the last "# klab-exit:" marker, for the next top-level result */
	int exit_status, exit_signal;
	struct kl_buf diag[2]; /* diagnostics waiting for their result, per depth */
};

void lab_ktap_init(struct lab_ktap *k);
void lab_ktap_release(struct lab_ktap *k);
/* One console line, without its newline. */
void lab_ktap_feed(struct lab_ktap *k, const char *line, size_t len);
/* Feeds a whole text, split at newlines (for tests and replays). */
void lab_ktap_feed_text(struct lab_ktap *k, const char *text, size_t len);

#endif
