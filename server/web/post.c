/*
 * post.c - marking a note read: POST /notes/TOPIC/read, the button on a
 * note's page (see post.h). The server's guard has already checked what every
 * write must bring (a loopback bind, the same origin, the session's token).
 */
#include "web/post.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fsutil.h"
#include "core/progress.h"
#include "web/guard.h"
#include "web/handlers.h"
#include "web/page.h"

void web_post_note_read(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const char *topic = rq->params[0];
	struct kl_progress *p = NULL;
	struct kl_err err;

	if (!web_site_note(s, topic)) {
		web_page_error(s, rp, 404, "No such note", "There is no note by that name to mark.");
		return;
	}
	if (kl_progress_open(s->cfg->home, &p, &err) < 0 ||
	    kl_progress_mark_read(p, topic, (long long)time(NULL), &err) < 0) {
		kl_progress_close(p);
		web_page_error(s, rp, 500, "Not saved", err.msg);
		return;
	}
	kl_progress_close(p);
	rp->status = 303;
	rp->type = "text/plain; charset=utf-8";
	snprintf(rp->location, sizeof(rp->location), "/notes/%s#read", topic);
	kl_buf_reset(&rp->body);
	kl_buf_printf(&rp->body, "See %s\n", rp->location);
	rp->cache = 0;
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
	if (!s->guard || !s->guard->loopback)
		return; /* a read-only server takes no marks */
	kl_buf_puts(out, "<form id=\"read\" class=\"read\" method=\"post\" action=\"/notes/");
	kl_buf_puts_html(out, topic);
	kl_buf_puts(out, "/read\"><input type=\"hidden\" name=\"token\" value=\"");
	kl_buf_puts_html(out, s->guard->token);
	kl_buf_puts(out, "\"><button type=\"submit\">Mark as read</button></form>");
}
