/*
 * tree.h - for the unit tests that build a small tree of files (test_check.c,
 * test_xref.c): writes rel under dir, its folders made first. Include after
 * cmocka.h; it asserts.
 */
#ifndef KLAB_TEST_TREE_H
#define KLAB_TEST_TREE_H

#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"

static inline void tree_write(const char *dir, const char *rel, const char *text)
{
	char *path = kl_path_join(dir, rel);
	char *slash = strrchr(path, '/');
	struct kl_err err;

	*slash = '\0';
	assert_int_equal(kl_mkdir_p(path, 0755, &err), 0);
	*slash = '/';
	assert_int_equal(kl_write_file(path, text, strlen(text), &err), 0);
	free(path);
}

#endif
