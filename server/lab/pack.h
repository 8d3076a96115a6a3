/*
 * pack.h - the pack step. A lab VM starts from a snapshot of a booted VM, so
 * what it boots is the same for every lab and what a run needs travels later:
 *   base    the initramfs (cpio newc, libarchive) of the snapshot: klab's static
 *           /init and, on kernels that have them as modules, the modules that
 *           give /init its results channel (virtio-mmio, virtio console), listed
 *           in load order in /klab/channel;
 *   bundle  the run's files as records on that channel after the restore: the
 *           lab's modules, in-tree modules, programs, guest tests, busybox when
 *           the lab asks, and /klab/plan telling /init what to run.
 * Records (the guest's init.c reads them):
 *	KLAB-FILE PATH MODE SIZE\n  then SIZE bytes (MODE in octal)
 *	KLAB-LINK PATH TARGET\n     a symbolic link
 *	KLAB-END\n                  the last record
 * A guest test built with klab_test.h waits before main() for a go from
 * /init when started early; its plan line then ends in "go" (the packer
 * finds klab_test.h's tag in the binary), so /init may start it while the
 * modules are still built and loaded.
 */
#ifndef KLAB_LAB_PACK_H
#define KLAB_LAB_PACK_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct lab_pack_input {
	const char *busybox;       /* a static busybox, may be NULL */
	char *const *kmods;        /* in-tree modules, in load order */
	size_t nkmods;
	char *const *modules;      /* the lab's .ko files */
	size_t nmodules;
	const char *module_params; /* for the lab's modules, may be NULL */
	char *const *programs;     /* the learner's static programs, put in /klab/bin */
	size_t nprograms;
	char *const *recv;         /* guest paths of files the build adds later */
	size_t nrecv;              /* (modules among them also go in the plan) */
	char *const *tests;        /* guest test binaries */
	size_t ntests;
	long test_timeout;         /* seconds for each test */
	char *const *kprobes;      /* kernel functions the lab declares it probes */
	size_t nkprobes;
};

/* Writes the base initramfs to out (a new file): init, then the channel modules mods. */
int lab_pack_base(const char *init, char *const *mods, size_t nmods, const char *out,
		  struct kl_err *err);
/* Appends the records of everything in in (and the plan) to out, without the end record. */
int lab_pack_bundle(const struct lab_pack_input *in, struct kl_buf *out, struct kl_err *err);
/* Appends one file record with data. */
void lab_pack_data(struct kl_buf *out, const char *path, int mode, const void *data, size_t len);
/* Appends the record of the file at host (0 or -1 with err). */
int lab_pack_file(struct kl_buf *out, const char *path, int mode, const char *host,
		  struct kl_err *err);
/* Appends the end record. */
void lab_pack_end(struct kl_buf *out);

#endif
