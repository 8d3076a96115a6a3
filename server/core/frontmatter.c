/*
 * frontmatter.c - YAML front matter reader on libyaml's event parser (see frontmatter.h).
 */
#include "core/frontmatter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/fsutil.h"

static void S_entry_release(struct kl_fm_entry *e)
{
	free(e->key);
	free(e->value);
	for (size_t i = 0; i < e->n; i++) {
		free(e->items[i]);
		if (e->values)
			free(e->values[i]);
	}
	free(e->items);
	free(e->values);
}

void kl_fm_release(struct kl_fm *fm)
{
	for (size_t i = 0; i < fm->n; i++)
		S_entry_release(&fm->entries[i]);
	free(fm->entries);
	memset(fm, 0, sizeof(*fm));
}

static void S_push(char ***arr, size_t n, char *s)
{
	char **p = realloc(*arr, (n + 1) * sizeof(*p));

	if (!p)
		abort();
	p[n] = s;
	*arr = p;
}

/* Next event; on a parser error fills err. line_base shifts libyaml's 0-based lines. */
static int S_next(yaml_parser_t *p, yaml_event_t *ev, int line_base, struct kl_err *err)
{
	if (!yaml_parser_parse(p, ev))
		return kl_err_set(err, "line %d: YAML error: %s",
				  (int)p->problem_mark.line + line_base,
				  p->problem ? p->problem : "unknown");
	return 0;
}

static int S_line(const yaml_event_t *ev, int line_base)
{
	return (int)ev->start_mark.line + line_base;
}

static int S_parse_value(yaml_parser_t *p, struct kl_fm_entry *e, int line_base,
			 struct kl_err *err)
{
	yaml_event_t ev;
	int rc = -1;

	if (S_next(p, &ev, line_base, err) < 0)
		return -1;
	switch (ev.type) {
	case YAML_SCALAR_EVENT:
		e->type = KL_FM_SCALAR;
		e->value = kl_strdup((const char *)ev.data.scalar.value);
		rc = 0;
		break;
	case YAML_SEQUENCE_START_EVENT:
		e->type = KL_FM_LIST;
		for (;;) {
			yaml_event_t item;

			if (S_next(p, &item, line_base, err) < 0)
				goto out;
			if (item.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&item);
				break;
			}
			if (item.type != YAML_SCALAR_EVENT) {
				kl_err_set(err, "line %d: the list `%s` may only hold plain values",
					   S_line(&item, line_base), e->key);
				yaml_event_delete(&item);
				goto out;
			}
			S_push(&e->items, e->n, kl_strdup((const char *)item.data.scalar.value));
			e->n++;
			yaml_event_delete(&item);
		}
		rc = 0;
		break;
	case YAML_MAPPING_START_EVENT:
		e->type = KL_FM_MAP;
		for (;;) {
			yaml_event_t k, v;

			if (S_next(p, &k, line_base, err) < 0)
				goto out;
			if (k.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&k);
				break;
			}
			if (k.type != YAML_SCALAR_EVENT) {
				kl_err_set(err, "line %d: `%s` must map plain names to plain values",
					   S_line(&k, line_base), e->key);
				yaml_event_delete(&k);
				goto out;
			}
			if (S_next(p, &v, line_base, err) < 0) {
				yaml_event_delete(&k);
				goto out;
			}
			if (v.type != YAML_SCALAR_EVENT) {
				kl_err_set(err, "line %d: `%s.%s` must be a plain value",
					   S_line(&v, line_base), e->key, k.data.scalar.value);
				yaml_event_delete(&k);
				yaml_event_delete(&v);
				goto out;
			}
			S_push(&e->items, e->n, kl_strdup((const char *)k.data.scalar.value));
			S_push(&e->values, e->n, kl_strdup((const char *)v.data.scalar.value));
			e->n++;
			yaml_event_delete(&k);
			yaml_event_delete(&v);
		}
		rc = 0;
		break;
	default:
		kl_err_set(err, "line %d: `%s` has a value of an unexpected kind",
			   S_line(&ev, line_base), e->key);
		break;
	}
out:
	yaml_event_delete(&ev);
	return rc;
}

static int S_parse_doc(const char *text, size_t len, int line_base, struct kl_fm *fm,
		       struct kl_err *err)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = -1;
	int depth_ok = 0;

	if (!yaml_parser_initialize(&p))
		return kl_err_set(err, "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	for (;;) {
		if (S_next(&p, &ev, line_base, err) < 0)
			goto out;
		yaml_event_type_t t = ev.type;

		if (t == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_START_EVENT ||
		    t == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (t == YAML_MAPPING_START_EVENT && !depth_ok) {
			depth_ok = 1;
			yaml_event_delete(&ev);
			continue;
		}
		if (t == YAML_MAPPING_END_EVENT && depth_ok) {
			depth_ok = 0;
			yaml_event_delete(&ev);
			continue;
		}
		if (t != YAML_SCALAR_EVENT || !depth_ok) {
			kl_err_set(err, "line %d: expected `key: value` lines",
				   S_line(&ev, line_base));
			yaml_event_delete(&ev);
			goto out;
		}
		const char *key = (const char *)ev.data.scalar.value;
		if (kl_fm_find(fm, key)) {
			kl_err_set(err, "line %d: `%s` is given twice", S_line(&ev, line_base), key);
			yaml_event_delete(&ev);
			goto out;
		}
		struct kl_fm_entry *ents = realloc(fm->entries, (fm->n + 1) * sizeof(*ents));
		if (!ents)
			abort();
		fm->entries = ents;
		struct kl_fm_entry *e = &fm->entries[fm->n++];
		memset(e, 0, sizeof(*e));
		e->key = kl_strdup(key);
		e->line = S_line(&ev, line_base);
		yaml_event_delete(&ev);
		if (S_parse_value(&p, e, line_base, err) < 0)
			goto out;
	}
	rc = 0;
out:
	yaml_parser_delete(&p);
	if (rc < 0)
		kl_fm_release(fm);
	return rc;
}

int kl_fm_parse_yaml(const char *text, size_t len, struct kl_fm *fm, struct kl_err *err)
{
	memset(fm, 0, sizeof(*fm));
	if (S_parse_doc(text, len, 1, fm, err) < 0)
		return -1;
	fm->body_offset = len;
	fm->body_line = 1;
	for (size_t i = 0; i < len; i++)
		fm->body_line += text[i] == '\n';
	return 0;
}

/* Length of the line at s (up to and excluding '\n') within the n bytes left. */
static size_t S_linelen(const char *s, size_t n)
{
	const char *nl = memchr(s, '\n', n);

	return nl ? (size_t)(nl - s) : n;
}

static int S_is_fence(const char *s, size_t n)
{
	if (n && s[n - 1] == '\r')
		n--;
	while (n > 3 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n == 3 && memcmp(s, "---", 3) == 0;
}

int kl_fm_parse(const char *text, size_t len, struct kl_fm *fm, struct kl_err *err)
{
	memset(fm, 0, sizeof(*fm));
	size_t l0 = S_linelen(text, len);

	if (!S_is_fence(text, l0))
		return kl_err_set(err, "line 1: front matter missing: the file must start with a "
				       "`---` line, then `key: value` lines, then `---`");
	size_t start = l0 < len ? l0 + 1 : len;
	size_t pos = start;
	int line = 2;
	while (pos < len) {
		size_t l = S_linelen(text + pos, len - pos);

		if (S_is_fence(text + pos, l)) {
			if (S_parse_doc(text + start, pos - start, 2, fm, err) < 0)
				return -1;
			fm->body_offset = pos + l < len ? pos + l + 1 : len;
			fm->body_line = line + 1;
			return 0;
		}
		pos += l + 1;
		line++;
	}
	return kl_err_set(err, "line 1: front matter not closed: add a `---` line after it");
}

const struct kl_fm_entry *kl_fm_find(const struct kl_fm *fm, const char *key)
{
	for (size_t i = 0; i < fm->n; i++)
		if (strcmp(fm->entries[i].key, key) == 0)
			return &fm->entries[i];
	return NULL;
}

const char *kl_fm_str(const struct kl_fm *fm, const char *key)
{
	const struct kl_fm_entry *e = kl_fm_find(fm, key);

	return e && e->type == KL_FM_SCALAR ? e->value : NULL;
}

int kl_fm_int(const struct kl_fm *fm, const char *key, long min, long max, long def, long *out,
	      struct kl_err *err)
{
	const struct kl_fm_entry *e = kl_fm_find(fm, key);

	if (!e) {
		*out = def;
		return 0;
	}
	if (e->type != KL_FM_SCALAR)
		return kl_err_set(err, "line %d: `%s` must be a whole number", e->line, key);
	char *end;
	errno = 0;
	long v = strtol(e->value, &end, 10);
	if (errno || end == e->value || *end || v < min || v > max)
		return kl_err_set(err, "line %d: `%s: %s` must be a whole number from %ld to %ld",
				  e->line, key, e->value, min, max);
	*out = v;
	return 0;
}
