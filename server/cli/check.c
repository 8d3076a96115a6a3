/*
 * check.c - `klab check`: verifies the notes (front matter, links, anchors, lab
 * coverage, kernel identifiers in code spans) against the lab kernel named by a
 * kernel profile, and reports every problem as file:line. The work is done by
 * check/check.c; this file resolves the profile and prints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "check/check.h"
#include "core/fsutil.h"
#include "lab/profile.h"
#include "xref/xref.h"

#define S_SOURCE "/usr/src/linux-source-6.1.tar.xz"

static const char S_help[] =
	"usage: klab check [--kernel PROFILE] [--json] [--source TARBALL] [--index] [FILE...]\n"
	"\n"
	"Checks the notes (FILE..., default every notes/*.md) and prints each problem as\n"
	"file:line: message, then a summary; exit status 1 when there is any problem.\n"
	"A FILE outside notes/ is your own note: any Markdown file.\n"
	"  --kernel PROFILE  the lab kernel (kernels/PROFILE.yaml, default cloud)\n"
	"  --json            print the problems as a JSON array of {file, line, kind, message};\n"
	"                    an identifier also has name and suggestion (null when none)\n"
	"  --source TARBALL  the kernel source (default " S_SOURCE ")\n"
	"  --index           only build the kernel source index (if missing) and say so\n"
	"\n"
	"What is checked:\n"
	"  front matter  title, topic (the file name), order (a number), labs (a list of\n"
	"                existing lab ids), tags (a list); no other keys\n"
	"  links         lab:ID names a lab; TOPIC.md and TOPIC.md#anchor a note and one of\n"
	"                its headings; #anchor a heading of the same note; /static/... a file\n"
	"                under static/ (/static/diagrams/x.svg: static/diagrams/x.dot);\n"
	"                http(s): and mailto: are allowed, never fetched\n"
	"  labs          every lab is linked from a note (labs: or a lab: link; only when\n"
	"                every note is checked)\n"
	"  code spans    checked against the lab kernel: its System.map, Module.symvers and\n"
	"                generated headers, and the source index of the linux-source tarball\n"
	"                (the one `klab xref` reads), built once into $KLAB_CACHE/xref/\n"
	"                (a few minutes):\n"
	"    `name()`, `name(args)`   a function: a symbol, or a function (defined or\n"
	"                             declared, static inline too) or macro in the source\n"
	"    `struct x` (union, enum) a struct/union/enum defined in the source\n"
	"    `kernel/signal.c`        a path with a '/', ending in .c .h .S .rst .txt or\n"
	"                             named Makefile*, Kconfig*, Kbuild, or starting\n"
	"                             with a top-level folder (kernel/, arch/, ...): a\n"
	"                             file of the tree (`<linux/x.h>`, `linux/x.h`: also\n"
	"                             under include/)\n"
	"    `kernel/futex/`          a folder of the tree (first part a top-level folder)\n"
	"    `GFP_KERNEL`             UPPER_CASE with a '_': a #define or enumerator;\n"
	"                             `CONFIG_X`: a Kconfig symbol\n"
	"    `task_struct`            lower_case with a '_': any of the above, or a typedef,\n"
	"                             struct member or variable\n"
	"  Not checked: man pages (`sigaction(2)`), GNU C's own words (`__attribute__`,\n"
	"  `__builtin_expect()`), spans with spaces other than\n"
	"  `struct x`, words without '_', fenced code blocks. Keep user-space names out of\n"
	"  checked spans (write them as man pages or plain text).\n"
	"  Every unknown name gets the kernel's nearest real one: \"did you mean `x`?\"\n"
	"\n"
	"Your own notes (a FILE outside notes/):\n"
	"  front matter  optional; Hexo's and Jekyll's keys are accepted (title, date,\n"
	"                category/categories, tags as a list or a word, layout, ...): a date\n"
	"                must be one, a near-miss of a known key is reported (`titel`)\n"
	"  prose         words that look like kernel names are checked as code spans are:\n"
	"                snake_case with a '_' inside (get_signal), or any word followed by\n"
	"                `()`; not parts of paths, file names, URLs, options, hyphenations\n";

int cmd_check(int argc, char **argv, const struct kl_config *cfg)
{
	struct kl_err err = { "" };
	struct lab_profile p;
	struct check_kernel k;
	struct check_report rep;
	struct kl_buf json = KL_BUF_INIT;
	const char *kernel = "cloud", *source = S_SOURCE;
	char **files = NULL;
	char *index = NULL;
	size_t nfiles = 0;
	int as_json = 0, index_only = 0, rc = 2;

	memset(&p, 0, sizeof(p));
	memset(&k, 0, sizeof(k));
	memset(&rep, 0, sizeof(rep));
	files = calloc((size_t)argc + 1, sizeof(*files));
	if (!files)
		abort();
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--kernel") == 0 && i + 1 < argc) {
			kernel = argv[++i];
		} else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc) {
			source = argv[++i];
		} else if (strcmp(argv[i], "--json") == 0) {
			as_json = 1;
		} else if (strcmp(argv[i], "--index") == 0) {
			index_only = 1;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(S_help, stdout);
			rc = 0;
			goto out;
		} else if (argv[i][0] == '-') {
			cli_usage("check", "unknown option `%s`", argv[i]);
			goto out;
		} else {
			files[nfiles++] = argv[i];
		}
	}
	if (xref_path(cfg->cache, source, &index, &err) < 0) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (!kl_is_file(index))
		fprintf(stderr, "klab check: building the kernel source index of %s into %s "
				"(once, a few minutes)\n", source, index);
	if (!index_only) {
		if (lab_profile_load(cfg, kernel, &p, &err) < 0) {
			cli_fail("%s", err.msg);
			goto out;
		}
		if (!p.release) {
			cli_fail("kernel `%s` is not fetched (its System.map and headers are "
				 "needed): run `make setup`", kernel);
			goto out;
		}
	}
	const char *tmp = getenv("TMPDIR");
	if (check_kernel_open(cfg->cache, source, tmp ? tmp : "/tmp", stderr, p.system_map,
			      p.headers, &k, &err) < 0) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (k.built)
		fprintf(stderr, "klab check: kernel index built in %.1f s: %zu names\n",
			k.build_seconds, k.source_names);
	if (index_only) {
		printf("kernel index %s: %zu names\n", k.index_path, k.source_names);
		rc = 0;
		goto out;
	}
	if (check_notes(cfg->root, &k, files, nfiles, &rep, &err) < 0) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (as_json) {
		check_report_json(&rep, &json);
		fputs(kl_buf_str(&json), stdout);
	} else {
		check_report_print(&rep, stdout);
	}
	/* Debian's System.map is a one-line placeholder (the real one is in the -dbg package) */
	char map[64] = "System.map: placeholder";
	if (k.map_symbols)
		snprintf(map, sizeof(map), "%zu System.map symbols", k.map_symbols);
	fprintf(as_json ? stderr : stdout,
		"klab check: %zu problem%s in %zu note%s (%zu links, %zu code spans and %zu words "
		"checked against Linux %s %s: %zu source names, %zu exports, %zu generated "
		"headers, %s)\n",
		rep.n, rep.n == 1 ? "" : "s", rep.notes, rep.notes == 1 ? "" : "s", rep.links,
		rep.spans, rep.words, k.version, p.release, k.source_names, k.exports, k.headers, map);
	rc = rep.n ? 1 : 0;
out:
	kl_buf_release(&json);
	check_report_release(&rep);
	check_kernel_release(&k);
	lab_profile_release(&p);
	free(index);
	free(files);
	return rc;
}
