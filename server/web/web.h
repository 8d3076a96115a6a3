/*
 * web.h - `klab serve`: the knowledge base over HTTP on libmicrohttpd. Pages
 * (home, note, lab, history, search), a JSON API under /api/, and the files
 * of static/. The server reads the source tree and the progress store; it
 * never builds or boots a lab.
 */
#ifndef KLAB_WEB_H
#define KLAB_WEB_H

#include <stddef.h>

#include "core/config.h"
#include "core/err.h"

struct web_options {
	const char *bind; /* address to listen on, "127.0.0.1" when NULL */
	int port;         /* 0 picks a free port */
	int quiet;        /* 1: no access log */
	int threads;      /* request threads; 0: one per core */
	char *const *team; /* learners' repositories shown at /team (--team), may be NULL */
	size_t nteam;
};

/*
 * Serves until SIGINT or SIGTERM, then shuts down cleanly and returns 0. Prints
 * "klab: serving http://ADDR:PORT/" on stdout once listening. Returns -1 with
 * err set when the server cannot start.
 */
int web_serve(const struct kl_config *cfg, const struct web_options *opt, struct kl_err *err);

#endif
