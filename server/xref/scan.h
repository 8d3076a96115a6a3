/*
 * scan.h - what the source index reads from one C file with its own lexer
 * (ctags finds the definitions, see build.c):
 *   references   every identifier outside comments, strings, character
 *                literals and #include paths (keywords are not identifiers;
 *                the name of a directive, `define` in #define, is skipped);
 *   initializers each designated initializer `.member = value` directly inside
 *                `struct T name = { ... }` or an array `struct T name[] = {
 *                { ... }, [I] = { ... } }`, at any depth (static locals too);
 *                nested `.a = { .b = x }` are not T's and are skipped;
 *   kernel-doc   each slash-star-star comment whose first line names something
 *                (`name() - ...`, `struct name - ...`, `NAME - ...`).
 */
#ifndef KLAB_XREF_SCAN_H
#define KLAB_XREF_SCAN_H

#include <stddef.h>

struct xref_init_rec {
	const char *type;   /* T of struct T (into the text) */
	size_t type_n;
	const char *member; /* .member */
	size_t member_n;
	const char *var;    /* the variable's name */
	size_t var_n;
	const char *value;  /* the value as written, white space runs as one space */
	size_t value_n;
	int line;           /* line of .member */
};

/* Callbacks of xref_scan_c; any may be NULL. */
struct xref_scan_cb {
	void *ctx;
	void (*ident)(void *ctx, const char *s, size_t n, int line);
	void (*init)(void *ctx, const struct xref_init_rec *rec);
	void (*doc)(void *ctx, const char *name, size_t n, int line);
};

/*
 * Scans text[0..len) and calls cb for each reference, initializer and
 * kernel-doc comment, in the order of the file. value points into a buffer
 * that lives until the callback returns.
 */
void xref_scan_c(const char *text, size_t len, const struct xref_scan_cb *cb);

#endif
