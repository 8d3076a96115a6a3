/*
 * build.c - builds the source index (see xref.h, db.h). The steps:
 *   1. stream the tarball with libarchive; every path and each Kconfig file's
 *      symbols go to the kernel's names (names.h); each file xref_scan_kind()
 *      reads as C or assembler is stored (zlib), scanned for references,
 *      initializers, kernel-doc and macro names (scan.c), and written to a
 *      scratch folder for ctags, which runs over each chunk of about 96 MB as
 *      soon as it is written (ctags.c): one ctags on the second core while
 *      this one reads;
 *   2. insert the sorted references while ctags goes on (one at a time), then
 *      let two run at once until every chunk is done;
 *   3. read their tags (tab-separated, --excmd=number: the name, path and line
 *      are the first three fields and the rest are key:value fields, which ctags
 *      escapes, so the format is exact without a JSON reader);
 *   4. insert the sorted definitions and the names, the kinds of the names
 *      (ctags' definitions, the macro calls scan.c saw, paths, Kconfig), create
 *      the indexes, commit the one transaction, rename the file into place.
 * On the 2 cores of a quiet machine (in CPU seconds, which a busy machine
 * only stretches): reading 45, ctags 42, rows 25, indexes 6.
 */
#include "xref/xref.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "core/fsutil.h"
#include "core/proc.h"
#include "xref/cache.h"
#include "xref/ctags.h"
#include "xref/db.h"
#include "xref/intern.h"
#include "xref/names.h"
#include "xref/scan.h"
#include "xref/tarball.h"

/*
 * Files past this size are not indexed, only read for their names (names.h):
 * in 6.1 one, a 24 MB amdgpu register header of 117,000 #defines.
 */
#define S_FILE_MAX (16u << 20)

struct S_ref {
	uint32_t name, file, count, len;
	uint64_t off; /* of its lines in the arena */
};

struct S_def {
	uint32_t name, file, line, kind, scope;
};

struct S_build {
	sqlite3 *db;
	sqlite3_stmt *ins_name, *ins_file, *ins_text, *ins_tree, *ins_def, *ins_ref, *ins_init,
		*ins_doc, *ins_total;
	struct xref_intern names, paths, dirs;
	uint32_t file;              /* the file being scanned */
	uint64_t *occ;              /* its references: name << 32 | line */
	size_t nocc, capocc;
	struct S_ref *refs;         /* all (name, file) pairs */
	size_t nrefs, caprefs;
	unsigned char *arena;       /* their lines */
	size_t alen, acap;
	struct S_def *defs;
	size_t ndefs, capdefs;
	struct xref_names_builder *kinds; /* what `klab check` knows (names.h) */
	char *srcdir;               /* the scratch folder for ctags */
	struct xref_ctags *ctags;   /* its chunks */
	FILE *progress;
	struct xref_stats st;
};

static void *S_grow_array(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap : 1024;
	while (n < need)
		n *= 2;
	p = realloc(p, n * size);
	if (!p)
		abort();
	*cap = n;
	return p;
}

static int S_sql(struct S_build *b, const char *sql, struct kl_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(b->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	kl_err_set(err, "cannot write the source index (%s): %s", sql, msg ? msg : "?");
	sqlite3_free(msg);
	return -1;
}

static int S_prepare(struct S_build *b, const char *sql, sqlite3_stmt **st, struct kl_err *err)
{
	if (sqlite3_prepare_v2(b->db, sql, -1, st, NULL) == SQLITE_OK)
		return 0;
	return kl_err_set(err, "cannot prepare %s: %s", sql, sqlite3_errmsg(b->db));
}

static int S_step(struct S_build *b, sqlite3_stmt *st, struct kl_err *err)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return 0;
	return kl_err_set(err, "cannot write the source index: %s", sqlite3_errmsg(b->db));
}

/* CPU seconds (user + system) used so far by who (RUSAGE_SELF, RUSAGE_CHILDREN). */
static double S_cpu(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

/* ---- scanning one file ---- */

static void S_on_ident(void *ctx, const char *s, size_t n, int line)
{
	struct S_build *b = ctx;
	uint32_t id = xref_intern_add(&b->names, s, n, NULL);

	b->occ = S_grow_array(b->occ, &b->capocc, b->nocc + 1, sizeof(*b->occ));
	b->occ[b->nocc++] = (uint64_t)id << 32 | (uint32_t)line;
}

static void S_on_init(void *ctx, const struct xref_init_rec *r)
{
	struct S_build *b = ctx;
	const char *v = r->value;
	size_t vn = r->value_n;
	uint32_t value_name = 0;
	bool ident = true;

	if (vn > 1 && v[0] == '&') {
		v++;
		vn--;
	}
	for (size_t i = 0; i < vn && ident; i++)
		ident = (v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
			v[i] == '_' || (i > 0 && v[i] >= '0' && v[i] <= '9');
	if (ident && vn)
		value_name = xref_intern_add(&b->names, v, vn, NULL);
	sqlite3_bind_int64(b->ins_init, 1, xref_intern_add(&b->names, r->type, r->type_n, NULL));
	sqlite3_bind_int64(b->ins_init, 2,
			   xref_intern_add(&b->names, r->member, r->member_n, NULL));
	sqlite3_bind_int64(b->ins_init, 3, b->file);
	sqlite3_bind_int(b->ins_init, 4, r->line);
	sqlite3_bind_int64(b->ins_init, 5, value_name);
	sqlite3_bind_text(b->ins_init, 6, r->var, (int)r->var_n, SQLITE_TRANSIENT);
	sqlite3_bind_text(b->ins_init, 7, r->value, (int)r->value_n, SQLITE_TRANSIENT);
	if (S_step(b, b->ins_init, NULL) == 0)
		b->st.inits++;
}

static void S_on_doc(void *ctx, const char *name, size_t n, int line)
{
	struct S_build *b = ctx;

	sqlite3_bind_int64(b->ins_doc, 1, xref_intern_add(&b->names, name, n, NULL));
	sqlite3_bind_int64(b->ins_doc, 2, b->file);
	sqlite3_bind_int(b->ins_doc, 3, line);
	if (S_step(b, b->ins_doc, NULL) == 0)
		b->st.docs++;
}

static void S_on_def(void *ctx, const char *name, size_t n, unsigned kinds)
{
	struct S_build *b = ctx;

	xref_names_builder_add(b->kinds, name, n, kinds);
}

static int S_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Turns the file's occurrences into one (name, file) row per name. */
static void S_flush_refs(struct S_build *b)
{
	qsort(b->occ, b->nocc, sizeof(*b->occ), S_cmp_u64);
	for (size_t i = 0; i < b->nocc;) {
		uint32_t name = (uint32_t)(b->occ[i] >> 32), prev = 0, count = 0;
		b->arena = S_grow_array(b->arena, &b->acap, b->alen + 5 * (b->nocc - i) + 5, 1);
		unsigned char *p = b->arena + b->alen;
		size_t j = i;
		for (; j < b->nocc && (uint32_t)(b->occ[j] >> 32) == name; j++) {
			uint32_t line = (uint32_t)b->occ[j];
			if (count && line == prev)
				continue; /* one line once */
			p = xref_varint_put(p, line - prev);
			prev = line;
			count++;
		}
		b->refs = S_grow_array(b->refs, &b->caprefs, b->nrefs + 1, sizeof(*b->refs));
		b->refs[b->nrefs++] = (struct S_ref){ name, b->file, (uint32_t)(j - i),
						      (uint32_t)(p - (b->arena + b->alen)), b->alen };
		b->alen = (size_t)(p - b->arena);
		b->st.refs += j - i;
		i = j;
	}
	b->nocc = 0;
}

/* ---- files, folders, the scratch copy ---- */

static int S_add_tree(struct S_build *b, const char *path, uint32_t file, int lines,
		      struct kl_err *err)
{
	const char *slash = strrchr(path, '/');
	size_t plen = slash ? (size_t)(slash - path) : 0;
	int added = 0;

	sqlite3_bind_text(b->ins_tree, 1, path, (int)plen, SQLITE_STATIC);
	sqlite3_bind_text(b->ins_tree, 2, slash ? slash + 1 : path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(b->ins_tree, 3, file);
	sqlite3_bind_int(b->ins_tree, 4, lines);
	if (S_step(b, b->ins_tree, err) < 0)
		return -1;
	if (plen == 0)
		return 0;
	xref_intern_add(&b->dirs, path, plen, &added);
	if (!added)
		return 0;
	char *dir = strndup(path, plen);
	if (!dir)
		abort();
	int rc = S_add_tree(b, dir, 0, 0, err);
	free(dir);
	return rc;
}

/* Writes the file under the scratch folder and lists it for ctags. */
static int S_scratch(struct S_build *b, const char *path, const char *data, size_t len,
		     struct kl_err *err)
{
	char *full = kl_path_join(b->srcdir, path);
	char *slash = strrchr(full, '/');
	int rc = -1;

	*slash = '\0';
	if (!kl_is_dir(full) && kl_mkdir_p(full, 0755, err) < 0)
		goto out;
	*slash = '/';
	if (kl_write_file(full, data, len, err) < 0)
		goto out;
	rc = xref_ctags_add(b->ctags, path, len, err);
out:
	free(full);
	return rc;
}

static int S_add_file(struct S_build *b, const char *path, const char *data, size_t len,
		      struct kl_err *err)
{
	const struct xref_scan_cb cb = { b, S_on_ident, S_on_init, S_on_doc, S_on_def };
	int lines = 0;
	uLongf zlen = compressBound((uLong)len);
	unsigned char *z = malloc(zlen ? zlen : 1);
	int rc = -1;

	if (!z)
		abort();
	for (size_t i = 0; i < len; i++)
		lines += data[i] == '\n';
	if (len && data[len - 1] != '\n')
		lines++;
	b->file = xref_intern_add(&b->paths, path, strlen(path), NULL);
	if (compress2(z, &zlen, (const Bytef *)data, (uLong)len, 1) != Z_OK) {
		kl_err_set(err, "cannot compress %s", path);
		goto out;
	}
	sqlite3_bind_int64(b->ins_file, 1, b->file);
	sqlite3_bind_text(b->ins_file, 2, path, -1, SQLITE_STATIC);
	sqlite3_bind_int(b->ins_file, 3, lines);
	sqlite3_bind_int64(b->ins_file, 4, (sqlite3_int64)len);
	sqlite3_bind_int64(b->ins_text, 1, b->file);
	sqlite3_bind_blob(b->ins_text, 2, z, (int)zlen, SQLITE_STATIC);
	if (S_step(b, b->ins_file, err) < 0 || S_step(b, b->ins_text, err) < 0 ||
	    S_add_tree(b, path, b->file, lines, err) < 0 || S_scratch(b, path, data, len, err) < 0)
		goto out;
	xref_scan_c(data, len, &cb);
	S_flush_refs(b);
	b->st.files++;
	b->st.bytes += len;
	rc = 0;
out:
	free(z);
	return rc;
}

static void S_progress(struct S_build *b, const char *step, bool done)
{
	if (!b->progress)
		return;
	fprintf(b->progress, "\rklab xref: %s: %zu files, %zu MB, %zu references%s", step,
		b->st.files, b->st.bytes >> 20, b->st.refs, done ? "\n" : "   ");
	fflush(b->progress);
}

/* Step 1: every path of the tarball named; the C, header, assembler and Kconfig files read. */
static int S_tar_entry(void *ctx, const char *path, enum xref_tar_type type, long long size,
		       struct kl_err *err)
{
	struct S_build *b = ctx;

	xref_names_add_path(b->kinds, path, type == XREF_TAR_DIR ? XREF_N_DIR : XREF_N_FILE);
	return type == XREF_TAR_FILE && xref_scan_kind(path) != 0 && !strstr(path, "..") &&
	       !strchr(path, '\\');
}

static int S_tar_data(void *ctx, const char *path, const char *data, size_t len,
		      struct kl_err *err)
{
	struct S_build *b = ctx;

	if (xref_scan_kind(path) == 'k') {
		xref_names_scan_kconfig(b->kinds, data, len);
		return 0;
	}
	if (len > S_FILE_MAX) {
		/* only `klab check` reads it: the names it #defines */
		const struct xref_scan_cb cb = { b, NULL, NULL, NULL, S_on_def };
		xref_scan_c(data, len, &cb);
		return 0;
	}
	if (S_add_file(b, path, data, len, err) < 0 ||
	    xref_ctags_pump(b->ctags, 1, false, err) < 0)
		return -1;
	if (b->st.files % 1000 == 0)
		S_progress(b, "reading the source", false);
	return 0;
}

static int S_read_tarball(struct S_build *b, const char *tarball, struct kl_err *err)
{
	const struct xref_tar_cb cb = { b, S_tar_entry, S_tar_data };

	if (xref_tarball_read(tarball, 64ll << 20, &cb, err) < 0)
		return -1;
	if (b->st.files == 0)
		return kl_err_set(err, "%s holds no C files: reinstall linux-source-6.1 with "
				       "`make setup`", tarball);
	S_progress(b, "reading the source", true);
	return 0;
}

/* ---- step 2 and 3: ctags ---- */

/* What `klab check` knows a definition of each kind as (names.h). */
static const unsigned S_name_kinds[XREF_K_COUNT] = {
	[XREF_K_FUNCTION] = XREF_N_FUNC,      [XREF_K_PROTOTYPE] = XREF_N_FUNC_DECL,
	[XREF_K_STRUCT] = XREF_N_STRUCT,      [XREF_K_UNION] = XREF_N_UNION,
	[XREF_K_ENUM] = XREF_N_ENUM,          [XREF_K_ENUMERATOR] = XREF_N_ENUM_CONST,
	[XREF_K_MEMBER] = XREF_N_MEMBER,      [XREF_K_MACRO] = XREF_N_MACRO,
	[XREF_K_TYPEDEF] = XREF_N_TYPEDEF,    [XREF_K_VARIABLE] = XREF_N_VAR,
	[XREF_K_EXTERNVAR] = XREF_N_VAR,      [XREF_K_LABEL] = XREF_N_FUNC,
};

/* The name ctags gives an anonymous struct, union or enum: "__anon" and hex digits. */
static bool S_anonymous(const char *name)
{
	size_t n = strlen(name);

	return n > 6 && strncmp(name, "__anon", 6) == 0 &&
	       strspn(name + 6, "0123456789abcdef") == n - 6;
}

/* One tags line: name \t path \t N;" \t kind:K \t ... scope:KIND:NAME ... */
static void S_tag_line(void *ctx, char *line)
{
	struct S_build *b = ctx;
	char *f[3], *rest, *p = line;

	for (int i = 0; i < 3; i++) {
		f[i] = p;
		p = strchr(p, '\t');
		if (!p)
			return;
		*p++ = '\0';
	}
	rest = p;
	if (line[0] == '!' || !*f[0])
		return;
	uint32_t file = xref_intern_get(&b->paths, f[1], strlen(f[1]));
	long ln = strtol(f[2], NULL, 10);
	if (!file || ln <= 0)
		return;
	struct S_def d = { xref_intern_add(&b->names, f[0], strlen(f[0]), NULL), file,
			   (uint32_t)ln, XREF_K_OTHER, 0 };
	for (char *fld = rest; fld && *fld;) {
		char *next = strchr(fld, '\t');
		size_t n = next ? (size_t)(next - fld) : strcspn(fld, "\r\n");
		if (n > 5 && memcmp(fld, "kind:", 5) == 0) {
			d.kind = xref_kind_parse(fld + 5, n - 5);
		} else if (n > 6 && memcmp(fld, "scope:", 6) == 0) {
			/* scope:struct:outer.inner: the innermost tag */
			const char *s = memchr(fld + 6, ':', n - 6);
			if (s) {
				s++;
				const char *e = fld + n, *dot = s;
				for (const char *q = s; q < e; q++)
					if (*q == '.' || *q == ':')
						dot = q + 1;
				if (dot < e)
					d.scope = xref_intern_add(&b->names, dot, (size_t)(e - dot), NULL);
			}
		}
		fld = next ? next + 1 : NULL;
	}
	b->defs = S_grow_array(b->defs, &b->capdefs, b->ndefs + 1, sizeof(*b->defs));
	b->defs[b->ndefs++] = d;
	if (S_name_kinds[d.kind] && !S_anonymous(f[0]))
		xref_names_builder_add(b->kinds, f[0], strlen(f[0]), S_name_kinds[d.kind]);
}

/* Steps 2 and 3: every chunk through ctags, its tags read. */
static int S_ctags(struct S_build *b, struct kl_err *err)
{
	double t0 = kl_now();

	if (b->progress)
		fprintf(b->progress, "klab xref: waiting for ctags (2 at once)\n");
	if (xref_ctags_pump(b->ctags, 2, true, err) < 0 ||
	    xref_ctags_lines(b->ctags, S_tag_line, b, err) < 0)
		return -1;
	b->st.ctags_seconds = kl_now() - t0;
	b->st.ctags_cpu = S_cpu(RUSAGE_CHILDREN);
	return 0;
}

/* ---- step 4: the sorted rows ---- */

static int S_cmp_def(const void *pa, const void *pb)
{
	const struct S_def *a = pa, *b = pb;
	const uint32_t x[5] = { a->name, a->file, a->line, a->kind, a->scope };
	const uint32_t y[5] = { b->name, b->file, b->line, b->kind, b->scope };

	for (int i = 0; i < 5; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

static int S_cmp_ref(const void *pa, const void *pb)
{
	const struct S_ref *a = pa, *b = pb;

	if (a->name != b->name)
		return a->name < b->name ? -1 : 1;
	return a->file < b->file ? -1 : a->file > b->file;
}

/* The references and their totals, pumping ctags (one at a time) as it goes. */
static int S_write_refs(struct S_build *b, struct kl_err *err)
{
	uint64_t files = 0, total = 0;

	qsort(b->refs, b->nrefs, sizeof(*b->refs), S_cmp_ref);
	for (size_t i = 0; i < b->nrefs; i++) {
		const struct S_ref *r = &b->refs[i];
		if (i % 65536 == 0 && xref_ctags_pump(b->ctags, 1, false, err) < 0)
			return -1;
		sqlite3_bind_int64(b->ins_ref, 1, r->name);
		sqlite3_bind_int64(b->ins_ref, 2, r->file);
		sqlite3_bind_int(b->ins_ref, 3, (int)r->count);
		sqlite3_bind_blob(b->ins_ref, 4, b->arena + r->off, (int)r->len, SQLITE_STATIC);
		if (S_step(b, b->ins_ref, err) < 0)
			return -1;
		files++;
		total += r->count;
		if (i + 1 < b->nrefs && b->refs[i + 1].name == r->name)
			continue;
		/* the name's last row: its totals, so a look-up never counts the rows */
		sqlite3_bind_int64(b->ins_total, 1, r->name);
		sqlite3_bind_int64(b->ins_total, 2, (sqlite3_int64)files);
		sqlite3_bind_int64(b->ins_total, 3, (sqlite3_int64)total);
		if (S_step(b, b->ins_total, err) < 0)
			return -1;
		files = total = 0;
	}
	b->st.ref_rows = b->nrefs;
	return 0;
}

/* The definitions (ctags') and the names (ctags may have added some). */
static int S_write_defs(struct S_build *b, struct kl_err *err)
{
	qsort(b->defs, b->ndefs, sizeof(*b->defs), S_cmp_def);
	for (size_t i = 0; i < b->ndefs; i++) {
		const struct S_def *d = &b->defs[i];
		if (i && S_cmp_def(d, d - 1) == 0)
			continue;
		sqlite3_bind_int64(b->ins_def, 1, d->name);
		sqlite3_bind_int64(b->ins_def, 2, d->file);
		sqlite3_bind_int(b->ins_def, 3, (int)d->line);
		sqlite3_bind_int(b->ins_def, 4, (int)d->kind);
		sqlite3_bind_int64(b->ins_def, 5, d->scope);
		if (S_step(b, b->ins_def, err) < 0)
			return -1;
		b->st.defs++;
	}
	for (uint32_t id = 1; id <= b->names.count; id++) {
		sqlite3_bind_int64(b->ins_name, 1, id);
		sqlite3_bind_text(b->ins_name, 2, xref_intern_name(&b->names, id), -1,
				  SQLITE_STATIC);
		if (S_step(b, b->ins_name, err) < 0)
			return -1;
	}
	b->st.names = b->names.count;
	return xref_names_write(b->kinds, b->db, err);
}

static int S_meta(struct S_build *b, const char *key, const char *value, struct kl_err *err)
{
	char *sql = sqlite3_mprintf("INSERT INTO meta VALUES(%Q, %Q)", key, value);
	int rc = S_sql(b, sql, err);

	sqlite3_free(sql);
	return rc;
}

static int S_open_db(struct S_build *b, const char *path, struct kl_err *err)
{
	unlink(path);
	if (sqlite3_open_v2(path, &b->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		return kl_err_set(err, "cannot create the source index %s: %s", path,
				  b->db ? sqlite3_errmsg(b->db) : "out of memory");
	if (S_sql(b, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
		     "PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-262144; "
		     "PRAGMA temp_store=MEMORY;" XREF_SCHEMA "BEGIN;", err) < 0 ||
	    S_prepare(b, "INSERT INTO names VALUES(?,?)", &b->ins_name, err) < 0 ||
	    S_prepare(b, "INSERT INTO files VALUES(?,?,?,?)", &b->ins_file, err) < 0 ||
	    S_prepare(b, "INSERT INTO texts VALUES(?,?)", &b->ins_text, err) < 0 ||
	    S_prepare(b, "INSERT OR IGNORE INTO tree VALUES(?,?,?,?)", &b->ins_tree, err) < 0 ||
	    S_prepare(b, "INSERT INTO defs VALUES(?,?,?,?,?)", &b->ins_def, err) < 0 ||
	    S_prepare(b, "INSERT INTO refs VALUES(?,?,?,?)", &b->ins_ref, err) < 0 ||
	    S_prepare(b, "INSERT OR IGNORE INTO inits VALUES(?,?,?,?,?,?,?)", &b->ins_init,
		      err) < 0 ||
	    S_prepare(b, "INSERT OR IGNORE INTO docs VALUES(?,?,?)", &b->ins_doc, err) < 0 ||
	    S_prepare(b, "INSERT INTO totals VALUES(?,?,?)", &b->ins_total, err) < 0)
		return -1;
	return 0;
}

static void S_release(struct S_build *b)
{
	sqlite3_stmt *st[] = { b->ins_name, b->ins_file, b->ins_text, b->ins_tree, b->ins_def,
			       b->ins_ref,  b->ins_init, b->ins_doc,  b->ins_total };

	for (size_t i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		sqlite3_finalize(st[i]);
	xref_ctags_free(b->ctags);
	sqlite3_close(b->db);
	xref_intern_release(&b->names);
	xref_intern_release(&b->paths);
	xref_intern_release(&b->dirs);
	free(b->occ);
	free(b->refs);
	free(b->arena);
	free(b->defs);
	xref_names_builder_free(b->kinds);
}

static int S_finish(struct S_build *b, const char *tarball, struct kl_err *err)
{
	char num[32];
	double t0 = kl_now(), c0 = S_cpu(RUSAGE_SELF);

	if (S_write_defs(b, err) < 0)
		return -1;
	b->st.rows_seconds += kl_now() - t0;
	b->st.rows_cpu += S_cpu(RUSAGE_SELF) - c0;
	t0 = kl_now();
	c0 = S_cpu(RUSAGE_SELF);
	if (b->progress)
		fprintf(b->progress, "klab xref: creating the indexes\n");
	snprintf(num, sizeof(num), "%d", XREF_FORMAT);
	if (S_sql(b, XREF_INDEXES, err) < 0 || S_meta(b, "version", num, err) < 0 ||
	    S_meta(b, "tarball", tarball, err) < 0)
		return -1;
	snprintf(num, sizeof(num), "%lld", (long long)time(NULL));
	if (S_meta(b, "built", num, err) < 0 || S_sql(b, "COMMIT;", err) < 0)
		return -1;
	b->st.index_seconds = kl_now() - t0;
	b->st.index_cpu = S_cpu(RUSAGE_SELF) - c0;
	return 0;
}

int xref_build(const char *tarball, const char *out_path, const char *tmpdir, FILE *progress,
	       struct xref_stats *stats, struct kl_err *err)
{
	struct S_build b;
	char *tmp = kl_sprintf("%s.tmp", out_path);
	char *scratch = kl_sprintf("%s/klab-xref-XXXXXX", tmpdir ? tmpdir : "/tmp");
	double t0 = kl_now(), c0 = S_cpu(RUSAGE_SELF);
	struct stat sb;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	b.progress = progress;
	xref_intern_init(&b.names);
	xref_intern_init(&b.paths);
	xref_intern_init(&b.dirs);
	b.kinds = xref_names_builder_new();
	if (!mkdtemp(scratch)) {
		kl_err_errno(err, "cannot create a scratch folder under %s (set TMPDIR)",
			     tmpdir ? tmpdir : "/tmp");
		free(scratch);
		scratch = NULL;
		goto out;
	}
	b.srcdir = kl_path_join(scratch, "src");
	b.ctags = xref_ctags_new(scratch, b.srcdir);
	if (S_open_db(&b, tmp, err) < 0 || S_read_tarball(&b, tarball, err) < 0 ||
	    xref_ctags_close(b.ctags, err) < 0)
		goto out;
	b.st.read_seconds = kl_now() - t0;
	b.st.read_cpu = S_cpu(RUSAGE_SELF) - c0;
	if (progress)
		fprintf(progress, "klab xref: writing %zu (name, file) rows while ctags runs\n",
			b.nrefs);
	double t1 = kl_now(), c1 = S_cpu(RUSAGE_SELF);
	if (S_write_refs(&b, err) < 0)
		goto out;
	b.st.rows_seconds = kl_now() - t1;
	b.st.rows_cpu = S_cpu(RUSAGE_SELF) - c1;
	if (S_ctags(&b, err) < 0)
		goto out;
	if (progress)
		fprintf(progress, "klab xref: writing %zu definitions and %u names\n", b.ndefs,
			b.names.count);
	if (S_finish(&b, tarball, err) < 0)
		goto out;
	rc = 0;
out:
	S_release(&b);
	if (rc == 0 && rename(tmp, out_path) != 0)
		rc = kl_err_errno(err, "cannot rename %s to %s", tmp, out_path);
	if (rc < 0)
		unlink(tmp);
	if (scratch)
		kl_rm_rf(scratch, NULL);
	if (rc == 0) {
		b.st.seconds = kl_now() - t0;
		b.st.db_bytes = stat(out_path, &sb) == 0 ? (long long)sb.st_size : 0;
		if (stats)
			*stats = b.st;
	}
	free(b.srcdir);
	free(scratch);
	free(tmp);
	return rc;
}

/* The tarball's name without folder and .tar.*: "linux-source-6.1". */
static void S_stem(const char *tarball, char *out, size_t size)
{
	const char *base = strrchr(tarball, '/');
	const char *tar;

	base = base ? base + 1 : tarball;
	tar = strstr(base, ".tar");
	snprintf(out, size, "%.*s", tar ? (int)(tar - base) : (int)strlen(base), base);
}

int xref_source_key(const char *tarball, char *out, size_t size, struct kl_err *err)
{
	struct stat st;
	char name[256];

	if (stat(tarball, &st) != 0 || !S_ISREG(st.st_mode))
		return kl_err_set(err, "the kernel source %s is missing: run `make setup` (it "
				       "installs linux-source-6.1)", tarball);
	S_stem(tarball, name, sizeof(name));
	snprintf(out, size, "%s-%lld-%lld", name, (long long)st.st_size, (long long)st.st_mtime);
	return 0;
}

int xref_path(const char *cache, const char *tarball, char **path, struct kl_err *err)
{
	char key[320];

	*path = NULL;
	if (xref_source_key(tarball, key, sizeof(key), err) < 0)
		return -1;
	*path = kl_sprintf("%s/xref/%s.v%d.db", cache, key, XREF_FORMAT);
	return 0;
}

struct S_ensure {
	const char *tarball, *tmpdir;
	FILE *progress;
	struct xref_stats *stats;
};

static bool S_is_built(const char *path)
{
	return kl_is_file(path);
}

static int S_ensure_build(void *ctx, const char *path, struct kl_err *err)
{
	struct S_ensure *e = ctx;

	return xref_build(e->tarball, path, e->tmpdir, e->progress, e->stats, err);
}

int xref_ensure(const char *cache, const char *tarball, const char *tmpdir, FILE *progress,
		char **path, int *built, struct xref_stats *stats, struct kl_err *err)
{
	struct S_ensure e = { tarball, tmpdir, progress, stats };
	const struct xref_cache_build b = { ".db", S_is_built, S_ensure_build, &e };

	*built = 0;
	if (xref_path(cache, tarball, path, err) < 0)
		return -1;
	return xref_cache_ensure(cache, "xref", path, &b, built, err);
}
