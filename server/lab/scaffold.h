/*
 * scaffold.h - `klab new lab ID --topic T`: writes a new lab that already holds
 * (klab verify passes on it) for an author to turn into their own: README.md with
 * front matter, Kbuild, the skeleton module, a guest test on klab_test.h,
 * hints.md, the reference solution (solution/) and one wrong variant
 * (wrong/no-range-check/: change.patch made with diff -u, and expect).
 */
#ifndef KLAB_LAB_SCAFFOLD_H
#define KLAB_LAB_SCAFFOLD_H

#include "core/err.h"

struct lab_scaffold {
	const char *id;    /* the lab's id, e.g. mydrv-01 */
	const char *topic; /* its topic */
	const char *title; /* NULL: a placeholder title */
};

/*
 * Writes the lab into dir/labs/<id> (which must not exist). *lab_dir receives
 * the lab's folder (caller frees).
 */
int lab_scaffold_write(const char *dir, const struct lab_scaffold *s, char **lab_dir,
		       struct kl_err *err);

#endif
