/*
 * replay.c - a lab's modules rebuilt by replaying the commands Kbuild recorded
 * (see replay.h).
 *
 * A recipe folder holds `commands`: a first line "klab-replay 1", then one line
 * a command, "PHASE<TAB>TARGET<TAB>COMMAND", in the order Kbuild's rules need
 * (objects, composite objects, .mod files and modules.order, modpost, .mod.o,
 * .ko), with the build folder's path written as @KLAB_DIR@. Beside it, each
 * module's .mod.c and .mod.o from the recorded build.
 */
#include "lab/replay.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "core/proc.h"

#define S_MAGIC "klab-replay 1"
#define S_DIR "@KLAB_DIR@"
#define S_TIMEOUT 300.0
#define S_MAX_CMDS 256

struct S_cmd {
	int phase;
	char *target;  /* relative to the build folder */
	char *command; /* with S_DIR for the build folder */
};

static int S_ends(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int S_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * With MODVERSIONS, modpost reads the symbol CRCs Kbuild writes into each
 * object's .cmd file (Debian's kernels): not a build a replay can make.
 */
static int S_modversions(const char *headers)
{
	struct kl_buf config = KL_BUF_INIT;
	char *path = kl_path_join(headers, ".config");
	int yes = kl_read_file(path, &config, 16 << 20, NULL) == 0 &&
		  strstr(kl_buf_str(&config), "\nCONFIG_MODVERSIONS=y\n") != NULL;

	free(path);
	kl_buf_release(&config);
	return yes;
}

char *lab_replay_key(const char *cache, const char *headers, const char *lab_id, const char *dir,
		     char *const *names, size_t n)
{
	struct kl_buf kbuild = KL_BUF_INIT;
	char *path = kl_path_join(dir, "Kbuild");
	char *real = realpath(headers, NULL);
	char *key = NULL;

	if (kl_read_file(path, &kbuild, 1 << 20, NULL) < 0 || !real || S_modversions(real))
		goto out;
	uint64_t h = kl_hash_str(KL_HASH_INIT, S_MAGIC);
	h = kl_hash_str(h, real);
	/* the headers' identity: a package upgrade in place changes these */
	const char *marks[] = { "Makefile", "Module.symvers", ".config" };
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		char *m = kl_path_join(real, marks[i]);
		long long t = kl_mtime_ns(m);
		h = kl_hash(h, &t, sizeof(t));
		free(m);
	}
	h = kl_hash(h, kbuild.ptr, kbuild.len);
	char **sorted = calloc(n + 1, sizeof(char *));
	if (!sorted)
		abort();
	memcpy(sorted, names, n * sizeof(char *));
	qsort(sorted, n, sizeof(char *), S_cmp_str);
	for (size_t i = 0; i < n; i++)
		h = kl_hash_str(h, sorted[i]);
	free(sorted);
	key = kl_sprintf("%s/kbuild/%s-%016llx", cache, lab_id, (unsigned long long)h);
out:
	free(real);
	free(path);
	kl_buf_release(&kbuild);
	return key;
}

/* Runs one command the way Kbuild does (sh, set -e, from the headers). 0 only if silent and ok. */
static int S_run(const char *command, const char *headers)
{
	char *script = kl_sprintf("set -e; %s", command);
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	char *env[] = { "LC_ALL=C", NULL };
	struct kl_buf out = KL_BUF_INIT;
	struct kl_proc_result res;
	int rc = kl_proc_run(argv, headers, env, S_TIMEOUT, &out, 1 << 16, &res, NULL);

	if (rc == 0 && (!res.exited || res.status != 0 || out.len > 0))
		rc = 1;
	kl_buf_release(&out);
	free(script);
	return rc == 0 ? 0 : 1;
}

/* 1 when files a and b hold the same bytes. */
static int S_same_file(const char *a, const char *b)
{
	struct kl_buf x = KL_BUF_INIT, y = KL_BUF_INIT;
	int same = kl_read_file(a, &x, 16 << 20, NULL) == 0 &&
		   kl_read_file(b, &y, 16 << 20, NULL) == 0 && x.len == y.len &&
		   memcmp(x.ptr, y.ptr, x.len) == 0;

	kl_buf_release(&x);
	kl_buf_release(&y);
	return same;
}

/*
 * A module's .mod.o from the recipe when its .mod.c (what modpost just wrote)
 * is the recorded one: the compiler would make the same object. 0 if reused.
 */
static int S_reuse_mod_o(const char *recipe, const char *dir, const char *target)
{
	char *mod_c = kl_sprintf("%.*s.c", (int)(strlen(target) - 2), target);
	char *have = kl_path_join(dir, mod_c), *kept = kl_path_join(recipe, mod_c);
	char *kept_o = kl_path_join(recipe, target), *to = kl_path_join(dir, target);
	int rc = 1;

	if (kl_is_file(kept_o) && S_same_file(have, kept) && kl_copy_file(kept_o, to, NULL) == 0)
		rc = 0;
	free(mod_c);
	free(have);
	free(kept);
	free(kept_o);
	free(to);
	return rc;
}

/* The command of a line "PHASE\tTARGET\tCOMMAND" with dir put in; NULL if malformed. */
static char *S_line_command(char *line, const char *dir, char **target)
{
	char *t1 = strchr(line, '\t');
	char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
	struct kl_buf cmd = KL_BUF_INIT;

	if (!t2)
		return NULL;
	*t1 = *t2 = '\0';
	*target = t1 + 1;
	for (const char *p = t2 + 1, *hit; *p; p = hit + strlen(S_DIR)) {
		hit = strstr(p, S_DIR);
		if (!hit) {
			kl_buf_puts(&cmd, p);
			break;
		}
		kl_buf_add(&cmd, p, (size_t)(hit - p));
		kl_buf_puts(&cmd, dir);
	}
	return kl_buf_detach(&cmd);
}

/*
 * Writes dir/.TARGET.cmd as Kbuild does ("cmd_TARGET := COMMAND"), so what
 * reads Kbuild's .cmd files (the workspace's compile_commands.json, editor.c)
 * finds them after a replay too. Best effort: the build stands without it.
 */
static void S_write_cmd(const char *dir, const char *target, const char *command)
{
	const char *slash = strrchr(target, '/');
	char *path = slash ? kl_sprintf("%s/%.*s/.%s.cmd", dir, (int)(slash - target), target,
					slash + 1)
			   : kl_sprintf("%s/.%s.cmd", dir, target);
	char *text = kl_sprintf("cmd_%s := %s\n", target, command);

	kl_write_file(path, text, strlen(text), NULL);
	free(text);
	free(path);
}

int lab_replay_build(const char *recipe, const char *headers, const char *dir)
{
	struct kl_buf text = KL_BUF_INIT;
	char *path = recipe ? kl_path_join(recipe, "commands") : NULL;
	int rc = 1;

	if (!path || kl_read_file(path, &text, 1 << 20, NULL) < 0)
		goto out;
	char *save = NULL;
	char *line = strtok_r(text.ptr, "\n", &save);
	if (!line || strcmp(line, S_MAGIC) != 0)
		goto out;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *target = NULL;
		char *command = S_line_command(line, dir, &target);
		if (!command)
			goto out;
		int r = S_ends(target, ".mod.o") && S_reuse_mod_o(recipe, dir, target) == 0
				? 0
				: S_run(command, headers);
		if (r == 0)
			S_write_cmd(dir, target, command);
		free(command);
		if (r != 0)
			goto out;
	}
	rc = 0;
out:
	free(path);
	kl_buf_release(&text);
	return rc;
}

/* The rule's phase from its target: the order Kbuild's rules impose. -1: unknown. */
static int S_phase(const char *target, const char *command)
{
	if (S_ends(target, ".ko"))
		return 6;
	if (S_ends(target, ".mod.o"))
		return 5;
	if (strcmp(target, "Module.symvers") == 0)
		return 4;
	if (S_ends(target, ".mod") || strcmp(target, "modules.order") == 0)
		return 3;
	if (S_ends(target, ".o"))
		return strncmp(command, "ld ", 3) == 0 ? 2 : 1;
	return -1;
}

/*
 * Make's escapes undone ($$ and $(pound)) and dir written as S_DIR. NULL when
 * the command holds anything else make would expand, or S_DIR itself.
 */
static char *S_unescape(const char *s, const char *dir)
{
	struct kl_buf b = KL_BUF_INIT;
	size_t dl = strlen(dir);

	if (strstr(s, S_DIR))
		return NULL;
	while (*s) {
		if (strncmp(s, dir, dl) == 0) {
			kl_buf_puts(&b, S_DIR);
			s += dl;
		} else if (strncmp(s, "$$", 2) == 0) {
			kl_buf_putc(&b, '$');
			s += 2;
		} else if (strncmp(s, "$(pound)", 8) == 0) {
			kl_buf_putc(&b, '#');
			s += 8;
		} else if (*s == '$') {
			kl_buf_release(&b);
			return NULL;
		} else {
			kl_buf_putc(&b, *s++);
		}
	}
	return kl_buf_detach(&b);
}

/* The rule of one .cmd file of dir ("cmd_TARGET := COMMAND"). 0, or -1 if unreadable. */
static int S_read_cmd(const char *dir, const char *name, struct S_cmd *c)
{
	struct kl_buf text = KL_BUF_INIT;
	char *path = kl_path_join(dir, name);
	int rc = -1;

	if (kl_read_file(path, &text, 1 << 20, NULL) < 0)
		goto out;
	char *line = text.ptr;
	char *eol = strchr(line, '\n');
	if (eol)
		*eol = '\0';
	const char *prefix = strncmp(line, "savedcmd_", 9) == 0 ? "savedcmd_" : "cmd_";
	char *sep = strstr(line, " := ");
	size_t dl = strlen(dir);
	if (strncmp(line, prefix, strlen(prefix)) != 0 || !sep)
		goto out;
	*sep = '\0';
	const char *target = line + strlen(prefix);
	if (strncmp(target, dir, dl) != 0 || target[dl] != '/' || strchr(target + dl + 1, '/'))
		goto out; /* a target outside the build folder, or below it: not a lab's */
	c->target = kl_strdup(target + dl + 1);
	c->command = S_unescape(sep + 4, dir);
	c->phase = c->command ? S_phase(c->target, c->command) : -1;
	rc = c->phase < 0 ? -1 : 0;
out:
	free(path);
	kl_buf_release(&text);
	return rc;
}

static int S_cmp_cmd(const void *a, const void *b)
{
	const struct S_cmd *x = a, *y = b;

	return x->phase != y->phase ? x->phase - y->phase : strcmp(x->target, y->target);
}

/* Kbuild's rules for dir from its .cmd files, in their order; -1 on any doubt. */
static int S_read_rules(const char *dir, struct S_cmd *cmds, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return -1;
	*n = 0;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] != '.' || !S_ends(de->d_name, ".cmd"))
			continue;
		if (*n == S_MAX_CMDS)
			rc = -1;
		else if ((rc = S_read_cmd(dir, de->d_name, &cmds[*n])) == 0)
			(*n)++;
	}
	closedir(d);
	if (rc == 0)
		qsort(cmds, *n, sizeof(*cmds), S_cmp_cmd);
	return rc == 0 && *n > 0 ? 0 : -1;
}

/* Writes the recipe into the new folder tmp. 0, or -1 with err. */
static int S_write_recipe(const char *tmp, const char *dir, const struct S_cmd *cmds, size_t n,
			  struct kl_err *err)
{
	struct kl_buf text = KL_BUF_INIT;
	int rc = 0;

	kl_buf_printf(&text, "%s\n", S_MAGIC);
	for (size_t i = 0; i < n && rc == 0; i++) {
		kl_buf_printf(&text, "%d\t%s\t%s\n", cmds[i].phase, cmds[i].target, cmds[i].command);
		if (cmds[i].phase != 5)
			continue;
		const char *t = cmds[i].target;
		char *mod_c = kl_sprintf("%.*s.c", (int)(strlen(t) - 2), t);
		char *from_c = kl_path_join(dir, mod_c), *to_c = kl_path_join(tmp, mod_c);
		char *from_o = kl_path_join(dir, t), *to_o = kl_path_join(tmp, t);
		rc = kl_copy_file(from_c, to_c, err);
		if (rc == 0)
			rc = kl_copy_file(from_o, to_o, err);
		free(mod_c);
		free(from_c);
		free(to_c);
		free(from_o);
		free(to_o);
	}
	char *path = kl_path_join(tmp, "commands");
	if (rc == 0)
		rc = kl_write_file(path, text.ptr, text.len, err);
	free(path);
	kl_buf_release(&text);
	return rc;
}

int lab_replay_record(const char *recipe, const char *dir, struct kl_err *err)
{
	struct S_cmd cmds[S_MAX_CMDS];
	size_t n = 0;
	char *done = kl_path_join(recipe, "commands");
	char *tmp = kl_sprintf("%s.tmp.%ld", recipe, (long)getpid());
	int rc = 0;

	memset(cmds, 0, sizeof(cmds));
	if (kl_is_file(done))
		goto out;
	if (S_read_rules(dir, cmds, &n) < 0) {
		rc = kl_err_set(err, "Kbuild's .cmd files in %s are not a recipe klab can replay", dir);
		goto out;
	}
	kl_rm_rf(tmp, NULL);
	rc = kl_mkdir_p(tmp, 0755, err);
	if (rc == 0)
		rc = S_write_recipe(tmp, dir, cmds, n, err);
	/* a recipe another run just kept stands: the two are the same */
	if (rc == 0 && rename(tmp, recipe) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		rc = kl_err_errno(err, "cannot keep the build recipe %s", recipe);
	kl_rm_rf(tmp, NULL);
out:
	for (size_t i = 0; i < S_MAX_CMDS; i++) {
		free(cmds[i].target);
		free(cmds[i].command);
	}
	free(done);
	free(tmp);
	return rc;
}
