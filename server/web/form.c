/*
 * form.c - urlencoded form bodies (see form.h).
 */
#include "web/form.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

static int S_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) into a new string. */
static char *S_decode(const char *s, size_t n)
{
	struct kl_buf b = KL_BUF_INIT;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (s[i] == '+') {
			kl_buf_putc(&b, ' ');
		} else if (s[i] == '%' && i + 2 < n && (hi = S_hex(s[i + 1])) >= 0 &&
			   (lo = S_hex(s[i + 2])) >= 0) {
			if (hi || lo)
				kl_buf_putc(&b, (char)(hi * 16 + lo));
			i += 2;
		} else {
			kl_buf_putc(&b, s[i]);
		}
	}
	return kl_buf_detach(&b);
}

void web_form_parse(const char *body, size_t len, struct web_form *f)
{
	const char *p = body, *end = body + len;

	memset(f, 0, sizeof(*f));
	while (p < end && f->n < WEB_FORM_MAX) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		if (stop > p) {
			const char *name_end = eq ? eq : stop;
			f->names[f->n] = S_decode(p, (size_t)(name_end - p));
			f->values[f->n] = eq ? S_decode(eq + 1, (size_t)(stop - eq - 1)) : S_decode("", 0);
			f->n++;
		}
		p = stop + 1;
	}
}

void web_form_release(struct web_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->names[i]);
		free(f->values[i]);
	}
	memset(f, 0, sizeof(*f));
}

const char *web_form_get(const struct web_form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->names[i], name) == 0)
			return f->values[i];
	return NULL;
}
