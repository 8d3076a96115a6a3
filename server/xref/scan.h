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
 *                (`name() - ...`, `struct name - ...`, `NAME - ...`);
 *   macro names  for `klab check` (names.h): each #define's name (ctags misses them
 *                in assembler), and what a macro call at file level defines, which
 *                ctags does not see:
 *                  SYSCALL_DEFINEn(name, ...)  __x64_sys_name, __ia32_sys_name,
 *                      __se_sys_name, __do_sys_name, sys_name (functions;
 *                      COMPAT_SYSCALL_DEFINEn: the compat_sys_ ones)
 *                  DEFINE_IDTENTRY*(name)  name (a function)
 *                  DECLARE_IDTENTRY*(vector, name)  name, asm_name (declared)
 *                  DEFINE_*(..., name), DECLARE_*(..., name), LIST_HEAD(name)  a variable
 *                  SYM_*START*(name), SYM_INNER_LABEL*(name), ENTRY(name),
 *                      GLOBAL(name) (assembler)  a function
 *                  .macro name (assembler)  a macro
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
	/* A name a macro call defines, with its kinds (names.h: XREF_N_*). */
	void (*def)(void *ctx, const char *name, size_t n, unsigned kinds);
};

/*
 * Scans text[0..len) and calls cb for each reference, initializer and
 * kernel-doc comment, in the order of the file. value points into a buffer
 * that lives until the callback returns.
 */
void xref_scan_c(const char *text, size_t len, const struct xref_scan_cb *cb);

/*
 * What the source index does with the file at path (relative to the top of the
 * tree): 'c' index it as C, 's' as assembler, 'k' read it as Kconfig (its
 * symbols only), 0 list it only. C and assembler are read outside tools/,
 * scripts/, samples/, Documentation/, usr/ and the arch/ folders other than x86
 * (the lab kernel is x86-64).
 */
int xref_scan_kind(const char *path);

#endif
