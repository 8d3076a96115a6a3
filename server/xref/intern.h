/*
 * intern.h - strings to dense integer ids (1, 2, 3 ... in order of first sight),
 * for the index builder: an open-addressing hash table over an arena.
 */
#ifndef KLAB_XREF_INTERN_H
#define KLAB_XREF_INTERN_H

#include <stddef.h>
#include <stdint.h>

struct xref_intern {
	struct S_islot *slots; /* cap slots, a power of two */
	size_t cap;
	uint32_t count;
	const char **names;    /* names[id - 1] */
	size_t names_cap;
	struct S_ichunk *chunks; /* the arena, newest first */
};

void xref_intern_init(struct xref_intern *in);
void xref_intern_release(struct xref_intern *in);
/* The id of s[0..n), added when new (*added = 1 then; added may be NULL). Aborts on OOM. */
uint32_t xref_intern_add(struct xref_intern *in, const char *s, size_t n, int *added);
/* The id of s[0..n), 0 when absent. */
uint32_t xref_intern_get(const struct xref_intern *in, const char *s, size_t n);
/* The string of id (1..count). */
const char *xref_intern_name(const struct xref_intern *in, uint32_t id);

#endif
