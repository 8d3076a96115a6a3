/*
 * search_rank.h - klab_rank(), the FTS5 ranking function of the search index
 * (search.c): bm25's weighting of term frequency and section length, per
 * column, without bm25's inverse document frequency.
 *
 * FTS5's bm25() counts, for every phrase of a query, the rows that hold it,
 * by walking the phrase's whole list before the first row is scored: over
 * 10,000 notes that walk was most of the cost of a query for a common word,
 * or for a prefix turned into its completions (one walk per completion).
 * klab's queries are an AND of every word typed, so each hit holds all the
 * words and their rarity orders nothing; what ranks is where they occur
 * (title, heading, tags, body weights) and how densely.
 */
#ifndef KLAB_SEARCH_RANK_H
#define KLAB_SEARCH_RANK_H

#include <sqlite3.h>

/*
 * Registers klab_rank(TABLE, w0, w1, ...) on db: the weights of the columns
 * (missing ones weigh 1). Lower is better, as with bm25(). Returns SQLITE_OK or
 * an SQLite error code.
 */
int search_rank_register(sqlite3 *db);

#endif
