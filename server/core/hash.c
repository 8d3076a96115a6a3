/*
 * hash.c - FNV-1a 64 (see hash.h).
 */
#include "core/hash.h"

#include <string.h>

uint64_t kl_hash(uint64_t h, const void *data, size_t n)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

uint64_t kl_hash_str(uint64_t h, const char *s)
{
	return kl_hash(h, s ? s : "", s ? strlen(s) + 1 : 1);
}
