/*
 * guard.h - who may talk to `klab serve`: the Host rule that defeats DNS
 * rebinding (every route), and what a write (POST) must also bring: a
 * loopback bind, a same-origin Origin or Referer, and the session's token.
 *
 * Host: a request is answered only when its Host header names the address
 * the server is bound to, with the bound port: 127.0.0.1:PORT, localhost:PORT
 * or [::1]:PORT on a loopback bind (and the bound loopback address itself,
 * 127.0.0.2:PORT); on another bind the bound address (ADDR:PORT), and on a
 * wildcard bind (0.0.0.0, ::) the addresses of this machine's interfaces and
 * its host name. On port 80 each also without the port, as browsers send it.
 * Anything else gets 421: a page elsewhere that rebinds its
 * own name to 127.0.0.1 reaches the port but sends its own name as Host.
 *
 * Token: 32 bytes from getrandom(2), in hex, made once per server start. Edit
 * forms carry it; a POST must send it back (form field `token` or header
 * X-Klab-Token), compared in constant time.
 */
#ifndef KLAB_WEB_GUARD_H
#define KLAB_WEB_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

#define WEB_GUARD_MAX_HOSTS 32

struct web_guard {
	bool loopback;        /* bound to a loopback address: writes allowed */
	int port;             /* the bound port */
	char *hosts[WEB_GUARD_MAX_HOSTS]; /* accepted Host values, "name:port", lowercase */
	size_t nhosts;
	char token[65];       /* the session's token, hex */
};

/*
 * Fills g for a server bound to bind (an IP address as given to --bind) and
 * port (the real one). web_guard_release() frees.
 */
int web_guard_init(struct web_guard *g, const char *bind, int port, struct kl_err *err);
void web_guard_release(struct web_guard *g);

/* True when host (a Host header, may be NULL) is one of g's; case-insensitive. */
bool web_guard_host_ok(const struct web_guard *g, const char *host);

/*
 * True when a write comes from klab's own pages: Origin (when sent) is
 * "http://" + an accepted host; without Origin, Referer must start with
 * "http://" + an accepted host + "/". Neither sent: false.
 */
bool web_guard_origin_ok(const struct web_guard *g, const char *origin, const char *referer);

/* True when token (may be NULL) is the session's token. */
bool web_guard_token_ok(const struct web_guard *g, const char *token);

#endif
