/*
 * buf.c - growing byte buffers and the escapers built on them (see buf.h).
 */
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char S_empty[1];

void kl_buf_init(struct kl_buf *b)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
}

void kl_buf_release(struct kl_buf *b)
{
	free(b->ptr);
	kl_buf_init(b);
}

void kl_buf_reset(struct kl_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

char *kl_buf_detach(struct kl_buf *b)
{
	char *p = b->ptr;

	if (!p) {
		p = calloc(1, 1);
		if (!p)
			abort();
	}
	kl_buf_init(b);
	return p;
}

void kl_buf_grow(struct kl_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need < b->len)
		abort();
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->ptr, cap);
	if (!p)
		abort();
	if (!b->ptr)
		p[0] = '\0';
	b->ptr = p;
	b->cap = cap;
}

void kl_buf_add(struct kl_buf *b, const void *data, size_t len)
{
	kl_buf_grow(b, len);
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void kl_buf_puts(struct kl_buf *b, const char *s)
{
	kl_buf_add(b, s, strlen(s));
}

void kl_buf_putc(struct kl_buf *b, char c)
{
	kl_buf_add(b, &c, 1);
}

void kl_buf_vprintf(struct kl_buf *b, const char *fmt, va_list ap)
{
	va_list cp;

	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	kl_buf_grow(b, (size_t)n);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void kl_buf_printf(struct kl_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kl_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void kl_buf_truncate(struct kl_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->ptr[len] = '\0';
}

const char *kl_buf_str(const struct kl_buf *b)
{
	return b->ptr ? b->ptr : S_empty;
}

void kl_buf_add_html(struct kl_buf *b, const char *s, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		const char *rep = NULL;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		case '\0': rep = "\xEF\xBF\xBD"; break;
		default: continue;
		}
		kl_buf_add(b, s + start, i - start);
		kl_buf_puts(b, rep);
		start = i + 1;
	}
	kl_buf_add(b, s + start, len - start);
}

void kl_buf_puts_html(struct kl_buf *b, const char *s)
{
	kl_buf_add_html(b, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if invalid. */
static size_t S_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned int cp;

	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0) {
		len = 2;
		cp = c & 0x1F;
	} else if ((c & 0xF0) == 0xE0) {
		len = 3;
		cp = c & 0x0F;
	} else if ((c & 0xF8) == 0xF0) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

void kl_buf_add_json(struct kl_buf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	kl_buf_putc(b, '"');
	for (size_t i = 0; i < len;) {
		unsigned char c = u[i];

		if (c == '"' || c == '\\') {
			kl_buf_putc(b, '\\');
			kl_buf_putc(b, (char)c);
			i++;
		} else if (c == '\n') {
			kl_buf_puts(b, "\\n");
			i++;
		} else if (c == '\t') {
			kl_buf_puts(b, "\\t");
			i++;
		} else if (c == '\r') {
			kl_buf_puts(b, "\\r");
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			kl_buf_printf(b, "\\u%04x", c);
			i++;
		} else if (c == '<') {
			kl_buf_puts(b, "\\u003c"); /* safe inside <script> or HTML */
			i++;
		} else {
			size_t n = S_utf8_len(u + i, len - i);

			if (n == 0) {
				kl_buf_puts(b, "\\ufffd");
				i++;
			} else {
				kl_buf_add(b, s + i, n);
				i += n;
			}
		}
	}
	kl_buf_putc(b, '"');
}

void kl_buf_put_json(struct kl_buf *b, const char *s)
{
	if (!s)
		kl_buf_puts(b, "null");
	else
		kl_buf_add_json(b, s, strlen(s));
}

void kl_buf_puts_xml(struct kl_buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&': kl_buf_puts(b, "&amp;"); break;
		case '<': kl_buf_puts(b, "&lt;"); break;
		case '>': kl_buf_puts(b, "&gt;"); break;
		case '"': kl_buf_puts(b, "&quot;"); break;
		case '\'': kl_buf_puts(b, "&apos;"); break;
		default:
			if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r')
				break;
			kl_buf_putc(b, (char)*p);
		}
	}
}
