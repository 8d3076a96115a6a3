/*
 * next.c - `klab next [--track NAME] [--list] [--json]`: the first unfinished
 * step of a track (core/track.h): a lab not passed yet, or a note not marked read.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/catalog.h"
#include "core/track.h"

/* Each track with its progress, one a line. */
static int S_list(const struct kl_config *cfg, struct kl_progress *p, char **names, size_t n)
{
	struct kl_err err = { "" };

	if (!n)
		printf("no tracks: a content folder's tracks/NAME.yaml defines one\n");
	for (size_t i = 0; i < n; i++) {
		struct kl_track t;
		size_t done = 0;
		if (kl_track_load(cfg->content, names[i], &t, &err) < 0 ||
		    kl_track_progress(p, &t, &done, &err) < 0) {
			printf("%-20s %s\n", names[i], err.msg);
			continue;
		}
		printf("%-20s %-40s %zu of %zu steps done\n", names[i], t.title, done, t.nsteps);
		kl_track_release(&t);
	}
	return 0;
}

static void S_json(const struct kl_track *t, size_t done, const struct kl_track_step *next)
{
	struct kl_buf b = KL_BUF_INIT;

	kl_buf_puts(&b, "{\"track\":");
	kl_buf_put_json(&b, t->name);
	kl_buf_puts(&b, ",\"title\":");
	kl_buf_put_json(&b, t->title);
	kl_buf_printf(&b, ",\"done\":%zu,\"steps\":[", done);
	for (size_t i = 0; i < t->nsteps; i++) {
		kl_buf_printf(&b, "%s{\"%s\":", i ? "," : "",
			      t->steps[i].kind == KL_STEP_LAB ? "lab" : "note");
		kl_buf_put_json(&b, t->steps[i].id);
		kl_buf_printf(&b, ",\"done\":%s}", t->steps[i].done ? "true" : "false");
	}
	kl_buf_puts(&b, "],\"next\":");
	if (next) {
		kl_buf_printf(&b, "{\"%s\":", next->kind == KL_STEP_LAB ? "lab" : "note");
		kl_buf_put_json(&b, next->id);
		kl_buf_puts(&b, "}");
	} else {
		kl_buf_puts(&b, "null");
	}
	kl_buf_puts(&b, "}\n");
	fputs(kl_buf_str(&b), stdout);
	kl_buf_release(&b);
}

static void S_human(const struct kl_config *cfg, const struct kl_track *t, size_t done,
		    const struct kl_track_step *next)
{
	printf("%s (%s): %zu of %zu steps done\n", t->title, t->name, done, t->nsteps);
	if (!next) {
		printf("the track is complete\n");
		return;
	}
	if (next->kind == KL_STEP_LAB) {
		struct kl_lab lab;
		struct kl_err err;
		int ok = kl_lab_load(cfg->content, next->id, &lab, &err) == 0;
		printf("next: lab %s%s%s\n      `klab run %s` (the task: `klab serve`, then "
		       "/labs/%s)\n", next->id, ok ? ", " : "", ok ? lab.title : "", next->id, next->id);
		if (ok)
			kl_lab_release(&lab);
	} else {
		printf("next: read the note %s (`klab serve`, then /notes/%s), then `klab read %s`\n",
		       next->id, next->id, next->id);
	}
}

int cmd_next(int argc, char **argv, const struct kl_config *cfg)
{
	static const struct option opts[] = {
		{ "track", required_argument, NULL, 't' },
		{ "list", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct kl_progress *p = NULL;
	struct kl_err err = { "" };
	struct kl_track t = { 0 };
	const char *name = NULL;
	char **names = NULL;
	size_t n = 0, done = 0;
	int list = 0, json = 0, c, rc = 2;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 't': name = optarg; break;
		case 'l': list = 1; break;
		case 'j': json = 1; break;
		case ':':
			return cli_usage("next", "option `%s` needs a value", argv[optind - 1]);
		default:
			return cli_usage("next", "unknown option `%s`", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage("next", "unexpected `%s`", argv[optind]);
	if (kl_track_names(cfg->content, &names, &n, &err) < 0 ||
	    kl_progress_open_ro(cfg->home, &p, &err) < 0) {
		rc = cli_fail("%s", err.msg);
		goto out;
	}
	if (list) {
		rc = S_list(cfg, p, names, n);
		goto out;
	}
	if (!name && !n) {
		rc = cli_fail("no tracks: a content folder's tracks/NAME.yaml defines one");
		goto out;
	}
	if (kl_track_load(cfg->content, name ? name : names[0], &t, &err) < 0 ||
	    kl_track_progress(p, &t, &done, &err) < 0) {
		rc = cli_fail("%s", err.msg);
		goto out;
	}
	if (json)
		S_json(&t, done, kl_track_next(&t));
	else
		S_human(cfg, &t, done, kl_track_next(&t));
	rc = 0;
out:
	kl_track_release(&t);
	kl_strv_free(names, n);
	kl_progress_close(p);
	return rc;
}
