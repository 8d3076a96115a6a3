/*
 * ktap_tree.c - the KTAP tree parser (see ktap_tree.h): a stack of levels,
 * one per indentation in use, each holding the subtests of one test.
 */
#include "lab/ktap_tree.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fsutil.h"

#define S_NO_NODE (-1L) /* no test: the top level, or no candidate */
#define S_DROPPED (-2L) /* a test past LAB_KTAP_MAX_NODES */

enum S_kind { S_UNKNOWN, S_VERSION, S_HEADER, S_PLAN, S_RESULT, S_DIAG };

/* A parsed result line; the pointers are into the line. */
struct S_result {
	int ok, number;
	const char *name, *directive;
	size_t name_len, directive_len;
	int has_directive;
};

static int S_starts(const char *s, size_t n, const char *pre)
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

/*
 * c += n (n >= 0), stopping at INT_MAX: plans saturate near 10^9 (S_number), and
 * the crashed tests of a few such plans would pass an int (fuzz_ktap).
 */
static void S_add(int *c, int n)
{
	*c = n > INT_MAX - *c ? INT_MAX : *c + n;
}

/* The decimal number at s; *used gets its length (0: none). Saturates. */
static int S_number(const char *s, size_t n, size_t *used)
{
	int v = 0;
	size_t i = 0;

	for (; i < n && isdigit((unsigned char)s[i]); i++)
		if (v < 100000000)
			v = v * 10 + (s[i] - '0');
	*used = i;
	return v;
}

void lab_ktap_tree_init(struct lab_ktap_tree *t, lab_ktap_result_fn on_result, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->first = t->last = S_NO_NODE;
	t->plan = -1;
	t->on_result = on_result;
	t->ctx = ctx;
	t->levels[0].node = S_NO_NODE;
	t->levels[0].plan = -1;
	t->nlevels = 1;
}

void lab_ktap_tree_release(struct lab_ktap_tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->nodes[i].name);
		free(t->nodes[i].directive);
		free(t->nodes[i].diagnostic);
	}
	free(t->nodes);
	for (int i = 0; i < LAB_KTAP_MAX_DEPTH; i++)
		kl_buf_release(&t->levels[i].diag);
	lab_ktap_tree_init(t, NULL, NULL);
}

const char *lab_ktap_status_name(enum lab_ktap_status s)
{
	switch (s) {
	case LAB_KTAP_OK:
		return "ok";
	case LAB_KTAP_FAIL:
		return "fail";
	case LAB_KTAP_SKIP:
		return "skip";
	case LAB_KTAP_CRASHED:
		return "crashed";
	case LAB_KTAP_NONE:
		break;
	}
	return "none";
}

int lab_ktap_status_ok(enum lab_ktap_status s)
{
	return s == LAB_KTAP_OK || s == LAB_KTAP_SKIP;
}

static struct lab_ktap_level *S_top(struct lab_ktap_tree *t)
{
	return &t->levels[t->nlevels - 1];
}

/* A new test, the next subtest of level L; S_DROPPED past the limit. */
static long S_node_new(struct lab_ktap_tree *t, struct lab_ktap_level *L)
{
	L->count++;
	if (L->node == S_DROPPED || t->n >= LAB_KTAP_MAX_NODES) {
		t->dropped++;
		return S_DROPPED;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct lab_ktap_node *v = realloc(t->nodes, cap * sizeof(*v));
		if (!v)
			abort();
		t->nodes = v;
		t->cap = cap;
	}
	long i = (long)t->n++;
	struct lab_ktap_node *nd = &t->nodes[i];
	memset(nd, 0, sizeof(*nd));
	nd->name = kl_strndup("", 0);
	nd->number = L->count;
	nd->plan = -1;
	nd->parent = L->node;
	nd->depth = L->node >= 0 ? t->nodes[L->node].depth + 1 : 0;
	nd->first = nd->last = nd->next = S_NO_NODE;
	long *first = L->node >= 0 ? &t->nodes[L->node].first : &t->first;
	long *last = L->node >= 0 ? &t->nodes[L->node].last : &t->last;
	if (*last >= 0)
		t->nodes[*last].next = i;
	else
		*first = i;
	*last = i;
	return i;
}

/* The directive (n bytes) is SKIP, a word of its own, in any case. */
static int S_is_skip(const char *d, size_t n)
{
	return n >= 4 && strncasecmp(d, "SKIP", 4) == 0 && (n == 4 || isspace((unsigned char)d[4]));
}

/* Closes test i: its status from its own result and its subtests'. */
static void S_node_close(struct lab_ktap_tree *t, long i)
{
	if (i < 0)
		return;
	struct lab_ktap_node *nd = &t->nodes[i];
	int crashed = 0, failed = 0;

	if (!nd->has_result)
		nd->status = LAB_KTAP_CRASHED;
	else if (nd->directive && S_is_skip(nd->directive, strlen(nd->directive)))
		nd->status = LAB_KTAP_SKIP;
	else
		nd->status = nd->ok ? LAB_KTAP_OK : LAB_KTAP_FAIL;
	for (long c = nd->first; c >= 0; c = t->nodes[c].next) {
		crashed |= t->nodes[c].status == LAB_KTAP_CRASHED;
		failed |= t->nodes[c].status == LAB_KTAP_FAIL;
	}
	if (crashed)
		nd->status = LAB_KTAP_CRASHED;
	else if (failed && nd->status == LAB_KTAP_OK)
		nd->status = LAB_KTAP_FAIL;
	if (nd->has_result && t->on_result)
		t->on_result(t->ctx, nd);
}

/* Ends level L's subtests: a crashed test for each result its plan still expects. */
static void S_level_end(struct lab_ktap_tree *t, struct lab_ktap_level *L)
{
	if (L->plan >= 0 && L->count > L->plan)
		t->counts.errors++;
	while (L->plan >= 0 && L->count < L->plan) {
		if (L->node == S_DROPPED || t->n >= LAB_KTAP_MAX_NODES) {
			/* a plan past the limit: count the rest without a loop (fuzz_ktap) */
			t->dropped += (size_t)(L->plan - L->count);
			S_add(&t->counts.crashed, L->plan - L->count);
			L->count = L->plan;
			break;
		}
		long i = S_node_new(t, L);
		if (i >= 0)
			S_node_close(t, i);
	}
	kl_buf_reset(&L->diag);
}

/* Pops the innermost level; returns its test, not closed yet (the caller decides). */
static long S_pop(struct lab_ktap_tree *t)
{
	struct lab_ktap_level *L = S_top(t);

	S_level_end(t, L);
	t->nlevels--;
	return L->node;
}

/* Opens a level at indent w for a new subtest of the current level; -1 when too deep. */
static int S_push(struct lab_ktap_tree *t, int w)
{
	if (t->nlevels >= LAB_KTAP_MAX_DEPTH)
		return -1;
	long i = S_node_new(t, S_top(t));
	struct lab_ktap_level *L = &t->levels[t->nlevels++];
	kl_buf_reset(&L->diag);
	L->indent = w;
	L->node = i;
	L->plan = -1;
	L->count = 0;
	L->has_version = L->has_header = L->has_body = 0;
	return 0;
}

/*
 * Pops the levels deeper than w. The test of the last one popped is returned
 * when the level left on top is at w exactly (its result may be this line);
 * every other popped test is closed without a result.
 */
static long S_pop_to(struct lab_ktap_tree *t, int w)
{
	long cand = S_NO_NODE;
	int had = 0;

	while (t->nlevels > 1 && S_top(t)->indent > w) {
		if (had)
			S_node_close(t, cand);
		cand = S_pop(t);
		had = 1;
	}
	if (had && S_top(t)->indent != w) {
		S_node_close(t, cand);
		return S_NO_NODE;
	}
	return had ? cand : S_NO_NODE;
}

static void S_set_name(struct lab_ktap_tree *t, long i, const char *s, size_t n)
{
	if (i < 0)
		return;
	free(t->nodes[i].name);
	t->nodes[i].name = kl_strndup(s, n);
}

/* A version, "# Subtest:" or plan line at indent w. */
static void S_structure(struct lab_ktap_tree *t, int w, enum S_kind kind, const char *arg,
			size_t arg_len, int plan)
{
	long cand = S_pop_to(t, w);
	struct lab_ktap_level *L = S_top(t);

	if (cand != S_NO_NODE)
		S_node_close(t, cand); /* a new block, not its result: it never got one */
	if (L->indent == w && t->nlevels > 1 &&
	    ((kind == S_VERSION && (L->has_version || L->has_body)) ||
	     (kind == S_HEADER && (L->has_header || L->has_body)))) {
		/* a second header at the same indent: the next sibling's block */
		S_node_close(t, S_pop(t));
		L = S_top(t);
	}
	if (L->indent < w) {
		if (S_push(t, w) < 0)
			return;
		L = S_top(t);
	}
	switch (kind) {
	case S_VERSION:
		L->has_version = 1;
		break;
	case S_HEADER:
		L->has_header = 1;
		S_set_name(t, L->node, arg, arg_len);
		break;
	case S_PLAN:
		if (L->plan >= 0 || L->has_body) {
			t->counts.errors++;
			break;
		}
		L->plan = plan;
		if (L->node >= 0)
			t->nodes[L->node].plan = plan;
		else if (t->nlevels == 1)
			t->plan = plan;
		break;
	default:
		break;
	}
}

static int S_owns(const struct lab_ktap_tree *t, long cand, const struct S_result *r)
{
	if (cand == S_DROPPED)
		return 1;
	const char *name = t->nodes[cand].name;
	return !name[0] || (strlen(name) == r->name_len && memcmp(name, r->name, r->name_len) == 0);
}

static void S_result_set(struct lab_ktap_tree *t, struct lab_ktap_level *L, long i,
			 const struct S_result *r)
{
	L->has_body = 1;
	if (i < 0) {
		kl_buf_reset(&L->diag);
		return;
	}
	struct lab_ktap_node *nd = &t->nodes[i];
	if (r->number != nd->number)
		t->counts.errors++;
	nd->has_result = 1;
	nd->ok = r->ok;
	nd->number = r->number;
	if (r->name_len || !nd->name[0])
		S_set_name(t, i, r->name, r->name_len);
	if (r->has_directive)
		nd->directive = kl_strndup(r->directive, r->directive_len);
	if (L->diag.len)
		nd->diagnostic = kl_buf_detach(&L->diag);
	S_node_close(t, i);
}

/* A result line at indent w. */
static void S_result(struct lab_ktap_tree *t, int w, const struct S_result *r)
{
	long cand = S_pop_to(t, w);
	struct lab_ktap_level *L = S_top(t);

	if (cand != S_NO_NODE) {
		if (S_owns(t, cand, r)) {
			S_result_set(t, L, cand, r);
			return;
		}
		S_node_close(t, cand);
	}
	if (L->indent < w) {
		/* subtests with no header: their block starts here */
		if (S_push(t, w) < 0)
			return;
		L = S_top(t);
	}
	long i = S_node_new(t, L);
	if (i == S_DROPPED) {
		/* not kept, but counted: the overall result still sees it */
		int skip = r->has_directive && S_is_skip(r->directive, r->directive_len);
		t->counts.skipped += skip;
		t->counts.passed += !skip && r->ok;
		t->counts.failed += !skip && !r->ok;
	}
	S_result_set(t, L, i, r);
}

/* A '#' line at indent w: for the next result of the innermost level it is in. */
static void S_diag(struct lab_ktap_tree *t, int w, const char *s, size_t n)
{
	int i = t->nlevels - 1;

	while (i > 0 && t->levels[i].indent > w)
		i--;
	struct kl_buf *b = &t->levels[i].diag;
	S_trim(&s, &n);
	if (b->len >= LAB_KTAP_MAX_DIAG)
		return;
	if (b->len)
		kl_buf_putc(b, '\n');
	if (n > LAB_KTAP_MAX_DIAG - b->len)
		n = LAB_KTAP_MAX_DIAG - b->len;
	kl_buf_add(b, s, n);
}

/* "[not ]ok N[ [- ]name][ # directive]": 1 when the line is a result. */
static int S_parse_result(const char *s, size_t n, struct S_result *r)
{
	size_t used;

	memset(r, 0, sizeof(*r));
	if (S_starts(s, n, "ok ")) {
		r->ok = 1;
		s += 3;
		n -= 3;
	} else if (S_starts(s, n, "not ok ")) {
		s += 7;
		n -= 7;
	} else {
		return 0;
	}
	r->number = S_number(s, n, &used);
	if (!used || (used < n && s[used] != ' ' && s[used] != '\t'))
		return 0;
	s += used;
	n -= used;
	const char *hash = memchr(s, '#', n);
	size_t name_len = hash ? (size_t)(hash - s) : n;
	const char *name = s;
	S_trim(&name, &name_len);
	if (name_len && name[0] == '-' && (name_len == 1 || name[1] == ' ')) { /* TAP's "ok 1 - name" */
		name++;
		name_len--;
		S_trim(&name, &name_len);
	}
	r->name = name;
	r->name_len = name_len;
	if (hash) {
		const char *d = hash + 1;
		size_t dn = n - (size_t)(d - s);
		S_trim(&d, &dn);
		r->directive = d;
		r->directive_len = dn;
		r->has_directive = 1;
	}
	return 1;
}

/* "KTAP version N" or "TAP version N" (then only blanks): 1 when it is one. */
static int S_is_version(const char *s, size_t n)
{
	size_t used, skip;

	if (S_starts(s, n, "KTAP version "))
		skip = 13;
	else if (S_starts(s, n, "TAP version "))
		skip = 12;
	else
		return 0;
	S_number(s + skip, n - skip, &used);
	if (!used)
		return 0;
	for (size_t i = skip + used; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

static enum S_kind S_classify(const char *s, size_t n, int *plan)
{
	size_t used;

	if (S_is_version(s, n))
		return S_VERSION;
	if (S_starts(s, n, "1..")) {
		*plan = S_number(s + 3, n - 3, &used);
		if (used && (3 + used == n || isspace((unsigned char)s[3 + used])))
			return S_PLAN;
		return S_UNKNOWN;
	}
	if (S_starts(s, n, "# Subtest:"))
		return S_HEADER;
	if (s[0] == '#')
		return S_DIAG;
	if (S_starts(s, n, "ok ") || S_starts(s, n, "not ok "))
		return S_RESULT;
	return S_UNKNOWN;
}

/* Length of "[...]" groups at s, with their count; 0 when s does not start with one. */
static size_t S_groups(const char *s, size_t n, int *groups)
{
	size_t i = 0;

	*groups = 0;
	while (i < n && s[i] == '[') {
		const char *e = memchr(s + i, ']', n - i);
		if (!e)
			break;
		i = (size_t)(e - s) + 1;
		(*groups)++;
	}
	return *groups ? i : 0;
}

/*
 * The first version line: remembers what stood before it. Whitespace right
 * before the version text is its indentation, except one separator after a
 * non-blank prefix ("[    0.06] " + indentation).
 */
static int S_start(struct lab_ktap_tree *t, const char *line, size_t len, size_t *skip)
{
	for (size_t i = 0; i < len; i++) {
		if ((line[i] != 'K' && line[i] != 'T') || !S_is_version(line + i, len - i))
			continue;
		size_t p = i;
		while (p && (line[p - 1] == ' ' || line[p - 1] == '\t'))
			p--;
		if (p && p < i)
			p++; /* the separator */
		if (p >= LAB_KTAP_MAX_PREFIX)
			return 0;
		int groups;
		size_t g = S_groups(line, p, &groups);
		if (g && g + (p > g) == p && (p == g || line[g] == ' ' || line[g] == '\t')) {
			t->prefix_groups = groups;
			t->prefix_space = p > g;
		} else {
			memcpy(t->prefix, line, p);
			t->prefix[p] = '\0';
		}
		t->started = 1;
		*skip = p;
		return 1;
	}
	return 0;
}

/* Strips the prefix from a later line; 0 when the line does not carry it. */
static int S_strip(const struct lab_ktap_tree *t, const char **s, size_t *n)
{
	if (t->prefix_groups) {
		int groups;
		size_t g = S_groups(*s, *n, &groups);
		if (groups != t->prefix_groups)
			return 0;
		if (t->prefix_space && g < *n) {
			if ((*s)[g] != ' ' && (*s)[g] != '\t')
				return 0;
			g++;
		}
		*s += g;
		*n -= g;
		return 1;
	}
	size_t l = strlen(t->prefix);
	if (*n < l || memcmp(*s, t->prefix, l) != 0)
		return 0;
	*s += l;
	*n -= l;
	return 1;
}

void lab_ktap_tree_feed(struct lab_ktap_tree *t, const char *line, size_t len)
{
	const char *s = line;
	size_t n = len, skip = 0;
	int w = 0, plan = 0;

	if (t->finished)
		return;
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (!t->started) {
		if (!S_start(t, s, n, &skip))
			return; /* anything before the version line */
		s += skip;
		n -= skip;
	} else if (!S_strip(t, &s, &n)) {
		return;
	}
	while (n && (*s == ' ' || *s == '\t')) {
		w = *s == '\t' ? (w / 8 + 1) * 8 : w + 1;
		s++;
		n--;
		if (w > 4096)
			return;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (!n)
		return;

	enum S_kind kind = S_classify(s, n, &plan);
	struct S_result r;
	switch (kind) {
	case S_VERSION:
		S_structure(t, w, kind, NULL, 0, 0);
		break;
	case S_PLAN:
		S_structure(t, w, kind, NULL, 0, plan);
		break;
	case S_HEADER: {
		const char *name = s + 10;
		size_t nl = n - 10;
		S_trim(&name, &nl);
		if (t->nlevels == 1 && w == 0)
			S_diag(t, w, s + 1, n - 1); /* no level to open: a comment */
		else
			S_structure(t, w, kind, name, nl, 0);
		break;
	}
	case S_RESULT:
		if (S_parse_result(s, n, &r))
			S_result(t, w, &r);
		break;
	case S_DIAG:
		S_diag(t, w, s + 1, n - 1);
		break;
	case S_UNKNOWN:
		break;
	}
}

static void S_count(const struct lab_ktap_tree *t, long i, struct lab_ktap_counts *c)
{
	const struct lab_ktap_node *nd = &t->nodes[i];

	if (nd->first < 0) {
		S_add(&c->passed, nd->status == LAB_KTAP_OK);
		S_add(&c->failed, nd->status == LAB_KTAP_FAIL);
		S_add(&c->skipped, nd->status == LAB_KTAP_SKIP);
		S_add(&c->crashed, nd->status == LAB_KTAP_CRASHED);
		return;
	}
	for (long k = nd->first; k >= 0; k = t->nodes[k].next)
		S_count(t, k, c);
}

void lab_ktap_tree_finish(struct lab_ktap_tree *t)
{
	int crashed = 0, failed = 0, passed = 0, skipped = 0;

	if (t->finished)
		return;
	while (t->nlevels > 1)
		S_node_close(t, S_pop(t));
	if (t->started)
		S_level_end(t, &t->levels[0]);
	t->finished = 1;
	/* so far the counts hold only the tests past the limit */
	crashed = t->counts.crashed > 0;
	failed = t->counts.failed > 0;
	passed = t->counts.passed > 0;
	skipped = t->counts.skipped > 0;
	for (long i = t->first; i >= 0; i = t->nodes[i].next) {
		S_count(t, i, &t->counts);
		crashed |= t->nodes[i].status == LAB_KTAP_CRASHED;
		failed |= t->nodes[i].status == LAB_KTAP_FAIL;
		passed |= t->nodes[i].status == LAB_KTAP_OK;
		skipped |= t->nodes[i].status == LAB_KTAP_SKIP;
	}
	t->status = crashed   ? LAB_KTAP_CRASHED
		    : failed  ? LAB_KTAP_FAIL
		    : passed  ? LAB_KTAP_OK
		    : skipped ? LAB_KTAP_SKIP
			      : LAB_KTAP_NONE;
}

static void S_json_node(const struct lab_ktap_tree *t, long i, struct kl_buf *out)
{
	const struct lab_ktap_node *nd = &t->nodes[i];

	kl_buf_puts(out, "{\"name\":");
	kl_buf_put_json(out, nd->name);
	kl_buf_printf(out, ",\"number\":%d,\"status\":\"%s\"", nd->number,
		      lab_ktap_status_name(nd->status));
	if (nd->directive) {
		kl_buf_puts(out, ",\"directive\":");
		kl_buf_put_json(out, nd->directive);
	}
	if (nd->diagnostic) {
		kl_buf_puts(out, ",\"diagnostic\":");
		kl_buf_put_json(out, nd->diagnostic);
	}
	kl_buf_puts(out, ",\"tests\":[");
	for (long c = nd->first; c >= 0; c = t->nodes[c].next) {
		if (c != nd->first)
			kl_buf_putc(out, ',');
		S_json_node(t, c, out);
	}
	kl_buf_puts(out, "]}");
}

void lab_ktap_tree_json(const struct lab_ktap_tree *t, struct kl_buf *out)
{
	const struct lab_ktap_counts *c = &t->counts;

	kl_buf_printf(out, "{\"ok\":%s,\"status\":\"%s\",\"tests\":[",
		      lab_ktap_status_ok(t->status) ? "true" : "false",
		      lab_ktap_status_name(t->status));
	for (long i = t->first; i >= 0; i = t->nodes[i].next) {
		if (i != t->first)
			kl_buf_putc(out, ',');
		S_json_node(t, i, out);
	}
	kl_buf_printf(out, "],\"counts\":{\"total\":%d,\"passed\":%d,\"failed\":%d,"
			   "\"skipped\":%d,\"crashed\":%d,\"errors\":%d},\"dropped\":%zu}",
		      c->passed + c->failed + c->skipped + c->crashed, c->passed, c->failed,
		      c->skipped, c->crashed, c->errors, t->dropped);
}
