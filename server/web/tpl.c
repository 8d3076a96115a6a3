/*
 * tpl.c - templates with {{placeholders}} and {{define}} fragments (see tpl.h).
 */
#include "web/tpl.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"

struct S_tpl {
	char *name; /* "page", "home:topic" */
	char *text;
};

struct web_tpls {
	struct S_tpl *v;
	size_t n;
};

static void S_add(struct web_tpls *t, char *name, const char *text, size_t len)
{
	struct S_tpl *v = realloc(t->v, (t->n + 1) * sizeof(*v));

	if (!v)
		abort();
	t->v = v;
	v[t->n].name = name;
	v[t->n].text = strndup(text, len);
	if (!v[t->n].text)
		abort();
	t->n++;
}

/* Splits one file into its main template and its fragments. */
static int S_parse(struct web_tpls *t, const char *base, const char *text, const char *path,
		   struct kl_err *err)
{
	struct kl_buf main = KL_BUF_INIT;
	const char *p = text;

	for (;;) {
		const char *d = strstr(p, "{{define ");
		if (!d) {
			kl_buf_puts(&main, p);
			break;
		}
		kl_buf_add(&main, p, (size_t)(d - p));
		const char *name = d + 9;
		const char *close = strstr(name, "}}");
		const char *end = close ? strstr(close, "{{end}}") : NULL;
		if (!close || !end) {
			kl_buf_release(&main);
			return kl_err_set(err, "%s: a {{define NAME}} without its {{end}}", path);
		}
		S_add(t, kl_sprintf("%s:%.*s", base, (int)(close - name), name), close + 2,
		      (size_t)(end - close - 2));
		p = end + 7;
		if (*p == '\n')
			p++;
	}
	S_add(t, kl_strdup(base), kl_buf_str(&main), main.len);
	kl_buf_release(&main);
	return 0;
}

int web_tpls_load(const char *dir, struct web_tpls **out, struct kl_err *err)
{
	struct web_tpls *t = calloc(1, sizeof(*t));
	struct kl_buf text = KL_BUF_INIT;
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	*out = NULL;
	if (!t)
		abort();
	if (!d) {
		free(t);
		return kl_err_errno(err, "cannot read the page templates in %s (set KLAB_ROOT to "
					 "the klab source tree)", dir);
	}
	while (rc == 0 && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 6 || de->d_name[0] == '.' || strcmp(de->d_name + len - 5, ".html") != 0)
			continue;
		char *path = kl_path_join(dir, de->d_name);
		char *base = strndup(de->d_name, len - 5);
		if (!base)
			abort();
		kl_buf_reset(&text);
		rc = kl_read_file(path, &text, 1 << 20, err);
		if (rc == 0)
			rc = S_parse(t, base, kl_buf_str(&text), path, err);
		free(base);
		free(path);
	}
	closedir(d);
	kl_buf_release(&text);
	if (rc == 0 && !web_tpl_has(t, "page"))
		rc = kl_err_set(err, "no page.html among the templates in %s", dir);
	if (rc < 0) {
		web_tpls_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

void web_tpls_free(struct web_tpls *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].text);
	}
	free(t->v);
	free(t);
}

static const struct S_tpl *S_find(const struct web_tpls *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].name, name) == 0)
			return &t->v[i];
	return NULL;
}

int web_tpl_has(const struct web_tpls *t, const char *name)
{
	return S_find(t, name) != NULL;
}

void web_tpl_render(const struct web_tpls *t, const char *name, const struct web_var *vars,
		    size_t nvars, struct kl_buf *out)
{
	const struct S_tpl *tpl = S_find(t, name);
	const char *p;

	if (!tpl)
		return;
	p = tpl->text;
	for (;;) {
		const char *open = strstr(p, "{{");
		const char *close = open ? strstr(open + 2, "}}") : NULL;
		if (!open || !close) {
			kl_buf_puts(out, p);
			return;
		}
		kl_buf_add(out, p, (size_t)(open - p));
		const char *key = open + 2;
		size_t klen = (size_t)(close - key);
		for (size_t i = 0; i < nvars; i++) {
			if (strlen(vars[i].name) != klen || memcmp(vars[i].name, key, klen) != 0)
				continue;
			if (!vars[i].value)
				break;
			if (vars[i].html)
				kl_buf_puts(out, vars[i].value);
			else
				kl_buf_puts_html(out, vars[i].value);
			break;
		}
		p = close + 2;
	}
}
