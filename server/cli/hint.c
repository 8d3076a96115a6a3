/*
 * hint.c - `klab hint LAB`: shows the lab's next hint from labs/<id>/hints.md
 * (sections `## Hint 1`, `## Hint 2`, ...) and remembers in the progress store
 * how many were shown. `--again` shows those already seen, `--reset` forgets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/catalog.h"
#include "core/fsutil.h"
#include "core/progress.h"
#include "core/term.h"

/* Splits hints.md at its "## " headings; returns the count, fills starts/lens. */
static int S_split(const char *text, const char **starts, size_t *lens, int max)
{
	int n = 0;
	const char *p = text;

	while (p && *p) {
		const char *h = strncmp(p, "## ", 3) == 0 ? p : strstr(p, "\n## ");
		if (!h)
			break;
		if (*h == '\n')
			h++;
		if (n > 0)
			lens[n - 1] = (size_t)(h - starts[n - 1]);
		if (n == max)
			return n;
		starts[n++] = h;
		p = strchr(h, '\n');
	}
	if (n > 0)
		lens[n - 1] = strlen(starts[n - 1]);
	return n;
}

/* One hint, rendered for the terminal (styled when colour is on). */
static void S_show(const char *md, size_t len, int color)
{
	struct kl_buf out = KL_BUF_INIT;

	kl_term_markdown(&out, md, len, cli_width(), color);
	fputs(kl_buf_str(&out), stdout);
	fputc('\n', stdout);
	kl_buf_release(&out);
}

int cmd_hint(int argc, char **argv, const struct kl_config *cfg)
{
	struct kl_err err = { "" };
	struct kl_buf text = KL_BUF_INIT;
	struct kl_progress *p = NULL;
	struct kl_lab lab;
	const char *starts[64];
	size_t lens[64];
	int again = 0, reset = 0, rc = 2;
	const char *id = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--again") == 0)
			again = 1;
		else if (strcmp(argv[i], "--reset") == 0)
			reset = 1;
		else if (argv[i][0] == '-')
			return cli_usage("hint", "unknown option `%s`", argv[i]);
		else if (!id)
			id = argv[i];
		else
			return cli_usage("hint", "one lab at a time");
	}
	if (!id)
		return cli_usage("hint", "which lab? (`klab list` shows them)");
	if (cli_lab_exists(cfg, id) != 0)
		return 2;
	if (kl_lab_load(cfg->content, id, &lab, &err) < 0)
		return cli_fail("%s", err.msg);
	char *path = kl_path_join(lab.dir, "hints.md");
	if (kl_read_file(path, &text, 1 << 20, &err) < 0) {
		cli_fail("lab %s has no hints (%s)", id, err.msg);
		goto out;
	}
	int n = S_split(kl_buf_str(&text), starts, lens, 64);
	if (n == 0) {
		cli_fail("%s has no `## Hint` sections", path);
		goto out;
	}
	int shown;
	if (kl_progress_open(cfg->home, &p, &err) < 0 ||
	    kl_progress_hints_shown(p, id, &shown, &err) < 0) {
		cli_fail("%s", err.msg);
		goto out;
	}
	if (reset) {
		if (kl_progress_set_hints_shown(p, id, 0, &err) < 0) {
			cli_fail("%s", err.msg);
			goto out;
		}
		printf("%s: hints reset; `klab hint %s` starts again from hint 1\n", id, id);
		rc = 0;
		goto out;
	}
	if (again) {
		if (shown == 0)
			printf("%s: no hint shown yet; `klab hint %s` shows the first\n", id, id);
		for (int i = 0; i < shown && i < n; i++)
			S_show(starts[i], lens[i], cfg->color);
		rc = 0;
		goto out;
	}
	if (shown >= n) {
		S_show(starts[n - 1], lens[n - 1], cfg->color);
		printf("(that was the last of %d hints; `klab hint %s --again` shows them all)\n", n,
		       id);
		rc = 0;
		goto out;
	}
	S_show(starts[shown], lens[shown], cfg->color);
	if (kl_progress_set_hints_shown(p, id, shown + 1, &err) < 0) {
		cli_fail("%s", err.msg);
		goto out;
	}
	printf("(hint %d of %d)\n", shown + 1, n);
	rc = 0;
out:
	free(path);
	kl_buf_release(&text);
	kl_progress_close(p);
	kl_lab_release(&lab);
	return rc;
}
