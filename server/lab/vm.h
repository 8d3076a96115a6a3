/*
 * vm.h - boots a lab VM: qemu-system-x86_64 under TCG with the serial console on
 * a pipe, in its own process group, killed as a group at the end (and by
 * PR_SET_PDEATHSIG if klab itself dies), so no QEMU is ever left behind.
 *
 * A boot must print the marker KLAB-BOOTED within the profile's boot timeout;
 * a boot that never does is an infrastructure hang (DESIGN.md: TSC calibration
 * under TCG) and is retried, never blamed on the learner. Only the lines after
 * the marker reach the caller's callback; the run ends at KLAB-DONE, when QEMU
 * exits, or at the run timeout.
 */
#ifndef KLAB_LAB_VM_H
#define KLAB_LAB_VM_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "lab/profile.h"

#define LAB_VM_MAX_CONSOLE (8u << 20) /* console bytes before a run counts as a flood */

enum lab_vm_end {
	LAB_VM_DONE,        /* the guest printed KLAB-DONE, or the caller's stop() said so */
	LAB_VM_EXITED,      /* QEMU exited before that (panic with panic=-1, poweroff) */
	LAB_VM_TIMEOUT,     /* the run timeout passed */
	LAB_VM_FLOOD,       /* the guest printed more than LAB_VM_MAX_CONSOLE */
	LAB_VM_BOOT_FAILED, /* no boot reached the marker */
	LAB_VM_ERROR,       /* QEMU could not start */
	LAB_VM_ABORTED,     /* the caller's payload() gave up (e.g. the build failed) */
};

struct lab_vm_opts {
	const struct lab_profile *profile;
	const char *initrd;
	const char *cpu;       /* overrides the profile's CPU when not NULL */
	double boot_timeout;   /* seconds to the boot marker */
	int boot_retries;
	double run_timeout;    /* seconds from the marker to the end */
	const char *console_log; /* raw console copy, may be NULL */
	void (*on_line)(void *ctx, const char *line, size_t len);
	/* After each line: non-zero ends the run now (e.g. the kernel has panicked). */
	int (*stop)(void *ctx);
	/*
	 * When the guest prints KLAB-READY: fills out with what to send to the
	 * guest's console (may block, e.g. until a build ends). -1 aborts the run.
	 * NULL: the guest's console input stays empty.
	 */
	int (*payload)(void *ctx, struct kl_buf *out);
	/*
	 * An earlier end of the run than run_timeout, as a kl_now() time (0: none),
	 * asked again on every wait: after a kernel fault the guest gets a test's
	 * timeout to make progress, not the whole run's. May be NULL.
	 */
	double (*deadline)(void *ctx);
	/* A descriptor that becomes readable when stop() should be asked again, or -1. */
	int wake_fd;
	void *ctx;
};

struct lab_vm_result {
	enum lab_vm_end end;
	int boots;           /* boots started */
	double boot_s;       /* start of the good boot to its marker */
	double wait_s;       /* time payload() blocked */
	double send_s;       /* KLAB-READY to the whole payload written */
	double run_s;        /* marker to the end */
	double total_s;      /* everything, retries included */
	size_t console_bytes;
	struct kl_buf tail;  /* the last console lines (for timeouts) */
	struct kl_buf qemu_stderr; /* what QEMU itself said (bounded) */
};

void lab_vm_result_release(struct lab_vm_result *r);
/* Builds QEMU's argv (NULL-terminated, caller frees with kl_strv_free(argv, n)). */
char **lab_vm_argv(const struct lab_vm_opts *o, size_t *n);
/* Runs the VM to its end. -1 only when QEMU could not be started at all. */
int lab_vm_run(const struct lab_vm_opts *o, struct lab_vm_result *r, struct kl_err *err);
const char *lab_vm_end_name(enum lab_vm_end end);

#endif
