/*
 * fuzz_fault.c - libFuzzer target: the kernel fault detector on any console
 * output, the call-trace frame parser on any line, and the words for what was
 * found (with every module frame taken as decoded to a learner's line).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/fsutil.h"
#include "lab/fault.h"
#include "lab/finding.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void S_decoded(struct lab_frame *fr)
{
	if (!fr->module)
		return;
	fr->file = kl_strdup("/w/mine.c");
	fr->line = (int)(fr->off & 0xffff);
	fr->function = kl_strdup(fr->func ? fr->func : "f");
	fr->learner = 1;
}

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
	S_decoded(&f.rip);
	for (size_t i = 0; i < f.ntrace; i++)
		S_decoded(&f.trace[i]);
	lab_finding_describe(&f);
	lab_fault_release(&f);
	return 0;
}
