/*
 * handlers.h - the handlers behind the route table: HTML pages (pages.c,
 * pages_lab.c), the JSON API (api.c) and static files (static.c).
 */
#ifndef KLAB_WEB_HANDLERS_H
#define KLAB_WEB_HANDLERS_H

#include "web/router.h"

void web_page_home(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_page_topic(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_page_note(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_page_history(struct web_site *site, const struct web_request *rq,
		      struct web_reply *rp);
void web_page_commit(struct web_site *site, const struct web_request *rq,
		     struct web_reply *rp);
void web_page_search(struct web_site *site, const struct web_request *rq,
		     struct web_reply *rp);
void web_page_lab(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_page_lab_diff(struct web_site *site, const struct web_request *rq,
		       struct web_reply *rp);
/* pages_xref.c: the lab kernel's source and its identifiers */
void web_page_ident(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_page_source(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_api_ident(struct web_site *site, const struct web_request *rq, struct web_reply *rp);

/* pages_team.c: tracks and the team of `klab serve --team` */
void web_page_tracks(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_page_track(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_page_team(struct web_site *site, const struct web_request *rq, struct web_reply *rp);

void web_api_topics(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_api_notes(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_api_note(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_api_labs(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_api_lab(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_api_progress(struct web_site *site, const struct web_request *rq,
		      struct web_reply *rp);
void web_api_search(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_api_not_found(struct web_site *site, const struct web_request *rq,
		       struct web_reply *rp);

/* pages_my.c: the learner's own notes under /my/ */
void web_page_my_index(struct web_site *site, const struct web_request *rq,
		       struct web_reply *rp);
void web_page_my(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_page_my_new(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_page_my_edit(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_page_my_history(struct web_site *site, const struct web_request *rq,
			 struct web_reply *rp);
void web_page_my_commit(struct web_site *site, const struct web_request *rq,
			struct web_reply *rp);
void web_post_my_new(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_post_my_edit(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_post_my_preview(struct web_site *site, const struct web_request *rq,
			 struct web_reply *rp);
/* The "My notes" section of the home page, appended to out. */
void web_my_home_section(struct web_site *site, struct kl_buf *out);

void web_static_file(struct web_site *site, const struct web_request *rq, struct web_reply *rp);
void web_static_diagram(struct web_site *site, const struct web_request *rq,
			struct web_reply *rp);

/* The 404 page (also for paths no route matches). */
void web_page_not_found(struct web_site *site, const struct web_request *rq,
			struct web_reply *rp);
/* An error page with status, title and a sentence saying what to do. */
void web_page_error(struct web_site *site, struct web_reply *rp, int status, const char *title,
		    const char *message);

#endif
