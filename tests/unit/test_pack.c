/*
 * test_pack.c - unit tests of the run's records (server/lab/pack.c): file
 * records carry the bytes, and the plan says "go" for exactly the test
 * programs that wait for one (klab_test.h's tag in the binary, checked on a
 * program built with it: probe/go_probe.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "lab/pack.h"

static char S_dir[256];

static char *S_file(const char *name, const char *text, size_t len)
{
	char *path = kl_sprintf("%s/%s", S_dir, name);

	assert_int_equal(kl_write_file(path, text, len, NULL), 0);
	return path;
}

/* The text of the plan's record in a bundle. */
static char *S_plan(const struct kl_buf *b)
{
	static const char head[] = "KLAB-FILE /klab/plan 644 ";
	const char *rec = memmem(b->ptr, b->len, head, sizeof(head) - 1);
	size_t len;

	assert_non_null(rec);
	assert_int_equal(sscanf(rec, "KLAB-FILE /klab/plan 644 %zu", &len), 1);
	const char *data = strchr(rec, '\n') + 1;
	return kl_sprintf("%.*s", (int)len, data);
}

static void test_plan_says_go_for_waiting_tests(void **state)
{
	/* a binary with the tag somewhere inside, NULs around it */
	static const char waits[] = "\177ELF\0\0junk\0klab-test: waits for KLAB_GO_FD\0more";
	static const char plain[] = "\177ELF\0\0junk\0klab-test: waits for\0 KLAB_GO_FD";
	char *tests[2], *mods[1];
	struct kl_buf b = KL_BUF_INIT;
	struct kl_err err = { "" };

	(void)state;
	tests[0] = S_file("test_waits", waits, sizeof(waits));
	tests[1] = S_file("test_plain", plain, sizeof(plain));
	mods[0] = S_file("hello.ko", "ko", 2);
	struct lab_pack_input in = { .modules = mods, .nmodules = 1, .module_params = "count=3",
				     .tests = tests, .ntests = 2, .test_timeout = 12 };
	assert_int_equal(lab_pack_bundle(&in, &b, &err), 0);
	char *plan = S_plan(&b);
	assert_string_equal(plan, "timeout 12\n"
				  "module /klab/modules/hello.ko count=3\n"
				  "test /klab/tests/test_waits 12 go\n"
				  "test /klab/tests/test_plain 12\n");
	/* each file's bytes follow its record whole */
	static const char head[] = "KLAB-FILE /klab/tests/test_waits 755 ";
	const char *rec = memmem(b.ptr, b.len, head, sizeof(head) - 1);
	assert_non_null(rec);
	assert_memory_equal(strchr(rec, '\n') + 1, waits, sizeof(waits));
	free(plan);
	for (int i = 0; i < 2; i++)
		free(tests[i]);
	free(mods[0]);
	kl_buf_release(&b);
}

/* klab_test.h's tag and the packer's are the same: a real test program says go. */
static void test_klab_test_h_program_says_go(void **state)
{
	char *tests[1] = { GO_PROBE };
	struct kl_buf b = KL_BUF_INIT;
	struct kl_err err = { "" };

	(void)state;
	struct lab_pack_input in = { .tests = tests, .ntests = 1, .test_timeout = 10 };
	assert_int_equal(lab_pack_bundle(&in, &b, &err), 0);
	char *plan = S_plan(&b);
	assert_string_equal(plan, "timeout 10\ntest /klab/tests/go_probe 10 go\n");
	free(plan);
	kl_buf_release(&b);
}

static int S_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	(void)state;
	snprintf(S_dir, sizeof(S_dir), "%s/klab-pack-XXXXXX", tmp ? tmp : "/tmp");
	return mkdtemp(S_dir) ? 0 : -1;
}

static int S_teardown(void **state)
{
	(void)state;
	return kl_rm_rf(S_dir, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_says_go_for_waiting_tests),
		cmocka_unit_test(test_klab_test_h_program_says_go),
	};

	return cmocka_run_group_tests(tests, S_setup, S_teardown);
}
