/*
 * fuzz_router.c - libFuzzer target: the path checks and the route tables on any
 * decoded path, and the static-file name rule (no "..", no hidden files).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = malloc(size + 1);
	struct web_request rq;

	if (!path)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	memset(&rq, 0, sizeof(rq));
	if (web_path_check(path) == 0) {
		web_route_match(web_routes, web_nroutes, path, &rq);
		web_route_match(web_post_routes, web_npost_routes, path, &rq);
	}
	if (web_static_name_ok(path)) {
		/* no accepted name may climb out of static/ or name a hidden file */
		if (path[0] == '/' || path[0] == '.' || strstr(path, "/.") || strstr(path, "//"))
			abort();
	}
	free(path);
	return 0;
}
