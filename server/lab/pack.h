/*
 * pack.h - the pack step: writes the initramfs (cpio newc, libarchive) that the
 * lab VM boots: klab's static /init, busybox, the in-tree modules the lab names,
 * the lab's modules, its guest tests, and /klab/plan telling /init what to run.
 */
#ifndef KLAB_LAB_PACK_H
#define KLAB_LAB_PACK_H

#include <stddef.h>

#include "core/err.h"

struct lab_pack_input {
	const char *init;          /* the klab-init binary */
	const char *busybox;       /* a static busybox, may be NULL */
	char *const *kmods;        /* in-tree modules, in load order */
	size_t nkmods;
	char *const *modules;      /* the lab's .ko files */
	size_t nmodules;
	const char *module_params; /* for the lab's modules, may be NULL */
	char *const *programs;     /* the learner's static programs, put in /klab/bin */
	size_t nprograms;
	char *const *recv;         /* guest paths of files sent over the console at boot */
	size_t nrecv;              /* (modules among them also go in the plan) */
	char *const *tests;        /* guest test binaries */
	size_t ntests;
	long test_timeout;         /* seconds for each test */
	char *const *kprobes;      /* kernel functions the lab declares it probes */
	size_t nkprobes;
};

/* Writes the initramfs to out (a new file). */
int lab_pack_initramfs(const struct lab_pack_input *in, const char *out, struct kl_err *err);

#endif
