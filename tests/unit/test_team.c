/*
 * test_team.c - team onboarding's parsers and rules: the content path
 * (KLAB_PATH order, duplicates, a missing folder), a wrong variant's expect
 * file, tracks (shape and errors), progress.json as a mentor reads it (types,
 * ranges, stuck), and the same-origin rule of the site's POSTs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/catalog.h"
#include "core/content.h"
#include "core/team.h"
#include "core/track.h"
#include "lab/verify.h"

static void test_content_path(void **state)
{
	struct kl_err err;
	char *path = NULL, **dirs;

	(void)state;
	/* the root counts once, at its first place; KLAB_PATH folders come first */
	assert_int_equal(kl_content_path("/tmp:/:/tmp", "/", &path, &err), 0);
	assert_string_equal(path, "/tmp:/");
	size_t n = kl_content_dirs(path, &dirs);
	assert_int_equal(n, 2);
	assert_string_equal(dirs[0], "/tmp");
	kl_strv_free(dirs, n);
	free(path);
	assert_int_equal(kl_content_path(NULL, "/", &path, &err), 0);
	assert_string_equal(path, "/");
	free(path);
	assert_int_equal(kl_content_path("/no/such/klab/folder", "/", &path, &err), -1);
	assert_non_null(strstr(err.msg, "/no/such/klab/folder"));
	assert_null(path);
	char *f = kl_content_file("/no/a:/tmp", "x-%d", 1);
	assert_string_equal(f, "/tmp/x-1"); /* none has it: the last folder's */
	free(f);
	assert_null(kl_content_find("/no/a:/tmp", "no-such-%d", 7));
}

static void test_expect(void **state)
{
	struct lab_verify_expect e;
	struct kl_err err;

	(void)state;
	assert_int_equal(lab_verify_expect_parse("# a race\n fail|fault \nreaders\n\n# why\nwriters\n",
						 "x/expect", &e, &err), 0);
	assert_int_equal(e.skeleton_base, 0);
	assert_int_equal(e.nverdicts, 2);
	assert_string_equal(e.verdicts[0], "fail");
	assert_string_equal(e.verdicts[1], "fault");
	assert_int_equal(e.nmust_fail, 2);
	assert_string_equal(e.must_fail[1], "writers");
	lab_verify_expect_release(&e);
	assert_int_equal(lab_verify_expect_parse("base: skeleton\nfault\n", "x", &e, &err), 0);
	assert_int_equal(e.skeleton_base, 1);
	assert_int_equal(e.nmust_fail, 0);
	lab_verify_expect_release(&e);
	assert_int_equal(lab_verify_expect_parse("base: other\nfail\n", "x/expect", &e, &err), -1);
	assert_non_null(strstr(err.msg, "x/expect:1"));
	assert_int_equal(lab_verify_expect_parse("# only a comment\n", "x/expect", &e, &err), -1);
	assert_non_null(strstr(err.msg, "no verdict"));
}

static void test_track(void **state)
{
	const char *ok = "title: T\nsteps:\n  - note: modules\n  - lab: modules-01\n";
	struct kl_track t;
	struct kl_err err;
	size_t done;

	(void)state;
	assert_int_equal(kl_track_parse(ok, strlen(ok), "t.yaml", &t, &err), 0);
	assert_string_equal(t.title, "T");
	assert_int_equal(t.nsteps, 2);
	assert_int_equal(t.steps[1].kind, KL_STEP_LAB);
	assert_int_equal(t.steps[1].line, 4);
	assert_int_equal(kl_track_progress(NULL, &t, &done, &err), 0);
	assert_int_equal(done, 0);
	assert_ptr_equal(kl_track_next(&t), &t.steps[0]);
	t.steps[0].done = t.steps[1].done = 1;
	assert_null(kl_track_next(&t));
	kl_track_release(&t);
	const char *bad[] = { "title: T\nsteps:\n  - lab: ../etc\n", "title: [T]\nsteps: []\n",
			      "title: T\nsteps: []\n", "- a\n", "title: T\nsteps:\n  - note: {a: b}\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(kl_track_parse(bad[i], strlen(bad[i]), "t.yaml", &t, &err), -1);
		assert_non_null(strstr(err.msg, "t.yaml"));
	}
}

static void test_progress_json(void **state)
{
	char *ids[] = { "a-01", "b-01" };
	int max[] = { 10, 20 };
	struct kl_team_catalog c = { ids, max, 2 };
	struct kl_team_learner l = { 0 };
	const char *ok = "{\"format\":1,\"learner\":\"Ann\",\"labs\":{\"a-01\":{\"status\":\"failed\","
			 "\"best\":4,\"max\":10,\"attempts\":3,\"last_at\":100,\"scores\":[4,2,3]},"
			 "\"zz\":7},\"notes_read\":{\"m\":200}}";

	(void)state;
	assert_int_equal(kl_team_parse(ok, strlen(ok), &c, 3, &l), 0);
	assert_string_equal(l.name, "Ann");
	assert_int_equal(l.nlabs, 2);
	assert_string_equal(l.labs[0].status, "failed");
	assert_int_equal(l.labs[0].best, 4);
	assert_int_equal(l.labs[0].stuck, 1); /* 3 attempts, the last 2 no better */
	assert_string_equal(l.labs[1].status, "not started");
	assert_int_equal(l.labs[1].max, 20);
	assert_int_equal(l.last_activity, 200);
	kl_team_learner_release(&l);
	assert_int_equal(kl_team_parse(ok, strlen(ok), &c, 4, &l), 0);
	assert_int_equal(l.labs[0].stuck, 0); /* fewer than 4 attempts */
	kl_team_learner_release(&l);
	const char *bad = "{\"format\":1,\"learner\":\"Ann\",\"labs\":{\"a-01\":{\"status\":\"passed\","
			  "\"best\":true,\"max\":10,\"attempts\":3,\"last_at\":100}}}";
	assert_int_equal(kl_team_parse(bad, strlen(bad), &c, 3, &l), -1);
	assert_null(l.name);
	assert_int_equal(l.nlabs, 0);
	assert_non_null(strstr(l.error, "labs.a-01.best"));
	kl_team_learner_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_path), cmocka_unit_test(test_expect),
		cmocka_unit_test(test_track),	     cmocka_unit_test(test_progress_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
