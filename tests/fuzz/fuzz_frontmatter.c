/*
 * fuzz_frontmatter.c - libFuzzer target: the YAML front matter reader on any text.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/frontmatter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kl_fm fm;
	long v;

	if (kl_fm_parse((const char *)data, size, &fm, NULL) == 0) {
		kl_fm_str(&fm, "title");
		kl_fm_int(&fm, "order", 0, 100, 0, &v, NULL);
		kl_fm_release(&fm);
	}
	if (kl_fm_parse_yaml((const char *)data, size, &fm, NULL) == 0)
		kl_fm_release(&fm);
	return 0;
}
