/*
 * ktap.c - klab's markers and the flat list of results over the KTAP tree
 * (see ktap.h).
 */
#include "lab/ktap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "lab/console.h"

static void S_set(char **dst, const char *s, size_t n)
{
	free(*dst);
	*dst = kl_strndup(s, n);
}

static int S_prefix(const char *s, size_t n, const char *pre)
{
	size_t l = strlen(pre);

	return n >= l && memcmp(s, pre, l) == 0;
}

/* The decimal number at the start of s (n bytes, not NUL-terminated), saturating. */
static long S_number(const char *s, size_t n)
{
	long v = 0;

	for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		if (v < 100000000000L)
			v = v * 10 + (s[i] - '0');
	return v;
}

/* The tree closed a test with its result line: one more flat result. */
static void S_on_result(void *ctx, const struct lab_ktap_node *nd)
{
	struct lab_ktap *k = ctx;

	if (k->n >= LAB_KTAP_MAX_RESULTS) {
		k->dropped++;
		return;
	}
	struct lab_ktap_result *v = realloc(k->results, (k->n + 1) * sizeof(*v));
	if (!v)
		abort();
	k->results = v;
	struct lab_ktap_result *r = &v[k->n++];
	memset(r, 0, sizeof(*r));
	r->name = kl_strdup(nd->name);
	r->group = nd->parent >= 0 ? kl_strdup(k->tree.nodes[nd->parent].name) : NULL;
	r->depth = nd->depth;
	r->number = nd->number;
	r->status = nd->status;
	r->ok = lab_ktap_status_ok(nd->status);
	r->skip = nd->status == LAB_KTAP_SKIP;
	r->directive = nd->directive ? kl_strdup(nd->directive) : NULL;
	r->diagnostic = nd->diagnostic ? kl_strdup(nd->diagnostic) : NULL;
	r->sub_plan = nd->depth == 0 ? nd->plan : -1;
	r->exit_status = -1;
	if (nd->depth == 0 && k->exit_name && strcmp(k->exit_name, r->name) == 0) {
		r->exit_status = k->exit_status;
		r->exit_signal = k->exit_signal;
	}
	if (nd->depth == 0) {
		free(k->exit_name);
		k->exit_name = NULL;
	}
}

void lab_ktap_init(struct lab_ktap *k)
{
	memset(k, 0, sizeof(*k));
	lab_ktap_tree_init(&k->tree, S_on_result, k);
	k->plan = -1;
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
	free(k->tamper);
	free(k->exit_name);
	lab_ktap_tree_release(&k->tree);
	lab_ktap_init(k);
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

/* klab's markers, at column 0: 1 when the line was one. */
static int S_marker(struct lab_ktap *k, const char *s, size_t n)
{
	if (n == 11 && memcmp(s, "KLAB-BOOTED", 11) == 0) {
		k->booted = 1;
		return 1;
	}
	if (n == 9 && memcmp(s, "KLAB-DONE", 9) == 0) {
		k->done = 1;
		return 1;
	}
	if (!S_prefix(s, n, "# klab-"))
		return 0;
	if (S_prefix(s, n, "# klab-step: ")) {
		S_set(&k->step, s + 13, n - 13);
	} else if (S_prefix(s, n, "# klab-clean: boot=")) {
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
	} else if (S_prefix(s, n, "# klab-timeout: ")) {
		if (!k->timeout_step)
			S_set(&k->timeout_step, s + 16, n - 16);
	} else if (S_prefix(s, n, "# klab-taint: ")) {
		k->taint = S_number(s + 14, n - 14);
		k->taint_seen = 1;
		const char *after = memmem(s, n, " after ", 7);
		if (after)
			S_set(&k->taint_step, after + 7, n - (size_t)(after + 7 - s));
	} else if (S_prefix(s, n, "# klab-tamper: ")) {
		S_tamper(k, s + 15, n - 15);
	} else if (S_prefix(s, n, "# klab-exit: ")) {
		S_exit(k, s + 13, n - 13);
	}
	return 1; /* other klab markers are not diagnostics either */
}

void lab_ktap_feed(struct lab_ktap *k, const char *line, size_t len)
{
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	if (S_marker(k, line, len))
		return;
	if (!k->kernel_lines && lab_console_is_kernel(line, len))
		return;
	lab_ktap_tree_feed(&k->tree, line, len);
	k->version_seen = k->tree.started;
	k->plan = k->tree.plan;
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

void lab_ktap_finish(struct lab_ktap *k)
{
	lab_ktap_tree_finish(&k->tree);
}
