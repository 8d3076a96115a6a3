/*
 * post.c - POST routes and their same-origin check (see post.h).
 */
#include "web/post.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/fsutil.h"
#include "core/progress.h"
#include "web/router.h"

bool web_same_origin(const char *origin, const char *host, const char *sec_fetch_site)
{
	if (!host || !*host)
		return false;
	if (origin) {
		const char *rest = strncmp(origin, "http://", 7) == 0	 ? origin + 7
				   : strncmp(origin, "https://", 8) == 0 ? origin + 8
									 : NULL;
		return rest && strcasecmp(rest, host) == 0;
	}
	return sec_fetch_site && strcmp(sec_fetch_site, "same-origin") == 0;
}

/* POST /notes/:topic/read */
static int S_note_read(struct web_site *s, const char *topic, char **location)
{
	struct kl_progress *p = NULL;
	struct kl_err err;

	if (!web_site_note(s, topic))
		return 404;
	if (kl_progress_open(s->cfg->home, &p, &err) < 0 ||
	    kl_progress_mark_read(p, topic, (long long)time(NULL), &err) < 0) {
		fprintf(stderr, "klab: serve: %s\n", err.msg);
		kl_progress_close(p);
		return 500;
	}
	kl_progress_close(p);
	*location = kl_sprintf("/notes/%s#read", topic);
	return 303;
}

static const struct web_route S_routes[] = { { "/notes/:topic/read", NULL } };

bool web_post_route(const char *path)
{
	struct web_request rq;

	return web_path_check(path) == 0 && web_route_match(S_routes, 1, path, &rq) != NULL;
}

int web_post(struct web_site *s, const char *path, char **location)
{
	struct web_request rq;

	*location = NULL;
	if (web_path_check(path) != 0 || !web_route_match(S_routes, 1, path, &rq))
		return 404;
	return S_note_read(s, rq.params[0], location);
}

void web_note_read_html(struct web_site *s, const char *topic, struct kl_buf *out)
{
	struct kl_progress *p = NULL;
	struct kl_err err;
	long long at = 0;

	if (kl_progress_open_ro(s->cfg->home, &p, &err) == 0 && p)
		kl_progress_note_read(p, topic, &at, &err);
	kl_progress_close(p);
	if (at > 0) {
		kl_buf_puts(out, "<p id=\"read\" class=\"read read-done\">Read \xe2\x9c\x93</p>");
		return;
	}
	kl_buf_puts(out, "<form id=\"read\" class=\"read\" method=\"post\" action=\"/notes/");
	kl_buf_puts_html(out, topic);
	kl_buf_puts(out, "/read\"><button type=\"submit\">Mark as read</button></form>");
}
