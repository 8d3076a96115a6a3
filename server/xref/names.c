/*
 * names.c - the kernel's names with their kinds (see names.h): a builder (names
 * interned with their kinds beside them) written into the source index's kinds
 * table, keyed by (length, name), and the read side over that table plus an
 * in-memory overlay (a builder) from a built kernel's files.
 */
#include "xref/names.h"

#include <dirent.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/suggest.h"
#include "xref/db.h"
#include "xref/intern.h"
#include "xref/scan.h"

/* ---- the builder ---- */

struct xref_names_builder {
	struct xref_intern names; /* name -> id (1, 2, ...) */
	uint16_t *kinds;          /* kinds[id - 1] */
	size_t kinds_cap;
};

struct xref_names_builder *xref_names_builder_new(void)
{
	struct xref_names_builder *b = calloc(1, sizeof(*b));

	if (!b)
		abort();
	xref_intern_init(&b->names);
	return b;
}

void xref_names_builder_free(struct xref_names_builder *b)
{
	if (!b)
		return;
	xref_intern_release(&b->names);
	free(b->kinds);
	free(b);
}

void xref_names_builder_add(struct xref_names_builder *b, const char *name, size_t len,
			    unsigned kinds)
{
	int added = 0;

	if (len == 0 || len > 255)
		return;
	uint32_t id = xref_intern_add(&b->names, name, len, &added);
	if (id > b->kinds_cap) {
		size_t cap = b->kinds_cap ? b->kinds_cap * 2 : 4096;
		b->kinds = realloc(b->kinds, cap * sizeof(*b->kinds));
		if (!b->kinds)
			abort();
		b->kinds_cap = cap;
	}
	if (added)
		b->kinds[id - 1] = 0;
	b->kinds[id - 1] |= (uint16_t)kinds;
}

unsigned xref_names_builder_get(const struct xref_names_builder *b, const char *name)
{
	uint32_t id = xref_intern_get(&b->names, name, strlen(name));

	return id ? b->kinds[id - 1] : 0;
}

size_t xref_names_builder_count(const struct xref_names_builder *b)
{
	return b->names.count;
}

void xref_names_add_path(struct xref_names_builder *b, const char *path, unsigned kind)
{
	size_t n = strlen(path);

	while (n && path[n - 1] == '/')
		n--;
	if (!n)
		return;
	xref_names_builder_add(b, path, n, kind);
	for (size_t i = n; i-- > 1;)
		if (path[i] == '/')
			xref_names_builder_add(b, path, i, XREF_N_DIR);
}

static bool S_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (c >= '0' && c <= '9');
}

void xref_names_scan_kconfig(struct xref_names_builder *b, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		while (p < eol && (*p == ' ' || *p == '\t'))
			p++;
		size_t skip = 0;
		if (eol - p > 7 && memcmp(p, "config", 6) == 0 && (p[6] == ' ' || p[6] == '\t'))
			skip = 6;
		else if (eol - p > 11 && memcmp(p, "menuconfig", 10) == 0 &&
			 (p[10] == ' ' || p[10] == '\t'))
			skip = 10;
		if (skip) {
			p += skip;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			const char *name = p;
			while (p < eol && S_ident_char(*p))
				p++;
			if (p > name && p - name < 200) {
				char full[256];
				int n = snprintf(full, sizeof(full), "CONFIG_%.*s", (int)(p - name),
						 name);
				xref_names_builder_add(b, full, (size_t)n, XREF_N_KCONFIG);
			}
		}
		p = eol + 1;
	}
}

struct S_order {
	const struct xref_names_builder *b;
	const uint8_t *len; /* len[id - 1]: the length of name id */
};

/* Orders ids by (length, name), the table's key (qsort_r's context: struct S_order). */
static int S_cmp_id(const void *a, const void *b, void *ctx)
{
	const struct S_order *o = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	if (o->len[x - 1] != o->len[y - 1])
		return o->len[x - 1] < o->len[y - 1] ? -1 : 1;
	return memcmp(xref_intern_name(&o->b->names, x), xref_intern_name(&o->b->names, y),
		      o->len[x - 1]);
}

int xref_names_write(const struct xref_names_builder *b, sqlite3 *db, struct kl_err *err)
{
	uint32_t *ids = malloc(((size_t)b->names.count + 1) * sizeof(*ids));
	uint8_t *len = malloc((size_t)b->names.count + 1);
	struct S_order order = { b, len };
	sqlite3_stmt *ins = NULL;
	char count[32];
	int rc = -1;

	if (!ids || !len)
		abort();
	for (uint32_t i = 0; i < b->names.count; i++) {
		ids[i] = i + 1;
		len[i] = (uint8_t)strlen(xref_intern_name(&b->names, i + 1)); /* at most 255 */
	}
	qsort_r(ids, b->names.count, sizeof(*ids), S_cmp_id, &order);
	if (sqlite3_prepare_v2(db, "INSERT INTO kinds VALUES(?,?,?)", -1, &ins, NULL) != SQLITE_OK)
		goto fail;
	for (uint32_t i = 0; i < b->names.count; i++) {
		const char *name = xref_intern_name(&b->names, ids[i]);
		sqlite3_bind_int(ins, 1, len[ids[i] - 1]);
		sqlite3_bind_text(ins, 2, name, len[ids[i] - 1], SQLITE_STATIC);
		sqlite3_bind_int(ins, 3, b->kinds[ids[i] - 1]);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	ins = NULL;
	snprintf(count, sizeof(count), "%u", b->names.count);
	if (sqlite3_prepare_v2(db, "INSERT INTO meta VALUES('names', ?)", -1, &ins, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_bind_text(ins, 1, count, -1, SQLITE_STATIC);
	if (sqlite3_step(ins) != SQLITE_DONE)
		goto fail;
	rc = 0;
	goto out;
fail:
	kl_err_set(err, "cannot write the kernel's names into the source index: %s",
		   sqlite3_errmsg(db));
out:
	sqlite3_finalize(ins);
	free(ids);
	free(len);
	return rc;
}

int xref_names_save(const struct xref_names_builder *b, const char *path, struct kl_err *err)
{
	char *tmp = kl_sprintf("%s.tmp", path);
	char *sql = sqlite3_mprintf("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
				    XREF_NAMES_SCHEMA "BEGIN; INSERT INTO meta "
				    "VALUES('version', '%d');", XREF_FORMAT);
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc = -1;

	unlink(tmp);
	if (sqlite3_open(tmp, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		kl_err_set(err, "cannot create the names index %s: %s", tmp,
			   msg ? msg : db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	if (xref_names_write(b, db, err) < 0)
		goto out;
	if (sqlite3_exec(db, "COMMIT;", NULL, NULL, &msg) != SQLITE_OK) {
		kl_err_set(err, "cannot write the names index %s: %s", tmp, msg ? msg : "?");
		goto out;
	}
	rc = 0;
out:
	sqlite3_free(msg);
	sqlite3_free(sql);
	sqlite3_close(db);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = kl_err_errno(err, "cannot rename %s to %s", tmp, path);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* ---- reading ---- */

struct xref_names {
	sqlite3 *db;
	sqlite3_stmt *get;   /* kinds of (len, name) */
	sqlite3_stmt *range; /* names of a length, between two names, of some kinds, in order */
	pthread_mutex_t lock; /* over the statements */
	size_t count;
	struct xref_names_builder *overlay; /* System.map, Module.symvers, generated headers */
};

int xref_names_open(const char *path, struct xref_names **out, struct kl_err *err)
{
	struct xref_names *nx = calloc(1, sizeof(*nx));
	sqlite3_stmt *meta = NULL;
	int version = 0;

	*out = NULL;
	if (!nx)
		abort();
	pthread_mutex_init(&nx->lock, NULL);
	nx->overlay = xref_names_builder_new();
	if (xref_db_open(path, 16384, &nx->db, err) < 0)
		goto fail;
	if (sqlite3_prepare_v2(nx->db, "SELECT key, value FROM meta WHERE key IN "
				       "('version', 'names')", -1, &meta, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(nx->db, "SELECT kinds FROM kinds WHERE len = ?1 AND name = ?2", -1,
			       SQLITE_PREPARE_PERSISTENT, &nx->get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(nx->db, "SELECT name FROM kinds WHERE len = ?1 AND name >= ?2 "
				       "AND name < ?3 AND kinds & ?4 ORDER BY len, name", -1,
			       SQLITE_PREPARE_PERSISTENT, &nx->range, NULL) != SQLITE_OK) {
		kl_err_set(err, "%s is not a source index of this klab: delete it and run `klab "
				"xref --build` (%s)", path, sqlite3_errmsg(nx->db));
		goto fail;
	}
	while (sqlite3_step(meta) == SQLITE_ROW) {
		const char *key = (const char *)sqlite3_column_text(meta, 0);
		if (strcmp(key, "version") == 0)
			version = sqlite3_column_int(meta, 1);
		else
			nx->count = (size_t)sqlite3_column_int64(meta, 1);
	}
	sqlite3_finalize(meta);
	meta = NULL;
	if (version != XREF_FORMAT) {
		kl_err_set(err, "%s is a source index of another format: delete it and run `klab "
				"xref --build`", path);
		goto fail;
	}
	*out = nx;
	return 0;
fail:
	sqlite3_finalize(meta);
	xref_names_close(nx);
	return -1;
}

void xref_names_close(struct xref_names *nx)
{
	if (!nx)
		return;
	sqlite3_finalize(nx->get);
	sqlite3_finalize(nx->range);
	sqlite3_close(nx->db);
	pthread_mutex_destroy(&nx->lock);
	xref_names_builder_free(nx->overlay);
	free(nx);
}

size_t xref_names_count(const struct xref_names *nx)
{
	return nx->count;
}

/* The kinds of name in the table (the lock held). */
static unsigned S_get(struct xref_names *nx, const char *name, size_t n)
{
	unsigned kinds = 0;

	sqlite3_bind_int(nx->get, 1, (int)n);
	sqlite3_bind_text(nx->get, 2, name, (int)n, SQLITE_STATIC);
	if (sqlite3_step(nx->get) == SQLITE_ROW)
		kinds = (unsigned)sqlite3_column_int(nx->get, 0);
	sqlite3_reset(nx->get);
	return kinds;
}

unsigned xref_names_lookup(const struct xref_names *cnx, const char *name)
{
	struct xref_names *nx = (struct xref_names *)cnx; /* the statements change */
	size_t n = strlen(name);
	unsigned kinds = xref_names_builder_get(nx->overlay, name);

	if (n == 0 || n > 255)
		return kinds;
	pthread_mutex_lock(&nx->lock);
	kinds |= S_get(nx, name, n);
	pthread_mutex_unlock(&nx->lock);
	return kinds;
}

struct S_best {
	char name[256];
	size_t len, dist, dlen;
	bool found;
};

/*
 * Walks the names of length len that start with prefix[0..plen), in order, and
 * calls fn for each with a kind in kinds until it returns false (the lock held).
 */
static void S_range(struct xref_names *nx, size_t len, const char *prefix, size_t plen,
		    unsigned kinds, bool (*fn)(void *ctx, const char *s, size_t len), void *ctx)
{
	char end[256];

	/* the first name after those that start with prefix: its last byte one up */
	memcpy(end, prefix, plen);
	end[plen - 1] = (char)((unsigned char)end[plen - 1] + 1);
	sqlite3_bind_int(nx->range, 1, (int)len);
	sqlite3_bind_text(nx->range, 2, prefix, (int)plen, SQLITE_STATIC);
	if ((unsigned char)prefix[plen - 1] == 0xff)
		sqlite3_bind_text(nx->range, 3, "\xff\xff", 2, SQLITE_STATIC); /* no UTF-8 byte */
	else
		sqlite3_bind_text(nx->range, 3, end, (int)plen, SQLITE_STATIC);
	sqlite3_bind_int(nx->range, 4, (int)kinds);
	while (sqlite3_step(nx->range) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(nx->range, 0);
		size_t n = (size_t)sqlite3_column_bytes(nx->range, 0);
		if (!s || n < plen || memcmp(s, prefix, plen) != 0 || !fn(ctx, s, n))
			break;
	}
	sqlite3_reset(nx->range);
}

struct S_near {
	const char *word;
	size_t n, max;
	struct S_best *best;
};

static bool S_near_one(void *ctx, const char *s, size_t len)
{
	struct S_near *c = ctx;
	struct S_best *best = c->best;
	size_t dlen = len > c->n ? len - c->n : c->n - len;

	if (len == c->n && memcmp(s, c->word, len) == 0)
		return true;
	size_t d = kl_suggest_distance_max(c->word, c->n, s, len, c->max);
	if (d > c->max)
		return true;
	if (!best->found || d < best->dist || (d == best->dist && dlen < best->dlen) ||
	    (d == best->dist && dlen == best->dlen && strcmp(s, best->name) < 0)) {
		memcpy(best->name, s, len);
		best->name[len] = '\0';
		best->len = len;
		best->dist = d;
		best->dlen = dlen;
		best->found = true;
	}
	return true;
}

/* The names that start with prefix[0..plen), of a length near the word's, for the nearest. */
static void S_suggest_range(struct xref_names *nx, const char *prefix, size_t plen,
			    const char *word, size_t n, unsigned kinds, size_t max,
			    struct S_best *best)
{
	struct S_near c = { word, n, max, best };

	for (size_t len = n > max ? n - max : 1; len <= n + max && len <= 255; len++)
		S_range(nx, len, prefix, plen, kinds, S_near_one, &c);
}

static bool S_first(void *ctx, const char *s, size_t len)
{
	struct S_best *best = ctx;

	memcpy(best->name, s, len);
	best->name[len] = '\0';
	best->len = len;
	best->found = true;
	return false;
}

/* The shortest name of a kind in kinds that is word + "_...": a name that grew a part. */
static bool S_suggest_longer(struct xref_names *nx, const char *word, unsigned kinds,
			     struct S_best *best)
{
	char prefix[258];
	size_t n = strlen(word);

	snprintf(prefix, sizeof(prefix), "%s_", word);
	for (size_t len = n + 2; len <= 255 && !best->found; len++)
		S_range(nx, len, prefix, n + 1, kinds, S_first, best);
	return best->found;
}

bool xref_names_suggest(const struct xref_names *cnx, const char *word, unsigned kinds,
			char *out, size_t size)
{
	struct xref_names *nx = (struct xref_names *)cnx;
	size_t n = strlen(word), max = n <= 10 ? 1 : 2;
	struct S_best best = { .found = false }, longer = { .found = false };

	if (n < 2 || n > 255 || size == 0)
		return false;
	const char swapped[2] = { word[1], word[0] };
	pthread_mutex_lock(&nx->lock);
	S_suggest_range(nx, word, 1, word, n, kinds, max, &best);
	if (n > 3)
		S_suggest_range(nx, word + 1, 2, word, n, kinds, max, &best);
	if (word[0] != word[1])
		S_suggest_range(nx, swapped, 2, word, n, kinds, max, &best);
	/* one edit is a typo; a name that grew or lost a part beats two edits */
	if ((!best.found || best.dist > 1) && n >= 4 && S_suggest_longer(nx, word, kinds, &longer))
		best = longer;
	pthread_mutex_unlock(&nx->lock);
	for (size_t i = n - 1; (!best.found || best.dist > 1) && i >= 4; i--) {
		char head[256];
		if (word[i] != '_' || word[i - 1] == '_')
			continue;
		memcpy(head, word, i);
		head[i] = '\0';
		if (xref_names_lookup(nx, head) & kinds) {
			snprintf(out, size, "%s", head);
			return true;
		}
	}
	if (!best.found)
		return false;
	snprintf(out, size, "%s", best.name);
	return true;
}

/* ---- the overlay ---- */

/* Calls fn on each line of the file at path; *added (may be NULL) counts its true answers. */
static int S_each_line(struct xref_names *nx, const char *path,
		       bool (*fn)(struct xref_names_builder *b, const char *line, const char *eol),
		       size_t *added, struct kl_err *err)
{
	struct kl_buf text = KL_BUF_INIT;
	size_t n = 0;

	if (kl_read_file(path, &text, 0, err) < 0)
		return -1;
	const char *p = kl_buf_str(&text), *end = p + text.len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		n += fn(nx->overlay, p, eol);
		p = eol + 1;
	}
	kl_buf_release(&text);
	if (added)
		*added = n;
	return 0;
}

/* "ffffffff81000000 T name" */
static bool S_map_line(struct xref_names_builder *b, const char *p, const char *eol)
{
	const char *sp1 = memchr(p, ' ', (size_t)(eol - p));
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;

	if (!sp2 || sp2 - sp1 != 2 || eol - sp2 <= 1 || memchr(sp2 + 1, ' ', (size_t)(eol - sp2 - 1)))
		return false;
	const char *name = sp2 + 1;
	size_t len = (size_t)(eol - name);
	xref_names_builder_add(b, name, len, XREF_N_SYMBOL);
	const char *dot = memchr(name, '.', len);
	if (dot && dot > name)
		xref_names_builder_add(b, name, (size_t)(dot - name), XREF_N_SYMBOL);
	return true;
}

/* "0xcrc\tname\tmodule\tEXPORT_SYMBOL\tnamespace" */
static bool S_symvers_line(struct xref_names_builder *b, const char *p, const char *eol)
{
	const char *tab = memchr(p, '\t', (size_t)(eol - p));
	const char *name = tab ? tab + 1 : NULL;
	const char *tab2 = name ? memchr(name, '\t', (size_t)(eol - name)) : NULL;

	if (!tab2 || tab2 == name)
		return false;
	xref_names_builder_add(b, name, (size_t)(tab2 - name), XREF_N_SYMBOL);
	return true;
}

int xref_names_add_system_map(struct xref_names *nx, const char *path, size_t *added,
			      struct kl_err *err)
{
	return S_each_line(nx, path, S_map_line, added, err);
}

int xref_names_add_symvers(struct xref_names *nx, const char *path, size_t *added,
			   struct kl_err *err)
{
	return S_each_line(nx, path, S_symvers_line, added, err);
}

static void S_on_def(void *ctx, const char *name, size_t n, unsigned kinds)
{
	xref_names_builder_add(ctx, name, n, kinds);
}

static bool S_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Reads the .h files under dir/rel, recursively, without following symlinks. */
static int S_add_headers_dir(struct xref_names *nx, const char *dir, const char *rel, size_t *n,
			     struct kl_err *err)
{
	char *path = *rel ? kl_path_join(dir, rel) : kl_strdup(dir);
	DIR *d = opendir(path);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		kl_err_errno(err, "cannot list %s", path);
		free(path);
		return -1;
	}
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *sub = *rel ? kl_path_join(rel, de->d_name) : kl_strdup(de->d_name);
		char *full = kl_path_join(dir, sub);
		struct stat st;
		if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
			rc = S_add_headers_dir(nx, dir, sub, n, err);
		} else if (S_ISREG(st.st_mode) && S_has_suffix(sub, ".h")) {
			struct kl_buf text = KL_BUF_INIT;
			rc = kl_read_file(full, &text, 64u << 20, err);
			if (rc == 0) {
				/* generated: autoconf.h's CONFIG_*, unistd_64.h's __NR_* ... */
				const struct xref_scan_cb cb = { nx->overlay, NULL, NULL, NULL,
								 S_on_def };
				xref_scan_c(kl_buf_str(&text), text.len, &cb);
				xref_names_add_path(nx->overlay, sub, XREF_N_FILE);
				(*n)++;
			}
			kl_buf_release(&text);
		}
		free(full);
		free(sub);
	}
	closedir(d);
	free(path);
	return rc;
}

int xref_names_add_headers(struct xref_names *nx, const char *dir, size_t *added,
			   struct kl_err *err)
{
	size_t n = 0;
	int rc = S_add_headers_dir(nx, dir, "", &n, err);

	if (added)
		*added = n;
	return rc;
}
