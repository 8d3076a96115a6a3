/*
 * list.c - `klab list`: every lab in curriculum order (the notes' order) with
 * its title, difficulty, status and best score, then the learner's progress
 * and the next lab to do, from the catalog and the progress store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/catalog.h"
#include "core/fsutil.h"
#include "core/progress.h"

#define S_GREEN "\033[32m"
#define S_RED "\033[31m"
#define S_BOLD "\033[1m"
#define S_RESET "\033[0m"

static const char *S_status(const struct kl_lab_status *st)
{
	if (st->attempts == 0)
		return "not started";
	if (st->passed)
		return "passed";
	return "failing";
}

static void S_json_lab(struct kl_buf *json, const struct kl_lab *lab,
		       const struct kl_lab_status *st, int first)
{
	kl_buf_printf(json, "%s{\"id\":", first ? "" : ",");
	kl_buf_put_json(json, lab->id);
	kl_buf_puts(json, ",\"title\":");
	kl_buf_put_json(json, lab->title);
	kl_buf_puts(json, ",\"topic\":");
	kl_buf_put_json(json, lab->topic);
	kl_buf_puts(json, ",\"difficulty\":");
	kl_buf_put_json(json, lab->difficulty);
	kl_buf_puts(json, ",\"status\":");
	kl_buf_put_json(json, S_status(st));
	kl_buf_printf(json, ",\"attempts\":%d,\"best\":", st->attempts);
	if (st->best_score >= 0)
		kl_buf_printf(json, "%d", st->best_score);
	else
		kl_buf_puts(json, "null");
	kl_buf_printf(json, ",\"max\":%d}", lab->max_score);
}

static void S_row(const struct kl_lab *lab, const struct kl_lab_status *st, int tw, int color)
{
	char best[32] = "-";
	const char *status = S_status(st);

	if (st->best_score >= 0)
		snprintf(best, sizeof(best), "%d/%d", st->best_score, lab->max_score);
	printf("%-13s %-*s  %-12s ", lab->id, tw, lab->title, lab->difficulty);
	if (color && st->attempts)
		fputs(st->passed ? S_GREEN : S_RED, stdout);
	printf("%-11s", status);
	if (color && st->attempts)
		fputs(S_RESET, stdout);
	printf(" %s\n", best);
}

int cmd_list(int argc, char **argv, const struct kl_config *cfg)
{
	struct kl_err err = { "" };
	struct kl_progress *p = NULL;
	struct kl_buf json = KL_BUF_INIT;
	char **ids = NULL;
	size_t n = 0;
	int as_json = 0, rc = 2, passed = 0, points = 0, max_points = 0;
	const char *next = NULL, *next_title = NULL;
	int next_started = 0, tw = 5;
	struct kl_lab *labs = NULL;
	struct kl_lab_status *sts = NULL;
	size_t nlabs = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			as_json = 1;
		else
			return cli_usage("list", "unknown argument `%s`", argv[i]);
	}
	if (kl_lab_ids_ordered(cfg->content, &ids, &n, &err) < 0 ||
	    kl_progress_open_ro(cfg->home, &p, &err) < 0) {
		cli_fail("%s", err.msg);
		goto out;
	}
	labs = calloc(n + 1, sizeof(*labs));
	sts = calloc(n + 1, sizeof(*sts));
	if (!labs || !sts)
		abort();
	for (nlabs = 0; nlabs < n; nlabs++) {
		if (kl_lab_load(cfg->content, ids[nlabs], &labs[nlabs], &err) < 0 ||
		    kl_progress_lab_status(p, ids[nlabs], &sts[nlabs], &err) < 0) {
			if (labs[nlabs].id)
				kl_lab_release(&labs[nlabs]);
			cli_fail("%s", err.msg);
			goto out;
		}
		int len = (int)strlen(labs[nlabs].title);
		tw = len > tw ? len : tw;
	}
	if (as_json)
		kl_buf_putc(&json, '[');
	else
		printf("%-13s %-*s  %-12s %-11s %s\n", "LAB", tw, "TITLE", "DIFFICULTY", "STATUS",
		       "BEST");
	for (size_t i = 0; i < n; i++) {
		const struct kl_lab *lab = &labs[i];
		const struct kl_lab_status *st = &sts[i];

		passed += st->passed;
		points += st->best_score > 0 ? st->best_score : 0;
		max_points += lab->max_score;
		if (!st->passed && !next) {
			next = lab->id;
			next_title = lab->title;
			next_started = st->attempts > 0;
		}
		if (as_json)
			S_json_lab(&json, lab, st, i == 0);
		else
			S_row(lab, st, tw, cfg->color);
	}
	if (as_json) {
		kl_buf_puts(&json, "]\n");
		fputs(kl_buf_str(&json), stdout);
		rc = 0;
		goto out;
	}
	printf("\nprogress: %d of %zu labs passed, %d of %d points\n", passed, n, points,
	       max_points);
	if (!next)
		printf("every lab passed: well done. `klab log LAB` shows your attempts.\n");
	else if (next_started)
		printf("next: finish %s, %s\n      `klab run %s`; stuck? `klab hint %s`\n", next,
		       next_title, next, next);
	else
		printf("next: %s, %s\n      read its task (`klab serve`, then "
		       "http://127.0.0.1:8080/labs/%s), then `klab run %s`\n", next, next_title,
		       next, next);
	rc = 0;
out:
	for (size_t i = 0; i < nlabs; i++)
		kl_lab_release(&labs[i]);
	free(labs);
	free(sts);
	kl_buf_release(&json);
	kl_strv_free(ids, n);
	kl_progress_close(p);
	return rc;
}
