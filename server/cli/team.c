/*
 * team.c - `klab team [--json] [--stuck N] URL|DIR...`: the mentor's view of
 * learners' pushed progress (core/team.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/team.h"

static void S_json(const struct kl_team_learner *v, size_t n)
{
	struct kl_buf b = KL_BUF_INIT;

	kl_buf_puts(&b, "{\"learners\":[");
	for (size_t i = 0; i < n; i++) {
		const struct kl_team_learner *l = &v[i];
		kl_buf_puts(&b, i ? ",{\"source\":" : "{\"source\":");
		kl_buf_put_json(&b, l->source);
		if (l->error) {
			kl_buf_puts(&b, ",\"name\":null,\"error\":");
			kl_buf_put_json(&b, l->error);
			kl_buf_puts(&b, "}");
			continue;
		}
		kl_buf_puts(&b, ",\"name\":");
		kl_buf_put_json(&b, l->name);
		kl_buf_printf(&b, ",\"last_activity\":%lld,\"labs\":{", l->last_activity);
		for (size_t j = 0; j < l->nlabs; j++) {
			const struct kl_team_lab *r = &l->labs[j];
			kl_buf_puts(&b, j ? "," : "");
			kl_buf_put_json(&b, r->id);
			kl_buf_printf(&b, ":{\"status\":\"%s\",\"best\":%d,\"max\":%d,\"attempts\":%d,"
				      "\"last_at\":%lld,\"stuck\":%s}", r->status, r->best, r->max,
				      r->attempts, r->last_at, r->stuck ? "true" : "false");
		}
		kl_buf_puts(&b, "},\"stuck\":[");
		int first = 1;
		for (size_t j = 0; j < l->nlabs; j++) {
			if (!l->labs[j].stuck)
				continue;
			kl_buf_puts(&b, first ? "" : ",");
			kl_buf_put_json(&b, l->labs[j].id);
			first = 0;
		}
		kl_buf_puts(&b, "]}");
	}
	kl_buf_puts(&b, "]}\n");
	fputs(kl_buf_str(&b), stdout);
	kl_buf_release(&b);
}

static void S_when(long long t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !localtime_r(&tt, &tm))
		snprintf(out, size, "never");
	else
		strftime(out, size, "%Y-%m-%d %H:%M", &tm);
}

static void S_human(const struct kl_team_learner *v, size_t n)
{
	char when[32];

	for (size_t i = 0; i < n; i++) {
		const struct kl_team_learner *l = &v[i];
		if (l->error) {
			printf("%s%s: cannot read: %s\n", i ? "\n" : "", l->source, l->error);
			continue;
		}
		S_when(l->last_activity, when, sizeof(when));
		printf("%s%s (%s), last activity %s\n", i ? "\n" : "", l->name, l->source, when);
		for (size_t j = 0; j < l->nlabs; j++) {
			const struct kl_team_lab *r = &l->labs[j];
			if (!r->attempts) {
				printf("  %-14s %-11s %7s\n", r->id, r->status, "-");
				continue;
			}
			S_when(r->last_at, when, sizeof(when));
			printf("  %-14s %-11s %3d/%-3d %3d attempt%s  last %s%s\n", r->id, r->status,
			       r->best, r->max, r->attempts, r->attempts == 1 ? " " : "s", when,
			       r->stuck ? "  STUCK: no progress lately" : "");
		}
	}
}

int cmd_team(int argc, char **argv, const struct kl_config *cfg)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "stuck", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct kl_team_catalog cat;
	struct kl_err err = { "" };
	int json = 0, stuck = 4, c, bad = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 's': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 1000)
				return cli_fail("--stuck takes a count from 1 to 1000, not `%s`", optarg);
			stuck = (int)v;
			break;
		}
		case ':':
			return cli_usage("team", "option `%s` needs a value", argv[optind - 1]);
		default:
			return cli_usage("team", "unknown option `%s`", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage("team", "whose progress? (each learner's repository: URL or folder)");
	if (kl_team_catalog_load(cfg->content, &cat, &err) < 0)
		return cli_fail("%s", err.msg);
	size_t n = (size_t)(argc - optind);
	struct kl_team_learner *v = calloc(n, sizeof(*v));
	if (!v)
		abort();
	for (size_t i = 0; i < n; i++)
		bad += kl_team_read(cfg->cache, argv[optind + (int)i], &cat, stuck, 0, &v[i]) < 0;
	if (json)
		S_json(v, n);
	else
		S_human(v, n);
	for (size_t i = 0; i < n; i++)
		kl_team_learner_release(&v[i]);
	free(v);
	kl_team_catalog_release(&cat);
	return bad ? 1 : 0;
}
