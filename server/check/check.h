/*
 * check.h - `klab check`: verifies the notes (notes/<topic>.md) and reports every
 * problem with its file and line: front matter, links (labs, notes, anchors,
 * static files), that every lab is linked from a note, and that the kernel
 * identifiers in code spans exist in the lab kernel (through the names of the
 * source index, xref/names.h).
 *
 * Code spans that are checked (everything else, and all fenced code, is not;
 * prose is checked too, see check_text_next):
 *   name() or name(args)   a function: in System.map or Module.symvers, or in the
 *                          source/headers as a function (defined or declared,
 *                          static inline included) or a macro.
 *                          name(2), name(3p) ... are man pages: not checked.
 *   struct x, union x, enum x   the tag is defined (`struct x {`) in source/headers.
 *   a/b.c                  a path with a '/' that ends in .c .h .S .rst .txt
 *                          (.lds.h too) or is named Makefile*, Kconfig*, Kbuild,
 *                          or whose first part is a top-level folder of the tree
 *                          (kernel/, arch/, Documentation/...): a file (or
 *                          folder) of the source tree; <linux/x.h> and linux/x.h
 *                          are also looked up under include/, arch/x86/include/.
 *   kernel/futex/          ends in '/', first part a top-level folder: a folder.
 *   UPPER_CASE with a '_'  a #define or enumerator; CONFIG_X a Kconfig symbol
 *                          (or a #define of the flavour's autoconf.h).
 *   lower_case with a '_'  any of the above, a typedef, a struct member or a
 *                          variable (source or System.map).
 */
#ifndef KLAB_CHECK_H
#define KLAB_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/err.h"
#include "xref/names.h"

/* ---- code spans ---- */

enum check_span_kind {
	CHECK_SPAN_NONE,  /* not checked */
	CHECK_SPAN_FUNC,  /* name() */
	CHECK_SPAN_TAG,   /* struct x, union x, enum x */
	CHECK_SPAN_PATH,  /* a file of the source tree */
	CHECK_SPAN_DIR,   /* a folder of the source tree */
	CHECK_SPAN_UPPER, /* GFP_KERNEL, CONFIG_KPROBES */
	CHECK_SPAN_IDENT, /* task_struct, spin_lock_irqsave */
};

struct check_span {
	enum check_span_kind kind;
	char name[256]; /* what to look up: the identifier, tag name or path */
	unsigned tag;   /* CHECK_SPAN_TAG: XREF_N_STRUCT, XREF_N_UNION or XREF_N_ENUM */
	bool include;   /* CHECK_SPAN_PATH: also search the include folders */
};

/* Sorts a code span's text into what it names (see the top of this file). */
void check_span_classify(const char *text, struct check_span *out);
/*
 * The next word of prose (a Markdown text node, NUL-terminated) from *pos that
 * looks like a kernel identifier: a word followed by `()` (CHECK_SPAN_FUNC), or
 * snake_case, lower case with a '_' inside or leading (CHECK_SPAN_IDENT). Parts
 * of paths, file names, URLs, addresses and hyphenated words are not. Fills sp,
 * *start (may be NULL) with the word's offset, moves *pos past it and returns
 * true; false at the end of text.
 */
bool check_text_next(const char *text, size_t *pos, struct check_span *sp, size_t *start);
/*
 * The kernel's nearest real name for what sp names and does not exist (the
 * kinds it must have, see xref_names_suggest), copied to out; false when none.
 */
bool check_span_suggest(const struct xref_names *kx, const struct check_span *sp, char *out,
			size_t size);
/*
 * True when the kernel has what the span names; otherwise false with the
 * problem written to msg ("`x()` is not in the 6.1 kernel (...)").
 * version labels the kernel in messages ("6.1").
 */
bool check_span_exists(const struct xref_names *kx, const struct check_span *sp,
		       const char *text, const char *version, char *msg, size_t size);

/* ---- links ---- */

enum check_link_kind {
	CHECK_LINK_LAB,      /* lab:<id> */
	CHECK_LINK_NOTE,     /* <topic>.md or <topic>.md#anchor */
	CHECK_LINK_ANCHOR,   /* #anchor in the same note */
	CHECK_LINK_STATIC,   /* /static/<path> */
	CHECK_LINK_EXTERNAL, /* http(s): or mailto:, never fetched */
	CHECK_LINK_OTHER,    /* anything else: a problem */
};

struct check_link {
	enum check_link_kind kind;
	char target[256]; /* LAB: the id; NOTE: the topic; STATIC: the path under static/ */
	char anchor[256]; /* NOTE, ANCHOR: the anchor ("" when none) */
};

void check_link_parse(const char *url, struct check_link *out);

/*
 * The anchors of the headings of a Markdown text, as the web renderer makes them:
 * kl_slug of each heading's plain text (text and code, line breaks as spaces),
 * "section" when empty, "-1", "-2" ... after repeats. Free with kl_strv_free.
 */
int check_anchors(const char *md, size_t len, char ***anchors, size_t *n, struct kl_err *err);

/* ---- the lab kernel ---- */

struct check_kernel {
	struct xref_names *kx; /* the names of the source index plus the overlay */
	char *version;       /* "6.1", from the tarball name */
	char *index_path;    /* the index file */
	size_t source_names; /* names in the index file */
	size_t map_symbols;  /* System.map symbols (0 for Debian's placeholder) */
	size_t exports;      /* Module.symvers exports */
	size_t headers;      /* generated headers scanned */
	int built;           /* 1 when this open built the index */
	double build_seconds;
};

/*
 * Opens the kernel: the source index of tarball under cache (xref_ensure: built
 * first when missing, a few minutes, with its scratch copy under tmpdir and a
 * progress line to progress, which may be NULL), then System.map,
 * <headers>/Module.symvers and the .h files under headers. system_map and
 * headers may be NULL (index only). check_kernel_release() frees. Errors say
 * which command fixes them.
 */
int check_kernel_open(const char *cache, const char *tarball, const char *tmpdir,
		      FILE *progress, const char *system_map, const char *headers,
		      struct check_kernel *k, struct kl_err *err);
void check_kernel_release(struct check_kernel *k);

/* ---- notes ---- */

struct check_problem {
	char *file;       /* as shown: relative to the root when under it */
	int line;         /* 1-based; 0 when the whole file is concerned */
	char *kind;       /* frontmatter, link, anchor, lab, static, identifier, coverage */
	char *message;    /* what is wrong and, when not obvious, what to do */
	char *name;       /* identifier: the name looked up (else NULL) */
	char *suggestion; /* identifier: the kernel's nearest real name, NULL when none */
};

struct check_report {
	struct check_problem *problems;
	size_t n, cap;
	size_t notes; /* notes checked */
	size_t spans; /* code spans checked against the kernel */
	size_t words; /* words of prose checked against the kernel */
	size_t links; /* links checked */
};

/*
 * Checks the notes files[0..nfiles) (paths to .md files), or every .md file of
 * root/notes when nfiles is 0 (then also that every lab is linked from a note).
 * A file outside root/notes is a learner's own note: its front matter may be
 * missing or foreign (Hexo, Jekyll: title, date, category/categories, tags as a
 * list or a word; other keys are theirs, only near-misses of these are reported),
 * and it is not linked from the course.
 * Identifiers are looked up in code spans, and in a learner's note in prose too
 * (check_text_next), each unknown one with a suggestion when the kernel has a near name.
 * Links and anchors are resolved against root's labs/, notes/ and static/.
 * kernel NULL skips the identifier checks. Problems go to rep (which the caller
 * releases with check_report_release); the return value is -1 only when the
 * check itself could not run (err says why).
 */
int check_notes(const char *root, const struct check_kernel *kernel, char *const *files,
		size_t nfiles, struct check_report *rep, struct kl_err *err);
void check_report_release(struct check_report *rep);
/*
 * The identifier findings of one Markdown file (front matter optional, not
 * checked), for showing them inline on its page: the problems of kind
 * "identifier", with their line, name and suggestion, go to rep under the name
 * shown. prose: also the words of prose (a learner's note; the course's notes
 * keep kernel names in code spans). -1 only when path cannot be read.
 */
int check_identifiers(const struct check_kernel *kernel, const char *path, const char *shown,
		      bool prose, struct check_report *rep, struct kl_err *err);
/* "file:line: message" lines. */
void check_report_print(const struct check_report *rep, FILE *out);
/* A JSON array of {file, line, kind, message} (identifiers: also name, suggestion or null). */
void check_report_json(const struct check_report *rep, struct kl_buf *out);

#endif
