/*
 * server.c - the HTTP side of `klab serve` on libmicrohttpd: listening, the
 * request handler (checks, routing, the cache of rendered pages, ETag/304),
 * security headers, the access log, and shutdown on SIGINT/SIGTERM.
 *
 * A pool of libmicrohttpd threads, one per core, each polling (poll(2)) its
 * share of the connections, runs the handlers. The handler returns MHD_YES on
 * the first call for a request and queues its response on the second, which
 * keeps connections alive. Every request's Host must name the bound address
 * (guard.h), else 421. Request bodies are taken only by POST to the write
 * routes (web_post_routes), which also need a loopback bind, a same-origin
 * request and the session token; GET bodies are refused.
 *
 * All state is in struct web_server, the MHD closure. Threads share: the site
 * (read under site_lock; reloaded, and written by a POST, under its write
 * lock), the page cache (cache_lock, held briefly), the learner's notes
 * handles (site.my, site.my_history: my_lock around the pages that read them),
 * and a pool of handle sets (SQLite, libgit2: one thread at a time each), one
 * per thread, lent for the length of a request.
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
#include <sys/stat.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/fsutil.h"
#include "core/markdown.h"
#include "web/form.h"
#include "web/guard.h"
#include "web/handlers.h"
#include "web/router.h"
#include "web/site.h"

#define S_CACHE_SLOTS 1024          /* power of two */
#define S_CACHE_MAX 700             /* entries before the cache is emptied */
#define S_CACHE_BYTES (16u << 20)   /* body bytes before the cache is emptied */
#define S_MAX_THREADS 16
#define S_POST_MAX (5 << 20) /* bytes a POST body may hold: a note and its form */

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
	pthread_rwlock_t site_lock;    /* read: a request; write: a reload of site */
	pthread_mutex_t refresh_lock;  /* one thread looks at the watch at a time */
	pthread_mutex_t cache_lock;    /* guards cache, ncache, cache_bytes */
	struct S_entry cache[S_CACHE_SLOTS];
	size_t ncache, cache_bytes;
	pthread_mutex_t pool_lock;     /* guards busy */
	pthread_cond_t pool_free;      /* a handle set was given back */
	struct web_handles handles[S_MAX_THREADS];
	bool busy[S_MAX_THREADS];
	size_t nhandles;
	pthread_mutex_t my_lock;       /* site.my and site.my_history: one thread at a time */
	pthread_mutex_t guard_lock;    /* guard: filled once the port is known */
	int log;                       /* 1: access log on stderr */
	struct web_guard guard;        /* Host rule, origin and token (site.guard points here) */
};

/* Per request, from the first handler call to the completion callback. */
struct S_req {
	struct timespec t0;
	int status;
	size_t bytes;
	char method[12];
	char path[200];
	bool post;                  /* a POST: its body is collected in body */
	bool too_big;               /* the body passed S_POST_MAX (dropped) */
	struct kl_buf body;
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
	srv->cache_bytes = 0;
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
	/* same-origin: no referrer to other sites, and a same-origin POST keeps a real
	 * Origin (under no-referrer browsers send `Origin: null`, which the guard refuses) */
	MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
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
	if (rp->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, rp->location);
	if (rp->link[0])
		MHD_add_response_header(resp, "Link", rp->link);
	if (rp->total[0])
		MHD_add_response_header(resp, "X-Total-Count", rp->total);
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
		char etag[sizeof(((struct S_entry *)0)->etag)];
		snprintf(etag, sizeof(etag), "\"%016llx\"",
			 S_hash(kl_buf_str(&rp->body), rp->body.len));
		size_t len = rp->body.len;
		struct MHD_Response *resp = S_response(rp, etag);
		pthread_mutex_lock(&srv->cache_lock);
		if (srv->ncache >= S_CACHE_MAX || srv->cache_bytes + len > S_CACHE_BYTES)
			S_cache_clear(srv);
		struct S_entry *e = S_cache_slot(srv, key);
		if (e->key) { /* another thread's copy of the same page */
			free(e->key);
			MHD_destroy_response(e->resp);
			srv->ncache--;
			srv->cache_bytes -= e->len;
		}
		memcpy(e->etag, etag, sizeof(etag));
		e->len = len;
		e->resp = resp;
		e->key = kl_strdup(key);
		srv->ncache++;
		srv->cache_bytes += len;
		enum MHD_Result ret = S_queue_cached(conn, r, e);
		pthread_mutex_unlock(&srv->cache_lock);
		return ret;
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

/* Lends a handle set to this request's thread; S_handles_put gives it back. */
static size_t S_handles_get(struct web_server *srv)
{
	size_t i;

	pthread_mutex_lock(&srv->pool_lock);
	for (;;) {
		for (i = 0; i < srv->nhandles && srv->busy[i]; i++)
			;
		if (i < srv->nhandles)
			break;
		pthread_cond_wait(&srv->pool_free, &srv->pool_lock);
	}
	srv->busy[i] = true;
	pthread_mutex_unlock(&srv->pool_lock);
	return i;
}

static void S_handles_put(struct web_server *srv, size_t i)
{
	pthread_mutex_lock(&srv->pool_lock);
	srv->busy[i] = false;
	pthread_cond_signal(&srv->pool_free);
	pthread_mutex_unlock(&srv->pool_lock);
}

/*
 * Takes in changes on disk: one thread looks at the watch; when it moved, the
 * site is reloaded under the write lock and every cached page goes.
 */
static void S_refresh(struct web_server *srv)
{
	if (pthread_mutex_trylock(&srv->refresh_lock) != 0)
		return; /* another thread is looking */
	if (web_site_stale(&srv->site)) {
		pthread_rwlock_wrlock(&srv->site_lock);
		web_site_refresh(&srv->site);
		pthread_mutex_lock(&srv->cache_lock); /* no page of the old data survives */
		S_cache_clear(srv);
		pthread_mutex_unlock(&srv->cache_lock);
		pthread_rwlock_unlock(&srv->site_lock);
	}
	pthread_mutex_unlock(&srv->refresh_lock);
}

/* Appends the state of the progress store (size and time of its files) to key. */
static void S_progress_stamp(struct web_server *srv, struct kl_buf *key)
{
	const char *sfx[] = { "", "-wal" };
	struct stat sb;

	for (size_t i = 0; i < 2; i++) {
		char *p = kl_sprintf("%s/progress.db%s", srv->site.cfg->home, sfx[i]);
		if (stat(p, &sb) == 0)
			kl_buf_printf(key, "\x1f%lld.%ld:%lld", (long long)sb.st_mtim.tv_sec,
				      sb.st_mtim.tv_nsec, (long long)sb.st_size);
		free(p);
	}
}

/*
 * The cache key of a request: the path, plus what else its page depends on:
 * the query of a search, the page number of a list, the progress store for
 * pages that show lab status.
 */
static char *S_cache_key(struct web_server *srv, struct MHD_Connection *conn, const char *url)
{
	struct kl_buf key = KL_BUF_INIT;
	const char *q = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "q");
	const char *lim = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
	const char *page = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "page");

	kl_buf_puts(&key, url);
	if (strcmp(url, "/search") == 0 || strcmp(url, "/api/search") == 0)
		kl_buf_printf(&key, "\x1f%s\x1f%s", q ? q : "", lim ? lim : "");
	if (strcmp(url, "/") == 0 || strncmp(url, "/topics/", 8) == 0 || strcmp(url, "/search") == 0)
		kl_buf_printf(&key, "\x1f%s", page ? page : "");
	if (strcmp(url, "/") == 0 || strncmp(url, "/labs/", 6) == 0)
		S_progress_stamp(srv, &key);
	return kl_buf_detach(&key);
}

/* Answers from the cache, or renders the page with a lent handle set. Under the read lock. */
static enum MHD_Result S_dispatch(struct web_server *srv, struct MHD_Connection *conn,
				  struct S_req *r, const char *url)
{
	struct web_request rq;
	struct web_reply rp = { 0 };
	struct web_site view;
	enum MHD_Result ret;

	int bad = web_path_check(url);
	if (bad)
		return S_error(srv, conn, r, bad,
			       bad == 414 ? "Address too long"
			       : bad == 404 ? "No such page"
					    : "Bad address",
			       "This address cannot name a page. The home page leads to every "
			       "note and lab.");
	char *key = S_cache_key(srv, conn, url);
	pthread_mutex_lock(&srv->cache_lock);
	struct S_entry *e = S_cache_slot(srv, key);
	if (e->key) {
		ret = S_queue_cached(conn, r, e);
		pthread_mutex_unlock(&srv->cache_lock);
		free(key);
		return ret;
	}
	pthread_mutex_unlock(&srv->cache_lock);
	rq.arg = S_arg;
	rq.arg_ctx = conn;
	rq.nparams = 0;
	rq.path = url;
	const struct web_route *route = web_route_match(web_routes, web_nroutes, url, &rq);
	size_t h = S_handles_get(srv);
	/* the home page and /my/ read the learner's notes through one libgit2 handle */
	bool my = strcmp(url, "/") == 0 || (strncmp(url, "/my", 3) == 0 &&
					    (url[3] == '\0' || url[3] == '/'));
	if (my)
		pthread_mutex_lock(&srv->my_lock);
	web_site_view(&srv->site, &srv->handles[h], &view);
	if (route)
		route->fn(&view, &rq, &rp);
	else
		web_page_not_found(&view, &rq, &rp);
	web_site_view_end(&view, &srv->handles[h]);
	if (my)
		pthread_mutex_unlock(&srv->my_lock);
	S_handles_put(srv, h);
	ret = S_queue_reply(srv, conn, r, key, &rp);
	kl_buf_release(&rp.body);
	free(key);
	return ret;
}

static const char *S_header(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

static const char *S_form_arg(void *ctx, const char *name)
{
	return web_form_get(ctx, name);
}

/* A write: a write route, loopback bind, same origin, the session's token. */
static enum MHD_Result S_post(struct web_server *srv, struct MHD_Connection *conn,
			      struct S_req *r, const char *url)
{
	struct web_request rq;
	struct web_reply rp = { 0 };
	struct web_form form;
	enum MHD_Result ret;

	rq.nparams = 0;
	rq.path = url;
	const struct web_route *route =
		web_path_check(url) ? NULL
				    : web_route_match(web_post_routes, web_npost_routes, url, &rq);
	if (!route)
		return S_error(srv, conn, r, 405, "Method not allowed",
			       "klab's pages are read with GET; only the edit pages of your notes "
			       "take changes.");
	if (!srv->guard.loopback)
		return S_error(srv, conn, r, 403, "Read-only server",
			       "This klab serves a network address, so it is read-only: nothing "
			       "can be changed through it. Edit your notes with `klab note edit` or "
			       "a server on 127.0.0.1.");
	if (r->too_big)
		return S_error(srv, conn, r, 413, "Too large", "A note holds at most 4 MB.");
	if (!web_guard_origin_ok(&srv->guard, S_header(conn, "Origin"), S_header(conn, "Referer")))
		return S_error(srv, conn, r, 403, "Not from this site",
			       "Changes are taken only from klab's own pages (the request's Origin "
			       "or Referer names another site, or none).");
	const char *type = S_header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
	bool is_form = type && strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0;
	web_form_parse(is_form ? kl_buf_str(&r->body) : "", is_form ? r->body.len : 0, &form);
	const char *token = S_header(conn, "X-Klab-Token");
	if (!web_guard_token_ok(&srv->guard, token ? token : web_form_get(&form, "token"))) {
		web_form_release(&form);
		return S_error(srv, conn, r, 403, "Expired form",
			       "This form is from an earlier start of `klab serve` or from another "
			       "site. Reload the page and try again.");
	}
	if (web_site_refresh(&srv->site)) {
		pthread_mutex_lock(&srv->cache_lock);
		S_cache_clear(srv);
		pthread_mutex_unlock(&srv->cache_lock);
	}
	rq.arg = S_form_arg;
	rq.arg_ctx = &form;
	route->fn(&srv->site, &rq, &rp);
	rp.cache = 0;
	ret = S_queue_reply(srv, conn, r, NULL, &rp);
	kl_buf_release(&rp.body);
	web_form_release(&form);
	pthread_mutex_lock(&srv->cache_lock);
	S_cache_clear(srv); /* what was written shows on the next page */
	pthread_mutex_unlock(&srv->cache_lock);
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
	enum MHD_Result ret;

	(void)version;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &r->t0);
		S_log_copy(r->method, sizeof(r->method), method);
		S_log_copy(r->path, sizeof(r->path), url);
		*con_cls = r;
		pthread_mutex_lock(&srv->guard_lock); /* the guard is filled once the port is known */
		if (!web_guard_host_ok(&srv->guard, S_header(conn, MHD_HTTP_HEADER_HOST))) {
			ret = S_error(srv, conn, r, 421, "Misdirected request",
				      "This server answers only to the address it is bound to "
				      "(for example `127.0.0.1` with its port): the request's Host "
				      "names another.");
			pthread_mutex_unlock(&srv->guard_lock);
			return ret;
		}
		pthread_mutex_unlock(&srv->guard_lock);
		r->post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_TRANSFER_ENCODING);
		if (r->post && !(cl && strtoull(cl, NULL, 10) > S_POST_MAX))
			return MHD_YES; /* the body comes in the next calls */
		if ((cl && strtoull(cl, NULL, 10) > 0) || te) {
			/* Refuse the body now; the connection closes after the answer. */
			pthread_rwlock_rdlock(&srv->site_lock);
			ret = r->post ? S_error(srv, conn, r, 413, "Too large",
						"A note holds at most 4 MB.")
			    : get ? S_error(srv, conn, r, 413, "No request body here",
					    "klab's pages take no request body.")
				  : S_error(srv, conn, r, 405, "Method not allowed",
					    "klab's pages are read with GET.");
			pthread_rwlock_unlock(&srv->site_lock);
			return ret;
		}
		return MHD_YES; /* queue on the next call: keeps the connection alive */
	}
	if (*upload_size) {
		if (r->post && r->body.len + *upload_size <= S_POST_MAX)
			kl_buf_add(&r->body, upload_data, *upload_size);
		else if (r->post)
			r->too_big = true;
		*upload_size = 0; /* unannounced body: dropped, answered below */
		return MHD_YES;
	}
	S_refresh(srv);
	if (r->post) { /* a write: alone, like a reload */
		pthread_rwlock_wrlock(&srv->site_lock);
		ret = S_post(srv, conn, r, url);
		pthread_rwlock_unlock(&srv->site_lock);
		return ret;
	}
	pthread_rwlock_rdlock(&srv->site_lock);
	if (!get)
		ret = S_error(srv, conn, r, 405, "Method not allowed",
			      "klab's pages are read with GET.");
	else
		ret = S_dispatch(srv, conn, r, url);
	pthread_rwlock_unlock(&srv->site_lock);
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
	kl_buf_release(&r->body);
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
	pthread_rwlockattr_t rwa;
	pthread_rwlockattr_init(&rwa);
	/* a reload must not wait behind a stream of readers */
	pthread_rwlockattr_setkind_np(&rwa, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&srv->site_lock, &rwa);
	pthread_rwlockattr_destroy(&rwa);
	pthread_mutex_init(&srv->refresh_lock, NULL);
	pthread_mutex_init(&srv->cache_lock, NULL);
	pthread_mutex_init(&srv->pool_lock, NULL);
	pthread_mutex_init(&srv->my_lock, NULL);
	pthread_mutex_init(&srv->guard_lock, NULL);
	pthread_cond_init(&srv->pool_free, NULL);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int nthreads = opt->threads > 0 ? (unsigned int)opt->threads
			       : cores > 0 ? (unsigned int)cores : 1;
	if (nthreads > S_MAX_THREADS)
		nthreads = S_MAX_THREADS;
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
	srv->site.guard = &srv->guard;
	for (; srv->nhandles < nthreads; srv->nhandles++)
		if (web_handles_open(&srv->site, &srv->handles[srv->nhandles], err) < 0)
			goto out_site;
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
	 * stall at 256 connections). poll is level-triggered and keeps up here,
	 * also with a pool of threads each polling the listening socket.
	 */
	for (int attempt = 0; attempt < 1 && !d; attempt++) {
		d = MHD_start_daemon(flags | MHD_USE_POLL, 0,
				     NULL, NULL, S_handle, srv,
				     MHD_OPTION_SOCK_ADDR, sa,
				     MHD_OPTION_THREAD_POOL_SIZE, nthreads,
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
	/* until here the guard holds no host: a request before the port is known gets 421 */
	pthread_mutex_lock(&srv->guard_lock);
	rc = web_guard_init(&srv->guard, bind, port, err);
	pthread_mutex_unlock(&srv->guard_lock);
	if (rc < 0) {
		MHD_stop_daemon(d);
		goto out_mask;
	}
	rc = -1;
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
out_site:
	for (size_t i = 0; i < srv->nhandles; i++)
		web_handles_close(&srv->handles[i]);
	web_site_close(&srv->site);
	web_guard_release(&srv->guard);
out_free:
	pthread_cond_destroy(&srv->pool_free);
	pthread_mutex_destroy(&srv->pool_lock);
	pthread_mutex_destroy(&srv->my_lock);
	pthread_mutex_destroy(&srv->guard_lock);
	pthread_mutex_destroy(&srv->cache_lock);
	pthread_mutex_destroy(&srv->refresh_lock);
	pthread_rwlock_destroy(&srv->site_lock);
	free(srv);
	return rc;
}
