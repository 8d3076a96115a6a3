/*
 * fault.c - kernel fault detection on the console and DWARF decoding (see fault.h).
 */
#include "lab/fault.h"

#include <ctype.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"

void lab_fault_init(struct lab_fault *f)
{
	memset(f, 0, sizeof(*f));
}

void lab_frame_release(struct lab_frame *fr)
{
	free(fr->func);
	free(fr->module);
	memset(fr, 0, sizeof(*fr));
}

void lab_fault_release(struct lab_fault *f)
{
	free(f->title);
	kl_buf_release(&f->report);
	lab_frame_release(&f->rip);
	for (size_t i = 0; i < f->ntrace; i++)
		lab_frame_release(&f->trace[i]);
	free(f->trace);
	free(f->file);
	free(f->function);
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
	default: return "none";
	}
}

static const char *S_find(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle));
}

/* The kind of fault this line opens, or NONE. */
static enum lab_fault_kind S_classify(const char *s, size_t n)
{
	if (S_find(s, n, "soft lockup") || S_find(s, n, "hard LOCKUP"))
		return LAB_FAULT_LOCKUP;
	if (S_find(s, n, "detected stalls") || S_find(s, n, "self-detected stall"))
		return LAB_FAULT_STALL;
	if (n >= 4 && memcmp(s, "BUG:", 4) == 0)
		return LAB_FAULT_BUG;
	if (S_find(s, n, "kernel BUG at "))
		return LAB_FAULT_BUG;
	if (n >= 5 && memcmp(s, "Oops:", 5) == 0)
		return LAB_FAULT_OOPS;
	if (S_find(s, n, "general protection fault"))
		return LAB_FAULT_OOPS;
	if (n >= 8 && memcmp(s, "WARNING:", 8) == 0)
		return LAB_FAULT_WARNING;
	if (S_find(s, n, "Kernel panic - not syncing"))
		return LAB_FAULT_PANIC;
	if (n >= 10 && memcmp(s, "INFO: task", 10) == 0 && S_find(s, n, "blocked for more than"))
		return LAB_FAULT_HUNG;
	return LAB_FAULT_NONE;
}

int lab_frame_parse(const char *s, size_t n, struct lab_frame *fr)
{
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
	while (q < end && isxdigit((unsigned char)*q) | (*q == 'x') && i < sizeof(num) - 1)
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

void lab_fault_feed(struct lab_fault *f, const char *line, size_t len)
{
	const char *s = line;
	size_t n = len;

	while (n && (s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n && s[0] == '[') { /* strip the printk timestamp */
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
	if (S_find(s, n, "---[ end Kernel panic") ||
	    (f->panicked && (S_find(s, n, "Kernel Offset:") || S_find(s, n, "Rebooting in"))))
		f->dead = 1;
	enum lab_fault_kind kind = S_classify(s, n);
	if (kind == LAB_FAULT_PANIC)
		f->panicked = 1;
	if (kind != LAB_FAULT_NONE) {
		f->count++;
		if (f->kind == LAB_FAULT_NONE) {
			f->kind = kind;
			f->title = kl_sprintf("%.*s", (int)(n > 300 ? 300 : n), s);
			f->collecting = 1;
		} else if (f->kind == LAB_FAULT_PANIC && kind != LAB_FAULT_PANIC && !f->rip.func) {
			/* a panic line came first: the real report is this one */
			f->kind = kind;
		}
	}
	if (!f->collecting)
		return;
	S_add_line(f, s, n);
	if (S_find(s, n, "---[ end trace") || (f->report_lines >= LAB_FAULT_MAX_LINES)) {
		f->collecting = 0;
		f->in_trace = 0;
		return;
	}
	const char *rip = S_find(s, n, "RIP: ");
	if (rip && !f->rip.func) {
		const char *p = rip + 5;
		const char *end = s + n;
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (colon && colon - p <= 4)
			p = colon + 1;
		lab_frame_parse(p, (size_t)(end - p), &f->rip);
		return;
	}
	if (S_find(s, n, "Call Trace:")) {
		f->in_trace = f->ntrace == 0;
		return;
	}
	if (!f->in_trace)
		return;
	while (n && *s == ' ') {
		s++;
		n--;
	}
	if ((n >= 6 && memcmp(s, "<TASK>", 6) == 0) || (n >= 5 && memcmp(s, "<IRQ>", 5) == 0) ||
	    (n >= 6 && memcmp(s, "</IRQ>", 6) == 0))
		return;
	if (n >= 7 && memcmp(s, "</TASK>", 7) == 0) {
		f->in_trace = 0;
		return;
	}
	struct lab_frame fr;
	if (lab_frame_parse(s, n, &fr) < 0) {
		f->in_trace = 0;
		return;
	}
	if (f->ntrace >= LAB_FAULT_MAX_FRAMES) {
		lab_frame_release(&fr);
		return;
	}
	struct lab_frame *v = realloc(f->trace, (f->ntrace + 1) * sizeof(*v));
	if (!v)
		abort();
	f->trace = v;
	v[f->ntrace++] = fr;
}

/* Module name as the kernel prints it: '-' becomes '_'. */
static int S_same_module(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
		if (x != y)
			return 0;
	}
	return *a == *b;
}

int lab_fault_addr2line(const char *ko, const char *func, unsigned long off, int is_return,
			char **file, int *line, struct kl_err *err)
{
	static const Dwfl_Callbacks cb = {
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.section_address = dwfl_offline_section_address,
	};
	Dwfl *dwfl = dwfl_begin(&cb);
	int rc = -1;

	*file = NULL;
	*line = 0;
	if (!dwfl)
		return kl_err_set(err, "libdw: %s", dwfl_errmsg(-1));
	Dwfl_Module *mod = dwfl_report_offline(dwfl, "", ko, -1);
	if (!mod || dwfl_report_end(dwfl, NULL, NULL) != 0) {
		kl_err_set(err, "cannot read %s: %s", ko, dwfl_errmsg(-1));
		goto out;
	}
	int nsyms = dwfl_module_getsymtab(mod);
	GElf_Addr base = 0;
	int found = 0;
	for (int i = 0; i < nsyms; i++) {
		GElf_Sym sym;
		GElf_Addr addr;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
		if (name && strcmp(name, func) == 0 && GELF_ST_TYPE(sym.st_info) == STT_FUNC) {
			base = addr;
			found = 1;
			break;
		}
	}
	if (!found) {
		kl_err_set(err, "no function %s in %s", func, ko);
		goto out;
	}
	GElf_Addr addr = base + off - (is_return && off ? 1 : 0);
	Dwfl_Line *dl = dwfl_module_getsrc(mod, addr);
	int lineno = 0;
	const char *src = dl ? dwfl_lineinfo(dl, &addr, &lineno, NULL, NULL, NULL) : NULL;
	if (!src) {
		kl_err_set(err, "no line information for %s+0x%lx in %s", func, off, ko);
		goto out;
	}
	*file = kl_strdup(src);
	*line = lineno;
	rc = 0;
out:
	dwfl_end(dwfl);
	return rc;
}

static int S_decode_frame(struct lab_fault *f, const struct lab_frame *fr, int is_return,
			  char *const *mods, char *const *kos, size_t n)
{
	if (!fr->func || !fr->module)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!S_same_module(fr->module, mods[i]))
			continue;
		char *file;
		int line;
		if (lab_fault_addr2line(kos[i], fr->func, fr->off, is_return, &file, &line, NULL) < 0)
			return 0;
		f->file = file;
		f->line = line;
		f->function = kl_strdup(fr->func);
		return 1;
	}
	return 0;
}

int lab_fault_decode(struct lab_fault *f, char *const *mods, char *const *kos, size_t n)
{
	if (f->kind == LAB_FAULT_NONE)
		return 0;
	if (S_decode_frame(f, &f->rip, 0, mods, kos, n))
		return 1;
	for (size_t i = 0; i < f->ntrace; i++)
		if (f->trace[i].reliable && S_decode_frame(f, &f->trace[i], 1, mods, kos, n))
			return 1;
	return 0;
}
