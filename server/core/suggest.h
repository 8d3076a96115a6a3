/*
 * suggest.h - "did you mean": the closest of some known words to a mistyped one
 * (optimal string alignment distance: insertions, deletions, substitutions and
 * swaps of two neighbours each cost 1).
 */
#ifndef KLAB_SUGGEST_H
#define KLAB_SUGGEST_H

#include <stddef.h>

/* Edit distance between a and b. */
size_t kl_suggest_distance(const char *a, const char *b);
/*
 * Edit distance between a[0..n) and b[0..m) when it is at most max, else max + 1,
 * found without allocating and given up as soon as every row exceeds max (for
 * scanning many candidates). n and m must be at most 255.
 */
size_t kl_suggest_distance_max(const char *a, size_t n, const char *b, size_t m, size_t max);
/*
 * The candidate closest to word, or NULL when none is close enough: at most
 * 2 edits (1 for words of 4 characters or fewer), or word is a prefix of
 * exactly one candidate.
 */
const char *kl_suggest(const char *word, const char *const *cands, size_t n);

#endif
