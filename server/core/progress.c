/*
 * progress.c - the SQLite progress store (see progress.h).
 */
#include "core/progress.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"

struct kl_progress {
	sqlite3 *db;
};

static const char S_schema[] =
	"CREATE TABLE IF NOT EXISTS attempts("
	"  id INTEGER PRIMARY KEY,"
	"  lab TEXT NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  duration_ms INTEGER NOT NULL,"
	"  verdict TEXT NOT NULL,"
	"  score INTEGER NOT NULL,"
	"  max_score INTEGER NOT NULL,"
	"  kernel TEXT,"
	"  commit_id TEXT,"
	"  source TEXT,"
	"  output TEXT);"
	"CREATE INDEX IF NOT EXISTS attempts_lab ON attempts(lab, id);"
	"CREATE TABLE IF NOT EXISTS attempt_tests("
	"  attempt_id INTEGER NOT NULL REFERENCES attempts(id) ON DELETE CASCADE,"
	"  seq INTEGER NOT NULL,"
	"  name TEXT NOT NULL,"
	"  ok INTEGER NOT NULL,"
	"  points INTEGER NOT NULL,"
	"  max_points INTEGER NOT NULL,"
	"  diagnostic TEXT,"
	"  PRIMARY KEY(attempt_id, seq));"
	"CREATE TABLE IF NOT EXISTS hints(lab TEXT PRIMARY KEY, shown INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS notes_read(topic TEXT PRIMARY KEY, read_at INTEGER NOT NULL);";

static int S_db_err(struct kl_progress *p, struct kl_err *err, const char *what)
{
	return kl_err_set(err, "progress store: %s: %s", what, sqlite3_errmsg(p->db));
}

static int S_open(const char *home, int flags, struct kl_progress **out, struct kl_err *err)
{
	char *path = kl_path_join(home, "progress.db");
	struct kl_progress *p = calloc(1, sizeof(*p));
	int rc = -1;

	if (!p)
		abort();
	if (sqlite3_open_v2(path, &p->db, flags, NULL) != SQLITE_OK) {
		kl_err_set(err, "cannot open the progress store %s: %s (check that $KLAB_HOME "
				"is writable)", path, p->db ? sqlite3_errmsg(p->db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(p->db, 10000);
	if (flags & SQLITE_OPEN_READWRITE) {
		char *msg = NULL;
		if (sqlite3_exec(p->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
					"PRAGMA foreign_keys=ON;", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(p->db, S_schema, NULL, NULL, &msg) != SQLITE_OK) {
			kl_err_set(err, "cannot set up the progress store %s: %s", path,
				   msg ? msg : "unknown error");
			sqlite3_free(msg);
			goto out;
		}
		/* stores made before attempts kept their output: add the column (once) */
		sqlite3_exec(p->db, "ALTER TABLE attempts ADD COLUMN output TEXT", NULL, NULL, NULL);
	}
	rc = 0;
out:
	free(path);
	if (rc < 0) {
		kl_progress_close(p);
		p = NULL;
	}
	*out = p;
	return rc;
}

int kl_progress_open(const char *home, struct kl_progress **out, struct kl_err *err)
{
	if (kl_mkdir_p(home, 0755, err) < 0)
		return -1;
	return S_open(home, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, out,
		      err);
}

int kl_progress_open_ro(const char *home, struct kl_progress **out, struct kl_err *err)
{
	char *path = kl_path_join(home, "progress.db");
	int exists = kl_is_file(path);

	free(path);
	*out = NULL;
	if (!exists)
		return 0;
	/* Read-write open without create: WAL readers need the -shm file. */
	return S_open(home, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, out, err);
}

void kl_progress_close(struct kl_progress *p)
{
	if (!p)
		return;
	sqlite3_close(p->db);
	free(p);
}

int kl_progress_record(struct kl_progress *p, struct kl_attempt *a, struct kl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_exec(p->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return S_db_err(p, err, "cannot begin a transaction");
	if (sqlite3_prepare_v2(p->db,
			       "INSERT INTO attempts(lab, started_at, duration_ms, verdict, score,"
			       " max_score, kernel, commit_id, source, output)"
			       " VALUES(?,?,?,?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		goto out_db;
	sqlite3_bind_text(st, 1, a->lab, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a->started_at);
	sqlite3_bind_int64(st, 3, a->duration_ms);
	sqlite3_bind_text(st, 4, a->verdict, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, a->score);
	sqlite3_bind_int(st, 6, a->max_score);
	sqlite3_bind_text(st, 7, a->kernel, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, a->commit, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, a->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, a->output, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out_db;
	a->id = sqlite3_last_insert_rowid(p->db);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(p->db, "SELECT count(*) FROM attempts WHERE lab=? AND id<=?", -1,
			       &st, NULL) != SQLITE_OK)
		goto out_db;
	sqlite3_bind_text(st, 1, a->lab, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, a->id);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out_db;
	a->number = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(p->db,
			       "INSERT INTO attempt_tests(attempt_id, seq, name, ok, points,"
			       " max_points, diagnostic) VALUES(?,?,?,?,?,?,?)",
			       -1, &st, NULL) != SQLITE_OK)
		goto out_db;
	for (size_t i = 0; i < a->ntests; i++) {
		const struct kl_attempt_test *t = &a->tests[i];
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, a->id);
		sqlite3_bind_int64(st, 2, (long long)i);
		sqlite3_bind_text(st, 3, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, t->ok);
		sqlite3_bind_int(st, 5, t->points);
		sqlite3_bind_int(st, 6, t->max_points);
		sqlite3_bind_text(st, 7, t->diagnostic, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto out_db;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_exec(p->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto out_db;
	return 0;
out_db:
	rc = S_db_err(p, err, "cannot record the attempt");
	sqlite3_finalize(st);
	sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int kl_progress_set_commit(struct kl_progress *p, long long id, const char *commit,
			   struct kl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(p->db, "UPDATE attempts SET commit_id=? WHERE id=?", -1, &st,
			       NULL) != SQLITE_OK)
		return S_db_err(p, err, "cannot update the attempt");
	sqlite3_bind_text(st, 1, commit, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	else
		S_db_err(p, err, "cannot update the attempt");
	sqlite3_finalize(st);
	return rc;
}

int kl_progress_lab_status(struct kl_progress *p, const char *lab, struct kl_lab_status *s,
			   struct kl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	memset(s, 0, sizeof(*s));
	s->best_score = -1;
	if (!p)
		return 0;
	if (sqlite3_prepare_v2(p->db,
			       "SELECT count(*), max(score), max(verdict='pass'),"
			       " (SELECT max_score FROM attempts WHERE lab=?1 ORDER BY score DESC, id DESC LIMIT 1),"
			       " (SELECT verdict FROM attempts WHERE lab=?1 ORDER BY id DESC LIMIT 1),"
			       " max(started_at) FROM attempts WHERE lab=?1",
			       -1, &st, NULL) != SQLITE_OK)
		return S_db_err(p, err, "cannot read the lab status");
	sqlite3_bind_text(st, 1, lab, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		S_db_err(p, err, "cannot read the lab status");
		goto out;
	}
	s->attempts = sqlite3_column_int(st, 0);
	if (s->attempts > 0) {
		s->best_score = sqlite3_column_int(st, 1);
		s->passed = sqlite3_column_int(st, 2);
		s->max_score = sqlite3_column_int(st, 3);
		const unsigned char *v = sqlite3_column_text(st, 4);
		if (v)
			snprintf(s->last_verdict, sizeof(s->last_verdict), "%s", (const char *)v);
		s->last_at = sqlite3_column_int64(st, 5);
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

static char *S_col_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	return v ? kl_strdup((const char *)v) : NULL;
}

static void S_attempt_from_row(sqlite3_stmt *st, struct kl_attempt *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	a->lab = S_col_dup(st, 1);
	a->started_at = sqlite3_column_int64(st, 2);
	a->duration_ms = sqlite3_column_int64(st, 3);
	a->verdict = S_col_dup(st, 4);
	a->score = sqlite3_column_int(st, 5);
	a->max_score = sqlite3_column_int(st, 6);
	a->kernel = S_col_dup(st, 7);
	a->commit = S_col_dup(st, 8);
	a->source = S_col_dup(st, 9);
	a->number = sqlite3_column_int(st, 10);
	a->output = S_col_dup(st, 11);
}

static int S_load_tests(struct kl_progress *p, struct kl_attempt *a, struct kl_err *err)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(p->db,
			       "SELECT name, ok, points, max_points, diagnostic FROM attempt_tests"
			       " WHERE attempt_id=? ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return S_db_err(p, err, "cannot read the attempt's tests");
	sqlite3_bind_int64(st, 1, a->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct kl_attempt_test *t = realloc(a->tests, (a->ntests + 1) * sizeof(*t));
		if (!t)
			abort();
		a->tests = t;
		t = &a->tests[a->ntests++];
		t->name = S_col_dup(st, 0);
		t->ok = sqlite3_column_int(st, 1);
		t->points = sqlite3_column_int(st, 2);
		t->max_points = sqlite3_column_int(st, 3);
		t->diagnostic = S_col_dup(st, 4);
	}
	sqlite3_finalize(st);
	return 0;
}

#define S_ATTEMPT_COLS \
	"SELECT id, lab, started_at, duration_ms, verdict, score, max_score, kernel, commit_id," \
	" source, (SELECT count(*) FROM attempts b WHERE b.lab=a.lab AND b.id<=a.id), output" \
	" FROM attempts a"

int kl_progress_attempts(struct kl_progress *p, const char *lab, int limit,
			 struct kl_attempt **out, size_t *n, struct kl_err *err)
{
	sqlite3_stmt *st = NULL;

	*out = NULL;
	*n = 0;
	if (!p)
		return 0;
	if (sqlite3_prepare_v2(p->db,
			       lab ? S_ATTEMPT_COLS " WHERE lab=?1 ORDER BY id DESC LIMIT ?2"
				   : S_ATTEMPT_COLS " ORDER BY id DESC LIMIT ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return S_db_err(p, err, "cannot list attempts");
	if (lab)
		sqlite3_bind_text(st, 1, lab, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct kl_attempt *v = realloc(*out, (*n + 1) * sizeof(*v));
		if (!v)
			abort();
		*out = v;
		S_attempt_from_row(st, &v[(*n)++]);
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < *n; i++) {
		if (S_load_tests(p, &(*out)[i], err) < 0) {
			kl_attempts_free(*out, *n);
			*out = NULL;
			*n = 0;
			return -1;
		}
	}
	return 0;
}

/* One attempt: by id (lab NULL), or by its number among lab's attempts. */
static int S_attempt(struct kl_progress *p, const char *lab, long long key, struct kl_attempt *out,
		     struct kl_err *err)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	memset(out, 0, sizeof(*out));
	if (!p)
		return 0;
	if (sqlite3_prepare_v2(p->db,
			       lab ? S_ATTEMPT_COLS " WHERE lab=?2 ORDER BY id LIMIT 1 OFFSET ?1 - 1"
				   : S_ATTEMPT_COLS " WHERE id=?1",
			       -1, &st, NULL) != SQLITE_OK)
		return S_db_err(p, err, "cannot read the attempt");
	sqlite3_bind_int64(st, 1, key);
	if (lab)
		sqlite3_bind_text(st, 2, lab, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		S_attempt_from_row(st, out);
		found = 1;
	}
	sqlite3_finalize(st);
	if (found && S_load_tests(p, out, err) < 0) {
		kl_attempt_release(out);
		return -1;
	}
	return found;
}

int kl_progress_attempt(struct kl_progress *p, long long id, struct kl_attempt *out,
			struct kl_err *err)
{
	return S_attempt(p, NULL, id, out, err);
}

int kl_progress_attempt_number(struct kl_progress *p, const char *lab, int number,
			       struct kl_attempt *out, struct kl_err *err)
{
	if (number < 1) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	return S_attempt(p, lab, number, out, err);
}

void kl_attempt_release(struct kl_attempt *a)
{
	free(a->output);
	free(a->lab);
	free(a->verdict);
	free(a->kernel);
	free(a->commit);
	free(a->source);
	for (size_t i = 0; i < a->ntests; i++) {
		free(a->tests[i].name);
		free(a->tests[i].diagnostic);
	}
	free(a->tests);
	memset(a, 0, sizeof(*a));
}

void kl_attempts_free(struct kl_attempt *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		kl_attempt_release(&a[i]);
	free(a);
}

int kl_progress_hints_shown(struct kl_progress *p, const char *lab, int *shown,
			    struct kl_err *err)
{
	sqlite3_stmt *st = NULL;

	*shown = 0;
	if (sqlite3_prepare_v2(p->db, "SELECT shown FROM hints WHERE lab=?", -1, &st, NULL) !=
	    SQLITE_OK)
		return S_db_err(p, err, "cannot read hints");
	sqlite3_bind_text(st, 1, lab, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		*shown = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

int kl_progress_set_hints_shown(struct kl_progress *p, const char *lab, int shown,
				struct kl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(p->db,
			       "INSERT INTO hints(lab, shown) VALUES(?1, ?2)"
			       " ON CONFLICT(lab) DO UPDATE SET shown=?2",
			       -1, &st, NULL) != SQLITE_OK)
		return S_db_err(p, err, "cannot save hints");
	sqlite3_bind_text(st, 1, lab, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, shown);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	else
		S_db_err(p, err, "cannot save hints");
	sqlite3_finalize(st);
	return rc;
}

int kl_progress_note_read(struct kl_progress *p, const char *topic, long long *at,
			  struct kl_err *err)
{
	sqlite3_stmt *st = NULL;

	*at = 0;
	if (sqlite3_prepare_v2(p->db, "SELECT read_at FROM notes_read WHERE topic=?", -1, &st,
			       NULL) != SQLITE_OK) {
		if (strstr(sqlite3_errmsg(p->db), "no such table"))
			return 0; /* a store opened read-only from before notes were marked */
		return S_db_err(p, err, "cannot read which notes were read");
	}
	sqlite3_bind_text(st, 1, topic, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		*at = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

int kl_progress_mark_read(struct kl_progress *p, const char *topic, long long at,
			  struct kl_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(p->db,
			       "INSERT INTO notes_read(topic, read_at) VALUES(?1, ?2)"
			       " ON CONFLICT(topic) DO UPDATE SET read_at=?2",
			       -1, &st, NULL) != SQLITE_OK)
		return S_db_err(p, err, "cannot mark a note read");
	sqlite3_bind_text(st, 1, topic, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, at);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	else
		S_db_err(p, err, "cannot mark a note read");
	sqlite3_finalize(st);
	return rc;
}
