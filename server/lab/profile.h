/*
 * profile.h - kernel profiles (kernels/<name>.yaml): which kernel a lab runs on,
 * where its unpacked image and headers are, and how QEMU boots it. A profile is
 * data; scripts/fetch-kernel.sh resolves and unpacks the kernel it names into
 * $KLAB_CACHE/kernels/<name>/<release>/.
 */
#ifndef KLAB_LAB_PROFILE_H
#define KLAB_LAB_PROFILE_H

#include <stddef.h>

#include "core/config.h"
#include "core/err.h"

struct lab_profile {
	char *name, *title;
	char *machine;    /* QEMU machine: microvm, pc */
	char *bios;       /* firmware file name, e.g. qboot.rom (may be NULL) */
	char *cpu;        /* QEMU CPU model and flags */
	char *append;     /* kernel command line */
	long memory_mb;
	long boot_timeout; /* seconds to reach the boot marker */
	long boot_retries; /* boots retried when the marker never came */
	/* Resolved from the cache; NULL when the kernel is not fetched. */
	char *release;    /* 6.1.0-N-cloud-amd64 */
	char *dir;        /* $KLAB_CACHE/kernels/<name>/<release> */
	char *vmlinuz, *system_map, *modules_dir, *headers;
};

/* Reads kernels/<name>.yaml and resolves the cached kernel (which may be missing). */
int lab_profile_load(const struct kl_config *cfg, const char *name, struct lab_profile *p,
		     struct kl_err *err);
void lab_profile_release(struct lab_profile *p);
/*
 * Checks that the kernel, its modules and the matching headers are all there.
 * On failure err says what is missing and the command that fixes it.
 */
int lab_profile_check(const struct lab_profile *p, struct kl_err *err);
/*
 * Paths of the in-tree modules `names` and their dependencies, in load order,
 * from the profile's modules.dep. Free with kl_strv_free.
 */
int lab_profile_modules(const struct lab_profile *p, char *const *names, size_t n,
			char ***paths, size_t *npaths, struct kl_err *err);

#endif
