/*
 * catalog.c - reads labs and notes from their front matter (see catalog.h).
 */
#include "core/catalog.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/frontmatter.h"
#include "core/content.h"
#include "core/fsutil.h"

bool kl_valid_id(const char *id)
{
	if (!id || !*id || strlen(id) > 64)
		return false;
	for (const char *p = id; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  ((c == '-' || c == '_') && p != id);
		if (!ok)
			return false;
	}
	return true;
}

void kl_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char **S_strv_dup(char *const *items, size_t n)
{
	char **v = calloc(n + 1, sizeof(*v));

	if (!v)
		abort();
	for (size_t i = 0; i < n; i++)
		v[i] = kl_strdup(items[i]);
	return v;
}

/* The list under key (or a single scalar as a one-item list); missing gives none. */
static int S_list(const struct kl_fm *fm, const char *key, char ***out, size_t *n,
		  const char *path, struct kl_err *err)
{
	const struct kl_fm_entry *e = kl_fm_find(fm, key);

	*out = NULL;
	*n = 0;
	if (!e)
		return 0;
	if (e->type == KL_FM_SCALAR) {
		*out = S_strv_dup(&e->value, 1);
		*n = 1;
		return 0;
	}
	if (e->type != KL_FM_LIST)
		return kl_err_set(err, "%s:%d: `%s` must be a list like [a, b]", path, e->line, key);
	*out = S_strv_dup(e->items, e->n);
	*n = e->n;
	return 0;
}

static int S_need(const struct kl_fm *fm, const char *key, char **out, const char *path,
		  struct kl_err *err)
{
	const char *v = kl_fm_str(fm, key);

	if (!v || !*v)
		return kl_err_set(err, "%s: front matter needs `%s:`", path, key);
	*out = kl_strdup(v);
	return 0;
}

static int S_read_fm(const char *path, struct kl_fm *fm, struct kl_err *err)
{
	struct kl_buf text = KL_BUF_INIT;
	struct kl_err e2;
	int rc = -1;

	if (kl_read_file(path, &text, 4 << 20, err) < 0)
		goto out;
	if (kl_fm_parse(kl_buf_str(&text), text.len, fm, &e2) < 0) {
		kl_err_set(err, "%s:%s", path, e2.msg + (strncmp(e2.msg, "line ", 5) ? 0 : 5));
		goto out;
	}
	rc = 0;
out:
	kl_buf_release(&text);
	return rc;
}

int kl_lab_load(const char *root, const char *id, struct kl_lab *lab, struct kl_err *err)
{
	struct kl_fm fm;
	struct kl_err e2;
	char *readme = NULL;
	int rc = -1;

	memset(lab, 0, sizeof(*lab));
	if (!kl_valid_id(id))
		return kl_err_set(err, "`%s` is not a lab id (letters, digits and '-'): "
				       "`klab list` shows the labs", id);
	readme = kl_content_find(root, "labs/%s/README.md", id);
	if (!readme) {
		kl_err_set(err, "no lab `%s` (no labs/%s/README.md in %s): `klab list` shows the "
				"labs", id, id, root);
		goto out_free;
	}
	lab->dir = kl_strndup(readme, strlen(readme) - strlen("/README.md"));
	if (S_read_fm(readme, &fm, err) < 0)
		goto out_free;
	if (S_need(&fm, "id", &lab->id, readme, err) < 0 ||
	    S_need(&fm, "title", &lab->title, readme, err) < 0 ||
	    S_need(&fm, "topic", &lab->topic, readme, err) < 0 ||
	    S_need(&fm, "difficulty", &lab->difficulty, readme, err) < 0)
		goto out_fm;
	if (strcmp(lab->id, id) != 0) {
		kl_err_set(err, "%s: `id: %s` does not match its folder `%s`", readme, lab->id, id);
		goto out_fm;
	}
	if (S_list(&fm, "files", &lab->files, &lab->nfiles, readme, err) < 0 ||
	    S_list(&fm, "programs", &lab->programs, &lab->nprograms, readme, err) < 0 ||
	    S_list(&fm, "kernel_modules", &lab->kernel_modules, &lab->nkernel_modules, readme,
		   err) < 0 ||
	    S_list(&fm, "kprobes", &lab->kprobes, &lab->nkprobes, readme, err) < 0)
		goto out_fm;
	if (lab->nfiles == 0) {
		kl_err_set(err, "%s: front matter needs `files: [...]`, what the learner edits",
			   readme);
		goto out_fm;
	}
	for (size_t i = 0; i < lab->nfiles; i++) {
		if (strchr(lab->files[i], '/') || lab->files[i][0] == '.') {
			kl_err_set(err, "%s: `files` entry `%s` must be a plain file name", readme,
				   lab->files[i]);
			goto out_fm;
		}
	}
	for (size_t i = 0; i < lab->nprograms; i++) {
		size_t l = strlen(lab->programs[i]);
		if (strchr(lab->programs[i], '/') || l < 3 ||
		    strcmp(lab->programs[i] + l - 2, ".c") != 0) {
			kl_err_set(err, "%s: `programs` entry `%s` must be a .c file name", readme,
				   lab->programs[i]);
			goto out_fm;
		}
	}
	for (size_t i = 0; i < lab->nkprobes; i++) {
		const char *k = lab->kprobes[i];
		if (!*k || k[strspn(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789_.")]) {
			kl_err_set(err, "%s: `kprobes` entry `%s` must be a kernel symbol name",
				   readme, k);
			goto out_fm;
		}
	}
	const char *s = kl_fm_str(&fm, "module_params");
	lab->module_params = s ? kl_strdup(s) : NULL;
	s = kl_fm_str(&fm, "qemu_cpu");
	lab->qemu_cpu = s ? kl_strdup(s) : NULL;
	s = kl_fm_str(&fm, "busybox");
	if (s && strcmp(s, "true") != 0 && strcmp(s, "false") != 0) {
		kl_err_set(err, "%s: `busybox: %s` must be true or false", readme, s);
		goto out_fm;
	}
	lab->busybox = s && strcmp(s, "true") == 0;
	if (kl_fm_int(&fm, "timeout", 1, 3600, 30, &lab->timeout, &e2) < 0 ||
	    kl_fm_int(&fm, "test_timeout", 1, 3600, 10, &lab->test_timeout, &e2) < 0) {
		kl_err_set(err, "%s:%s", readme, e2.msg + 5);
		goto out_fm;
	}
	const struct kl_fm_entry *pts = kl_fm_find(&fm, "points");
	if (!pts || pts->type != KL_FM_MAP || pts->n == 0) {
		kl_err_set(err, "%s: front matter needs `points:`, a map of each test to its points",
			   readme);
		goto out_fm;
	}
	lab->tests = calloc(pts->n, sizeof(*lab->tests));
	if (!lab->tests)
		abort();
	for (size_t i = 0; i < pts->n; i++) {
		char *end;
		long p = strtol(pts->values[i], &end, 10);
		if (end == pts->values[i] || *end || p < 0 || p > 1000) {
			kl_err_set(err, "%s:%d: points of `%s` must be a whole number from 0 to 1000",
				   readme, pts->line, pts->items[i]);
			goto out_fm;
		}
		lab->tests[i].name = kl_strdup(pts->items[i]);
		lab->tests[i].points = (int)p;
		lab->ntests++;
		lab->max_score += (int)p;
	}
	rc = 0;
out_fm:
	kl_fm_release(&fm);
out_free:
	free(readme);
	if (rc < 0)
		kl_lab_release(lab);
	return rc;
}

void kl_lab_release(struct kl_lab *lab)
{
	free(lab->id);
	free(lab->title);
	free(lab->topic);
	free(lab->difficulty);
	free(lab->dir);
	kl_strv_free(lab->files, lab->nfiles);
	kl_strv_free(lab->programs, lab->nprograms);
	kl_strv_free(lab->kernel_modules, lab->nkernel_modules);
	kl_strv_free(lab->kprobes, lab->nkprobes);
	free(lab->module_params);
	free(lab->qemu_cpu);
	for (size_t i = 0; i < lab->ntests; i++)
		free(lab->tests[i].name);
	free(lab->tests);
	memset(lab, 0, sizeof(*lab));
}

int kl_lab_points(const struct kl_lab *lab, const char *test)
{
	for (size_t i = 0; i < lab->ntests; i++)
		if (strcmp(lab->tests[i].name, test) == 0)
			return lab->tests[i].points;
	return -1;
}

static int S_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void kl_strv_sort(char **v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), S_cmp_str);
}

/* Adds the lab ids under dir/labs to *ids, but those already there (an earlier layer's). */
static int S_lab_ids_in(const char *dir, bool required, char ***ids, size_t *n,
			struct kl_err *err)
{
	char *labs = kl_path_join(dir, "labs");
	DIR *d = opendir(labs);
	struct dirent *de;
	size_t had = *n;

	if (!d) {
		int skip = errno == ENOENT && !required; /* a team's layer need not have labs */
		if (!skip)
			kl_err_errno(err, "cannot list %s", labs);
		free(labs);
		return skip ? 0 : -1;
	}
	while ((de = readdir(d))) {
		if (!kl_valid_id(de->d_name))
			continue;
		char *readme = kl_sprintf("%s/%s/README.md", labs, de->d_name);
		bool is_lab = kl_is_file(readme);
		free(readme);
		for (size_t i = 0; i < had && is_lab; i++)
			is_lab = strcmp((*ids)[i], de->d_name) != 0;
		if (!is_lab)
			continue;
		char **v = realloc(*ids, (*n + 1) * sizeof(*v));
		if (!v)
			abort();
		*ids = v;
		v[(*n)++] = kl_strdup(de->d_name);
	}
	closedir(d);
	free(labs);
	return 0;
}

int kl_lab_ids(const char *root, char ***ids, size_t *n, struct kl_err *err)
{
	char **dirs;
	size_t nd = kl_content_dirs(root, &dirs);
	int rc = 0;

	*ids = NULL;
	*n = 0;
	for (size_t i = 0; i < nd && rc == 0; i++)
		rc = S_lab_ids_in(dirs[i], i + 1 == nd, ids, n, err);
	kl_strv_free(dirs, nd);
	if (rc < 0) {
		kl_strv_free(*ids, *n);
		*ids = NULL;
		*n = 0;
		return -1;
	}
	kl_strv_sort(*ids, *n);
	return 0;
}

/* A lab's place in the curriculum: its topic's note, its place in that note's list. */
struct S_rank {
	char *id;
	size_t note, pos;
};

static int S_cmp_rank(const void *a, const void *b)
{
	const struct S_rank *x = a, *y = b;

	if (x->note != y->note)
		return x->note < y->note ? -1 : 1;
	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return strcmp(x->id, y->id);
}

static void S_rank(struct S_rank *r, const char *topic, const struct kl_note *notes, size_t nn)
{
	r->note = r->pos = (size_t)-1;
	/* the note of the lab's own topic first, else the first note that lists it */
	for (int pass = 0; pass < 2 && r->note == (size_t)-1; pass++) {
		for (size_t i = 0; i < nn && r->note == (size_t)-1; i++) {
			if (pass == 0 && (!topic || strcmp(notes[i].topic, topic) != 0))
				continue;
			for (size_t j = 0; j < notes[i].nlabs; j++) {
				if (strcmp(notes[i].labs[j], r->id) == 0) {
					r->note = i;
					r->pos = j;
					break;
				}
			}
			if (pass == 0 && r->note == (size_t)-1)
				r->note = i; /* its topic's note, which does not list it */
		}
	}
}

int kl_lab_ids_ordered(const char *root, char ***ids, size_t *n, struct kl_err *err)
{
	struct kl_note *notes = NULL;
	struct S_rank *ranks = NULL;
	size_t nn = 0;

	if (kl_lab_ids(root, ids, n, err) < 0)
		return -1;
	if (kl_notes_load(root, &notes, &nn, err) < 0) {
		kl_strv_free(*ids, *n);
		*ids = NULL;
		*n = 0;
		return -1;
	}
	ranks = calloc(*n + 1, sizeof(*ranks));
	if (!ranks)
		abort();
	for (size_t i = 0; i < *n; i++) {
		struct kl_lab lab;
		struct kl_err e2;
		ranks[i].id = (*ids)[i];
		int loaded = kl_lab_load(root, ranks[i].id, &lab, &e2) == 0;
		S_rank(&ranks[i], loaded ? lab.topic : NULL, notes, nn);
		if (loaded)
			kl_lab_release(&lab);
	}
	qsort(ranks, *n, sizeof(*ranks), S_cmp_rank);
	for (size_t i = 0; i < *n; i++)
		(*ids)[i] = ranks[i].id;
	free(ranks);
	kl_notes_free(notes, nn);
	return 0;
}

/* Fills note from parsed front matter fm of the file at path. */
static int S_note_fill(const char *path, const struct kl_fm *fm, struct kl_note *note,
		       struct kl_err *err)
{
	struct kl_err e2;

	note->path = kl_strdup(path);
	if (S_need(fm, "title", &note->title, path, err) < 0 ||
	    S_need(fm, "topic", &note->topic, path, err) < 0)
		return -1;
	if (kl_fm_int(fm, "order", 0, 100000, 1000, &note->order, &e2) < 0)
		return kl_err_set(err, "%s:%s", path, e2.msg + 5);
	if (S_list(fm, "labs", &note->labs, &note->nlabs, path, err) < 0 ||
	    S_list(fm, "tags", &note->tags, &note->ntags, path, err) < 0)
		return -1;
	return 0;
}

int kl_note_load(const char *path, struct kl_note *note, struct kl_err *err)
{
	struct kl_fm fm;
	int rc;

	memset(note, 0, sizeof(*note));
	if (S_read_fm(path, &fm, err) < 0)
		return -1;
	rc = S_note_fill(path, &fm, note, err);
	kl_fm_release(&fm);
	if (rc < 0)
		kl_note_release(note);
	return rc;
}

int kl_note_parse(const char *path, const char *text, size_t len, struct kl_note *note,
		  struct kl_err *err)
{
	struct kl_fm fm;
	struct kl_err e2;
	int rc;

	memset(note, 0, sizeof(*note));
	if (kl_fm_parse(text, len, &fm, &e2) < 0)
		return kl_err_set(err, "%s:%s", path,
				  e2.msg + (strncmp(e2.msg, "line ", 5) ? 0 : 5));
	rc = S_note_fill(path, &fm, note, err);
	kl_fm_release(&fm);
	if (rc < 0)
		kl_note_release(note);
	return rc;
}

void kl_note_release(struct kl_note *note)
{
	free(note->topic);
	free(note->title);
	free(note->path);
	kl_strv_free(note->labs, note->nlabs);
	kl_strv_free(note->tags, note->ntags);
	memset(note, 0, sizeof(*note));
}

static int S_cmp_note(const void *a, const void *b)
{
	const struct kl_note *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->topic, y->topic);
}

/* Adds the notes of dir/notes to *notes, but those an earlier layer has (same file name). */
static int S_notes_in(const char *dir, bool required, struct kl_note **notes, size_t *n,
		      struct kl_err *err)
{
	char *nd = kl_path_join(dir, "notes");
	DIR *d = opendir(nd);
	struct dirent *de;
	size_t had = *n;
	int rc = 0;

	if (!d) {
		int skip = errno == ENOENT && !required; /* a team's layer need not have notes */
		if (!skip)
			kl_err_errno(err, "cannot list %s", nd);
		free(nd);
		return skip ? 0 : -1;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 3, ".md") != 0 || de->d_name[0] == '.')
			continue;
		int shadowed = 0;
		for (size_t i = 0; i < had && !shadowed; i++) {
			const char *base = strrchr((*notes)[i].path, '/');
			shadowed = base && strcmp(base + 1, de->d_name) == 0;
		}
		if (shadowed)
			continue;
		char *path = kl_path_join(nd, de->d_name);
		struct kl_note note;
		rc = kl_note_load(path, &note, err);
		free(path);
		if (rc < 0)
			break;
		struct kl_note *v = realloc(*notes, (*n + 1) * sizeof(*v));
		if (!v)
			abort();
		*notes = v;
		v[(*n)++] = note;
	}
	closedir(d);
	free(nd);
	return rc;
}

int kl_notes_load(const char *root, struct kl_note **notes, size_t *n, struct kl_err *err)
{
	char **dirs;
	size_t nd = kl_content_dirs(root, &dirs);
	int rc = 0;

	*notes = NULL;
	*n = 0;
	for (size_t i = 0; i < nd && rc == 0; i++)
		rc = S_notes_in(dirs[i], i + 1 == nd, notes, n, err);
	kl_strv_free(dirs, nd);
	if (rc < 0) {
		kl_notes_free(*notes, *n);
		*notes = NULL;
		*n = 0;
		return -1;
	}
	if (*n)
		qsort(*notes, *n, sizeof(**notes), S_cmp_note);
	return 0;
}

void kl_notes_free(struct kl_note *notes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kl_note_release(&notes[i]);
	free(notes);
}
