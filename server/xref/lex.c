/*
 * lex.c - the C lexer of the source index (see lex.h). One pass, no copies: a
 * token points into the text. Unterminated strings stop at the end of their
 * line and unterminated comments at the end of the file, so bad input never
 * makes it read past the end.
 */
#include "xref/lex.h"

#include <string.h>

static bool S_ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool S_ident_char(unsigned char c)
{
	return S_ident_start(c) || (c >= '0' && c <= '9');
}

static bool S_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* C11's keywords plus the GNU spellings the kernel uses. */
static bool S_keyword(const char *s, size_t n)
{
	static const char *const words[] = {
		"auto", "break", "case", "char", "const", "continue", "default", "do",
		"double", "else", "enum", "extern", "float", "for", "goto", "if", "inline",
		"int", "long", "register", "restrict", "return", "short", "signed", "sizeof",
		"static", "struct", "switch", "typedef", "union", "unsigned", "void",
		"volatile", "while", "_Bool", "_Static_assert", "_Alignof", "_Alignas",
		"_Noreturn", "_Thread_local", "_Generic", "asm", "__asm__", "typeof",
		"__typeof__", "__inline__", "__volatile__", "__attribute__", "bool",
	};

	if (n < 2 || n > 14)
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
			return true;
	return false;
}

void xref_lex_init(struct xref_lex *lx, const char *text, size_t len)
{
	lx->p = text;
	lx->end = text + len;
	lx->line = 1;
	lx->line_start = true;
	lx->in_pp = false;
	lx->pp_include = false;
}

bool xref_tok_is(const struct xref_tok *t, const char *p)
{
	size_t n = strlen(p);

	return t->type == XREF_T_PUNCT && t->n == n && memcmp(t->s, p, n) == 0;
}

/* White space from p; a newline not escaped by a backslash ends a directive. */
static const char *S_space(struct xref_lex *lx, const char *p)
{
	while (p < lx->end) {
		if (*p == '\n') {
			lx->line++;
			lx->line_start = true;
			lx->in_pp = false;
			p++;
		} else if (*p == '\\' && p + 1 < lx->end && p[1] == '\n') {
			lx->line++;
			p += 2;
		} else if (*p == '\\' && p + 2 < lx->end && p[1] == '\r' && p[2] == '\n') {
			lx->line++;
			p += 3;
		} else if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v') {
			p++;
		} else {
			break;
		}
	}
	return p;
}

/* A comment starting at p ("slash-star" or "slash-slash"); counts its newlines. */
static const char *S_comment(struct xref_lex *lx, const char *p)
{
	if (p[1] == '/') {
		while (p < lx->end && *p != '\n') {
			if (*p == '\\' && p + 1 < lx->end && p[1] == '\n') {
				lx->line++;
				p++;
			}
			p++;
		}
		return p;
	}
	p += 2;
	while (p < lx->end) {
		if (*p == '*' && p + 1 < lx->end && p[1] == '/')
			return p + 2;
		if (*p == '\n')
			lx->line++;
		p++;
	}
	return p;
}

/* A string or character literal from p (at its quote), ending at the line's end at worst. */
static const char *S_quoted(struct xref_lex *lx, const char *p)
{
	char q = *p++;

	while (p < lx->end && *p != q && *p != '\n') {
		if (*p == '\\' && p + 1 < lx->end) {
			if (p[1] == '\n')
				lx->line++;
			p++;
		}
		p++;
	}
	return p < lx->end && *p == q ? p + 1 : p;
}

static const char *S_number(const char *p, const char *end)
{
	while (p < end) {
		unsigned char c = (unsigned char)*p;
		if ((c == '+' || c == '-') &&
		    (p[-1] == 'e' || p[-1] == 'E' || p[-1] == 'p' || p[-1] == 'P'))
			p++;
		else if (S_ident_char(c) || c == '.' || c == '\'')
			p++;
		else
			break;
	}
	return p;
}

/* Punctuators of two or three characters; anything else is one. */
static size_t S_punct_len(const char *p, const char *end)
{
	static const char *const three[] = { "...", "<<=", ">>=" };
	static const char *const two[] = { "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=",
					   "&&", "||", "*=", "/=", "%=", "+=", "-=", "&=", "^=",
					   "|=", "##" };
	size_t left = (size_t)(end - p);

	for (size_t i = 0; left >= 3 && i < sizeof(three) / sizeof(three[0]); i++)
		if (memcmp(p, three[i], 3) == 0)
			return 3;
	for (size_t i = 0; left >= 2 && i < sizeof(two) / sizeof(two[0]); i++)
		if (memcmp(p, two[i], 2) == 0)
			return 2;
	return 1;
}

/* '#' at the start of a line: the '#', spaces and the directive's name. */
static const char *S_directive(struct xref_lex *lx, const char *p)
{
	const char *name;

	p++;
	while (p < lx->end && (*p == ' ' || *p == '\t'))
		p++;
	name = p;
	while (p < lx->end && S_ident_char((unsigned char)*p))
		p++;
	lx->in_pp = true;
	lx->pp_include = (p - name == 7 && memcmp(name, "include", 7) == 0) ||
			 (p - name == 12 && memcmp(name, "include_next", 12) == 0);
	return p;
}

void xref_lex_next(struct xref_lex *lx, struct xref_tok *t)
{
	const char *p = lx->p, *start = p;
	unsigned char c;

	t->s = p;
	t->line = lx->line;
	t->pp = lx->in_pp;
	t->doc = false;
	if (p >= lx->end) {
		t->type = XREF_T_END;
		t->n = 0;
		return;
	}
	c = (unsigned char)*p;
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' ||
	    (c == '\\' && p + 1 < lx->end && (p[1] == '\n' || p[1] == '\r'))) {
		t->type = XREF_T_SPACE;
		p = S_space(lx, p);
		if (p == start) /* a lone backslash-CR */
			p++;
		goto done_keep_start;
	}
	if (c == '/' && p + 1 < lx->end && (p[1] == '*' || p[1] == '/')) {
		t->type = XREF_T_COMMENT;
		t->doc = p[1] == '*' && p + 3 < lx->end && p[2] == '*' && p[3] != '*' &&
			 p[3] != '/';
		p = S_comment(lx, p);
		goto done_keep_start;
	}
	if (c == '#' && lx->line_start) {
		t->type = XREF_T_DIRECTIVE;
		t->pp = true;
		p = S_directive(lx, p);
		goto done;
	}
	if (c == '<' && lx->in_pp && lx->pp_include) {
		const char *q = p + 1;
		while (q < lx->end && *q != '>' && *q != '\n')
			q++;
		t->type = XREF_T_HEADER;
		p = q < lx->end && *q == '>' ? q + 1 : q;
		lx->pp_include = false;
		goto done;
	}
	if (c == '"' || c == '\'') {
		t->type = c == '"' ? XREF_T_STRING : XREF_T_CHAR;
		p = S_quoted(lx, p);
		lx->pp_include = false;
		goto done;
	}
	if (S_digit(c) || (c == '.' && p + 1 < lx->end && S_digit((unsigned char)p[1]))) {
		t->type = XREF_T_NUMBER;
		p = S_number(p + 1, lx->end);
		goto done;
	}
	if (S_ident_start(c)) {
		while (p < lx->end && S_ident_char((unsigned char)*p))
			p++;
		/* L"x", u8"x": the prefix belongs to the literal */
		if (p < lx->end && (*p == '"' || *p == '\'') && p - start <= 2 &&
		    (*start == 'L' || *start == 'u' || *start == 'U')) {
			t->type = *p == '"' ? XREF_T_STRING : XREF_T_CHAR;
			p = S_quoted(lx, p);
			goto done;
		}
		t->type = S_keyword(start, (size_t)(p - start)) ? XREF_T_KEYWORD : XREF_T_IDENT;
		goto done;
	}
	t->type = XREF_T_PUNCT;
	p += S_punct_len(p, lx->end);
done:
	lx->line_start = false;
done_keep_start:
	/* white space sets line_start itself; a comment keeps it (a '#' may follow) */
	t->n = (size_t)(p - start);
	lx->p = p;
}
