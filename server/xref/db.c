/*
 * db.c - what the index's writer and reader share (see db.h): the kinds of
 * definitions, the varint coding of reference lines, opening it to read.
 */
#include "xref/db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

const char *const xref_kind_names[XREF_K_COUNT] = {
	[XREF_K_OTHER] = "other",         [XREF_K_FUNCTION] = "function",
	[XREF_K_PROTOTYPE] = "prototype", [XREF_K_STRUCT] = "struct",
	[XREF_K_UNION] = "union",         [XREF_K_ENUM] = "enum",
	[XREF_K_ENUMERATOR] = "enumerator", [XREF_K_MEMBER] = "member",
	[XREF_K_MACRO] = "macro",         [XREF_K_TYPEDEF] = "typedef",
	[XREF_K_VARIABLE] = "variable",   [XREF_K_EXTERNVAR] = "externvar",
	[XREF_K_LABEL] = "label",
};

enum xref_kind xref_kind_parse(const char *s, size_t n)
{
	for (int k = 1; k < XREF_K_COUNT; k++)
		if (strlen(xref_kind_names[k]) == n && memcmp(xref_kind_names[k], s, n) == 0)
			return (enum xref_kind)k;
	/* the assembler parser's kinds */
	if (n == 6 && memcmp(s, "define", 6) == 0)
		return XREF_K_MACRO;
	return XREF_K_OTHER;
}

unsigned char *xref_varint_put(unsigned char *p, uint32_t v)
{
	while (v >= 0x80) {
		*p++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*p++ = (unsigned char)v;
	return p;
}

int xref_varint_get(const unsigned char **p, const unsigned char *end, uint32_t *v)
{
	const unsigned char *q = *p;
	uint32_t r = 0;

	for (int shift = 0; q < end && shift < 35; shift += 7) {
		unsigned char c = *q++;
		r |= (uint32_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = r;
			*p = q;
			return 1;
		}
	}
	return 0;
}

int xref_db_open(const char *path, int cache_kib, sqlite3 **db, struct kl_err *err)
{
	char pragmas[96];

	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK)
		return kl_err_set(err, "cannot open the source index %s: %s (build it with `klab "
				       "xref --build`)", path,
				  *db ? sqlite3_errmsg(*db) : "out of memory");
	snprintf(pragmas, sizeof(pragmas), "PRAGMA cache_size=-%d; PRAGMA mmap_size=1073741824;",
		 cache_kib);
	sqlite3_exec(*db, pragmas, NULL, NULL, NULL);
	return 0;
}
