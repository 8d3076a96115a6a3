/*
 * vm.h - runs a lab VM: qemu-system-x86_64 under TCG in its own process group,
 * killed as a group at the end (and by PR_SET_PDEATHSIG if klab itself dies),
 * so no QEMU is ever left behind. QEMU gets three connections:
 *   console  the serial console (a pipe): the kernel's log, and only that;
 *   channel  a virtio-serial port named klab.0 (a socketpair, `-chardev
 *            socket,fd=3`): everything klab's /init reports, and the run's
 *            files going the other way;
 *   monitor  QMP (a socketpair, fd 4): used to save the VM.
 *
 * A run starts from a snapshot of a VM booted to the point where /init waits
 * for its run (snapshot.h): QEMU restores it with `-incoming`, the host sends
 * the run's header (a new run id, entropy, the clock) and its files, and the
 * guest answers `# klab-run: ID`. Without a snapshot, or when one fails to
 * restore (it is then deleted), the VM boots cold: it must print KLAB-BOOTED
 * on the channel within the profile's boot timeout (or, while the kernel
 * keeps printing on the console, before half of it passes in silence, up to
 * three boot timeouts: a loaded machine boots slowly); a boot that never does
 * is an infrastructure hang (DESIGN.md: TSC calibration under TCG) and is
 * retried, never blamed on the learner; at KLAB-READY the VM is saved (when
 * this run holds the key's lock) and continues.
 *
 * The run ends on the host's terms: when the channel said KLAB-DONE, the
 * console has shown the guest's `klab-sync: ID` (so every kernel message of
 * the run has been read), and the caller's done() is satisfied; or when
 * QEMU exits, the run timeout passes, or the caller's stop() says so. Time
 * the vCPUs spent waiting for a host CPU does not count toward the timeouts,
 * the host's or the guest's (lag.h).
 */
#ifndef KLAB_LAB_VM_H
#define KLAB_LAB_VM_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"
#include "lab/profile.h"
#include "lab/snapshot.h"

#define LAB_VM_MAX_CONSOLE (8u << 20) /* console + channel bytes before a run counts as a flood */
#define LAB_VM_CHANNEL "klab.0"       /* the virtio-serial port's name */

enum lab_vm_end {
	LAB_VM_DONE,        /* the channel said KLAB-DONE and the host was satisfied, or stop() */
	LAB_VM_EXITED,      /* QEMU exited before that (panic with panic=-1, reboot) */
	LAB_VM_TIMEOUT,     /* the run timeout passed */
	LAB_VM_FLOOD,       /* the guest printed more than LAB_VM_MAX_CONSOLE */
	LAB_VM_BOOT_FAILED, /* no boot reached the marker */
	LAB_VM_ERROR,       /* QEMU could not start */
	LAB_VM_ABORTED,     /* the caller's payload() gave up (e.g. the build failed) */
};

struct lab_vm_opts {
	const struct lab_profile *profile;
	const char *initrd;    /* the base initramfs (lab_snapshot_base) */
	const char *cpu;       /* overrides the profile's CPU when not NULL */
	struct lab_snapshot *snap; /* restore from and save to it; NULL: always boot cold */
	double boot_timeout;   /* seconds to the boot marker, or to the restored guest's answer */
	int boot_retries;
	double run_timeout;    /* seconds from the guest's answer to the end */
	const char *console_log; /* raw console copy, may be NULL */
	const char *channel_log; /* raw channel copy (what the guest sent), may be NULL */
	const char *pidfile;   /* where QEMU writes its pid (in the run's folder), may be NULL */
	/* Console lines (the kernel's log) and channel lines (/init's report) of the run. */
	void (*on_console)(void *ctx, const char *line, size_t len);
	void (*on_channel)(void *ctx, const char *line, size_t len);
	/* After each line: non-zero ends the run now (e.g. the kernel has panicked). */
	int (*stop)(void *ctx);
	/* Once the guest said KLAB-DONE: non-zero when the host has all it expects. */
	int (*done)(void *ctx);
	/*
	 * When the guest waits for its run: fills out with the run's records
	 * (pack.h). 0: all of them; 1: those ready now (the guest starts on them),
	 * asked again for more each time wake_fd becomes readable (e.g. when a
	 * build ends); -1 aborts the run.
	 */
	int (*payload)(void *ctx, struct kl_buf *out);
	/*
	 * An earlier end of the run than run_timeout, as a kl_now() time (0: none),
	 * asked again on every wait: after a kernel fault the guest gets a test's
	 * timeout to make progress, not the whole run's. May be NULL.
	 */
	double (*deadline)(void *ctx);
	/* A descriptor that becomes readable when stop() and payload() should be asked again, or -1. */
	int wake_fd;
	void *ctx;
};

struct lab_vm_result {
	enum lab_vm_end end;
	int boots;           /* cold boots started */
	int restored;        /* the run started from a snapshot */
	int saved;           /* this run saved the snapshot */
	int restore_failed;  /* a snapshot did not restore (deleted; the VM booted cold) */
	char run_id[33];     /* the run's id, sent in its header */
	double boot_s;       /* QEMU start to the guest waiting for its run (boot or restore) */
	double save_s;       /* saving the snapshot */
	double wait_s;       /* time payload() blocked */
	double send_s;       /* the guest ready to the last record sent */
	double run_s;        /* the answer, or the last record if later, to the end */
	double lag_s;        /* of the run, the time the vCPUs waited for a host CPU (lag.h) */
	double total_s;      /* everything, retries included */
	size_t console_bytes; /* console and channel */
	struct kl_buf tail;  /* the last console and channel lines (for timeouts) */
	struct kl_buf qemu_stderr; /* what QEMU itself said (bounded) */
	struct kl_buf notes; /* what went wrong with snapshots (for --keep and tests) */
};

void lab_vm_result_release(struct lab_vm_result *r);
/*
 * Builds QEMU's argv for a cold boot (NULL-terminated, caller frees with
 * kl_strv_free(argv, n)); a restore adds `-incoming URI`.
 */
char **lab_vm_argv(const struct lab_vm_opts *o, size_t *n);
/* Runs the VM to its end. -1 only when QEMU could not be started at all. */
int lab_vm_run(const struct lab_vm_opts *o, struct lab_vm_result *r, struct kl_err *err);
const char *lab_vm_end_name(enum lab_vm_end end);

#endif
