/*
 * intern.c - strings to dense ids (see intern.h), FNV-1a hashed, linear probing.
 */
#include "xref/intern.h"

#include <stdlib.h>
#include <string.h>

struct S_islot {
	const char *name; /* NULL: empty */
	uint32_t hash;
	uint32_t id;
};

struct S_ichunk {
	struct S_ichunk *next;
	size_t used, size;
	char data[];
};

static void *S_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		abort();
	return p;
}

static uint32_t S_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

void xref_intern_init(struct xref_intern *in)
{
	memset(in, 0, sizeof(*in));
	in->cap = 1u << 16;
	in->slots = S_xcalloc(in->cap, sizeof(*in->slots));
}

void xref_intern_release(struct xref_intern *in)
{
	while (in->chunks) {
		struct S_ichunk *next = in->chunks->next;
		free(in->chunks);
		in->chunks = next;
	}
	free(in->slots);
	free(in->names);
	memset(in, 0, sizeof(*in));
}

static struct S_islot *S_find(const struct xref_intern *in, const char *s, size_t n, uint32_t h)
{
	size_t j = h & (in->cap - 1);

	for (;;) {
		struct S_islot *sl = &in->slots[j];
		if (!sl->name || (sl->hash == h && strncmp(sl->name, s, n) == 0 && !sl->name[n]))
			return sl;
		j = (j + 1) & (in->cap - 1);
	}
}

static const char *S_copy(struct xref_intern *in, const char *s, size_t n)
{
	struct S_ichunk *c = in->chunks;

	if (!c || c->size - c->used < n + 1) {
		size_t size = n + 1 > (1u << 20) ? n + 1 : (1u << 20);
		c = malloc(sizeof(*c) + size);
		if (!c)
			abort();
		c->used = 0;
		c->size = size;
		c->next = in->chunks;
		in->chunks = c;
	}
	char *p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
}

static void S_grow(struct xref_intern *in)
{
	size_t cap = in->cap * 2;
	struct S_islot *slots = S_xcalloc(cap, sizeof(*slots));

	for (size_t i = 0; i < in->cap; i++) {
		if (!in->slots[i].name)
			continue;
		size_t j = in->slots[i].hash & (cap - 1);
		while (slots[j].name)
			j = (j + 1) & (cap - 1);
		slots[j] = in->slots[i];
	}
	free(in->slots);
	in->slots = slots;
	in->cap = cap;
}

uint32_t xref_intern_add(struct xref_intern *in, const char *s, size_t n, int *added)
{
	uint32_t h = S_hash(s, n);
	struct S_islot *sl = S_find(in, s, n, h);

	if (added)
		*added = !sl->name;
	if (sl->name)
		return sl->id;
	sl->name = S_copy(in, s, n);
	sl->hash = h;
	sl->id = ++in->count;
	if (in->count > in->names_cap) {
		in->names_cap = in->names_cap ? in->names_cap * 2 : 4096;
		in->names = realloc(in->names, in->names_cap * sizeof(*in->names));
		if (!in->names)
			abort();
	}
	in->names[sl->id - 1] = sl->name;
	if ((size_t)in->count * 2 > in->cap)
		S_grow(in);
	return in->count;
}

uint32_t xref_intern_get(const struct xref_intern *in, const char *s, size_t n)
{
	const struct S_islot *sl = S_find(in, s, n, S_hash(s, n));

	return sl->name ? sl->id : 0;
}

const char *xref_intern_name(const struct xref_intern *in, uint32_t id)
{
	return id >= 1 && id <= in->count ? in->names[id - 1] : NULL;
}
