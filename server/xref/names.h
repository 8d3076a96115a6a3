/*
 * names.h - the kernel's names with their kinds, for `klab check`: which names
 * the lab kernel's source defines (functions, macros, struct/union/enum tags,
 * enumerators, typedefs, struct members, variables, Kconfig symbols) and which
 * files and folders its tree has. A table of the source index (db.h: kinds),
 * filled by its build (build.c) from ctags' definitions, the macro calls that
 * define what ctags does not see (scan.h: SYSCALL_DEFINEn, DEFINE_*(..., name),
 * SYM_FUNC_START(name) ...), the Kconfig files and every path of the tarball.
 *
 * Opened, the table gets an in-memory overlay from a built kernel: its
 * System.map, Module.symvers and generated headers (names only in its config).
 * Look-ups and suggestions take a lock: one struct xref_names may be shared by
 * threads.
 */
#ifndef KLAB_XREF_NAMES_H
#define KLAB_XREF_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum xref_name_kind {
	XREF_N_FILE = 1u << 0,       /* a file of the source tree (path from its top) */
	XREF_N_DIR = 1u << 1,        /* a folder of the source tree */
	XREF_N_FUNC = 1u << 2,       /* a function defined (static inline included) */
	XREF_N_FUNC_DECL = 1u << 3,  /* a function declared (a prototype) */
	XREF_N_MACRO = 1u << 5,      /* a macro (object- or function-like) */
	XREF_N_STRUCT = 1u << 6,     /* struct NAME { */
	XREF_N_UNION = 1u << 7,      /* union NAME { */
	XREF_N_ENUM = 1u << 8,       /* enum NAME { */
	XREF_N_ENUM_CONST = 1u << 9, /* an enumerator */
	XREF_N_TYPEDEF = 1u << 10,   /* a typedef name */
	XREF_N_MEMBER = 1u << 11,    /* a field of a struct or union */
	XREF_N_VAR = 1u << 12,       /* a variable declared at file level */
	XREF_N_KCONFIG = 1u << 13,   /* CONFIG_NAME for a Kconfig `config NAME` */
	XREF_N_SYMBOL = 1u << 14,    /* in System.map or Module.symvers (overlay only) */
};

/* ---- writing: names being collected, then the table ---- */

/* Names with their kinds (a hash table); owned by its creator. */
struct xref_names_builder;

/* A new empty builder (aborts when out of memory); xref_names_builder_free() frees it. */
struct xref_names_builder *xref_names_builder_new(void);
void xref_names_builder_free(struct xref_names_builder *b);
/* Adds kinds to name[0..len) (ignored when empty or longer than 255 bytes). */
void xref_names_builder_add(struct xref_names_builder *b, const char *name, size_t len,
			    unsigned kinds);
/* The kinds recorded for name so far (0: none). */
unsigned xref_names_builder_get(const struct xref_names_builder *b, const char *name);
size_t xref_names_builder_count(const struct xref_names_builder *b);
/* Adds path (relative, XREF_N_FILE or XREF_N_DIR as kind) and each folder above it. */
void xref_names_add_path(struct xref_names_builder *b, const char *path, unsigned kind);
/* Records CONFIG_<name> for each `config`/`menuconfig` of a Kconfig file. */
void xref_names_scan_kconfig(struct xref_names_builder *b, const char *text, size_t len);
/*
 * Writes the names into the kinds table of db (an open transaction of a source
 * index being built, db.h) and their number as meta "names".
 */
struct sqlite3;
int xref_names_write(const struct xref_names_builder *b, struct sqlite3 *db,
		     struct kl_err *err);
/*
 * A names-only index file at path (meta and kinds of db.h, the format version):
 * what xref_names_open() reads, for a kernel known by its names alone.
 */
int xref_names_save(const struct xref_names_builder *b, const char *path, struct kl_err *err);

/* ---- reading ---- */

struct xref_names;

/* Opens the kinds of the source index at path; xref_names_close() (NULL is harmless). */
int xref_names_open(const char *path, struct xref_names **out, struct kl_err *err);
void xref_names_close(struct xref_names *nx);
/* Number of names in the index (not counting the overlay). */
size_t xref_names_count(const struct xref_names *nx);
/*
 * Overlay: System.map symbols ("addr type name" lines; "name.part.0" also gives
 * "name"), Module.symvers exports, and the paths of the .h files under a headers
 * folder (symlinks are not followed) with the #defines and macro-call names
 * scan.h reads in them (generated headers hold little else). *added receives how many
 * names (headers: files) were read (may be NULL).
 */
int xref_names_add_system_map(struct xref_names *nx, const char *path, size_t *added,
			      struct kl_err *err);
int xref_names_add_symvers(struct xref_names *nx, const char *path, size_t *added,
			   struct kl_err *err);
int xref_names_add_headers(struct xref_names *nx, const char *dir, size_t *added,
			   struct kl_err *err);
/* Every kind known for name, from the index and the overlay (0: unknown). */
unsigned xref_names_lookup(const struct xref_names *nx, const char *name);
/*
 * "Did you mean": the real name nearest to word among the index's names with a
 * kind in kinds, copied to out. Candidates by edit distance (at most 1 edit for
 * words of up to 10 characters, 2 beyond) share the word's first character, or
 * start with its second and third (an extra first character) or its first two
 * swapped; ties go to the nearer length, then the first by name. One edit wins;
 * else a name that grew a part (`__send_signal_locked` for `__send_signal`, the
 * shortest), else one that lost parts (`get_signal` for `get_signal_deliver`, the
 * longest), else two edits. Returns false when there is none. The table is
 * keyed by (length, name), so the candidates are a few short ranges of it.
 */
bool xref_names_suggest(const struct xref_names *nx, const char *word, unsigned kinds,
			char *out, size_t size);

#endif
