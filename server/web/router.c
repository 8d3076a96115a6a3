/*
 * router.c - the route table and path matching (see router.h).
 */
#include "web/router.h"

#include <string.h>

#include "web/handlers.h"
#include "web/post.h"

const struct web_route web_routes[] = {
	{ "/", web_page_home },
	{ "/topics/:topic", web_page_topic },
	{ "/notes/:topic", web_page_note },
	{ "/notes/:topic/history", web_page_history },
	{ "/notes/:topic/history/:commit", web_page_commit },
	{ "/my", web_page_my_index },
	{ "/my/new", web_page_my_new },
	{ "/my/:name", web_page_my },
	{ "/my/:name/edit", web_page_my_edit },
	{ "/my/:name/history", web_page_my_history },
	{ "/my/:name/history/:commit", web_page_my_commit },
	{ "/labs/:id", web_page_lab },
	{ "/labs/:id/diff", web_page_lab_diff },
	{ "/search", web_page_search },
	{ "/tracks", web_page_tracks },
	{ "/tracks/:name", web_page_track },
	{ "/team", web_page_team },
	{ "/ident/:name", web_page_ident },
	{ "/source", web_page_source },
	{ "/source/", web_page_source },
	{ "/source/*", web_page_source },
	{ "/api/ident/:name", web_api_ident },
	{ "/api/topics", web_api_topics },
	{ "/api/notes", web_api_notes },
	{ "/api/notes/:topic", web_api_note },
	{ "/api/labs", web_api_labs },
	{ "/api/labs/:id", web_api_lab },
	{ "/api/progress", web_api_progress },
	{ "/api/search", web_api_search },
	{ "/api/*", web_api_not_found },
	{ "/static/diagrams/:name", web_static_diagram },
	{ "/static/*", web_static_file },
};
const size_t web_nroutes = sizeof(web_routes) / sizeof(web_routes[0]);

const struct web_route web_post_routes[] = {
	{ "/my/new", web_post_my_new },
	{ "/my/:name/edit", web_post_my_edit },
	{ "/api/my/preview", web_post_my_preview },
	{ "/notes/:topic/read", web_post_note_read },
};
const size_t web_npost_routes = sizeof(web_post_routes) / sizeof(web_post_routes[0]);

int web_path_check(const char *path)
{
	size_t n = strnlen(path, WEB_MAX_PATH);

	if (n >= WEB_MAX_PATH)
		return 414;
	if (path[0] != '/')
		return 400;
	/* a NUL (%00 arrives as 0x01), other control bytes or a backslash name no page */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];
		if (c < 0x20 || c == 0x7f || c == '\\')
			return 404;
	}
	return 0;
}

const struct web_route *web_route_match(const struct web_route *routes, size_t n,
					const char *path, struct web_request *rq)
{
	size_t plen = strlen(path);

	if (plen >= sizeof(rq->store))
		return NULL;
	for (size_t r = 0; r < n; r++) {
		const char *pat = routes[r].pattern;
		const char *p = path;
		char *st = rq->store;
		size_t np = 0;
		int ok = 1;

		/* Both start with '/'; compare segment by segment. */
		while (ok && *pat == '/' && *p == '/') {
			pat++;
			p++;
			size_t pl = strcspn(pat, "/"), sl = strcspn(p, "/");
			if (pl == 1 && pat[0] == '*') {
				size_t rest = strlen(p);
				if (rest == 0 || np == WEB_MAX_PARAMS) {
					ok = 0;
					break;
				}
				memcpy(st, p, rest + 1);
				rq->params[np++] = st;
				st += rest + 1;
				p += rest;
				pat += 1;
				break;
			}
			if (pat[0] == ':') {
				if (sl == 0 || np == WEB_MAX_PARAMS) {
					ok = 0;
					break;
				}
				memcpy(st, p, sl);
				st[sl] = '\0';
				rq->params[np++] = st;
				st += sl + 1;
			} else if (pl != sl || strncmp(pat, p, pl) != 0) {
				ok = 0;
				break;
			}
			pat += pl;
			p += sl;
		}
		if (ok && *pat == '\0' && *p == '\0') {
			rq->nparams = np;
			rq->path = path;
			return &routes[r];
		}
	}
	return NULL;
}

bool web_static_name_ok(const char *rel)
{
	const char *p = rel;
	int segs = 0;

	if (!*rel || strlen(rel) > 255)
		return false;
	for (;;) {
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "0123456789._-");
		if (n == 0 || p[0] == '.' || ++segs > 8)
			return false;
		p += n;
		if (*p == '\0')
			return true;
		if (*p != '/')
			return false;
		p++;
	}
}
