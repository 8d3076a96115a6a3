/*
 * xref.c - `klab xref NAME`: where the lab kernel's source defines NAME (or
 * TYPE.MEMBER), who references it, and which ops-table initializers fill it.
 * The index is built on first use (xref/xref.h); `--build` only builds it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "xref/xref.h"

#define S_SOURCE XREF_DEFAULT_SOURCE

static const char S_help[] =
	"usage: klab xref NAME [--json] [--page N] [--source TARBALL]\n"
	"       klab xref --build [--source TARBALL]\n"
	"\n"
	"Looks NAME up in the index of the lab kernel's source (linux-source-6.1):\n"
	"its definitions (functions, prototypes, structs, members, macros, typedefs,\n"
	"variables, enumerators), its references grouped by file, and the ops-table\n"
	"initializers `.member = value` that fill it. NAME may be TYPE.MEMBER:\n"
	"  klab xref ppp_channel_ops.start_xmit   the member and every driver's start_xmit\n"
	"  klab xref task_struct                  the struct, and where it is used\n"
	"Lists come a page at a time (--page N): 200 definitions, the references of 200\n"
	"files, 500 initializers. The index is built once into\n"
	"$KLAB_CACHE/xref/ (a few minutes); --build only builds it.\n"
	"  --json  {\"name\", \"definitions\": [{file, line, kind}], \"references\": [{file,\n"
	"          line}], \"initializers\": [{file, line, variable, value, ...}], ...}\n";

static int S_open(const struct kl_config *cfg, const char *source, struct xref **x)
{
	struct xref_stats st;
	struct kl_err err = { "" };
	char *path = NULL;
	int built = 0, rc = 0;
	const char *tmp = getenv("TMPDIR");

	if (xref_ensure(cfg->cache, source, tmp ? tmp : "/tmp", stderr, &path, &built, &st,
			&err) < 0)
		return cli_fail("%s", err.msg);
	if (built)
		fprintf(stderr,
			"klab xref: index built in %.1f s (reading the source %.1f s, ctags %.1f s, "
			"rows %.1f s, indexes %.1f s; CPU %.1f + %.1f + %.1f + %.1f s): "
			"%zu files (%zu MB), "
			"%zu names, %zu definitions, %zu references in %zu (name, file) rows, "
			"%zu initializers, %zu kernel-doc comments; %s is %lld MB\n",
			st.seconds, st.read_seconds, st.ctags_seconds, st.rows_seconds,
			st.index_seconds, st.read_cpu, st.ctags_cpu, st.rows_cpu, st.index_cpu,
			st.files, st.bytes >> 20, st.names, st.defs,
			st.refs, st.ref_rows, st.inits, st.docs, path, st.db_bytes >> 20);
	if (x && xref_open(path, x, &err) < 0)
		rc = cli_fail("%s", err.msg);
	free(path);
	return rc;
}

static void S_print(const struct xref_result *r)
{
	printf("%s\n", r->name);
	if (r->ndefs)
		printf("\ndefinitions:\n");
	for (size_t i = 0; i < r->ndefs; i++) {
		const struct xref_def *d = &r->defs[i];
		printf("  %-10s %s:%d", d->kind, d->file, d->line);
		if (d->scope)
			printf("  (in %s)", d->scope);
		if (d->doc_line)
			printf("  kernel-doc at line %d", d->doc_line);
		putchar('\n');
	}
	if (r->ninits)
		printf("\ninitializers (%zu):\n", r->inits_total);
	for (size_t i = 0; i < r->ninits; i++)
		printf("  %s:%d  %s.%s = %s  (in %s)\n", r->inits[i].file, r->inits[i].line,
		       r->inits[i].type, r->inits[i].member, r->inits[i].value,
		       r->inits[i].variable);
	if (r->nuses)
		printf("\nused as an initializer (%zu):\n", r->uses_total);
	for (size_t i = 0; i < r->nuses; i++)
		printf("  %s:%d  %s.%s in %s\n", r->uses[i].file, r->uses[i].line, r->uses[i].type,
		       r->uses[i].member, r->uses[i].variable);
	printf("\nreferences: %zu in %zu files (page %d of %d)\n", r->ref_total, r->ref_files,
	       r->page, r->pages);
	for (size_t i = 0; i < r->nrefs; i++) {
		printf("  %s:", r->refs[i].file);
		for (size_t j = 0; j < r->refs[i].nlines; j++)
			printf("%s%d", j ? "," : " ", r->refs[i].lines[j]);
		if (r->refs[i].total > r->refs[i].nlines)
			printf(" (+%zu more)", r->refs[i].total - r->refs[i].nlines);
		putchar('\n');
	}
}

int cmd_xref(int argc, char **argv, const struct kl_config *cfg)
{
	const char *source = S_SOURCE, *name = NULL;
	int json = 0, build = 0, page = 1, rc;
	struct xref *x = NULL;
	struct xref_result r;
	struct kl_err err = { "" };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = 1;
		} else if (strcmp(argv[i], "--build") == 0) {
			build = 1;
		} else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc) {
			source = argv[++i];
		} else if (strcmp(argv[i], "--page") == 0 && i + 1 < argc) {
			page = atoi(argv[++i]);
			if (page < 1 || page > 1000000)
				return cli_fail("--page wants a number from 1");
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(S_help, stdout);
			return 0;
		} else if (argv[i][0] == '-' || name) {
			fputs(S_help, stderr);
			return 2;
		} else {
			name = argv[i];
		}
	}
	if (build)
		return S_open(cfg, source, NULL);
	if (!name) {
		fputs(S_help, stderr);
		return 2;
	}
	if (!xref_name_ok(name))
		return cli_fail("`%.80s` is not a C identifier: give a name such as task_struct, or "
				"TYPE.MEMBER such as file_operations.read_iter", name);
	if ((rc = S_open(cfg, source, &x)) != 0)
		return rc;
	rc = xref_lookup(x, name, page, &r, &err);
	if (rc < 0) {
		rc = cli_fail("%s", err.msg);
	} else if (json) {
		struct kl_buf out = KL_BUF_INIT;
		xref_result_json(&r, &out);
		puts(kl_buf_str(&out));
		kl_buf_release(&out);
		rc = rc == 1 ? 0 : 1;
	} else if (rc == 0) {
		fprintf(stderr, "klab xref: `%s` is not in the 6.1 kernel's source (x86 and the "
				"generic tree)\n", name);
		rc = 1;
	} else {
		S_print(&r);
		rc = 0;
	}
	xref_result_release(&r);
	xref_close(x);
	return rc;
}
