/*
 * fuzz_search.c - libFuzzer target: search queries as a learner types them.
 * Every query must give an answer (hits or a message), never an FTS5 syntax
 * error, against a small index built once.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/search.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct search_index *S_idx;

static void S_open(void)
{
	if (S_idx)
		return;
	if (search_index_open(&S_idx, NULL) < 0)
		abort();
	search_index_put(S_idx, "note", "locking", "Locking", "spinlock mutex",
			 "spin_lock_irqsave disables interrupts; C++ is not C; foo-bar a:b", NULL);
	search_index_put(S_idx, "lab", "signals-01", "Signals", "signals",
			 "send_sig_info with SI_QUEUE semantics", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *q = malloc(size + 1);
	struct search_result r;
	struct kl_buf fts = KL_BUF_INIT;

	if (!q)
		return 0;
	memcpy(q, data, size);
	q[size] = '\0';
	S_open();
	search_query_build(q, &fts);
	if (search_run(S_idx, q, 10, &r, NULL) == 0) {
		if (r.message && strstr(r.message, "Could not search"))
			abort(); /* FTS5 rejected a query we built */
		search_result_release(&r);
	}
	kl_buf_release(&fts);
	free(q);
	return 0;
}
