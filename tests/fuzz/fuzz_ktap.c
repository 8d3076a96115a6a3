/*
 * fuzz_ktap.c - libFuzzer target: the guest console as the host reads it, any
 * bytes: lines rejoined around kernel records (lab/console.c), then the KTAP
 * parser.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lab/console.h"
#include "lab/ktap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void S_ktap(void *ctx, const char *line, size_t len)
{
	lab_ktap_feed(ctx, line, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct lab_console c;
	struct lab_ktap k;

	lab_console_init(&c);
	lab_ktap_init(&k);
	while (size) {
		const char *nl = memchr(p, '\n', size);
		size_t len = nl ? (size_t)(nl - p) : size;

		lab_console_feed(&c, p, len, S_ktap, &k);
		if (!nl)
			break;
		p += len + 1;
		size -= len + 1;
	}
	lab_ktap_release(&k);
	lab_console_release(&c);
	return 0;
}
