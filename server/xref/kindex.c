/*
 * kindex.c - the kernel identifier index (see kindex.h): a hash table of names
 * filled by a C tokenizer and a Kconfig reader, written as one sorted file that
 * is mapped read-only and searched by bisection, plus a small in-memory overlay.
 *
 * File layout (native byte order; the file never leaves the machine):
 *   struct S_header
 *   uint32_t offsets[count]     offset in the blob of each entry, sorted by name
 *   blob                        entries "name\0" followed by the kinds as 2 bytes
 */
#include "xref/kindex.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/proc.h"
#include "core/suggest.h"
#include "xref/cache.h"
#include "xref/intern.h"
#include "xref/tarball.h"

#define S_MAGIC "KLKIDX1\n"
#define S_VERSION 5u /* bump when the scanner records differently */

struct S_header {
	char magic[8];      /* S_MAGIC */
	uint32_t version;   /* S_VERSION */
	uint32_t count;     /* entries */
	uint64_t blob_size; /* bytes of the blob */
};

/* ---- the builder: names interned (xref/intern.h) with their kinds beside them ---- */

struct kindex_builder {
	struct xref_intern names; /* name -> id (1, 2, ...) */
	uint32_t *kinds;          /* kinds[id - 1] */
	size_t kinds_cap;
};

struct kindex {
	void *map;             /* the mapped file (NULL for an overlay-only index) */
	size_t map_size;
	const uint32_t *offsets;
	const char *blob;
	uint32_t count;
	uint64_t blob_size;
	struct kindex_builder *overlay; /* System.map, Module.symvers, generated headers */
};

static void *S_calloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		abort();
	return p;
}

struct kindex_builder *kindex_builder_new(void)
{
	struct kindex_builder *b = S_calloc(1, sizeof(*b));

	xref_intern_init(&b->names);
	return b;
}

void kindex_builder_free(struct kindex_builder *b)
{
	if (!b)
		return;
	xref_intern_release(&b->names);
	free(b->kinds);
	free(b);
}

void kindex_builder_add(struct kindex_builder *b, const char *name, size_t len, unsigned kinds)
{
	int added = 0;

	if (len == 0 || len > 255)
		return;
	uint32_t id = xref_intern_add(&b->names, name, len, &added);
	if (id > b->kinds_cap) {
		size_t cap = b->kinds_cap ? b->kinds_cap * 2 : 4096;
		b->kinds = realloc(b->kinds, cap * sizeof(*b->kinds));
		if (!b->kinds)
			abort();
		b->kinds_cap = cap;
	}
	if (added)
		b->kinds[id - 1] = 0;
	b->kinds[id - 1] |= kinds;
}

unsigned kindex_builder_get(const struct kindex_builder *b, const char *name)
{
	uint32_t id = xref_intern_get(&b->names, name, strlen(name));

	return id ? b->kinds[id - 1] : 0;
}

size_t kindex_builder_count(const struct kindex_builder *b)
{
	return b->names.count;
}

/* ---- the C scanner ---- */

enum S_tok_type { S_T_NONE, S_T_IDENT, S_T_PUNCT, S_T_OTHER };

/* Keywords that matter to the scanner; S_KW_OTHER for the rest of C's. */
enum S_kw { S_KW_NONE, S_KW_OTHER, S_KW_STRUCT, S_KW_UNION, S_KW_ENUM, S_KW_TYPEDEF };

struct S_tok {
	enum S_tok_type type;
	enum S_kw kw;  /* S_T_IDENT: which keyword, if any */
	const char *s; /* S_T_IDENT: the name */
	size_t n;
	char c; /* S_T_PUNCT: the character */
};

enum S_scope { S_SC_OTHER, S_SC_AGG, S_SC_ENUM };

/* Where a file-level declaration is, for telling definitions from prototypes. */
enum S_fstate {
	S_F_NONE,         /* nothing seen */
	S_F_PARAMS,       /* inside NAME( ... ) */
	S_F_ATTR,         /* inside __attr( ... ) after the parameters */
	S_F_AFTER_PARAMS, /* NAME(...) closed: { makes a definition, ; a prototype */
};

/* File-level macro calls whose arguments name something (see S_macro_end). */
enum S_macro {
	S_M_NONE,
	S_M_SYSCALL,     /* SYSCALL_DEFINEn(name, ...) */
	S_M_COMPAT,      /* COMPAT_SYSCALL_DEFINEn(name, ...) */
	S_M_IDT_DEFINE,  /* DEFINE_IDTENTRY*(name) */
	S_M_IDT_DECLARE, /* DECLARE_IDTENTRY*(vector, name) */
	S_M_VAR,         /* DEFINE_*(..., name), DECLARE_*(..., name), LIST_HEAD(name) */
};

#define S_MAX_DEPTH 64

struct S_scan {
	struct kindex_builder *b;
	struct S_tok t1, t2, t3; /* the previous three tokens, t1 the latest */
	int depth;               /* brace depth */
	int paren;               /* parenthesis depth */
	enum S_scope scope[S_MAX_DEPTH + 1];
	enum S_fstate fstate;
	struct S_tok fname;   /* the candidate function */
	struct S_tok plain;   /* the declarator: last plain identifier of this declaration */
	struct S_tok plain2;  /* the one before, when plain is __attr-like (int x __initdata) */
	bool plain_tagged;    /* it came right after struct/union/enum (a tag, not a name) */
	bool decl_done;       /* the declarator was recorded; wait for , or ; */
	bool in_typedef;      /* a typedef is open at depth typedef_depth */
	int typedef_depth;
	struct S_tok tdname;  /* its candidate name */
	bool td_locked;       /* the name came from (*NAME) */
	enum S_macro macro;   /* inside such a macro call's parentheses */
	struct S_tok mfirst, mlast; /* its first and last identifier arguments */
};

static bool S_is_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool S_is_ident_char(unsigned char c)
{
	return S_is_ident_start(c) || (c >= '0' && c <= '9');
}

static enum S_kw S_keyword(const char *s, size_t n)
{
	static const char *const words[11] = {
		[2] = "do if ",
		[3] = "for int asm ",
		[4] = "auto case char else goto long void bool ",
		[5] = "break const float short while _Bool ",
		[6] = "double extern inline return signed sizeof static switch typeof ",
		[7] = "default __asm__ ",
		[8] = "continue register restrict unsigned volatile ",
		[10] = "__typeof__ ",
	};

	if (n < 2 || n > 10)
		return S_KW_NONE;
	if (n == 6 && memcmp(s, "struct", 6) == 0)
		return S_KW_STRUCT;
	if (n == 5 && memcmp(s, "union", 5) == 0)
		return S_KW_UNION;
	if (n == 4 && memcmp(s, "enum", 4) == 0)
		return S_KW_ENUM;
	if (n == 7 && memcmp(s, "typedef", 7) == 0)
		return S_KW_TYPEDEF;
	for (const char *w = words[n]; w && *w; w += n + 1)
		if (memcmp(w, s, n) == 0)
			return S_KW_OTHER;
	return S_KW_NONE;
}

static bool S_is_tag_word(const struct S_tok *t)
{
	return t->type == S_T_IDENT &&
	       (t->kw == S_KW_STRUCT || t->kw == S_KW_UNION || t->kw == S_KW_ENUM);
}

static bool S_is_name(const struct S_tok *t)
{
	return t->type == S_T_IDENT && t->kw == S_KW_NONE;
}

static bool S_tok_punct(const struct S_tok *t, char c)
{
	return t->type == S_T_PUNCT && t->c == c;
}

static void S_record(struct S_scan *sc, const struct S_tok *t, unsigned kinds)
{
	if (S_is_name(t))
		kindex_builder_add(sc->b, t->s, t->n, kinds);
}

static enum S_scope S_cur_scope(const struct S_scan *sc)
{
	return sc->depth <= S_MAX_DEPTH ? sc->scope[sc->depth] : S_SC_OTHER;
}

/* Decisions about the identifier t1 that needed the token after it (tok). */
static void S_after_ident(struct S_scan *sc, const struct S_tok *tok)
{
	const struct S_tok *t1 = &sc->t1;
	bool call = S_tok_punct(tok, '(');

	if (sc->paren != 0)
		return;
	/* enum { A, B = 2 }: an identifier right after { or , */
	if (S_cur_scope(sc) == S_SC_ENUM && sc->depth > 0 &&
	    (S_tok_punct(&sc->t2, '{') || S_tok_punct(&sc->t2, ',')) &&
	    (S_tok_punct(tok, ',') || S_tok_punct(tok, '=') || S_tok_punct(tok, '}')))
		S_record(sc, t1, KINDEX_ENUM_CONST);
	if (call || !S_is_name(t1))
		return;
	/* typedef ... NAME; : the last plain identifier at the typedef's level */
	if (sc->in_typedef && sc->depth == sc->typedef_depth && !sc->td_locked)
		sc->tdname = *t1;
	if (!sc->decl_done) {
		bool attr = t1->n > 2 && t1->s[0] == '_' && t1->s[1] == '_' && S_is_name(&sc->t2);
		sc->plain2 = attr ? sc->plain : (struct S_tok){ S_T_NONE, S_KW_NONE, NULL, 0, 0 };
		sc->plain = *t1;
		sc->plain_tagged = S_is_tag_word(&sc->t2);
	}
}

/* At , ; [ : = outside parentheses: the declaration's name is known. */
static void S_declarator(struct S_scan *sc, char c)
{
	if (!sc->decl_done && sc->plain.type == S_T_IDENT && !sc->plain_tagged) {
		unsigned kind = 0;
		if (S_cur_scope(sc) == S_SC_AGG && sc->depth > 0)
			kind = KINDEX_MEMBER;
		else if (sc->depth == 0 && !sc->in_typedef && sc->fstate == S_F_NONE && c != ':')
			kind = KINDEX_VAR;
		if (kind) {
			/* int x __initdata; or atomic_t __count;: record both, both are real */
			S_record(sc, &sc->plain, kind);
			S_record(sc, &sc->plain2, kind);
		}
	}
	sc->decl_done = c != ',' && c != ';';
	if (!sc->decl_done)
		sc->plain.type = S_T_NONE;
	sc->plain2.type = S_T_NONE;
}

static void S_reset_decl(struct S_scan *sc)
{
	sc->plain.type = S_T_NONE;
	sc->plain2.type = S_T_NONE;
	sc->decl_done = false;
}

static bool S_tok_prefix(const struct S_tok *t, const char *prefix)
{
	size_t n = strlen(prefix);

	return t->type == S_T_IDENT && t->n >= n && memcmp(t->s, prefix, n) == 0;
}

/* At NAME( at file level: is NAME a macro whose arguments define something? */
static enum S_macro S_macro_kind(const struct S_tok *t)
{
	if (S_tok_prefix(t, "SYSCALL_DEFINE"))
		return S_M_SYSCALL;
	if (S_tok_prefix(t, "COMPAT_SYSCALL_DEFINE"))
		return S_M_COMPAT;
	if (S_tok_prefix(t, "DEFINE_IDTENTRY"))
		return S_M_IDT_DEFINE;
	if (S_tok_prefix(t, "DECLARE_IDTENTRY"))
		return S_M_IDT_DECLARE;
	if (S_tok_prefix(t, "DEFINE_") || S_tok_prefix(t, "DECLARE_") ||
	    (t->n == 9 && memcmp(t->s, "LIST_HEAD", 9) == 0))
		return S_M_VAR;
	return S_M_NONE;
}

static void S_add_fmt(struct S_scan *sc, unsigned kinds, const char *fmt,
		      const struct S_tok *t)
{
	char name[300];
	int n;

	if (!S_is_name(t) || t->n > 200)
		return;
	n = snprintf(name, sizeof(name), fmt, (int)t->n, t->s);
	kindex_builder_add(sc->b, name, (size_t)n, kinds);
}

/* The macro call's ) : record what its arguments named. */
static void S_macro_end(struct S_scan *sc)
{
	static const char *const sys[] = { "__x64_sys_%.*s", "__ia32_sys_%.*s", "__se_sys_%.*s",
					   "__do_sys_%.*s", "sys_%.*s" };
	static const char *const compat[] = { "__ia32_compat_sys_%.*s", "__x64_compat_sys_%.*s",
					      "__se_compat_sys_%.*s", "__do_compat_sys_%.*s",
					      "compat_sys_%.*s" };

	switch (sc->macro) {
	case S_M_SYSCALL:
	case S_M_COMPAT:
		for (size_t i = 0; i < 5; i++)
			S_add_fmt(sc, KINDEX_FUNC, sc->macro == S_M_SYSCALL ? sys[i] : compat[i],
				  &sc->mfirst);
		break;
	case S_M_IDT_DEFINE:
		S_record(sc, &sc->mfirst, KINDEX_FUNC);
		break;
	case S_M_IDT_DECLARE:
		S_record(sc, &sc->mlast, KINDEX_FUNC_DECL);
		S_add_fmt(sc, KINDEX_FUNC_DECL, "asm_%.*s", &sc->mlast);
		break;
	case S_M_VAR:
		S_record(sc, &sc->mlast, KINDEX_VAR);
		break;
	case S_M_NONE:
		break;
	}
	sc->macro = S_M_NONE;
	sc->mfirst.type = sc->mlast.type = S_T_NONE;
}

static void S_open_brace(struct S_scan *sc)
{
	enum S_scope scope = S_SC_OTHER;

	if (sc->paren == 0) {
		if (S_is_name(&sc->t1) && S_is_tag_word(&sc->t2)) {
			unsigned kind = sc->t2.kw == S_KW_STRUCT  ? KINDEX_STRUCT
					: sc->t2.kw == S_KW_UNION ? KINDEX_UNION
								  : KINDEX_ENUM;
			S_record(sc, &sc->t1, kind);
			scope = kind == KINDEX_ENUM ? S_SC_ENUM : S_SC_AGG;
		} else if (S_is_tag_word(&sc->t1)) {
			scope = sc->t1.kw == S_KW_ENUM ? S_SC_ENUM : S_SC_AGG;
		}
	}
	if (sc->depth == 0 && sc->fstate == S_F_AFTER_PARAMS)
		S_record(sc, &sc->fname, KINDEX_FUNC);
	if (sc->depth == 0)
		sc->fstate = S_F_NONE;
	sc->depth++;
	if (sc->depth <= S_MAX_DEPTH)
		sc->scope[sc->depth] = scope;
	S_reset_decl(sc);
}

static void S_punct(struct S_scan *sc, const struct S_tok *tok)
{
	char c = tok->c;

	switch (c) {
	case '(':
		if (sc->depth == 0 && sc->paren == 0) {
			bool attr = sc->fstate == S_F_AFTER_PARAMS && sc->t1.type == S_T_IDENT &&
				    sc->t1.n > 2 && sc->t1.s[0] == '_' && sc->t1.s[1] == '_';
			if (attr) {
				sc->fstate = S_F_ATTR;
			} else if (S_is_name(&sc->t1)) {
				sc->fname = sc->t1;
				sc->fstate = S_F_PARAMS;
				sc->macro = S_macro_kind(&sc->t1);
			} else {
				sc->fstate = S_F_NONE;
			}
		}
		sc->paren++;
		break;
	case ')':
		if (sc->paren > 0)
			sc->paren--;
		/* (*NAME): a function pointer member, variable or typedef */
		if (sc->paren == 0 && S_is_name(&sc->t1) && S_tok_punct(&sc->t2, '*') &&
		    S_tok_punct(&sc->t3, '(')) {
			if (sc->in_typedef && sc->depth == sc->typedef_depth) {
				sc->tdname = sc->t1;
				sc->td_locked = true;
			} else if (S_cur_scope(sc) == S_SC_AGG && sc->depth > 0) {
				S_record(sc, &sc->t1, KINDEX_MEMBER);
				sc->decl_done = true;
			} else if (sc->depth == 0) {
				S_record(sc, &sc->t1, KINDEX_VAR);
				sc->decl_done = true;
			}
		}
		if (sc->depth == 0 && sc->paren == 0 &&
		    (sc->fstate == S_F_PARAMS || sc->fstate == S_F_ATTR))
			sc->fstate = S_F_AFTER_PARAMS;
		if (sc->paren == 0 && sc->macro != S_M_NONE)
			S_macro_end(sc);
		break;
	case '{':
		S_open_brace(sc);
		break;
	case '}':
		if (sc->depth > 0)
			sc->depth--;
		if (sc->depth == 0)
			sc->fstate = S_F_NONE;
		S_reset_decl(sc);
		break;
	case ';':
	case ',':
		if (sc->paren != 0)
			break;
		S_declarator(sc, c);
		if (sc->depth == 0 && sc->fstate == S_F_AFTER_PARAMS)
			S_record(sc, &sc->fname, KINDEX_FUNC_DECL);
		if (sc->depth == 0)
			sc->fstate = S_F_NONE;
		if (sc->in_typedef && sc->depth == sc->typedef_depth) {
			S_record(sc, &sc->tdname, KINDEX_TYPEDEF);
			sc->tdname.type = S_T_NONE;
			sc->td_locked = false;
			if (c == ';')
				sc->in_typedef = false;
		}
		break;
	case '[':
	case ':':
	case '=':
		if (sc->paren != 0)
			break;
		S_declarator(sc, c);
		if (c == '=' && sc->depth == 0)
			sc->fstate = S_F_NONE;
		break;
	default:
		break;
	}
}

static void S_token(struct S_scan *sc, const struct S_tok *tok)
{
	if (sc->t1.type == S_T_IDENT)
		S_after_ident(sc, tok);
	if (tok->type == S_T_PUNCT) {
		S_punct(sc, tok);
	} else if (tok->type == S_T_IDENT) {
		if (sc->paren == 0 && tok->kw == S_KW_TYPEDEF) {
			sc->in_typedef = true;
			sc->typedef_depth = sc->depth;
			sc->tdname.type = S_T_NONE;
			sc->td_locked = false;
		}
		if (sc->macro != S_M_NONE && sc->paren == 1) {
			if (sc->mfirst.type == S_T_NONE)
				sc->mfirst = *tok;
			sc->mlast = *tok;
		}
		/* .macro NAME in assembler headers */
		if (sc->t1.type == S_T_IDENT && sc->t1.n == 5 && memcmp(sc->t1.s, "macro", 5) == 0 &&
		    S_tok_punct(&sc->t2, '.'))
			S_record(sc, tok, KINDEX_MACRO);
		/* NAME(...) followed by two plain words: another declaration started */
		if (sc->depth == 0 && sc->fstate == S_F_AFTER_PARAMS && sc->t1.type == S_T_IDENT)
			sc->fstate = S_F_NONE;
	}
	if (S_tok_punct(tok, '*') && sc->depth == 0 && sc->fstate == S_F_AFTER_PARAMS &&
	    sc->t1.type == S_T_IDENT)
		sc->fstate = S_F_NONE;
	sc->t3 = sc->t2;
	sc->t2 = sc->t1;
	sc->t1 = *tok;
}

/* Skips a comment, string or character literal at p; returns where it ends. */
static const char *S_skip_literal(const char *p, const char *end)
{
	if (p[0] == '/' && p + 1 < end && p[1] == '*') {
		const char *q = p + 2;
		while (q + 1 < end && !(q[0] == '*' && q[1] == '/'))
			q++;
		return q + 1 < end ? q + 2 : end;
	}
	if (p[0] == '/' && p + 1 < end && p[1] == '/') {
		const char *q = memchr(p, '\n', (size_t)(end - p));
		return q ? q : end;
	}
	/* "..." or '...': escapes honoured, never past the end of the line */
	char quote = *p;
	const char *q = p + 1;
	while (q < end && *q != quote && *q != '\n') {
		if (*q == '\\' && q + 1 < end)
			q++;
		q++;
	}
	return q < end && *q == quote ? q + 1 : q;
}

/* A preprocessor directive starting at p (just after '#'); returns the end of its line. */
static const char *S_directive(struct S_scan *sc, const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p > 6 && memcmp(p, "define", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
		p += 6;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *name = p;
		while (p < end && S_is_ident_char((unsigned char)*p))
			p++;
		if (p > name && S_is_ident_start((unsigned char)*name))
			kindex_builder_add(sc->b, name, (size_t)(p - name),
					   p < end && *p == '(' ? KINDEX_FMACRO : KINDEX_MACRO);
	}
	while (p < end && *p != '\n') {
		if (*p == '\\' && p + 1 < end && p[1] == '\n') {
			p += 2;
		} else if (*p == '\\' && p + 2 < end && p[1] == '\r' && p[2] == '\n') {
			p += 3;
		} else if (*p == '"' || *p == '\'' ||
			   (*p == '/' && p + 1 < end && (p[1] == '*' || p[1] == '/'))) {
			p = S_skip_literal(p, end);
		} else {
			p++;
		}
	}
	return p;
}

void kindex_scan_c(struct kindex_builder *b, const char *text, size_t len)
{
	struct S_scan sc;
	const char *p = text, *end = text + len;
	bool bol = true; /* only blanks since the start of the line */

	memset(&sc, 0, sizeof(sc));
	sc.b = b;
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		struct S_tok tok = { S_T_NONE, S_KW_NONE, NULL, 0, 0 };

		if (c == '\n') {
			bol = true;
			p++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			p++;
			continue;
		}
		if (c == '\\' && p + 1 < end && p[1] == '\n') {
			p += 2;
			continue;
		}
		if (c == '#' && bol) {
			p = S_directive(&sc, p + 1, end);
			continue;
		}
		bol = false;
		if (c == '/' && p + 1 < end && (p[1] == '*' || p[1] == '/')) {
			p = S_skip_literal(p, end);
			continue;
		}
		if (c == '"' || c == '\'') {
			p = S_skip_literal(p, end);
			tok.type = S_T_OTHER;
		} else if (S_is_ident_start(c)) {
			tok.type = S_T_IDENT;
			tok.s = p;
			while (p < end && S_is_ident_char((unsigned char)*p))
				p++;
			tok.n = (size_t)(p - tok.s);
			tok.kw = S_keyword(tok.s, tok.n);
		} else if (c >= '0' && c <= '9') {
			tok.type = S_T_OTHER;
			while (p < end && (S_is_ident_char((unsigned char)*p) || *p == '.'))
				p++;
		} else {
			/* a brace in column 0 ends (or starts) a file-level block: resync */
			bool col0 = p == text || p[-1] == '\n';
			if (col0 && (c == '}' || c == '{')) {
				sc.depth = c == '}' ? 1 : 0;
				sc.paren = 0;
				sc.macro = S_M_NONE;
			}
			tok.type = S_T_PUNCT;
			tok.c = (char)c;
			p++;
		}
		S_token(&sc, &tok);
	}
}

void kindex_scan_asm(struct kindex_builder *b, const char *text, size_t len)
{
	struct S_scan sc;
	const char *p = text, *end = text + len;

	memset(&sc, 0, sizeof(sc));
	sc.b = b;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		if (p < eol && *p == '#') {
			p = S_directive(&sc, p + 1, end);
			p = p < end ? p + 1 : end;
			continue;
		}
		const char *w = p;
		while (p < eol && (S_is_ident_char((unsigned char)*p) || *p == '.'))
			p++;
		size_t wn = (size_t)(p - w);
		unsigned kind = 0;
		if (wn == 6 && memcmp(w, ".macro", 6) == 0) {
			kind = KINDEX_MACRO;
		} else if (p < eol && *p == '(' &&
			   ((wn > 4 && memcmp(w, "SYM_", 4) == 0 &&
			     (memmem(w, wn, "START", 5) || memmem(w, wn, "INNER_LABEL", 11))) ||
			    (wn == 5 && memcmp(w, "ENTRY", 5) == 0) ||
			    (wn == 6 && memcmp(w, "GLOBAL", 6) == 0))) {
			kind = KINDEX_FUNC;
			p++;
		}
		if (kind) {
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			const char *name = p;
			while (p < eol && S_is_ident_char((unsigned char)*p))
				p++;
			if (p > name && S_is_ident_start((unsigned char)*name))
				kindex_builder_add(b, name, (size_t)(p - name), kind);
		}
		p = eol + 1;
	}
}

void kindex_scan_kconfig(struct kindex_builder *b, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		size_t skip = 0;
		if (eol - p > 7 && memcmp(p, "config", 6) == 0 && (p[6] == ' ' || p[6] == '\t'))
			skip = 6;
		else if (eol - p > 11 && memcmp(p, "menuconfig", 10) == 0 &&
			 (p[10] == ' ' || p[10] == '\t'))
			skip = 10;
		if (skip) {
			p += skip;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			const char *name = p;
			while (p < eol && S_is_ident_char((unsigned char)*p))
				p++;
			if (p > name && p - name < 200) {
				char full[256];
				int n = snprintf(full, sizeof(full), "CONFIG_%.*s", (int)(p - name),
						 name);
				kindex_builder_add(b, full, (size_t)n, KINDEX_KCONFIG);
			}
		}
		p = eol + 1;
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

int kindex_scan_kind(const char *path)
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

/* Adds path and each folder above it (path is relative, without a trailing '/'). */
static void S_add_path(struct kindex_builder *b, const char *path, unsigned kind)
{
	size_t n = strlen(path);

	while (n && path[n - 1] == '/')
		n--;
	if (!n)
		return;
	kindex_builder_add(b, path, n, kind);
	for (size_t i = n; i-- > 1;)
		if (path[i] == '/')
			kindex_builder_add(b, path, i, KINDEX_DIR);
}

/* ---- writing and reading the index file ---- */

/* Orders ids by their names (qsort_r's context: the builder). */
static int S_cmp_id(const void *a, const void *b, void *ctx)
{
	const struct xref_intern *in = ctx;

	return strcmp(xref_intern_name(in, *(const uint32_t *)a),
		      xref_intern_name(in, *(const uint32_t *)b));
}

int kindex_builder_write(const struct kindex_builder *b, const char *path, struct kl_err *err)
{
	size_t count = b->names.count;
	uint32_t *ids = malloc((count ? count : 1) * sizeof(*ids));
	uint32_t *offsets = malloc((count ? count : 1) * sizeof(*offsets));
	char *tmp = kl_sprintf("%s.tmp.%ld", path, (long)getpid());
	struct S_header h;
	FILE *f = NULL;
	size_t n = 0;
	uint64_t off = 0;
	int rc = -1;

	if (!ids || !offsets)
		abort();
	for (uint32_t id = 1; id <= count; id++)
		ids[n++] = id;
	qsort_r(ids, n, sizeof(*ids), S_cmp_id, (void *)&b->names);
	for (size_t i = 0; i < n; i++) {
		if (off > UINT32_MAX - 512) {
			kl_err_set(err, "the kernel index for %s would exceed 4 GiB", path);
			goto out_free;
		}
		offsets[i] = (uint32_t)off;
		off += strlen(xref_intern_name(&b->names, ids[i])) + 3;
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, S_MAGIC, sizeof(h.magic));
	h.version = S_VERSION;
	h.count = (uint32_t)n;
	h.blob_size = off;
	f = fopen(tmp, "wb");
	if (!f) {
		kl_err_errno(err, "cannot create %s", tmp);
		goto out_free;
	}
	if (fwrite(&h, sizeof(h), 1, f) != 1 ||
	    (n && fwrite(offsets, sizeof(*offsets), n, f) != n))
		goto out_write;
	for (size_t i = 0; i < n; i++) {
		const char *name = xref_intern_name(&b->names, ids[i]);
		unsigned kinds = b->kinds[ids[i] - 1];
		unsigned char k[2] = { (unsigned char)(kinds & 0xff), (unsigned char)(kinds >> 8) };
		if (fwrite(name, strlen(name) + 1, 1, f) != 1 ||
		    fwrite(k, 2, 1, f) != 1)
			goto out_write;
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		goto out_write;
	if (fclose(f) != 0) {
		f = NULL;
		goto out_write;
	}
	f = NULL;
	if (rename(tmp, path) != 0) {
		kl_err_errno(err, "cannot rename %s to %s", tmp, path);
		goto out_unlink;
	}
	rc = 0;
	goto out_free;
out_write:
	kl_err_errno(err, "cannot write %s", tmp);
	if (f)
		fclose(f);
out_unlink:
	unlink(tmp);
out_free:
	free(tmp);
	free(offsets);
	free(ids);
	return rc;
}

int kindex_open(const char *path, struct kindex **out, struct kl_err *err)
{
	struct kindex *kx = S_calloc(1, sizeof(*kx));
	struct S_header h;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	kx->overlay = kindex_builder_new();
	if (fd < 0) {
		kl_err_errno(err, "cannot open the kernel index %s", path);
		goto out_free;
	}
	if (fstat(fd, &st) != 0 || (size_t)st.st_size < sizeof(h)) {
		kl_err_set(err, "the kernel index %s is truncated: delete it and run `klab check` "
				"again", path);
		goto out_close;
	}
	kx->map_size = (size_t)st.st_size;
	kx->map = mmap(NULL, kx->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (kx->map == MAP_FAILED) {
		kx->map = NULL;
		kl_err_errno(err, "cannot map the kernel index %s", path);
		goto out_close;
	}
	memcpy(&h, kx->map, sizeof(h));
	if (memcmp(h.magic, S_MAGIC, sizeof(h.magic)) != 0 || h.version != S_VERSION ||
	    sizeof(h) + (uint64_t)h.count * 4 + h.blob_size != kx->map_size) {
		kl_err_set(err, "%s is not a kernel index of this klab version: delete it and run "
				"`klab check` again", path);
		goto out_close;
	}
	kx->count = h.count;
	kx->blob_size = h.blob_size;
	kx->offsets = (const uint32_t *)((const char *)kx->map + sizeof(h));
	kx->blob = (const char *)(kx->offsets + h.count);
	close(fd);
	*out = kx;
	return 0;
out_close:
	close(fd);
out_free:
	kindex_close(kx);
	return -1;
}

void kindex_close(struct kindex *kx)
{
	if (!kx)
		return;
	if (kx->map)
		munmap(kx->map, kx->map_size);
	kindex_builder_free(kx->overlay);
	free(kx);
}

size_t kindex_count(const struct kindex *kx)
{
	return kx->count;
}

/* The name of entry i, or NULL when its offset is corrupt. */
static const char *S_entry(const struct kindex *kx, uint32_t i, size_t *len)
{
	uint64_t off = kx->offsets[i];

	if (off >= kx->blob_size)
		return NULL;
	const char *s = kx->blob + off;
	const char *nul = memchr(s, '\0', (size_t)(kx->blob_size - off));
	if (!nul || (uint64_t)(nul - kx->blob) + 3 > kx->blob_size)
		return NULL;
	*len = (size_t)(nul - s);
	return s;
}

unsigned kindex_lookup(const struct kindex *kx, const char *name)
{
	unsigned kinds = kindex_builder_get(kx->overlay, name);
	uint32_t lo = 0, hi = kx->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		size_t len;
		const char *s = S_entry(kx, mid, &len);
		if (!s)
			break;
		int c = strcmp(name, s);
		if (c == 0) {
			const unsigned char *k = (const unsigned char *)s + len + 1;
			return kinds | k[0] | ((unsigned)k[1] << 8);
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return kinds;
}

/* The first entry whose name is not below prefix[0..n) in the file's order. */
static uint32_t S_lower_bound(const struct kindex *kx, const char *prefix, size_t n)
{
	uint32_t lo = 0, hi = kx->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		size_t len;
		const char *s = S_entry(kx, mid, &len);
		int c = s ? strncmp(s, prefix, n) : 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct S_best {
	const char *name; /* into the map */
	size_t len, dist, dlen;
};

/* Scans the names that start with prefix[0..plen) for the nearest to word. */
static void S_suggest_range(const struct kindex *kx, const char *prefix, size_t plen,
			    const char *word, size_t n, unsigned kinds, size_t max,
			    struct S_best *best)
{
	for (uint32_t i = S_lower_bound(kx, prefix, plen); i < kx->count; i++) {
		size_t len;
		const char *s = S_entry(kx, i, &len);
		if (!s || strncmp(s, prefix, plen) != 0)
			break;
		size_t dlen = len > n ? len - n : n - len;
		if (dlen > max || (len == n && memcmp(s, word, n) == 0))
			continue;
		const unsigned char *k = (const unsigned char *)s + len + 1;
		if (!((k[0] | ((unsigned)k[1] << 8)) & kinds))
			continue;
		size_t d = kl_suggest_distance_max(word, n, s, len, max);
		if (d > max)
			continue;
		if (!best->name || d < best->dist || (d == best->dist && dlen < best->dlen) ||
		    (d == best->dist && dlen == best->dlen && strcmp(s, best->name) < 0))
			*best = (struct S_best){ s, len, d, dlen };
	}
}

/* The shortest name of a kind in kinds that is word + "_...": a name that grew a part. */
static bool S_suggest_longer(const struct kindex *kx, const char *word, unsigned kinds,
			     struct S_best *best)
{
	char prefix[258];
	size_t n = strlen(word);

	snprintf(prefix, sizeof(prefix), "%s_", word);
	/* a short word starts too many names to scan them all: the first few thousand */
	uint32_t i = S_lower_bound(kx, prefix, n + 1), end = i + 4096;
	for (; i < kx->count && i < end; i++) {
		size_t len;
		const char *s = S_entry(kx, i, &len);
		if (!s || strncmp(s, prefix, n + 1) != 0)
			break;
		const unsigned char *k = (const unsigned char *)s + len + 1;
		if (((k[0] | ((unsigned)k[1] << 8)) & kinds) && (!best->name || len < best->len ||
		    (len == best->len && strcmp(s, best->name) < 0)))
			*best = (struct S_best){ s, len, 0, len - n };
	}
	return best->name != NULL;
}

bool kindex_suggest(const struct kindex *kx, const char *word, unsigned kinds, char *out,
		    size_t size)
{
	size_t n = strlen(word), max = n <= 10 ? 1 : 2;
	struct S_best best = { NULL, 0, 0, 0 }, longer = { NULL, 0, 0, 0 };

	if (n < 2 || n > 255 || size == 0)
		return false;
	const char swapped[2] = { word[1], word[0] };
	S_suggest_range(kx, word, 1, word, n, kinds, max, &best);
	if (n > 3)
		S_suggest_range(kx, word + 1, 2, word, n, kinds, max, &best);
	if (word[0] != word[1])
		S_suggest_range(kx, swapped, 2, word, n, kinds, max, &best);
	/* one edit is a typo; a name that grew or lost a part beats two edits */
	if ((!best.name || best.dist > 1) && n >= 4 && S_suggest_longer(kx, word, kinds, &longer))
		best = longer;
	for (size_t i = n - 1; (!best.name || best.dist > 1) && i >= 4; i--) {
		char head[256];
		if (word[i] != '_' || word[i - 1] == '_')
			continue;
		memcpy(head, word, i);
		head[i] = '\0';
		if (kindex_lookup(kx, head) & kinds) {
			snprintf(out, size, "%s", head);
			return true;
		}
	}
	if (!best.name)
		return false;
	snprintf(out, size, "%.*s", (int)best.len, best.name);
	return true;
}

/* ---- the overlay ---- */

int kindex_add_system_map(struct kindex *kx, const char *path, size_t *added,
			  struct kl_err *err)
{
	struct kl_buf text = KL_BUF_INIT;
	size_t n = 0;

	if (kl_read_file(path, &text, 0, err) < 0)
		return -1;
	const char *p = kl_buf_str(&text), *end = p + text.len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		/* "ffffffff81000000 T name" */
		const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
		const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
		if (sp2 && sp2 - sp1 == 2 && eol - sp2 > 1 && !memchr(sp2 + 1, ' ', (size_t)(eol - sp2 - 1))) {
			const char *name = sp2 + 1;
			size_t len = (size_t)(eol - name);
			kindex_builder_add(kx->overlay, name, len, KINDEX_SYMBOL);
			const char *dot = memchr(name, '.', len);
			if (dot && dot > name)
				kindex_builder_add(kx->overlay, name, (size_t)(dot - name),
						   KINDEX_SYMBOL);
			n++;
		}
		p = eol + 1;
	}
	kl_buf_release(&text);
	if (added)
		*added = n;
	return 0;
}

int kindex_add_symvers(struct kindex *kx, const char *path, size_t *added, struct kl_err *err)
{
	struct kl_buf text = KL_BUF_INIT;
	size_t n = 0;

	if (kl_read_file(path, &text, 0, err) < 0)
		return -1;
	const char *p = kl_buf_str(&text), *end = p + text.len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		/* "0xcrc\tname\tmodule\tEXPORT_SYMBOL\tnamespace" */
		const char *tab = memchr(p, '\t', (size_t)(eol - p));
		if (tab) {
			const char *name = tab + 1;
			const char *tab2 = memchr(name, '\t', (size_t)(eol - name));
			if (tab2 && tab2 > name) {
				kindex_builder_add(kx->overlay, name, (size_t)(tab2 - name),
						   KINDEX_SYMBOL);
				n++;
			}
		}
		p = eol + 1;
	}
	kl_buf_release(&text);
	if (added)
		*added = n;
	return 0;
}

/* Scans the .h files under dir/rel, recursively, without following symlinks. */
static int S_add_headers_dir(struct kindex *kx, const char *dir, const char *rel, size_t *n,
			     struct kl_err *err)
{
	char *path = *rel ? kl_path_join(dir, rel) : kl_strdup(dir);
	DIR *d = opendir(path);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		kl_err_errno(err, "cannot list %s", path);
		free(path);
		return -1;
	}
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *sub = *rel ? kl_path_join(rel, de->d_name) : kl_strdup(de->d_name);
		char *full = kl_path_join(dir, sub);
		struct stat st;
		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			rc = S_add_headers_dir(kx, dir, sub, n, err);
		} else if (S_ISREG(st.st_mode) && S_has_suffix(sub, ".h")) {
			struct kl_buf text = KL_BUF_INIT;
			rc = kl_read_file(full, &text, 64u << 20, err);
			if (rc == 0) {
				kindex_scan_c(kx->overlay, kl_buf_str(&text), text.len);
				S_add_path(kx->overlay, sub, KINDEX_FILE);
				(*n)++;
			}
			kl_buf_release(&text);
		}
		free(full);
		free(sub);
	}
	closedir(d);
	free(path);
	return rc;
}

int kindex_add_headers(struct kindex *kx, const char *dir, size_t *added, struct kl_err *err)
{
	size_t n = 0;
	int rc = S_add_headers_dir(kx, dir, "", &n, err);

	if (added)
		*added = n;
	return rc;
}

/* ---- building from the tarball ---- */

struct S_build {
	struct kindex_builder *b;
	struct kindex_stats st;
};

static int S_build_entry(void *ctx, const char *path, enum xref_tar_type type, long long size,
			 struct kl_err *err)
{
	struct S_build *bd = ctx;

	bd->st.files++;
	S_add_path(bd->b, path, type == XREF_TAR_DIR ? KINDEX_DIR : KINDEX_FILE);
	return type == XREF_TAR_FILE && kindex_scan_kind(path) != 0;
}

static int S_build_data(void *ctx, const char *path, const char *data, size_t len,
			struct kl_err *err)
{
	struct S_build *bd = ctx;
	int kind = kindex_scan_kind(path);

	if (kind == 'c')
		kindex_scan_c(bd->b, data, len);
	else if (kind == 's')
		kindex_scan_asm(bd->b, data, len);
	else
		kindex_scan_kconfig(bd->b, data, len);
	bd->st.scanned++;
	bd->st.bytes += len;
	return 0;
}

int kindex_build(const char *tarball, const char *out_path, struct kindex_stats *stats,
		 struct kl_err *err)
{
	struct S_build bd = { kindex_builder_new(), { 0 } };
	const struct xref_tar_cb cb = { &bd, S_build_entry, S_build_data };
	double t0 = kl_now();
	int rc = -1;

	if (xref_tarball_read(tarball, 64ll << 20, &cb, err) < 0)
		goto out;
	if (bd.st.files == 0) {
		kl_err_set(err, "%s holds no files: reinstall linux-source-6.1 with `make setup`",
			   tarball);
		goto out;
	}
	if (kindex_builder_write(bd.b, out_path, err) < 0)
		goto out;
	bd.st.names = kindex_builder_count(bd.b);
	bd.st.seconds = kl_now() - t0;
	if (stats)
		*stats = bd.st;
	rc = 0;
out:
	kindex_builder_free(bd.b);
	return rc;
}

/* The tarball's name without folder and .tar.*: "linux-source-6.1". */
static void S_stem(const char *tarball, char *out, size_t size)
{
	const char *base = strrchr(tarball, '/');
	const char *tar;

	base = base ? base + 1 : tarball;
	tar = strstr(base, ".tar");
	snprintf(out, size, "%.*s", tar ? (int)(tar - base) : (int)strlen(base), base);
}

int kindex_source_key(const char *tarball, char *out, size_t size, struct kl_err *err)
{
	struct stat st;
	char name[256];

	if (stat(tarball, &st) != 0 || !S_ISREG(st.st_mode))
		return kl_err_set(err, "the kernel source %s is missing: run `make setup` (it "
				       "installs linux-source-6.1)", tarball);
	S_stem(tarball, name, sizeof(name));
	snprintf(out, size, "%s-%lld-%lld", name, (long long)st.st_size, (long long)st.st_mtime);
	return 0;
}

int kindex_path(const char *cache, const char *tarball, char **path, struct kl_err *err)
{
	char key[320];

	*path = NULL;
	if (kindex_source_key(tarball, key, sizeof(key), err) < 0)
		return -1;
	*path = kl_sprintf("%s/kindex/%s.v%u.idx", cache, key, S_VERSION);
	return 0;
}

/* True when path holds a whole index of this version (a crash never leaves half of one,
 * but a full disk or a hand edit might). */
static bool S_index_ok(const char *path)
{
	struct S_header h;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = fstat(fd, &st) == 0 && read(fd, &h, sizeof(h)) == (ssize_t)sizeof(h) &&
	     memcmp(h.magic, S_MAGIC, sizeof(h.magic)) == 0 && h.version == S_VERSION &&
	     sizeof(h) + (uint64_t)h.count * 4 + h.blob_size == (uint64_t)st.st_size;
	close(fd);
	return ok;
}

struct S_ensure {
	const char *tarball;
	struct kindex_stats *stats;
};

static int S_ensure_build(void *ctx, const char *path, struct kl_err *err)
{
	struct S_ensure *e = ctx;

	return kindex_build(e->tarball, path, e->stats, err);
}

int kindex_ensure(const char *cache, const char *tarball, char **path, int *built,
		  struct kindex_stats *stats, struct kl_err *err)
{
	struct S_ensure e = { tarball, stats };
	const struct xref_cache_build b = { ".idx", S_index_ok, S_ensure_build, &e };

	*built = 0;
	if (kindex_path(cache, tarball, path, err) < 0)
		return -1;
	return xref_cache_ensure(cache, "kindex", path, &b, built, err);
}
