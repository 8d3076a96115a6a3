/*
 * fault.h - kernel fault detection on the guest console, and decoding of the
 * faulting addresses to the learner's source file and line.
 *
 * lab_fault_feed() sees every console line; the first line that starts a fault
 * report (BUG:, Oops:, general protection fault, WARNING:, kernel BUG at,
 * UBSAN:, Kernel panic, soft/hard lockup, RCU stall, hung task, and the leak
 * records klab's guest writes after its kmemleak scan) opens a report, which
 * collects the lines that follow (bounded) and every stack in it: the RIP and
 * Call Trace, KASAN's "Allocated by" and "Freed by" stacks, lockdep's locks
 * ("at: func+off") and dependency chain, kmemleak's backtrace. The message a
 * WARN() or BUG() printed just before the report (refcount_t:, list_add
 * corruption, ODEBUG:, usercopy:, detected buffer overflow) is kept too.
 *
 * lab_fault_decode() (fault_decode.c) then maps each frame in one of the lab's
 * modules to the learner's file:line with libdw, through the chain of inlined
 * functions, and lab_finding_describe() (finding.h) says what it was in words.
 */
#ifndef KLAB_LAB_FAULT_H
#define KLAB_LAB_FAULT_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

#define LAB_FAULT_MAX_LINES 160
#define LAB_FAULT_MAX_FRAMES 160
#define LAB_FAULT_MAX_SECTIONS 64
#define LAB_FAULT_MAX_LEAKS 16

enum lab_fault_kind {
	LAB_FAULT_NONE,
	LAB_FAULT_BUG,     /* BUG: ..., kernel BUG at ... */
	LAB_FAULT_OOPS,    /* Oops:, general protection fault */
	LAB_FAULT_WARNING, /* WARNING: CPU: ..., lockdep's WARNING: ... */
	LAB_FAULT_PANIC,   /* Kernel panic - not syncing */
	LAB_FAULT_LOCKUP,  /* soft or hard lockup */
	LAB_FAULT_STALL,   /* RCU stall */
	LAB_FAULT_HUNG,    /* hung task */
	LAB_FAULT_UBSAN,   /* UBSAN: array-index-out-of-bounds in file:line:col */
	LAB_FAULT_LEAK,    /* klab: kmemleak: unreferenced object ... */
};

/* Which stack of a report a frame belongs to. */
enum lab_stack {
	LAB_STACK_TRACE,   /* the RIP and Call Trace: where it happened */
	LAB_STACK_ALLOC,   /* KASAN "Allocated by task", kmemleak's backtrace */
	LAB_STACK_FREE,    /* KASAN "Freed by task" */
	LAB_STACK_ACQUIRE, /* lockdep: the lock being taken ("is trying to acquire lock") */
	LAB_STACK_HELD,    /* lockdep: a lock already held */
	LAB_STACK_CHAIN,   /* lockdep: where an earlier dependency ("-> #1 (lock)") was made */
};

struct lab_frame {
	char *func;     /* symbol name; NULL for a raw address */
	unsigned long off, size;
	unsigned long addr; /* the raw address when func is NULL (kmemleak after unload) */
	char *module;   /* NULL for the kernel itself */
	int reliable;   /* 0 for the "? func" guesses of the unwinder */
	int stack;      /* enum lab_stack */
	int obj;        /* a leak report: which leaked object (0, 1, ...) */
	int is_return;  /* a return address (trace frames): look up the call before it */
	char *lock;     /* lockdep stacks: the lock's name, e.g. "lock_a" */
	char *lock_type; /* "spinlock", "mutex", ... when lockdep says ({2:2} ...) */
	/* Filled by lab_fault_decode() for frames in the lab's modules: */
	char *file;     /* the learner's file (or the module's own source when none is) */
	int line;
	char *function; /* the function containing file:line */
	char *inlined;  /* innermost inlined function, when the address is in one */
	char *context;  /* the inlined kernel code it sits in: "strlen (fortify-string.h:196)" */
	int learner;    /* file is one of the learner's files */
	/*
	 * Filled by the caller from the lab kernel's source index, for the kernel's own
	 * frames: where func is defined (relative to the tree: /source/SOURCE#L<n>).
	 */
	char *source;
	int source_line;
};

/* A section of a lab module in the guest (klab: section MOD NAME ADDR). */
struct lab_section {
	char *module;
	char *name;
	unsigned long addr;
};

struct lab_fault {
	enum lab_fault_kind kind; /* of the first fault */
	int count;                /* fault reports seen */
	char *title;              /* the first line of the first report */
	char *message;            /* what WARN()/BUG() printed before it, or NULL */
	char *detail;             /* the line that qualifies the title (KASAN's access, UBSAN's index) */
	struct kl_buf report;     /* the lines of the first report */
	size_t report_lines;
	int collecting;           /* still reading the first report */
	int in_trace;             /* inside one of its stacks */
	int stack;                /* ... which one (enum lab_stack) */
	int frames_done;          /* a second report began: its frames are not the first's */
	int chain;                /* lockdep dependency number of the current CHAIN stack */
	char *chain_lock;         /* ... and its lock */
	int panicked;             /* a "Kernel panic - not syncing" line was seen */
	int dead;                 /* the panic report is complete: nothing more will come */
	char prev[2][320];        /* the last two lines before a report, for the message */
	struct lab_frame rip;     /* func NULL when not seen */
	struct lab_frame *trace;  /* every other frame of the report, in order */
	size_t ntrace;
	struct {
		long bytes;       /* a leaked object's size */
		char *comm;       /* ... and the task that allocated it */
	} leak[LAB_FAULT_MAX_LEAKS];
	int leaks;                /* leaked objects reported */
	int leak_scan;            /* klab's leak check: 0 not seen, 1 started, 2 finished */
	struct lab_section sections[LAB_FAULT_MAX_SECTIONS];
	size_t nsections;
	/* Filled by lab_fault_decode(): where in the learner's sources. */
	char *file;
	int line;
	char *function;
	char *module;             /* the lab module it is in */
	char *context;            /* the kernel code inlined there, e.g. "strlen (fortify-string.h:196)" */
	/* Filled by lab_finding_describe(): */
	char *finding;            /* the kind, in words: "use-after-free", "memory leak", ... */
	char *summary;            /* one line: the finding, where, and how */
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

/* One source position of an address, from the innermost inlined function outward. */
struct lab_srcpos {
	char *func; /* the function whose code this is (inlined or not) */
	char *file; /* as DWARF recorded it */
	int line;
};

/*
 * The inline chain of func+off in ko: pos[0] is what the line table says (the
 * innermost inlined function's line), each next one the call site of the one
 * before, the last one in the function the symbol names. *pos is allocated;
 * free with lab_srcpos_free(). 0, or -1 with err.
 */
int lab_fault_inline_chain(const char *ko, const char *func, unsigned long off, int is_return,
			   struct lab_srcpos **pos, size_t *n, struct kl_err *err);
void lab_srcpos_free(struct lab_srcpos *pos, size_t n);

/* What the decoder needs to know of the lab's build. */
struct lab_fault_srcs {
	char *const *mods;    /* module names (as the kernel prints them) ... */
	char *const *kos;     /* ... and their unstripped .ko files */
	size_t nmods;
	const char *dir;      /* the build folder the modules were compiled in */
	char *const *names;   /* the learner's files there (base names) ... */
	char *const *origins; /* ... and the paths to show for them */
	size_t nfiles;
};

/*
 * Decodes every frame of the fault that is in one of the lab's modules (raw
 * addresses through the recorded sections), placing each at the innermost
 * position in a learner file of its inline chain. Then sets f->file, line,
 * function and context from the frame that says where the fault is: the RIP,
 * else the first reliable trace frame (for a lockdep report the lock taken, for
 * a leak the allocation). Returns 1 when placed, 0 when no frame was in the
 * lab's modules; a leak report with no object of the lab's is dropped then
 * (kind NONE: kmemleak's false positives in the kernel's own objects).
 */
int lab_fault_decode(struct lab_fault *f, const struct lab_fault_srcs *s);
/* The frame that places the fault (see lab_fault_decode), or NULL. */
const struct lab_frame *lab_fault_place(const struct lab_fault *f);
/* The first decoded learner frame of a stack, or NULL. */
const struct lab_frame *lab_fault_first(const struct lab_fault *f, enum lab_stack stack);

#endif
