/*
 * test_iring.c - guest tests of lab testing-01: grades the learner's KUnit
 * tests by what they catch. /init loaded every module of the lab; this
 * program unloads them, then loads them one at a time and reads the KUnit
 * suite "iring" from debugfs (/sys/kernel/debug/kunit/iring/results), which
 * the kernel writes as KTAP:
 *   - iring_test (the tests with the real library) must pass: its results
 *     are printed nested under correct_library_passes, so a failed case
 *     shows up by name with KUnit's own message;
 *   - iring_test_m1 .. m4 (the tests with a planted bug each) must fail:
 *     catches_<bug> is ok when at least one case failed. Those expected
 *     failures are summed up as diagnostics, not nested, so they never count
 *     against the learner.
 * KUnit's printk output on the console is not read: the results come from
 * debugfs.
 */
#include "klab_test.h"

#define RESULTS "/sys/kernel/debug/kunit/iring/results"
#define MIN_CASES 3

struct suite {
	int found;      /* the results file was there */
	int load_err;   /* -errno from loading the module, 0 when it loaded */
	int plan;       /* the suite's "1..N" */
	int cases, failed, skipped;
	int suite_ok;   /* the suite's own line said "ok" */
	char failed_names[512];
	char text[32768];
};

static const struct {
	const char *module, *check, *bug;
} mutants[] = {
	{ "iring_test_m1", "catches_full", "a ring that says it is full one value early" },
	{ "iring_test_m2", "catches_empty", "a pop on an empty ring that \"succeeds\" with 0" },
	{ "iring_test_m3", "catches_wrap", "a ring whose reads wrap to slot 1 instead of 0" },
	{ "iring_test_m4", "catches_count", "iring_count() that says 0 when the ring is full" },
};

/*
 * Counts the suite's cases (lines "    ok N" / "    not ok N") and reads its
 * plan and its own result. Linux 6.1 keeps 512 bytes of log per case
 * (KUNIT_LOG_SIZE): after a few failed expectations a case's own result line
 * is dropped, so a case missing against the plan is a failed one.
 */
static void parse(struct suite *s)
{
	for (char *line = s->text; line && *line;) {
		char *eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		int not_ok = strncmp(line, "    not ok ", 11) == 0;
		if (not_ok || strncmp(line, "    ok ", 7) == 0) {
			s->cases++;
			if (strstr(line, "# SKIP")) {
				s->skipped++;
			} else if (not_ok) {
				s->failed++;
				char *name = strchr(line + 11, ' ');
				size_t used = strlen(s->failed_names);
				if (name && used + strlen(name) + 2 < sizeof(s->failed_names))
					snprintf(s->failed_names + used, sizeof(s->failed_names) - used,
						 "%s%s", used ? ", " : "", name + 1);
			}
		} else if (strncmp(line, "    1..", 7) == 0) {
			s->plan = atoi(line + 7);
		} else if (strncmp(line, "ok 1 ", 5) == 0) {
			s->suite_ok = 1;
		}
		if (eol)
			*eol = '\n';
		line = eol ? eol + 1 : NULL;
	}
	if (s->plan > s->cases)
		s->failed += s->plan - s->cases;
}

/* Loads one module (its KUnit suite runs then), reads the results, unloads it. */
static void run(const char *module, struct suite *s)
{
	char path[128];

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "/klab/modules/%s.ko", module);
	s->load_err = kt_insmod(path, "");
	if (s->load_err < 0)
		return;
	s->found = kt_read_file(RESULTS, s->text, sizeof(s->text)) >= 0;
	kt_rmmod_within(module, 5000);
	if (s->found)
		parse(s);
}

/* The results as a nested KTAP block: each line two spaces deeper than ours. */
static void print_nested(const char *text)
{
	for (const char *line = text; *line;) {
		size_t n = strcspn(line, "\n");
		printf("  %.*s\n", (int)n, line);
		line += n + (line[n] == '\n');
	}
}

static const char *why_not_run(const struct suite *s)
{
	static char why[160];

	if (s->load_err < 0)
		snprintf(why, sizeof(why), "the module did not load: %s", strerror(-s->load_err));
	else
		snprintf(why, sizeof(why), "no KUnit suite named \"iring\" (%s is missing)", RESULTS);
	return why;
}

int main(void)
{
	static struct suite s;
	int correct = 0;

	kt_plan(1 + (int)(sizeof(mutants) / sizeof(mutants[0])));
	/* /init loaded them all; one at a time, so each suite has debugfs to itself */
	kt_rmmod_within("iring_test", 5000);
	for (size_t i = 0; i < sizeof(mutants) / sizeof(mutants[0]); i++)
		kt_rmmod_within(mutants[i].module, 5000);

	run("iring_test", &s);
	if (!s.found) {
		kt_check("correct_library_passes", 0, "%s", why_not_run(&s));
	} else {
		print_nested(s.text);
		correct = s.suite_ok && s.failed == 0 && s.plan - s.skipped >= MIN_CASES;
		kt_check("correct_library_passes", correct,
			 "against the correct library: %d of %d cases failed, %d skipped (a good "
			 "test passes on correct code; at least %d cases must run)",
			 s.failed, s.plan, s.skipped, MIN_CASES);
	}
	for (size_t i = 0; i < sizeof(mutants) / sizeof(mutants[0]); i++) {
		run(mutants[i].module, &s);
		if (!s.found) {
			kt_check(mutants[i].check, 0, "%s", why_not_run(&s));
			continue;
		}
		int caught = s.failed > 0 || !s.suite_ok;
		if (caught && correct)
			printf("# %s: %d of %d cases failed%s%s\n", mutants[i].module, s.failed,
			       s.plan, s.failed_names[0] ? ": " : "", s.failed_names);
		if (!correct) {
			kt_check(mutants[i].check, 0, "not credited: your tests must pass against the "
				 "correct library before failing against a bug means anything");
			continue;
		}
		kt_check(mutants[i].check, caught,
			 "all %d cases passed against %s: which case should have failed?",
			 s.plan, mutants[i].bug);
	}
	return kt_done();
}
