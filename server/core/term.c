/*
 * term.c - guest text made safe for a terminal, and Markdown rendered for one
 * (see term.h).
 */
#include "core/term.h"

#include "core/fsutil.h"

#include <cmark-gfm.h>
#include <stdlib.h>
#include <string.h>

#define S_BOLD "\033[1m"
#define S_ITALIC "\033[3m"
#define S_CYAN "\033[36m"
#define S_DIM "\033[2m"
#define S_RESET "\033[0m"
#define S_NBSP '\001' /* a space that S_wrap never breaks at (code spans) */

void kl_term_add_clean(struct kl_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f) {
			kl_buf_putc(b, '?'); /* a C1 control (CSI is U+009B) */
			i++;
		} else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
			kl_buf_putc(b, '^');
			kl_buf_putc(b, c == 0x7f ? '?' : (char)(c + '@'));
		} else {
			kl_buf_putc(b, (char)c);
		}
	}
}

char *kl_term_clean(const char *s)
{
	struct kl_buf b = KL_BUF_INIT;

	if (!s)
		return NULL;
	kl_term_add_clean(&b, s, strlen(s));
	return kl_buf_detach(&b);
}

void kl_term_write(FILE *out, const char *s, size_t n)
{
	struct kl_buf b = KL_BUF_INIT;

	kl_term_add_clean(&b, s, n);
	fwrite(kl_buf_str(&b), 1, b.len, out);
	kl_buf_release(&b);
}

/* Rendering state: the output, and whether styles are wanted. */
struct S_md {
	struct kl_buf *out;
	int width, color;
};

static void S_style(struct S_md *m, struct kl_buf *b, const char *code)
{
	if (m->color)
		kl_buf_puts(b, code);
}

/* The inline content of node, styled, into b (not wrapped). */
static void S_inlines(struct S_md *m, cmark_node *node, struct kl_buf *b)
{
	for (cmark_node *c = cmark_node_first_child(node); c; c = cmark_node_next(c)) {
		const char *lit = cmark_node_get_literal(c);
		switch (cmark_node_get_type(c)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_HTML_INLINE:
			kl_term_add_clean(b, lit, strlen(lit));
			break;
		case CMARK_NODE_SOFTBREAK:
			kl_buf_putc(b, ' ');
			break;
		case CMARK_NODE_LINEBREAK:
			kl_buf_putc(b, '\n');
			break;
		case CMARK_NODE_CODE: {
			size_t at;
			S_style(m, b, S_CYAN);
			if (!m->color)
				kl_buf_putc(b, '`');
			at = b->len;
			kl_term_add_clean(b, lit, strlen(lit));
			for (size_t i = at; i < b->len; i++)
				if (b->ptr[i] == ' ')
					b->ptr[i] = S_NBSP; /* a code span is never wrapped */
			if (!m->color)
				kl_buf_putc(b, '`');
			S_style(m, b, S_RESET);
			break;
		}
		case CMARK_NODE_EMPH:
			S_style(m, b, S_ITALIC);
			S_inlines(m, c, b);
			S_style(m, b, S_RESET);
			break;
		case CMARK_NODE_STRONG:
			S_style(m, b, S_BOLD);
			S_inlines(m, c, b);
			S_style(m, b, S_RESET);
			break;
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE: {
			struct kl_buf text = KL_BUF_INIT;
			const char *url = cmark_node_get_url(c);
			S_inlines(m, c, &text);
			kl_buf_add(b, kl_buf_str(&text), text.len);
			if (url && *url && strcmp(url, kl_buf_str(&text)) != 0) {
				kl_buf_puts(b, " <");
				kl_term_add_clean(b, url, strlen(url));
				kl_buf_putc(b, '>');
			}
			kl_buf_release(&text);
			break;
		}
		default:
			S_inlines(m, c, b);
			break;
		}
	}
}

/* Columns text takes on screen: escape sequences and UTF-8 continuations take none. */
static int S_cols(const char *s, size_t n)
{
	int cols = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\033') {
			while (i < n && s[i] != 'm')
				i++;
			continue;
		}
		cols += ((unsigned char)s[i] & 0xc0) != 0x80;
	}
	return cols;
}

/* Appends text wrapped at m->width: first line after first, the rest after indent. */
static void S_wrap(struct S_md *m, const char *text, const char *first, const char *indent)
{
	int col = 0, line_start = 1;
	const char *p = text;

	kl_buf_puts(m->out, first);
	col = S_cols(first, strlen(first));
	while (*p) {
		if (*p == '\n') {
			kl_buf_putc(m->out, '\n');
			kl_buf_puts(m->out, indent);
			col = S_cols(indent, strlen(indent));
			line_start = 1;
			p++;
			continue;
		}
		if (*p == ' ') {
			p++;
			continue;
		}
		size_t wl = strcspn(p, " \n");
		int w = S_cols(p, wl);
		if (!line_start && col + 1 + w > m->width) {
			kl_buf_putc(m->out, '\n');
			kl_buf_puts(m->out, indent);
			col = S_cols(indent, strlen(indent));
			line_start = 1;
		}
		if (!line_start) {
			kl_buf_putc(m->out, ' ');
			col++;
		}
		for (size_t i = 0; i < wl; i++)
			kl_buf_putc(m->out, p[i] == S_NBSP ? ' ' : p[i]);
		col += w;
		line_start = 0;
		p += wl;
	}
	kl_buf_putc(m->out, '\n');
}

static void S_blocks(struct S_md *m, cmark_node *node, const char *first, const char *indent,
		     int gap);

static void S_block(struct S_md *m, cmark_node *c, const char *first, const char *indent)
{
	struct kl_buf text = KL_BUF_INIT;

	switch (cmark_node_get_type(c)) {
	case CMARK_NODE_HEADING: {
		S_style(m, &text, S_BOLD);
		S_inlines(m, c, &text);
		S_style(m, &text, S_RESET);
		S_wrap(m, kl_buf_str(&text), first, indent);
		if (!m->color) {
			int w = S_cols(kl_buf_str(&text), text.len);
			kl_buf_puts(m->out, indent);
			for (int i = 0; i < w; i++)
				kl_buf_putc(m->out, cmark_node_get_heading_level(c) <= 1 ? '=' : '-');
			kl_buf_putc(m->out, '\n');
		}
		break;
	}
	case CMARK_NODE_PARAGRAPH:
		S_inlines(m, c, &text);
		S_wrap(m, kl_buf_str(&text), first, indent);
		break;
	case CMARK_NODE_CODE_BLOCK: {
		const char *lit = cmark_node_get_literal(c);
		for (const char *p = lit; *p;) {
			size_t n = strcspn(p, "\n");
			kl_buf_puts(m->out, p == lit ? first : indent);
			kl_buf_puts(m->out, "    ");
			S_style(m, m->out, S_CYAN);
			kl_term_add_clean(m->out, p, n);
			S_style(m, m->out, S_RESET);
			kl_buf_putc(m->out, '\n');
			p += n + (p[n] == '\n');
		}
		break;
	}
	case CMARK_NODE_LIST: {
		int n = cmark_node_get_list_start(c);
		int ordered = cmark_node_get_list_type(c) == CMARK_ORDERED_LIST;
		int i = 0;
		for (cmark_node *it = cmark_node_first_child(c); it; it = cmark_node_next(it)) {
			char *bullet = ordered ? kl_sprintf("%s%d. ", i ? indent : first, n + i)
					       : kl_sprintf("%s- ", i ? indent : first);
			char *sub = kl_sprintf("%s%*s", indent, ordered ? 4 : 2, "");
			S_blocks(m, it, bullet, sub, 0);
			free(bullet);
			free(sub);
			i++;
		}
		break;
	}
	case CMARK_NODE_BLOCK_QUOTE: {
		char *q = kl_sprintf("%s| ", indent);
		S_blocks(m, c, q, q, 1);
		free(q);
		break;
	}
	case CMARK_NODE_THEMATIC_BREAK:
		kl_buf_puts(m->out, first);
		kl_buf_puts(m->out, "----\n");
		break;
	case CMARK_NODE_HTML_BLOCK:
		break; /* raw HTML is for the site */
	default:
		/* tables and other extensions: their text, one row a line */
		for (cmark_node *row = cmark_node_first_child(c); row; row = cmark_node_next(row)) {
			kl_buf_reset(&text);
			for (cmark_node *cell = cmark_node_first_child(row); cell;
			     cell = cmark_node_next(cell)) {
				if (cell != cmark_node_first_child(row))
					kl_buf_puts(&text, "  |  ");
				S_inlines(m, cell, &text);
			}
			S_wrap(m, kl_buf_str(&text), row == cmark_node_first_child(c) ? first : indent,
			       indent);
		}
		break;
	}
	kl_buf_release(&text);
}

/* The blocks under node: the first after first, the others after indent. */
static void S_blocks(struct S_md *m, cmark_node *node, const char *first, const char *indent,
		     int gap)
{
	for (cmark_node *c = cmark_node_first_child(node); c; c = cmark_node_next(c)) {
		if (gap && c != cmark_node_first_child(node))
			kl_buf_putc(m->out, '\n');
		S_block(m, c, c == cmark_node_first_child(node) ? first : indent, indent);
	}
}

void kl_term_markdown(struct kl_buf *out, const char *md, size_t len, int width, int color)
{
	struct S_md m = { out, width < 20 ? 20 : width, color };
	cmark_node *doc = cmark_parse_document(md, len, CMARK_OPT_DEFAULT);

	if (!doc)
		abort();
	S_blocks(&m, doc, "", "", 1);
	cmark_node_free(doc);
}
