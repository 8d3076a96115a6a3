/*
 * search_rank.c - klab_rank(), an FTS5 auxiliary function (see search_rank.h).
 *
 * For each row: per column c, tf = the phrases' hits in c, and
 *   score = - sum_c w_c * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len_c / avglen_c))
 * with bm25's k1 = 1.2 and b = 0.75. The averages come from FTS5's totals
 * (xColumnTotalSize, xRowCount), read once per query and kept as aux data.
 */
#include "core/search_rank.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>


#define S_K1 1.2
#define S_B 0.75
#define S_MAX_COLS 16

/* Per query: the column weights and average sizes. */
struct S_query {
	int ncol;
	double weight[S_MAX_COLS];
	double avg[S_MAX_COLS];
};

static struct S_query *S_query_data(const Fts5ExtensionApi *x, Fts5Context *fts, int nval,
				    sqlite3_value **val)
{
	struct S_query *q = x->xGetAuxdata(fts, 0);
	sqlite3_int64 rows = 0;

	if (q)
		return q;
	q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->ncol = x->xColumnCount(fts);
	if (q->ncol > S_MAX_COLS)
		q->ncol = S_MAX_COLS;
	x->xRowCount(fts, &rows);
	for (int c = 0; c < q->ncol; c++) {
		sqlite3_int64 total = 0;
		q->weight[c] = c < nval ? sqlite3_value_double(val[c]) : 1.0;
		x->xColumnTotalSize(fts, c, &total);
		q->avg[c] = rows > 0 && total > 0 ? (double)total / (double)rows : 1.0;
	}
	if (x->xSetAuxdata(fts, q, free) != SQLITE_OK)
		return NULL; /* it freed q */
	return q;
}

static void S_rank(const Fts5ExtensionApi *x, Fts5Context *fts, sqlite3_context *ctx, int nval,
		   sqlite3_value **val)
{
	struct S_query *q = S_query_data(x, fts, nval, val);
	int tf[S_MAX_COLS] = { 0 }, ninst = 0, rc;
	double score = 0;

	if (!q) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	rc = x->xInstCount(fts, &ninst);
	for (int i = 0; rc == SQLITE_OK && i < ninst; i++) {
		int phrase, col, off;
		rc = x->xInst(fts, i, &phrase, &col, &off);
		if (rc == SQLITE_OK && col >= 0 && col < q->ncol)
			tf[col]++;
	}
	for (int c = 0; rc == SQLITE_OK && c < q->ncol; c++) {
		int len = 0;
		if (!tf[c] || q->weight[c] == 0)
			continue;
		rc = x->xColumnSize(fts, c, &len);
		double norm = S_K1 * (1 - S_B + S_B * (double)len / q->avg[c]);
		score += q->weight[c] * tf[c] * (S_K1 + 1) / (tf[c] + norm);
	}
	if (rc != SQLITE_OK)
		sqlite3_result_error_code(ctx, rc);
	else
		sqlite3_result_double(ctx, -score);
}

int search_rank_register(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (!api)
		return SQLITE_ERROR;
	return api->xCreateFunction(api, "klab_rank", NULL, S_rank, NULL);
}
