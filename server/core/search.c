/*
 * search.c - the FTS5 index of notes and labs and its queries (see search.h).
 *
 * Tables: docs (FTS5: title, tags, body, kind and ref unindexed; rowid = docid),
 * refs (docid <-> kind, ref) and files (path, mtime, size -> docid) so that a
 * sync re-reads only the files that changed.
 */
#include "core/search.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/catalog.h"
#include "core/content.h"
#include "core/frontmatter.h"
#include "core/fsutil.h"
#include "core/markdown.h"

struct search_index {
	sqlite3 *db;
	sqlite3_stmt *find_ref;   /* docid of (kind, ref) */
	sqlite3_stmt *add_ref;    /* new (kind, ref) */
	sqlite3_stmt *del_doc;    /* docs row by docid */
	sqlite3_stmt *add_doc;    /* docs row */
	sqlite3_stmt *del_ref;    /* refs row by docid */
	sqlite3_stmt *query;      /* the search */
};

static const char S_schema[] =
	"CREATE VIRTUAL TABLE docs USING fts5(title, tags, body, kind UNINDEXED, ref UNINDEXED,"
	" tokenize=\"unicode61 tokenchars '_'\", prefix='2 3');"
	"CREATE TABLE refs(docid INTEGER PRIMARY KEY, kind TEXT NOT NULL, ref TEXT NOT NULL,"
	" UNIQUE(kind, ref));"
	"CREATE TABLE files(path TEXT PRIMARY KEY, mtime INTEGER NOT NULL, size INTEGER NOT NULL,"
	" docid INTEGER);";

static int S_db_err(struct search_index *idx, struct kl_err *err, const char *what)
{
	return kl_err_set(err, "search index: %s: %s", what, sqlite3_errmsg(idx->db));
}

int search_index_open(struct search_index **out, struct kl_err *err)
{
	struct search_index *idx = calloc(1, sizeof(*idx));
	char *msg = NULL;

	*out = NULL;
	if (!idx)
		abort();
	if (sqlite3_open_v2(":memory:", &idx->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		kl_err_set(err, "search index: cannot open an in-memory database");
		goto out_close;
	}
	if (sqlite3_exec(idx->db, S_schema, NULL, NULL, &msg) != SQLITE_OK) {
		kl_err_set(err, "search index: cannot create it: %s (SQLite needs FTS5)",
			   msg ? msg : "unknown error");
		sqlite3_free(msg);
		goto out_close;
	}
	if (sqlite3_prepare_v2(idx->db, "SELECT docid FROM refs WHERE kind=? AND ref=?", -1,
			       &idx->find_ref, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(idx->db, "INSERT INTO refs(kind, ref) VALUES(?, ?)", -1,
			       &idx->add_ref, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(idx->db, "DELETE FROM docs WHERE rowid=?", -1, &idx->del_doc,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(idx->db, "DELETE FROM refs WHERE docid=?", -1, &idx->del_ref,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(idx->db,
			       "INSERT INTO docs(rowid, title, tags, body, kind, ref)"
			       " VALUES(?, ?, ?, ?, ?, ?)",
			       -1, &idx->add_doc, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(idx->db,
			       "SELECT kind, ref, highlight(docs, 0, char(1), char(2)),"
			       " snippet(docs, 2, char(1), char(2), '…', 24),"
			       " bm25(docs, 10.0, 4.0, 1.0) AS r"
			       " FROM docs WHERE docs MATCH ?1 ORDER BY r LIMIT ?2",
			       -1, &idx->query, NULL) != SQLITE_OK) {
		S_db_err(idx, err, "cannot prepare its statements");
		goto out_close;
	}
	*out = idx;
	return 0;
out_close:
	search_index_close(idx);
	return -1;
}

void search_index_close(struct search_index *idx)
{
	if (!idx)
		return;
	sqlite3_finalize(idx->find_ref);
	sqlite3_finalize(idx->add_ref);
	sqlite3_finalize(idx->del_doc);
	sqlite3_finalize(idx->del_ref);
	sqlite3_finalize(idx->add_doc);
	sqlite3_finalize(idx->query);
	sqlite3_close(idx->db);
	free(idx);
}

long search_index_count(struct search_index *idx)
{
	sqlite3_stmt *st = NULL;
	long n = 0;

	if (sqlite3_prepare_v2(idx->db, "SELECT count(*) FROM refs", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Copies s with control characters (and the mark bytes) turned into blanks. */
static char *S_clean(const char *s)
{
	char *c = kl_strdup(s ? s : "");

	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			*p = ' ';
		else if (*p == 0x7f)
			*p = ' ';
	return c;
}

static void S_reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Deletes the document docid (docs and refs). */
static int S_delete(struct search_index *idx, long long docid, struct kl_err *err)
{
	int rc = 0;

	sqlite3_bind_int64(idx->del_doc, 1, docid);
	sqlite3_bind_int64(idx->del_ref, 1, docid);
	if (sqlite3_step(idx->del_doc) != SQLITE_DONE || sqlite3_step(idx->del_ref) != SQLITE_DONE)
		rc = S_db_err(idx, err, "cannot remove a document");
	S_reset(idx->del_doc);
	S_reset(idx->del_ref);
	return rc;
}

/* search_index_put, returning the docid in *docid. */
static int S_put(struct search_index *idx, const char *kind, const char *id, const char *title,
		 const char *tags, const char *body, long long *docid, struct kl_err *err)
{
	char *t = S_clean(title), *g = S_clean(tags), *b = S_clean(body);
	int rc = -1;

	*docid = 0;
	sqlite3_bind_text(idx->find_ref, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(idx->find_ref, 2, id, -1, SQLITE_STATIC);
	if (sqlite3_step(idx->find_ref) == SQLITE_ROW)
		*docid = sqlite3_column_int64(idx->find_ref, 0);
	S_reset(idx->find_ref);
	if (*docid) {
		sqlite3_bind_int64(idx->del_doc, 1, *docid);
		int st = sqlite3_step(idx->del_doc);
		S_reset(idx->del_doc);
		if (st != SQLITE_DONE) {
			S_db_err(idx, err, "cannot replace a document");
			goto out;
		}
	} else {
		sqlite3_bind_text(idx->add_ref, 1, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(idx->add_ref, 2, id, -1, SQLITE_STATIC);
		int st = sqlite3_step(idx->add_ref);
		S_reset(idx->add_ref);
		if (st != SQLITE_DONE) {
			S_db_err(idx, err, "cannot add a document");
			goto out;
		}
		*docid = sqlite3_last_insert_rowid(idx->db);
	}
	sqlite3_bind_int64(idx->add_doc, 1, *docid);
	sqlite3_bind_text(idx->add_doc, 2, t, -1, SQLITE_STATIC);
	sqlite3_bind_text(idx->add_doc, 3, g, -1, SQLITE_STATIC);
	sqlite3_bind_text(idx->add_doc, 4, b, -1, SQLITE_STATIC);
	sqlite3_bind_text(idx->add_doc, 5, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(idx->add_doc, 6, id, -1, SQLITE_STATIC);
	int st = sqlite3_step(idx->add_doc);
	S_reset(idx->add_doc);
	if (st != SQLITE_DONE) {
		S_db_err(idx, err, "cannot index a document");
		goto out;
	}
	rc = 0;
out:
	free(t);
	free(g);
	free(b);
	return rc;
}

int search_index_put(struct search_index *idx, const char *kind, const char *id,
		     const char *title, const char *tags, const char *body, struct kl_err *err)
{
	long long docid;

	return S_put(idx, kind, id, title, tags, body, &docid, err);
}

/* ---------------------------------------------------------------- sync */

struct S_file {
	char *path;  /* absolute */
	char kind[8];
	char *ref;
	long long mtime, size;
};

struct S_files {
	struct S_file *v;
	size_t n;
};

static void S_files_add(struct S_files *f, char *path, const char *kind, const char *ref)
{
	struct stat sb;
	int shadowed = 0; /* an earlier content folder has it */

	for (size_t i = 0; i < f->n && !shadowed; i++)
		shadowed = strcmp(f->v[i].kind, kind) == 0 && strcmp(f->v[i].ref, ref) == 0;
	if (shadowed || stat(path, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		free(path);
		return;
	}
	struct S_file *v = realloc(f->v, (f->n + 1) * sizeof(*v));
	if (!v)
		abort();
	f->v = v;
	v[f->n].path = path;
	snprintf(v[f->n].kind, sizeof(v[f->n].kind), "%s", kind);
	v[f->n].ref = kl_strdup(ref);
	v[f->n].mtime = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
	v[f->n].size = (long long)sb.st_size;
	f->n++;
}

static void S_files_free(struct S_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].path);
		free(f->v[i].ref);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

static int S_cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct S_file *)a)->path, ((const struct S_file *)b)->path);
}

/* The notes and labs of one content folder; those an earlier folder has are skipped. */
static void S_scan_dir(const char *root, struct S_files *f)
{
	char *dir = kl_path_join(root, "notes");
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 3, ".md") != 0)
			continue;
		char *topic = strndup(de->d_name, len - 3);
		if (!topic)
			abort();
		if (kl_valid_id(topic))
			S_files_add(f, kl_path_join(dir, de->d_name), "note", topic);
		free(topic);
	}
	if (d)
		closedir(d);
	free(dir);
	dir = kl_path_join(root, "labs");
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (kl_valid_id(de->d_name))
			S_files_add(f, kl_sprintf("%s/%s/README.md", dir, de->d_name), "lab",
				    de->d_name);
	}
	if (d)
		closedir(d);
	free(dir);
}

/* Every note and lab of a content path (see core/content.h), first folder first. */
static void S_scan(const char *path, struct S_files *f)
{
	char **dirs;
	size_t n = kl_content_dirs(path, &dirs);

	for (size_t i = 0; i < n; i++)
		S_scan_dir(dirs[i], f);
	kl_strv_free(dirs, n);
	if (f->n)
		qsort(f->v, f->n, sizeof(*f->v), S_cmp_file);
}

/* The values of a front matter list (or scalar) joined by blanks. */
static void S_fm_words(const struct kl_fm *fm, const char *key, struct kl_buf *out)
{
	const struct kl_fm_entry *e = kl_fm_find(fm, key);

	if (!e)
		return;
	if (e->type == KL_FM_SCALAR) {
		kl_buf_printf(out, "%s ", e->value);
	} else if (e->type == KL_FM_LIST) {
		for (size_t i = 0; i < e->n; i++)
			kl_buf_printf(out, "%s ", e->items[i]);
	}
}

/* Reads and indexes one file; *docid = 0 when it was skipped (unreadable front matter). */
static int S_index_file(struct search_index *idx, const struct S_file *f, long long *docid,
			struct kl_err *err)
{
	struct kl_buf text = KL_BUF_INIT, body = KL_BUF_INIT, tags = KL_BUF_INIT;
	struct kl_fm fm;
	struct kl_err ignored;
	int rc = 0;

	*docid = 0;
	if (kl_read_file(f->path, &text, 4 << 20, &ignored) < 0 ||
	    kl_fm_parse(kl_buf_str(&text), text.len, &fm, &ignored) < 0)
		goto out;
	const char *title = kl_fm_str(&fm, "title");
	md_plain_text(kl_buf_str(&text) + fm.body_offset, text.len - fm.body_offset, &body);
	if (strcmp(f->kind, "note") == 0) {
		S_fm_words(&fm, "tags", &tags);
		S_fm_words(&fm, "topic", &tags);
	} else {
		S_fm_words(&fm, "topic", &tags);
		S_fm_words(&fm, "difficulty", &tags);
		kl_buf_puts(&tags, f->ref);
	}
	rc = S_put(idx, f->kind, f->ref, title && *title ? title : f->ref, kl_buf_str(&tags),
		   kl_buf_str(&body), docid, err);
	kl_fm_release(&fm);
out:
	kl_buf_release(&text);
	kl_buf_release(&body);
	kl_buf_release(&tags);
	return rc;
}

static int S_exec(struct search_index *idx, const char *sql, struct kl_err *err)
{
	if (sqlite3_exec(idx->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return S_db_err(idx, err, sql);
	return 0;
}

int search_index_sync(struct search_index *idx, const char *root, int *changed,
		      struct kl_err *err)
{
	struct S_files f = { 0 };
	sqlite3_stmt *rows = NULL, *upsert = NULL, *drop = NULL;
	int rc = -1, n = 0;
	size_t i = 0;

	S_scan(root, &f);
	if (S_exec(idx, "BEGIN", err) < 0)
		goto out;
	if (sqlite3_prepare_v2(idx->db, "SELECT path, mtime, size, docid FROM files ORDER BY path",
			       -1, &rows, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(idx->db,
			       "INSERT OR REPLACE INTO files(path, mtime, size, docid)"
			       " VALUES(?, ?, ?, ?)",
			       -1, &upsert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(idx->db, "DELETE FROM files WHERE path=?", -1, &drop, NULL) !=
		    SQLITE_OK) {
		S_db_err(idx, err, "cannot read its file list");
		goto out_rollback;
	}
	/* Merge the sorted scan with the sorted table. Writes to files go to rows
	 * already passed by the cursor or not yet present, so collect them first. */
	struct S_op {
		int what; /* 0 index, 1 drop */
		size_t file;
		char *path;
		long long docid;
	} *ops = NULL;
	size_t nops = 0;
	int st = sqlite3_step(rows);
	while (st == SQLITE_ROW || i < f.n) {
		const char *path = st == SQLITE_ROW ? (const char *)sqlite3_column_text(rows, 0)
						    : NULL;
		int c = !path ? 1 : i >= f.n ? -1 : strcmp(path, f.v[i].path);
		struct S_op op = { 0, 0, NULL, 0 };
		bool add = false;

		if (c < 0) { /* in the index only: gone */
			op.what = 1;
			op.path = kl_strdup(path);
			op.docid = sqlite3_column_int64(rows, 3);
			add = true;
		} else if (c > 0) { /* on disk only: new */
			op.file = i++;
			add = true;
		} else {
			if (sqlite3_column_int64(rows, 1) != f.v[i].mtime ||
			    sqlite3_column_int64(rows, 2) != f.v[i].size) {
				op.file = i;
				add = true;
			}
			i++;
		}
		if (add) {
			struct S_op *v = realloc(ops, (nops + 1) * sizeof(*v));
			if (!v)
				abort();
			ops = v;
			ops[nops++] = op;
		}
		if (c <= 0)
			st = sqlite3_step(rows);
	}
	sqlite3_finalize(rows);
	rows = NULL;
	int failed = 0;
	for (size_t k = 0; k < nops && !failed; k++) {
		struct S_op *op = &ops[k];
		if (op->what == 1) {
			if (op->docid && S_delete(idx, op->docid, err) < 0)
				failed = 1;
			sqlite3_bind_text(drop, 1, op->path, -1, SQLITE_STATIC);
			if (!failed && sqlite3_step(drop) != SQLITE_DONE)
				failed = S_db_err(idx, err, "cannot drop a file") < 0;
			S_reset(drop);
		} else {
			const struct S_file *file = &f.v[op->file];
			long long docid;
			if (S_index_file(idx, file, &docid, err) < 0) {
				failed = 1;
				break;
			}
			if (!docid) { /* skipped: drop any older version of it */
				sqlite3_bind_text(idx->find_ref, 1, file->kind, -1, SQLITE_STATIC);
				sqlite3_bind_text(idx->find_ref, 2, file->ref, -1, SQLITE_STATIC);
				long long old = 0;
				if (sqlite3_step(idx->find_ref) == SQLITE_ROW)
					old = sqlite3_column_int64(idx->find_ref, 0);
				S_reset(idx->find_ref);
				if (old && S_delete(idx, old, err) < 0) {
					failed = 1;
					break;
				}
			}
			sqlite3_bind_text(upsert, 1, file->path, -1, SQLITE_STATIC);
			sqlite3_bind_int64(upsert, 2, file->mtime);
			sqlite3_bind_int64(upsert, 3, file->size);
			if (docid)
				sqlite3_bind_int64(upsert, 4, docid);
			else
				sqlite3_bind_null(upsert, 4);
			if (sqlite3_step(upsert) != SQLITE_DONE)
				failed = S_db_err(idx, err, "cannot record a file") < 0;
			S_reset(upsert);
		}
		n++;
	}
	for (size_t k = 0; k < nops; k++)
		free(ops[k].path);
	free(ops);
	if (failed)
		goto out_rollback;
	if (S_exec(idx, "COMMIT", err) < 0)
		goto out_rollback;
	if (changed)
		*changed = n;
	rc = 0;
	goto out;
out_rollback:
	sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
out:
	sqlite3_finalize(rows);
	sqlite3_finalize(upsert);
	sqlite3_finalize(drop);
	S_files_free(&f);
	return rc;
}

/* ---------------------------------------------------------------- queries */

static bool S_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c >= 0x80;
}

static bool S_blank(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

#define S_MAX_TEXT 512
#define S_MAX_WORDS 32

int search_query_build(const char *text, struct kl_buf *out)
{
	size_t len = strnlen(text, S_MAX_TEXT);
	int kept = 0;
	size_t i = 0;

	while (i < len && kept < S_MAX_WORDS) {
		while (i < len && S_blank((unsigned char)text[i]))
			i++;
		size_t start = i;
		bool has_word = false;
		while (i < len && !S_blank((unsigned char)text[i]))
			has_word |= S_word_byte((unsigned char)text[i++]);
		if (i == start || !has_word)
			continue;
		if (kept++)
			kl_buf_putc(out, ' ');
		kl_buf_putc(out, '"');
		for (size_t k = start; k < i; k++) {
			if (text[k] == '"')
				kl_buf_putc(out, '"');
			kl_buf_putc(out, text[k]);
		}
		kl_buf_putc(out, '"');
		/* Type-ahead: the word being typed is a prefix. */
		if (i == len && S_word_byte((unsigned char)text[i - 1]))
			kl_buf_putc(out, '*');
	}
	return kept;
}

static char *S_col(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	return kl_strdup(v ? (const char *)v : "");
}

/* A short, printable copy of what was typed, for messages. */
static char *S_quote_text(const char *text)
{
	struct kl_buf b = KL_BUF_INIT;
	size_t n = strnlen(text, 60);

	for (size_t i = 0; i < n; i++)
		kl_buf_putc(&b, S_blank((unsigned char)text[i]) ? ' ' : text[i]);
	while (b.len && b.ptr[b.len - 1] == ' ')
		kl_buf_truncate(&b, b.len - 1);
	if (text[n])
		kl_buf_puts(&b, "…");
	return kl_buf_detach(&b);
}

int search_run(struct search_index *idx, const char *text, int limit,
	       struct search_result *r, struct kl_err *err)
{
	struct kl_buf q = KL_BUF_INIT;
	sqlite3_stmt *st = idx->query;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (!text)
		text = "";
	int words = search_query_build(text, &q);
	r->fts = kl_buf_detach(&q);
	if (words == 0) {
		const char *p = text;
		while (*p && S_blank((unsigned char)*p))
			p++;
		if (!*p) {
			r->message = kl_strdup("Type a word to search the notes and labs, for example "
					       "spin_lock or kmalloc.");
		} else {
			char *shown = S_quote_text(p);
			r->message = kl_sprintf("“%s” has no letters or digits to search for. Try a "
						"word such as spin_lock.", shown);
			free(shown);
		}
		return 0;
	}
	/* One statement: measured against ranking first and fetching snippets for
	 * the kept rows only, it was as fast or faster (bm25 over every match is
	 * the cost, not the snippets). */
	sqlite3_bind_text(st, 1, r->fts, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit > 0 ? limit : 20);
	int s;
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct search_hit *v = realloc(r->hits, (r->nhits + 1) * sizeof(*v));
		if (!v)
			abort();
		r->hits = v;
		struct search_hit *h = &v[r->nhits++];
		h->kind = S_col(st, 0);
		h->id = S_col(st, 1);
		h->title = S_col(st, 2);
		h->snippet = S_col(st, 3);
		h->rank = sqlite3_column_double(st, 4);
	}
	if (s != SQLITE_DONE) {
		/* Quoting makes every query valid; say so rather than fail if one is not. */
		char *shown = S_quote_text(text);
		r->message = kl_sprintf("Could not search for “%s”: %s", shown,
					sqlite3_errmsg(idx->db));
		free(shown);
	}
	S_reset(st);
	(void)err;
	return rc;
}

void search_result_release(struct search_result *r)
{
	for (size_t i = 0; i < r->nhits; i++) {
		free(r->hits[i].kind);
		free(r->hits[i].id);
		free(r->hits[i].title);
		free(r->hits[i].snippet);
	}
	free(r->hits);
	free(r->fts);
	free(r->message);
	memset(r, 0, sizeof(*r));
}

void search_mark(const char *s, enum search_mark_style style, struct kl_buf *out)
{
	static const char *const on[] = { "<mark>", "\033[1;4m", "" };
	static const char *const off[] = { "</mark>", "\033[0m", "" };
	bool open = false;
	const char *run = s; /* start of the text not yet appended */

	for (const char *p = s;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != 0x7f)
			continue;
		/* A control byte (or the end): append the run of text before it. */
		if (style == SEARCH_MARK_HTML)
			kl_buf_add_html(out, run, (size_t)(p - run));
		else
			kl_buf_add(out, run, (size_t)(p - run));
		run = p + 1;
		if (c == 0)
			break;
		if (c == (unsigned char)SEARCH_MARK_ON && !open) {
			kl_buf_puts(out, on[style]);
			open = true;
		} else if (c == (unsigned char)SEARCH_MARK_OFF && open) {
			kl_buf_puts(out, off[style]);
			open = false;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			kl_buf_putc(out, ' ');
		} /* other control bytes are dropped */
	}
	if (open)
		kl_buf_puts(out, off[style]);
}
