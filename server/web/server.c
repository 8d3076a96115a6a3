/*
 * server.c - the HTTP side of `klab serve` on libmicrohttpd: listening, the
 * request handler (checks, routing, the cache of rendered pages, ETag/304),
 * security headers, the access log, and shutdown on SIGINT/SIGTERM.
 *
 * One internal polling thread (epoll, else poll) runs every handler. The
 * handler returns MHD_YES on the first call for a request and queues its
 * response on the second, which keeps connections alive. Request bodies are
 * refused (no route takes one). All state is in struct web_server, the MHD
 * closure, used under its lock.
 */
#include "web/web.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fsutil.h"
#include "core/markdown.h"
#include "web/handlers.h"
#include "web/post.h"
#include "web/router.h"
#include "web/site.h"

#define S_CACHE_SLOTS 1024 /* power of two */
#define S_CACHE_MAX 700    /* entries before the cache is emptied */

static const char S_csp[] =
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
	"connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
	"frame-ancestors 'none'";

/* A rendered response kept until something changes on disk. */
struct S_entry {
	char *key;                  /* the path; NULL for an empty slot */
	struct MHD_Response *resp;  /* one reference held by the cache */
	char etag[24];              /* "\"<16 hex>\"" */
	size_t len;                 /* body bytes, for the log */
};

struct web_server {
	struct web_site site;
	pthread_mutex_t lock;       /* guards site and cache */
	struct S_entry cache[S_CACHE_SLOTS];
	size_t ncache;
	int log;                    /* 1: access log on stderr */
};

/* Per request, from the first handler call to the completion callback. */
struct S_req {
	struct timespec t0;
	int status;
	size_t bytes;
	char method[12];
	char path[200];
};

/* ---------------------------------------------------------------- cache */

static unsigned long long S_hash(const char *s, size_t n)
{
	unsigned long long h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void S_cache_clear(struct web_server *srv)
{
	for (size_t i = 0; i < S_CACHE_SLOTS; i++) {
		struct S_entry *e = &srv->cache[i];
		if (!e->key)
			continue;
		free(e->key);
		MHD_destroy_response(e->resp);
		memset(e, 0, sizeof(*e));
	}
	srv->ncache = 0;
}

static struct S_entry *S_cache_slot(struct web_server *srv, const char *key)
{
	size_t i = (size_t)S_hash(key, strlen(key)) & (S_CACHE_SLOTS - 1);

	while (srv->cache[i].key && strcmp(srv->cache[i].key, key) != 0)
		i = (i + 1) & (S_CACHE_SLOTS - 1);
	return &srv->cache[i];
}

/* ---------------------------------------------------------------- responses */

static void S_headers(struct MHD_Response *resp, const char *type)
{
	if (type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, "Content-Security-Policy", S_csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
}

/* Makes a response of rp's body (taken over) and headers. */
static struct MHD_Response *S_response(struct web_reply *rp, const char *etag)
{
	size_t len = rp->body.len;
	char *body = kl_buf_detach(&rp->body);
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);

	if (!resp)
		abort();
	S_headers(resp, rp->type ? rp->type : "text/plain; charset=utf-8");
	if (etag)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (rp->status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	return resp;
}

static enum MHD_Result S_queue(struct MHD_Connection *conn, struct S_req *r, int status,
			       struct MHD_Response *resp, size_t len)
{
	r->status = status;
	r->bytes = len;
	return MHD_queue_response(conn, (unsigned int)status, resp);
}

/* True when the request's If-None-Match names etag. */
static bool S_not_modified(struct MHD_Connection *conn, const char *etag)
{
	const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_IF_NONE_MATCH);

	return inm && (strcmp(inm, "*") == 0 || strstr(inm, etag) != NULL);
}

/* An answer without a body: status and one header (304 with its ETag, 303 with Location). */
static enum MHD_Result S_queue_empty(struct MHD_Connection *conn, struct S_req *r, int status,
				     const char *header, const char *value)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"",
								    MHD_RESPMEM_PERSISTENT);
	if (!resp)
		abort();
	S_headers(resp, NULL);
	MHD_add_response_header(resp, header, value);
	enum MHD_Result ret = S_queue(conn, r, status, resp, 0);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result S_queue_304(struct MHD_Connection *conn, struct S_req *r,
				   const char *etag)
{
	return S_queue_empty(conn, r, MHD_HTTP_NOT_MODIFIED, MHD_HTTP_HEADER_ETAG, etag);
}

static enum MHD_Result S_queue_cached(struct MHD_Connection *conn, struct S_req *r,
				      const struct S_entry *e)
{
	if (S_not_modified(conn, e->etag))
		return S_queue_304(conn, r, e->etag);
	return S_queue(conn, r, MHD_HTTP_OK, e->resp, e->len);
}

/* Queues rp, keeping it in the cache under key when the handler allowed it. */
static enum MHD_Result S_queue_reply(struct web_server *srv, struct MHD_Connection *conn,
				     struct S_req *r, const char *key, struct web_reply *rp)
{
	if (rp->cache && rp->status == MHD_HTTP_OK && key) {
		if (srv->ncache >= S_CACHE_MAX)
			S_cache_clear(srv);
		struct S_entry *e = S_cache_slot(srv, key);
		if (e->key) { /* stale entry for the same key */
			free(e->key);
			MHD_destroy_response(e->resp);
			srv->ncache--;
		}
		snprintf(e->etag, sizeof(e->etag), "\"%016llx\"",
			 S_hash(kl_buf_str(&rp->body), rp->body.len));
		e->len = rp->body.len;
		e->resp = S_response(rp, e->etag);
		e->key = kl_strdup(key);
		srv->ncache++;
		return S_queue_cached(conn, r, e);
	}
	size_t len = rp->body.len;
	struct MHD_Response *resp = S_response(rp, NULL);
	enum MHD_Result ret = S_queue(conn, r, rp->status, resp, len);
	MHD_destroy_response(resp);
	return ret;
}

/* ---------------------------------------------------------------- handler */

static const char *S_arg(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

static void S_log_copy(char *dst, size_t size, const char *src)
{
	size_t j = 0;

	for (size_t i = 0; src && src[i] && j + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[j++] = (c < 0x20 || c == 0x7f || c == '"' || c == '\\') ? '?' : (char)c;
	}
	dst[j] = '\0';
}

static enum MHD_Result S_error(struct web_server *srv, struct MHD_Connection *conn,
			       struct S_req *r, int status, const char *title, const char *msg)
{
	struct web_reply rp = { 0 };

	web_page_error(&srv->site, &rp, status, title, msg);
	enum MHD_Result ret = S_queue_reply(srv, conn, r, NULL, &rp);
	kl_buf_release(&rp.body);
	return ret;
}

static enum MHD_Result S_dispatch(struct web_server *srv, struct MHD_Connection *conn,
				  struct S_req *r, const char *url)
{
	struct web_request rq;
	struct web_reply rp = { 0 };
	enum MHD_Result ret;

	if (web_site_refresh(&srv->site))
		S_cache_clear(srv);
	int bad = web_path_check(url);
	if (bad)
		return S_error(srv, conn, r, bad, bad == 414 ? "Address too long" : "Bad address",
			       "This address cannot name a page. The home page leads to every "
			       "note and lab.");
	/*
	 * Search answers depend on the query string, which MHD keeps out of url:
	 * they are cached under url plus their arguments, and dropped with every
	 * other page when a note or lab changes (the index is re-synced then).
	 */
	char *key = NULL;
	if (strcmp(url, "/search") == 0 || strcmp(url, "/api/search") == 0) {
		const char *q = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "q");
		const char *lim = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
		key = kl_sprintf("%s\x1f%s\x1f%s", url, q ? q : "", lim ? lim : "");
	}
	const char *ckey = key ? key : url;
	struct S_entry *e = S_cache_slot(srv, ckey);
	if (e->key) {
		free(key);
		return S_queue_cached(conn, r, e);
	}
	rq.arg = S_arg;
	rq.arg_ctx = conn;
	rq.nparams = 0;
	rq.path = url;
	const struct web_route *route = web_route_match(web_routes, web_nroutes, url, &rq);
	if (route)
		route->fn(&srv->site, &rq, &rp);
	else
		web_page_not_found(&srv->site, &rq, &rp);
	ret = S_queue_reply(srv, conn, r, ckey, &rp);
	kl_buf_release(&rp.body);
	free(key);
	return ret;
}

/* A POST (web/post.h): same origin only, no body; answered with a redirect. */
static enum MHD_Result S_post(struct web_server *srv, struct MHD_Connection *conn,
			      struct S_req *r, const char *url)
{
	const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *sfs = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Sec-Fetch-Site");
	char *location = NULL;

	if (!web_same_origin(origin, host, sfs))
		return S_error(srv, conn, r, 403, "Not from this site",
			       "This button works from klab's own pages only.");
	int status = web_post(&srv->site, url, &location);
	if (status != 303)
		return S_error(srv, conn, r, status, status == 404 ? "No such page" : "Not saved",
			       status == 404 ? "Nothing here takes a POST."
					     : "klab could not save this; its log says why.");
	S_cache_clear(srv); /* pages show what was just marked */
	enum MHD_Result ret = S_queue_empty(conn, r, MHD_HTTP_SEE_OTHER, MHD_HTTP_HEADER_LOCATION,
					    location);
	free(location);
	return ret;
}

static enum MHD_Result S_handle(void *cls, struct MHD_Connection *conn, const char *url,
				const char *method, const char *version,
				const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct web_server *srv = cls;
	struct S_req *r = *con_cls;
	bool get = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
		   strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
	bool post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &r->t0);
		S_log_copy(r->method, sizeof(r->method), method);
		S_log_copy(r->path, sizeof(r->path), url);
		*con_cls = r;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_TRANSFER_ENCODING);
		if ((cl && strtoull(cl, NULL, 10) > 0) || te) {
			/* Refuse the body now; the connection closes after the answer. */
			pthread_mutex_lock(&srv->lock);
			ret = get || post ? S_error(srv, conn, r, 413, "No request body here",
					    "klab's pages take no request body.")
				  : S_error(srv, conn, r, 405, "Method not allowed",
					    "klab's pages are read with GET.");
			pthread_mutex_unlock(&srv->lock);
			return ret;
		}
		return MHD_YES; /* queue on the next call: keeps the connection alive */
	}
	if (*upload_size) {
		*upload_size = 0; /* unannounced body: dropped, answered below */
		return MHD_YES;
	}
	pthread_mutex_lock(&srv->lock);
	if (post && web_post_route(url))
		ret = S_post(srv, conn, r, url);
	else if (!get)
		ret = S_error(srv, conn, r, 405, "Method not allowed",
			      "klab's pages are read with GET.");
	else
		ret = S_dispatch(srv, conn, r, url);
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

static void S_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			enum MHD_RequestTerminationCode toe)
{
	struct web_server *srv = cls;
	struct S_req *r = *con_cls;
	char ip[INET6_ADDRSTRLEN] = "-", when[32];
	struct timespec t1;

	(void)toe;
	if (!r)
		return;
	if (srv->log) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (ci && ci->client_addr) {
			const struct sockaddr *sa = ci->client_addr;
			if (sa->sa_family == AF_INET)
				inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, ip,
					  sizeof(ip));
			else if (sa->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, ip,
					  sizeof(ip));
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double ms = (double)(t1.tv_sec - r->t0.tv_sec) * 1e3 +
			    (double)(t1.tv_nsec - r->t0.tv_nsec) / 1e6;
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(stderr, "%s [%s] \"%s %s\" %d %zu %.2fms\n", ip, when, r->method, r->path,
			r->status ? r->status : 499, r->bytes, ms);
	}
	free(r);
	*con_cls = NULL;
}

/* Decodes %XX in place. A %00 becomes byte 0x01, which the path check refuses. */
static size_t S_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *w = s;

	(void)cls;
	(void)c;
	for (const char *p = s; *p;) {
		if (p[0] == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
			char hex[3] = { p[1], p[2], 0 };
			unsigned long v = strtoul(hex, NULL, 16);
			*w++ = v ? (char)v : '\x01';
			p += 3;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* ---------------------------------------------------------------- start, stop */

static bool S_loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0 ||
	       strcmp(addr, "localhost") == 0;
}

int web_serve(const struct kl_config *cfg, const struct web_options *opt, struct kl_err *err)
{
	struct web_server *srv = calloc(1, sizeof(*srv));
	const char *bind = opt->bind ? opt->bind : "127.0.0.1";
	struct sockaddr_in sa4;
	struct sockaddr_in6 sa6;
	struct sockaddr *sa;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	sigset_t set, old;
	struct MHD_Daemon *d = NULL;
	int rc = -1, sig = 0;

	if (!srv)
		abort();
	srv->log = !opt->quiet;
	pthread_mutex_init(&srv->lock, NULL);
	memset(&sa4, 0, sizeof(sa4));
	memset(&sa6, 0, sizeof(sa6));
	if (strcmp(bind, "localhost") == 0)
		bind = "127.0.0.1";
	if (inet_pton(AF_INET, bind, &sa4.sin_addr) == 1) {
		sa4.sin_family = AF_INET;
		sa4.sin_port = htons((uint16_t)opt->port);
		sa = (struct sockaddr *)&sa4;
	} else if (inet_pton(AF_INET6, bind, &sa6.sin6_addr) == 1) {
		sa6.sin6_family = AF_INET6;
		sa6.sin6_port = htons((uint16_t)opt->port);
		sa = (struct sockaddr *)&sa6;
		flags |= MHD_USE_IPv6;
	} else {
		kl_err_set(err, "`%s` is not an IP address: give --bind 127.0.0.1 (the default) "
				"or another IPv4/IPv6 address", bind);
		goto out_free;
	}
	if (web_site_open(&srv->site, cfg, err) < 0)
		goto out_free;
	srv->site.team = opt->team;
	srv->site.nteam = opt->nteam;
	if (!S_loopback(bind))
		fprintf(stderr,
			"klab: WARNING: serving on %s, not on loopback: anyone who can reach this "
			"machine can read your notes and progress. Use --bind 127.0.0.1 unless "
			"you mean it.\n", bind);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &old); /* MHD's thread inherits the mask */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Limits: every client of a loopback server has the same address, so a
	 * per-address limit only turns away the learner's own tabs and tools;
	 * it applies when serving a network. Slow clients are cut by the timeout,
	 * and the connection limit stays below the descriptors we may open.
	 */
	struct rlimit nofile;
	unsigned int conn_limit = 1024;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
		if (nofile.rlim_cur < nofile.rlim_max && nofile.rlim_cur < 4096) {
			nofile.rlim_cur = nofile.rlim_max < 4096 ? nofile.rlim_max : 4096;
			setrlimit(RLIMIT_NOFILE, &nofile);
		}
		if (nofile.rlim_cur < conn_limit + 64)
			conn_limit = nofile.rlim_cur > 128 ? (unsigned int)nofile.rlim_cur - 64 : 64;
	}
	unsigned int per_ip = S_loopback(bind) ? 0 : 64;
	/*
	 * poll(), not epoll: with libmicrohttpd 0.9.75's epoll mode, a burst of
	 * more connections than one accept round takes left the rest waiting in
	 * the backlog until the 15 s timeout (the soak test caught it: a 14 s
	 * stall at 256 connections). poll is level-triggered and keeps up here.
	 */
	for (int attempt = 0; attempt < 1 && !d; attempt++) {
		d = MHD_start_daemon(flags | MHD_USE_POLL, 0,
				     NULL, NULL, S_handle, srv,
				     MHD_OPTION_SOCK_ADDR, sa,
				     MHD_OPTION_CONNECTION_LIMIT, conn_limit,
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)15,
				     MHD_OPTION_NOTIFY_COMPLETED, S_completed, srv,
				     MHD_OPTION_UNESCAPE_CALLBACK, S_unescape, NULL,
				     MHD_OPTION_END);
	}
	if (!d) {
		kl_err_set(err, "cannot listen on %s port %d (%s): another server may hold the "
				"port; pick one with --port N, or --port 0 for any free port",
			   bind, opt->port, strerror(errno));
		goto out_mask;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	int port = info ? info->port : opt->port;
	if (flags & MHD_USE_IPv6)
		printf("klab: serving http://[%s]:%d/\n", bind, port);
	else
		printf("klab: serving http://%s:%d/\n", bind, port);
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		;
	fprintf(stderr, "klab: %s: shutting down\n", sig == SIGINT ? "interrupted" : "terminated");
	MHD_stop_daemon(d);
	rc = 0;
out_mask:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	S_cache_clear(srv);
	web_site_close(&srv->site);
out_free:
	pthread_mutex_destroy(&srv->lock);
	free(srv);
	return rc;
}
