/*
 * catalog.h - the labs (labs/<id>/README.md) and notes (notes/<topic>.md) of the
 * source tree, read from their front matter. Every `root` below is a content
 * path (core/content.h): folders joined by ':', searched in order, the first
 * having a lab or note winning (a single folder is a content path too).
 *
 * Lab front matter:
 *   id, title, topic, difficulty       strings (id must match the folder)
 *   files: [a.c, ...]                  what the learner edits
 *   programs: [vmm.c]                  learner files that are userspace programs, built
 *                                      static and put in the guest's /klab/bin (optional)
 *   timeout: 30                        seconds for the guest run after boot
 *   test_timeout: 10                   seconds for each guest test program
 *   kernel_modules: [kvm, kvm-amd]     in-tree modules to load first (optional)
 *   kprobes: [__x64_sys_getppid]       kernel functions the lab's module may probe: a
 *                                      kprobe on the output path (VFS, tty, printk,
 *                                      exit) that is not declared is tampering (optional)
 *   module_params: "name=value ..."    parameters for the lab's module (optional)
 *   qemu_cpu: qemu64,+svm              overrides the profile's CPU (optional)
 *   busybox: true                      puts busybox (sh, mount, ...) in the guest's
 *                                      /bin for tests that need a shell (optional:
 *                                      it costs boot time, 2 MB to unpack)
 *   points: {test_name: 2, ...}        every graded test and its points
 * Note front matter: title, topic, order, labs: [...], tags: [...].
 */
#ifndef KLAB_CATALOG_H
#define KLAB_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct kl_lab_test {
	char *name; /* the KTAP test name */
	int points; /* what it is worth */
};

struct kl_lab {
	char *id, *title, *topic, *difficulty;
	char *dir;           /* absolute path of labs/<id> */
	char **files;        /* files the learner edits */
	size_t nfiles;
	char **programs;     /* learner files built as static guest programs */
	size_t nprograms;
	char **kernel_modules; /* in-tree modules, in load order */
	size_t nkernel_modules;
	char **kprobes;      /* kernel functions the lab's module may probe */
	size_t nkprobes;
	char *module_params; /* may be NULL */
	char *qemu_cpu;      /* may be NULL */
	int busybox;         /* the guest needs busybox */
	long timeout;        /* seconds */
	long test_timeout;   /* seconds */
	struct kl_lab_test *tests;
	size_t ntests;
	int max_score;       /* sum of the tests' points */
};

struct kl_note {
	char *topic, *title;
	char *path;  /* absolute path of notes/<topic>.md */
	long order;
	char **labs;
	size_t nlabs;
	char **tags;
	size_t ntags;
};

/* True for names made of [a-z0-9_-] that start with a letter or digit (ids, topics). */
bool kl_valid_id(const char *id);

/* Reads labs/<id>/README.md; kl_lab_release() frees. Errors name the file and line. */
int kl_lab_load(const char *root, const char *id, struct kl_lab *lab, struct kl_err *err);
void kl_lab_release(struct kl_lab *lab);
/* Every lab id under root/labs, sorted; free with kl_strv_free. */
int kl_lab_ids(const char *root, char ***ids, size_t *n, struct kl_err *err);
/*
 * Every lab id in curriculum order: by the order of its topic's note, then
 * its place in that note's `labs` list, then id. Free with kl_strv_free.
 */
int kl_lab_ids_ordered(const char *root, char ***ids, size_t *n, struct kl_err *err);
/* The points of a test, or -1 when the lab does not declare it. */
int kl_lab_points(const struct kl_lab *lab, const char *test);

int kl_note_load(const char *path, struct kl_note *note, struct kl_err *err);
/* kl_note_load from text already read (the front matter at least) of the file at path. */
int kl_note_parse(const char *path, const char *text, size_t len, struct kl_note *note,
		  struct kl_err *err);
void kl_note_release(struct kl_note *note);
/* Every note under root/notes, sorted by order then topic; free with kl_notes_free. */
int kl_notes_load(const char *root, struct kl_note **notes, size_t *n, struct kl_err *err);
void kl_notes_free(struct kl_note *notes, size_t n);

void kl_strv_free(char **v, size_t n);
/* Sorts v by strcmp. */
void kl_strv_sort(char **v, size_t n);

#endif
