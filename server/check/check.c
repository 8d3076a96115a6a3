/*
 * check.c - `klab check` (see check.h): reads every note's front matter with
 * libyaml and its body with cmark-gfm, walks the tree, and checks each link,
 * each code span and any raw HTML (only answer folds are shown, see
 * md_folds()), collecting problems with their file and line.
 */
#include "check/check.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm-extension_api.h>
#include <cmark-gfm.h>
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/catalog.h"
#include "core/frontmatter.h"
#include "core/fsutil.h"
#include "core/markdown.h"
#include "core/slug.h"
#include "core/suggest.h"
#include "xref/xref.h"

/* ---- code spans ---- */

static bool S_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* True when s[0..n) is a C identifier. */
static bool S_is_ident(const char *s, size_t n)
{
	if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!S_ident_char(s[i]))
			return false;
	return true;
}

static bool S_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

static bool S_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A relative path made of [A-Za-z0-9_.+,-] parts, none of them empty, "." or "..". */
static bool S_is_rel_path(const char *s, size_t n)
{
	size_t part = 0;

	if (n == 0)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '/';
		if (c == '/') {
			if (part == 0 || (part == 1 && s[i - 1] == '.') ||
			    (part == 2 && s[i - 1] == '.' && s[i - 2] == '.'))
				return false;
			part = 0;
			continue;
		}
		if (!S_ident_char(c) && c != '.' && c != '-' && c != '+' && c != ',')
			return false;
		part++;
	}
	return true;
}

/* The file names a source-tree path span may end in. */
static bool S_is_source_file(const char *path)
{
	static const char *const exts[] = { ".c", ".h", ".S", ".rst", ".txt" };
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
		if (S_ends_with(base, exts[i]) && strlen(base) > strlen(exts[i]))
			return true;
	return S_starts_with(base, "Makefile") || S_starts_with(base, "Kconfig") ||
	       strcmp(base, "Kbuild") == 0;
}

/* The top-level folders of the 6.1 tree: a path starting with one is a kernel path. */
static bool S_in_top_dir(const char *path)
{
	static const char *const dirs[] = {
		"arch", "block", "certs", "crypto", "Documentation", "drivers", "fs", "include",
		"init", "io_uring", "ipc", "kernel", "lib", "LICENSES", "mm", "net", "rust",
		"samples", "scripts", "security", "sound", "tools", "usr", "virt",
	};
	size_t n = strcspn(path, "/");

	if (!path[n])
		return false;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (strlen(dirs[i]) == n && memcmp(path, dirs[i], n) == 0)
			return true;
	return false;
}

static void S_set_name(struct check_span *out, enum check_span_kind kind, const char *s,
		       size_t n)
{
	out->kind = kind;
	memcpy(out->name, s, n);
	out->name[n] = '\0';
}

void check_span_classify(const char *text, struct check_span *out)
{
	size_t n = strlen(text);

	memset(out, 0, sizeof(*out));
	out->kind = CHECK_SPAN_NONE;
	if (n == 0 || n >= sizeof(out->name))
		return;
	if (strpbrk(text, " \t\n")) {
		static const struct {
			const char *word;
			unsigned kind;
		} tags[] = { { "struct ", XREF_N_STRUCT }, { "union ", XREF_N_UNION },
			     { "enum ", XREF_N_ENUM } };
		for (size_t i = 0; i < 3; i++) {
			size_t w = strlen(tags[i].word);
			if (S_starts_with(text, tags[i].word) && S_is_ident(text + w, n - w)) {
				S_set_name(out, CHECK_SPAN_TAG, text + w, n - w);
				out->tag = tags[i].kind;
			}
		}
		return;
	}
	const char *open = strchr(text, '(');
	if (open && text[n - 1] == ')') {
		const char *args = open + 1;
		size_t nargs = (size_t)(text + n - 1 - args);
		/* sigaction(2), printf(3), proc(5), ip(8), pthread_create(3p): man pages */
		bool man = nargs > 0 && args[0] >= '0' && args[0] <= '9';
		for (size_t i = 0; man && i < nargs; i++)
			man = (args[i] >= '0' && args[i] <= '9') || (args[i] >= 'a' && args[i] <= 'z');
		if (!man && S_is_ident(text, (size_t)(open - text)))
			S_set_name(out, CHECK_SPAN_FUNC, text, (size_t)(open - text));
		return;
	}
	if (text[0] == '<' && text[n - 1] == '>' && n > 2) {
		if (S_is_rel_path(text + 1, n - 2) && strchr(text + 1, '/') &&
		    S_ends_with(text, ".h>")) {
			S_set_name(out, CHECK_SPAN_PATH, text + 1, n - 2);
			out->include = true;
		}
		return;
	}
	if (strchr(text, '/')) {
		if (text[n - 1] == '/' && S_is_rel_path(text, n - 1) && S_in_top_dir(text))
			S_set_name(out, CHECK_SPAN_DIR, text, n - 1);
		else if (S_is_rel_path(text, n) && (S_is_source_file(text) || S_in_top_dir(text)))
			S_set_name(out, CHECK_SPAN_PATH, text, n);
		out->include = out->kind == CHECK_SPAN_PATH && S_ends_with(text, ".h");
		return;
	}
	if (!S_is_ident(text, n) || !strchr(text, '_'))
		return;
	bool upper = true, lower = true, letter = false;
	for (size_t i = 0; i < n; i++) {
		char c = text[i];
		if (c >= 'a' && c <= 'z')
			upper = false, letter = true;
		else if (c >= 'A' && c <= 'Z')
			lower = false, letter = true;
	}
	if (letter && upper)
		S_set_name(out, CHECK_SPAN_UPPER, text, n);
	else if (letter && lower)
		S_set_name(out, CHECK_SPAN_IDENT, text, n);
}

/* Looks a header up as written, then as #include <...> would find it. */
static bool S_header_exists(const struct xref_names *kx, const char *path)
{
	static const char *const dirs[] = {
		"", "include/", "arch/x86/include/", "include/uapi/", "arch/x86/include/uapi/",
		"arch/x86/include/generated/", "arch/x86/include/generated/uapi/",
		"include/generated/", "include/generated/uapi/",
	};
	char full[512];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(full, sizeof(full), "%s%s", dirs[i], path);
		if (xref_names_lookup(kx, full) & XREF_N_FILE)
			return true;
	}
	return false;
}

/*
 * GNU C's own words, which the kernel uses but never defines: `__attribute__`,
 * `__builtin_expect()`, `__typeof__` ... (the old name index took some of them
 * for names by mistake; ctags does not).
 */
static bool S_compiler_word(const char *name)
{
	static const char *const words[] = {
		"__attribute__", "__attribute", "__typeof__", "__typeof", "__asm__", "__asm",
		"__volatile__", "__extension__", "__inline__", "__inline", "__label__",
		"__auto_type", "__alignof__", "__restrict__", "__signed__", "__const__",
		"__int128", "_Static_assert", "__has_attribute", "__has_builtin",
	};

	/* not __atomic_ or __sync_: the kernel has names of its own there (__sync_blockdev) */
	if (S_starts_with(name, "__builtin_"))
		return true;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(name, words[i]) == 0)
			return true;
	return false;
}

bool check_span_exists(const struct xref_names *kx, const struct check_span *sp,
		       const char *text, const char *version, char *msg, size_t size)
{
	unsigned k;

	if ((sp->kind == CHECK_SPAN_FUNC || sp->kind == CHECK_SPAN_IDENT) &&
	    S_compiler_word(sp->name))
		return true;
	switch (sp->kind) {
	case CHECK_SPAN_NONE:
		return true;
	case CHECK_SPAN_FUNC:
		k = xref_names_lookup(kx, sp->name);
		if (k & (XREF_N_FUNC | XREF_N_FUNC_DECL | XREF_N_MACRO | XREF_N_SYMBOL))
			return true;
		snprintf(msg, size, "`%s` is not in the %s kernel (System.map, headers, source)%s",
			 text, version,
			 k ? ": it is a name there, but not a function or macro" : "");
		return false;
	case CHECK_SPAN_TAG:
		if (xref_names_lookup(kx, sp->name) & sp->tag)
			return true;
		snprintf(msg, size, "`%s` is not defined in the %s kernel (headers, source)", text,
			 version);
		return false;
	case CHECK_SPAN_PATH:
		/* a folder written without its trailing '/' is fine too */
		if ((xref_names_lookup(kx, sp->name) & (XREF_N_FILE | XREF_N_DIR)) ||
		    (sp->include && S_header_exists(kx, sp->name)))
			return true;
		snprintf(msg, size, "`%s` is not a file or folder of the %s source tree", text,
			 version);
		return false;
	case CHECK_SPAN_DIR:
		if (xref_names_lookup(kx, sp->name) & XREF_N_DIR)
			return true;
		snprintf(msg, size, "`%s` is not a folder of the %s source tree", text, version);
		return false;
	case CHECK_SPAN_UPPER:
		k = xref_names_lookup(kx, sp->name);
		if (S_starts_with(sp->name, "CONFIG_")) {
			if (k & (XREF_N_KCONFIG | XREF_N_MACRO))
				return true;
			snprintf(msg, size, "`%s` is not a Kconfig symbol of the %s kernel", text,
				 version);
			return false;
		}
		if (k & (XREF_N_MACRO | XREF_N_ENUM_CONST))
			return true;
		snprintf(msg, size,
			 "`%s` is not defined in the %s kernel (no #define or enumerator in the "
			 "headers or source)", text, version);
		return false;
	case CHECK_SPAN_IDENT:
		if (xref_names_lookup(kx, sp->name) &
		    ~(unsigned)(XREF_N_FILE | XREF_N_DIR | XREF_N_KCONFIG))
			return true;
		snprintf(msg, size, "`%s` is not in the %s kernel (System.map, headers, source)",
			 text, version);
		return false;
	}
	return true;
}

bool check_span_suggest(const struct xref_names *kx, const struct check_span *sp, char *out,
			size_t size)
{
	unsigned kinds;

	switch (sp->kind) {
	case CHECK_SPAN_FUNC:
		kinds = XREF_N_FUNC | XREF_N_FUNC_DECL | XREF_N_MACRO;
		break;
	case CHECK_SPAN_TAG:
		kinds = sp->tag;
		break;
	case CHECK_SPAN_PATH:
		kinds = XREF_N_FILE | XREF_N_DIR;
		break;
	case CHECK_SPAN_DIR:
		kinds = XREF_N_DIR;
		break;
	case CHECK_SPAN_UPPER:
		kinds = S_starts_with(sp->name, "CONFIG_") ? XREF_N_KCONFIG
							   : XREF_N_MACRO | XREF_N_ENUM_CONST;
		break;
	case CHECK_SPAN_IDENT:
		kinds = ~(unsigned)(XREF_N_FILE | XREF_N_DIR | XREF_N_KCONFIG);
		break;
	default:
		return false;
	}
	return xref_names_suggest(kx, sp->name, kinds, out, size);
}

/* ---- links ---- */

static void S_copy(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

void check_link_parse(const char *url, struct check_link *out)
{
	size_t n = strlen(url);

	memset(out, 0, sizeof(*out));
	out->kind = CHECK_LINK_OTHER;
	if (n == 0 || n >= sizeof(out->target))
		return;
	if (S_starts_with(url, "lab:")) {
		out->kind = CHECK_LINK_LAB;
		S_copy(out->target, sizeof(out->target), url + 4, n - 4);
	} else if (S_starts_with(url, "http://") || S_starts_with(url, "https://") ||
		   S_starts_with(url, "mailto:")) {
		out->kind = CHECK_LINK_EXTERNAL;
	} else if (url[0] == '#') {
		out->kind = CHECK_LINK_ANCHOR;
		S_copy(out->anchor, sizeof(out->anchor), url + 1, n - 1);
	} else if (S_starts_with(url, "/static/")) {
		out->kind = CHECK_LINK_STATIC;
		S_copy(out->target, sizeof(out->target), url + 8, strcspn(url + 8, "?#"));
	} else {
		size_t path = strcspn(url, "#");
		if (path > 3 && memcmp(url + path - 3, ".md", 3) == 0) {
			char topic[256];
			S_copy(topic, sizeof(topic), url, path - 3);
			if (kl_valid_id(topic)) {
				out->kind = CHECK_LINK_NOTE;
				strcpy(out->target, topic);
				if (url[path] == '#')
					S_copy(out->anchor, sizeof(out->anchor), url + path + 1,
					       n - path - 1);
			}
		}
	}
}

/* ---- Markdown ---- */

static cmark_node *S_parse_md(const char *md, size_t len)
{
	static const char *const exts[] = { "table", "strikethrough", "autolink", "tasklist" };
	cmark_parser *p;
	cmark_node *doc;

	cmark_gfm_core_extensions_ensure_registered();
	p = cmark_parser_new(CMARK_OPT_DEFAULT);
	if (!p)
		abort();
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		cmark_syntax_extension *e = cmark_find_syntax_extension(exts[i]);
		if (e)
			cmark_parser_attach_syntax_extension(p, e);
	}
	cmark_parser_feed(p, md, len);
	doc = cmark_parser_finish(p);
	cmark_parser_free(p);
	if (!doc)
		abort();
	return doc;
}

/* A heading's text as rendered plain: text and code, breaks as spaces. */
static void S_plain_text(cmark_node *node, struct kl_buf *out)
{
	for (cmark_node *c = cmark_node_first_child(node); c; c = cmark_node_next(c)) {
		switch (cmark_node_get_type(c)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE: {
			const char *lit = cmark_node_get_literal(c);
			kl_buf_puts(out, lit ? lit : "");
			break;
		}
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			kl_buf_putc(out, ' ');
			break;
		default:
			S_plain_text(c, out);
			break;
		}
	}
}

static void S_strv_push(char ***v, size_t *n, char *s)
{
	char **p = realloc(*v, (*n + 1) * sizeof(*p));

	if (!p)
		abort();
	p[(*n)++] = s;
	*v = p;
}

/*
 * The ids the web renderer gives the headings (core/markdown.c, S_heading_ids):
 * kl_slug of the text, "section" when that is empty, and "-1", "-2" ... appended
 * to repeats so that every id is unique in the document.
 */
static void S_doc_anchors(cmark_node *doc, char ***anchors, size_t *n)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(node) != CMARK_NODE_HEADING)
			continue;
		struct kl_buf text = KL_BUF_INIT;
		S_plain_text(node, &text);
		char *base = kl_slug(kl_buf_str(&text));
		if (!*base) {
			free(base);
			base = kl_strdup("section");
		}
		char *id = kl_strdup(base);
		for (int k = 1;; k++) {
			bool dup = false;
			for (size_t j = 0; j < *n && !dup; j++)
				dup = strcmp((*anchors)[j], id) == 0;
			if (!dup)
				break;
			free(id);
			id = kl_sprintf("%s-%d", base, k);
		}
		S_strv_push(anchors, n, id);
		free(base);
		kl_buf_release(&text);
	}
	cmark_iter_free(it);
}

int check_anchors(const char *md, size_t len, char ***anchors, size_t *n, struct kl_err *err)
{
	cmark_node *doc = S_parse_md(md, len);

	*anchors = NULL;
	*n = 0;
	S_doc_anchors(doc, anchors, n);
	cmark_node_free(doc);
	return 0;
}

/* ---- the lab kernel ---- */

int check_kernel_open(const char *cache, const char *tarball, const char *tmpdir,
		      FILE *progress, const char *system_map, const char *headers,
		      struct check_kernel *k, struct kl_err *err)
{
	struct xref_stats st;
	const char *base = strrchr(tarball, '/');
	char *symvers = NULL;

	memset(k, 0, sizeof(*k));
	memset(&st, 0, sizeof(st));
	base = base ? base + 1 : tarball;
	/* linux-source-6.1.tar.xz: "6.1" labels the kernel in messages */
	if (S_starts_with(base, "linux-source-") && strstr(base, ".tar"))
		k->version = kl_sprintf("%.*s", (int)(strstr(base, ".tar") - base - 13), base + 13);
	else
		k->version = kl_strdup("lab");
	if (xref_ensure(cache, tarball, tmpdir, progress, &k->index_path, &k->built, &st,
			err) < 0 ||
	    xref_names_open(k->index_path, &k->kx, err) < 0)
		goto out_fail;
	k->build_seconds = st.seconds;
	k->source_names = xref_names_count(k->kx);
	if (system_map && xref_names_add_system_map(k->kx, system_map, &k->map_symbols, err) < 0) {
		kl_err_set(err, "cannot read the kernel's System.map %s: run `make setup`",
			   system_map);
		goto out_fail;
	}
	if (headers) {
		if (!kl_is_dir(headers)) {
			kl_err_set(err, "the kernel headers %s are missing: run `make setup`",
				   headers);
			goto out_fail;
		}
		symvers = kl_path_join(headers, "Module.symvers");
		if (kl_is_file(symvers) &&
		    xref_names_add_symvers(k->kx, symvers, &k->exports, err) < 0)
			goto out_fail;
		if (xref_names_add_headers(k->kx, headers, &k->headers, err) < 0)
			goto out_fail;
	}
	free(symvers);
	return 0;
out_fail:
	free(symvers);
	check_kernel_release(k);
	return -1;
}

void check_kernel_release(struct check_kernel *k)
{
	xref_names_close(k->kx);
	free(k->version);
	free(k->index_path);
	memset(k, 0, sizeof(*k));
}

/* ---- the report ---- */

static void S_problem(struct check_report *rep, const char *file, int line, const char *kind,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void S_problem(struct check_report *rep, const char *file, int line, const char *kind,
		      const char *fmt, ...)
{
	va_list ap;
	struct kl_buf msg = KL_BUF_INIT;

	if (rep->n == rep->cap) {
		size_t cap = rep->cap ? rep->cap * 2 : 16;
		struct check_problem *p = realloc(rep->problems, cap * sizeof(*p));
		if (!p)
			abort();
		rep->problems = p;
		rep->cap = cap;
	}
	va_start(ap, fmt);
	kl_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	struct check_problem *p = &rep->problems[rep->n++];
	p->file = kl_strdup(file);
	p->line = line;
	p->kind = kl_strdup(kind);
	p->message = kl_buf_detach(&msg);
	p->name = p->suggestion = NULL;
}

/* An unknown identifier: msg, then the suggestion when there is one. */
static void S_ident_problem(struct check_report *rep, const char *file, int line,
			    const char *name, const char *suggestion, const char *msg)
{
	if (suggestion)
		S_problem(rep, file, line, "identifier", "%s: did you mean `%s`?", msg, suggestion);
	else
		S_problem(rep, file, line, "identifier", "%s", msg);
	rep->problems[rep->n - 1].name = kl_strdup(name);
	rep->problems[rep->n - 1].suggestion = suggestion ? kl_strdup(suggestion) : NULL;
}

void check_report_release(struct check_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		free(rep->problems[i].file);
		free(rep->problems[i].kind);
		free(rep->problems[i].message);
		free(rep->problems[i].name);
		free(rep->problems[i].suggestion);
	}
	free(rep->problems);
	memset(rep, 0, sizeof(*rep));
}

void check_report_print(const struct check_report *rep, FILE *out)
{
	for (size_t i = 0; i < rep->n; i++) {
		const struct check_problem *p = &rep->problems[i];
		if (p->line > 0)
			fprintf(out, "%s:%d: %s\n", p->file, p->line, p->message);
		else
			fprintf(out, "%s: %s\n", p->file, p->message);
	}
}

void check_report_json(const struct check_report *rep, struct kl_buf *out)
{
	kl_buf_putc(out, '[');
	for (size_t i = 0; i < rep->n; i++) {
		const struct check_problem *p = &rep->problems[i];
		kl_buf_puts(out, i ? ",\n {\"file\":" : "\n {\"file\":");
		kl_buf_put_json(out, p->file);
		kl_buf_printf(out, ",\"line\":%d,\"kind\":", p->line);
		kl_buf_put_json(out, p->kind);
		kl_buf_puts(out, ",\"message\":");
		kl_buf_put_json(out, p->message);
		if (p->name) {
			kl_buf_puts(out, ",\"name\":");
			kl_buf_put_json(out, p->name);
			kl_buf_puts(out, ",\"suggestion\":");
			if (p->suggestion)
				kl_buf_put_json(out, p->suggestion);
			else
				kl_buf_puts(out, "null");
		}
		kl_buf_putc(out, '}');
	}
	kl_buf_puts(out, rep->n ? "\n]\n" : "]\n");
}

/* ---- notes ---- */

struct S_note {
	char *path;     /* as opened */
	char *shown;    /* as reported */
	char *real;     /* realpath, to recognise a note given twice */
	char *topic;    /* the file name without .md */
	struct kl_buf text;
	struct kl_fm fm;
	bool fm_ok;
	char fm_error[1024]; /* why the front matter did not parse */
	bool read_ok;
	char **anchors;
	size_t nanchors;
	cmark_node *doc; /* the body */
	bool checked;    /* to be checked (not only a link target) */
	bool learner;    /* a learner's own note (outside notes/): foreign front matter */
};

struct S_ctx {
	const char *root;
	const struct check_kernel *kernel;
	struct check_report *rep;
	struct S_note *notes;
	size_t nnotes;
	char **labs; /* lab ids */
	size_t nlabs;
	bool *lab_linked; /* per lab: a note links it */
};

static void S_note_release(struct S_note *n)
{
	free(n->path);
	free(n->shown);
	free(n->real);
	free(n->topic);
	kl_buf_release(&n->text);
	if (n->fm_ok)
		kl_fm_release(&n->fm);
	kl_strv_free(n->anchors, n->nanchors);
	if (n->doc)
		cmark_node_free(n->doc);
}

/* path shown relative to root when it is under root. */
static char *S_shown(const char *root, const char *path, const char *real)
{
	char rroot[PATH_MAX];

	if (real && realpath(root, rroot)) {
		size_t n = strlen(rroot);
		if (strncmp(real, rroot, n) == 0 && real[n] == '/')
			return kl_strdup(real + n + 1);
	}
	return kl_strdup(path);
}

/*
 * Reads a note, its front matter and its headings. Problems reading it are reported.
 * A learner's note may have no front matter at all.
 */
static void S_note_load(struct S_ctx *cx, struct S_note *n, const char *path, bool learner)
{
	char real[PATH_MAX];
	struct kl_err e2 = { "" };
	const char *base = strrchr(path, '/');

	memset(n, 0, sizeof(*n));
	n->learner = learner;
	n->path = kl_strdup(path);
	n->real = realpath(path, real) ? kl_strdup(real) : NULL;
	n->shown = S_shown(cx->root, path, n->real);
	base = base ? base + 1 : path;
	n->topic = kl_sprintf("%.*s", (int)(strlen(base) - (S_ends_with(base, ".md") ? 3 : 0)),
			      base);
	if (kl_read_file(path, &n->text, 4u << 20, &e2) < 0) {
		snprintf(n->fm_error, sizeof(n->fm_error), "%s", e2.msg);
		return;
	}
	n->read_ok = true;
	size_t off = 0;
	if (learner && strncmp(kl_buf_str(&n->text), "---", 3) != 0) {
		n->fm_ok = true; /* no front matter: the body is the whole file */
		n->fm.body_line = 1;
	} else if (kl_fm_parse(kl_buf_str(&n->text), n->text.len, &n->fm, &e2) == 0) {
		n->fm_ok = true;
		off = n->fm.body_offset;
	} else {
		snprintf(n->fm_error, sizeof(n->fm_error), "%s", e2.msg);
	}
	n->doc = S_parse_md(kl_buf_str(&n->text) + off, n->text.len - off);
	S_doc_anchors(n->doc, &n->anchors, &n->nanchors);
}

static struct S_note *S_find_note(struct S_ctx *cx, const char *topic)
{
	for (size_t i = 0; i < cx->nnotes; i++)
		if (strcmp(cx->notes[i].topic, topic) == 0)
			return &cx->notes[i];
	return NULL;
}

static ssize_t S_find_lab(const struct S_ctx *cx, const char *id)
{
	for (size_t i = 0; i < cx->nlabs; i++)
		if (strcmp(cx->labs[i], id) == 0)
			return (ssize_t)i;
	return -1;
}

/* The line in the file of a node (inline nodes may lack one: use the block's). */
static int S_line(const struct S_note *n, cmark_node *node)
{
	int line = 0;

	for (; node && line <= 0; node = cmark_node_parent(node))
		line = cmark_node_get_start_line(node);
	if (line <= 0)
		line = 1;
	return line + (n->fm_ok ? n->fm.body_line - 1 : 0);
}

static size_t S_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	size_t row[257];

	if (n > 256 || m > 256)
		return SIZE_MAX;
	for (size_t j = 0; j <= m; j++)
		row[j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[m];
}

static bool S_has_anchor(const struct S_note *n, const char *anchor, const char **near)
{
	size_t best = SIZE_MAX;

	*near = NULL;
	for (size_t i = 0; i < n->nanchors; i++) {
		if (strcmp(n->anchors[i], anchor) == 0)
			return true;
		size_t d = S_distance(n->anchors[i], anchor);
		if (d < best && d <= 3 + strlen(anchor) / 4) {
			best = d;
			*near = n->anchors[i];
		}
	}
	return false;
}

static void S_check_anchor(struct S_ctx *cx, const struct S_note *n, int line,
			   const struct S_note *target, const char *url, const char *anchor)
{
	const char *near;

	if (S_has_anchor(target, anchor, &near))
		return;
	if (near)
		S_problem(cx->rep, n->shown, line, "anchor",
			  "link `%s`: %s.md has no heading with anchor `%s` (did you mean `#%s`?)",
			  url, target->topic, anchor, near);
	else
		S_problem(cx->rep, n->shown, line, "anchor",
			  "link `%s`: %s.md has no heading with anchor `%s` (anchors are heading "
			  "texts in lower case, spaces as '-', punctuation dropped)",
			  url, target->topic, anchor);
}

static void S_check_static(struct S_ctx *cx, const struct S_note *n, int line,
			   const char *url, const char *rel)
{
	char *path = kl_sprintf("%s/static/%s", cx->root, rel);
	bool ok = *rel && !strstr(rel, "..") && kl_is_file(path);

	if (!ok && S_starts_with(rel, "diagrams/") && S_ends_with(rel, ".svg")) {
		/* diagrams are built: static/diagrams/x.dot gives /static/diagrams/x.svg */
		char *dot = kl_sprintf("%s/static/%.*s.dot", cx->root, (int)strlen(rel) - 4, rel);
		ok = !strstr(rel, "..") && kl_is_file(dot);
		free(dot);
	}
	if (!ok)
		S_problem(cx->rep, n->shown, line, "static",
			  "`%s`: static/%s does not exist%s", url, rel,
			  S_ends_with(rel, ".svg") ? " (nor its Graphviz source static/diagrams/*.dot)"
						   : "");
	free(path);
}

static void S_check_link(struct S_ctx *cx, struct S_note *n, cmark_node *node)
{
	const char *url = cmark_node_get_url(node);
	int line = S_line(n, node);
	struct check_link l;
	struct S_note *target;
	ssize_t lab;

	cx->rep->links++;
	if (!url || !*url) {
		S_problem(cx->rep, n->shown, line, "link", "empty link target");
		return;
	}
	check_link_parse(url, &l);
	switch (l.kind) {
	case CHECK_LINK_LAB:
		lab = kl_valid_id(l.target) ? S_find_lab(cx, l.target) : -1;
		if (lab >= 0)
			cx->lab_linked[lab] = true;
		else
			S_problem(cx->rep, n->shown, line, "link",
				  "link `%s`: there is no lab `%s` (no labs/%s/README.md; `klab "
				  "list` shows the labs)", url, l.target, l.target);
		break;
	case CHECK_LINK_NOTE:
		target = S_find_note(cx, l.target);
		if (!target)
			S_problem(cx->rep, n->shown, line, "link",
				  "link `%s`: there is no note `%s` (no notes/%s.md)", url,
				  l.target, l.target);
		else if (*l.anchor)
			S_check_anchor(cx, n, line, target, url, l.anchor);
		break;
	case CHECK_LINK_ANCHOR:
		S_check_anchor(cx, n, line, n, url, l.anchor);
		break;
	case CHECK_LINK_STATIC:
		S_check_static(cx, n, line, url, l.target);
		break;
	case CHECK_LINK_EXTERNAL:
		break;
	case CHECK_LINK_OTHER:
		S_problem(cx->rep, n->shown, line, "link",
			  "link `%s` is not a lab (lab:ID), a note (TOPIC.md or TOPIC.md#anchor), "
			  "an #anchor, a /static/ file or an http(s) URL", url);
		break;
	}
}

/* Looks what sp names up in the kernel; reports it, with the nearest name, when missing. */
static void S_lookup(struct S_ctx *cx, const struct S_note *n, int line,
		     const struct check_span *sp, const char *text)
{
	char msg[1024], near[256];

	if (check_span_exists(cx->kernel->kx, sp, text, cx->kernel->version, msg, sizeof(msg)))
		return;
	bool found = check_span_suggest(cx->kernel->kx, sp, near, sizeof(near));
	S_ident_problem(cx->rep, n->shown, line, sp->name, found ? near : NULL, msg);
}

static void S_check_span(struct S_ctx *cx, struct S_note *n, cmark_node *node)
{
	const char *text = cmark_node_get_literal(node);
	struct check_span sp;

	if (!text || !cx->kernel)
		return;
	check_span_classify(text, &sp);
	if (sp.kind == CHECK_SPAN_NONE)
		return;
	cx->rep->spans++;
	S_lookup(cx, n, S_line(n, node), &sp, text);
}

/* The words of a text node that look like kernel identifiers (check_text_next). */
static void S_check_text(struct S_ctx *cx, struct S_note *n, cmark_node *node)
{
	const char *text = cmark_node_get_literal(node);
	struct check_span sp;
	size_t pos = 0;

	if (!text || !cx->kernel)
		return;
	for (cmark_node *p = cmark_node_parent(node); p; p = cmark_node_parent(p))
		if (cmark_node_get_type(p) == CMARK_NODE_LINK &&
		    strstr(cmark_node_get_url(p) ? cmark_node_get_url(p) : "", text))
			return; /* an autolink: its text is its URL */
	while (check_text_next(text, &pos, &sp, NULL)) {
		char *shown = kl_sprintf("%s%s", sp.name, sp.kind == CHECK_SPAN_FUNC ? "()" : "");
		cx->rep->words++;
		S_lookup(cx, n, S_line(n, node), &sp, shown);
		free(shown);
	}
}

/* `labs:`: a list of existing labs, each then linked from a note. */
static void S_check_labs(struct S_ctx *cx, struct S_note *n, const struct kl_fm_entry *e)
{
	if (e->type != KL_FM_LIST) {
		S_problem(cx->rep, n->shown, e->line, "frontmatter",
			  "`labs` must be a list of lab ids like [modules-01] ([] for none)");
		return;
	}
	for (size_t i = 0; i < e->n; i++) {
		ssize_t lab = kl_valid_id(e->items[i]) ? S_find_lab(cx, e->items[i]) : -1;
		if (lab >= 0)
			cx->lab_linked[lab] = true;
		else
			S_problem(cx->rep, n->shown, e->line, "lab",
				  "`labs` names `%s`, which is not a lab (no labs/%s/README.md; "
				  "`klab list` shows the labs)", e->items[i], e->items[i]);
	}
}

static const char *const S_keys[] = { "title", "topic", "order", "labs", "tags" };

static void S_check_front_matter(struct S_ctx *cx, struct S_note *n)
{
	const struct kl_fm *fm = &n->fm;
	const struct kl_fm_entry *e;
	struct kl_err e2;
	long order;

	for (size_t i = 0; i < fm->n; i++) {
		bool known = false;
		for (size_t k = 0; k < sizeof(S_keys) / sizeof(S_keys[0]); k++)
			known |= strcmp(fm->entries[i].key, S_keys[k]) == 0;
		if (!known)
			S_problem(cx->rep, n->shown, fm->entries[i].line, "frontmatter",
				  "unknown front matter key `%s` (a note has title, topic, order, "
				  "labs and tags)", fm->entries[i].key);
	}
	for (size_t k = 0; k < sizeof(S_keys) / sizeof(S_keys[0]); k++)
		if (!kl_fm_find(fm, S_keys[k]))
			S_problem(cx->rep, n->shown, 1, "frontmatter",
				  "front matter needs `%s:`%s", S_keys[k],
				  strcmp(S_keys[k], "labs") == 0 ? " (`labs: []` when no lab fits)"
								 : "");
	e = kl_fm_find(fm, "title");
	if (e && (e->type != KL_FM_SCALAR || !*e->value))
		S_problem(cx->rep, n->shown, e->line, "frontmatter",
			  "`title` must be a non-empty text");
	e = kl_fm_find(fm, "topic");
	if (e && (e->type != KL_FM_SCALAR || strcmp(e->value, n->topic) != 0))
		S_problem(cx->rep, n->shown, e->line, "frontmatter",
			  "`topic: %s` must be the file name without .md: `topic: %s`",
			  e->type == KL_FM_SCALAR ? e->value : "...", n->topic);
	if (kl_fm_find(fm, "order") && kl_fm_int(fm, "order", 0, 100000, 0, &order, &e2) < 0)
		S_problem(cx->rep, n->shown, kl_fm_find(fm, "order")->line, "frontmatter",
			  "`order` must be a whole number from 0 to 100000");
	e = kl_fm_find(fm, "labs");
	if (e)
		S_check_labs(cx, n, e);
	e = kl_fm_find(fm, "tags");
	if (e && e->type != KL_FM_LIST)
		S_problem(cx->rep, n->shown, e->line, "frontmatter",
			  "`tags` must be a list like [memory, paging]");
	for (size_t i = 0; e && e->type == KL_FM_LIST && i < e->n; i++)
		if (!*e->items[i])
			S_problem(cx->rep, n->shown, e->line, "frontmatter", "`tags` has an empty tag");
}

/* A learner's note: the keys of Hexo and Jekyll posts and the course's own. */
static const char *const S_foreign_keys[] = {
	"title", "date",  "updated", "category",  "categories", "tags",	       "layout",
	"permalink", "published", "author", "description", "excerpt", "comments", "lang",
	"draft", "topic", "order", "labs",
};

/* True for YYYY-MM-DD, optionally followed by a time: " HH:MM[:SS]" or "THH:MM..." */
static bool S_is_date(const char *v)
{
	int y, m, d, n = 0;

	if (sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || m < 1 || m > 12 ||
	    d < 1 || d > 31)
		return false;
	if (!v[10])
		return true;
	int hh, mm;
	return (v[10] == ' ' || v[10] == 'T') && sscanf(v + 11, "%2d:%2d", &hh, &mm) == 2 &&
	       hh >= 0 && hh < 24 && mm >= 0 && mm < 60;
}

static void S_check_foreign_fm(struct S_ctx *cx, struct S_note *n)
{
	const size_t nkeys = sizeof(S_foreign_keys) / sizeof(S_foreign_keys[0]);
	const struct kl_fm *fm = &n->fm;

	for (size_t i = 0; i < fm->n; i++) {
		const struct kl_fm_entry *e = &fm->entries[i];
		const char *near = kl_suggest(e->key, S_foreign_keys, nkeys);
		bool known = near && strcmp(near, e->key) == 0;
		if (!known && near && strlen(e->key) > 3)
			S_problem(cx->rep, n->shown, e->line, "frontmatter",
				  "front matter key `%s`: did you mean `%s`?", e->key, near);
		if (!known)
			continue; /* the learner's own key */
		bool scalar = e->type == KL_FM_SCALAR;
		if (strcmp(e->key, "title") == 0 && (!scalar || !*e->value))
			S_problem(cx->rep, n->shown, e->line, "frontmatter",
				  "`title` must be a non-empty text");
		else if ((strcmp(e->key, "date") == 0 || strcmp(e->key, "updated") == 0) &&
			 (!scalar || !S_is_date(e->value)))
			S_problem(cx->rep, n->shown, e->line, "frontmatter",
				  "`%s` must be a date like 2015-02-27 or 2015-02-27 15:46:12",
				  e->key);
		else if ((strcmp(e->key, "tags") == 0 || strcmp(e->key, "categories") == 0 ||
			  strcmp(e->key, "category") == 0) && e->type == KL_FM_MAP)
			S_problem(cx->rep, n->shown, e->line, "frontmatter",
				  "`%s` must be a word or a list like [memory, paging]", e->key);
		else if (strcmp(e->key, "labs") == 0)
			S_check_labs(cx, n, e);
	}
}

struct S_html_ctx {
	struct S_ctx *cx;
	struct S_note *n;
};

static void S_bad_html(void *ctx, cmark_node *node, const char *why)
{
	struct S_html_ctx *h = ctx;

	S_problem(h->cx->rep, h->n->shown, S_line(h->n, node), "html", "%s", why);
}

/*
 * The identifiers of the body: code spans, with prose words too; with links, its links.
 * The course's notes write kernel names in code spans and other names (user space,
 * libraries, history) in prose on purpose: their prose is not checked.
 */
static void S_check_body(struct S_ctx *cx, struct S_note *n, bool prose, bool links)
{
	cmark_iter *it = cmark_iter_new(n->doc);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(node)) {
		case CMARK_NODE_CODE:
			S_check_span(cx, n, node);
			break;
		case CMARK_NODE_TEXT:
			if (prose)
				S_check_text(cx, n, node);
			break;
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE:
			if (links)
				S_check_link(cx, n, node);
			break;
		default:
			break;
		}
	}
	cmark_iter_free(it);
}

static void S_check_note(struct S_ctx *cx, struct S_note *n)
{
	struct S_html_ctx html = { cx, n };

	cx->rep->notes++;
	if (!n->read_ok) {
		S_problem(cx->rep, n->shown, 0, "frontmatter", "%s", n->fm_error);
		return;
	}
	if (!n->fm_ok) {
		int line = 1;
		const char *msg = n->fm_error;
		if (sscanf(msg, "line %d:", &line) == 1)
			msg = strchr(msg, ':') + 1 + (strchr(msg, ':')[1] == ' ');
		S_problem(cx->rep, n->shown, line, "frontmatter", "%s", msg);
		return;
	}
	if (n->learner)
		S_check_foreign_fm(cx, n);
	else
		S_check_front_matter(cx, n);
	S_check_body(cx, n, n->learner, true);
	md_folds(n->doc, false, S_bad_html, &html);
}

static int S_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .md file of root/notes, sorted (free with kl_strv_free). */
static int S_note_paths(const char *root, char ***paths, size_t *n, struct kl_err *err)
{
	char *dir = kl_path_join(root, "notes");
	DIR *d = opendir(dir);
	struct dirent *de;

	*paths = NULL;
	*n = 0;
	if (!d) {
		kl_err_errno(err, "cannot list %s (KLAB_ROOT should be the klab source tree)", dir);
		free(dir);
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !S_ends_with(de->d_name, ".md"))
			continue;
		S_strv_push(paths, n, kl_path_join(dir, de->d_name));
	}
	closedir(d);
	free(dir);
	if (*n)
		qsort(*paths, *n, sizeof(**paths), S_cmp_str);
	return 0;
}

int check_notes(const char *root, const struct check_kernel *kernel, char *const *files,
		size_t nfiles, struct check_report *rep, struct kl_err *err)
{
	struct S_ctx cx;
	char **paths = NULL;
	size_t npaths = 0;
	int rc = -1;

	memset(&cx, 0, sizeof(cx));
	cx.root = root;
	cx.kernel = kernel;
	cx.rep = rep;
	if (kl_lab_ids(root, &cx.labs, &cx.nlabs, err) < 0)
		return -1;
	cx.lab_linked = calloc(cx.nlabs + 1, sizeof(*cx.lab_linked));
	if (!cx.lab_linked)
		abort();
	if (S_note_paths(root, &paths, &npaths, err) < 0)
		goto out;
	for (size_t i = 0; i < nfiles; i++) {
		if (!kl_is_file(files[i])) {
			kl_err_set(err, "no note %s (give paths to .md files, or nothing for every "
					"note under notes/)", files[i]);
			goto out;
		}
	}
	cx.notes = calloc(npaths + nfiles + 1, sizeof(*cx.notes));
	if (!cx.notes)
		abort();
	for (size_t i = 0; i < npaths; i++) {
		S_note_load(&cx, &cx.notes[cx.nnotes], paths[i], false);
		cx.notes[cx.nnotes++].checked = nfiles == 0;
	}
	for (size_t i = 0; i < nfiles; i++) {
		char real[PATH_MAX];
		struct S_note *same = NULL;
		if (realpath(files[i], real))
			for (size_t j = 0; j < cx.nnotes && !same; j++)
				if (cx.notes[j].real && strcmp(cx.notes[j].real, real) == 0)
					same = &cx.notes[j];
		if (same) {
			same->checked = true;
			continue;
		}
		/* a note outside notes/ is checked, and found by its topic when notes/ lacks it */
		S_note_load(&cx, &cx.notes[cx.nnotes], files[i], true);
		cx.notes[cx.nnotes++].checked = true;
	}
	for (size_t i = 0; i < cx.nnotes; i++)
		if (cx.notes[i].checked)
			S_check_note(&cx, &cx.notes[i]);
	/* every lab linked from a note: only meaningful when every note was read */
	for (size_t i = 0; nfiles == 0 && i < cx.nlabs; i++) {
		if (cx.lab_linked[i])
			continue;
		char *file = kl_sprintf("labs/%s/README.md", cx.labs[i]);
		S_problem(rep, file, 1, "coverage",
			  "lab `%s` is not linked from any note: add it to a note's `labs:` or "
			  "link it with [text](lab:%s)", cx.labs[i], cx.labs[i]);
		free(file);
	}
	rc = 0;
out:
	for (size_t i = 0; i < cx.nnotes; i++)
		S_note_release(&cx.notes[i]);
	free(cx.notes);
	kl_strv_free(paths, npaths);
	kl_strv_free(cx.labs, cx.nlabs);
	free(cx.lab_linked);
	return rc;
}

int check_identifiers(const struct check_kernel *kernel, const char *path, const char *shown,
		      bool prose, struct check_report *rep, struct kl_err *err)
{
	struct S_ctx cx;
	struct S_note n;

	memset(&cx, 0, sizeof(cx));
	cx.root = "";
	cx.kernel = kernel;
	cx.rep = rep;
	S_note_load(&cx, &n, path, true);
	if (!n.read_ok) {
		kl_err_set(err, "%s", n.fm_error);
		S_note_release(&n);
		return -1;
	}
	free(n.shown);
	n.shown = kl_strdup(shown);
	if (n.fm_ok) /* a front matter that does not parse: the page says so, not this */
		S_check_body(&cx, &n, prose, false);
	S_note_release(&n);
	return 0;
}
