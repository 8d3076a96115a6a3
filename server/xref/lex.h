/*
 * lex.h - a C lexer for the source index and the source pages: it cuts a file
 * into tokens (identifiers, keywords, numbers, strings, character literals,
 * comments, preprocessor directives, #include paths, punctuation, white space)
 * without ever losing a byte, so the tokens laid end to end give the file back.
 *
 * It is a lexer, not a preprocessor: both sides of every #if are read and macro
 * bodies are tokens like any other. Tokens on a directive line carry pp = true.
 */
#ifndef KLAB_XREF_LEX_H
#define KLAB_XREF_LEX_H

#include <stdbool.h>
#include <stddef.h>

enum xref_tok_type {
	XREF_T_END,       /* no more input */
	XREF_T_SPACE,     /* white space, newlines and backslash-newlines */
	XREF_T_IDENT,     /* an identifier */
	XREF_T_KEYWORD,   /* a C keyword (int, struct, return, ...) */
	XREF_T_NUMBER,    /* 0x1fUL, 1e-9, .5 */
	XREF_T_STRING,    /* "..." */
	XREF_T_CHAR,      /* '...' */
	XREF_T_COMMENT,   /* slash-star or slash-slash comment */
	XREF_T_DIRECTIVE, /* '#' at the start of a line plus the directive's name */
	XREF_T_HEADER,    /* <linux/fs.h> after #include */
	XREF_T_PUNCT,     /* an operator or punctuator: '{', '==', '->', '...' */
};

struct xref_tok {
	enum xref_tok_type type;
	const char *s; /* into the text */
	size_t n;
	int line;      /* 1-based line of the token's first byte */
	bool pp;       /* on a preprocessor directive line */
	bool doc;      /* XREF_T_COMMENT: a kernel-doc comment (slash-star-star) */
};

struct xref_lex {
	const char *p, *end;
	int line;
	bool line_start;   /* only white space since the last newline */
	bool in_pp;        /* inside a directive line */
	bool pp_include;   /* the directive is #include or #include_next */
};

/* Starts lexing text[0..len). */
void xref_lex_init(struct xref_lex *lx, const char *text, size_t len);
/* The next token (XREF_T_END at the end, forever after). */
void xref_lex_next(struct xref_lex *lx, struct xref_tok *t);
/* True when t is the one-or-more-character punctuator p ("{", "=", "->"). */
bool xref_tok_is(const struct xref_tok *t, const char *p);

#endif
