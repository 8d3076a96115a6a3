/*
 * markdown.c - Markdown to HTML for notes and labs (see markdown.h).
 *
 * The document is parsed by cmark-gfm, then the tree is rewritten before
 * rendering: link URLs are resolved, broken links and C code blocks become
 * custom nodes carrying HTML built here (escaped here), and headings become
 * custom blocks with their id. The renderer runs in safe mode, so HTML written
 * in a note is omitted and `javascript:` URLs are emptied. The one exception
 * is a fold for answers: HTML blocks made only of `<details>`, `<summary>plain
 * text</summary>` and `</details>`, balanced and closed under the same parent
 * block, are re-emitted from fixed strings (the summary text escaped here).
 */
#include "core/markdown.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "core/catalog.h"
#include "core/fsutil.h"
#include "core/slug.h"

#define S_OPTIONS (CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8)

/* ---------------------------------------------------------------- links */

void md_link_release(struct md_link *l)
{
	free(l->href);
	free(l->why);
	l->href = NULL;
	l->why = NULL;
}

static void S_broken(struct md_link *out, char *why)
{
	out->kind = MD_LINK_BROKEN;
	out->href = NULL;
	out->why = why;
}

static bool S_has_scheme(const char *url, size_t *len)
{
	size_t i = 0;

	if (!((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z')))
		return false;
	while (url[i] && url[i] != ':' && url[i] != '/' && url[i] != '#' && url[i] != '?')
		i++;
	if (url[i] != ':')
		return false;
	*len = i;
	return true;
}

/* A topic or id taken from s[0..n): copied when it is a valid id, else NULL. */
static char *S_id(const char *s, size_t n)
{
	if (n == 0 || n > 64)
		return NULL;
	char *id = strndup(s, n);
	if (!id)
		abort();
	if (!kl_valid_id(id)) {
		free(id);
		return NULL;
	}
	return id;
}

/* True when every '/'-separated segment of dir[0..n) is "", ".", ".." or "notes". */
static bool S_notes_dir(const char *dir, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		while (j < n && dir[j] != '/')
			j++;
		size_t l = j - i;
		if (!(l == 0 || (l == 1 && dir[i] == '.') || (l == 2 && !strncmp(dir + i, "..", 2)) ||
		      (l == 5 && !strncmp(dir + i, "notes", 5))))
			return false;
		i = j + 1;
	}
	return true;
}

static bool S_exists(bool (*fn)(void *, const char *), const struct md_resolver *res,
		     const char *name)
{
	return !res || !fn || fn(res->ctx, name);
}

static void S_resolve_note(const char *topic_start, size_t topic_len, const char *frag,
			   const struct md_resolver *res, struct md_link *out)
{
	char *topic = S_id(topic_start, topic_len);

	if (!topic) {
		S_broken(out, kl_sprintf("`%.*s` is not a note name", (int)topic_len, topic_start));
		return;
	}
	if (!S_exists(res ? res->note_exists : NULL, res, topic)) {
		S_broken(out, kl_sprintf("There is no note `%s` (notes/%s.md) yet", topic, topic));
		free(topic);
		return;
	}
	out->kind = MD_LINK_NOTE;
	out->href = kl_sprintf("/notes/%s%s", topic, frag ? frag : "");
	free(topic);
}

static void S_resolve_lab(const char *id_start, size_t id_len, const struct md_resolver *res,
			  struct md_link *out)
{
	char *id = S_id(id_start, id_len);

	if (!id) {
		S_broken(out, kl_sprintf("`%.*s` is not a lab id", (int)id_len, id_start));
		return;
	}
	if (!S_exists(res ? res->lab_exists : NULL, res, id)) {
		S_broken(out, kl_sprintf("There is no lab `%s` (labs/%s/) yet", id, id));
		free(id);
		return;
	}
	out->kind = MD_LINK_LAB;
	out->href = kl_sprintf("/labs/%s", id);
	free(id);
}

void md_link_resolve(const char *url, const struct md_resolver *res, char *const *anchors,
		     size_t nanchors, struct md_link *out)
{
	size_t scheme_len, n;

	memset(out, 0, sizeof(*out));
	if (!url || !*url) {
		S_broken(out, kl_strdup("This link has no target"));
		return;
	}
	if (url[0] == '#') {
		if (anchors) {
			bool found = false;
			for (size_t i = 0; i < nanchors && !found; i++)
				found = strcmp(anchors[i], url + 1) == 0;
			if (!found) {
				S_broken(out, kl_sprintf("No heading `%s` in this page", url + 1));
				return;
			}
		}
		out->kind = MD_LINK_ANCHOR;
		out->href = kl_strdup(url);
		return;
	}
	if (S_has_scheme(url, &scheme_len)) {
		if (scheme_len == 3 && strncmp(url, "lab", 3) == 0) {
			const char *id = url + 4;
			S_resolve_lab(id, strcspn(id, "#?"), res, out);
			return;
		}
		if ((scheme_len == 4 && strncasecmp(url, "http", 4) == 0) ||
		    (scheme_len == 5 && strncasecmp(url, "https", 5) == 0) ||
		    (scheme_len == 6 && strncasecmp(url, "mailto", 6) == 0)) {
			out->kind = MD_LINK_EXTERNAL;
			out->href = kl_strdup(url);
			return;
		}
		S_broken(out, kl_sprintf("Links of the form `%.*s:` are not allowed",
					 (int)(scheme_len > 20 ? 20 : scheme_len), url));
		return;
	}
	if (url[0] == '/' && url[1] == '/') {
		out->kind = MD_LINK_EXTERNAL;
		out->href = kl_strdup(url);
		return;
	}
	n = strcspn(url, "#?");
	const char *frag = url[n] == '#' ? url + n : NULL;
	if (strncmp(url, "/notes/", 7) == 0) {
		S_resolve_note(url + 7, n - 7, frag, res, out);
		return;
	}
	if (strncmp(url, "/labs/", 6) == 0) {
		S_resolve_lab(url + 6, n - 6, res, out);
		return;
	}
	if (n > 3 && strncmp(url + n - 3, ".md", 3) == 0) {
		const char *slash = memrchr(url, '/', n);
		const char *base = slash ? slash + 1 : url;
		if (!S_notes_dir(url, (size_t)(base - url))) {
			S_broken(out, kl_sprintf("`%.*s` is not a note: notes are linked as name.md",
						 (int)(n > 80 ? 80 : n), url));
			return;
		}
		S_resolve_note(base, (size_t)(url + n - 3 - base), frag, res, out);
		return;
	}
	/* Diagrams: /static/diagrams/x.svg, or diagrams/x.svg relative to static/. */
	const char *d = strstr(url, "diagrams/");
	if (d && n > 4 && strncmp(url + n - 4, ".svg", 4) == 0 &&
	    (d == url || !strncmp(url, "/static/diagrams/", 17) ||
	     !strncmp(url, "../static/diagrams/", 19) || !strncmp(url, "static/diagrams/", 16))) {
		const char *name = d + 9;
		size_t len = (size_t)(url + n - name);
		char *file = strndup(name, len);
		if (!file)
			abort();
		bool ok = len > 4 && !strchr(file, '/') && file[0] != '.';
		if (!ok || !S_exists(res ? res->diagram_exists : NULL, res, file)) {
			S_broken(out, kl_sprintf("No diagram `%s` (static/diagrams/%.*s.dot)", file,
						 (int)(len > 4 ? len - 4 : 0), file));
			free(file);
			return;
		}
		out->kind = MD_LINK_STATIC;
		out->href = kl_sprintf("/static/diagrams/%s", file);
		free(file);
		return;
	}
	if (strncmp(url, "/static/", 8) == 0) {
		out->kind = MD_LINK_STATIC;
		out->href = kl_strdup(url);
		return;
	}
	S_broken(out, kl_sprintf("`%.*s` is not a note, lab or diagram", (int)(n > 80 ? 80 : n),
				 url));
}

/* ---------------------------------------------------------------- C highlighting */

static const char *const S_c_keywords[] = {
	"auto", "break", "case", "const", "continue", "default", "do", "else", "enum",
	"extern", "for", "goto", "if", "inline", "register", "restrict", "return", "sizeof",
	"static", "struct", "switch", "typedef", "union", "volatile", "while", "_Alignas",
	"_Alignof", "_Atomic", "_Generic", "_Noreturn", "_Static_assert", "_Thread_local",
	"asm", "__asm__", "typeof", "__typeof__", "__init", "__exit", "__user", "__iomem",
	"__rcu", "__percpu", "__must_check", "__always_inline", "noinline", NULL,
};

static const char *const S_c_types[] = {
	"char", "short", "int", "long", "float", "double", "void", "signed", "unsigned",
	"_Bool", "bool", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "__u8",
	"__u16", "__u32", "__u64", "__s8", "__s16", "__s32", "__s64", "__le16", "__le32",
	"__le64", "__be16", "__be32", "__be64", "size_t", "ssize_t", "loff_t", "pid_t",
	"uid_t", "gid_t", "dev_t", "umode_t", "off_t", "gfp_t", "atomic_t", "atomic64_t",
	"refcount_t", "spinlock_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t", "int8_t",
	"int16_t", "int32_t", "int64_t", "uintptr_t", "intptr_t", "irqreturn_t", "FILE",
	NULL,
};

static const char *const S_c_constants[] = { "NULL", "true", "false", NULL };

static bool S_in(const char *const *set, const char *s, size_t n)
{
	for (size_t i = 0; set[i]; i++)
		if (strlen(set[i]) == n && memcmp(set[i], s, n) == 0)
			return true;
	return false;
}

static bool S_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool S_ident_char(char c)
{
	return S_ident_start(c) || (c >= '0' && c <= '9');
}

static void S_span(struct kl_buf *out, const char *cls, const char *s, size_t n)
{
	kl_buf_printf(out, "<span class=\"tok-%s\">", cls);
	kl_buf_add_html(out, s, n);
	kl_buf_puts(out, "</span>");
}

/* End of a quoted literal starting at s[i] (the quote), stopping at a newline. */
static size_t S_quoted_end(const char *s, size_t len, size_t i)
{
	char q = s[i++];

	while (i < len && s[i] != q && s[i] != '\n') {
		if (s[i] == '\\' && i + 1 < len)
			i++;
		i++;
	}
	return i < len && s[i] == q ? i + 1 : i;
}

void md_highlight_c(const char *s, size_t len, struct kl_buf *out)
{
	size_t i = 0;
	bool line_start = true; /* only blanks so far on this line */
	bool include = false;   /* after #include: <file> is a string */

	while (i < len) {
		char c = s[i];
		size_t j;

		if (c == '\n') {
			kl_buf_putc(out, '\n');
			line_start = true;
			include = false;
			i++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			kl_buf_putc(out, c);
			i++;
		} else if (c == '/' && i + 1 < len && s[i + 1] == '/') {
			for (j = i; j < len && s[j] != '\n'; j++)
				;
			S_span(out, "com", s + i, j - i);
			i = j;
		} else if (c == '/' && i + 1 < len && s[i + 1] == '*') {
			const char *end = NULL;
			for (j = i + 2; j + 1 < len; j++) {
				if (s[j] == '*' && s[j + 1] == '/') {
					end = s + j + 2;
					break;
				}
			}
			j = end ? (size_t)(end - s) : len;
			S_span(out, "com", s + i, j - i);
			i = j;
		} else if (c == '#' && line_start) {
			j = i + 1;
			while (j < len && (s[j] == ' ' || s[j] == '\t'))
				j++;
			while (j < len && S_ident_char(s[j]))
				j++;
			include = (j - i >= 8 && memcmp(s + j - 7, "include", 7) == 0);
			S_span(out, "pp", s + i, j - i);
			i = j;
			line_start = false;
		} else if (c == '"' || c == '\'') {
			j = S_quoted_end(s, len, i);
			S_span(out, "str", s + i, j - i);
			i = j;
			line_start = false;
		} else if (c == '<' && include) {
			for (j = i; j < len && s[j] != '>' && s[j] != '\n'; j++)
				;
			if (j < len && s[j] == '>')
				j++;
			S_span(out, "str", s + i, j - i);
			i = j;
		} else if ((c >= '0' && c <= '9') ||
			   (c == '.' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9')) {
			j = i + 1;
			while (j < len && (S_ident_char(s[j]) || s[j] == '.' ||
					   ((s[j] == '+' || s[j] == '-') &&
					    (s[j - 1] == 'e' || s[j - 1] == 'E' || s[j - 1] == 'p' ||
					     s[j - 1] == 'P') && !(s[i] == '0' && j > i + 1 &&
								   (s[i + 1] == 'x' || s[i + 1] == 'X')))))
				j++;
			S_span(out, "num", s + i, j - i);
			i = j;
			line_start = false;
		} else if (S_ident_start(c)) {
			for (j = i; j < len && S_ident_char(s[j]); j++)
				;
			size_t k = j;
			while (k < len && (s[k] == ' ' || s[k] == '\t'))
				k++;
			if (S_in(S_c_keywords, s + i, j - i))
				S_span(out, "kw", s + i, j - i);
			else if (S_in(S_c_types, s + i, j - i))
				S_span(out, "type", s + i, j - i);
			else if (S_in(S_c_constants, s + i, j - i))
				S_span(out, "num", s + i, j - i);
			else if (k < len && s[k] == '(')
				S_span(out, "fn", s + i, j - i);
			else
				kl_buf_add_html(out, s + i, j - i);
			i = j;
			line_start = false;
		} else {
			kl_buf_add_html(out, s + i, 1);
			i++;
			line_start = false;
		}
	}
}

/* ---------------------------------------------------------------- folds */

static const char *S_skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	return s;
}

static bool S_eat(const char **s, const char *word)
{
	size_t n = strlen(word);

	if (strncasecmp(*s, word, n) != 0)
		return false;
	*s += n;
	return true;
}

int md_fold_parse(const char *html, int *closes, int *opens, struct kl_buf *out)
{
	const char *s = S_skip_space(html ? html : "");

	*closes = *opens = 0;
	if (!*s)
		return -1;
	while (*s) {
		if (S_eat(&s, "<details>")) {
			kl_buf_puts(out, "<details class=\"fold\">\n");
			(*opens)++;
			s = S_skip_space(s);
			if (S_eat(&s, "<summary>")) {
				const char *end = strstr(s, "</summary>");
				size_t n = end ? (size_t)(end - s) : 0;
				if (!end || n == 0 || memchr(s, '<', n) || memchr(s, '>', n) ||
				    memchr(s, '\n', n))
					return -1;
				kl_buf_puts(out, "<summary>");
				kl_buf_add_html(out, s, n);
				kl_buf_puts(out, "</summary>\n");
				s = end + strlen("</summary>");
			}
		} else if (S_eat(&s, "</details>") && *opens == 0) {
			kl_buf_puts(out, "</details>\n");
			(*closes)++;
		} else {
			return -1; /* anything else, or a close after an open in one block */
		}
		s = S_skip_space(s);
	}
	return 0;
}

struct S_fold {
	cmark_node *node;   /* an HTML block of fold tags */
	int closes, opens;  /* the </details> it starts with, then the <details> */
	char *html;         /* what it becomes */
};

/* Index of the first fold that does not pair up, or -1 when all of them do. */
static ssize_t S_fold_unpaired(const struct S_fold *v, size_t n)
{
	cmark_node **stack = calloc(n + 1, sizeof(*stack)); /* parent of each open fold */
	size_t depth = 0, open_at = 0;
	ssize_t bad = -1;

	if (!stack)
		abort();
	for (size_t i = 0; i < n && bad < 0; i++) {
		cmark_node *parent = cmark_node_parent(v[i].node);
		for (int k = 0; k < v[i].closes && bad < 0; k++) {
			if (depth == 0 || stack[depth - 1] != parent)
				bad = (ssize_t)i;
			else
				depth--;
		}
		if (depth == 0)
			open_at = i;
		for (int k = 0; k < v[i].opens; k++)
			stack[depth++] = parent;
	}
	free(stack);
	if (bad < 0 && depth > 0)
		bad = (ssize_t)open_at;
	return bad;
}

int md_folds(struct cmark_node *root, bool replace,
	     void (*bad)(void *ctx, struct cmark_node *node, const char *why), void *ctx)
{
	struct S_fold *v = NULL;
	size_t n = 0, cap = 0;
	struct kl_buf html = KL_BUF_INIT;
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;
	int nbad = 0, closes, opens;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *cur = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(cur);
		if (ev != CMARK_EVENT_ENTER ||
		    (t != CMARK_NODE_HTML_BLOCK && t != CMARK_NODE_HTML_INLINE))
			continue;
		kl_buf_reset(&html);
		if (t != CMARK_NODE_HTML_BLOCK ||
		    md_fold_parse(cmark_node_get_literal(cur), &closes, &opens, &html) < 0) {
			if (bad)
				bad(ctx, cur, "raw HTML is not shown (notes render in safe mode); the "
					      "only HTML allowed is an answer fold: a block of "
					      "<details> and <summary>text</summary>, a blank line, "
					      "Markdown, a blank line, </details>");
			nbad++;
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			v = realloc(v, cap * sizeof(*v));
			if (!v)
				abort();
		}
		v[n++] = (struct S_fold){ cur, closes, opens, kl_strdup(kl_buf_str(&html)) };
	}
	cmark_iter_free(it);
	kl_buf_release(&html);

	ssize_t unpaired = S_fold_unpaired(v, n);
	if (unpaired >= 0) {
		if (bad)
			bad(ctx, v[unpaired].node,
			    "<details> and </details> do not pair up: close each fold with its own "
			    "</details> block in the same list item or quote it was opened in");
		nbad += (int)n;
	}
	for (size_t i = 0; i < n; i++) {
		if (replace && unpaired < 0) {
			cmark_node *c = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK);
			cmark_node_set_on_enter(c, v[i].html);
			cmark_node_set_on_exit(c, "");
			if (cmark_node_insert_before(v[i].node, c))
				cmark_node_free(v[i].node);
			else
				cmark_node_free(c);
		}
		free(v[i].html);
	}
	free(v);
	return nbad;
}

/* ---------------------------------------------------------------- rendering */

struct S_nodes {
	cmark_node **v;
	size_t n, cap;
};

static void S_push(struct S_nodes *a, cmark_node *node)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
		if (!a->v)
			abort();
	}
	a->v[a->n++] = node;
}

/*
 * Appends the text under node: text and code spans; with blocks, also code
 * blocks, and a newline between the blocks inside (as md_plain_text writes).
 */
static void S_text(cmark_node *node, struct kl_buf *out, bool blocks)
{
	cmark_iter *it = cmark_iter_new(node);
	cmark_event_type ev;

	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *cur = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(cur);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		if (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE ||
		    (blocks && t == CMARK_NODE_CODE_BLOCK))
			kl_buf_puts(out, cmark_node_get_literal(cur));
		else if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK)
			kl_buf_putc(out, ' ');
		else if (blocks && cur != node && (t & CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_BLOCK)
			kl_buf_putc(out, '\n');
	}
	cmark_iter_free(it);
}

static void S_node_text(cmark_node *node, struct kl_buf *out)
{
	S_text(node, out, false);
}

/*
 * Replaces node by a custom node of type t with on_enter/on_exit, keeping its
 * children. Returns false, leaving node as it was, where node's parent takes no
 * custom node (a table cell, for one).
 */
static bool S_replace(cmark_node *node, cmark_node_type t, const char *enter, const char *exit)
{
	cmark_node *c = cmark_node_new(t);
	cmark_node *child;

	cmark_node_set_on_enter(c, enter);
	cmark_node_set_on_exit(c, exit);
	while ((child = cmark_node_first_child(node))) {
		cmark_node_unlink(child);
		cmark_node_append_child(c, child);
	}
	if (!cmark_node_insert_before(node, c)) {
		while ((child = cmark_node_first_child(c))) {
			cmark_node_unlink(child);
			cmark_node_append_child(node, child);
		}
		cmark_node_free(c);
		return false;
	}
	cmark_node_free(node);
	return true;
}

/* node inside a custom inline node with on_enter/on_exit, when its parent takes one. */
static void S_wrap(cmark_node *node, const char *enter, const char *exit)
{
	cmark_node *c = cmark_node_new(CMARK_NODE_CUSTOM_INLINE);

	cmark_node_set_on_enter(c, enter);
	cmark_node_set_on_exit(c, exit);
	if (cmark_node_insert_before(node, c)) {
		cmark_node_unlink(node);
		cmark_node_append_child(c, node);
	} else {
		cmark_node_free(c);
	}
}

/*
 * A diagram: the image inside a link to itself at full size (a phone shows it
 * whole, too small to read; klab.js opens the link in an overlay), marked so
 * that the stylesheet can follow the light or dark theme.
 */
static void S_diagram(cmark_node *img, const char *href)
{
	struct kl_buf enter = KL_BUF_INIT;

	kl_buf_puts(&enter, "<a class=\"diagram\" href=\"");
	kl_buf_puts_html(&enter, href);
	kl_buf_puts(&enter, "\" title=\"Open the diagram full size\">");
	S_wrap(img, kl_buf_str(&enter), "</a>");
	kl_buf_release(&enter);
}

/* A table whose header row is all empty cells (a key/value table) gets no header. */
static void S_tables(struct S_nodes *tables)
{
	for (size_t i = 0; i < tables->n; i++) {
		cmark_node *row = cmark_node_first_child(tables->v[i]);
		if (!row || !cmark_gfm_extensions_get_table_row_is_header(row))
			continue;
		int empty = 1;
		for (cmark_node *c = cmark_node_first_child(row); c && empty; c = cmark_node_next(c))
			empty = cmark_node_first_child(c) == NULL;
		if (empty && cmark_node_next(row))
			cmark_node_free(row);
	}
}

static void S_links(struct S_nodes *links, const struct md_resolver *res, char *const *ids,
		    size_t nids, int *nbroken)
{
	struct kl_buf enter = KL_BUF_INIT;

	for (size_t i = 0; i < links->n; i++) {
		cmark_node *node = links->v[i];
		struct md_link l;

		md_link_resolve(cmark_node_get_url(node), res, ids, nids, &l);
		if (l.kind != MD_LINK_BROKEN) {
			cmark_node_set_url(node, l.href);
			if (cmark_node_get_type(node) == CMARK_NODE_IMAGE &&
			    strncmp(l.href, "/static/diagrams/", 17) == 0)
				S_diagram(node, l.href);
		} else {
			bool image = cmark_node_get_type(node) == CMARK_NODE_IMAGE;
			kl_buf_reset(&enter);
			kl_buf_printf(&enter, "<span class=\"broken-link%s\" title=\"",
				      image ? " broken-image" : "");
			kl_buf_puts_html(&enter, l.why);
			kl_buf_puts(&enter, "\">");
			if (!S_replace(node, CMARK_NODE_CUSTOM_INLINE, kl_buf_str(&enter), "</span>")) {
				/* no span allowed here: a link to nowhere that says why */
				cmark_node_set_url(node, "#broken-link");
				cmark_node_set_title(node, l.why);
			}
			(*nbroken)++;
		}
		md_link_release(&l);
	}
	kl_buf_release(&enter);
}

/* Code spans the resolver knows in the kernel's source become links to it. */
static void S_code_links(struct S_nodes *spans, const struct md_resolver *res)
{
	for (size_t i = 0; res && res->code_link && i < spans->n; i++) {
		cmark_node *code = spans->v[i];
		bool in_link = false;
		for (cmark_node *p = cmark_node_parent(code); p && !in_link; p = cmark_node_parent(p))
			in_link = cmark_node_get_type(p) == CMARK_NODE_LINK;
		char *url = in_link ? NULL : res->code_link(res->ctx, cmark_node_get_literal(code));
		if (!url)
			continue;
		cmark_node *link = cmark_node_new(CMARK_NODE_LINK);
		cmark_node_set_url(link, url);
		if (cmark_node_insert_before(code, link))
			cmark_node_append_child(link, code); /* moves the span into the link */
		else
			cmark_node_free(link);
		free(url);
	}
}

/* The mark for a code span's text: `x`, `x(...)`, `struct x` (union, enum) name x. */
static const struct md_mark *S_span_mark(const struct md_resolver *res, const char *code)
{
	for (const char *tag = code; (tag = strchr(tag, ' ')); tag++)
		code = tag + 1; /* `struct x`: x */
	size_t n = strcspn(code, "(");

	for (size_t i = 0; i < res->nmarks; i++)
		if (strlen(res->marks[i].word) == n && memcmp(res->marks[i].word, code, n) == 0)
			return &res->marks[i];
	return NULL;
}

/* node wrapped in the quiet span of mark m, when its parent takes one. */
static void S_wrap_mark(cmark_node *node, const struct md_mark *m)
{
	struct kl_buf enter = KL_BUF_INIT;

	kl_buf_puts(&enter, "<span class=\"ident-unknown\" title=\"");
	kl_buf_puts_html(&enter, m->title);
	kl_buf_puts(&enter, "\">");
	S_wrap(node, kl_buf_str(&enter), "</span>");
	kl_buf_release(&enter);
}

static bool S_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* The first whole word of text that a mark names: its mark, *at and *len. */
static const struct md_mark *S_text_mark(const struct md_resolver *res, const char *text,
					 size_t *at, size_t *len)
{
	const struct md_mark *best = NULL;

	for (size_t i = 0; i < res->nmarks; i++) {
		size_t n = strlen(res->marks[i].word);
		for (const char *p = text; n && (p = strstr(p, res->marks[i].word)); p++) {
			if ((p > text && S_word_char(p[-1])) || S_word_char(p[n]))
				continue;
			if (!best || (size_t)(p - text) < *at) {
				best = &res->marks[i];
				*at = (size_t)(p - text);
				*len = n;
			}
			break;
		}
	}
	return best;
}

/* Marks the names res->marks lists in code spans and in the words of prose. */
static void S_marks(cmark_node *root, struct S_nodes *spans, const struct md_resolver *res)
{
	struct S_nodes texts = { NULL, 0, 0 };
	cmark_iter *it;
	cmark_event_type ev;

	if (!res || !res->nmarks)
		return;
	for (size_t i = 0; i < spans->n; i++) {
		const struct md_mark *m = S_span_mark(res, cmark_node_get_literal(spans->v[i]));
		if (m)
			S_wrap_mark(spans->v[i], m);
	}
	it = cmark_iter_new(root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(node) == CMARK_NODE_TEXT)
			S_push(&texts, node);
	}
	cmark_iter_free(it);
	for (size_t i = 0; i < texts.n; i++) {
		cmark_node *text = texts.v[i];
		const struct md_mark *m;
		size_t at = 0, len = 0;
		/* "before WORD after": text keeps before, WORD goes in its span, after is next */
		while ((m = S_text_mark(res, cmark_node_get_literal(text), &at, &len))) {
			char *lit = kl_strdup(cmark_node_get_literal(text));
			cmark_node *word = cmark_node_new(CMARK_NODE_TEXT);
			cmark_node *after = cmark_node_new(CMARK_NODE_TEXT);
			cmark_node_set_literal(after, lit + at + len);
			lit[at + len] = '\0';
			cmark_node_set_literal(word, lit + at);
			lit[at] = '\0';
			cmark_node_set_literal(text, lit);
			free(lit);
			cmark_node_insert_after(text, word);
			cmark_node_insert_after(word, after);
			S_wrap_mark(word, m);
			text = after;
		}
	}
	free(texts.v);
}

static bool S_is_c(const char *info)
{
	size_t n = strcspn(info ? info : "", " \t{");

	return info && ((n == 1 && (info[0] == 'c' || info[0] == 'C' || info[0] == 'h')));
}

static bool S_is_diff(const char *info)
{
	size_t n = strcspn(info ? info : "", " \t{");

	return info && ((n == 4 && strncmp(info, "diff", 4) == 0) ||
			(n == 5 && strncmp(info, "patch", 5) == 0));
}

/*
 * A hunk header "@@ -a[,b] +c[,d] @@": its first line numbers and line counts
 * (1 when left out). 0 when it is not one.
 */
static int S_hunk(const char *l, size_t n, long *old_no, long *new_no, long *old_left,
		  long *new_left)
{
	char head[160];
	const char *p;

	snprintf(head, sizeof(head), "%.*s", (int)(n < 159 ? n : 159), l);
	if (sscanf(head, "@@ -%ld", old_no) != 1 || !(p = strchr(head, '+')))
		return 0;
	*old_left = *new_left = 1;
	const char *comma = strchr(head, ',');
	if (comma && comma < p)
		*old_left = strtol(comma + 1, NULL, 10);
	if (sscanf(p, "+%ld", new_no) != 1)
		return 0;
	comma = strchr(p, ',');
	if (comma && comma < strstr(p, " @@"))
		*new_left = strtol(comma + 1, NULL, 10);
	return 1;
}

void md_highlight_diff(const char *diff, size_t len, struct kl_buf *out)
{
	long old_no = 0, new_no = 0, old_left = 0, new_left = 0;

	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && diff[j] != '\n')
			j++;
		const char *l = diff + i;
		size_t n = j - i;
		const char *cls = "d-meta";
		char a[24] = "", b[24] = "";
		int in_hunk = old_left > 0 || new_left > 0;
		if (!in_hunk && n >= 2 && !strncmp(l, "@@", 2) &&
		    S_hunk(l, n, &old_no, &new_no, &old_left, &new_left)) {
			cls = "d-hunk";
		} else if (in_hunk && n && l[0] == '+') {
			cls = "d-add";
			snprintf(b, sizeof(b), "%ld", new_no++);
			new_left--;
		} else if (in_hunk && n && l[0] == '-') {
			cls = "d-del";
			snprintf(a, sizeof(a), "%ld", old_no++);
			old_left--;
		} else if (in_hunk && n && l[0] == '\\') {
			cls = "d-meta"; /* "\ No newline at end of file" */
		} else if (in_hunk) {
			cls = "d-ctx";
			snprintf(a, sizeof(a), "%ld", old_no++);
			snprintf(b, sizeof(b), "%ld", new_no++);
			old_left--;
			new_left--;
		} else if (n && (l[0] == '+' || l[0] == '-') && strncmp(l, "+++ ", 4) != 0 &&
			   strncmp(l, "--- ", 4) != 0) {
			cls = l[0] == '+' ? "d-add" : "d-del"; /* a fragment without hunks */
		} else if (n && l[0] == ' ') {
			cls = "d-ctx";
		}
		kl_buf_printf(out, "<span class=\"%s\"><span class=\"ln\" data-n=\"%s\"></span>"
				   "<span class=\"ln\" data-n=\"%s\"></span>", cls, a, b);
		kl_buf_add_html(out, l, n);
		kl_buf_puts(out, "</span>"); /* a block each: no newline between them */
		i = j + 1;
	}
}

static void S_code_blocks(struct S_nodes *blocks)
{
	struct kl_buf html = KL_BUF_INIT;

	for (size_t i = 0; i < blocks->n; i++) {
		const char *code = cmark_node_get_literal(blocks->v[i]);
		kl_buf_reset(&html);
		if (S_is_diff(cmark_node_get_fence_info(blocks->v[i]))) {
			size_t n = strlen(code);
			kl_buf_puts(&html, "<pre class=\"diff\"><code class=\"language-diff\">");
			md_highlight_diff(code, n && code[n - 1] == '\n' ? n - 1 : n, &html);
		} else {
			kl_buf_puts(&html, "<pre class=\"code\"><code class=\"language-c\">");
			md_highlight_c(code, strlen(code), &html);
		}
		kl_buf_puts(&html, "</code></pre>\n");
		S_replace(blocks->v[i], CMARK_NODE_CUSTOM_BLOCK, kl_buf_str(&html), "");
	}
	kl_buf_release(&html);
}

static void S_headings(struct S_nodes *hs, struct md_doc *doc, cmark_llist *exts)
{
	struct kl_buf html = KL_BUF_INIT;
	cmark_mem *mem = cmark_get_default_mem_allocator();

	for (size_t i = 0; i < hs->n; i++) {
		const struct md_heading *h = &doc->headings[i];
		char *inner = cmark_render_html(hs->v[i], S_OPTIONS, exts);
		char *open = strchr(inner, '>');
		char *close = strstr(inner, "</h");
		char *body = open ? open + 1 : inner;
		size_t blen = close && close >= body ? (size_t)(close - body) : strlen(body);

		kl_buf_reset(&html);
		kl_buf_printf(&html, "<h%d id=\"", h->level);
		kl_buf_puts_html(&html, h->id);
		kl_buf_puts(&html, "\">");
		kl_buf_add(&html, body, blen);
		kl_buf_puts(&html, " <a class=\"anchor\" href=\"#");
		kl_buf_puts_html(&html, h->id);
		kl_buf_printf(&html, "\" aria-label=\"Link to this section\">#</a></h%d>\n",
			      h->level);
		mem->free(inner);
		cmark_node *c = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK);
		cmark_node_set_on_enter(c, kl_buf_str(&html));
		cmark_node_set_on_exit(c, "");
		if (cmark_node_insert_before(hs->v[i], c))
			cmark_node_free(hs->v[i]);
		else
			cmark_node_free(c); /* cannot happen for a heading; keep cmark's own */
	}
	kl_buf_release(&html);
}

static char *S_toc(const struct md_doc *doc)
{
	struct kl_buf out = KL_BUF_INIT;
	int depth = 0, count = 0;

	for (size_t i = 0; i < doc->nheadings; i++)
		count += doc->headings[i].level == 2 || doc->headings[i].level == 3;
	if (count < 2)
		return kl_strdup("");
	kl_buf_puts(&out, "<ol>");
	depth = 1;
	int top = 2;
	bool open_li = false;
	for (size_t i = 0; i < doc->nheadings; i++) {
		const struct md_heading *h = &doc->headings[i];
		if (h->level != 2 && h->level != 3)
			continue;
		int want = h->level - top + 1;
		if (want > depth && open_li) {
			kl_buf_puts(&out, "<ol>");
			depth++;
			open_li = false;
		}
		while (want < depth) {
			kl_buf_puts(&out, "</li></ol>");
			depth--;
		}
		if (open_li)
			kl_buf_puts(&out, "</li>");
		kl_buf_puts(&out, "<li><a href=\"#");
		kl_buf_puts_html(&out, h->id);
		kl_buf_puts(&out, "\">");
		kl_buf_puts_html(&out, h->text);
		kl_buf_puts(&out, "</a>");
		open_li = true;
	}
	while (depth > 1) {
		kl_buf_puts(&out, "</li></ol>");
		depth--;
	}
	kl_buf_puts(&out, "</li></ol>");
	return kl_buf_detach(&out);
}

/* Gives each heading its text and a unique id. */
static void S_heading_ids(struct S_nodes *hs, struct md_doc *doc)
{
	struct kl_buf text = KL_BUF_INIT;

	doc->headings = calloc(hs->n ? hs->n : 1, sizeof(*doc->headings));
	if (!doc->headings)
		abort();
	for (size_t i = 0; i < hs->n; i++) {
		struct md_heading *h = &doc->headings[i];
		kl_buf_reset(&text);
		S_node_text(hs->v[i], &text);
		h->level = cmark_node_get_heading_level(hs->v[i]);
		h->text = kl_strdup(kl_buf_str(&text));
		char *base = kl_slug(h->text);
		if (!*base) {
			free(base);
			base = kl_strdup("section");
		}
		h->id = kl_strdup(base);
		for (int k = 1;; k++) {
			bool dup = false;
			for (size_t j = 0; j < i && !dup; j++)
				dup = strcmp(doc->headings[j].id, h->id) == 0;
			if (!dup)
				break;
			free(h->id);
			h->id = kl_sprintf("%s-%d", base, k);
		}
		free(base);
		doc->nheadings++;
		if (!doc->title && h->level == 1)
			doc->title = kl_strdup(h->text);
	}
	kl_buf_release(&text);
}

static cmark_parser *S_parser(void)
{
	cmark_gfm_core_extensions_ensure_registered();
	cmark_parser *p = cmark_parser_new(S_OPTIONS);
	const char *names[] = { "table", "strikethrough", "autolink" };

	if (!p)
		abort();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cmark_syntax_extension *ext = cmark_find_syntax_extension(names[i]);
		if (ext)
			cmark_parser_attach_syntax_extension(p, ext);
	}
	return p;
}

int md_render(const char *text, size_t len, const struct md_resolver *res, int flags,
	      struct md_doc *doc, struct kl_err *err)
{
	struct S_nodes headings = { 0 }, links = { 0 }, code = { 0 }, tables = { 0 }, spans = { 0 };
	cmark_parser *p = S_parser();
	cmark_node *root;
	char **ids = NULL;
	int rc = -1;

	memset(doc, 0, sizeof(*doc));
	cmark_parser_feed(p, text, len);
	root = cmark_parser_finish(p);
	if (!root) {
		kl_err_set(err, "cannot parse the Markdown text");
		goto out;
	}
	cmark_node *first = cmark_node_first_child(root);
	if ((flags & MD_DROP_TITLE) && first && cmark_node_get_type(first) == CMARK_NODE_HEADING &&
	    cmark_node_get_heading_level(first) == 1) {
		struct kl_buf t = KL_BUF_INIT;
		S_node_text(first, &t);
		doc->title = kl_buf_detach(&t);
		cmark_node_free(first);
	}
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *cur = cmark_iter_get_node(it);
		if (ev != CMARK_EVENT_ENTER)
			continue;
		switch (cmark_node_get_type(cur)) {
		case CMARK_NODE_HEADING: S_push(&headings, cur); break;
		case CMARK_NODE_LINK:
		case CMARK_NODE_IMAGE: S_push(&links, cur); break;
		case CMARK_NODE_CODE_BLOCK:
			if (S_is_c(cmark_node_get_fence_info(cur)) ||
			    S_is_diff(cmark_node_get_fence_info(cur)))
				S_push(&code, cur);
			break;
		case CMARK_NODE_CODE: S_push(&spans, cur); break;
		default:
			if (strcmp(cmark_node_get_type_string(cur), "table") == 0)
				S_push(&tables, cur);
			break;
		}
	}
	cmark_iter_free(it);
	S_heading_ids(&headings, doc);
	ids = calloc(doc->nheadings + 1, sizeof(*ids));
	if (!ids)
		abort();
	for (size_t i = 0; i < doc->nheadings; i++)
		ids[i] = doc->headings[i].id;
	S_links(&links, res, ids, doc->nheadings, &doc->nbroken);
	S_code_blocks(&code);
	S_code_links(&spans, res);
	S_marks(root, &spans, res);
	md_folds(root, true, NULL, NULL);
	S_tables(&tables);
	S_headings(&headings, doc, cmark_parser_get_syntax_extensions(p));
	char *html = cmark_render_html(root, S_OPTIONS, cmark_parser_get_syntax_extensions(p));
	doc->html = kl_strdup(html);
	cmark_get_default_mem_allocator()->free(html);
	doc->toc_html = S_toc(doc);
	rc = 0;
out:
	free(ids);
	free(headings.v);
	free(links.v);
	free(code.v);
	free(tables.v);
	free(spans.v);
	if (root)
		cmark_node_free(root);
	cmark_parser_free(p);
	if (rc < 0)
		md_doc_release(doc);
	return rc;
}

void md_doc_release(struct md_doc *doc)
{
	free(doc->html);
	free(doc->toc_html);
	free(doc->title);
	for (size_t i = 0; i < doc->nheadings; i++) {
		free(doc->headings[i].id);
		free(doc->headings[i].text);
	}
	free(doc->headings);
	memset(doc, 0, sizeof(*doc));
}

/* ---------------------------------------------------------------- plain text */

void md_plain_text(const char *text, size_t len, struct kl_buf *out)
{
	cmark_parser *p = S_parser();
	cmark_node *root;
	cmark_event_type ev;

	cmark_parser_feed(p, text, len);
	root = cmark_parser_finish(p);
	if (!root) {
		cmark_parser_free(p);
		return;
	}
	cmark_iter *it = cmark_iter_new(root);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *cur = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(cur);
		if (ev == CMARK_EVENT_ENTER) {
			if (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE)
				kl_buf_puts(out, cmark_node_get_literal(cur));
			else if (t == CMARK_NODE_CODE_BLOCK) {
				kl_buf_puts(out, cmark_node_get_literal(cur));
				kl_buf_putc(out, '\n');
			}
			else if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK)
				kl_buf_putc(out, ' ');
		} else if (ev == CMARK_EVENT_EXIT &&
			   (t & CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_BLOCK) {
			kl_buf_putc(out, '\n');
		}
	}
	cmark_iter_free(it);
	cmark_node_free(root);
	cmark_parser_free(p);
}

/* ---------------------------------------------------------------- sections */

/*
 * Parses text for md_section_of and md_sections: *root gets the tree (the
 * level-1 title dropped with MD_DROP_TITLE) and doc the ids of its headings,
 * numbered as md_render numbers them; hs the heading nodes in the same order.
 * The caller frees *root (cmark_node_free), doc and hs->v.
 */
static void S_parse_headings(const char *text, size_t len, int flags, cmark_node **root,
			     struct md_doc *doc, struct S_nodes *hs)
{
	cmark_parser *p = S_parser();

	memset(doc, 0, sizeof(*doc));
	cmark_parser_feed(p, text, len);
	*root = cmark_parser_finish(p);
	cmark_parser_free(p);
	if (!*root)
		return;
	cmark_node *first = cmark_node_first_child(*root);
	if ((flags & MD_DROP_TITLE) && first && cmark_node_get_type(first) == CMARK_NODE_HEADING &&
	    cmark_node_get_heading_level(first) == 1)
		cmark_node_free(first);
	cmark_iter *it = cmark_iter_new(*root);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE)
		if (ev == CMARK_EVENT_ENTER &&
		    cmark_node_get_type(cmark_iter_get_node(it)) == CMARK_NODE_HEADING)
			S_push(hs, cmark_iter_get_node(it));
	cmark_iter_free(it);
	S_heading_ids(hs, doc);
}

/* The index in hs of top-level block b when it is a heading below level 1, else -1. */
static long S_section_heading(const struct S_nodes *hs, const struct md_doc *doc, cmark_node *b)
{
	if (cmark_node_get_type(b) != CMARK_NODE_HEADING)
		return -1;
	for (size_t i = 0; i < hs->n; i++)
		if (hs->v[i] == b && doc->headings[i].level > 1)
			return (long)i;
	return -1;
}

char *md_section_of(const char *text, size_t len, int flags, const char *needle)
{
	struct S_nodes hs = { 0 };
	struct md_doc doc;
	struct kl_buf block = KL_BUF_INIT;
	cmark_node *root;
	char *found = NULL;
	long current = -1;

	S_parse_headings(text, len, flags, &root, &doc, &hs);
	if (!root || !needle || !*needle)
		goto out;
	for (cmark_node *b = cmark_node_first_child(root); b && !found; b = cmark_node_next(b)) {
		long h = S_section_heading(&hs, &doc, b);
		if (h >= 0)
			current = h;
		kl_buf_reset(&block);
		S_text(b, &block, true);
		if (current >= 0 && strcasestr(kl_buf_str(&block), needle))
			found = kl_strdup(doc.headings[current].id);
	}
out:
	kl_buf_release(&block);
	md_doc_release(&doc);
	free(hs.v);
	if (root)
		cmark_node_free(root);
	return found;
}

static struct md_section *S_section_new(struct md_section **v, size_t *n)
{
	struct md_section *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		abort();
	*v = nv;
	memset(&nv[*n], 0, sizeof(nv[*n]));
	return &nv[(*n)++];
}

void md_sections(const char *text, size_t len, int flags, size_t max, struct md_section **out,
		 size_t *n)
{
	struct S_nodes hs = { 0 };
	struct md_doc doc;
	cmark_node *root;
	struct md_section *cur;

	*out = NULL;
	*n = 0;
	cur = S_section_new(out, n);
	S_parse_headings(text, len, flags, &root, &doc, &hs);
	for (cmark_node *b = root ? cmark_node_first_child(root) : NULL; b;
	     b = cmark_node_next(b)) {
		long h = S_section_heading(&hs, &doc, b);
		if (h >= 0 && *n < max) {
			cur = S_section_new(out, n);
			cur->id = kl_strdup(doc.headings[h].id);
			cur->heading = kl_strdup(doc.headings[h].text);
			continue;
		}
		S_text(b, &cur->text, true);
		kl_buf_putc(&cur->text, '\n');
	}
	md_doc_release(&doc);
	free(hs.v);
	if (root)
		cmark_node_free(root);
}

void md_sections_free(struct md_section *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].id);
		free(v[i].heading);
		kl_buf_release(&v[i].text);
	}
	free(v);
}
