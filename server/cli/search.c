/*
 * search.c - `klab search [--json] [--limit N] WORDS...`: full-text search of the
 * notes and labs, with the same index and query rules as the web server's
 * search (see core/search.h). Exit status 0 with hits, 1 without.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/fsutil.h"
#include "core/search.h"

static void S_json(const char *text, const struct search_result *r)
{
	struct kl_buf b = KL_BUF_INIT, tmp = KL_BUF_INIT;

	kl_buf_puts(&b, "{\"query\":");
	kl_buf_put_json(&b, text);
	kl_buf_puts(&b, ",\"fts\":");
	kl_buf_put_json(&b, r->fts);
	kl_buf_puts(&b, ",\"message\":");
	kl_buf_put_json(&b, r->message);
	kl_buf_puts(&b, ",\"results\":[");
	for (size_t i = 0; i < r->nhits; i++) {
		const struct search_hit *h = &r->hits[i];
		int note = strcmp(h->kind, "note") == 0;
		kl_buf_printf(&b, "%s{\"kind\":", i ? "," : "");
		kl_buf_put_json(&b, h->kind);
		kl_buf_puts(&b, ",\"id\":");
		kl_buf_put_json(&b, h->id);
		kl_buf_printf(&b, ",\"url\":\"/%s/%s\",\"title\":", note ? "notes" : "labs", h->id);
		kl_buf_reset(&tmp);
		search_mark(h->title, SEARCH_MARK_PLAIN, &tmp);
		kl_buf_put_json(&b, kl_buf_str(&tmp));
		kl_buf_puts(&b, ",\"snippet\":");
		kl_buf_reset(&tmp);
		search_mark(h->snippet, SEARCH_MARK_PLAIN, &tmp);
		kl_buf_put_json(&b, kl_buf_str(&tmp));
		kl_buf_printf(&b, ",\"rank\":%.4f}", h->rank);
	}
	kl_buf_puts(&b, "]}\n");
	fputs(kl_buf_str(&b), stdout);
	kl_buf_release(&b);
	kl_buf_release(&tmp);
}

static void S_text(const struct search_result *r, int color)
{
	struct kl_buf tmp = KL_BUF_INIT;
	enum search_mark_style style = color ? SEARCH_MARK_ANSI : SEARCH_MARK_PLAIN;

	for (size_t i = 0; i < r->nhits; i++) {
		const struct search_hit *h = &r->hits[i];
		kl_buf_reset(&tmp);
		search_mark(h->title, style, &tmp);
		printf("%s  [%s %s]\n", kl_buf_str(&tmp), h->kind, h->id);
		kl_buf_reset(&tmp);
		search_mark(h->snippet, style, &tmp);
		printf("    %s\n", kl_buf_str(&tmp));
	}
	kl_buf_release(&tmp);
}

int cmd_search(int argc, char **argv, const struct kl_config *cfg)
{
	struct kl_err err = { "" };
	struct kl_buf text = KL_BUF_INIT;
	struct search_index *idx = NULL;
	struct search_result r = { 0 };
	char *query = NULL;
	int as_json = 0, limit = 10, rc = 2, words = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			as_json = 1;
		} else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
			limit = atoi(argv[++i]);
			if (limit < 1 || limit > 1000)
				return cli_fail("--limit takes a number from 1 to 1000");
		} else if (strcmp(argv[i], "--") == 0) {
			for (i++; i < argc; i++)
				kl_buf_printf(&text, "%s%s", words++ ? " " : "", argv[i]);
		} else if (strncmp(argv[i], "--", 2) == 0) {
			kl_buf_release(&text);
			return cli_usage("search", "unknown option `%s` (to search for it: "
					 "`klab search -- %s`)", argv[i], argv[i]);
		} else {
			kl_buf_printf(&text, "%s%s", words++ ? " " : "", argv[i]);
		}
	}
	if (!words) {
		kl_buf_release(&text);
		return cli_usage("search", "what should I search for?");
	}
	query = kl_strdup(kl_buf_str(&text));
	/* The index kept in $KLAB_CACHE (as the server keeps it): a sync reads only what changed. */
	char *mine = kl_path_join(cfg->home, "notes"); /* your own notes, kind "mine" */
	char *dir = kl_path_join(cfg->cache, "search");
	char *path = search_index_path(cfg->cache, cfg->content, mine);
	int opened = kl_mkdir_p(dir, 0755, &err) == 0 && search_index_open_file(path, &idx, &err) == 0;
	free(dir);
	free(path);
	if (opened)
		search_index_set_mine(idx, mine);
	free(mine);
	if (!opened || search_index_sync(idx, cfg->content, NULL, &err) < 0) {
		cli_fail("search: %s", err.msg);
		goto out;
	}
	/* The whole text is complete words: a trailing blank turns off prefix matching
	 * of the last one, except that a word typed as "lock*" still asks for it. */
	kl_buf_putc(&text, ' ');
	if (text.len >= 2 && text.ptr[text.len - 2] == '*')
		kl_buf_truncate(&text, text.len - 2);
	if (search_run(idx, kl_buf_str(&text), limit, &r, &err) < 0) {
		cli_fail("search: %s", err.msg);
		goto out;
	}
	if (as_json) {
		S_json(query, &r);
	} else if (r.message) {
		fprintf(stderr, "klab: %s\n", r.message);
	} else if (r.nhits == 0) {
		fprintf(stderr, "klab: no note or lab matches that; try fewer or shorter words\n");
	} else {
		S_text(&r, cfg->color);
	}
	rc = r.nhits ? 0 : 1;
out:
	search_result_release(&r);
	search_index_close(idx);
	kl_buf_release(&text);
	free(query);
	return rc;
}
