/*
 * verify.h - `klab verify LAB`: proves that a lab holds, through the real
 * pipeline (lab_run, nothing recorded):
 *   1. the skeleton (the lab's own folder) builds and fails, below full score;
 *   2. the reference solution passes with the full score;
 *   3. every wrong variant gets its expected verdict.
 * The solution and wrong variants of a lab are in its folder (labs/ID/solution/,
 * labs/ID/wrong/<variant>/) or, for klab's own labs, in tests/solutions/ID/ and
 * tests/wrong/ID/<variant>/ of klab's root. A solution holds files that replace
 * the skeleton's. A variant is a mistake written as change.patch (patch -p1) on
 * the solution, and an `expect` file: `#` lines are comments; an optional first
 * line `base: skeleton` applies the patch to the skeleton instead (forgeries);
 * then the verdict (`fail`, `fault`, ... or `fail|fault` for a race that shows
 * either way, the tests named then having to fail under the first); then, one a
 * line, tests that must fail.
 */
#ifndef KLAB_LAB_VERIFY_H
#define KLAB_LAB_VERIFY_H

#include <stdio.h>

#include "core/catalog.h"
#include "core/config.h"
#include "core/err.h"

struct lab_verify_opts {
	const char *lab;
	const char *kernel;     /* profile; NULL: the default */
	char *const *variants;  /* only these wrong variants (and no skeleton, no solution) */
	size_t nvariants;
	FILE *out;              /* one line per check, and what failed */
	FILE *progress;         /* each run's live progress, or NULL */
};

/* A wrong variant's expectation, read from its `expect` file. */
struct lab_verify_expect {
	int skeleton_base;   /* `base: skeleton` */
	char **verdicts;     /* accepted verdicts, the first the one must_fail applies to */
	size_t nverdicts;
	char **must_fail;    /* tests that must fail */
	size_t nmust_fail;
};

/*
 * Where a lab's reference solution and wrong variants are (see above): folders
 * that may not exist. Caller frees both.
 */
void lab_verify_dirs(const struct kl_config *cfg, const struct kl_lab *lab, char **solution,
		     char **wrong);
/* Parses an expect file's text; path names it in errors. lab_verify_expect_release frees. */
int lab_verify_expect_parse(const char *text, const char *path, struct lab_verify_expect *e,
			    struct kl_err *err);
void lab_verify_expect_release(struct lab_verify_expect *e);
/*
 * Runs every check; *failed counts those that did not hold (0: the lab holds),
 * *infra those that could not be run on this machine (QEMU or kernel missing).
 * Returns -1 when the lab cannot be verified at all (err says why).
 */
int lab_verify(const struct kl_config *cfg, const struct lab_verify_opts *o, int *failed,
	       int *infra, struct kl_err *err);

#endif
