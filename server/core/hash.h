/*
 * hash.h - FNV-1a, 64 bits: the cache keys of guest test binaries and VM
 * snapshots (fast, stable across runs and machines; not for security).
 */
#ifndef KLAB_HASH_H
#define KLAB_HASH_H

#include <stddef.h>
#include <stdint.h>

#define KL_HASH_INIT 14695981039346656037ULL

/* Continues the hash h over data. */
uint64_t kl_hash(uint64_t h, const void *data, size_t n);
/* Continues the hash h over a NUL-terminated string and its NUL (so "ab","c" != "a","bc"). */
uint64_t kl_hash_str(uint64_t h, const char *s);

#endif
