/*
 * term.h - text for a terminal: guest output made harmless (no escape
 * sequences reach the learner's terminal), and Markdown (hints) rendered as
 * plain styled text instead of raw `##` and backticks.
 */
#ifndef KLAB_TERM_H
#define KLAB_TERM_H

#include <stddef.h>
#include <stdio.h>

#include "core/buf.h"

/*
 * Appends s[0..n) with every control character but tab and newline shown in
 * caret notation (ESC becomes "^["), and C1 controls (U+0080..U+009F) as '?'.
 */
void kl_term_add_clean(struct kl_buf *b, const char *s, size_t n);
/* The same, allocated; NULL gives NULL. The caller frees. */
char *kl_term_clean(const char *s);
/* Writes s[0..n) cleaned to out. */
void kl_term_write(FILE *out, const char *s, size_t n);

/*
 * Renders Markdown for a terminal (cmark-gfm's tree): headings in bold,
 * code spans and blocks in cyan (indented), emphasis, lists with bullets,
 * links as "text <url>", paragraphs wrapped at width columns. color 0 gives
 * the same layout without escape sequences.
 */
void kl_term_markdown(struct kl_buf *out, const char *md, size_t len, int width, int color);

#endif
