/*
 * fuzz_fault.c - libFuzzer target: the kernel fault detector on any console
 * output, and the call-trace frame parser on any line.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lab/fault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct lab_fault f;
	struct lab_frame fr;

	lab_fault_init(&f);
	while (size) {
		const char *nl = memchr(p, '\n', size);
		size_t len = nl ? (size_t)(nl - p) : size;

		lab_fault_feed(&f, p, len);
		if (lab_frame_parse(p, len, &fr) == 0)
			lab_frame_release(&fr);
		if (!nl)
			break;
		p += len + 1;
		size -= len + 1;
	}
	lab_fault_release(&f);
	return 0;
}
