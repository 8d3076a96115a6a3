/*
 * fault.h - kernel fault detection on the guest console, and decoding of the
 * faulting address to the learner's source file and line.
 *
 * lab_fault_feed() sees every console line; the first line that starts a fault
 * report (BUG:, Oops:, general protection fault, WARNING:, kernel BUG at,
 * Kernel panic, soft/hard lockup, RCU stall, hung task) opens a report, which
 * collects the lines that follow (bounded) and the RIP and Call Trace frames.
 * lab_fault_decode() then maps a frame in one of the lab's modules to file:line
 * with libdw, reading the DWARF of the module's .ko.
 */
#ifndef KLAB_LAB_FAULT_H
#define KLAB_LAB_FAULT_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define LAB_FAULT_MAX_LINES 120
#define LAB_FAULT_MAX_FRAMES 64

enum lab_fault_kind {
	LAB_FAULT_NONE,
	LAB_FAULT_BUG,     /* BUG: ..., kernel BUG at ... */
	LAB_FAULT_OOPS,    /* Oops:, general protection fault */
	LAB_FAULT_WARNING, /* WARNING: CPU: ... */
	LAB_FAULT_PANIC,   /* Kernel panic - not syncing */
	LAB_FAULT_LOCKUP,  /* soft or hard lockup */
	LAB_FAULT_STALL,   /* RCU stall */
	LAB_FAULT_HUNG,    /* hung task */
};

struct lab_frame {
	char *func;     /* symbol name */
	unsigned long off, size;
	char *module;   /* NULL for the kernel itself */
	int reliable;   /* 0 for the "? func" guesses of the unwinder */
};

struct lab_fault {
	enum lab_fault_kind kind; /* of the first fault */
	int count;                /* fault reports seen */
	char *title;              /* the first line of the first report */
	struct kl_buf report;     /* the lines of the first report */
	size_t report_lines;
	int collecting;           /* still reading the first report */
	int in_trace;             /* inside its Call Trace */
	int panicked;             /* a "Kernel panic - not syncing" line was seen */
	int dead;                 /* the panic report is complete: nothing more will come */
	struct lab_frame rip;     /* func NULL when not seen */
	struct lab_frame *trace;
	size_t ntrace;
	/* Filled by lab_fault_decode(): where in the learner's sources. */
	char *file;
	int line;
	char *function;
};

void lab_fault_init(struct lab_fault *f);
void lab_fault_release(struct lab_fault *f);
void lab_fault_feed(struct lab_fault *f, const char *line, size_t len);
const char *lab_fault_kind_name(enum lab_fault_kind kind);
/* Parses "func+0x13/0x1000 [mod]" (with an optional leading "? "); 0 on success. */
int lab_frame_parse(const char *s, size_t n, struct lab_frame *fr);
void lab_frame_release(struct lab_frame *fr);

/*
 * Maps func+off in the ELF object `ko` (a .ko, or any object with DWARF) to a
 * source file and line. For return addresses (call trace frames) pass
 * is_return so the call instruction itself is looked up. *file is allocated.
 */
int lab_fault_addr2line(const char *ko, const char *func, unsigned long off, int is_return,
			char **file, int *line, struct kl_err *err);

/*
 * Decodes the fault against the lab's modules: mods[i] is the module name (as
 * the kernel prints it) and kos[i] its .ko. The first frame (RIP, then the
 * reliable trace frames) inside one of them is decoded; f->file is the path
 * DWARF recorded, which the caller maps back to the learner's file.
 * Returns 1 when decoded, 0 when no frame was in the lab's modules.
 */
int lab_fault_decode(struct lab_fault *f, char *const *mods, char *const *kos, size_t n);

#endif
