/*
 * router.h - requests to handlers: the route table, the matching of a path
 * against it, and the checks every path passes first. Only the table's routes
 * and the files of static/ answer; every other path is a 404.
 */
#ifndef KLAB_WEB_ROUTER_H
#define KLAB_WEB_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

#define WEB_MAX_PATH 1024 /* longer paths get 414 */
#define WEB_MAX_PARAMS 4

struct web_site;

struct web_request {
	const char *path;                  /* decoded path, as checked by web_path_check */
	const char *params[WEB_MAX_PARAMS]; /* captured :segments and the * rest, in order */
	size_t nparams;
	char store[WEB_MAX_PATH];          /* where params point */
	/* Query argument by name (a POST: form field), NULL when absent. */
	const char *(*arg)(void *ctx, const char *name);
	void *arg_ctx;
};

struct web_reply {
	int status;          /* HTTP status */
	const char *type;    /* Content-Type (a string constant) */
	struct kl_buf body;  /* the body; the reply owns it */
	int cache;           /* 1: may be kept until something changes on disk */
	char location[512];  /* Location header when not empty (a 303 after a POST) */
	char link[512];      /* Link header (a list's next and previous pages) when not empty */
	char total[24];      /* X-Total-Count header (a paged list's length) when not empty */
};

/* A handler fills rp (status, type, body); it always answers something. */
typedef void (*web_handler)(struct web_site *site, const struct web_request *rq,
			    struct web_reply *rp);

struct web_route {
	const char *pattern; /* "/notes/:topic/history": literal, :param (one segment), * (rest) */
	web_handler fn;
};

/* The server's routes. */
extern const struct web_route web_routes[];
extern const size_t web_nroutes;
/* The routes that take a POST (writes; server.c checks origin and token first). */
extern const struct web_route web_post_routes[];
extern const size_t web_npost_routes;

/*
 * 0 when path may be routed; else the HTTP status to answer: 400 for a path
 * that does not start with '/', 404 for one that holds a control byte (a
 * decoded %00 among them) or a backslash: no page is named so, and every
 * traversal form gets the same answer as an unknown path. 414 when too long.
 */
int web_path_check(const char *path);

/* Finds the route for path and fills rq->params; NULL when none matches. */
const struct web_route *web_route_match(const struct web_route *routes, size_t n,
					const char *path, struct web_request *rq);

/*
 * True when rel (a path below static/, no leading '/') may name a file there:
 * one or more segments of [A-Za-z0-9._-], none empty or starting with '.',
 * so no "..", hidden files or absolute paths.
 */
bool web_static_name_ok(const char *rel);

#endif
