/*
 * search.c - the FTS5 index of notes and labs (and the learner's own notes, kind
 * "mine") and its queries (see search.h).
 *
 * Tables: docs (FTS5, one row a section: title, heading, tags, body; kind, ref
 * and anchor unindexed), refs (docid <-> kind, ref) and files (path, mtime,
 * size -> docid) so that a sync re-reads only the files that changed.
 *
 * A section's rowid is docid * S_SECTIONS + its number, and docids are handed
 * out in study order (notes before labs, then the front matter's `order`), so
 * rowid order is a precomputed rank. A query ranks (klab_rank, bm25 without
 * its document counts: search_rank.h) only the first
 * S_WINDOW matching sections in that order, plus the first S_WINDOW whose
 * title, heading or tags match, instead of every match: FTS5 walks its lists in
 * rowid order, so finding where the window ends costs a few microseconds, while
 * bm25 over every match of a common word of 10,000 notes cost 10-20 ms
 * (tests/bench/search-plans has the figures of each plan tried).
 */
#include "core/search.h"

#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/catalog.h"
#include "core/content.h"
#include "core/frontmatter.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/markdown.h"
#include "core/mynotes.h"
#include "core/search_rank.h"

#define S_SECTIONS 64   /* sections a document at most; rowid = docid * S_SECTIONS + n */
#define S_WINDOW 128    /* sections ranked per pass of a query */
#define S_COMPLETIONS 16 /* terms a prefix of S_PREFIX_MIN bytes or more stands for */
#define S_PREFIX_MIN 4    /* shorter prefixes have their own FTS5 index (prefix='2 3') */
#define S_BULK 200        /* a sync that touches this many files rebuilds terms at once */
#define S_STR_(x) #x
#define S_STR(x) S_STR_(x)
#define S_VERSION 4     /* PRAGMA user_version of an index file; another one is rebuilt */

struct search_index {
	sqlite3 *db;
	sqlite3_stmt *find_ref;   /* docid of (kind, ref) */
	sqlite3_stmt *add_ref;    /* new (docid, kind, ref) */
	sqlite3_stmt *set_fm;     /* a document's front matter text */
	sqlite3_stmt *del_doc;    /* docs rows of a docid */
	sqlite3_stmt *add_doc;    /* docs row */
	sqlite3_stmt *del_ref;    /* refs row by docid */
	sqlite3_stmt *cut;        /* rowid of the S_WINDOW-th match */
	sqlite3_stmt *rank;       /* bm25 of the matches up to a rowid */
	sqlite3_stmt *show;       /* title, heading and snippet of one section */
	sqlite3_stmt *add_term;   /* a term seen in a document (terms: type-ahead) */
	sqlite3_stmt *complete;   /* the commonest terms that start with a prefix */
	bool bulk;                /* in a large sync: terms are rebuilt at its end */
	char *mine;               /* the learner's notes folder, NULL: none */
};

static const char S_schema[] =
	"CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(title, heading, tags, body,"
	" kind UNINDEXED, ref UNINDEXED, anchor UNINDEXED,"
	" tokenize=\"unicode61 tokenchars '_'\", prefix='2 3');"
	"CREATE TABLE IF NOT EXISTS refs(docid INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
	" ref TEXT NOT NULL, fm TEXT, UNIQUE(kind, ref));"
	"CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, mtime INTEGER NOT NULL,"
	" size INTEGER NOT NULL, docid INTEGER, kind TEXT, ref TEXT);"
	"CREATE TABLE IF NOT EXISTS terms(term TEXT PRIMARY KEY, docs INTEGER NOT NULL)"
	" WITHOUT ROWID;"
	"CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab USING fts5vocab(main, docs, 'row');";

static int S_db_err(struct search_index *idx, struct kl_err *err, const char *what)
{
	return kl_err_set(err, "search index: %s: %s", what, sqlite3_errmsg(idx->db));
}

static int S_prepare(struct search_index *idx, struct kl_err *err)
{
	static const struct {
		size_t off;
		const char *sql;
	} st[] = {
		{ offsetof(struct search_index, find_ref),
		  "SELECT docid FROM refs WHERE kind=? AND ref=?" },
		{ offsetof(struct search_index, add_ref),
		  "INSERT INTO refs(docid, kind, ref) VALUES(?, ?, ?)" },
		{ offsetof(struct search_index, set_fm), "UPDATE refs SET fm=?2 WHERE docid=?1" },
		{ offsetof(struct search_index, del_doc),
		  "DELETE FROM docs WHERE rowid >= ?1 * " S_STR(S_SECTIONS)
		  " AND rowid < (?1 + 1) * " S_STR(S_SECTIONS) },
		{ offsetof(struct search_index, del_ref), "DELETE FROM refs WHERE docid=?" },
		{ offsetof(struct search_index, add_doc),
		  "INSERT INTO docs(rowid, title, heading, tags, body, kind, ref, anchor)"
		  " VALUES(?, ?, ?, ?, ?, ?, ?, ?)" },
		{ offsetof(struct search_index, cut),
		  "SELECT rowid FROM docs WHERE docs MATCH ?1 ORDER BY rowid LIMIT 1 OFFSET ?2" },
		{ offsetof(struct search_index, rank),
		  "SELECT rowid, klab_rank(docs, 10.0, 5.0, 4.0, 1.0) AS r FROM docs"
		  " WHERE docs MATCH ?1 AND rowid <= ?2 ORDER BY r LIMIT ?3" },
		{ offsetof(struct search_index, show),
		  "SELECT kind, ref, anchor, highlight(docs, 0, char(1), char(2)),"
		  " highlight(docs, 1, char(1), char(2)),"
		  " snippet(docs, 3, char(1), char(2), '…', 24)"
		  " FROM docs WHERE docs MATCH ?1 AND rowid = ?2" },
		{ offsetof(struct search_index, add_term),
		  "INSERT INTO terms(term, docs) VALUES(?, 1)"
		  " ON CONFLICT(term) DO UPDATE SET docs = docs + 1" },
		{ offsetof(struct search_index, complete),
		  "SELECT term FROM terms WHERE term >= ?1 AND term < ?2"
		  " ORDER BY docs DESC LIMIT " S_STR(S_COMPLETIONS) },
	};

	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		sqlite3_stmt **slot = (sqlite3_stmt **)((char *)idx + st[i].off);
		if (sqlite3_prepare_v3(idx->db, st[i].sql, -1, SQLITE_PREPARE_PERSISTENT, slot,
				       NULL) != SQLITE_OK)
			return S_db_err(idx, err, "cannot prepare its statements");
	}
	return 0;
}

/* Opens path (":memory:" for none) and makes sure it holds an index of S_VERSION. */
static int S_open_db(struct search_index *idx, const char *path, struct kl_err *err)
{
	sqlite3_stmt *st = NULL;
	char *msg = NULL;
	int version = -1;
	bool file = strcmp(path, ":memory:") != 0;

	if (sqlite3_open_v2(path, &idx->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return kl_err_set(err, "search index: cannot open %s: %s", path,
				  idx->db ? sqlite3_errmsg(idx->db) : "out of memory");
	sqlite3_busy_timeout(idx->db, 10000);
	if (sqlite3_prepare_v2(idx->db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (file && version != 0 && version != S_VERSION)
		return kl_err_set(err, "search index: %s is of another klab (version %d)", path,
				  version);
	if (search_rank_register(idx->db) != SQLITE_OK)
		return kl_err_set(err, "search index: cannot add its ranking to SQLite's FTS5: %s",
				  sqlite3_errmsg(idx->db));
	if (file && sqlite3_exec(idx->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
				 NULL, NULL, &msg) != SQLITE_OK)
		goto out_msg;
	if (sqlite3_exec(idx->db, S_schema, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(idx->db, "PRAGMA user_version=4", NULL, NULL, &msg) != SQLITE_OK)
		goto out_msg;
	return S_prepare(idx, err);
out_msg:
	kl_err_set(err, "search index: cannot create %s: %s (SQLite needs FTS5)", path,
		   msg ? msg : "unknown error");
	sqlite3_free(msg);
	return -1;
}

int search_index_open(struct search_index **out, struct kl_err *err)
{
	return search_index_open_file(NULL, out, err);
}

int search_index_open_file(const char *path, struct search_index **out, struct kl_err *err)
{
	struct search_index *idx = calloc(1, sizeof(*idx));

	*out = NULL;
	if (!idx)
		abort();
	if (S_open_db(idx, path ? path : ":memory:", err) < 0 && path) {
		/* A damaged or older index is only a cache: start it again. */
		search_index_close(idx);
		idx = calloc(1, sizeof(*idx));
		if (!idx)
			abort();
		const char *sfx[] = { "", "-wal", "-shm" };
		for (size_t i = 0; i < 3; i++) {
			char *f = kl_sprintf("%s%s", path, sfx[i]);
			if (unlink(f) < 0 && errno != ENOENT) {
				kl_err_errno(err, "search index: cannot remove %s", f);
				free(f);
				goto out_close;
			}
			free(f);
		}
		if (S_open_db(idx, path, err) < 0)
			goto out_close;
	} else if (!idx->db || !idx->show) {
		goto out_close;
	}
	*out = idx;
	return 0;
out_close:
	search_index_close(idx);
	return -1;
}

char *search_index_path(const char *cache, const char *root, const char *mine)
{
	char real[PATH_MAX];
	const char *r = realpath(root, real) ? real : root;
	uint64_t h = kl_hash_str(KL_HASH_INIT, r);

	if (mine)
		h = kl_hash_str(h, mine);
	return kl_sprintf("%s/search/%016llx.db", cache, (unsigned long long)h);
}

void search_index_close(struct search_index *idx)
{
	if (!idx)
		return;
	sqlite3_finalize(idx->find_ref);
	sqlite3_finalize(idx->add_ref);
	sqlite3_finalize(idx->set_fm);
	sqlite3_finalize(idx->del_doc);
	sqlite3_finalize(idx->del_ref);
	sqlite3_finalize(idx->add_doc);
	sqlite3_finalize(idx->cut);
	sqlite3_finalize(idx->rank);
	sqlite3_finalize(idx->show);
	sqlite3_finalize(idx->add_term);
	sqlite3_finalize(idx->complete);
	sqlite3_close(idx->db);
	free(idx->mine);
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

/* Runs st (bound) to its end; 0, or -1 with err saying what failed. */
static int S_step(struct search_index *idx, sqlite3_stmt *st, const char *what,
		  struct kl_err *err)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : S_db_err(idx, err, what);

	S_reset(st);
	return rc;
}

/* Deletes the sections of docid, and with ref set its refs row too. */
static int S_delete(struct search_index *idx, long long docid, bool ref, struct kl_err *err)
{
	sqlite3_bind_int64(idx->del_doc, 1, docid);
	if (S_step(idx, idx->del_doc, "cannot remove a document", err) < 0)
		return -1;
	if (!ref)
		return 0;
	sqlite3_bind_int64(idx->del_ref, 1, docid);
	return S_step(idx, idx->del_ref, "cannot remove a document", err);
}

/* The docid of (kind, ref); 0 when it has none. */
static long long S_find(struct search_index *idx, const char *kind, const char *ref)
{
	long long docid = 0;

	sqlite3_bind_text(idx->find_ref, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(idx->find_ref, 2, ref, -1, SQLITE_STATIC);
	if (sqlite3_step(idx->find_ref) == SQLITE_ROW)
		docid = sqlite3_column_int64(idx->find_ref, 0);
	S_reset(idx->find_ref);
	return docid;
}

static bool S_word_byte(unsigned char c);

static int S_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Counts each distinct word of texts once in terms, as FTS5's tokenizer cuts
 * them (letters, digits, '_' and non-ASCII bytes; ASCII folded to lower case).
 * A replaced document's old words keep their counts: terms only guide type-ahead.
 */
static int S_terms_add(struct search_index *idx, const char *const *texts, size_t n,
		       struct kl_err *err)
{
	char **w = NULL;
	size_t nw = 0, cap = 0;
	int rc = 0;

	for (size_t t = 0; t < n; t++) {
		for (const char *p = texts[t]; p && *p;) {
			while (*p && !S_word_byte((unsigned char)*p))
				p++;
			const char *start = p;
			while (*p && S_word_byte((unsigned char)*p))
				p++;
			if (p == start || p - start > 64)
				continue;
			if (nw == cap) {
				cap = cap ? 2 * cap : 256;
				w = realloc(w, cap * sizeof(*w));
				if (!w)
					abort();
			}
			char *word = strndup(start, (size_t)(p - start));
			if (!word)
				abort();
			for (char *c = word; *c; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c - 'A' + 'a');
			w[nw++] = word;
		}
	}
	if (nw)
		qsort(w, nw, sizeof(*w), S_cmp_str);
	for (size_t i = 0; i < nw && rc == 0; i++) {
		if (i && strcmp(w[i], w[i - 1]) == 0)
			continue;
		sqlite3_bind_text(idx->add_term, 1, w[i], -1, SQLITE_STATIC);
		rc = S_step(idx, idx->add_term, "cannot record a word", err);
	}
	for (size_t i = 0; i < nw; i++)
		free(w[i]);
	free(w);
	return rc;
}

/* What one document is made of, ready to be written. */
struct S_doc {
	const char *kind, *ref, *title, *tags;
	const char *fm;         /* its front matter text (NULL: none), kept for the catalog */
	size_t fmlen;
	struct md_section *sec; /* at most S_SECTIONS */
	size_t nsec;
};

/*
 * Writes d: under its docid when (kind, ref) has one (its old sections go),
 * else under a new docid after every other (it ranks last). *docid gets it.
 */
static int S_write(struct search_index *idx, const struct S_doc *d, long long *docid,
		   struct kl_err *err)
{
	char *t = S_clean(d->title), *g = S_clean(d->tags);
	int rc = -1;

	*docid = S_find(idx, d->kind, d->ref);
	if (*docid) {
		if (S_delete(idx, *docid, false, err) < 0)
			goto out;
	} else {
		sqlite3_bind_null(idx->add_ref, 1);
		sqlite3_bind_text(idx->add_ref, 2, d->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(idx->add_ref, 3, d->ref, -1, SQLITE_STATIC);
		if (S_step(idx, idx->add_ref, "cannot add a document", err) < 0)
			goto out;
		*docid = sqlite3_last_insert_rowid(idx->db);
	}
	sqlite3_bind_int64(idx->set_fm, 1, *docid);
	if (d->fm)
		sqlite3_bind_text(idx->set_fm, 2, d->fm, (int)d->fmlen, SQLITE_STATIC);
	if (S_step(idx, idx->set_fm, "cannot record a front matter", err) < 0)
		goto out;
	for (size_t i = 0; i < d->nsec; i++) {
		const struct md_section *sec = &d->sec[i];
		const char *text = kl_buf_str(&sec->text);
		/* an empty lead (the text before the first heading) would only repeat the title */
		if (i == 0 && d->nsec > 1 && text[strspn(text, " \t\r\n")] == '\0')
			continue;
		char *h = S_clean(sec->heading), *b = S_clean(text);
		sqlite3_bind_int64(idx->add_doc, 1, *docid * S_SECTIONS + (long long)i);
		sqlite3_bind_text(idx->add_doc, 2, t, -1, SQLITE_STATIC);
		sqlite3_bind_text(idx->add_doc, 3, h, -1, SQLITE_STATIC);
		sqlite3_bind_text(idx->add_doc, 4, g, -1, SQLITE_STATIC);
		sqlite3_bind_text(idx->add_doc, 5, b, -1, SQLITE_STATIC);
		sqlite3_bind_text(idx->add_doc, 6, d->kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(idx->add_doc, 7, d->ref, -1, SQLITE_STATIC);
		sqlite3_bind_text(idx->add_doc, 8, sec->id ? sec->id : "", -1, SQLITE_STATIC);
		int st = S_step(idx, idx->add_doc, "cannot index a document", err);
		free(h);
		free(b);
		if (st < 0)
			goto out;
	}
	if (!idx->bulk) {
		const char **texts = calloc(2 + 2 * d->nsec, sizeof(*texts));
		size_t n = 0;
		if (!texts)
			abort();
		texts[n++] = t;
		texts[n++] = g;
		for (size_t i = 0; i < d->nsec; i++) {
			texts[n++] = d->sec[i].heading;
			texts[n++] = kl_buf_str(&d->sec[i].text);
		}
		int st = S_terms_add(idx, texts, n, err);
		free(texts);
		if (st < 0)
			goto out;
	}
	rc = 0;
out:
	free(t);
	free(g);
	return rc;
}

int search_index_put(struct search_index *idx, const char *kind, const char *id,
		     const char *title, const char *tags, const char *body, struct kl_err *err)
{
	struct md_section sec = { NULL, NULL, KL_BUF_INIT };
	struct S_doc d = { kind, id, title, tags, NULL, 0, &sec, 1 };
	long long docid;

	kl_buf_puts(&sec.text, body ? body : "");
	int rc = S_write(idx, &d, &docid, err);
	kl_buf_release(&sec.text);
	return rc;
}

/* ---------------------------------------------------------------- sync */

struct S_file {
	char *path;     /* absolute */
	const struct search_source *src;
	size_t nsrc;    /* the source's place in the list: its rank */
	char *ref;
	long long mtime, size;
	long order;     /* front matter `order` (new files only, for their rank) */
};

struct S_files {
	struct S_file *v;
	size_t n;
};

static void S_files_add(struct S_files *f, char *path, const struct search_source *src,
			size_t nsrc, const char *ref)
{
	struct stat sb;
	int shadowed = 0; /* an earlier content folder has it */

	for (size_t i = 0; i < f->n && !shadowed; i++)
		shadowed = strcmp(f->v[i].src->kind, src->kind) == 0 && strcmp(f->v[i].ref, ref) == 0;
	if (shadowed || stat(path, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		free(path);
		return;
	}
	struct S_file *v = realloc(f->v, (f->n + 1) * sizeof(*v));
	if (!v)
		abort();
	f->v = v;
	v[f->n].path = path;
	v[f->n].src = src;
	v[f->n].nsrc = nsrc;
	v[f->n].ref = kl_strdup(ref);
	v[f->n].mtime = (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
	v[f->n].size = (long long)sb.st_size;
	v[f->n].order = 0;
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

void search_index_set_mine(struct search_index *idx, const char *dir)
{
	free(idx->mine);
	idx->mine = dir ? kl_strdup(dir) : NULL;
}

/* Lists the files of source number k into f. */
static void S_scan_source(const struct search_source *src, size_t k, struct S_files *f)
{
	DIR *d = opendir(src->dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (src->layout == SEARCH_README_DIRS) {
			if (kl_valid_id(de->d_name))
				S_files_add(f, kl_sprintf("%s/%s/README.md", src->dir, de->d_name),
					    src, k, de->d_name);
			continue;
		}
		if (len < 4 || strcmp(de->d_name + len - 3, ".md") != 0)
			continue;
		char *id = strndup(de->d_name, len - 3);
		if (!id)
			abort();
		if (src->layout == SEARCH_MINE_FILES ? mynotes_name_ok(id) : kl_valid_id(id))
			S_files_add(f, kl_path_join(src->dir, de->d_name), src, k, id);
		free(id);
	}
	if (d)
		closedir(d);
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

/* One of the learner's notes: front matter optional (core/mynotes.h), tags from `tags`. */
static int S_index_mine(struct search_index *idx, const struct S_file *f, long long *docid,
			struct kl_err *err)
{
	struct kl_buf text = KL_BUF_INIT, tags = KL_BUF_INIT;
	struct mynotes_doc doc;
	struct kl_err ignored;
	struct S_doc d = { f->src->kind, f->ref, NULL, NULL, NULL, 0, NULL, 0 };
	int rc = 0;

	*docid = 0;
	if (kl_read_file(f->path, &text, 4 << 20, &ignored) < 0)
		goto out;
	mynotes_doc_parse(kl_buf_str(&text), text.len, f->ref, &doc);
	md_sections(kl_buf_str(&text) + doc.body_offset, text.len - doc.body_offset, MD_DROP_TITLE,
		    S_SECTIONS, &d.sec, &d.nsec);
	for (size_t i = 0; i < doc.ntags; i++)
		kl_buf_printf(&tags, "%s ", doc.tags[i]);
	d.title = doc.title;
	d.tags = kl_buf_str(&tags);
	rc = S_write(idx, &d, docid, err);
	md_sections_free(d.sec, d.nsec);
	mynotes_doc_release(&doc);
out:
	kl_buf_release(&text);
	kl_buf_release(&tags);
	return rc;
}

/* Reads and indexes one file; *docid = 0 when it was skipped (unreadable front matter). */
static int S_index_file(struct search_index *idx, const struct S_file *f, long long *docid,
			struct kl_err *err)
{
	struct kl_buf text = KL_BUF_INIT, tags = KL_BUF_INIT;
	struct kl_fm fm;
	struct kl_err ignored;
	struct S_doc d = { f->src->kind, f->ref, NULL, NULL, NULL, 0, NULL, 0 };
	int rc = 0;

	*docid = 0;
	if (f->src->layout == SEARCH_MINE_FILES) {
		rc = S_index_mine(idx, f, docid, err);
		goto out;
	}
	if (kl_read_file(f->path, &text, 4 << 20, &ignored) < 0 ||
	    kl_fm_parse(kl_buf_str(&text), text.len, &fm, &ignored) < 0)
		goto out;
	const char *title = kl_fm_str(&fm, "title");
	md_sections(kl_buf_str(&text) + fm.body_offset, text.len - fm.body_offset, MD_DROP_TITLE,
		    S_SECTIONS, &d.sec, &d.nsec);
	if (f->src->layout == SEARCH_MD_FILES) {
		S_fm_words(&fm, "tags", &tags);
		S_fm_words(&fm, "topic", &tags);
	} else {
		S_fm_words(&fm, "topic", &tags);
		S_fm_words(&fm, "difficulty", &tags);
		kl_buf_puts(&tags, f->ref);
	}
	d.title = title && *title ? title : f->ref;
	d.fm = kl_buf_str(&text);
	d.fmlen = fm.body_offset;
	d.tags = kl_buf_str(&tags);
	rc = S_write(idx, &d, docid, err);
	md_sections_free(d.sec, d.nsec);
	kl_fm_release(&fm);
out:
	kl_buf_release(&text);
	kl_buf_release(&tags);
	return rc;
}

static int S_exec(struct search_index *idx, const char *sql, struct kl_err *err)
{
	if (sqlite3_exec(idx->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return S_db_err(idx, err, sql);
	return 0;
}

/* What a sync does to one file. */
struct S_op {
	bool drop;        /* in the index only: gone from disk */
	bool is_new;      /* on disk only */
	size_t file;      /* in the scan, unless drop */
	char *path;       /* of a dropped file */
	long long docid;  /* of a dropped file */
};

struct S_ops {
	struct S_op *v;
	size_t n;
};

static void S_ops_add(struct S_ops *o, struct S_op op)
{
	struct S_op *v = realloc(o->v, (o->n + 1) * sizeof(*v));

	if (!v)
		abort();
	o->v = v;
	v[o->n++] = op;
}

static void S_ops_free(struct S_ops *o)
{
	for (size_t k = 0; k < o->n; k++)
		free(o->v[k].path);
	free(o->v);
}

/* Merges the sorted scan f with the sorted files table into ops. */
static int S_plan(struct search_index *idx, const struct S_files *f, struct S_ops *ops,
		  struct kl_err *err)
{
	sqlite3_stmt *rows = NULL;
	size_t i = 0;

	if (sqlite3_prepare_v2(idx->db, "SELECT path, mtime, size, docid FROM files ORDER BY path",
			       -1, &rows, NULL) != SQLITE_OK)
		return S_db_err(idx, err, "cannot read its file list");
	int st = sqlite3_step(rows);
	while (st == SQLITE_ROW || i < f->n) {
		const char *path = st == SQLITE_ROW ? (const char *)sqlite3_column_text(rows, 0)
						    : NULL;
		int c = !path ? 1 : i >= f->n ? -1 : strcmp(path, f->v[i].path);
		struct S_op op = { false, false, 0, NULL, 0 };

		if (c < 0) {
			op.drop = true;
			op.path = kl_strdup(path);
			op.docid = sqlite3_column_int64(rows, 3);
			S_ops_add(ops, op);
		} else if (c > 0) {
			op.is_new = true;
			op.file = i++;
			S_ops_add(ops, op);
		} else {
			if (sqlite3_column_int64(rows, 1) != f->v[i].mtime ||
			    sqlite3_column_int64(rows, 2) != f->v[i].size) {
				op.file = i;
				S_ops_add(ops, op);
			}
			i++;
		}
		if (c <= 0)
			st = sqlite3_step(rows);
	}
	sqlite3_finalize(rows);
	return 0;
}

/* qsort_r: new files last, in rank order: by source, front matter `order`, then id. */
static int S_cmp_op(const void *a, const void *b, void *files)
{
	const struct S_op *x = a, *y = b;
	const struct S_files *f = files;

	if (x->is_new != y->is_new)
		return x->is_new ? 1 : -1;
	if (!x->is_new)
		return 0;
	const struct S_file *fx = &f->v[x->file], *fy = &f->v[y->file];
	if (fx->nsrc != fy->nsrc)
		return fx->nsrc < fy->nsrc ? -1 : 1;
	if (fx->order != fy->order)
		return fx->order < fy->order ? -1 : 1;
	return strcmp(fx->ref, fy->ref);
}

/* Reads the front matter `order` of each new file, for its rank. */
static void S_read_orders(struct S_files *f, const struct S_ops *ops)
{
	struct kl_buf text = KL_BUF_INIT;
	struct kl_err ignored;
	struct kl_fm fm;

	for (size_t k = 0; k < ops->n; k++) {
		struct S_file *file = &f->v[ops->v[k].file];
		if (!ops->v[k].is_new)
			continue;
		kl_buf_reset(&text);
		if (kl_read_file(file->path, &text, 4 << 20, &ignored) < 0 ||
		    kl_fm_parse(kl_buf_str(&text), text.len, &fm, &ignored) < 0)
			continue;
		const char *order = kl_fm_str(&fm, "order");
		file->order = order ? strtol(order, NULL, 10) : 0;
		kl_fm_release(&fm);
	}
	kl_buf_release(&text);
}

/* Does one planned operation: indexes a file, or drops one. */
static int S_apply(struct search_index *idx, const struct S_files *f, const struct S_op *op,
		   sqlite3_stmt *upsert, sqlite3_stmt *drop, struct kl_err *err)
{
	long long docid;

	if (op->drop) {
		if (op->docid && S_delete(idx, op->docid, true, err) < 0)
			return -1;
		sqlite3_bind_text(drop, 1, op->path, -1, SQLITE_STATIC);
		return S_step(idx, drop, "cannot drop a file", err);
	}
	const struct S_file *file = &f->v[op->file];
	if (S_index_file(idx, file, &docid, err) < 0)
		return -1;
	if (!docid) { /* skipped: drop any older version of it */
		long long old = S_find(idx, file->src->kind, file->ref);
		if (old && S_delete(idx, old, true, err) < 0)
			return -1;
	}
	sqlite3_bind_text(upsert, 1, file->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(upsert, 2, file->mtime);
	sqlite3_bind_int64(upsert, 3, file->size);
	sqlite3_bind_text(upsert, 5, file->src->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(upsert, 6, file->ref, -1, SQLITE_STATIC);
	if (docid)
		sqlite3_bind_int64(upsert, 4, docid);
	else
		sqlite3_bind_null(upsert, 4);
	return S_step(idx, upsert, "cannot record a file", err);
}

int search_index_sync_sources(struct search_index *idx, const struct search_source *src,
			      size_t nsrc, int *changed, struct kl_err *err)
{
	struct S_files f = { 0 };
	struct S_ops ops = { 0 };
	sqlite3_stmt *upsert = NULL, *drop = NULL;
	int rc = -1;

	for (size_t k = 0; k < nsrc; k++)
		S_scan_source(&src[k], k, &f);
	if (f.n)
		qsort(f.v, f.n, sizeof(*f.v), S_cmp_file);
	if (S_exec(idx, "BEGIN", err) < 0)
		goto out;
	if (sqlite3_prepare_v2(idx->db,
			       "INSERT OR REPLACE INTO files(path, mtime, size, docid, kind, ref)"
			       " VALUES(?, ?, ?, ?, ?, ?)",
			       -1, &upsert, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(idx->db, "DELETE FROM files WHERE path=?", -1, &drop, NULL) !=
		    SQLITE_OK) {
		S_db_err(idx, err, "cannot read its file list");
		goto out_rollback;
	}
	/* Writes to files go to rows the plan's cursor passed: plan first, then apply. */
	if (S_plan(idx, &f, &ops, err) < 0)
		goto out_rollback;
	/*
	 * Replacing a document costs FTS5 a read of its old text to take its words
	 * out: when most of the index changed (another checkout, a new generator
	 * run), starting it again is several times faster.
	 */
	size_t replaced = 0;
	for (size_t k = 0; k < ops.n; k++)
		replaced += !ops.v[k].drop && !ops.v[k].is_new;
	if (replaced >= S_BULK && replaced * 2 > f.n) {
		S_ops_free(&ops);
		memset(&ops, 0, sizeof(ops));
		if (S_exec(idx, "DROP TABLE docs; DELETE FROM refs; DELETE FROM files;"
				" DELETE FROM terms", err) < 0 ||
		    S_exec(idx, S_schema, err) < 0 || S_plan(idx, &f, &ops, err) < 0)
			goto out_rollback;
	}
	S_read_orders(&f, &ops);
	if (ops.n)
		qsort_r(ops.v, ops.n, sizeof(*ops.v), S_cmp_op, &f);
	idx->bulk = ops.n >= S_BULK;
	for (size_t k = 0; k < ops.n; k++)
		if (S_apply(idx, &f, &ops.v[k], upsert, drop, err) < 0)
			goto out_rollback;
	/* After many changes: one b-tree per index (queries walk fewer segments), and
	 * the words of the type-ahead counted again from the index itself. */
	if (idx->bulk &&
	    (S_exec(idx, "INSERT INTO docs(docs) VALUES('optimize')", err) < 0 ||
	     S_exec(idx, "DELETE FROM terms", err) < 0 ||
	     S_exec(idx, "INSERT INTO terms(term, docs) SELECT term, doc FROM temp.vocab", err) < 0))
		goto out_rollback;
	if (S_exec(idx, "COMMIT", err) < 0)
		goto out_rollback;
	if (changed)
		*changed = (int)ops.n;
	rc = 0;
	goto out;
out_rollback:
	sqlite3_exec(idx->db, "ROLLBACK", NULL, NULL, NULL);
out:
	idx->bulk = false;
	sqlite3_finalize(upsert);
	sqlite3_finalize(drop);
	S_ops_free(&ops);
	S_files_free(&f);
	return rc;
}

int search_index_files(struct search_index *idx, const char *kind,
		       void (*fn)(void *ctx, const struct search_file *f), void *ctx,
		       struct kl_err *err)
{
	sqlite3_stmt *st = NULL;
	int s;

	if (sqlite3_prepare_v2(idx->db,
			       "SELECT f.path, f.mtime, f.ref, r.fm FROM files f"
			       " LEFT JOIN refs r ON r.docid = f.docid WHERE f.kind = ?1 ORDER BY f.path",
			       -1, &st, NULL) != SQLITE_OK)
		return S_db_err(idx, err, "cannot list its files");
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct search_file f = {
			(const char *)sqlite3_column_text(st, 2),
			(const char *)sqlite3_column_text(st, 0),
			sqlite3_column_int64(st, 1),
			(const char *)sqlite3_column_text(st, 3),
			(size_t)sqlite3_column_bytes(st, 3),
		};
		if (f.ref && f.path)
			fn(ctx, &f);
	}
	sqlite3_finalize(st);
	return s == SQLITE_DONE ? 0 : S_db_err(idx, err, "cannot list its files");
}

int search_index_sync(struct search_index *idx, const char *content, int *changed,
		      struct kl_err *err)
{
	char **dirs;
	size_t n = kl_content_dirs(content, &dirs), nsrc = 0;
	struct search_source *src = calloc(2 * n + 1, sizeof(*src));

	if (!src)
		abort();
	/* each content folder's notes and labs, first folder first (it wins a clash) */
	for (size_t i = 0; i < n; i++) {
		src[nsrc++] = (struct search_source){ "note", kl_path_join(dirs[i], "notes"),
						      SEARCH_MD_FILES };
		src[nsrc++] = (struct search_source){ "lab", kl_path_join(dirs[i], "labs"),
						      SEARCH_README_DIRS };
	}
	if (idx->mine)
		src[nsrc++] = (struct search_source){ "mine", idx->mine, SEARCH_MINE_FILES };
	int rc = search_index_sync_sources(idx, src, nsrc, changed, err);

	for (size_t i = 0; i < 2 * n; i++)
		free((char *)src[i].dir);
	free(src);
	kl_strv_free(dirs, n);
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

/*
 * fts with its last word, when it is a prefix being typed ("spin_lo"*) of
 * S_PREFIX_MIN bytes or more, turned into the word or its commonest
 * completions ("spin_lo" OR "spin_lock" OR ...): FTS5 has indexes for prefixes of
 * 2 and 3 bytes only, and for a longer one it merges the lists of every term
 * that starts with it before the first row comes out (240 ms for "kernel"*
 * over 10,000 notes); an OR of terms is walked lazily, in rowid order, so the
 * window applies. The caller frees.
 */
static char *S_expand(struct search_index *idx, const char *fts)
{
	size_t len = strlen(fts);
	const char *sp = strrchr(fts, ' ');
	const char *start = sp ? sp + 1 : fts; /* the last word's opening quote */
	size_t wlen = len >= 3 ? len - 2 - (size_t)(start - fts) - 1 : 0;

	if (len < 3 || strcmp(fts + len - 2, "\"*") != 0 || *start != '"' || wlen < S_PREFIX_MIN)
		return kl_strdup(fts);
	char *lo = strndup(start + 1, wlen), *hi = NULL;
	if (!lo)
		abort();
	for (char *c = lo; *c; c++) {
		if (!S_word_byte((unsigned char)*c) || (unsigned char)*c == 0xff) {
			free(lo);
			return kl_strdup(fts);
		}
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	}
	hi = kl_strdup(lo);
	hi[wlen - 1]++;
	struct kl_buf q = KL_BUF_INIT;
	kl_buf_add(&q, fts, (size_t)(start - fts));
	kl_buf_printf(&q, "%s(\"%s\"", start > fts ? "AND " : "", lo);
	sqlite3_bind_text(idx->complete, 1, lo, -1, SQLITE_STATIC);
	sqlite3_bind_text(idx->complete, 2, hi, -1, SQLITE_STATIC);
	while (sqlite3_step(idx->complete) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(idx->complete, 0);
		if (t && strcmp(t, lo) != 0 && !strchr(t, '"'))
			kl_buf_printf(&q, " OR \"%s\"", t);
	}
	S_reset(idx->complete);
	kl_buf_putc(&q, ')');
	free(lo);
	free(hi);
	return kl_buf_detach(&q);
}

/* A ranked section: its rowid and bm25 (lower is better). */
struct S_cand {
	long long rowid;
	double rank;
};

struct S_cands {
	struct S_cand *v;
	size_t n;
};

/*
 * Ranks the matches of fts: the first S_WINDOW sections in rowid order (their
 * precomputed rank) by bm25, into c. Only where fts matches more than that
 * does this cost a second walk; bm25 is never computed past the window.
 */
static int S_rank_window(struct search_index *idx, const char *fts, struct S_cands *c)
{
	long long cut = INT64_MAX;
	int s;

	sqlite3_bind_text(idx->cut, 1, fts, -1, SQLITE_STATIC);
	sqlite3_bind_int(idx->cut, 2, S_WINDOW - 1);
	if ((s = sqlite3_step(idx->cut)) == SQLITE_ROW)
		cut = sqlite3_column_int64(idx->cut, 0);
	S_reset(idx->cut);
	if (s != SQLITE_ROW && s != SQLITE_DONE)
		return -1;
	sqlite3_bind_text(idx->rank, 1, fts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(idx->rank, 2, cut);
	sqlite3_bind_int(idx->rank, 3, S_WINDOW);
	while ((s = sqlite3_step(idx->rank)) == SQLITE_ROW) {
		struct S_cand *v = realloc(c->v, (c->n + 1) * sizeof(*v));
		if (!v)
			abort();
		c->v = v;
		v[c->n].rowid = sqlite3_column_int64(idx->rank, 0);
		v[c->n++].rank = sqlite3_column_double(idx->rank, 1);
	}
	S_reset(idx->rank);
	return s == SQLITE_DONE ? (cut == INT64_MAX ? 0 : 1) : -1;
}

static int S_cmp_cand(const void *a, const void *b)
{
	const struct S_cand *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

/* Adds the hit of section rowid to r (title, heading and snippet marked). */
static int S_show(struct search_index *idx, const char *fts, const struct S_cand *c,
		  struct search_result *r)
{
	sqlite3_stmt *st = idx->show;
	int s;

	sqlite3_bind_text(st, 1, fts, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->rowid);
	if ((s = sqlite3_step(st)) == SQLITE_ROW) {
		struct search_hit *v = realloc(r->hits, (r->nhits + 1) * sizeof(*v));
		if (!v)
			abort();
		r->hits = v;
		struct search_hit *h = &v[r->nhits++];
		h->kind = S_col(st, 0);
		h->id = S_col(st, 1);
		h->anchor = S_col(st, 2);
		h->title = S_col(st, 3);
		h->heading = S_col(st, 4);
		h->snippet = S_col(st, 5);
		h->rank = c->rank;
	}
	S_reset(st);
	return s == SQLITE_ROW || s == SQLITE_DONE ? 0 : -1;
}

/*
 * The top limit documents for fts: the window of all matches, and when it
 * was full, the window of title, heading and tag matches too (so a note named
 * after the words is found wherever it ranks); best section of each document.
 */
static int S_top(struct search_index *idx, const char *fts, size_t skip, int limit,
		 struct search_result *r)
{
	struct S_cands c = { 0 };
	int rc = S_rank_window(idx, fts, &c);

	if (rc == 1) {
		char *named = kl_sprintf("{title heading tags} : (%s)", fts);
		rc = S_rank_window(idx, named, &c);
		free(named);
	}
	if (rc < 0)
		goto out;
	rc = 0;
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), S_cmp_cand);
	for (size_t i = 0; i < c.n && r->nhits < (size_t)limit && rc == 0; i++) {
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = c.v[k].rowid / S_SECTIONS == c.v[i].rowid / S_SECTIONS;
		if (!seen && skip)
			skip--;
		else if (!seen)
			rc = S_show(idx, fts, &c.v[i], r);
	}
out:
	free(c.v);
	return rc;
}

int search_run(struct search_index *idx, const char *text, int limit,
	       struct search_result *r, struct kl_err *err)
{
	return search_run_page(idx, text, 0, limit, r, err);
}

int search_run_page(struct search_index *idx, const char *text, size_t skip, int limit,
		    struct search_result *r, struct kl_err *err)
{
	struct kl_buf q = KL_BUF_INIT;

	(void)err;
	memset(r, 0, sizeof(*r));
	if (!text)
		text = "";
	int words = search_query_build(text, &q);
	r->fts = S_expand(idx, kl_buf_str(&q));
	kl_buf_release(&q);
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
	if (S_top(idx, r->fts, skip, limit > 0 ? limit : 20, r) < 0) {
		/* Quoting makes every query valid; say so rather than fail if one is not. */
		char *shown = S_quote_text(text);
		r->message = kl_sprintf("Could not search for “%s”: %s", shown,
					sqlite3_errmsg(idx->db));
		free(shown);
	}
	return 0;
}

void search_result_release(struct search_result *r)
{
	for (size_t i = 0; i < r->nhits; i++) {
		free(r->hits[i].kind);
		free(r->hits[i].id);
		free(r->hits[i].title);
		free(r->hits[i].snippet);
		free(r->hits[i].anchor);
		free(r->hits[i].heading);
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
