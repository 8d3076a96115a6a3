/*
 * list.c - `klab list`: every lab with its topic, difficulty, status and best
 * score, from the catalog and the progress store.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/catalog.h"
#include "core/progress.h"

static const char *S_status(const struct kl_lab_status *st)
{
	if (st->attempts == 0)
		return "not started";
	if (st->passed)
		return "passed";
	return "failing";
}

int cmd_list(int argc, char **argv, const struct kl_config *cfg)
{
	struct kl_err err = { "" };
	struct kl_progress *p = NULL;
	struct kl_buf json = KL_BUF_INIT;
	char **ids = NULL;
	size_t n = 0;
	int as_json = 0, rc = 2;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			as_json = 1;
		else
			return cli_fail("usage: klab list [--json]");
	}
	if (kl_lab_ids(cfg->root, &ids, &n, &err) < 0 ||
	    kl_progress_open_ro(cfg->home, &p, &err) < 0) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (as_json)
		kl_buf_putc(&json, '[');
	else
		printf("%-14s %-11s %-12s %-12s %s\n", "LAB", "TOPIC", "DIFFICULTY", "STATUS",
		       "BEST");
	for (size_t i = 0; i < n; i++) {
		struct kl_lab lab;
		struct kl_lab_status st;

		if (kl_lab_load(cfg->root, ids[i], &lab, &err) < 0 ||
		    kl_progress_lab_status(p, ids[i], &st, &err) < 0) {
			cli_fail("%s", err.msg);
			goto out;
		}
		if (as_json) {
			kl_buf_printf(&json, "%s{\"id\":", i ? "," : "");
			kl_buf_put_json(&json, lab.id);
			kl_buf_puts(&json, ",\"title\":");
			kl_buf_put_json(&json, lab.title);
			kl_buf_puts(&json, ",\"topic\":");
			kl_buf_put_json(&json, lab.topic);
			kl_buf_puts(&json, ",\"difficulty\":");
			kl_buf_put_json(&json, lab.difficulty);
			kl_buf_puts(&json, ",\"status\":");
			kl_buf_put_json(&json, S_status(&st));
			kl_buf_printf(&json, ",\"attempts\":%d,\"best\":", st.attempts);
			if (st.best_score >= 0)
				kl_buf_printf(&json, "%d", st.best_score);
			else
				kl_buf_puts(&json, "null");
			kl_buf_printf(&json, ",\"max\":%d}", lab.max_score);
		} else {
			char best[32] = "-";
			if (st.best_score >= 0)
				snprintf(best, sizeof(best), "%d/%d", st.best_score, lab.max_score);
			printf("%-14s %-11s %-12s %-12s %s\n", lab.id, lab.topic, lab.difficulty,
			       S_status(&st), best);
		}
		kl_lab_release(&lab);
	}
	if (as_json) {
		kl_buf_puts(&json, "]\n");
		fputs(kl_buf_str(&json), stdout);
	}
	rc = 0;
out:
	kl_buf_release(&json);
	kl_strv_free(ids, n);
	kl_progress_close(p);
	return rc;
}
