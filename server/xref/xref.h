/*
 * xref.h - the source index of the lab kernel: Debian's linux-source tarball
 * streamed through libarchive (never left extracted) into one SQLite file under
 * $KLAB_CACHE/xref/, named after the tarball's size and mtime, built once.
 *
 * It holds, for the C, header and assembler files that xref_scan_kind()
 * reads (x86 and the generic tree; not tools/, scripts/, samples/,
 * Documentation/, usr/ or other architectures):
 *   files         each file's path, line count and text (zlib), and the tree of folders;
 *   definitions   from universal-ctags: functions, prototypes, structs, unions,
 *                 enums, enumerators, struct members (with their struct), macros,
 *                 typedefs, variables, extern variables, assembler labels and macros;
 *   references    every identifier of every file (lex.c, scan.c), per file as lines;
 *   initializers  `.member = value` inside `struct T var = { ... }` (scan.c);
 *   kernel-doc    where each kernel-doc comment is and what it names.
 *   kinds         every name `klab check` knows with its kinds (names.h): the
 *                 definitions, the names macro calls define, the Kconfig symbols,
 *                 every file and folder of the whole tree.
 * No identifier is left out for being common.
 *
 * The query side answers a NAME or TYPE.MEMBER with definitions, paged references
 * and initializers (xref_lookup), serves a file's text by its indexed path only
 * (xref_file), and lists folders (xref_dir). One struct xref is one SQLite
 * handle: use it from one thread at a time.
 */
#ifndef KLAB_XREF_H
#define KLAB_XREF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/err.h"

struct xref;

/* Debian's linux-source-6.1 tarball, the lab kernel's source. */
#define XREF_DEFAULT_SOURCE "/usr/src/linux-source-6.1.tar.xz"

struct xref_stats {
	size_t files;       /* files indexed */
	size_t bytes;       /* their bytes */
	size_t names;       /* distinct names */
	size_t defs;        /* definitions (ctags tags) */
	size_t ref_rows;    /* (name, file) pairs */
	size_t refs;        /* identifier occurrences */
	size_t inits;       /* initializers */
	size_t docs;        /* kernel-doc comments */
	long long db_bytes; /* size of the index file */
	double seconds;     /* wall time of the build */
	double read_seconds;  /* of which reading the tarball (xz, lexing, zlib, scratch copy) */
	double ctags_seconds; /* ... running ctags and reading its tags */
	double rows_seconds;  /* ... inserting the rows */
	double index_seconds; /* ... creating the indexes and committing */
	/* CPU time (user + system) of the same phases, ctags' own in ctags_cpu */
	double read_cpu, ctags_cpu, rows_cpu, index_cpu;
};

/*
 * "<tarball name>-<size>-<mtime>" ("linux-source-6.1-138008000-1795713176"): what
 * names the index built from tarball. Fails, saying to run `make setup`, when the
 * tarball is missing.
 */
int xref_source_key(const char *tarball, char *out, size_t size, struct kl_err *err);
/* "<cache>/xref/<tarball stem>-<size>-<mtime>.v<format>.db" (caller frees). */
int xref_path(const char *cache, const char *tarball, char **path, struct kl_err *err);
/*
 * Builds the index of tarball into out_path (through out_path.tmp and a rename),
 * extracting the files ctags reads into a folder under tmpdir that is removed
 * afterwards. progress (may be NULL) gets a progress line, rewritten in place.
 */
int xref_build(const char *tarball, const char *out_path, const char *tmpdir, FILE *progress,
	       struct xref_stats *stats, struct kl_err *err);
/*
 * Makes sure the index of tarball exists in cache, building it under a lock
 * when missing (*built = 1 then). path receives the file (caller frees).
 */
int xref_ensure(const char *cache, const char *tarball, const char *tmpdir, FILE *progress,
		char **path, int *built, struct xref_stats *stats, struct kl_err *err);

int xref_open(const char *path, struct xref **out, struct kl_err *err);
void xref_close(struct xref *x);

/* True for NAME ([A-Za-z_][A-Za-z0-9_]*, at most 127 bytes) or TYPE.MEMBER. */
bool xref_name_ok(const char *name);

struct xref_def {
	char *file;   /* relative to the source root */
	int line;
	const char *kind; /* "function", "struct", "member", ... (static strings) */
	char *scope;  /* the struct/union/enum of a member or enumerator, else NULL */
	int doc_line; /* line of the kernel-doc comment in the same file, 0 when none */
};

struct xref_ref_file {
	char *file;
	int *lines;   /* at most XREF_LINES_PER_FILE of them */
	size_t nlines;
	size_t total; /* occurrences in the file */
};

struct xref_init {
	char *file;
	int line;
	char *type, *member, *variable, *value;
};

#define XREF_DEFS_PER_PAGE 200
#define XREF_FILES_PER_PAGE 200
#define XREF_LINES_PER_FILE 100
#define XREF_INITS_PER_PAGE 500

struct xref_result {
	char *name;                 /* as asked */
	struct xref_def *defs;      /* one page, sorted by kind, file, line */
	size_t ndefs;
	size_t defs_total;          /* definitions, over all pages */
	struct xref_ref_file *refs; /* one page of files, in index order */
	size_t nrefs;
	size_t ref_files;           /* files with a reference, over all pages */
	size_t ref_total;           /* occurrences, over all pages */
	int page, pages;            /* this page (1-based) and how many: every list is paged
				     * (definitions, references' files, initializers, uses) */
	struct xref_init *inits;    /* initializers that fill NAME (TYPE.MEMBER or member NAME) */
	size_t ninits;
	size_t inits_total;
	struct xref_init *uses;     /* initializers whose value is NAME (ops tables it is in) */
	size_t nuses;
	size_t uses_total;
};

/*
 * Looks name (NAME or TYPE.MEMBER) up; page (1-based) selects the page of each
 * list (definitions, references, initializers), so that no answer grows without
 * bound: EXPORT_SYMBOL has 13,512 definitions, `data` 2,897. Returns 1 when the index knows the name,
 * 0 when not (r is then empty but valid), -1 with err on a bad name or a
 * failing index. xref_result_release() frees r in every case.
 */
int xref_lookup(struct xref *x, const char *name, int page, struct xref_result *r,
		struct kl_err *err);
void xref_result_release(struct xref_result *r);
/*
 * The JSON of a result: {"name", "definitions": [{file, line, kind, scope?, doc_line?}],
 * "references": [{file, line}], "initializers": [{file, line, type, member, variable,
 * value}], "used_in": [...as initializers], "page", "pages", "reference_files",
 * "reference_total", "initializer_total", "used_in_total", "definition_total"}.
 */
void xref_result_json(const struct xref_result *r, struct kl_buf *out);

/* True when the index defines name (any kind of definition). */
bool xref_defined(struct xref *x, const char *name);

/*
 * The text of the indexed file path (relative, as listed): 1 found (text filled),
 * 0 not in the index, -1 on error. Never reads the filesystem.
 */
int xref_file(struct xref *x, const char *path, struct kl_buf *text, struct kl_err *err);

/*
 * Where function name is defined: *file (caller frees) and *line of the first
 * definition by path; returns how many definitions there are (0: none, 2: more than one).
 */
int xref_function(struct xref *x, const char *name, char **file, int *line);

/* 1 when path is an indexed file, 2 an indexed folder, 0 neither. */
int xref_has_path(struct xref *x, const char *path);

struct xref_entry {
	char *name;  /* one path segment */
	bool dir;
	int lines;   /* files: line count */
};

/*
 * The entries of folder dir ("" for the top, else without a trailing '/'),
 * folders first: 1 found, 0 no such folder, -1 on error. Free with xref_entries_free.
 */
int xref_dir(struct xref *x, const char *dir, struct xref_entry **out, size_t *n,
	     struct kl_err *err);
void xref_entries_free(struct xref_entry *e, size_t n);

/* Meta data of the index: "tarball", "built", "version" (caller frees; NULL when absent). */
char *xref_meta(struct xref *x, const char *key);

#endif
