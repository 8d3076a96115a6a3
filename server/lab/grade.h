/*
 * grade.h - the grade step: turns what the guest printed (KTAP results, kernel
 * faults, how the VM ended) into a verdict, a score and one outcome per graded
 * test, each with what a learner needs next.
 *
 * Every test the lab declares (front matter `points:`) gets an outcome: a test
 * that never reported (its program crashed, timed out, a module failed to load)
 * fails with the reason. A pass needs the full score, every reported result ok
 * (load:, unload:, each test program, and what a program nests under its
 * checks, such as KUnit cases) and no kernel fault. Results come from the KTAP
 * tree (lab/ktap.h): a result the tree calls crashed (fewer subtests than its
 * plan) fails like a "not ok" one.
 */
#ifndef KLAB_LAB_GRADE_H
#define KLAB_LAB_GRADE_H

#include <stddef.h>

#include "core/catalog.h"
#include "lab/fault.h"
#include "lab/ktap.h"
#include "lab/vm.h"

struct lab_outcome {
	char *name;
	char *group;      /* the test program, or NULL for load:/unload: steps */
	int ok;
	int points, max_points;
	char *diagnostic; /* why it failed, NULL when it passed */
};

struct lab_grade {
	char verdict[16]; /* pass, fail, fault, timeout (build-error and infra are set earlier) */
	int score, max_score;
	struct lab_outcome *tests;
	size_t ntests;
	char *message;    /* one paragraph: what happened, what to look at */
};

/* Grades a finished VM run. kt and f hold everything the console said. */
void lab_grade(const struct kl_lab *lab, const struct lab_ktap *kt, const struct lab_fault *f,
	       const struct lab_vm_result *vm, double run_timeout, struct lab_grade *g);
void lab_grade_release(struct lab_grade *g);
/* The taint letters (D, W, L, ...) that mean a fault, from a taint value; "" when none. */
void lab_grade_taint_flags(long taint, char *out, size_t size);

#endif
