/*
 * query.c - the read side of the source index (see xref.h, db.h): look-ups of a
 * NAME or TYPE.MEMBER, a file's text by its indexed path, folder listings.
 * Statements are prepared once per handle and reset after each use.
 */
#include "xref/xref.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/fsutil.h"
#include "xref/db.h"

enum S_stmt {
	S_NAME_ID,
	S_DEFS,
	S_DEFS_TOTAL,
	S_MEMBER_DEFS,
	S_MEMBER_DEFS_TOTAL,
	S_REF_TOTAL,
	S_REF_PAGE,
	S_INITS,
	S_INITS_TOTAL,
	S_MEMBER_INITS,
	S_MEMBER_INITS_TOTAL,
	S_USES,
	S_USES_TOTAL,
	S_DEFINED,
	S_FILE,
	S_DIR,
	S_META,
	S_HAS_FILE,
	S_HAS_DIR,
	S_FUNCTION,
	S_COUNT_STMT,
};

/*
 * Each list is read a page at a time in the order of an index (defs and inits are
 * clustered on their keys; file ids follow the paths' order, names their first
 * sight), with the page cut before any join, and counted apart: a common name
 * (EXPORT_SYMBOL: 13,512 definitions; `data`: 9,499 initializers) costs what its
 * page costs, not what all its rows would.
 */
#define S_INIT_COLS                                                                         \
	"SELECT f.path, i.line, t.name, m.name, i.variable, i.value FROM "
#define S_INIT_JOINS                                                                        \
	" i JOIN files f ON f.id = i.file JOIN names t ON t.id = i.type "                    \
	"JOIN names m ON m.id = i.member "

static const char *const S_sql[S_COUNT_STMT] = {
	[S_NAME_ID] = "SELECT id FROM names WHERE name = ?1",
	[S_DEFS] = "SELECT f.path, d.line, d.kind, s.name, "
		   "(SELECT max(k.line) FROM docs k WHERE k.name = d.name AND k.file = d.file "
		   "AND k.line <= d.line) "
		   "FROM (SELECT * FROM defs WHERE name = ?1 ORDER BY kind, file, line "
		   "LIMIT ?3 OFFSET ?4) d "
		   "JOIN files f ON f.id = d.file LEFT JOIN names s ON s.id = d.scope "
		   "ORDER BY d.kind, d.file, d.line",
	[S_DEFS_TOTAL] = "SELECT count(*) FROM defs WHERE name = ?1",
	[S_MEMBER_DEFS] = "SELECT f.path, d.line, d.kind, s.name, NULL "
			  "FROM (SELECT * FROM defs WHERE name = ?1 AND scope = ?2 "
			  "ORDER BY kind, file, line LIMIT ?3 OFFSET ?4) d "
			  "JOIN files f ON f.id = d.file JOIN names s ON s.id = d.scope "
			  "ORDER BY d.kind, d.file, d.line",
	[S_MEMBER_DEFS_TOTAL] = "SELECT count(*) FROM defs WHERE name = ?1 AND scope = ?2",
	[S_REF_TOTAL] = "SELECT files, refs FROM totals WHERE name = ?1",
	[S_REF_PAGE] = "SELECT f.path, r.count, r.lines FROM refs r JOIN files f ON f.id = r.file "
		       "WHERE r.name = ?1 ORDER BY r.file LIMIT ?2 OFFSET ?3",
	[S_INITS] = S_INIT_COLS "(SELECT * FROM inits WHERE type = ?1 AND member = ?2 "
		    "ORDER BY file, line LIMIT ?3 OFFSET ?4)" S_INIT_JOINS
		    "ORDER BY i.file, i.line",
	[S_INITS_TOTAL] = "SELECT count(*) FROM inits WHERE type = ?1 AND member = ?2",
	[S_MEMBER_INITS] = S_INIT_COLS "(SELECT * FROM inits WHERE member = ?1 "
			   "ORDER BY type, file, line LIMIT ?3 OFFSET ?4)" S_INIT_JOINS
			   "ORDER BY i.type, i.file, i.line",
	[S_MEMBER_INITS_TOTAL] = "SELECT count(*) FROM inits WHERE member = ?1",
	[S_USES] = S_INIT_COLS "(SELECT * FROM inits WHERE value_name = ?1 AND value_name > 0 "
		   "ORDER BY type, member, file, line LIMIT ?3 OFFSET ?4)" S_INIT_JOINS
		   "ORDER BY i.type, i.member, i.file, i.line",
	[S_USES_TOTAL] = "SELECT count(*) FROM inits WHERE value_name = ?1 AND value_name > 0",
	[S_DEFINED] = "SELECT 1 FROM defs WHERE name = ?1 LIMIT 1",
	[S_FILE] = "SELECT f.size, t.data FROM files f JOIN texts t ON t.file = f.id "
		   "WHERE f.path = ?1",
	[S_DIR] = "SELECT name, file, lines FROM tree WHERE parent = ?1 "
		  "ORDER BY file != 0, name",
	[S_META] = "SELECT value FROM meta WHERE key = ?1",
	[S_HAS_FILE] = "SELECT 1 FROM files WHERE path = ?1",
	[S_HAS_DIR] = "SELECT 1 FROM tree WHERE parent = ?1 LIMIT 1",
	[S_FUNCTION] = "SELECT f.path, d.line FROM defs d JOIN files f ON f.id = d.file "
		       "WHERE d.name = ?1 AND d.kind = 1 ORDER BY f.path LIMIT 2",
};

struct xref {
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT_STMT];
};

int xref_open(const char *path, struct xref **out, struct kl_err *err)
{
	struct xref *x = calloc(1, sizeof(*x));
	char *version;

	*out = NULL;
	if (!x)
		abort();
	if (xref_db_open(path, 65536, &x->db, err) < 0)
		goto fail;
	for (int i = 0; i < S_COUNT_STMT; i++) {
		if (sqlite3_prepare_v3(x->db, S_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &x->st[i],
				       NULL) != SQLITE_OK) {
			kl_err_set(err, "%s is not a source index of this klab: delete it and run "
					"`klab xref --build` (%s)", path, sqlite3_errmsg(x->db));
			goto fail;
		}
	}
	version = xref_meta(x, "version");
	if (!version || atoi(version) != XREF_FORMAT) {
		kl_err_set(err, "%s is a source index of another format: delete it and run `klab "
				"xref --build`", path);
		free(version);
		goto fail;
	}
	free(version);
	*out = x;
	return 0;
fail:
	xref_close(x);
	return -1;
}

void xref_close(struct xref *x)
{
	if (!x)
		return;
	for (int i = 0; i < S_COUNT_STMT; i++)
		sqlite3_finalize(x->st[i]);
	sqlite3_close(x->db);
	free(x);
}

static sqlite3_stmt *S_stmt(struct xref *x, enum S_stmt which)
{
	sqlite3_stmt *st = x->st[which];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

static char *S_col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? kl_strdup((const char *)s) : NULL;
}

char *xref_meta(struct xref *x, const char *key)
{
	sqlite3_stmt *st = S_stmt(x, S_META);
	char *v = NULL;

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = S_col(st, 0);
	sqlite3_reset(st);
	return v;
}

static bool S_ident(const char *s, size_t n)
{
	if (n == 0 || n > 127 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

bool xref_name_ok(const char *name)
{
	const char *dot = strchr(name, '.');

	if (!dot)
		return S_ident(name, strlen(name));
	return S_ident(name, (size_t)(dot - name)) && S_ident(dot + 1, strlen(dot + 1));
}

/* The id of name[0..n), 0 when the index never saw it. */
static long long S_name_id(struct xref *x, const char *name, size_t n)
{
	sqlite3_stmt *st = S_stmt(x, S_NAME_ID);
	long long id = 0;

	sqlite3_bind_text(st, 1, name, (int)n, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return id;
}

bool xref_defined(struct xref *x, const char *name)
{
	long long id = xref_name_ok(name) && !strchr(name, '.') ? S_name_id(x, name, strlen(name))
								 : 0;
	bool found = false;

	if (!id)
		return false;
	sqlite3_stmt *st = S_stmt(x, S_DEFINED);
	sqlite3_bind_int64(st, 1, id);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

/* One page of the definitions (XREF_DEFS_PER_PAGE), and how many there are in all. */
static void S_defs(struct xref *x, enum S_stmt which, long long id, long long scope,
		   struct xref_result *r)
{
	sqlite3_stmt *st = S_stmt(x, which == S_DEFS ? S_DEFS_TOTAL : S_MEMBER_DEFS_TOTAL);
	size_t cap = 0;

	sqlite3_bind_int64(st, 1, id);
	if (which == S_MEMBER_DEFS)
		sqlite3_bind_int64(st, 2, scope);
	if (sqlite3_step(st) == SQLITE_ROW)
		r->defs_total = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = S_stmt(x, which);
	sqlite3_bind_int64(st, 1, id);
	if (which == S_MEMBER_DEFS)
		sqlite3_bind_int64(st, 2, scope);
	sqlite3_bind_int(st, 3, XREF_DEFS_PER_PAGE);
	sqlite3_bind_int64(st, 4, (long long)(r->page - 1) * XREF_DEFS_PER_PAGE);
	while (sqlite3_step(st) == SQLITE_ROW && r->ndefs < XREF_DEFS_PER_PAGE) {
		if (r->ndefs == cap) {
			cap = cap ? cap * 2 : 16;
			r->defs = realloc(r->defs, cap * sizeof(*r->defs));
			if (!r->defs)
				abort();
		}
		struct xref_def *d = &r->defs[r->ndefs++];
		int kind = sqlite3_column_int(st, 2);
		d->file = S_col(st, 0);
		d->line = sqlite3_column_int(st, 1);
		d->kind = xref_kind_names[kind >= 0 && kind < XREF_K_COUNT ? kind : 0];
		d->scope = S_col(st, 3);
		d->doc_line = sqlite3_column_int(st, 4);
	}
	sqlite3_reset(st);
}

static void S_ref_lines(struct xref_ref_file *f, const void *blob, int len)
{
	const unsigned char *p = blob, *end = p + (len > 0 ? len : 0);
	uint32_t line = 0, d;

	f->lines = malloc(XREF_LINES_PER_FILE * sizeof(*f->lines));
	if (!f->lines)
		abort();
	while (f->nlines < XREF_LINES_PER_FILE && xref_varint_get(&p, end, &d)) {
		line += d;
		f->lines[f->nlines++] = (int)line;
	}
}

static void S_refs(struct xref *x, long long id, int page, struct xref_result *r)
{
	sqlite3_stmt *st = S_stmt(x, S_REF_TOTAL);

	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW) {
		r->ref_files = (size_t)sqlite3_column_int64(st, 0);
		r->ref_total = (size_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	r->pages = r->ref_files ? (int)((r->ref_files + XREF_FILES_PER_PAGE - 1) /
					XREF_FILES_PER_PAGE)
				: 1;
	if (page > r->pages)
		return;
	st = S_stmt(x, S_REF_PAGE);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, XREF_FILES_PER_PAGE);
	sqlite3_bind_int64(st, 3, (long long)(page - 1) * XREF_FILES_PER_PAGE);
	r->refs = calloc(XREF_FILES_PER_PAGE, sizeof(*r->refs));
	if (!r->refs)
		abort();
	while (sqlite3_step(st) == SQLITE_ROW && r->nrefs < XREF_FILES_PER_PAGE) {
		struct xref_ref_file *f = &r->refs[r->nrefs++];
		f->file = S_col(st, 0);
		f->total = (size_t)sqlite3_column_int64(st, 1);
		S_ref_lines(f, sqlite3_column_blob(st, 2), sqlite3_column_bytes(st, 2));
	}
	sqlite3_reset(st);
}

/* One page of initializers (XREF_INITS_PER_PAGE) and how many there are in all. */
static void S_inits(struct xref *x, enum S_stmt which, long long a, long long b, int page,
		    struct xref_init **out, size_t *n, size_t *total)
{
	enum S_stmt count = which == S_INITS	      ? S_INITS_TOTAL
			    : which == S_MEMBER_INITS ? S_MEMBER_INITS_TOTAL
						      : S_USES_TOTAL;
	sqlite3_stmt *st = S_stmt(x, count);

	sqlite3_bind_int64(st, 1, a);
	if (which == S_INITS)
		sqlite3_bind_int64(st, 2, b);
	if (sqlite3_step(st) == SQLITE_ROW)
		*total = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = S_stmt(x, which);
	sqlite3_bind_int64(st, 1, a);
	if (which == S_INITS)
		sqlite3_bind_int64(st, 2, b);
	sqlite3_bind_int(st, 3, XREF_INITS_PER_PAGE);
	sqlite3_bind_int64(st, 4, (long long)(page - 1) * XREF_INITS_PER_PAGE);
	*out = calloc(XREF_INITS_PER_PAGE, sizeof(**out));
	if (!*out)
		abort();
	while (sqlite3_step(st) == SQLITE_ROW && *n < XREF_INITS_PER_PAGE) {
		struct xref_init *i = &(*out)[(*n)++];
		i->file = S_col(st, 0);
		i->line = sqlite3_column_int(st, 1);
		i->type = S_col(st, 2);
		i->member = S_col(st, 3);
		i->variable = S_col(st, 4);
		i->value = S_col(st, 5);
	}
	sqlite3_reset(st);
}

int xref_lookup(struct xref *x, const char *name, int page, struct xref_result *r,
		struct kl_err *err)
{
	const char *dot;
	long long id, type = 0;

	memset(r, 0, sizeof(*r));
	r->page = page < 1 ? 1 : page;
	r->pages = 1;
	r->name = kl_strdup(name);
	if (!xref_name_ok(name))
		return kl_err_set(err, "`%.80s` is not a C identifier: give a name such as "
				       "task_struct, or TYPE.MEMBER such as "
				       "file_operations.read_iter", name);
	dot = strchr(name, '.');
	if (dot) {
		type = S_name_id(x, name, (size_t)(dot - name));
		id = S_name_id(x, dot + 1, strlen(dot + 1));
		if (!type || !id)
			return 0;
		S_defs(x, S_MEMBER_DEFS, id, type, r);
		S_inits(x, S_INITS, type, id, r->page, &r->inits, &r->ninits, &r->inits_total);
	} else {
		id = S_name_id(x, name, strlen(name));
		if (!id)
			return 0;
		S_defs(x, S_DEFS, id, 0, r);
		S_inits(x, S_MEMBER_INITS, id, 0, r->page, &r->inits, &r->ninits,
			&r->inits_total);
		S_inits(x, S_USES, id, 0, r->page, &r->uses, &r->nuses, &r->uses_total);
	}
	S_refs(x, id, r->page, r);
	/* every list is paged alike: as many pages as the longest needs */
	const size_t longest[] = { (r->defs_total + XREF_DEFS_PER_PAGE - 1) / XREF_DEFS_PER_PAGE,
				   (r->inits_total + XREF_INITS_PER_PAGE - 1) / XREF_INITS_PER_PAGE,
				   (r->uses_total + XREF_INITS_PER_PAGE - 1) / XREF_INITS_PER_PAGE };
	for (size_t i = 0; i < sizeof(longest) / sizeof(longest[0]); i++)
		if ((size_t)r->pages < longest[i])
			r->pages = (int)longest[i];
	return r->defs_total || r->ref_files || r->inits_total || r->uses_total ? 1 : 0;
}

static void S_inits_free(struct xref_init *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(in[i].file);
		free(in[i].type);
		free(in[i].member);
		free(in[i].variable);
		free(in[i].value);
	}
	free(in);
}

void xref_result_release(struct xref_result *r)
{
	for (size_t i = 0; i < r->ndefs; i++) {
		free(r->defs[i].file);
		free(r->defs[i].scope);
	}
	for (size_t i = 0; i < r->nrefs; i++) {
		free(r->refs[i].file);
		free(r->refs[i].lines);
	}
	S_inits_free(r->inits, r->ninits);
	S_inits_free(r->uses, r->nuses);
	free(r->defs);
	free(r->refs);
	free(r->name);
	memset(r, 0, sizeof(*r));
}

static void S_json_inits(struct kl_buf *o, const struct xref_init *in, size_t n)
{
	kl_buf_putc(o, '[');
	for (size_t i = 0; i < n; i++) {
		kl_buf_puts(o, i ? ",{\"file\":" : "{\"file\":");
		kl_buf_put_json(o, in[i].file);
		kl_buf_printf(o, ",\"line\":%d,\"type\":", in[i].line);
		kl_buf_put_json(o, in[i].type);
		kl_buf_puts(o, ",\"member\":");
		kl_buf_put_json(o, in[i].member);
		kl_buf_puts(o, ",\"variable\":");
		kl_buf_put_json(o, in[i].variable);
		kl_buf_puts(o, ",\"value\":");
		kl_buf_put_json(o, in[i].value);
		kl_buf_putc(o, '}');
	}
	kl_buf_putc(o, ']');
}

void xref_result_json(const struct xref_result *r, struct kl_buf *o)
{
	kl_buf_puts(o, "{\"name\":");
	kl_buf_put_json(o, r->name);
	kl_buf_puts(o, ",\"definitions\":[");
	for (size_t i = 0; i < r->ndefs; i++) {
		const struct xref_def *d = &r->defs[i];
		kl_buf_puts(o, i ? ",{\"file\":" : "{\"file\":");
		kl_buf_put_json(o, d->file);
		kl_buf_printf(o, ",\"line\":%d,\"kind\":\"%s\"", d->line, d->kind);
		if (d->scope) {
			kl_buf_puts(o, ",\"scope\":");
			kl_buf_put_json(o, d->scope);
		}
		if (d->doc_line)
			kl_buf_printf(o, ",\"doc_line\":%d", d->doc_line);
		kl_buf_putc(o, '}');
	}
	kl_buf_puts(o, "],\"references\":[");
	bool first = true;
	for (size_t i = 0; i < r->nrefs; i++) {
		for (size_t j = 0; j < r->refs[i].nlines; j++) {
			kl_buf_puts(o, first ? "{\"file\":" : ",{\"file\":");
			kl_buf_put_json(o, r->refs[i].file);
			kl_buf_printf(o, ",\"line\":%d}", r->refs[i].lines[j]);
			first = false;
		}
	}
	kl_buf_puts(o, "],\"initializers\":");
	S_json_inits(o, r->inits, r->ninits);
	kl_buf_puts(o, ",\"used_in\":");
	S_json_inits(o, r->uses, r->nuses);
	kl_buf_printf(o, ",\"page\":%d,\"pages\":%d,\"reference_files\":%zu,"
			 "\"reference_total\":%zu,\"initializer_total\":%zu,\"used_in_total\":%zu,"
			 "\"definition_total\":%zu}",
		      r->page, r->pages, r->ref_files, r->ref_total, r->inits_total, r->uses_total,
		      r->defs_total);
}

int xref_file(struct xref *x, const char *path, struct kl_buf *text, struct kl_err *err)
{
	sqlite3_stmt *st = S_stmt(x, S_FILE);
	int rc = 0;

	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		uLongf size = (uLongf)sqlite3_column_int64(st, 0);
		const void *z = sqlite3_column_blob(st, 1);
		uLong zlen = (uLong)sqlite3_column_bytes(st, 1);
		kl_buf_reset(text);
		kl_buf_grow(text, size + 1);
		if (size && uncompress((Bytef *)text->ptr, &size, z, zlen) != Z_OK) {
			rc = kl_err_set(err, "the source index holds a damaged copy of %s: delete "
					     "it and run `klab xref --build`", path);
		} else {
			text->len = size;
			text->ptr[size] = '\0';
			rc = 1;
		}
	}
	sqlite3_reset(st);
	return rc;
}

int xref_dir(struct xref *x, const char *dir, struct xref_entry **out, size_t *n,
	     struct kl_err *err)
{
	sqlite3_stmt *st = S_stmt(x, S_DIR);
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	sqlite3_bind_text(st, 1, dir, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*out = realloc(*out, cap * sizeof(**out));
			if (!*out)
				abort();
		}
		struct xref_entry *e = &(*out)[(*n)++];
		e->name = S_col(st, 0);
		e->dir = sqlite3_column_int64(st, 1) == 0;
		e->lines = sqlite3_column_int(st, 2);
	}
	sqlite3_reset(st);
	(void)err;
	return *n ? 1 : 0;
}

static bool S_row(struct xref *x, enum S_stmt which, const char *arg)
{
	sqlite3_stmt *st = S_stmt(x, which);
	bool found;

	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

int xref_has_path(struct xref *x, const char *path)
{
	size_t n = strlen(path);
	char dir[600];

	if (n == 0 || n >= sizeof(dir))
		return 0;
	if (S_row(x, S_HAS_FILE, path))
		return 1;
	memcpy(dir, path, n + 1);
	if (dir[n - 1] == '/')
		dir[n - 1] = '\0';
	return S_row(x, S_HAS_DIR, dir) ? 2 : 0;
}

int xref_function(struct xref *x, const char *name, char **file, int *line)
{
	long long id = xref_name_ok(name) && !strchr(name, '.') ? S_name_id(x, name, strlen(name))
								 : 0;
	sqlite3_stmt *st;
	int n = 0;

	*file = NULL;
	*line = 0;
	if (!id)
		return 0;
	st = S_stmt(x, S_FUNCTION);
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n++ == 0) {
			*file = S_col(st, 0);
			*line = sqlite3_column_int(st, 1);
		}
	}
	sqlite3_reset(st);
	return n;
}

void xref_entries_free(struct xref_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].name);
	free(e);
}
