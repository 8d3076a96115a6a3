/*
 * kindex.h - the kernel identifier index behind `klab check`: which names the
 * lab kernel's source defines (functions, macros, struct/union/enum tags, enum
 * constants, typedefs, struct members, variables, Kconfig symbols) and which
 * files and folders it has.
 *
 * The index is built once from Debian's linux-source tarball (streamed through
 * libarchive, never extracted) into one file under $KLAB_CACHE/kindex/, named
 * after the tarball's size and mtime, and mapped read-only afterwards. A kernel
 * build adds an in-memory overlay on top: its System.map, Module.symvers and
 * the generated headers of its flavour.
 *
 * What the C scanner records (a tokenizer, not a compiler: both sides of every
 * #if are read, macro bodies are not expanded):
 *   #define NAME(...)      KINDEX_FMACRO        #define NAME       KINDEX_MACRO
 *   NAME(...) { at file level  KINDEX_FUNC      NAME(...); at file level  KINDEX_FUNC_DECL
 *   struct/union/enum NAME {  the tag           enumerators              KINDEX_ENUM_CONST
 *   typedef ... NAME;      KINDEX_TYPEDEF       fields of struct/union bodies  KINDEX_MEMBER
 *   file-level declarators (int x; extern struct s y[];)  KINDEX_VAR
 *   Kconfig `config NAME`  CONFIG_NAME with KINDEX_KCONFIG
 *   SYSCALL_DEFINEn(name)  __x64_sys_name, __ia32_sys_name, __se_sys_name,
 *                          __do_sys_name, sys_name (COMPAT_: the compat_sys_ ones)
 *   DEFINE_IDTENTRY*(name) name; DECLARE_IDTENTRY*(vector, name) name, asm_name
 *   DEFINE_*(..., name), DECLARE_*(..., name), LIST_HEAD(name) at file level  KINDEX_VAR
 *   .macro NAME (assembler)  KINDEX_MACRO; SYM_*START*(NAME), ENTRY(NAME) in .S  KINDEX_FUNC
 * Identifiers are read from .c, .h and .S files outside tools/, scripts/, samples/,
 * Documentation/, usr/ and the arch/ folders other than x86 (the lab kernel is x86-64);
 * every file and folder of the tree is in the file list.
 */
#ifndef KLAB_XREF_KINDEX_H
#define KLAB_XREF_KINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum kindex_kind {
	KINDEX_FILE = 1u << 0,       /* a file of the source tree (path from its top) */
	KINDEX_DIR = 1u << 1,        /* a folder of the source tree */
	KINDEX_FUNC = 1u << 2,       /* a function defined (static inline included) */
	KINDEX_FUNC_DECL = 1u << 3,  /* a function declared at file level */
	KINDEX_FMACRO = 1u << 4,     /* a function-like macro */
	KINDEX_MACRO = 1u << 5,      /* an object-like macro */
	KINDEX_STRUCT = 1u << 6,     /* struct NAME { */
	KINDEX_UNION = 1u << 7,      /* union NAME { */
	KINDEX_ENUM = 1u << 8,       /* enum NAME { */
	KINDEX_ENUM_CONST = 1u << 9, /* an enumerator */
	KINDEX_TYPEDEF = 1u << 10,   /* a typedef name */
	KINDEX_MEMBER = 1u << 11,    /* a field of a struct or union */
	KINDEX_VAR = 1u << 12,       /* a variable declared at file level */
	KINDEX_KCONFIG = 1u << 13,   /* CONFIG_NAME for a Kconfig `config NAME` */
	KINDEX_SYMBOL = 1u << 14,    /* in System.map or Module.symvers (overlay only) */
};

/* Names being collected (a hash table); owned by its creator. */
struct kindex_builder;
/* An opened index file plus its overlay. */
struct kindex;

struct kindex_stats {
	size_t files;    /* files and folders listed */
	size_t scanned;  /* files read by a scanner */
	size_t bytes;    /* bytes scanned */
	size_t names;    /* distinct names in the index */
	double seconds;  /* wall time of the build */
};

/* A new empty builder (aborts when out of memory); kindex_builder_free() frees it. */
struct kindex_builder *kindex_builder_new(void);
void kindex_builder_free(struct kindex_builder *b);
/* Adds kinds to name[0..len). */
void kindex_builder_add(struct kindex_builder *b, const char *name, size_t len, unsigned kinds);
/* The kinds recorded for name so far (0: none). */
unsigned kindex_builder_get(const struct kindex_builder *b, const char *name);
size_t kindex_builder_count(const struct kindex_builder *b);
/* Scans C source text (a .c or .h file) and records what it defines. */
void kindex_scan_c(struct kindex_builder *b, const char *text, size_t len);
/*
 * Scans assembler (.S): #define, .macro NAME, and the symbols of
 * SYM_*START*(NAME), SYM_INNER_LABEL*(NAME), ENTRY(NAME) as functions.
 */
void kindex_scan_asm(struct kindex_builder *b, const char *text, size_t len);
/* Scans a Kconfig file and records CONFIG_<name> for each `config`/`menuconfig`. */
void kindex_scan_kconfig(struct kindex_builder *b, const char *text, size_t len);
/*
 * What to do with the file at path (relative to the top of the tree):
 * 'c' scan as C, 's' as assembler, 'k' as Kconfig, 0 list only.
 */
int kindex_scan_kind(const char *path);
/* Writes the sorted index file (through a temporary file and rename). */
int kindex_builder_write(const struct kindex_builder *b, const char *path, struct kl_err *err);

/*
 * Builds the index of the kernel source tarball (any format libarchive reads; the
 * first path component, linux-source-6.1/, is dropped) into out_path.
 * stats may be NULL.
 */
int kindex_build(const char *tarball, const char *out_path, struct kindex_stats *stats,
		 struct kl_err *err);
/*
 * "<tarball name>-<size>-<mtime>" ("linux-source-6.1-138008000-1795713176"): what names
 * the indexes built from tarball (this one and the source index, xref/). Fails, saying
 * to run `make setup`, when the tarball is missing.
 */
int kindex_source_key(const char *tarball, char *out, size_t size, struct kl_err *err);
/*
 * The index file for tarball: "<cache>/kindex/<tarball name>-<size>-<mtime>.v<format>.idx"
 * (caller frees). Fails, saying to run `make setup`, when the tarball is missing.
 */
int kindex_path(const char *cache, const char *tarball, char **path, struct kl_err *err);
/*
 * Makes sure the index for tarball exists in cache, building it (under a lock, so
 * concurrent callers build it once) when it does not or is not whole. *built is set to 1 when this
 * call built it. path receives the index file (caller frees); stats may be NULL.
 */
int kindex_ensure(const char *cache, const char *tarball, char **path, int *built,
		  struct kindex_stats *stats, struct kl_err *err);

/* Maps an index file; kindex_close() releases it (NULL is harmless). */
int kindex_open(const char *path, struct kindex **out, struct kl_err *err);
void kindex_close(struct kindex *kx);
/* Number of names in the file (not counting the overlay). */
size_t kindex_count(const struct kindex *kx);
/*
 * Overlay: System.map symbols ("addr type name" lines; "name.part.0" also gives
 * "name"), Module.symvers exports, and the .h files under a headers folder
 * (symlinks are not followed). *added receives how many names were read (may be NULL).
 */
int kindex_add_system_map(struct kindex *kx, const char *path, size_t *added,
			  struct kl_err *err);
int kindex_add_symvers(struct kindex *kx, const char *path, size_t *added, struct kl_err *err);
int kindex_add_headers(struct kindex *kx, const char *dir, size_t *added, struct kl_err *err);
/* Every kind known for name, from the file and the overlay (0: unknown). */
unsigned kindex_lookup(const struct kindex *kx, const char *name);
/*
 * "Did you mean": the real name nearest to word among the index file's names with
 * a kind in kinds, copied to out. Candidates by edit distance (at most 1 edit for
 * words of up to 10 characters, 2 beyond) share the word's first character, or
 * start with its second and third (an extra first character) or its first two
 * swapped; ties go to the nearer length, then the first by name. One edit wins;
 * else a name that grew a part (`__send_signal_locked` for `__send_signal`, the
 * shortest), else one that lost parts (`get_signal` for `get_signal_deliver`, the
 * longest), else two edits. Returns false when there is none. A few milliseconds:
 * the candidates are three ranges of the sorted file, never all of it.
 */
bool kindex_suggest(const struct kindex *kx, const char *word, unsigned kinds, char *out,
		    size_t size);

#endif
