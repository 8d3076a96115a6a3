/*
 * fuzz_ktap.c - libFuzzer target: KTAP as both of klab's readers take it, any
 * bytes. First the guest console as the lab pipeline reads it: lines rejoined
 * around kernel records (lab/console.c), then the reader of markers and
 * results (lab/ktap.c). Then the input as `klab ktap` reads it: every line,
 * kernel records included, to the KTAP tree (lab/ktap_tree.c), finished and
 * written as JSON. The tree's invariants are checked on the way.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "lab/console.h"
#include "lab/ktap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void S_ktap(void *ctx, const char *line, size_t len)
{
	lab_ktap_feed(ctx, line, len);
}

/* Parents come before their subtests, one level up; the counts add up. */
static void S_check(const struct lab_ktap_tree *t)
{
	int leaves = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct lab_ktap_node *nd = &t->nodes[i];
		if (nd->parent >= (long)i || (nd->parent >= 0 &&
					      t->nodes[nd->parent].depth + 1 != nd->depth))
			abort();
		if (nd->parent < 0 && nd->depth != 0)
			abort();
		if (nd->depth >= LAB_KTAP_MAX_DEPTH || nd->status == LAB_KTAP_NONE)
			abort();
		leaves += nd->first < 0;
	}
	/* tests past the limit are counted, not kept */
	const struct lab_ktap_counts *c = &t->counts;
	int total = c->passed + c->failed + c->skipped + c->crashed;
	if (total < leaves || (size_t)(total - leaves) > t->dropped)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct lab_console c;
	struct lab_ktap k, raw;
	struct kl_buf json = KL_BUF_INIT;

	lab_console_init(&c);
	lab_ktap_init(&k);
	lab_ktap_init(&raw);
	raw.kernel_lines = 1;
	while (size) {
		const char *nl = memchr(p, '\n', size);
		size_t len = nl ? (size_t)(nl - p) : size;

		lab_console_feed(&c, p, len, S_ktap, &k);
		lab_ktap_feed(&raw, p, len);
		if (!nl)
			break;
		p += len + 1;
		size -= len + 1;
	}
	lab_ktap_finish(&raw);
	S_check(&raw.tree);
	lab_ktap_tree_json(&raw.tree, &json);
	if (!json.len)
		abort();
	kl_buf_release(&json);
	lab_ktap_release(&raw);
	lab_ktap_release(&k);
	lab_console_release(&c);
	return 0;
}
