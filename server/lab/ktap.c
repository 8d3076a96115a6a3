/*
 * ktap.c - the streaming KTAP parser of the guest console (see ktap.h).
 */
#include "lab/ktap.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"

void lab_ktap_init(struct lab_ktap *k)
{
	memset(k, 0, sizeof(*k));
	k->plan = -1;
	k->sub_plan = -1;
}

void lab_ktap_release(struct lab_ktap *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->results[i].name);
		free(k->results[i].group);
		free(k->results[i].directive);
		free(k->results[i].diagnostic);
	}
	free(k->results);
	free(k->step);
	free(k->boot_id);
	free(k->timeout_step);
	free(k->taint_step);
	free(k->subtest);
	free(k->tamper);
	free(k->exit_name);
	kl_buf_release(&k->diag[0]);
	kl_buf_release(&k->diag[1]);
	lab_ktap_init(k);
}

static char *S_dup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		abort();
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static int S_prefix(const char *s, size_t n, const char *pre)
{
	size_t l = strlen(pre);

	return n >= l && memcmp(s, pre, l) == 0;
}

static void S_trim(const char **s, size_t *n)
{
	while (*n && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

/* Parses "[not ]ok N name[ # directive]"; returns 1 when it is a result line. */
static int S_result(struct lab_ktap *k, const char *s, size_t n, int depth)
{
	int ok;

	if (S_prefix(s, n, "ok ")) {
		ok = 1;
		s += 3;
		n -= 3;
	} else if (S_prefix(s, n, "not ok ")) {
		ok = 0;
		s += 7;
		n -= 7;
	} else {
		return 0;
	}
	int number = 0;
	size_t i = 0;
	for (; i < n && isdigit((unsigned char)s[i]); i++)
		if (number < 1000000)
			number = number * 10 + (s[i] - '0');
	if (i == 0)
		return 0;
	s += i;
	n -= i;
	if (n && s[0] == ' ') {
		s++;
		n--;
	}
	if (n && s[0] == '-' && (n == 1 || s[1] == ' ')) { /* TAP's "ok 1 - name" */
		s += n > 1 ? 2 : 1;
		n -= n > 1 ? 2 : 1;
	}
	const char *hash = memchr(s, '#', n);
	size_t name_len = hash ? (size_t)(hash - s) : n;
	const char *name = s;
	S_trim(&name, &name_len);
	if (k->n >= LAB_KTAP_MAX_RESULTS) {
		k->dropped++;
		kl_buf_reset(&k->diag[depth]);
		return 1;
	}
	struct lab_ktap_result *v = realloc(k->results, (k->n + 1) * sizeof(*v));
	if (!v)
		abort();
	k->results = v;
	struct lab_ktap_result *r = &v[k->n++];
	memset(r, 0, sizeof(*r));
	r->name = S_dup(name, name_len);
	r->depth = depth;
	r->number = number;
	r->ok = ok;
	r->group = depth && k->subtest ? kl_strdup(k->subtest) : NULL;
	r->sub_plan = depth ? -1 : k->sub_plan;
	r->exit_status = -1;
	if (!depth && k->exit_name && strcmp(k->exit_name, r->name) == 0) {
		r->exit_status = k->exit_status;
		r->exit_signal = k->exit_signal;
	}
	if (hash) {
		const char *d = hash + 1;
		size_t dn = n - (size_t)(d - s);
		S_trim(&d, &dn);
		r->directive = S_dup(d, dn);
		if (dn >= 4 && strncasecmp(d, "SKIP", 4) == 0)
			r->skip = 1;
	}
	if (k->diag[depth].len) {
		r->diagnostic = kl_buf_detach(&k->diag[depth]);
	}
	return 1;
}

static void S_diag(struct lab_ktap *k, const char *s, size_t n, int depth)
{
	struct kl_buf *b = &k->diag[depth];

	if (b->len >= LAB_KTAP_MAX_DIAG)
		return;
	if (n > LAB_KTAP_MAX_DIAG - b->len)
		n = LAB_KTAP_MAX_DIAG - b->len;
	if (b->len)
		kl_buf_putc(b, '\n');
	kl_buf_add(b, s, n);
}

/* The decimal number at the start of s (n bytes, not NUL-terminated), saturating. */
static long S_number(const char *s, size_t n)
{
	long v = 0;

	for (size_t i = 0; i < n && isdigit((unsigned char)s[i]); i++)
		if (v < 100000000000L)
			v = v * 10 + (s[i] - '0');
	return v;
}

static void S_set(char **dst, const char *s, size_t n)
{
	free(*dst);
	*dst = S_dup(s, n);
}

/* "STEP: WHAT": kept in order, bounded like the diagnostics. */
static void S_tamper(struct lab_ktap *k, const char *s, size_t n)
{
	size_t have = k->tamper ? strlen(k->tamper) : 0;

	if (have + n + 2 > LAB_KTAP_MAX_DIAG)
		return;
	char *t = realloc(k->tamper, have + n + 2);
	if (!t)
		abort();
	if (have)
		t[have++] = '\n';
	memcpy(t + have, s, n);
	t[have + n] = '\0';
	k->tamper = t;
}

/* "NAME status=N" or "NAME signal=N": for NAME's top-level result, which follows. */
static void S_exit(struct lab_ktap *k, const char *s, size_t n)
{
	const char *sp = memchr(s, ' ', n);

	if (!sp)
		return;
	const char *v = sp + 1;
	size_t vn = n - (size_t)(v - s);
	int status = -1, sig = 0;
	if (vn > 7 && memcmp(v, "status=", 7) == 0)
		status = (int)S_number(v + 7, vn - 7);
	else if (vn > 7 && memcmp(v, "signal=", 7) == 0)
		sig = (int)S_number(v + 7, vn - 7);
	else
		return;
	S_set(&k->exit_name, s, (size_t)(sp - s));
	k->exit_status = status;
	k->exit_signal = sig;
}

void lab_ktap_feed(struct lab_ktap *k, const char *line, size_t len)
{
	size_t spaces = 0;

	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (len && line[0] == '[')
		return; /* a kernel message (printk timestamp) */
	while (spaces < len && line[spaces] == ' ')
		spaces++;
	const char *s = line + spaces;
	size_t n = len - spaces;
	int depth = spaces >= 4 ? 1 : 0;
	if (spaces >= 8 || n == 0)
		return;

	if (depth == 0) {
		if (n == 11 && memcmp(s, "KLAB-BOOTED", 11) == 0) {
			k->booted = 1;
			return;
		}
		if (n == 9 && memcmp(s, "KLAB-DONE", 9) == 0) {
			k->done = 1;
			return;
		}
		if (S_prefix(s, n, "# klab-step: ")) {
			S_set(&k->step, s + 13, n - 13);
			return;
		}
		if (S_prefix(s, n, "# klab-clean: boot=")) {
			const char *id = s + 19;
			const char *sp = memchr(id, ' ', n - 19);
			int mods = -1, tmp = -1;
			if (sp) {
				S_set(&k->boot_id, id, (size_t)(sp - id));
				char rest[64];
				snprintf(rest, sizeof(rest), "%.*s", (int)(n - (size_t)(sp - s)), sp);
				if (sscanf(rest, " modules=%d tmp=%d", &mods, &tmp) == 2)
					k->clean = mods == 0 && tmp == 0;
			}
			return;
		}
		if (S_prefix(s, n, "# klab-timeout: ")) {
			if (!k->timeout_step)
				S_set(&k->timeout_step, s + 16, n - 16);
			return;
		}
		if (S_prefix(s, n, "# klab-taint: ")) {
			k->taint = S_number(s + 14, n - 14);
			k->taint_seen = 1;
			const char *after = memmem(s, n, " after ", 7);
			if (after)
				S_set(&k->taint_step, after + 7, n - (size_t)(after + 7 - s));
			return;
		}
		if (S_prefix(s, n, "# klab-tamper: ")) {
			S_tamper(k, s + 15, n - 15);
			return;
		}
		if (S_prefix(s, n, "# klab-exit: ")) {
			S_exit(k, s + 13, n - 13);
			return;
		}
		if (S_prefix(s, n, "# klab-")) /* other markers are not diagnostics */
			return;
	}
	if (S_prefix(s, n, "KTAP version ")) {
		if (depth == 0)
			k->version_seen = 1;
		return;
	}
	if (S_prefix(s, n, "1..")) {
		if (depth == 0)
			k->plan = (int)S_number(s + 3, n - 3);
		else if (k->sub_plan < 0)
			k->sub_plan = (int)S_number(s + 3, n - 3);
		return;
	}
	if (depth == 1 && S_prefix(s, n, "# Subtest: ")) {
		S_set(&k->subtest, s + 11, n - 11);
		kl_buf_reset(&k->diag[1]);
		k->sub_plan = -1;
		return;
	}
	if (s[0] == '#') {
		const char *d = s + 1;
		size_t dn = n - 1;
		S_trim(&d, &dn);
		S_diag(k, d, dn, depth);
		return;
	}
	if (S_result(k, s, n, depth) && depth == 0) {
		/* a top-level result closes the nested program */
		free(k->subtest);
		k->subtest = NULL;
		kl_buf_reset(&k->diag[1]);
		k->sub_plan = -1;
		free(k->exit_name);
		k->exit_name = NULL;
	}
}

void lab_ktap_feed_text(struct lab_ktap *k, const char *text, size_t len)
{
	while (len) {
		const char *nl = memchr(text, '\n', len);
		size_t l = nl ? (size_t)(nl - text) : len;

		lab_ktap_feed(k, text, l);
		if (!nl)
			break;
		text += l + 1;
		len -= l + 1;
	}
}
