/*
 * profile.h - kernel profiles (kernels/<name>.yaml): which kernel a lab runs on,
 * where its kernel image and headers are, and how QEMU boots it. A profile is
 * data, of one of two sources:
 *   debian  Debian's prebuilt image: scripts/fetch-kernel.sh resolves and unpacks
 *           it into $KLAB_CACHE/kernels/<name>/<release>/; its headers are the
 *           linux-headers package in /usr/src;
 *   build   built by klab: scripts/build-kernel.sh builds Debian's linux-source with
 *           the profile's config fragment into $KLAB_CACHE/kernels/<name>/<key>/,
 *           whose object tree build/ serves as the headers.
 * $KLAB_CACHE/kernels/<name>/current names the folder once it is complete.
 */
#ifndef KLAB_LAB_PROFILE_H
#define KLAB_LAB_PROFILE_H

#include <stddef.h>

#include "core/config.h"
#include "core/err.h"

/* The profile `klab run` and `klab doctor` use when none is named. */
#define LAB_PROFILE_DEFAULT "debug"

struct lab_profile {
	char *name, *title;
	char *machine;    /* QEMU machine: microvm, pc */
	char *bios;       /* firmware file name, e.g. qboot.rom (may be NULL) */
	char *cpu;        /* QEMU CPU model and flags */
	char *append;     /* kernel command line */
	int built;        /* source: build (klab builds it) rather than a Debian image */
	long smp;         /* vCPUs */
	long memory_mb;
	long boot_timeout; /* seconds to reach the boot marker */
	long boot_retries; /* boots retried when the marker never came */
	/* Resolved from the cache; NULL when the kernel is not fetched. */
	char *release;    /* uname -r: 6.1.0-N-cloud-amd64, 6.1.192-klab-debug */
	char *dir;        /* $KLAB_CACHE/kernels/<name>/<current> */
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
/* The command that fetches or builds the profile's kernel (scripts/..., caller frees). */
char *lab_profile_setup_command(const struct kl_config *cfg, const struct lab_profile *p);
/*
 * Builds a `source: build` kernel that is missing (the first run on a machine),
 * showing the build script's progress on the caller's stderr, then loads the
 * profile again. 0 when the kernel is ready, -1 with err.
 */
int lab_profile_ensure_built(const struct kl_config *cfg, struct lab_profile *p,
			     struct kl_err *err);
/*
 * Paths of the in-tree modules `names` and their dependencies, in load order,
 * from the profile's modules.dep. Free with kl_strv_free.
 */
int lab_profile_modules(const struct lab_profile *p, char *const *names, size_t n,
			char ***paths, size_t *npaths, struct kl_err *err);

/*
 * The modules klab's /init loads to open its results channel (vm.h): none when
 * the kernel has virtio-mmio and the virtio console built in, else those and
 * their dependencies, in load order, as the kernel's config says. Free with
 * kl_strv_free. -1 when the kernel has no virtio console at all.
 */
int lab_profile_channel_modules(const struct lab_profile *p, char ***paths, size_t *npaths,
				struct kl_err *err);

#endif
