/*
 * db.h - the SQLite layout of the source index, shared by its writer (build.c)
 * and its reader (query.c). Every name (identifier, struct tag) and every file
 * is an integer id; the relations are WITHOUT ROWID tables clustered on the key
 * they are read by, so a look-up is one range scan.
 *
 *   meta(key, value)                       format version, tarball, build figures
 *   names(id, name)                        rowid = id; unique index on name
 *   files(id, path, lines, size)           rowid = id; unique index on path
 *   texts(file, data)                      a file's text, zlib-compressed
 *   tree(parent, name, file, lines)        folder listing; file 0 for a folder
 *   defs(name, file, line, kind, scope)    ctags definitions; scope: the tag of a member
 *   refs(name, file, count, lines)         lines: varint deltas, ascending
 *   totals(name, files, refs)              per name: files with a reference, occurrences
 *   inits(type, member, file, line, value_name, variable, value)
 *                                          value_name: the value's id when it is one name
 *   docs(name, file, line)                 kernel-doc comments
 *   kinds(len, name, kinds)                every name `klab check` knows (names.h): what
 *                                          the tree defines, its Kconfig symbols, every
 *                                          file and folder; kinds: enum xref_name_kind bits
 */
#ifndef KLAB_XREF_DB_H
#define KLAB_XREF_DB_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define XREF_FORMAT 3 /* bump when the layout or what is recorded changes */

/* The part of the layout `klab check` reads (names.h): meta and the kinds of names. */
#define XREF_NAMES_SCHEMA                                                                   \
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"                \
	"CREATE TABLE kinds(len INTEGER, name TEXT, kinds INTEGER, "                        \
	"PRIMARY KEY(len, name)) WITHOUT ROWID;"

#define XREF_SCHEMA                                                                         \
	XREF_NAMES_SCHEMA                                                                   \
	"CREATE TABLE names(id INTEGER PRIMARY KEY, name TEXT NOT NULL);"                   \
	"CREATE TABLE files(id INTEGER PRIMARY KEY, path TEXT NOT NULL, lines INTEGER, "    \
	"size INTEGER);"                                                                    \
	"CREATE TABLE texts(file INTEGER PRIMARY KEY, data BLOB);"                          \
	"CREATE TABLE tree(parent TEXT, name TEXT, file INTEGER, lines INTEGER, "           \
	"PRIMARY KEY(parent, name)) WITHOUT ROWID;"                                         \
	"CREATE TABLE defs(name INTEGER, file INTEGER, line INTEGER, kind INTEGER, "        \
	"scope INTEGER, PRIMARY KEY(name, file, line, kind, scope)) WITHOUT ROWID;"         \
	"CREATE TABLE refs(name INTEGER, file INTEGER, count INTEGER, lines BLOB, "         \
	"PRIMARY KEY(name, file)) WITHOUT ROWID;"                                           \
	"CREATE TABLE totals(name INTEGER PRIMARY KEY, files INTEGER, refs INTEGER) "        \
	"WITHOUT ROWID;"                                                                    \
	"CREATE TABLE inits(type INTEGER, member INTEGER, file INTEGER, line INTEGER, "     \
	"value_name INTEGER, variable TEXT, value TEXT, "                                   \
	"PRIMARY KEY(type, member, file, line)) WITHOUT ROWID;"                             \
	"CREATE TABLE docs(name INTEGER, file INTEGER, line INTEGER, "                      \
	"PRIMARY KEY(name, file, line)) WITHOUT ROWID;"

/* Created after the bulk insert. */
#define XREF_INDEXES                                                                        \
	"CREATE UNIQUE INDEX names_name ON names(name);"                                    \
	"CREATE UNIQUE INDEX files_path ON files(path);"                                    \
	"CREATE INDEX inits_member ON inits(member);"                                       \
	"CREATE INDEX inits_value ON inits(value_name) WHERE value_name > 0;"

/* Kinds of definitions as stored; xref_kind_names[k] is the name ctags gives kind k. */
enum xref_kind {
	XREF_K_OTHER,
	XREF_K_FUNCTION,
	XREF_K_PROTOTYPE,
	XREF_K_STRUCT,
	XREF_K_UNION,
	XREF_K_ENUM,
	XREF_K_ENUMERATOR,
	XREF_K_MEMBER,
	XREF_K_MACRO,
	XREF_K_TYPEDEF,
	XREF_K_VARIABLE,
	XREF_K_EXTERNVAR,
	XREF_K_LABEL,
	XREF_K_COUNT,
};

extern const char *const xref_kind_names[XREF_K_COUNT];

/* The kind for ctags' long kind name (XREF_K_OTHER when unknown). */
enum xref_kind xref_kind_parse(const char *s, size_t n);

/*
 * Opens the source index at path read-only (one thread at a time: no SQLite
 * mutex), memory-mapped, with a page cache of cache_kib KiB; err says to build
 * it when it cannot be opened.
 */
struct sqlite3;
int xref_db_open(const char *path, int cache_kib, struct sqlite3 **db, struct kl_err *err);

/* Appends v as a varint (7 bits a byte, high bit: more) to p; returns the new end. */
unsigned char *xref_varint_put(unsigned char *p, uint32_t v);
/* Reads a varint from [*p, end); 0 with *p unchanged when it is cut short. */
int xref_varint_get(const unsigned char **p, const unsigned char *end, uint32_t *v);

#endif
