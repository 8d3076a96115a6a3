/*
 * tamper.h - the guest /init's watch for tampering: changes a lab's kernel code
 * can make to how results reach the host, or to what the learner sees of them.
 * /init takes a baseline before any lab module loads, then checks after each
 * step and prints what changed as marker lines the host turns into a `fault`:
 *
 *	# klab-tamper: load:sigsend: a kprobe on vfs_write
 *
 * Seen: kprobes and kretprobes (/sys/kernel/debug/kprobes/list) and ftrace hooks
 * (.../tracing/enabled_functions, where the kernel has ftrace) on the output
 * path (VFS read/write, pipes, tty and serial, printk and consoles, exit and
 * wait), unless the lab declares them (`kprobe SYMBOL` lines in /klab/plan);
 * printk timestamps or ignore_loglevel switched, the console loglevel lowered,
 * the set of consoles changed; and kernel log records that imitate klab's own
 * markers (KLAB-DONE, # klab-...). Ring-0 code can always hide from this; it
 * is there so that casual forgeries are caught and named.
 *
 * Standalone C (libc only), like init.c; `root` prefixes every path so the host
 * unit tests can run it on a fake /sys and /proc.
 */
#ifndef KLAB_GUEST_TAMPER_H
#define KLAB_GUEST_TAMPER_H

#define KLAB_TAMPER_TEXT 8192
#define KLAB_TAMPER_FILES 7 /* the /proc, /sys and debugfs files a check reads */

typedef void (*klab_tamper_emit_fn)(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

struct klab_tamper {
	const char *root;            /* "" in the guest; a fake tree in tests */
	klab_tamper_emit_fn emit;    /* prints one line (the marker) */
	char kprobes[KLAB_TAMPER_TEXT]; /* the kprobe list at the baseline */
	char ftrace[KLAB_TAMPER_TEXT];  /* enabled_functions at the baseline */
	int has_ftrace;              /* the kernel has ftrace (tracefs was there) */
	char consoles[1024];         /* /proc/consoles at the baseline */
	char time[8];                /* printk.time at the baseline */
	char ignore_loglevel[8];     /* printk.ignore_loglevel at the baseline */
	int loglevel;                /* console loglevel at the baseline, -1 unknown */
	int kmsg_fd;                 /* /dev/kmsg, read on from the baseline, or -1 */
	int fds[KLAB_TAMPER_FILES];  /* opened at the baseline (-1: not there): a check
					re-reads each with pread() at 0, no path walk */
	int plan_read;               /* the declared probes were read from the plan */
	char declared[1024];         /* declared kprobe symbols, each followed by '\n' */
	char reported[4096];         /* what was reported already, one key a line */
};

/* Takes the baseline: call once, before any lab module is loaded. */
void klab_tamper_baseline(struct klab_tamper *t, const char *root, klab_tamper_emit_fn emit);
/* Prints a marker line for each change since the baseline not yet reported. */
void klab_tamper_check(struct klab_tamper *t, const char *what, const char *name);
/* Closes what the baseline opened. */
void klab_tamper_release(struct klab_tamper *t);
/* True when a kernel function is on the path results take to the host. */
int klab_tamper_output_path(const char *symbol);

#endif
