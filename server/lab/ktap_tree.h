/*
 * ktap_tree.h - a streaming KTAP parser that builds the tree of tests as the
 * kernel prints it (Documentation/dev-tools/ktap.rst, and what KUnit,
 * kselftest and klab's guests really print). It knows nothing of klab's own
 * markers: lab/ktap.h reads those for the lab pipeline, on top of this tree.
 *
 * The rules:
 *  - Anything before the first version line ("KTAP version N", "TAP version
 *    N") is ignored. Whatever stands before that line (a printk timestamp
 *    "[    0.060000] ", a literal prefix) is stripped from every later line;
 *    a later line without it is not KTAP.
 *  - Nesting is read from indentation, to any depth: a version, "# Subtest:"
 *    or plan line, or a result, indented deeper than the current level opens
 *    a subtest; the next result at the outer level is that subtest's own
 *    result. Levels are relative, so two spaces (ktap.rst), four (KUnit) and
 *    tabs (a tab stop every 8 columns) all work. When the first version line
 *    is itself indented (KUnit modules print each suite that way, with the
 *    suite's result at column 0), the top level is implicit.
 *  - A subtest with fewer results than its plan gets one `crashed` test for
 *    each missing result, and is crashed itself; so is a subtest whose own
 *    result line never came (a shallower line or the end of input closed it).
 *    Crashes bubble up to every ancestor, as kunit_parser.py does.
 *  - `# SKIP` (either result) is a skip; a skip never fails its parent. A
 *    failed subtest fails a parent that said "ok" (ktap.rst: "a test fails if
 *    any of its subtests fail"). Other directives (TODO, XFAIL, TIMEOUT,
 *    ERROR) are not recognized: the "ok"/"not ok" stands, as ktap.rst tells a
 *    parser to do with a directive it does not support (its table: KTAP does
 *    not recognize TODO).
 *  - '#' lines are diagnostics: each goes to the next result at its level.
 *    Other lines are unknown lines and change nothing.
 *
 * Memory is bounded whatever the input: at most LAB_KTAP_MAX_NODES tests,
 * LAB_KTAP_MAX_DEPTH levels, LAB_KTAP_MAX_DIAG bytes of diagnostic per result.
 */
#ifndef KLAB_LAB_KTAP_TREE_H
#define KLAB_LAB_KTAP_TREE_H

#include <stddef.h>

#include "core/buf.h"

#define LAB_KTAP_MAX_NODES 8192
#define LAB_KTAP_MAX_DEPTH 32
#define LAB_KTAP_MAX_DIAG 2048
#define LAB_KTAP_MAX_PREFIX 64

enum lab_ktap_status {
	LAB_KTAP_NONE,    /* no test at all (only the whole tree can be this) */
	LAB_KTAP_OK,
	LAB_KTAP_FAIL,
	LAB_KTAP_SKIP,
	LAB_KTAP_CRASHED, /* its result never came, or a subtest's did not */
};

struct lab_ktap_node {
	char *name;       /* the result's description, else the "# Subtest:" name, else "" */
	int number;       /* the number on its result line, else the number it should have had */
	int has_result;   /* its result line came */
	int ok;           /* that line said "ok" */
	char *directive;  /* the text after '#' on that line, NULL when none */
	char *diagnostic; /* the '#' lines just before it at its level, NULL when none */
	int plan;         /* its subtests' plan 1..N, -1 when none */
	enum lab_ktap_status status; /* final once it is closed */
	int depth;        /* 0 for a top-level test */
	long parent;      /* index in the tree's nodes, -1 at top level */
	long first, last; /* its first and last subtest, -1 when none */
	long next;        /* its next sibling, -1 when none */
};

struct lab_ktap_counts {
	int passed, failed, skipped, crashed; /* tests without subtests, as kunit.py counts */
	int errors; /* lines against the format: wrong numbers, results past the plan */
};

/* Called when a test is closed with its result line (status final), in input order. */
typedef void (*lab_ktap_result_fn)(void *ctx, const struct lab_ktap_node *node);

struct lab_ktap_level {
	int indent;         /* columns, after the prefix */
	long node;          /* the test whose subtests this level holds, -1 for the top */
	int plan;           /* -1 when none */
	int count;          /* subtests so far */
	int has_version, has_header, has_body;
	struct kl_buf diag; /* '#' lines waiting for the next result at this level */
};

struct lab_ktap_tree {
	struct lab_ktap_node *nodes; /* every test, parents before their subtests */
	size_t n, cap;
	size_t dropped;     /* tests past LAB_KTAP_MAX_NODES */
	long first, last;   /* top-level tests, -1 when none */
	int started;        /* the first version line came */
	int plan;           /* top-level plan, -1 when none */
	struct lab_ktap_counts counts;
	enum lab_ktap_status status; /* the overall result, set by lab_ktap_tree_finish() */
	int finished;
	lab_ktap_result_fn on_result;
	void *ctx;
	/* the stream's state */
	char prefix[LAB_KTAP_MAX_PREFIX]; /* what stood before the version line */
	int prefix_groups;  /* > 0: a printk-like prefix of that many "[...]" groups */
	int prefix_space;   /* whitespace after those groups */
	struct lab_ktap_level levels[LAB_KTAP_MAX_DEPTH];
	int nlevels;
};

/* on_result may be NULL; ctx is passed to it. */
void lab_ktap_tree_init(struct lab_ktap_tree *t, lab_ktap_result_fn on_result, void *ctx);
void lab_ktap_tree_release(struct lab_ktap_tree *t);
/* One line, with or without its newline. */
void lab_ktap_tree_feed(struct lab_ktap_tree *t, const char *line, size_t len);
/* The end of input: closes what is open (crashed), counts, sets the overall status. */
void lab_ktap_tree_finish(struct lab_ktap_tree *t);
/* "ok", "fail", "skip", "crashed", "none". */
const char *lab_ktap_status_name(enum lab_ktap_status s);
/* True for a status that does not fail its parent (ok, skip). */
int lab_ktap_status_ok(enum lab_ktap_status s);
/*
 * The finished tree as JSON: {"ok": bool, "status": str, "tests": [{"name",
 * "number", "status", "directive"?, "diagnostic"?, "tests": [...]}], "counts": {...}}.
 */
void lab_ktap_tree_json(const struct lab_ktap_tree *t, struct kl_buf *out);

#endif
