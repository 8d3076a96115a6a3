/*
 * post.h - the few things a page may change, by POST: marking a note read
 * (/notes/TOPIC/read, the button on a note's page). A POST carries no body
 * and must come from klab's own pages: same origin (Origin, else
 * Sec-Fetch-Site), so another site cannot make the browser post for it. The
 * answer is a redirect (303) back to the page.
 */
#ifndef KLAB_WEB_POST_H
#define KLAB_WEB_POST_H

#include <stdbool.h>

#include "web/site.h"

/*
 * True when a POST with these headers (each may be NULL) comes from the page
 * of host itself: Origin is http(s)://host, or, without Origin, Sec-Fetch-Site
 * is same-origin.
 */
bool web_same_origin(const char *origin, const char *host, const char *sec_fetch_site);
/* True when path is a POST route (others answer 405, as before). */
bool web_post_route(const char *path);
/*
 * Runs the POST route for path. Returns 303 with *location (the caller frees)
 * where to go next, or the HTTP status of the error (404, 500).
 */
int web_post(struct web_site *s, const char *path, char **location);
/* The note page's read marker or "Mark as read" button, as HTML. */
void web_note_read_html(struct web_site *s, const char *topic, struct kl_buf *out);

#endif
