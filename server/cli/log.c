/*
 * log.c - `klab log LAB [N]`: an attempt's output again (what `klab run`
 * printed, kept in the progress store), its date, kernel and sources, and on
 * request the diff of the learner's files against the attempt before it.
 * `--list` lists a lab's attempts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/attempts.h"
#include "core/buf.h"
#include "core/progress.h"
#include "core/term.h"

static void S_when(long long at, char *buf, size_t len)
{
	time_t t = (time_t)at;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
}

/* One line per attempt, oldest first. */
static int S_list(struct kl_progress *p, const char *lab)
{
	struct kl_attempt *a = NULL;
	struct kl_err err = { "" };
	size_t n = 0;

	if (kl_progress_attempts(p, lab, 1000, &a, &n, &err) < 0)
		return cli_fail("%s", err.msg);
	for (size_t i = n; i-- > 0;) {
		char when[32];
		S_when(a[i].started_at, when, sizeof(when));
		printf("%4d  %s  %-11s %3d/%-3d %5.1f s  %s\n", a[i].number, when, a[i].verdict,
		       a[i].score, a[i].max_score, (double)a[i].duration_ms / 1000,
		       a[i].kernel ? a[i].kernel : "");
	}
	kl_attempts_free(a, n);
	return 0;
}

/* The attempt as what a person reads: a header, then the kept output. */
static void S_show(const struct kl_attempt *a, int total)
{
	char when[32];

	S_when(a->started_at, when, sizeof(when));
	printf("%s attempt %d of %d, %s: %s %d/%d in %.1f s\n", a->lab, a->number, total, when,
	       a->verdict, a->score, a->max_score, (double)a->duration_ms / 1000);
	printf("  kernel %s, sources %s\n", a->kernel ? a->kernel : "?",
	       a->source ? a->source : "?");
	if (a->output) {
		fputs(a->output, stdout);
		return;
	}
	/* attempts recorded before klab kept the output: their tests */
	putchar('\n');
	for (size_t i = 0; i < a->ntests; i++) {
		const struct kl_attempt_test *t = &a->tests[i];
		printf("  %s ", t->ok ? "ok" : "x ");
		kl_term_write(stdout, t->name, strlen(t->name));
		if (!t->ok && t->diagnostic) {
			fputs(": ", stdout);
			kl_term_write(stdout, t->diagnostic, strlen(t->diagnostic));
		}
		putchar('\n');
	}
}

static void S_json(const struct kl_attempt *a)
{
	struct kl_buf b = KL_BUF_INIT;

	kl_buf_puts(&b, "{\"lab\":");
	kl_buf_put_json(&b, a->lab);
	kl_buf_printf(&b, ",\"attempt\":%d,\"attempt_id\":%lld,\"started_at\":%lld,"
			  "\"duration_ms\":%lld,\"verdict\":", a->number, a->id, a->started_at,
		      a->duration_ms);
	kl_buf_put_json(&b, a->verdict);
	kl_buf_printf(&b, ",\"score\":%d,\"max\":%d,\"kernel\":", a->score, a->max_score);
	kl_buf_put_json(&b, a->kernel);
	kl_buf_puts(&b, ",\"commit\":");
	kl_buf_put_json(&b, a->commit);
	kl_buf_puts(&b, ",\"output\":");
	kl_buf_put_json(&b, a->output);
	kl_buf_puts(&b, "}\n");
	fputs(kl_buf_str(&b), stdout);
	kl_buf_release(&b);
}

int cmd_log(int argc, char **argv, const struct kl_config *cfg)
{
	struct kl_err err = { "" };
	struct kl_progress *p = NULL;
	struct kl_attempt a = { 0 }, prev = { 0 };
	struct kl_lab_status st;
	const char *lab = NULL;
	long number = 0;
	int list = 0, json = 0, diff = 0, rc = 2;

	for (int i = 1; i < argc; i++) {
		char *end;
		if (strcmp(argv[i], "--list") == 0)
			list = 1;
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--diff") == 0)
			diff = 1;
		else if (argv[i][0] == '-')
			return cli_usage("log", "unknown option `%s`", argv[i]);
		else if (!lab)
			lab = argv[i];
		else if (!number && (number = strtol(argv[i], &end, 10)) > 0 && !*end)
			;
		else
			return cli_usage("log", "`%s` is not an attempt number (1, 2, ...)", argv[i]);
	}
	if (!lab)
		return cli_usage("log", "which lab? (`klab list` shows them)");
	if (cli_lab_exists(cfg, lab) != 0)
		return 2;
	if (kl_progress_open_ro(cfg->home, &p, &err) < 0 ||
	    kl_progress_lab_status(p, lab, &st, &err) < 0) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (st.attempts == 0) {
		printf("%s: no attempt yet; `klab run %s` makes the first\n", lab, lab);
		rc = 0;
		goto out;
	}
	if (list) {
		rc = S_list(p, lab);
		goto out;
	}
	if (!number)
		number = st.attempts;
	int found = kl_progress_attempt_number(p, lab, (int)number, &a, &err);
	if (found <= 0) {
		if (found < 0)
			cli_fail("%s", err.msg);
		else
			cli_fail("%s has %d attempt%s: pick N from 1 to %d (`klab log %s --list`)",
				 lab, st.attempts, st.attempts == 1 ? "" : "s", st.attempts, lab);
		goto out;
	}
	if (json) {
		S_json(&a);
		rc = 0;
		goto out;
	}
	S_show(&a, st.attempts);
	if (diff) {
		struct kl_buf d = KL_BUF_INIT;
		if (number < 2 || kl_progress_attempt_number(p, lab, (int)number - 1, &prev, &err) <= 0 ||
		    !prev.commit || !a.commit)
			printf("\n(no earlier attempt with saved sources to compare with)\n");
		else if (kl_attempts_diff(cfg->home, prev.commit, a.commit, &d, &err) < 0)
			cli_fail("%s", err.msg);
		else
			printf("\nchanges since attempt %ld:\n%s", number - 1,
			       d.len ? kl_buf_str(&d) : "(none)\n");
		kl_buf_release(&d);
	} else if (number > 1) {
		printf("\n(`klab log %s %ld --diff` shows what you changed since attempt %ld)\n", lab,
		       number, number - 1);
	}
	rc = 0;
out:
	kl_attempt_release(&a);
	kl_attempt_release(&prev);
	kl_progress_close(p);
	return rc;
}
