/*
 * frontmatter.h - YAML front matter (`---` ... `---` at the top of a Markdown
 * file) and flat YAML documents (kernel profiles), read with libyaml.
 *
 * The accepted shape is a mapping whose values are a scalar, a list of scalars,
 * or a mapping of scalar to scalar (lab points). Anything deeper is an error
 * naming the line, so a typo never passes silently.
 */
#ifndef KLAB_FRONTMATTER_H
#define KLAB_FRONTMATTER_H

#include <stddef.h>

#include "core/err.h"

enum kl_fm_type {
	KL_FM_SCALAR, /* value */
	KL_FM_LIST,   /* items[0..n) */
	KL_FM_MAP,    /* items[i] -> values[i], i in [0..n) */
};

struct kl_fm_entry {
	char *key;
	enum kl_fm_type type;
	char *value;   /* KL_FM_SCALAR: the text */
	char **items;  /* KL_FM_LIST: the items; KL_FM_MAP: the keys */
	char **values; /* KL_FM_MAP: the values */
	size_t n;      /* number of items */
	int line;      /* 1-based line of the key in the file */
};

struct kl_fm {
	struct kl_fm_entry *entries;
	size_t n;
	size_t body_offset; /* where the Markdown body starts in the text */
	int body_line;      /* its 1-based line */
};

/*
 * Parses the front matter at the top of text. A text that does not start with a
 * `---` line is an error. On success fm owns its memory: kl_fm_release() frees it.
 */
int kl_fm_parse(const char *text, size_t len, struct kl_fm *fm, struct kl_err *err);
/* Parses a whole document as one flat mapping (body_offset = len). */
int kl_fm_parse_yaml(const char *text, size_t len, struct kl_fm *fm, struct kl_err *err);
void kl_fm_release(struct kl_fm *fm);

const struct kl_fm_entry *kl_fm_find(const struct kl_fm *fm, const char *key);
/* The scalar for key, or NULL when missing or not a scalar. */
const char *kl_fm_str(const struct kl_fm *fm, const char *key);
/*
 * The integer for key in [min, max]; def when missing. A value that is not a
 * whole number in range is an error.
 */
int kl_fm_int(const struct kl_fm *fm, const char *key, long min, long max, long def, long *out,
	      struct kl_err *err);

#endif
