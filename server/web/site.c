/*
 * site.c - the server's picture of the source tree and its refresh (see site.h).
 */
#include "web/site.h"

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/check.h"
#include "core/content.h"
#include "core/fsutil.h"
#include "core/mynotes.h"
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
	for (size_t i = 0; i < s->ntopics; i++)
		free(s->topics[i].notes);
	free(s->topics);
	s->topics = NULL;
	s->ntopics = s->nrecent = 0;
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

static bool S_listed(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

/*
 * The note lab l is listed under on the home page, once: the note of its own
 * topic, else the first note that lists it; -1 when none does.
 */
static long S_lab_home(const struct web_site *s, const struct web_lab *l)
{
	for (size_t i = 0; i < s->nnotes; i++)
		if (strcmp(s->notes[i].id, l->topic) == 0 || strcmp(s->notes[i].fm.topic, l->topic) == 0)
			return (long)i;
	for (size_t i = 0; i < s->nnotes; i++)
		if (S_listed(s->notes[i].fm.labs, s->notes[i].fm.nlabs, l->id))
			return (long)i;
	return -1;
}

/* qsort_r over note indexes: by topic, then study order (the index itself). */
static int S_cmp_topic(const void *a, const void *b, void *site)
{
	const struct web_site *s = site;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(s->notes[x].fm.topic, s->notes[y].fm.topic);

	return c ? c : (x > y) - (x < y);
}

static int S_cmp_first(const void *a, const void *b)
{
	const struct web_topic *x = a, *y = b;

	return (x->notes[0] > y->notes[0]) - (x->notes[0] < y->notes[0]);
}

/* Derived once per load: each lab's home note, the topics, the recent changes. */
static void S_index(struct web_site *s)
{
	size_t *by = malloc((s->nnotes ? s->nnotes : 1) * sizeof(*by));

	if (!by)
		abort();
	for (size_t i = 0; i < s->nlabs; i++)
		s->labs[i].home = S_lab_home(s, &s->labs[i]);
	for (size_t i = 0; i < s->nnotes; i++)
		by[i] = i;
	qsort_r(by, s->nnotes, sizeof(*by), S_cmp_topic, s);
	for (size_t i = 0; i < s->nnotes;) {
		size_t j = i;
		while (j < s->nnotes && strcmp(s->notes[by[j]].fm.topic, s->notes[by[i]].fm.topic) == 0)
			j++;
		struct web_topic *v = realloc(s->topics, (s->ntopics + 1) * sizeof(*v));
		if (!v)
			abort();
		s->topics = v;
		struct web_topic *t = &v[s->ntopics++];
		t->name = s->notes[by[i]].fm.topic;
		t->n = j - i;
		t->notes = malloc(t->n * sizeof(*t->notes));
		if (!t->notes)
			abort();
		memcpy(t->notes, by + i, t->n * sizeof(*t->notes));
		i = j;
	}
	if (s->ntopics)
		qsort(s->topics, s->ntopics, sizeof(*s->topics), S_cmp_first);
	/* the WEB_RECENT newest, by insertion into a short sorted list */
	for (size_t i = 0; i < s->nnotes; i++) {
		size_t k = s->nrecent;
		while (k > 0 && s->notes[s->recent[k - 1]].mtime < s->notes[i].mtime)
			k--;
		if (k >= WEB_RECENT)
			continue;
		size_t n = s->nrecent < WEB_RECENT ? s->nrecent : WEB_RECENT - 1;
		memmove(&s->recent[k + 1], &s->recent[k], (n - k) * sizeof(s->recent[0]));
		s->recent[k] = i;
		if (s->nrecent < WEB_RECENT)
			s->nrecent++;
	}
	free(by);
}

const struct web_topic *web_site_topic(const struct web_site *s, const char *name)
{
	for (size_t i = 0; i < s->ntopics; i++)
		if (strcmp(s->topics[i].name, name) == 0)
			return &s->topics[i];
	return NULL;
}

static void S_note_add(struct web_site *s, char *id, const struct kl_note *note,
		       long long mtime)
{
	struct web_note *v = realloc(s->notes, (s->nnotes + 1) * sizeof(*v));

	if (!v)
		abort();
	s->notes = v;
	v[s->nnotes].id = id;
	v[s->nnotes].fm = *note;
	v[s->nnotes].mtime = mtime;
	s->nnotes++;
}

/* search_index_files: one note from the front matter the index kept (its file is read
 * again only when it could not be parsed, for the problem's words). */
static void S_note_from_index(void *ctx, const struct search_file *f)
{
	struct web_site *s = ctx;
	struct kl_note note;
	struct kl_err err;
	int rc = f->fm ? kl_note_parse(f->path, f->fm, f->fmlen, &note, &err)
		       : kl_note_load(f->path, &note, &err);

	if (rc < 0)
		S_problem(s, err.msg);
	else
		S_note_add(s, kl_strdup(f->ref), &note, f->mtime / 1000000000LL);
}

/* The file names of one content folder's notes that are no id: problems. */
static void S_notes_check(struct web_site *s, const char *layer)
{
	char *dir = kl_path_join(layer, "notes");
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 4 || de->d_name[0] == '.' || strcmp(de->d_name + len - 3, ".md") != 0)
			continue;
		char *id = strndup(de->d_name, len - 3);
		if (!id)
			abort();
		if (!kl_valid_id(id)) {
			char *msg = kl_sprintf("%s/%s: a note's file name must be made of a-z, 0-9, "
					       "'-' and '_'", dir, de->d_name);
			S_problem(s, msg);
			free(msg);
		}
		free(id);
	}
	if (d)
		closedir(d);
	free(dir);
}

/*
 * The notes: from the search index, synced just before over every content
 * folder (the first one winning a clash); names that are no id are problems.
 */
static void S_notes_load(struct web_site *s)
{
	struct kl_err err;
	char **dirs;
	size_t nd = kl_content_dirs(s->cfg->content, &dirs);

	for (size_t i = 0; i < nd; i++)
		S_notes_check(s, dirs[i]);
	kl_strv_free(dirs, nd);
	if (search_index_files(s->search, "note", S_note_from_index, s, &err) < 0)
		S_problem(s, err.msg);
	if (s->nnotes)
		qsort(s->notes, s->nnotes, sizeof(*s->notes), S_cmp_note);
}

/* Reads every note and lab; one that cannot be read becomes a problem, not a failure. */
static void S_catalog_load(struct web_site *s)
{
	struct kl_err err;

	S_notes_load(s);
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
		l->home = -1;
		l->files = lab.files;
		l->nfiles = lab.nfiles;
		lab.files = NULL;
		lab.nfiles = 0;
		kl_lab_release(&lab);
	}
	kl_strv_free(ids, n);
	S_index(s);
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

/* The name index behind web_site_check, shared by the site and its views. */
struct web_check_slot {
	pthread_mutex_t lock;
	struct check_kernel *k; /* NULL until the index exists */
};

const struct check_kernel *web_site_check(struct web_site *s)
{
	struct web_check_slot *slot = s->check;
	struct kl_err err;
	char *path = NULL;

	/* never built here: a request must not wait for it */
	pthread_mutex_lock(&slot->lock);
	if (!slot->k && xref_path(s->cfg->cache, XREF_DEFAULT_SOURCE, &path, &err) == 0 &&
	    kl_is_file(path)) {
		struct check_kernel *k = calloc(1, sizeof(*k));
		if (!k)
			abort();
		if (check_kernel_open(s->cfg->cache, XREF_DEFAULT_SOURCE, NULL, NULL, NULL, NULL, k,
				      &err) == 0)
			slot->k = k;
		else
			free(k);
	}
	const struct check_kernel *k = slot->k;
	pthread_mutex_unlock(&slot->lock);
	free(path);
	return k;
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
	if (s->my)
		fswatch_add(s->watch, mynotes_dir(s->my), 0);
}

/*
 * The learner's notes: opened (and created) at start; a failure is a problem
 * the pages show, never a reason not to serve. Files another editor wrote
 * there are committed when the file watch sees them, at the next request.
 */
static void S_my_open(struct web_site *s)
{
	struct kl_err err;

	if (mynotes_open(s->cfg->home, &s->my, &err) < 0) {
		s->my_problem = kl_strdup(err.msg);
		return;
	}
	if (history_open(mynotes_dir(s->my), &s->my_history, &err) < 0) {
		s->my_problem = kl_strdup(err.msg);
		mynotes_close(s->my);
		s->my = NULL;
		return;
	}
	search_index_set_mine(s->search, mynotes_dir(s->my));
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

	/* the index first: the notes' front matter comes from it */
	if (s->my && mynotes_commit_all(s->my, "Pick up changes made outside klab", NULL, err) < 0)
		rc = -1;
	else if (search_index_sync(s->search, s->cfg->content, &changed, err) < 0)
		rc = -1;
	S_catalog_free(s);
	S_catalog_load(s);
	if (rc == 0 && web_tpls_load(dir, &t, err) < 0)
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
	s->check = calloc(1, sizeof(*s->check));
	if (!s->check)
		abort();
	pthread_mutex_init(&s->check->lock, NULL);
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
	char *mine = kl_path_join(cfg->home, "notes"); /* as mynotes_dir() names it */
	s->search_path = search_index_path(cfg->cache, cfg->content, mine);
	free(mine);
	char *sdir = kl_path_join(cfg->cache, "search");
	int made = kl_mkdir_p(sdir, 0755, err);
	free(sdir);
	if (made < 0 || fswatch_open(&s->watch, err) < 0 ||
	    search_index_open_file(s->search_path, &s->search, err) < 0 ||
	    history_open(cfg->root, &s->history, err) < 0)
		goto out_close;
	S_my_open(s);
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
	history_close(s->my_history);
	mynotes_close(s->my);
	free(s->my_problem);
	xref_close(s->xref);
	if (s->check) {
		if (s->check->k)
			check_kernel_release(s->check->k);
		free(s->check->k);
		pthread_mutex_destroy(&s->check->lock);
		free(s->check);
	}
	fswatch_close(s->watch);
	free(s->static_dir);
	free(s->diagram_dir);
	free(s->search_path);
	memset(s, 0, sizeof(*s));
}

bool web_site_stale(struct web_site *s)
{
	return fswatch_generation(s->watch) != s->gen;
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

int web_handles_open(const struct web_site *s, struct web_handles *h, struct kl_err *err)
{
	memset(h, 0, sizeof(*h));
	if (search_index_open_file(s->search_path, &h->search, err) < 0 ||
	    history_open(s->cfg->root, &h->history, err) < 0) {
		web_handles_close(h);
		return -1;
	}
	return 0;
}

void web_handles_close(struct web_handles *h)
{
	search_index_close(h->search);
	history_close(h->history);
	xref_close(h->xref);
	memset(h, 0, sizeof(*h));
}

void web_site_view(const struct web_site *s, struct web_handles *h, struct web_site *view)
{
	*view = *s;
	view->search = h->search;
	view->history = h->history;
	view->xref = h->xref;
	view->resolver.ctx = view;
}

void web_site_view_end(struct web_site *view, struct web_handles *h)
{
	h->xref = view->xref;
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
