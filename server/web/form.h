/*
 * form.h - an HTML form's fields from an application/x-www-form-urlencoded
 * body: `name=value&...`, '+' a blank, %XX a byte. A field named twice keeps
 * its first value.
 */
#ifndef KLAB_WEB_FORM_H
#define KLAB_WEB_FORM_H

#include <stddef.h>

#define WEB_FORM_MAX 16 /* fields kept; the rest are ignored */

struct web_form {
	char *names[WEB_FORM_MAX];
	char *values[WEB_FORM_MAX]; /* decoded; may hold any byte but NUL (%00 is dropped) */
	size_t n;
};

/* Parses body (len bytes, need not end in NUL) into f; web_form_release() frees. */
void web_form_parse(const char *body, size_t len, struct web_form *f);
void web_form_release(struct web_form *f);

/* The value of field name, or NULL. */
const char *web_form_get(const struct web_form *f, const char *name);

#endif
