/*
 * modlog.c - the learner's module's kernel lines from the console (see modlog.h).
 */
#include "lab/modlog.h"

#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "lab/console.h"

void lab_modlog_init(struct lab_modlog *m, char *const *in_tree, size_t nin_tree)
{
	memset(m, 0, sizeof(*m));
	m->in_tree = in_tree;
	m->nin_tree = nin_tree;
	kl_buf_init(&m->text);
}

void lab_modlog_release(struct lab_modlog *m)
{
	kl_buf_release(&m->text);
	memset(m, 0, sizeof(*m));
}

void lab_modlog_reset(struct lab_modlog *m)
{
	kl_buf_reset(&m->text);
	m->lines = m->dropped = 0;
	m->on = 0;
}

/* Is name one of the in-tree modules the lab loads first (kvm, ...)? '-' and '_' alike. */
static int S_in_tree(const struct lab_modlog *m, const char *name, size_t len)
{
	for (size_t i = 0; i < m->nin_tree; i++) {
		const char *a = m->in_tree[i];
		size_t k = 0;
		for (; a[k] && k < len; k++)
			if (a[k] != name[k] &&
			    !((a[k] == '-' || a[k] == '_') && (name[k] == '-' || name[k] == '_')))
				break;
		if (!a[k] && k == len)
			return 1;
	}
	return 0;
}

/* Kernel chatter that is never the learner's module speaking. */
static int S_chatter(const char *text, size_t len)
{
	static const char *const noise[] = {
		"loading out-of-tree module taints kernel",
		"module verification failed",
		"random: crng init done",
		"clocksource: ",
		"tsc: ",
		"Clockevents: could not switch to one-shot mode",
		"Could not switch to high resolution mode",
	};

	for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
		if (memmem(text, len, noise[i], strlen(noise[i])))
			return 1;
	return 0;
}

/*
 * After a fault report's end ("---[ end trace"), x86 prints the registers
 * again: "RIP: ...", "Code: ...", "RAX: ...". They belong to the report.
 */
static int S_fault_tail(const char *text, size_t len)
{
	size_t i = 0;

	if ((len >= 14 && memcmp(text, "---[ end trace", 14) == 0) ||
	    (len >= 6 && memcmp(text, "Code: ", 6) == 0))
		return 1;
	while (i < len && i < 6 &&
	       ((text[i] >= 'A' && text[i] <= 'Z') || (text[i] >= '0' && text[i] <= '9')))
		i++;
	return i >= 2 && i < len && text[i] == ':' && (i + 1 == len || text[i + 1] == ' ');
}

void lab_modlog_feed(struct lab_modlog *m, const struct lab_fault *f, const char *line,
		     size_t len)
{
	if (len > 18 && memcmp(line, "# klab-step: load:", 18) == 0) {
		m->on |= !S_in_tree(m, line + 18, len - 18);
		return;
	}
	if (!m->on || !lab_console_is_kernel(line, len) || f->collecting)
		return;
	const char *text = memchr(line, ']', len);
	text = text ? text + 1 : line;
	while (text < line + len && *text == ' ')
		text++;
	len -= (size_t)(text - line);
	if (!len || S_chatter(text, len) || (f->count && S_fault_tail(text, len)))
		return;
	if (m->lines >= LAB_MODLOG_MAX) {
		m->dropped++;
		return;
	}
	kl_buf_add(&m->text, text, len);
	kl_buf_putc(&m->text, '\n');
	m->lines++;
}
