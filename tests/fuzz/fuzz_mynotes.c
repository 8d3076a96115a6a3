/*
 * fuzz_mynotes.c - libFuzzer target: what `klab serve` reads of a write before
 * and while handling it, and what it reads of a learner's note: the
 * urlencoded form parser, the Host and Origin/Referer checks, and a note's
 * optional front matter (mynotes_doc_parse).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mynotes.h"
#include "web/form.h"
#include "web/guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct web_form f;
	struct web_guard g;
	struct mynotes_doc doc;
	struct kl_err err;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	/* the form: never more fields than kept, every value a string */
	web_form_parse((const char *)data, size, &f);
	if (f.n > WEB_FORM_MAX)
		abort();
	for (size_t i = 0; i < f.n; i++)
		if (strlen(f.values[i]) > size || strlen(f.names[i]) > size)
			abort();
	web_form_release(&f);
	/* the guard: nothing but the bound names passes */
	if (web_guard_init(&g, "127.0.0.1", 8080, &err) == 0) {
		bool host = web_guard_host_ok(&g, text);
		if (host && strcasecmp(text, "127.0.0.1:8080") && strcasecmp(text, "localhost:8080") &&
		    strcasecmp(text, "[::1]:8080"))
			abort();
		web_guard_origin_ok(&g, text, text);
		web_guard_origin_ok(&g, NULL, text);
		if (web_guard_token_ok(&g, text) && strcmp(text, g.token))
			abort();
		web_guard_release(&g);
	}
	/* a note: the body offset stays inside the text, a title always comes out */
	mynotes_doc_parse(text, size, "fuzz", &doc);
	if (doc.body_offset > size || !doc.title)
		abort();
	mynotes_doc_release(&doc);
	free(text);
	return 0;
}
