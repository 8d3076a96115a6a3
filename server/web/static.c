/*
 * static.c - files under static/ (CSS, JS, icons, templates) and the diagrams
 * the build made from the Graphviz sources in static/diagrams (in the build folder, next to the
 * klab binary). A name must pass web_static_name_ok, and the file's real path
 * (symlinks resolved) must stay inside its folder: nothing outside can be read.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fsutil.h"
#include "web/handlers.h"
#include "web/site.h"

#define S_MAX_FILE (8 << 20)

static const struct {
	const char *ext;
	const char *type;
} S_types[] = {
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".jpg", "image/jpeg" },
	{ ".ico", "image/x-icon" },
	{ ".json", "application/json; charset=utf-8" },
	{ ".html", "text/plain; charset=utf-8" }, /* templates: shown, never rendered */
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".woff2", "font/woff2" },
};

static const char *S_type(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(S_types) / sizeof(S_types[0]); i++) {
		size_t e = strlen(S_types[i].ext);
		if (n > e && strcmp(name + n - e, S_types[i].ext) == 0)
			return S_types[i].type;
	}
	return "application/octet-stream";
}

/* Serves dir/rel when it is a regular file whose real path is inside dir. */
static void S_serve(struct web_site *s, const char *dir, const char *rel, struct web_reply *rp)
{
	char real[PATH_MAX];
	struct stat sb;
	struct kl_err err;
	size_t dlen = dir ? strlen(dir) : 0;

	if (!dir || !web_static_name_ok(rel))
		goto not_found;
	char *path = kl_path_join(dir, rel);
	char *ok = realpath(path, real);
	free(path);
	if (!ok || strncmp(real, dir, dlen) != 0 || real[dlen] != '/' || stat(real, &sb) < 0 ||
	    !S_ISREG(sb.st_mode) || sb.st_size > S_MAX_FILE)
		goto not_found;
	if (kl_read_file(real, &rp->body, S_MAX_FILE, &err) < 0) {
		kl_buf_reset(&rp->body);
		goto not_found;
	}
	rp->status = 200;
	rp->type = S_type(real);
	rp->cache = 1;
	return;
not_found:
	web_page_not_found(s, NULL, rp);
}

void web_static_file(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	S_serve(s, s->static_dir, rq->params[0], rp);
}

void web_static_diagram(struct web_site *s, const struct web_request *rq, struct web_reply *rp)
{
	const char *name = rq->params[0];
	size_t n = strlen(name);

	if (n < 5 || strcmp(name + n - 4, ".svg") != 0) {
		/* Not an SVG (a .dot source, say): from static/diagrams itself. */
		char *rel = kl_sprintf("diagrams/%s", name);
		S_serve(s, s->static_dir, rel, rp);
		free(rel);
		return;
	}
	S_serve(s, s->diagram_dir, name, rp);
}
