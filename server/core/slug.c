/*
 * slug.c - heading text to anchor id (see slug.h).
 */
#include "core/slug.h"

#include <stdlib.h>
#include <string.h>

char *kl_slug(const char *text)
{
	size_t n = strlen(text);
	char *out = malloc(n + 1);
	size_t j = 0;

	if (!out)
		abort();
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c >= 'A' && c <= 'Z')
			out[j++] = (char)(c - 'A' + 'a');
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')
			out[j++] = (char)c;
		else if (c == ' ')
			out[j++] = '-';
	}
	out[j] = '\0';
	return out;
}
