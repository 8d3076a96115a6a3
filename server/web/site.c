/*
 * site.c - the server's picture of the source tree and its refresh (see site.h).
 */
#include "web/site.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/check.h"
#include "core/content.h"
#include "core/fsutil.h"
#include "xref/xref.h"

static void S_problem(struct web_site *s, const char *msg)
{
	char **v = realloc(s->problems, (s->nproblems + 1) * sizeof(*v));

	if (!v)
		abort();
	s->problems = v;
	v[s->nproblems++] = kl_strdup(msg);
}

static void S_catalog_free(struct web_site *s)
{
	for (size_t i = 0; i < s->nnotes; i++) {
		free(s->notes[i].id);
		kl_note_release(&s->notes[i].fm);
	}
	free(s->notes);
	for (size_t i = 0; i < s->nlabs; i++) {
		struct web_lab *l = &s->labs[i];
		free(l->id);
		free(l->title);
		free(l->topic);
		free(l->difficulty);
		kl_strv_free(l->files, l->nfiles);
	}
	free(s->labs);
	kl_strv_free(s->problems, s->nproblems);
	s->notes = NULL;
	s->labs = NULL;
	s->problems = NULL;
	s->nnotes = s->nlabs = s->nproblems = 0;
}

static int S_cmp_note(const void *a, const void *b)
{
	const struct web_note *x = a, *y = b;

	if (x->fm.order != y->fm.order)
		return x->fm.order < y->fm.order ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* The notes of one content folder but those an earlier one has; unreadable: a problem. */
static void S_notes_load(struct web_site *s, const char *layer)
{
	struct kl_err err;
	char *dir = kl_path_join(layer, "notes");
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t had = s->nnotes;

	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 4 || de->d_name[0] == '.' || strcmp(de->d_name + len - 3, ".md") != 0)
			continue;
		char *id = strndup(de->d_name, len - 3);
		char *path = kl_path_join(dir, de->d_name);
		struct kl_note note;
		int shadowed = 0; /* an earlier content folder has it */
		if (!id)
			abort();
		for (size_t i = 0; i < had && !shadowed; i++)
			shadowed = strcmp(s->notes[i].id, id) == 0;
		if (shadowed) {
			free(id);
		} else if (!kl_valid_id(id)) {
			char *msg = kl_sprintf("%s: a note's file name must be made of a-z, 0-9, "
					       "'-' and '_'", path);
			S_problem(s, msg);
			free(msg);
			free(id);
		} else if (kl_note_load(path, &note, &err) < 0) {
			S_problem(s, err.msg);
			free(id);
		} else {
			struct web_note *v = realloc(s->notes, (s->nnotes + 1) * sizeof(*v));
			if (!v)
				abort();
			s->notes = v;
			v[s->nnotes].id = id;
			v[s->nnotes].fm = note;
			s->nnotes++;
		}
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
}

/* Reads every note and lab; one that cannot be read becomes a problem, not a failure. */
static void S_catalog_load(struct web_site *s)
{
	struct kl_err err;
	char **dirs;
	size_t nd = kl_content_dirs(s->cfg->content, &dirs);

	for (size_t i = 0; i < nd; i++)
		S_notes_load(s, dirs[i]);
	kl_strv_free(dirs, nd);
	if (s->nnotes)
		qsort(s->notes, s->nnotes, sizeof(*s->notes), S_cmp_note);

	char **ids = NULL;
	size_t n = 0;
	if (kl_lab_ids(s->cfg->content, &ids, &n, &err) < 0)
		S_problem(s, err.msg);
	for (size_t i = 0; i < n; i++) {
		struct kl_lab lab;
		if (kl_lab_load(s->cfg->content, ids[i], &lab, &err) < 0) {
			S_problem(s, err.msg);
			continue;
		}
		struct web_lab *v = realloc(s->labs, (s->nlabs + 1) * sizeof(*v));
		if (!v)
			abort();
		s->labs = v;
		struct web_lab *l = &v[s->nlabs++];
		l->id = kl_strdup(lab.id);
		l->title = kl_strdup(lab.title);
		l->topic = kl_strdup(lab.topic);
		l->difficulty = kl_strdup(lab.difficulty);
		l->max_score = lab.max_score;
		l->files = lab.files;
		l->nfiles = lab.nfiles;
		lab.files = NULL;
		lab.nfiles = 0;
		kl_lab_release(&lab);
	}
	kl_strv_free(ids, n);
}

static bool S_note_exists(void *ctx, const char *topic)
{
	struct web_site *s = ctx;
	char *path = kl_content_file(s->cfg->content, "notes/%s.md", topic);
	bool ok = kl_is_file(path);

	free(path);
	return ok;
}

static bool S_lab_exists(void *ctx, const char *id)
{
	struct web_site *s = ctx;
	char *path = kl_content_file(s->cfg->content, "labs/%s/README.md", id);
	bool ok = kl_is_file(path);

	free(path);
	return ok;
}

static bool S_diagram_exists(void *ctx, const char *name)
{
	struct web_site *s = ctx;

	if (!s->diagram_dir)
		return false;
	char *path = kl_path_join(s->diagram_dir, name);
	bool ok = kl_is_file(path);
	free(path);
	return ok;
}

struct xref *web_site_xref(struct web_site *s)
{
	struct kl_err err;
	char *path = NULL;

	if (!s->xref && xref_path(s->cfg->cache, XREF_DEFAULT_SOURCE, &path, &err) == 0 &&
	    kl_is_file(path))
		xref_open(path, &s->xref, &err);
	free(path);
	return s->xref;
}

/* A code span of a note or README as a link into the kernel's source (md_resolver). */
static char *S_code_link(void *ctx, const char *code)
{
	struct xref *x = web_site_xref(ctx);
	struct check_span sp;
	int kind;

	if (!x)
		return NULL;
	check_span_classify(code, &sp);
	switch (sp.kind) {
	case CHECK_SPAN_FUNC:
	case CHECK_SPAN_TAG:
	case CHECK_SPAN_UPPER:
	case CHECK_SPAN_IDENT:
		return xref_defined(x, sp.name) ? kl_sprintf("/ident/%s", sp.name) : NULL;
	case CHECK_SPAN_PATH:
	case CHECK_SPAN_DIR:
		kind = xref_has_path(x, sp.name);
		return kind ? kl_sprintf("/source/%s%s", sp.name, kind == 2 ? "/" : "") : NULL;
	default:
		return NULL;
	}
}

static void S_watch_all(struct web_site *s)
{
	const char *subs[] = { "notes", "static", "static/templates", ".git", ".git/logs",
			       ".git/refs/heads" };

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		char *p = kl_path_join(s->cfg->root, subs[i]);
		fswatch_add(s->watch, p, 0);
		free(p);
	}
	char **dirs;
	size_t nd = kl_content_dirs(s->cfg->content, &dirs);
	for (size_t i = 0; i < nd; i++) {
		char *notes = kl_path_join(dirs[i], "notes"), *labs = kl_path_join(dirs[i], "labs");
		if (strcmp(dirs[i], s->cfg->root) != 0)
			fswatch_add(s->watch, notes, 0); /* the root's is watched above */
		fswatch_add(s->watch, labs, 1);
		free(notes);
		free(labs);
	}
	kl_strv_free(dirs, nd);
	if (s->diagram_dir)
		fswatch_add(s->watch, s->diagram_dir, 0);
}

/*
 * (Re)reads the catalog, the search index and the templates. A failure keeps
 * what was loaded before; only templates missing at start are fatal.
 */
static int S_load(struct web_site *s, struct kl_err *err)
{
	struct web_tpls *t = NULL;
	char *dir = kl_path_join(s->static_dir, "templates");
	int rc = 0, changed;

	S_catalog_free(s);
	S_catalog_load(s);
	if (search_index_sync(s->search, s->cfg->content, &changed, err) < 0)
		rc = -1;
	else if (web_tpls_load(dir, &t, err) < 0)
		rc = -1;
	else {
		web_tpls_free(s->tpls);
		s->tpls = t;
	}
	free(dir);
	return rc;
}

int web_site_open(struct web_site *s, const struct kl_config *cfg, struct kl_err *err)
{
	char real[PATH_MAX];

	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	char *st = kl_path_join(cfg->root, "static");
	if (!realpath(st, real)) {
		kl_err_errno(err, "cannot open %s (set KLAB_ROOT to the klab source tree)", st);
		free(st);
		return -1;
	}
	free(st);
	s->static_dir = kl_strdup(real);
	char *dd = kl_path_join(cfg->bindir, "diagrams");
	if (realpath(dd, real))
		s->diagram_dir = kl_strdup(real);
	free(dd);
	s->resolver.note_exists = S_note_exists;
	s->resolver.lab_exists = S_lab_exists;
	s->resolver.diagram_exists = S_diagram_exists;
	s->resolver.code_link = S_code_link;
	s->resolver.ctx = s;
	if (fswatch_open(&s->watch, err) < 0 || search_index_open(&s->search, err) < 0 ||
	    history_open(cfg->root, &s->history, err) < 0)
		goto out_close;
	S_watch_all(s);
	s->gen = fswatch_generation(s->watch);
	if (S_load(s, err) < 0)
		goto out_close;
	return 0;
out_close:
	web_site_close(s);
	return -1;
}

void web_site_close(struct web_site *s)
{
	S_catalog_free(s);
	web_tpls_free(s->tpls);
	search_index_close(s->search);
	history_close(s->history);
	xref_close(s->xref);
	fswatch_close(s->watch);
	free(s->static_dir);
	free(s->diagram_dir);
	memset(s, 0, sizeof(*s));
}

/* The newest change of the progress store (its WAL takes the writes). */
static long long S_progress_ns(const struct web_site *s)
{
	char *db = kl_path_join(s->cfg->home, "progress.db");
	char *wal = kl_path_join(s->cfg->home, "progress.db-wal");
	long long a = kl_mtime_ns(db), b = kl_mtime_ns(wal);

	free(db);
	free(wal);
	return a > b ? a : b;
}

int web_site_refresh(struct web_site *s)
{
	struct kl_err err;
	unsigned long gen = fswatch_generation(s->watch);
	long long pns = S_progress_ns(s);
	int progress = pns != s->progress_ns;

	s->progress_ns = pns;
	if (gen == s->gen)
		return progress;
	s->gen = gen;
	if (S_load(s, &err) < 0)
		fprintf(stderr, "klab: serve: %s (keeping what was loaded before)\n", err.msg);
	return 1;
}

const struct web_note *web_site_note(const struct web_site *s, const char *id)
{
	for (size_t i = 0; i < s->nnotes; i++)
		if (strcmp(s->notes[i].id, id) == 0)
			return &s->notes[i];
	return NULL;
}

const struct web_lab *web_site_lab(const struct web_site *s, const char *id)
{
	for (size_t i = 0; i < s->nlabs; i++)
		if (strcmp(s->labs[i].id, id) == 0)
			return &s->labs[i];
	return NULL;
}

void web_lab_status(struct kl_progress *p, const char *id, struct kl_lab_status *st)
{
	struct kl_err err;

	if (kl_progress_lab_status(p, id, st, &err) < 0) {
		memset(st, 0, sizeof(*st));
		st->best_score = -1;
	}
}

const char *web_status_text(const struct kl_lab_status *st)
{
	if (st->attempts == 0)
		return "not started";
	return st->passed ? "passed" : "failing";
}

const char *web_status_class(const struct kl_lab_status *st)
{
	if (st->attempts == 0)
		return "status-new";
	return st->passed ? "status-pass" : "status-fail";
}
