/*
 * post.h - marking a note read (POST /notes/TOPIC/read, the button on a
 * note's page; a route of web_post_routes, so the server's guard checks it as
 * every write: loopback bind, same origin, the session's token). The answer is
 * a redirect (303) back to the note.
 */
#ifndef KLAB_WEB_POST_H
#define KLAB_WEB_POST_H

#include "core/buf.h"
#include "web/router.h"
#include "web/site.h"

/* POST /notes/:topic/read */
void web_post_note_read(struct web_site *s, const struct web_request *rq, struct web_reply *rp);
/* The note page's read marker, or its "Mark as read" form (with the token) on a loopback bind. */
void web_note_read_html(struct web_site *s, const char *topic, struct kl_buf *out);

#endif
