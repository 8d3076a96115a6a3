/*
 * scan.c - references, ops-table initializers and kernel-doc comments of one C
 * file (see scan.h), from the tokens of lex.c. Initializers come from a small
 * state machine over the tokens that are not white space, comments or
 * directive lines (so an #ifdef inside an ops table changes nothing); the
 * names macro calls define from another over the same tokens at file level.
 */
#include "xref/scan.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "xref/lex.h"
#include "xref/names.h"

#define S_VALUE_MAX 160

enum S_state {
	S_NONE,  /* looking for `struct` */
	S_TAG,   /* after `struct`: wants T */
	S_DECL,  /* after `struct T`: qualifiers, the name, [ ], = */
	S_EQ,    /* after `=`: wants { */
	S_INIT,  /* inside the initializer */
};

struct S_init {
	enum S_state state;
	struct xref_tok type, var;
	bool array;
	int bracket;    /* [ ] depth while in S_DECL */
	int paren;      /* ( ) depth of an attribute while in S_DECL */
	int base;       /* brace depth before the initializer's { */
	int depth;      /* current brace depth inside it (base + 1 at its top) */
	struct xref_tok prev; /* the previous significant token */
	struct xref_tok member; /* .member seen, waiting for = */
	int member_state; /* 0 none, 1 saw '.', 2 saw the member, 3 in the value */
	const char *vstart, *vend;
	int vparen;     /* ( ) and { } depth inside the value */
};

static bool S_is(const struct xref_tok *t, enum xref_tok_type type, const char *s)
{
	size_t n = strlen(s);

	return t->type == type && t->n == n && memcmp(t->s, s, n) == 0;
}

static void S_emit_init(struct S_init *in, const struct xref_scan_cb *cb)
{
	char value[S_VALUE_MAX + 4];
	size_t n = 0;
	bool space = false;

	for (const char *p = in->vstart; p < in->vend && n < S_VALUE_MAX; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\\') {
			space = n > 0;
			continue;
		}
		if (space)
			value[n++] = ' ';
		space = false;
		value[n++] = *p;
	}
	value[n] = '\0';
	if (n == 0 || !cb->init)
		return;
	struct xref_init_rec rec = {
		in->type.s, in->type.n, in->member.s, in->member.n, in->var.s, in->var.n,
		value, n, in->member.line,
	};
	cb->init(cb->ctx, &rec);
}

/* A token inside the initializer (state S_INIT); depth is already updated for braces. */
static void S_init_token(struct S_init *in, const struct xref_tok *t,
			 const struct xref_scan_cb *cb)
{
	int elem = in->base + (in->array ? 2 : 1);
	bool open = xref_tok_is(t, "{") || xref_tok_is(t, "(") || xref_tok_is(t, "[");
	bool close = xref_tok_is(t, "}") || xref_tok_is(t, ")") || xref_tok_is(t, "]");

	if (in->member_state == 3) {
		if (in->vparen == 0 && (xref_tok_is(t, ",") || xref_tok_is(t, "}"))) {
			S_emit_init(in, cb);
			in->member_state = 0;
		} else {
			in->vparen += open ? 1 : close ? -1 : 0;
			in->vend = t->s + t->n;
			return;
		}
	}
	if (in->member_state == 2) {
		if (xref_tok_is(t, "=")) {
			in->member_state = 3;
			in->vparen = 0;
			in->vstart = in->vend = t->s + t->n;
			return;
		}
		in->member_state = 0;
	}
	if (in->member_state == 1) {
		in->member_state = t->type == XREF_T_IDENT ? 2 : 0;
		in->member = *t;
		return;
	}
	if (xref_tok_is(t, ".") && in->depth == elem &&
	    (xref_tok_is(&in->prev, "{") || xref_tok_is(&in->prev, ",")))
		in->member_state = 1;
}

/* `struct T ... name ... = {`: the declaration part (state S_TAG, S_DECL, S_EQ). */
static void S_decl_token(struct S_init *in, const struct xref_tok *t, int depth)
{
	switch (in->state) {
	case S_TAG:
		in->state = t->type == XREF_T_IDENT ? S_DECL : S_NONE;
		in->type = *t;
		in->var.type = XREF_T_END;
		in->array = false;
		in->bracket = in->paren = 0;
		return;
	case S_DECL:
		if (in->paren > 0) {
			in->paren += xref_tok_is(t, "(") ? 1 : xref_tok_is(t, ")") ? -1 : 0;
		} else if (in->bracket > 0) {
			in->bracket += xref_tok_is(t, "[") ? 1 : xref_tok_is(t, "]") ? -1 : 0;
		} else if (xref_tok_is(t, "[") && in->var.type == XREF_T_IDENT) {
			in->array = true;
			in->bracket = 1;
		} else if (xref_tok_is(t, "(") && in->var.type == XREF_T_IDENT &&
			   in->prev.type == XREF_T_IDENT && in->prev.n > 2 &&
			   in->prev.s[0] == '_' && in->prev.s[1] == '_') {
			in->paren = 1; /* __aligned(8), __section(".x") */
		} else if (t->type == XREF_T_IDENT) {
			bool attr = t->n > 2 && t->s[0] == '_' && t->s[1] == '_';
			if (in->var.type != XREF_T_IDENT && !attr)
				in->var = *t;
			else if (in->var.type == XREF_T_IDENT && !attr)
				in->state = S_NONE; /* two names: not a declaration we know */
		} else if (S_is(t, XREF_T_KEYWORD, "const") || S_is(t, XREF_T_KEYWORD, "volatile")) {
			/* struct T const name */
		} else if (xref_tok_is(t, "=") && in->var.type == XREF_T_IDENT) {
			in->state = S_EQ;
		} else {
			in->state = S_NONE;
		}
		return;
	case S_EQ:
		if (xref_tok_is(t, "{")) {
			in->state = S_INIT;
			in->base = depth - 1;
			in->depth = depth;
			in->member_state = 0;
		} else {
			in->state = S_NONE;
		}
		return;
	default:
		return;
	}
}

/* "name() - x", "struct name - x", "NAME - x": the name of a kernel-doc comment. */
static void S_doc(const struct xref_tok *t, const struct xref_scan_cb *cb)
{
	const char *p = t->s + 3, *end = t->s + t->n;
	int line = t->line;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '*' || *p == '\n' || *p == '\r')) {
		if (*p == '\n')
			line++;
		p++;
	}
	static const char *const words[] = { "struct ", "union ", "enum ", "typedef " };
	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(words[i]);
		if ((size_t)(end - p) > n && memcmp(p, words[i], n) == 0) {
			p += n;
			while (p < end && *p == ' ')
				p++;
			break;
		}
	}
	const char *name = p;
	while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
			   (*p >= '0' && *p <= '9')))
		p++;
	if (p == name || (*name >= '0' && *name <= '9') || (p < end && *p == ':'))
		return; /* DOC: sections and free text */
	cb->doc(cb->ctx, name, (size_t)(p - name), line);
}

/* ---- names that macro calls at file level define (for `klab check`) ---- */

enum S_macro_kind {
	S_M_NONE,
	S_M_SYSCALL,     /* SYSCALL_DEFINEn(name, ...) */
	S_M_COMPAT,      /* COMPAT_SYSCALL_DEFINEn(name, ...) */
	S_M_IDT_DEFINE,  /* DEFINE_IDTENTRY*(name) */
	S_M_IDT_DECLARE, /* DECLARE_IDTENTRY*(vector, name) */
	S_M_VAR,         /* DEFINE_*(..., name), DECLARE_*(..., name), LIST_HEAD(name) */
	S_M_ASM_FUNC,    /* SYM_*START*(name), SYM_INNER_LABEL*(name), ENTRY(name), GLOBAL(name) */
};

struct S_macro {
	int dot_macro; /* assembler: 1 after '.', 2 after ".macro" */
	enum S_macro_kind kind;
	bool open;    /* its ( seen */
	int paren;    /* ( ) depth inside its arguments */
	struct xref_tok first, last; /* its first and last identifier arguments */
};

static bool S_prefix(const struct xref_tok *t, const char *prefix)
{
	size_t n = strlen(prefix);

	return t->n >= n && memcmp(t->s, prefix, n) == 0;
}

static bool S_contains(const struct xref_tok *t, const char *part)
{
	size_t n = strlen(part);

	for (size_t i = 0; i + n <= t->n; i++)
		if (memcmp(t->s + i, part, n) == 0)
			return true;
	return false;
}

static enum S_macro_kind S_macro_kind(const struct xref_tok *t)
{
	if (t->type != XREF_T_IDENT)
		return S_M_NONE;
	if (S_prefix(t, "SYSCALL_DEFINE"))
		return S_M_SYSCALL;
	if (S_prefix(t, "COMPAT_SYSCALL_DEFINE"))
		return S_M_COMPAT;
	if (S_prefix(t, "DEFINE_IDTENTRY"))
		return S_M_IDT_DEFINE;
	if (S_prefix(t, "DECLARE_IDTENTRY"))
		return S_M_IDT_DECLARE;
	if (S_prefix(t, "DEFINE_") || S_prefix(t, "DECLARE_") || S_is(t, XREF_T_IDENT, "LIST_HEAD"))
		return S_M_VAR;
	if ((S_prefix(t, "SYM_") && (S_contains(t, "START") || S_contains(t, "INNER_LABEL"))) ||
	    S_is(t, XREF_T_IDENT, "ENTRY") || S_is(t, XREF_T_IDENT, "GLOBAL"))
		return S_M_ASM_FUNC;
	return S_M_NONE;
}

static void S_def_fmt(const struct xref_scan_cb *cb, unsigned kinds, const char *fmt,
		      const struct xref_tok *t)
{
	char name[300];
	int n;

	if (t->type != XREF_T_IDENT || t->n > 200)
		return;
	n = snprintf(name, sizeof(name), fmt, (int)t->n, t->s);
	cb->def(cb->ctx, name, (size_t)n, kinds);
}

/* The macro call's ) : what its arguments named. */
static void S_macro_end(const struct S_macro *m, const struct xref_scan_cb *cb)
{
	static const char *const sys[] = { "__x64_sys_%.*s", "__ia32_sys_%.*s", "__se_sys_%.*s",
					   "__do_sys_%.*s", "sys_%.*s" };
	static const char *const compat[] = { "__ia32_compat_sys_%.*s", "__x64_compat_sys_%.*s",
					      "__se_compat_sys_%.*s", "__do_compat_sys_%.*s",
					      "compat_sys_%.*s" };

	switch (m->kind) {
	case S_M_SYSCALL:
	case S_M_COMPAT:
		for (size_t i = 0; i < 5; i++)
			S_def_fmt(cb, XREF_N_FUNC, m->kind == S_M_SYSCALL ? sys[i] : compat[i],
				  &m->first);
		break;
	case S_M_IDT_DEFINE:
	case S_M_ASM_FUNC:
		S_def_fmt(cb, XREF_N_FUNC, "%.*s", &m->first);
		break;
	case S_M_IDT_DECLARE:
		S_def_fmt(cb, XREF_N_FUNC_DECL, "%.*s", &m->last);
		S_def_fmt(cb, XREF_N_FUNC_DECL, "asm_%.*s", &m->last);
		break;
	case S_M_VAR:
		S_def_fmt(cb, XREF_N_VAR, "%.*s", &m->last);
		break;
	case S_M_NONE:
		break;
	}
}

/* A significant token at brace depth (before t) for the macro calls. */
static void S_macro_token(struct S_macro *m, const struct xref_tok *t, int depth,
			  const struct xref_scan_cb *cb)
{
	/* .macro NAME: an assembler macro */
	if (m->dot_macro == 2 && t->type == XREF_T_IDENT)
		cb->def(cb->ctx, t->s, t->n, XREF_N_MACRO);
	if (m->dot_macro == 1 && S_is(t, XREF_T_IDENT, "macro"))
		m->dot_macro = 2;
	else
		m->dot_macro = xref_tok_is(t, ".") && depth == 0 ? 1 : 0;
	if (m->kind != S_M_NONE && !m->open) {
		if (xref_tok_is(t, "(")) {
			m->open = true;
			m->paren = 1;
			m->first.type = m->last.type = XREF_T_END;
			return;
		}
		m->kind = S_M_NONE;
	}
	if (m->kind == S_M_NONE) {
		if (depth == 0)
			m->kind = S_macro_kind(t);
		m->open = false;
		return;
	}
	if (xref_tok_is(t, "(")) {
		m->paren++;
	} else if (xref_tok_is(t, ")")) {
		if (--m->paren == 0) {
			S_macro_end(m, cb);
			m->kind = S_M_NONE;
			m->open = false;
		}
	} else if (t->type == XREF_T_IDENT && m->paren == 1) {
		if (m->first.type != XREF_T_IDENT)
			m->first = *t;
		m->last = *t;
	}
}

static bool S_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool S_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

int xref_scan_kind(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (S_has_prefix(base, "Kconfig"))
		return 'k';
	int kind = S_has_suffix(base, ".c") || S_has_suffix(base, ".h") ? 'c'
		   : S_has_suffix(base, ".S")				 ? 's'
									 : 0;
	if (!kind)
		return 0;
	/* user-space and host programs, documentation examples, other architectures */
	if (S_has_prefix(path, "tools/") || S_has_prefix(path, "scripts/") ||
	    S_has_prefix(path, "samples/") || S_has_prefix(path, "Documentation/") ||
	    S_has_prefix(path, "usr/"))
		return 0;
	if (S_has_prefix(path, "arch/") && !S_has_prefix(path, "arch/x86/"))
		return 0;
	return kind;
}

void xref_scan_c(const char *text, size_t len, const struct xref_scan_cb *cb)
{
	struct xref_lex lx;
	struct xref_tok t;
	struct S_init in;
	struct S_macro m;
	bool define = false; /* after #define: the next identifier is a macro */
	int depth = 0;

	memset(&in, 0, sizeof(in));
	memset(&m, 0, sizeof(m));
	xref_lex_init(&lx, text, len);
	for (xref_lex_next(&lx, &t); t.type != XREF_T_END; xref_lex_next(&lx, &t)) {
		if (t.type == XREF_T_COMMENT) {
			if (t.doc && cb->doc)
				S_doc(&t, cb);
			continue;
		}
		if (t.type == XREF_T_IDENT && cb->ident &&
		    !(t.pp && t.n == 7 && memcmp(t.s, "defined", 7) == 0))
			cb->ident(cb->ctx, t.s, t.n, t.line);
		if (t.pp && cb->def) {
			if (t.type == XREF_T_DIRECTIVE)
				define = t.n >= 6 && memcmp(t.s + t.n - 6, "define", 6) == 0;
			else if (define && t.type == XREF_T_IDENT)
				cb->def(cb->ctx, t.s, t.n, XREF_N_MACRO);
			if (t.type != XREF_T_SPACE && t.type != XREF_T_DIRECTIVE)
				define = false;
		}
		if (t.pp || t.type == XREF_T_SPACE)
			continue;
		if (cb->def)
			S_macro_token(&m, &t, depth, cb);
		if (xref_tok_is(&t, "{"))
			depth++;
		else if (xref_tok_is(&t, "}") && depth > 0)
			depth--;
		if (in.state == S_INIT) {
			in.depth = depth;
			S_init_token(&in, &t, cb);
			if (depth <= in.base)
				in.state = S_NONE;
		} else if (in.state != S_NONE) {
			S_decl_token(&in, &t, depth);
		} else if (S_is(&t, XREF_T_KEYWORD, "struct")) {
			in.state = S_TAG;
		}
		in.prev = t;
	}
}
