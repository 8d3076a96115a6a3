/*
 * track.c - reads tracks (see track.h) with libyaml, strictly: a file of any
 * other shape is an error that names its line.
 */
#include "core/track.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/buf.h"
#include "core/catalog.h"
#include "core/content.h"
#include "core/fsutil.h"

#define S_MAX_STEPS 1000

struct S_parser {
	yaml_parser_t p;
	const char *path;
	struct kl_err *err;
};

/* The next event; anything but plain data (aliases, anchors' uses) is an error. */
static int S_next(struct S_parser *ps, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&ps->p, ev))
		return kl_err_set(ps->err, "%s:%zu: not YAML: %s", ps->path,
				  ps->p.problem_mark.line + 1,
				  ps->p.problem ? ps->p.problem : "syntax error");
	if (ev->type == YAML_ALIAS_EVENT) {
		int line = (int)ev->start_mark.line + 1;
		yaml_event_delete(ev);
		return kl_err_set(ps->err, "%s:%d: aliases are not allowed in a track", ps->path,
				  line);
	}
	return 0;
}

/* Expects an event of type want; what names it in the error. */
static int S_expect(struct S_parser *ps, yaml_event_type_t want, const char *what)
{
	yaml_event_t ev;

	if (S_next(ps, &ev) < 0)
		return -1;
	int ok = ev.type == want, line = (int)ev.start_mark.line + 1;
	yaml_event_delete(&ev);
	if (!ok)
		return kl_err_set(ps->err, "%s:%d: expected %s", ps->path, line, what);
	return 0;
}

/* A scalar value; *out receives a copy. */
static int S_scalar(struct S_parser *ps, const char *key, char **out)
{
	yaml_event_t ev;

	if (S_next(ps, &ev) < 0)
		return -1;
	int line = (int)ev.start_mark.line + 1;
	if (ev.type != YAML_SCALAR_EVENT) {
		yaml_event_delete(&ev);
		return kl_err_set(ps->err, "%s:%d: `%s` takes text, not a list or mapping",
				  ps->path, line, key);
	}
	free(*out);
	*out = kl_strndup((const char *)ev.data.scalar.value, ev.data.scalar.length);
	yaml_event_delete(&ev);
	return 0;
}

/* One step: a mapping of one key, note or lab, to an id. */
static int S_step(struct S_parser *ps, int line, struct kl_track *t)
{
	yaml_event_t k;
	char *id = NULL;

	if (S_next(ps, &k) < 0)
		return -1;
	int is_note = k.type == YAML_SCALAR_EVENT && strcmp((char *)k.data.scalar.value, "note") == 0;
	int is_lab = k.type == YAML_SCALAR_EVENT && strcmp((char *)k.data.scalar.value, "lab") == 0;
	yaml_event_delete(&k);
	if (!is_note && !is_lab)
		return kl_err_set(ps->err, "%s:%d: a step is `- note: TOPIC` or `- lab: ID`",
				  ps->path, line);
	if (S_scalar(ps, is_note ? "note" : "lab", &id) < 0)
		return -1;
	if (!kl_valid_id(id)) {
		kl_err_set(ps->err, "%s:%d: `%s` is not a %s id (a-z, 0-9, '-', '_')", ps->path,
			   line, id, is_note ? "note" : "lab");
		free(id);
		return -1;
	}
	if (S_expect(ps, YAML_MAPPING_END_EVENT, "one key per step (`- note: X` or `- lab: X`)") < 0) {
		free(id);
		return -1;
	}
	if (t->nsteps >= S_MAX_STEPS) {
		free(id);
		return kl_err_set(ps->err, "%s:%d: more than %d steps", ps->path, line, S_MAX_STEPS);
	}
	struct kl_track_step *v = realloc(t->steps, (t->nsteps + 1) * sizeof(*v));
	if (!v)
		abort();
	t->steps = v;
	v[t->nsteps++] = (struct kl_track_step){ is_note ? KL_STEP_NOTE : KL_STEP_LAB, id, line, 0 };
	return 0;
}

static int S_steps(struct S_parser *ps, struct kl_track *t)
{
	if (S_expect(ps, YAML_SEQUENCE_START_EVENT, "`steps:` followed by a list") < 0)
		return -1;
	for (;;) {
		yaml_event_t ev;
		if (S_next(ps, &ev) < 0)
			return -1;
		yaml_event_type_t type = ev.type;
		int line = (int)ev.start_mark.line + 1;
		yaml_event_delete(&ev);
		if (type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (type != YAML_MAPPING_START_EVENT)
			return kl_err_set(ps->err, "%s:%d: a step is `- note: TOPIC` or `- lab: ID`",
					  ps->path, line);
		if (S_step(ps, line, t) < 0)
			return -1;
	}
}

static int S_document(struct S_parser *ps, struct kl_track *t)
{
	if (S_expect(ps, YAML_STREAM_START_EVENT, "a YAML stream") < 0 ||
	    S_expect(ps, YAML_DOCUMENT_START_EVENT, "a YAML document") < 0 ||
	    S_expect(ps, YAML_MAPPING_START_EVENT, "a mapping (title:, steps:)") < 0)
		return -1;
	for (;;) {
		yaml_event_t k;
		if (S_next(ps, &k) < 0)
			return -1;
		if (k.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&k);
			break;
		}
		int line = (int)k.start_mark.line + 1, rc;
		char *key = k.type == YAML_SCALAR_EVENT ? kl_strdup((char *)k.data.scalar.value) : NULL;
		yaml_event_delete(&k);
		if (key && strcmp(key, "title") == 0)
			rc = S_scalar(ps, key, &t->title);
		else if (key && strcmp(key, "description") == 0)
			rc = S_scalar(ps, key, &t->description);
		else if (key && strcmp(key, "steps") == 0)
			rc = S_steps(ps, t);
		else
			rc = kl_err_set(ps->err, "%s:%d: unknown key%s%s%s: a track has title, "
					"description and steps", ps->path, line, key ? " `" : "",
					key ? key : "", key ? "`" : "");
		free(key);
		if (rc < 0)
			return -1;
	}
	if (!t->title)
		return kl_err_set(ps->err, "%s: no `title:`", ps->path);
	if (!t->nsteps)
		return kl_err_set(ps->err, "%s: no `steps:` (a list of `- note: X` and `- lab: X`)",
				  ps->path);
	return 0;
}

int kl_track_parse(const char *text, size_t len, const char *path, struct kl_track *t,
		   struct kl_err *err)
{
	struct S_parser ps = { .path = path, .err = err };

	memset(t, 0, sizeof(*t));
	t->path = kl_strdup(path);
	if (!yaml_parser_initialize(&ps.p))
		abort();
	yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, len);
	int rc = S_document(&ps, t);
	yaml_parser_delete(&ps.p);
	if (rc < 0)
		kl_track_release(t);
	return rc;
}

int kl_track_load(const char *content, const char *name, struct kl_track *t, struct kl_err *err)
{
	struct kl_buf text = KL_BUF_INIT;
	char *path;
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if (!kl_valid_id(name))
		return kl_err_set(err, "`%s` is not a track name: `klab next --list` shows them",
				  name);
	path = kl_content_find(content, "tracks/%s.yaml", name);
	if (!path)
		return kl_err_set(err, "no track `%s` (no tracks/%s.yaml in %s): `klab next "
				       "--list` shows them", name, name, content);
	if (kl_read_file(path, &text, 1 << 20, err) == 0 &&
	    kl_track_parse(kl_buf_str(&text), text.len, path, t, err) == 0) {
		t->name = kl_strdup(name);
		rc = 0;
	}
	kl_buf_release(&text);
	free(path);
	return rc;
}

void kl_track_release(struct kl_track *t)
{
	for (size_t i = 0; i < t->nsteps; i++)
		free(t->steps[i].id);
	free(t->steps);
	free(t->name);
	free(t->title);
	free(t->description);
	free(t->path);
	memset(t, 0, sizeof(*t));
}

int kl_track_names(const char *content, char ***names, size_t *n, struct kl_err *err)
{
	char **dirs;
	size_t nd = kl_content_dirs(content, &dirs);

	(void)err;
	*names = NULL;
	*n = 0;
	for (size_t i = 0; i < nd; i++) {
		char *tdir = kl_path_join(dirs[i], "tracks");
		DIR *d = opendir(tdir);
		struct dirent *de;
		size_t had = *n;
		while (d && (de = readdir(d))) {
			size_t len = strlen(de->d_name);
			if (len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0)
				continue;
			char *name = kl_strndup(de->d_name, len - 5);
			int dup = !kl_valid_id(name);
			for (size_t j = 0; j < had && !dup; j++)
				dup = strcmp((*names)[j], name) == 0;
			if (dup) {
				free(name);
				continue;
			}
			char **v = realloc(*names, (*n + 1) * sizeof(*v));
			if (!v)
				abort();
			*names = v;
			v[(*n)++] = name;
		}
		if (d)
			closedir(d);
		free(tdir);
		if (*n > had)
			kl_strv_sort(*names + had, *n - had);
	}
	kl_strv_free(dirs, nd);
	return 0;
}

int kl_track_progress(struct kl_progress *p, struct kl_track *t, size_t *ndone,
		      struct kl_err *err)
{
	*ndone = 0;
	for (size_t i = 0; i < t->nsteps; i++) {
		struct kl_track_step *s = &t->steps[i];
		s->done = 0;
		if (!p)
			continue;
		if (s->kind == KL_STEP_LAB) {
			struct kl_lab_status st;
			if (kl_progress_lab_status(p, s->id, &st, err) < 0)
				return -1;
			s->done = st.passed;
		} else {
			long long at = 0;
			if (kl_progress_note_read(p, s->id, &at, err) < 0)
				return -1;
			s->done = at > 0;
		}
		*ndone += (size_t)s->done;
	}
	return 0;
}

const struct kl_track_step *kl_track_next(const struct kl_track *t)
{
	for (size_t i = 0; i < t->nsteps; i++)
		if (!t->steps[i].done)
			return &t->steps[i];
	return NULL;
}
