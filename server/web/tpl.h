/*
 * tpl.h - page templates: the HTML files of static/templates/ with {{name}}
 * placeholders. A file may also define named fragments for repeated parts
 * (a row, a list item):
 *
 *     {{define row}}<li>{{title}}</li>{{end}}
 *
 * rendered as "file:row". A placeholder takes a variable's value: text is
 * HTML-escaped here, HTML (already escaped by whoever built it) goes in as is.
 * A placeholder without a variable renders as nothing.
 */
#ifndef KLAB_WEB_TPL_H
#define KLAB_WEB_TPL_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct web_tpls;

struct web_var {
	const char *name;
	const char *value; /* NULL renders as nothing */
	int html;          /* 1: value is HTML; 0: text, escaped */
};

#define WEB_TEXT(n, v) { (n), (v), 0 }
#define WEB_HTML(n, v) { (n), (v), 1 }

/* Reads every *.html of dir; web_tpls_free() frees. */
int web_tpls_load(const char *dir, struct web_tpls **out, struct kl_err *err);
void web_tpls_free(struct web_tpls *t);

/* Appends template name ("page" or "home:topic") with vars to out. */
void web_tpl_render(const struct web_tpls *t, const char *name, const struct web_var *vars,
		    size_t nvars, struct kl_buf *out);

/* True when the template or fragment exists. */
int web_tpl_has(const struct web_tpls *t, const char *name);

#endif
