/*
 * words.c - kernel identifiers written in prose (see check_text_next in check.h):
 * which words of a Markdown text node look like kernel names, so that `klab
 * check` can look them up as it does code spans, with few false alarms on English.
 */
#include "check/check.h"

#include <string.h>

static bool S_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool S_alnum(char c)
{
	return S_word_char(c) && c != '_';
}

/* The white-space delimited token around [a, b) names a URL or a mail address. */
static bool S_in_url(const char *text, size_t a, size_t b)
{
	size_t s = a, e = b;

	while (s > 0 && !strchr(" \t\n", text[s - 1]))
		s--;
	while (text[e] && !strchr(" \t\n", text[e]))
		e++;
	for (size_t i = s; i + 3 <= e; i++)
		if (memcmp(text + i, "://", 3) == 0 || (i + 4 <= e && memcmp(text + i, "www.", 4) == 0))
			return true;
	return false;
}

/* Sorts the word text[a, b) into sp; false when prose words like it are not checked. */
static bool S_classify(const char *text, size_t a, size_t b, struct check_span *sp)
{
	size_t n = b - a;
	char before = a ? text[a - 1] : ' ', after = text[b];
	bool lower = false, upper = false, inner = false;

	if (n < 2 || n >= sizeof(sp->name) || (text[a] >= '0' && text[a] <= '9'))
		return false;
	/* a part of a path, a file name, a hyphenated word, an address, a URL */
	if (before == '/' || before == '\\' || before == '@' || before == '$' || before == '%' ||
	    before == '-' || after == '/' || after == '@' ||
	    (after == '-' && text[b + 1] != '>' && S_alnum(text[b + 1])) ||
	    (after == '.' && S_alnum(text[b + 1])) || (after == ':' && text[b + 1] == '/') ||
	    S_in_url(text, a, b))
		return false;
	for (size_t i = a; i < b; i++) {
		char c = text[i];
		lower |= c >= 'a' && c <= 'z';
		upper |= c >= 'A' && c <= 'Z';
		inner |= c == '_' && i > a && i + 1 < b && S_alnum(text[i - 1]) && S_alnum(text[i + 1]);
	}
	memset(sp, 0, sizeof(*sp));
	memcpy(sp->name, text + a, n);
	sp->name[n] = '\0';
	if (after == '(' && text[b + 1] == ')' && !S_word_char(text[b + 2]) && (lower || upper)) {
		sp->kind = CHECK_SPAN_FUNC;
		return true;
	}
	/* snake_case: lower case letters and digits joined by '_' (__leading too) */
	bool leading = text[a] == '_' && lower;
	if (lower && !upper && (inner || leading) && text[b - 1] != '_') {
		sp->kind = CHECK_SPAN_IDENT;
		return true;
	}
	return false;
}

bool check_text_next(const char *text, size_t *pos, struct check_span *sp, size_t *start)
{
	size_t i = *pos;

	while (text[i]) {
		if (!S_word_char(text[i]) || (i > 0 && S_word_char(text[i - 1]))) {
			i++;
			continue;
		}
		size_t a = i;
		while (S_word_char(text[i]))
			i++;
		if (S_classify(text, a, i, sp)) {
			*pos = i;
			if (start)
				*start = a;
			return true;
		}
	}
	*pos = i;
	return false;
}
