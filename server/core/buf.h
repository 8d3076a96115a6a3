/*
 * buf.h - growing byte buffers (strbuf-like) with the escaping klab needs:
 * HTML text and attributes, JSON strings, XML (JUnit).
 *
 * A struct kl_buf is owned by whoever declared it: initialise with KL_BUF_INIT or
 * kl_buf_init(), free with kl_buf_release(). ptr is always NUL-terminated once
 * anything was added. Allocation failure aborts (klab cannot go on without memory).
 */
#ifndef KLAB_BUF_H
#define KLAB_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct kl_buf {
	char *ptr;  /* contents, NUL-terminated; NULL while empty and never grown */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
};

#define KL_BUF_INIT { NULL, 0, 0 }

void kl_buf_init(struct kl_buf *b);
void kl_buf_release(struct kl_buf *b);
/* Empties the buffer, keeping its memory. */
void kl_buf_reset(struct kl_buf *b);
/* Hands the contents (never NULL) to the caller, who frees them; b is emptied. */
char *kl_buf_detach(struct kl_buf *b);
void kl_buf_grow(struct kl_buf *b, size_t extra);
void kl_buf_add(struct kl_buf *b, const void *data, size_t len);
void kl_buf_puts(struct kl_buf *b, const char *s);
void kl_buf_putc(struct kl_buf *b, char c);
void kl_buf_printf(struct kl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kl_buf_vprintf(struct kl_buf *b, const char *fmt, va_list ap);
/* Shortens to len bytes (len <= b->len). */
void kl_buf_truncate(struct kl_buf *b, size_t len);
/* The contents as a C string ("" when empty). */
const char *kl_buf_str(const struct kl_buf *b);

/* Escaped appends. */
void kl_buf_add_html(struct kl_buf *b, const char *s, size_t len);
void kl_buf_puts_html(struct kl_buf *b, const char *s);
/* A JSON string literal with its quotes; NULL gives null. Invalid UTF-8 becomes U+FFFD. */
void kl_buf_put_json(struct kl_buf *b, const char *s);
void kl_buf_add_json(struct kl_buf *b, const char *s, size_t len);
/* XML text/attribute escaping; control characters that XML 1.0 forbids are dropped. */
void kl_buf_puts_xml(struct kl_buf *b, const char *s);

#endif
