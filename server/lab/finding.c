/*
 * finding.c - the kind of a kernel fault in words, and where (see finding.h).
 * Each family of report has its own small describer, chosen from the title and
 * the WARN()/BUG() message printed before it.
 */
#include "lab/finding.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fsutil.h"

static const char *S_base(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* " at hello.c:14" for a decoded frame, "" when there is none. */
static void S_at(struct kl_buf *b, const char *word, const struct lab_frame *fr)
{
	if (fr && fr->file)
		kl_buf_printf(b, " %s %s:%d", word, S_base(fr->file), fr->line);
}

/* "8-byte read" from KASAN's "Read of size 8 at addr ..." */
static void S_access(struct kl_buf *b, const char *detail)
{
	int size = 0;

	if (!detail)
		return;
	if (strncmp(detail, "Read of size ", 13) == 0 && (size = atoi(detail + 13)) > 0)
		kl_buf_printf(b, " %d-byte read", size);
	else if (strncmp(detail, "Write of size ", 14) == 0 && (size = atoi(detail + 14)) > 0)
		kl_buf_printf(b, " %d-byte write", size);
}

/* The KASAN bug type of "BUG: KASAN: use-after-free in ...", in words. */
static char *S_kasan_kind(const char *title)
{
	static const struct { const char *type, *words; } kinds[] = {
		{ "slab-use-after-free", "use-after-free" },
		{ "use-after-free", "use-after-free" },
		{ "slab-out-of-bounds", "out-of-bounds access (heap)" },
		{ "global-out-of-bounds", "out-of-bounds access (global)" },
		{ "stack-out-of-bounds", "out-of-bounds access (stack)" },
		{ "vmalloc-out-of-bounds", "out-of-bounds access (vmalloc)" },
		{ "double-free or invalid-free", "double free" },
		{ "double-free", "double free" },
		{ "invalid-free", "invalid free" },
		{ "null-ptr-deref", "NULL pointer dereference" },
		{ "wild-memory-access", "wild memory access" },
		{ "use-after-scope", "use of a variable out of its scope" },
	};
	const char *t = strstr(title, "KASAN: ") + 7;
	size_t n = strcspn(t, " ");

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strncmp(t, kinds[i].type, strlen(kinds[i].type)) == 0)
			return kl_strdup(kinds[i].words);
	char *w = kl_sprintf("%.*s", (int)n, t);
	for (char *p = w; *p; p++)
		if (*p == '-')
			*p = ' ';
	return w;
}

static void S_kasan(struct lab_fault *f, const struct lab_frame *place, struct kl_buf *b)
{
	const struct lab_frame *freed = lab_fault_first(f, LAB_STACK_FREE);
	const struct lab_frame *alloc = lab_fault_first(f, LAB_STACK_ALLOC);

	f->finding = S_kasan_kind(f->title);
	kl_buf_printf(b, "%s:", f->finding);
	S_access(b, f->detail);
	S_at(b, "at", place);
	if (freed) {
		kl_buf_puts(b, " of memory freed");
		S_at(b, "at", freed);
	}
	if (alloc) {
		kl_buf_puts(b, freed ? " (allocated" : " (memory allocated");
		S_at(b, "at", alloc);
		kl_buf_putc(b, ')');
	}
}

/* The function a frame calls into: its inlined kernel helper, else the next frame in. */
static const char *S_callee(const struct lab_fault *f, const struct lab_frame *place)
{
	const char *callee = NULL;

	if (place->inlined)
		return place->inlined;
	for (size_t i = 0; i < f->ntrace; i++) {
		const struct lab_frame *fr = &f->trace[i];
		if (fr == place)
			return callee;
		if (fr->stack == LAB_STACK_TRACE && fr->reliable && fr->func)
			callee = fr->func;
	}
	return NULL;
}

static void S_atomic_sleep(struct lab_fault *f, const struct lab_frame *place, struct kl_buf *b)
{
	const struct lab_frame *held = NULL;

	for (size_t i = 0; i < f->ntrace && !held; i++)
		if (f->trace[i].stack == LAB_STACK_HELD && f->trace[i].learner)
			held = &f->trace[i];
	f->finding = kl_strdup("sleeping in atomic context");
	kl_buf_printf(b, "%s:", f->finding);
	const char *callee = place ? S_callee(f, place) : NULL;
	if (callee)
		kl_buf_printf(b, " %s()", callee);
	else if (strstr(f->title, "scheduling while atomic"))
		kl_buf_puts(b, " the task scheduled");
	else
		kl_buf_puts(b, " a function that may sleep was called");
	S_at(b, "at", place);
	if (held) {
		kl_buf_printf(b, " while holding %s %s", held->lock_type ? held->lock_type : "lock",
			      held->lock ? held->lock : "");
		S_at(b, "taken at", held);
	} else if (f->detail && strstr(f->detail, "irqs_disabled(): 1")) {
		kl_buf_puts(b, " with interrupts disabled");
	}
}

static const struct lab_frame *S_first_any(const struct lab_fault *f, enum lab_stack st)
{
	const struct lab_frame *fr = lab_fault_first(f, st);

	for (size_t i = 0; !fr && i < f->ntrace; i++)
		if ((int)f->trace[i].stack == (int)st)
			fr = &f->trace[i];
	return fr;
}

/* " with softirqs enabled" from lockdep's "inconsistent {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W} usage." */
static void S_usage(struct kl_buf *b, const char *detail, int now)
{
	static const struct { const char *state, *words; } states[] = {
		{ "{IN-HARDIRQ", " in a hard interrupt" },
		{ "{HARDIRQ-ON", " with interrupts enabled" },
		{ "{IN-SOFTIRQ", " in softirq context" },
		{ "{SOFTIRQ-ON", " with softirqs enabled" },
	};
	const char *arrow = detail ? strstr(detail, " -> ") : NULL;

	if (!arrow)
		return;
	const char *st = now ? arrow + 4 : strchr(detail, '{');
	for (size_t i = 0; st && i < sizeof(states) / sizeof(states[0]); i++)
		if (strncmp(st, states[i].state, strlen(states[i].state)) == 0)
			kl_buf_puts(b, states[i].words);
}

static void S_lockdep(struct lab_fault *f, const struct lab_frame *place, struct kl_buf *b)
{
	const struct lab_frame *acq = S_first_any(f, LAB_STACK_ACQUIRE);
	const struct lab_frame *held = S_first_any(f, LAB_STACK_HELD);
	const char *alock = acq && acq->lock ? acq->lock : "a lock";
	const char *hlock = held && held->lock ? held->lock : "another lock";

	if (strstr(f->title, "circular locking")) {
		const struct lab_frame *chain = lab_fault_first(f, LAB_STACK_CHAIN);
		f->finding = kl_strdup("possible deadlock (lock order)");
		kl_buf_printf(b, "%s: %s", f->finding, alock);
		S_at(b, "taken at", acq);
		kl_buf_printf(b, " while holding %s", hlock);
		S_at(b, "(taken at", held);
		kl_buf_puts(b, held && held->file ? ")" : "");
		if (chain)
			kl_buf_printf(b, "; %s:%d takes them in the other order", S_base(chain->file),
				      chain->line);
		else
			kl_buf_puts(b, "; elsewhere they are taken in the other order");
	} else if (strstr(f->title, "recursive locking")) {
		f->finding = kl_strdup("possible deadlock (recursive locking)");
		kl_buf_printf(b, "%s: %s", f->finding, alock);
		S_at(b, "taken again at", acq);
		kl_buf_puts(b, " while already held");
		S_at(b, "(taken at", held);
		kl_buf_puts(b, held && held->file ? ")" : "");
	} else if (strstr(f->title, "returning to user space")) {
		f->finding = kl_strdup("lock held when returning to user space");
		kl_buf_printf(b, "%s: %s", f->finding, hlock);
		S_at(b, "taken at", held);
		kl_buf_puts(b, " is never released");
	} else if (strstr(f->title, "bad unlock balance")) {
		f->finding = kl_strdup("bad unlock balance");
		kl_buf_printf(b, "%s: %s released", f->finding, alock);
		S_at(b, "at", acq ? acq : place);
		kl_buf_puts(b, " but not held");
	} else if (strstr(f->title, "inconsistent lock state")) {
		const struct lab_frame *other = lab_fault_first(f, LAB_STACK_CHAIN);
		f->finding = kl_strdup("inconsistent lock state");
		kl_buf_printf(b, "%s: %s", f->finding, alock);
		S_at(b, "taken at", acq);
		S_usage(b, f->detail, 1);
		if (other) {
			kl_buf_puts(b, ", and");
			S_at(b, "at", other);
			S_usage(b, f->detail, 0);
		}
		kl_buf_puts(b, ": an interrupt can deadlock on it");
	} else {
		const char *t = strstr(f->title, "WARNING:"); /* a panic line may be the title */
		t = t ? t + strlen("WARNING:") : f->title;
		while (*t == ' ')
			t++;
		f->finding = kl_sprintf("%.*s", (int)strcspn(t, "!"), t);
		kl_buf_printf(b, "%s", f->finding);
		S_at(b, "at", place);
	}
}

/* "ODEBUG: free active (active state 0) object type: timer_list hint: ..." */
static void S_odebug(struct lab_fault *f, const struct lab_frame *place, struct kl_buf *b)
{
	const char *m = f->message + 8;
	const char *paren = strstr(m, " (");
	const char *type = strstr(m, "object type: ");

	f->finding = kl_strdup("debug object misuse");
	kl_buf_printf(b, "%s: %.*s", f->finding, (int)(paren ? paren - m : (long)strlen(m)), m);
	if (type)
		kl_buf_printf(b, " %.*s", (int)strcspn(type + 13, " "), type + 13);
	S_at(b, "at", place);
}

/* Findings told by the WARN()/BUG() message printed before the report. */
static int S_by_message(struct lab_fault *f, const struct lab_frame *place, struct kl_buf *b)
{
	static const struct { const char *prefix, *words; int skip; } msgs[] = {
		{ "refcount_t: ", "refcount error", 12 },
		{ "list_add corruption", "list corruption", 0 },
		{ "list_del corruption", "list corruption", 0 },
		{ "list_add double add", "list corruption", 0 },
		{ "usercopy: ", "bad copy to or from user space (hardened usercopy)", 10 },
		{ "detected buffer overflow in ", "buffer overflow (fortify)", 0 },
		{ "memcpy: detected field-spanning write", "buffer overflow (fortify)", 8 },
		{ "stack-protector: ", "stack corruption (stack protector)", 17 },
	};
	const char *m = f->message;

	if (!m)
		return 0;
	if (strncmp(m, "ODEBUG: ", 8) == 0) {
		S_odebug(f, place, b);
		return 1;
	}
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		if (strncmp(m, msgs[i].prefix, strlen(msgs[i].prefix)) != 0)
			continue;
		f->finding = kl_strdup(msgs[i].words);
		size_t n = strlen(m + msgs[i].skip);
		while (n && (m[msgs[i].skip + n - 1] == '.' || m[msgs[i].skip + n - 1] == '!'))
			n--;
		kl_buf_printf(b, "%s: %.*s", f->finding, (int)n, m + msgs[i].skip);
		S_at(b, "at", place);
		return 1;
	}
	return 0;
}

static void S_leak(struct lab_fault *f, const struct lab_frame *place, struct kl_buf *b)
{
	int n = 0;
	long bytes = 0, first = 0;

	f->finding = kl_strdup("memory leak");
	/* the objects whose allocation is in the learner's code */
	for (int o = 0; o < f->leaks && o < LAB_FAULT_MAX_LEAKS; o++) {
		for (size_t i = 0; i < f->ntrace; i++) {
			const struct lab_frame *fr = &f->trace[i];
			if (fr->obj == o && fr->stack == LAB_STACK_ALLOC && fr->learner) {
				if (fr == place || (place && fr->obj == place->obj))
					first = f->leak[o].bytes;
				bytes += f->leak[o].bytes;
				n++;
				break;
			}
		}
	}
	kl_buf_printf(b, "%s: %ld bytes allocated", f->finding, place ? first : f->leak[0].bytes);
	S_at(b, "at", place);
	kl_buf_puts(b, " never freed");
	if (n > 1)
		kl_buf_printf(b, " (%d objects of yours leaked, %ld bytes in all)", n, bytes);
}

/* The rest, told by the title alone. */
static void S_by_title(struct lab_fault *f, const struct lab_frame *place, struct kl_buf *b)
{
	const char *t = f->title;

	if (strstr(t, "NULL pointer dereference") ||
	    (f->detail && strstr(f->detail, "KASAN: null-ptr-deref")))
		f->finding = kl_strdup("NULL pointer dereference");
	else if (f->kind == LAB_FAULT_UBSAN) {
		const char *k = strstr(t, "UBSAN:"); /* the title may not start with it */
		k = k ? k + strlen("UBSAN:") : t;
		while (*k == ' ')
			k++;
		f->finding = kl_sprintf("%.*s", (int)strcspn(k, " "), k);
		for (char *p = f->finding; *p; p++)
			if (*p == '-')
				*p = ' ';
	} else if (strstr(t, "unable to handle page fault"))
		f->finding = kl_strdup("bad memory access (page fault)");
	else if (strstr(t, "general protection fault"))
		f->finding = kl_strdup("general protection fault");
	else if (strstr(t, "kernel BUG at"))
		f->finding = kl_strdup("kernel BUG (a BUG_ON failed)");
	else if (f->kind == LAB_FAULT_PANIC)
		f->finding = kl_strdup("kernel panic");
	else if (f->kind == LAB_FAULT_WARNING)
		f->finding = kl_strdup("kernel warning (WARN_ON)");
	else
		f->finding = kl_strdup(lab_fault_kind_name(f->kind));
	kl_buf_puts(b, f->finding);
	if (f->kind == LAB_FAULT_UBSAN && f->detail)
		kl_buf_printf(b, ": %s", f->detail);
	else if (f->kind == LAB_FAULT_PANIC && strstr(t, "not syncing: "))
		kl_buf_printf(b, ": %s", strstr(t, "not syncing: ") + 13);
	if (!place || !place->file)
		return;
	const char *callee = place != &f->rip && f->rip.func ? S_callee(f, place) : NULL;
	if (callee && f->kind != LAB_FAULT_UBSAN) {
		/* in the kernel's code, called from the learner's: strlen(NULL) */
		kl_buf_printf(b, " in %s()", callee);
		S_at(b, "called at", place);
		return;
	}
	kl_buf_putc(b, f->kind == LAB_FAULT_UBSAN || f->kind == LAB_FAULT_PANIC ? ',' : ':');
	S_at(b, "at", place);
}

void lab_finding_describe(struct lab_fault *f)
{
	struct kl_buf b = KL_BUF_INIT;

	if (f->kind == LAB_FAULT_NONE || !f->title)
		return;
	free(f->finding);
	free(f->summary);
	f->finding = NULL;
	const struct lab_frame *place = lab_fault_place(f);
	if (f->kind == LAB_FAULT_LEAK)
		S_leak(f, place, &b);
	else if (strstr(f->title, "BUG: KASAN: ") && !strstr(f->title, "null-ptr-deref"))
		S_kasan(f, place, &b);
	else if (strstr(f->title, "sleeping function called from invalid context") ||
		 strstr(f->title, "scheduling while atomic"))
		S_atomic_sleep(f, place, &b);
	else if (S_by_message(f, place, &b))
		;
	else if (f->kind == LAB_FAULT_WARNING && !strstr(f->title, "WARNING: CPU:"))
		S_lockdep(f, place, &b);
	else
		S_by_title(f, place, &b);
	f->summary = kl_buf_detach(&b);
}
