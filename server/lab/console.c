/*
 * console.c - kernel records inside the guest programs' console lines (see console.h).
 */
#include "lab/console.h"

#include <ctype.h>
#include <string.h>

/* Length of the printk timestamp "[   12.345678] " at s, or 0. */
static size_t S_stamp(const char *s, size_t n)
{
	size_t i = 1, digits = 0, frac = 0;

	if (n < 4 || s[0] != '[')
		return 0;
	while (i < n && s[i] == ' ')
		i++;
	for (; i < n && isdigit((unsigned char)s[i]); i++)
		digits++;
	if (!digits || i >= n || s[i] != '.')
		return 0;
	for (i++; i < n && isdigit((unsigned char)s[i]); i++)
		frac++;
	if (!frac || i >= n || s[i] != ']')
		return 0;
	return i + 1;
}

bool lab_console_is_kernel(const char *line, size_t len)
{
	return S_stamp(line, len) > 0;
}

size_t lab_console_kernel_at(const char *line, size_t len)
{
	for (size_t i = 1; i < len; i++) {
		const char *b = memchr(line + i, '[', len - i);
		if (!b)
			return 0;
		i = (size_t)(b - line);
		if (S_stamp(b, len - i))
			return i;
	}
	return 0;
}

/* A held fragment never grows past this: a program that never ends its line. */
#define S_HELD_MAX 4096

void lab_console_init(struct lab_console *c)
{
	kl_buf_init(&c->held);
	kl_buf_init(&c->joined);
}

void lab_console_release(struct lab_console *c)
{
	kl_buf_release(&c->held);
	kl_buf_release(&c->joined);
}

void lab_console_feed(struct lab_console *c, const char *line, size_t len, lab_console_fn fn,
		      void *ctx)
{
	size_t k = lab_console_kernel_at(line, len);

	if (k && c->held.len < S_HELD_MAX) {
		kl_buf_add(&c->held, line, k);
		fn(ctx, line + k, len - k);
		return;
	}
	if (!c->held.len || lab_console_is_kernel(line, len)) {
		fn(ctx, line, len);
		return;
	}
	kl_buf_reset(&c->joined);
	kl_buf_add(&c->joined, c->held.ptr, c->held.len);
	kl_buf_add(&c->joined, line, len);
	kl_buf_reset(&c->held);
	fn(ctx, c->joined.ptr, c->joined.len);
}
