/*
 * ktap.c - `klab ktap [--json] [FILE|-]`: reads a console log or a KTAP stream
 * (KUnit through printk or debugfs, kselftest, a klab guest's console) with
 * the parser the lab pipeline grades with, and prints the tree of tests with
 * their statuses and the overall result. Exit status 0 when the result is ok
 * (passed or skipped), 1 when not, 2 when the input cannot be read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "lab/ktap.h"

static void S_print(const struct lab_ktap_tree *t, long i, struct kl_buf *out)
{
	for (; i >= 0; i = t->nodes[i].next) {
		const struct lab_ktap_node *nd = &t->nodes[i];

		kl_buf_printf(out, "%*s%-8s %s", nd->depth * 2, "", lab_ktap_status_name(nd->status),
			      nd->name[0] ? nd->name : "(no name)");
		if (nd->directive)
			kl_buf_printf(out, "  # %s", nd->directive);
		else if (!nd->has_result)
			kl_buf_printf(out, "  (result %d never came)", nd->number);
		kl_buf_putc(out, '\n');
		S_print(t, nd->first, out);
	}
}

static void S_summary(const struct lab_ktap_tree *t, struct kl_buf *out)
{
	const struct lab_ktap_counts *c = &t->counts;

	kl_buf_printf(out, "%d tests: %d passed, %d failed, %d skipped, %d crashed",
		      c->passed + c->failed + c->skipped + c->crashed, c->passed, c->failed,
		      c->skipped, c->crashed);
	if (c->errors)
		kl_buf_printf(out, "; %d lines against the format", c->errors);
	if (t->dropped)
		kl_buf_printf(out, "; %zu tests past the limit not kept", t->dropped);
	kl_buf_printf(out, "\nresult: %s\n", t->started ? lab_ktap_status_name(t->status)
							   : "none (no KTAP version line)");
}

int cmd_ktap(int argc, char **argv, const struct kl_config *cfg)
{
	struct lab_ktap k;
	struct kl_buf out = KL_BUF_INIT;
	const char *path = NULL;
	int json = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	(void)cfg;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (!path && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0))
			path = argv[i];
		else
			return cli_fail("usage: klab ktap [--json] [FILE|-]");
	}
	FILE *f = !path || strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f)
		return cli_fail("cannot open %s: %s", path, strerror(errno));
	lab_ktap_init(&k);
	k.kernel_lines = 1;
	while ((len = getline(&line, &cap, f)) >= 0)
		lab_ktap_feed(&k, line, (size_t)len);
	int rerr = ferror(f);
	free(line);
	if (f != stdin)
		fclose(f);
	if (rerr) {
		lab_ktap_release(&k);
		return cli_fail("cannot read %s", path ? path : "standard input");
	}
	lab_ktap_finish(&k);
	if (json) {
		lab_ktap_tree_json(&k.tree, &out);
		kl_buf_putc(&out, '\n');
	} else {
		S_print(&k.tree, k.tree.first, &out);
		S_summary(&k.tree, &out);
	}
	fwrite(kl_buf_str(&out), 1, out.len, stdout);
	int rc = lab_ktap_status_ok(k.tree.status) ? 0 : 1;
	kl_buf_release(&out);
	lab_ktap_release(&k);
	return rc;
}
