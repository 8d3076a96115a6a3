/*
 * fault.c - kernel fault detection on the console: which line opens a report,
 * and the stacks, locks and messages in it (see fault.h). Decoding to source
 * lines is in fault_decode.c, the words for each finding in finding.c.
 */
#include "lab/fault.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"

void lab_fault_init(struct lab_fault *f)
{
	memset(f, 0, sizeof(*f));
}

void lab_frame_release(struct lab_frame *fr)
{
	free(fr->func);
	free(fr->module);
	free(fr->lock);
	free(fr->lock_type);
	free(fr->file);
	free(fr->function);
	free(fr->inlined);
	free(fr->context);
	free(fr->source);
	memset(fr, 0, sizeof(*fr));
}

void lab_fault_release(struct lab_fault *f)
{
	free(f->title);
	free(f->message);
	free(f->detail);
	free(f->chain_lock);
	kl_buf_release(&f->report);
	lab_frame_release(&f->rip);
	for (size_t i = 0; i < f->ntrace; i++)
		lab_frame_release(&f->trace[i]);
	free(f->trace);
	for (int i = 0; i < f->leaks && i < LAB_FAULT_MAX_LEAKS; i++)
		free(f->leak[i].comm);
	for (size_t i = 0; i < f->nsections; i++) {
		free(f->sections[i].module);
		free(f->sections[i].name);
	}
	free(f->file);
	free(f->function);
	free(f->module);
	free(f->context);
	free(f->finding);
	free(f->summary);
	lab_fault_init(f);
}

const char *lab_fault_kind_name(enum lab_fault_kind kind)
{
	switch (kind) {
	case LAB_FAULT_BUG: return "BUG";
	case LAB_FAULT_OOPS: return "oops";
	case LAB_FAULT_WARNING: return "WARNING";
	case LAB_FAULT_PANIC: return "panic";
	case LAB_FAULT_LOCKUP: return "lockup";
	case LAB_FAULT_STALL: return "RCU stall";
	case LAB_FAULT_HUNG: return "hung task";
	case LAB_FAULT_UBSAN: return "UBSAN";
	case LAB_FAULT_LEAK: return "memory leak";
	default: return "none";
	}
}

static const char *S_find(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle));
}

/* The decimal number at p, read no further than end (lines are not NUL-terminated); 0: none. */
static long S_num(const char *p, const char *end)
{
	long v = 0;

	while (p < end && *p >= '0' && *p <= '9' && v < LONG_MAX / 10)
		v = v * 10 + (*p++ - '0');
	return v;
}

static int S_starts(const char *s, size_t n, const char *prefix)
{
	size_t pn = strlen(prefix);

	return n >= pn && memcmp(s, prefix, pn) == 0;
}

/* The kind of fault this line opens, or NONE. leak: the line came from klab's kmemleak scan. */
static enum lab_fault_kind S_classify(const char *s, size_t n, int leak)
{
	if (leak)
		return S_starts(s, n, "unreferenced object ") ? LAB_FAULT_LEAK : LAB_FAULT_NONE;
	if (S_find(s, n, "soft lockup") || S_find(s, n, "hard LOCKUP"))
		return LAB_FAULT_LOCKUP;
	if (S_find(s, n, "detected stalls") || S_find(s, n, "self-detected stall"))
		return LAB_FAULT_STALL;
	if (S_starts(s, n, "BUG:") || S_find(s, n, "kernel BUG at "))
		return LAB_FAULT_BUG;
	if (S_starts(s, n, "Oops:") || S_find(s, n, "general protection fault"))
		return LAB_FAULT_OOPS;
	if (S_starts(s, n, "WARNING:"))
		return LAB_FAULT_WARNING;
	if (S_starts(s, n, "UBSAN:"))
		return LAB_FAULT_UBSAN;
	if (S_find(s, n, "Kernel panic - not syncing"))
		return LAB_FAULT_PANIC;
	if (S_starts(s, n, "INFO: task") && S_find(s, n, "blocked for more than"))
		return LAB_FAULT_HUNG;
	return LAB_FAULT_NONE;
}

/* Clears fr, skips the indent and the unwinder's "? " (an unreliable guess). */
static void S_frame_start(const char **sp, size_t *np, struct lab_frame *fr)
{
	const char *s = *sp;
	size_t n = *np;

	memset(fr, 0, sizeof(*fr));
	while (n && *s == ' ') {
		s++;
		n--;
	}
	fr->reliable = 1;
	if (n >= 2 && s[0] == '?' && s[1] == ' ') {
		fr->reliable = 0;
		s += 2;
		n -= 2;
	}
	*sp = s;
	*np = n;
}

int lab_frame_parse(const char *s, size_t n, struct lab_frame *fr)
{
	S_frame_start(&s, &n, fr);
	const char *plus = memchr(s, '+', n);
	if (!plus || plus == s)
		return -1;
	for (const char *p = s; p < plus; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '$'))
			return -1;
	const char *q = plus + 1;
	const char *end = s + n;
	char num[32];
	size_t i = 0;
	while (q < end && *q != '/' && i < sizeof(num) - 1)
		num[i++] = *q++;
	num[i] = '\0';
	if (q >= end || *q != '/' || strncmp(num, "0x", 2) != 0)
		return -1;
	char *e;
	fr->off = strtoul(num, &e, 16);
	if (*e)
		return -1;
	q++;
	i = 0;
	while (q < end && (isxdigit((unsigned char)*q) || *q == 'x') && i < sizeof(num) - 1)
		num[i++] = *q++;
	num[i] = '\0';
	fr->size = strtoul(num, NULL, 16);
	fr->func = kl_sprintf("%.*s", (int)(plus - s), s);
	while (q < end && *q == ' ')
		q++;
	if (q < end && *q == '[') {
		const char *close = memchr(q, ']', (size_t)(end - q));
		if (close) {
			const char *m = q + 1;
			size_t mn = (size_t)(close - m);
			const char *sp = memchr(m, ' ', mn); /* "[mod O]" taint letters */
			if (sp)
				mn = (size_t)(sp - m);
			fr->module = kl_sprintf("%.*s", (int)mn, m);
		}
	}
	return 0;
}

/* "? 0xffffffffa0008031" or "0xffffffffa0008031": a kernel address with no symbol. */
static int S_raw_parse(const char *s, size_t n, struct lab_frame *fr)
{
	char num[24];

	S_frame_start(&s, &n, fr);
	if (n < 3 || n >= sizeof(num) || memcmp(s, "0x", 2) != 0)
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	char *e;
	fr->addr = strtoul(num, &e, 16);
	return *e || fr->addr < 0xffff800000000000UL ? -1 : 0;
}

static void S_add_line(struct lab_fault *f, const char *s, size_t n)
{
	if (f->report_lines >= LAB_FAULT_MAX_LINES)
		return;
	if (n > 400)
		n = 400;
	kl_buf_add(&f->report, s, n);
	kl_buf_putc(&f->report, '\n');
	f->report_lines++;
}

static void S_add_frame(struct lab_fault *f, struct lab_frame *fr)
{
	if (f->ntrace >= LAB_FAULT_MAX_FRAMES) {
		lab_frame_release(fr);
		return;
	}
	struct lab_frame *v = realloc(f->trace, (f->ntrace + 1) * sizeof(*v));
	if (!v)
		abort();
	f->trace = v;
	v[f->ntrace++] = *fr;
}

/* "klab: section hello .text 0xffffffffa0000000": where a lab module's section was loaded. */
static void S_section(struct lab_fault *f, const char *s, size_t n)
{
	char mod[64], name[64];
	unsigned long addr;
	char line[256];

	if (n >= sizeof(line) || f->nsections >= LAB_FAULT_MAX_SECTIONS)
		return;
	memcpy(line, s, n);
	line[n] = '\0';
	if (sscanf(line, "klab: section %63s %63s %lx", mod, name, &addr) != 3)
		return;
	for (size_t i = 0; i < f->nsections; i++) {
		struct lab_section *x = &f->sections[i];
		if (strcmp(x->module, mod) == 0 && strcmp(x->name, name) == 0) {
			x->addr = addr;
			return;
		}
	}
	f->sections[f->nsections++] = (struct lab_section){ kl_strdup(mod), kl_strdup(name), addr };
}

/* The lock of a lockdep line "ffff... (lock_a){+.+.}-{2:2}, at: func+0x18/0x30 [mod]". */
static void S_lock_frame(struct lab_fault *f, const char *s, size_t n, int stack)
{
	const char *at = S_find(s, n, ", at: ");
	const char *open = memchr(s, '(', n);
	struct lab_frame fr;

	if (!at || !open || open > at)
		return;
	const char *p = at + 6;
	if (lab_frame_parse(p, (size_t)(s + n - p), &fr) < 0 &&
	    S_raw_parse(p, (size_t)(s + n - p), &fr) < 0)
		return;
	/* the name may itself hold parentheses: "(&(&q->lock)->rlock)" ends at "){" */
	const char *close = S_find(open, (size_t)(at - open), "){");
	if (!close)
		close = memchr(open, ')', (size_t)(at - open));
	if (close)
		fr.lock = kl_sprintf("%.*s", (int)(close - open - 1), open + 1);
	/* the wait type, {inner:outer}: 1 raw spinlock, 2 spinlock, 3 config, 4 sleeping lock */
	const char *wt = close ? S_find(close, (size_t)(at - close), "-{") : NULL;
	if (wt && wt + 3 < at) {
		static const char *types[] = { NULL, "raw spinlock", "spinlock", NULL, "mutex" };
		int t = wt[2] - '0';
		if (t >= 0 && t <= 4 && types[t])
			fr.lock_type = kl_strdup(types[t]);
	}
	fr.stack = stack;
	fr.is_return = 1;
	S_add_frame(f, &fr);
}

/* A lockdep chain header "-> #1 (lock_b){+.+.}-{2:2}:". */
static int S_chain_header(struct lab_fault *f, const char *s, size_t n)
{
	if (!S_starts(s, n, "-> #"))
		return 0;
	const char *open = memchr(s, '(', n);
	const char *close = open ? S_find(open, (size_t)(s + n - open), "){") : NULL;
	if (!close && open)
		close = memchr(open, ')', (size_t)(s + n - open));
	free(f->chain_lock);
	f->chain_lock = close ? kl_sprintf("%.*s", (int)(close - open - 1), open + 1) : NULL;
	f->chain = (int)S_num(s + 4, s + n);
	f->stack = LAB_STACK_CHAIN;
	f->in_trace = 1;
	return 1;
}

/* The WARN()/BUG() message printed just before the report's first line. */
static void S_message(struct lab_fault *f)
{
	static const char *const bug_messages[] = {
		"usercopy:", "detected buffer overflow", "list_add corruption", "list_del corruption",
		"list_add double add", "refcount_t:", "ODEBUG:", "stack-protector:",
	};
	const char *cut = "------------[ cut here ]------------";
	const char *m = NULL;

	if (f->prev[1][0] && strcmp(f->prev[1], cut) && f->prev[0][0] &&
	    strcmp(f->prev[0], cut) == 0)
		m = f->prev[1]; /* WARN(1, "..."): cut here, the message, WARNING: */
	else if (strcmp(f->prev[1], cut) == 0 && f->prev[0][0])
		for (size_t i = 0; i < sizeof(bug_messages) / sizeof(bug_messages[0]); i++)
			if (strncmp(f->prev[0], bug_messages[i], strlen(bug_messages[i])) == 0)
				m = f->prev[0]; /* pr_emerg("..."); BUG(): the message, cut here */
	if (m)
		f->message = kl_strdup(m);
}

/* Strips the printk timestamp and the line end; returns 1 for a klab kmemleak record. */
static int S_strip(const char **sp, size_t *np)
{
	const char *s = *sp;
	size_t n = *np;
	int leak = 0;

	while (n && (s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (close) {
			n -= (size_t)(close + 1 - s);
			s = close + 1;
			if (n && *s == ' ') {
				s++;
				n--;
			}
		}
	}
	if (S_starts(s, n, "klab: kmemleak: ")) {
		s += 16;
		n -= 16;
		leak = 1;
	}
	*sp = s;
	*np = n;
	return leak;
}

static int S_has_stack(const struct lab_fault *f, enum lab_stack stack)
{
	for (size_t i = 0; i < f->ntrace; i++)
		if ((int)f->trace[i].stack == (int)stack)
			return 1;
	return 0;
}

/* A new report begins (kind != NONE) on line s. */
static void S_open(struct lab_fault *f, enum lab_fault_kind kind, const char *s, size_t n)
{
	f->count++;
	if (kind == LAB_FAULT_LEAK && f->kind == LAB_FAULT_LEAK && f->collecting) {
		/* the next object of the same scan: its frames count too */
		if (f->leaks < LAB_FAULT_MAX_LEAKS) {
			const char *size = S_find(s, n, "(size ");
			f->leak[f->leaks].bytes = size ? S_num(size + 6, s + n) : 0;
		}
		f->leaks++;
		f->in_trace = 0;
		return;
	}
	if (f->kind != LAB_FAULT_NONE && f->kind != LAB_FAULT_PANIC &&
	    (f->rip.func || S_has_stack(f, LAB_STACK_TRACE))) {
		/* a second report (the first one's stack is complete): its frames are its own */
		f->frames_done = 1;
		f->in_trace = 0;
	}
	if (f->kind == LAB_FAULT_NONE) {
		f->kind = kind;
		f->title = kl_sprintf("%.*s", (int)(n > 300 ? 300 : n), s);
		f->collecting = 1;
		S_message(f);
		if (kind == LAB_FAULT_LEAK) {
			const char *size = S_find(s, n, "(size ");
			f->leak[0].bytes = size ? S_num(size + 6, s + n) : 0;
			f->leaks = 1;
		}
	} else if (f->kind == LAB_FAULT_PANIC && kind != LAB_FAULT_PANIC && !f->rip.func) {
		f->kind = kind; /* a panic line came first: the real report is this one */
	}
}

/* The line that qualifies the title: KASAN's access, UBSAN's index, KASAN's null range. */
static void S_detail(struct lab_fault *f, const char *s, size_t n)
{
	if (f->detail)
		return;
	if (S_starts(s, n, "Read of size ") || S_starts(s, n, "Write of size ") ||
	    S_starts(s, n, "index ") || S_starts(s, n, "KASAN: ") ||
	    S_starts(s, n, "in_atomic(): ") || S_starts(s, n, "inconsistent {"))
		f->detail = kl_sprintf("%.*s", (int)(n > 300 ? 300 : n), s);
}

/* Which stack a report line opens: a stack, -1 for none (ignore what follows), -2 not a header. */
static int S_stack_header(struct lab_fault *f, const char *s, size_t n)
{
	if (S_find(s, n, "Call Trace:"))
		return S_has_stack(f, LAB_STACK_TRACE) ? -1 : LAB_STACK_TRACE;
	if (f->kind == LAB_FAULT_LEAK && S_starts(s, n, "  backtrace:"))
		return LAB_STACK_ALLOC; /* one per leaked object */
	if (S_starts(s, n, "Allocated by task "))
		return S_has_stack(f, LAB_STACK_ALLOC) ? -1 : LAB_STACK_ALLOC;
	if (S_starts(s, n, "Freed by task "))
		return S_has_stack(f, LAB_STACK_FREE) ? -1 : LAB_STACK_FREE;
	if (S_starts(s, n, "Last potentially related work creation:") ||
	    S_starts(s, n, "Second to last potentially related"))
		return -1;
	return -2;
}

/* Frames of the report's stacks, locks and the like. */
static void S_report_line(struct lab_fault *f, const char *s, size_t n)
{
	if (f->frames_done)
		return;
	if (S_chain_header(f, s, n))
		return;
	int st = S_stack_header(f, s, n);
	if (st != -2) {
		f->in_trace = st >= 0;
		f->stack = st >= 0 ? st : f->stack;
		return;
	}
	const char *rel = S_find(s, n, "is trying to release lock (");
	if (rel) {
		/* "init/29 is trying to release lock (mtx) at:", the frame on the next line */
		const char *open = rel + 26, *close = memchr(open, ')', (size_t)(s + n - open));
		free(f->chain_lock);
		f->chain_lock = close ? kl_sprintf("%.*s", (int)(close - open - 1), open + 1) : NULL;
		f->stack = LAB_STACK_ACQUIRE;
		f->in_trace = 1;
		return;
	}
	if (S_find(s, n, "state was registered at:")) {
		/* inconsistent lock state: where the lock's other usage was seen */
		f->stack = LAB_STACK_CHAIN;
		f->in_trace = 1;
		return;
	}
	if (S_find(s, n, "is trying to acquire lock:"))
		f->stack = LAB_STACK_ACQUIRE;
	else if (S_find(s, n, "already holding lock:") || S_find(s, n, "lock held by") ||
		 S_find(s, n, "locks held by"))
		f->stack = LAB_STACK_HELD;
	if (S_find(s, n, ", at: ")) {
		const char *t = s;
		while (t < s + n && *t == ' ')
			t++;
		int held = *t == '#' || f->stack == LAB_STACK_HELD;
		S_lock_frame(f, s, n, held ? LAB_STACK_HELD : LAB_STACK_ACQUIRE);
		f->in_trace = 0;
		return;
	}
	if (f->kind == LAB_FAULT_LEAK && S_starts(s, n, "  comm \"") && f->leaks &&
	    f->leaks <= LAB_FAULT_MAX_LEAKS && !f->leak[f->leaks - 1].comm) {
		const char *q = memchr(s + 8, '"', n - 8);
		if (q)
			f->leak[f->leaks - 1].comm = kl_sprintf("%.*s", (int)(q - s - 8), s + 8);
	}
	if (!f->in_trace)
		return;
	while (n && *s == ' ') {
		s++;
		n--;
	}
	if (S_starts(s, n, "<TASK>") || S_starts(s, n, "<IRQ>") || S_starts(s, n, "</IRQ>"))
		return;
	if (S_starts(s, n, "[<")) { /* kmemleak: "[<00000000a1b2c3d4>] func+0x31/0x1000 [mod]" */
		const char *close = S_find(s, n, "] ");
		if (close) {
			n -= (size_t)(close + 2 - s);
			s = close + 2;
		}
	}
	struct lab_frame fr;
	if (!n || S_starts(s, n, "</TASK>") ||
	    (lab_frame_parse(s, n, &fr) < 0 && S_raw_parse(s, n, &fr) < 0)) {
		f->in_trace = 0;
		return;
	}
	fr.stack = f->stack;
	fr.is_return = 1;
	fr.obj = f->leaks ? f->leaks - 1 : 0;
	if ((f->stack == LAB_STACK_CHAIN || f->stack == LAB_STACK_ACQUIRE) && f->chain_lock)
		fr.lock = kl_strdup(f->chain_lock);
	S_add_frame(f, &fr);
	if (f->stack == LAB_STACK_ACQUIRE)
		f->in_trace = 0; /* one frame: where the lock was released */
}

void lab_fault_feed(struct lab_fault *f, const char *line, size_t len)
{
	const char *s = line;
	size_t n = len;
	int leak = S_strip(&s, &n);

	if (S_starts(s, n, "klab: section ")) {
		S_section(f, s, n);
		return;
	}
	if (S_find(s, n, "---[ end Kernel panic") ||
	    (f->panicked && (S_find(s, n, "Kernel Offset:") || S_find(s, n, "Rebooting in"))))
		f->dead = 1;
	if (leak && S_starts(s, n, "scan"))
		f->leak_scan = 1;
	else if (leak && S_starts(s, n, "end"))
		f->leak_scan = 2;
	enum lab_fault_kind kind = S_classify(s, n, leak);
	if (kind == LAB_FAULT_PANIC)
		f->panicked = 1;
	if (kind == LAB_FAULT_NONE && !f->collecting) {
		/* remember the last two lines: a WARN() message comes before its report */
		memcpy(f->prev[0], f->prev[1], sizeof(f->prev[0]));
		snprintf(f->prev[1], sizeof(f->prev[1]), "%.*s", (int)n, s);
		return;
	}
	if (kind != LAB_FAULT_NONE)
		S_open(f, kind, s, n);
	if (!f->collecting)
		return;
	if (leak && S_starts(s, n, "end")) {
		f->collecting = 0; /* the guest's scan is over */
		f->in_trace = 0;
		return;
	}
	S_add_line(f, s, n);
	if (S_find(s, n, "---[ end trace") || (f->report_lines >= LAB_FAULT_MAX_LINES)) {
		f->collecting = 0;
		f->in_trace = 0;
		return;
	}
	if (kind == LAB_FAULT_PANIC && !f->message) {
		const char *sp = S_find(s, n, "stack-protector:");
		if (sp)
			f->message = kl_sprintf("%.*s", (int)(s + n - sp), sp);
	}
	S_detail(f, s, n);
	const char *rip = S_find(s, n, "RIP: ");
	if (rip && !f->rip.func && !f->frames_done) {
		const char *p = rip + 5;
		const char *end = s + n;
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (colon && colon - p <= 4)
			p = colon + 1;
		if (lab_frame_parse(p, (size_t)(end - p), &f->rip) == 0)
			f->rip.stack = LAB_STACK_TRACE;
		return;
	}
	S_report_line(f, s, n);
}

const struct lab_frame *lab_fault_first(const struct lab_fault *f, enum lab_stack stack)
{
	for (size_t i = 0; i < f->ntrace; i++) {
		const struct lab_frame *fr = &f->trace[i];
		if ((int)fr->stack == (int)stack && fr->reliable && fr->file && fr->learner)
			return fr;
	}
	return NULL;
}
