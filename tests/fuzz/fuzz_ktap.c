/*
 * fuzz_ktap.c - libFuzzer target: the guest console's KTAP parser on any bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "lab/ktap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lab_ktap k;

	lab_ktap_init(&k);
	lab_ktap_feed_text(&k, (const char *)data, size);
	lab_ktap_release(&k);
	return 0;
}
