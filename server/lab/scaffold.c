/*
 * scaffold.c - writes a new lab from the templates below (see scaffold.h).
 * In the templates, @ID@ is the lab's id, @M@ its module's name (the id with
 * '_' for '-'), @TOPIC@ and @TITLE@ what the author gave.
 */
#include "lab/scaffold.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/catalog.h"
#include "core/fsutil.h"
#include "core/proc.h"

static const char S_readme[] =
	"---\n"
	"id: @ID@\n"
	"title: \"@TITLE@\"\n"
	"topic: @TOPIC@\n"
	"difficulty: beginner\n"
	"files: [@M@.c]\n"
	"timeout: 30\n"
	"test_timeout: 15\n"
	"module_params: limit=7\n"
	"points:\n"
	"  loaded: 1\n"
	"  ready_message: 2\n"
	"  rejects_limit_0: 2\n"
	"---\n"
	"# @TITLE@\n"
	"\n"
	"Write `@M@.c`, a module with one parameter that refuses a bad value.\n"
	"\n"
	"## What to build\n"
	"\n"
	"- A parameter `limit`, an `int` from 1 to 100, default 4, mode `0444`.\n"
	"- On load, log `@M@: ready, limit=<limit>` with `pr_info()`.\n"
	"- If `limit` is outside 1..100, log an error with `pr_err()` and return\n"
	"  `-EINVAL` from the init function: the module then does not load.\n"
	"\n"
	"## How it is graded\n"
	"\n"
	"klab loads `@M@.ko` with `limit=7`; `tests/test_@M@.c` checks that it\n"
	"loaded (`loaded`), that it logged its line (`ready_message`), then loads it\n"
	"again with `limit=0` and expects `-EINVAL` (`rejects_limit_0`).\n"
	"\n"
	"<!-- For authors: this lab was written by `klab new lab`. Change the task,\n"
	"the skeleton (@M@.c), the tests (tests/), the reference solution\n"
	"(solution/) and the wrong variants (wrong/NAME/change.patch, a mistake as a\n"
	"patch on the solution, and wrong/NAME/expect, the verdict it must get and the\n"
	"tests that must fail), then prove it with `klab verify @ID@`. -->\n";

static const char S_hints[] =
	"## Hint 1\n"
	"\n"
	"A parameter is a static variable plus `module_param(limit, int, 0444);`.\n"
	"\n"
	"## Hint 2\n"
	"\n"
	"An init function that returns a negative error code makes `insmod` fail\n"
	"with that error, and the module is not loaded.\n";

#define S_HEAD(what) \
	"// SPDX-License-Identifier: GPL-2.0\n" \
	"/*\n" \
	" * @M@.c - " what " of lab @ID@: a module with a parameter it checks.\n" \
	" */\n" \
	"#define pr_fmt(fmt) KBUILD_MODNAME \": \" fmt\n" \
	"\n" \
	"#include <linux/init.h>\n" \
	"#include <linux/module.h>\n" \
	"\n" \
	"static int limit = 4;\n" \
	"module_param(limit, int, 0444);\n" \
	"MODULE_PARM_DESC(limit, \"how many, 1 to 100 (default 4)\");\n" \
	"\n" \
	"static int __init @M@_init(void)\n" \
	"{\n"

#define S_TAIL \
	"}\n" \
	"\n" \
	"static void __exit @M@_exit(void)\n" \
	"{\n" \
	"\tpr_info(\"gone\\n\");\n" \
	"}\n" \
	"\n" \
	"module_init(@M@_init);\n" \
	"module_exit(@M@_exit);\n" \
	"MODULE_LICENSE(\"GPL\");\n" \
	"MODULE_DESCRIPTION(\"klab lab @ID@\");\n"

#define S_CHECK \
	"\tif (limit < 1 || limit > 100) {\n" \
	"\t\tpr_err(\"limit=%d is out of range 1..100\\n\", limit);\n" \
	"\t\treturn -EINVAL;\n" \
	"\t}\n"

#define S_READY "\tpr_info(\"ready, limit=%d\\n\", limit);\n\treturn 0;\n"

static const char S_skeleton[] = S_HEAD("skeleton")
	"\t/* TODO: refuse a limit outside 1..100 (pr_err, -EINVAL), then log\n"
	"\t * \"ready, limit=<limit>\" with pr_info() */\n"
	"\treturn 0;\n" S_TAIL;
static const char S_solution[] = S_HEAD("reference solution") S_CHECK S_READY S_TAIL;
static const char S_wrong[] = S_HEAD("reference solution") S_READY S_TAIL;

static const char S_test[] =
	"/*\n"
	" * test_@M@.c - guest tests of lab @ID@. /init loaded @M@.ko with limit=7;\n"
	" * this program checks that it loaded and said so, unloads it and loads it\n"
	" * again with a limit it must refuse.\n"
	" */\n"
	"#include <sys/stat.h>\n"
	"\n"
	"#include \"klab_test.h\"\n"
	"\n"
	"#define KO \"/klab/modules/@M@.ko\"\n"
	"\n"
	"int main(void)\n"
	"{\n"
	"\tstruct stat st;\n"
	"\n"
	"\tkt_plan(3);\n"
	"\tkt_check(\"loaded\", stat(\"/sys/module/@M@\", &st) == 0, \"/sys/module/@M@: %s\",\n"
	"\t\t strerror(errno));\n"
	"\tkt_check(\"ready_message\", kt_kmsg_contains(\"@M@: ready, limit=7\"),\n"
	"\t\t \"no kernel log line `@M@: ready, limit=7`\");\n"
	"\tkt_rmmod(\"@M@\");\n"
	"\tint rc = kt_insmod(KO, \"limit=0\");\n"
	"\tkt_check(\"rejects_limit_0\", rc == -EINVAL, \"loading with limit=0: expected %s, got %s\",\n"
	"\t\t strerror(EINVAL), rc ? strerror(-rc) : \"success\");\n"
	"\tif (rc == 0)\n"
	"\t\tkt_rmmod(\"@M@\");\n"
	"\treturn kt_done();\n"
	"}\n";

static const char S_expect[] =
	"fail\n"
	"rejects_limit_0\n"
	"# no range check: the module loads with limit=0\n";

/* tpl with every @KEY@ replaced. Caller frees. */
static char *S_fill(const char *tpl, const struct lab_scaffold *s, const char *m)
{
	struct kl_buf b = KL_BUF_INIT;
	const char *keys[] = { "@ID@", "@M@", "@TOPIC@", "@TITLE@" };
	const char *vals[] = { s->id, m, s->topic, s->title };

	for (const char *p = tpl; *p;) {
		size_t k = 0;
		while (k < 4 && strncmp(p, keys[k], strlen(keys[k])) != 0)
			k++;
		if (k < 4) {
			kl_buf_puts(&b, vals[k]);
			p += strlen(keys[k]);
		} else {
			kl_buf_putc(&b, *p++);
		}
	}
	return kl_buf_detach(&b);
}

/* Writes dir/rel from a template; makes rel's folder first. */
static int S_put(const char *dir, const char *rel, const char *tpl, const struct lab_scaffold *s,
		 const char *m, struct kl_err *err)
{
	char *path = kl_path_join(dir, rel), *text = S_fill(tpl, s, m);
	char *slash = strrchr(path, '/');
	int rc;

	*slash = '\0';
	rc = kl_mkdir_p(path, 0755, err);
	*slash = '/';
	if (rc == 0)
		rc = kl_write_file(path, text, strlen(text), err);
	free(path);
	free(text);
	return rc;
}

/* wrong/no-range-check/change.patch: `diff -u` of the solution and the mistake. */
static int S_patch(const char *lab, const struct lab_scaffold *s, const char *m,
		   struct kl_err *err)
{
	char *work = kl_path_join(lab, "wrong/no-range-check/.work");
	char *file = kl_sprintf("%s.c", m), *a = kl_sprintf("a/%s", file), *b = kl_sprintf("b/%s", file);
	struct kl_buf out = KL_BUF_INIT;
	struct kl_proc_result pr;
	int rc = -1;

	if (S_put(work, a, S_solution, s, m, err) < 0 || S_put(work, b, S_wrong, s, m, err) < 0)
		goto out;
	char *argv[] = { "diff", "-u", "--label", a, "--label", b, a, b, NULL };
	if (kl_proc_run(argv, work, NULL, 30, &out, 1 << 20, &pr, err) < 0)
		goto out;
	if (!pr.exited || pr.status != 1) {
		kl_err_set(err, "diff -u of the solution and its wrong variant failed: %s",
			   kl_buf_str(&out));
		goto out;
	}
	char *patch = kl_path_join(lab, "wrong/no-range-check/change.patch");
	rc = kl_write_file(patch, kl_buf_str(&out), out.len, err);
	free(patch);
out:
	if (kl_is_dir(work)) {
		struct kl_err e2;
		kl_rm_rf(work, &e2);
	}
	free(work);
	free(file);
	free(a);
	free(b);
	kl_buf_release(&out);
	return rc;
}

int lab_scaffold_write(const char *dir, const struct lab_scaffold *s, char **lab_dir,
		       struct kl_err *err)
{
	struct lab_scaffold full = *s;
	char *lab = kl_sprintf("%s/labs/%s", dir, s->id), *m = kl_strdup(s->id);
	char *title = s->title ? NULL : kl_sprintf("%s: a module parameter, checked", s->id);
	char *src = NULL;
	int rc = -1;

	*lab_dir = NULL;
	if (!kl_valid_id(s->id) || !kl_valid_id(s->topic)) {
		kl_err_set(err, "`%s`: a lab id and a topic are made of a-z, 0-9, '-' and '_'",
			   kl_valid_id(s->id) ? s->topic : s->id);
		goto out;
	}
	if (s->title && (strchr(s->title, '"') || strchr(s->title, '\n') || strchr(s->title, '\\'))) {
		kl_err_set(err, "a title without quotes, backslashes or new lines, please");
		goto out;
	}
	if (kl_is_dir(lab)) {
		kl_err_set(err, "%s already exists: pick another id or remove it", lab);
		goto out;
	}
	for (char *p = m; *p; p++)
		if (*p == '-')
			*p = '_';
	src = kl_sprintf("%s.c", m);
	char *test = kl_sprintf("tests/test_%s.c", m), *sol = kl_sprintf("solution/%s.c", m);
	char *kbuild = kl_sprintf("obj-m := %s.o\n", m);
	full.title = s->title ? s->title : title;
	rc = S_put(lab, "README.md", S_readme, &full, m, err);
	if (rc == 0)
		rc = S_put(lab, "Kbuild", kbuild, &full, m, err);
	if (rc == 0)
		rc = S_put(lab, src, S_skeleton, &full, m, err);
	if (rc == 0)
		rc = S_put(lab, "hints.md", S_hints, &full, m, err);
	if (rc == 0)
		rc = S_put(lab, test, S_test, &full, m, err);
	if (rc == 0)
		rc = S_put(lab, sol, S_solution, &full, m, err);
	if (rc == 0)
		rc = S_put(lab, "wrong/no-range-check/expect", S_expect, &full, m, err);
	if (rc == 0)
		rc = S_patch(lab, &full, m, err);
	free(test);
	free(sol);
	free(kbuild);
	if (rc == 0)
		*lab_dir = kl_strdup(lab);
out:
	free(lab);
	free(m);
	free(title);
	free(src);
	return rc;
}
