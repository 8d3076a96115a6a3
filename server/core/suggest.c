/*
 * suggest.c - "did you mean" by edit distance (see suggest.h).
 */
#include "core/suggest.h"

#include <stdlib.h>
#include <string.h>

size_t kl_suggest_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	size_t *d = calloc((n + 1) * (m + 1), sizeof(*d));

	if (!d)
		abort();
#define S_D(i, j) d[(i) * (m + 1) + (j)]
	for (size_t i = 0; i <= n; i++)
		S_D(i, 0) = i;
	for (size_t j = 0; j <= m; j++)
		S_D(0, j) = j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t best = S_D(i - 1, j) + 1;
			if (S_D(i, j - 1) + 1 < best)
				best = S_D(i, j - 1) + 1;
			if (S_D(i - 1, j - 1) + cost < best)
				best = S_D(i - 1, j - 1) + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    S_D(i - 2, j - 2) + 1 < best)
				best = S_D(i - 2, j - 2) + 1;
			S_D(i, j) = best;
		}
	}
	size_t r = S_D(n, m);
#undef S_D
	free(d);
	return r;
}

size_t kl_suggest_distance_max(const char *a, size_t n, const char *b, size_t m, size_t max)
{
	size_t rows[3][256]; /* rows i-2, i-1 and i, by i % 3 */

	if (n > 255 || m > 255)
		return max + 1;
	if ((n > m ? n - m : m - n) > max)
		return max + 1;
	for (size_t j = 0; j <= m; j++)
		rows[0][j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t *cur = rows[i % 3], *up = rows[(i - 1) % 3], *up2 = rows[(i + 1) % 3];
		size_t low = cur[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t best = up[j - 1] + (a[i - 1] != b[j - 1]);
			if (up[j] + 1 < best)
				best = up[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    up2[j - 2] + 1 < best)
				best = up2[j - 2] + 1;
			cur[j] = best;
			if (best < low)
				low = best;
		}
		if (low > max)
			return max + 1;
	}
	return rows[n % 3][m] > max ? max + 1 : rows[n % 3][m];
}

const char *kl_suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL, *prefix = NULL;
	size_t best_d = (size_t)-1, len = strlen(word), nprefix = 0;
	size_t limit = len <= 4 ? 1 : 2;

	if (!len)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		size_t d = kl_suggest_distance(word, cands[i]);
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
		if (strncmp(cands[i], word, len) == 0) {
			prefix = cands[i];
			nprefix++;
		}
	}
	if (best && best_d <= limit)
		return best;
	return nprefix == 1 ? prefix : NULL;
}
