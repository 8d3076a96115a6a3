/*
 * build.h - the build step of the lab pipeline: the learner's sources copied to
 * a private build folder, the module built with Kbuild against the profile's
 * headers, the guest test programs built static (cached by content), and the
 * compiler's messages mapped back to the learner's own file paths.
 */
#ifndef KLAB_LAB_BUILD_H
#define KLAB_LAB_BUILD_H

#include <stddef.h>

#include "core/buf.h"
#include "core/catalog.h"
#include "core/config.h"
#include "core/err.h"
#include "lab/profile.h"

struct lab_diag {
	char *file;     /* the learner's path */
	int line, col;
	char *severity; /* error, warning, fatal error */
	char *message;
};

struct lab_build {
	char *dir;       /* the private build folder */
	char **names;    /* file names in dir ... */
	char **origins;  /* ... and the learner's files they came from */
	size_t nfiles;
	char **kos;      /* built modules (paths in dir) */
	char **modnames; /* their names as the kernel prints them */
	size_t nkos;
	char **programs; /* the learner's static guest programs (paths in dir) */
	size_t nprograms;
	char **tests;    /* guest test binaries (cache paths), sorted */
	size_t ntests;
	struct kl_buf log; /* Kbuild's output, paths mapped to the learner's */
	struct lab_diag *diags;
	size_t ndiags;
	double module_s, tests_s;
	const char *cache; /* $KLAB_CACHE, not owned: Kbuild's commands kept for a replay (NULL: none) */
	int replayed;      /* 1 when the module was built by replaying them (lab/replay.h) */
};

/*
 * Creates the build folder (under $TMPDIR) and fills it with the lab's skeleton,
 * overlaid with the learner's editable files found in srcdir.
 */
int lab_build_prepare(const struct kl_lab *lab, const char *srcdir, struct lab_build *b,
		      struct kl_err *err);
/*
 * Builds the lab's modules when it has a Kbuild file (by replaying the commands
 * Kbuild ran for the same lab before, when b->cache holds them and they run
 * silently; otherwise with Kbuild), then the lab's `programs` static. 0 built,
 * 1 the learner's code did not compile (see b->diags), -1 infra.
 */
int lab_build_module(const struct lab_profile *p, const struct kl_lab *lab, struct lab_build *b,
		     struct kl_err *err);
/* Builds (or takes from the cache) the lab's guest tests. 0, or -1 with err. */
int lab_build_tests(const struct kl_config *cfg, const struct kl_lab *lab, struct lab_build *b,
		    struct kl_err *err);
/*
 * The modules the lab's Kbuild file will build (obj-m := a.o b.o / obj-m += c.o),
 * as the kernel names them ('-' as '_'); free with kl_strv_free. 0 when it
 * cannot tell (then the pipeline builds before it boots).
 */
size_t lab_build_expected_modules(const struct lab_build *b, char ***names);
/* A copy of the built module i without debug information (what the guest needs), in out. */
int lab_build_stripped(const struct lab_build *b, size_t i, struct kl_buf *out,
		       struct kl_err *err);
/* Parses gcc-style "file:line:col: severity: message" lines of text into b->diags. */
void lab_build_parse_diags(struct lab_build *b, const char *text);
/* Frees b; removes the build folder unless keep. */
void lab_build_release(struct lab_build *b, int keep);

#endif
