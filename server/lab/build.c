/*
 * build.c - Kbuild and guest-test builds for a lab run (see build.h).
 */
#include "lab/build.h"
#include "lab/replay.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fsutil.h"
#include "core/hash.h"
#include "core/proc.h"

#define S_BUILD_TIMEOUT 300.0
#define S_LOG_MAX (1u << 20)

static void S_push(char ***v, size_t n, char *s)
{
	char **p = realloc(*v, (n + 1) * sizeof(*p));

	if (!p)
		abort();
	p[n] = s;
	*v = p;
}

static int S_is_doc(const char *name)
{
	return strcmp(name, "README.md") == 0 || strcmp(name, "hints.md") == 0;
}

static int S_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files directly in dir (sorted); free with kl_strv_free. */
static int S_list_files(const char *dir, const char *suffix, char ***out, size_t *n,
			struct kl_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	*out = NULL;
	*n = 0;
	if (!d)
		return kl_err_errno(err, "cannot list %s", dir);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		size_t l = strlen(de->d_name), sl = suffix ? strlen(suffix) : 0;
		if (suffix && (l <= sl || strcmp(de->d_name + l - sl, suffix) != 0))
			continue;
		char *path = kl_path_join(dir, de->d_name);
		int reg = kl_is_file(path);
		free(path);
		if (reg) {
			S_push(out, *n, kl_strdup(de->d_name));
			(*n)++;
		}
	}
	closedir(d);
	if (*n)
		qsort(*out, *n, sizeof(**out), S_cmp_str);
	return 0;
}

static void S_set_origin(struct lab_build *b, const char *name, const char *origin)
{
	for (size_t i = 0; i < b->nfiles; i++) {
		if (strcmp(b->names[i], name) == 0) {
			free(b->origins[i]);
			b->origins[i] = kl_strdup(origin);
			return;
		}
	}
	S_push(&b->names, b->nfiles, kl_strdup(name));
	S_push(&b->origins, b->nfiles, kl_strdup(origin));
	b->nfiles++;
}

/*
 * Removes build folders of runs that were killed (SIGKILL leaves no chance to
 * clean up): each live build folder holds an `owner` file with its klab's pid.
 */
static void S_sweep_stale(const char *tmp)
{
	DIR *d = opendir(tmp);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "klab-", 5) != 0)
			continue;
		char *owner = kl_sprintf("%s/%s/owner", tmp, de->d_name);
		struct kl_buf pid = KL_BUF_INIT;
		if (kl_read_file(owner, &pid, 64, NULL) == 0) {
			long p = strtol(kl_buf_str(&pid), NULL, 10);
			if (p > 0 && kill((pid_t)p, 0) < 0 && errno == ESRCH) {
				char *dir = kl_sprintf("%s/%s", tmp, de->d_name);
				kl_rm_rf(dir, NULL);
				free(dir);
			}
		}
		kl_buf_release(&pid);
		free(owner);
	}
	closedir(d);
}

int lab_build_prepare(const struct kl_lab *lab, const char *srcdir, struct lab_build *b,
		      struct kl_err *err)
{
	char **files = NULL;
	size_t nfiles = 0;
	int rc = -1;

	memset(b, 0, sizeof(*b));
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp)
		tmp = "/tmp";
	S_sweep_stale(tmp);
	char *templ = kl_sprintf("%s/klab-%s-XXXXXX", tmp, lab->id);
	if (!mkdtemp(templ)) {
		kl_err_errno(err, "cannot create a build folder %s (is $TMPDIR writable?)", templ);
		free(templ);
		return -1;
	}
	b->dir = templ;
	char *owner = kl_path_join(b->dir, "owner");
	char pid[32];
	int pl = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	int w = kl_write_file(owner, pid, (size_t)pl, err);
	free(owner);
	if (w < 0)
		goto out;
	if (S_list_files(lab->dir, NULL, &files, &nfiles, err) < 0)
		goto out;
	for (size_t i = 0; i < nfiles; i++) {
		if (S_is_doc(files[i]))
			continue;
		char *from = kl_path_join(lab->dir, files[i]);
		char *to = kl_path_join(b->dir, files[i]);
		int r = kl_copy_file(from, to, err);
		if (r == 0)
			S_set_origin(b, files[i], from);
		free(from);
		free(to);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; srcdir && i < lab->nfiles; i++) {
		char *from = kl_path_join(srcdir, lab->files[i]);
		if (!kl_is_file(from)) {
			free(from);
			continue; /* the skeleton's copy stands */
		}
		char *to = kl_path_join(b->dir, lab->files[i]);
		int r = kl_copy_file(from, to, err);
		if (r == 0) {
			char *abs = realpath(from, NULL);
			S_set_origin(b, lab->files[i], abs ? abs : from);
			free(abs);
		}
		free(from);
		free(to);
		if (r < 0)
			goto out;
	}
	rc = 0;
out:
	kl_strv_free(files, nfiles);
	if (rc < 0)
		lab_build_release(b, 0);
	return rc;
}

/* Replaces every "dir/name" of the build folder in text with the learner's path. */
static char *S_map_paths(const struct lab_build *b, const char *text)
{
	struct kl_buf out = KL_BUF_INIT;
	size_t dl = strlen(b->dir);
	const char *p = text;

	for (;;) {
		const char *hit = strstr(p, b->dir);
		if (!hit) {
			kl_buf_puts(&out, p);
			break;
		}
		kl_buf_add(&out, p, (size_t)(hit - p));
		const char *rest = hit + dl;
		int mapped = 0;
		if (*rest == '/') {
			for (size_t i = 0; i < b->nfiles; i++) {
				size_t nl = strlen(b->names[i]);
				if (strncmp(rest + 1, b->names[i], nl) == 0 &&
				    !(rest[1 + nl] == '.' || rest[1 + nl] == '_' ||
				      (rest[1 + nl] >= 'a' && rest[1 + nl] <= 'z'))) {
					kl_buf_puts(&out, b->origins[i]);
					p = rest + 1 + nl;
					mapped = 1;
					break;
				}
			}
		}
		if (!mapped) {
			kl_buf_puts(&out, "<build>");
			p = rest;
		}
	}
	return kl_buf_detach(&out);
}

void lab_build_parse_diags(struct lab_build *b, const char *text)
{
	const char *line = text;

	while (*line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char *l = kl_sprintf("%.*s", (int)len, line);
		/* file:line:col: severity: message (col optional) */
		char *c1 = strchr(l, ':');
		while (c1 && !(c1[1] >= '0' && c1[1] <= '9'))
			c1 = strchr(c1 + 1, ':');
		if (c1 && c1 != l) {
			char *e;
			long ln = strtol(c1 + 1, &e, 10);
			if (ln > 0 && *e == ':') {
				long col = 0;
				char *sev = e + 1;
				if (*sev >= '0' && *sev <= '9') {
					col = strtol(sev, &e, 10);
					sev = *e == ':' ? e + 1 : sev;
				}
				while (*sev == ' ')
					sev++;
				const char *kinds[] = { "fatal error", "error", "warning" };
				for (size_t k = 0; k < 3; k++) {
					size_t kl = strlen(kinds[k]);
					if (strncmp(sev, kinds[k], kl) == 0 && sev[kl] == ':') {
						struct lab_diag *d = realloc(
							b->diags, (b->ndiags + 1) * sizeof(*d));
						if (!d)
							abort();
						b->diags = d;
						d = &d[b->ndiags++];
						d->file = kl_sprintf("%.*s", (int)(c1 - l), l);
						d->line = (int)ln;
						d->col = (int)col;
						d->severity = kl_strdup(kinds[k]);
						const char *msg = sev + kl + 1;
						while (*msg == ' ')
							msg++;
						d->message = kl_strdup(msg);
						break;
					}
				}
			}
		}
		free(l);
		if (!eol)
			break;
		line = eol + 1;
	}
}

static int S_build_programs(const struct kl_lab *lab, struct lab_build *b, struct kl_err *err)
{
	for (size_t i = 0; i < lab->nprograms; i++) {
		struct kl_buf out = KL_BUF_INIT;
		struct kl_proc_result res;
		char *src = kl_path_join(b->dir, lab->programs[i]);
		char *bin = kl_strdup(src);
		bin[strlen(bin) - 2] = '\0';
		char *argv[] = { "gcc", "-std=gnu11", "-O2", "-g", "-static", "-pthread", "-Wall",
				 "-Wextra", "-o", bin, src, NULL };
		char *env[] = { "LC_ALL=C", NULL };
		int rc = kl_proc_run(argv, b->dir, env, S_BUILD_TIMEOUT, &out, S_LOG_MAX, &res, err);
		if (rc == 0) {
			char *mapped = S_map_paths(b, kl_buf_str(&out));
			kl_buf_puts(&b->log, mapped);
			lab_build_parse_diags(b, mapped);
			free(mapped);
			if (!res.exited || res.status != 0)
				rc = 1;
		}
		kl_buf_release(&out);
		free(src);
		if (rc != 0) {
			free(bin);
			return rc;
		}
		S_push(&b->programs, b->nprograms++, bin);
	}
	return 0;
}

/* Runs Kbuild in b->dir: 0 built, 1 the learner's code did not compile, -1 infra. */
static int S_kbuild(const struct lab_profile *p, struct lab_build *b, struct kl_err *err)
{
	struct kl_buf out = KL_BUF_INIT;
	struct kl_proc_result res;
	char *mflag = kl_sprintf("M=%s", b->dir);
	char *argv[] = { "make", "-C", p->headers, mflag, "modules", NULL };
	char *env[] = { "LC_ALL=C", "KBUILD_VERBOSE=0", NULL };
	int rc = -1;

	if (kl_proc_run(argv, b->dir, env, S_BUILD_TIMEOUT, &out, S_LOG_MAX, &res, err) < 0)
		goto out;
	b->module_s = res.seconds;
	char *mapped = S_map_paths(b, kl_buf_str(&out));
	kl_buf_puts(&b->log, mapped);
	lab_build_parse_diags(b, mapped);
	free(mapped);
	rc = 0;
	if (res.timed_out) {
		kl_err_set(err, "the module build took longer than %.0f s and was stopped",
			   S_BUILD_TIMEOUT);
		rc = 1;
	} else if (!res.exited || res.status != 0) {
		rc = 1;
	}
out:
	kl_buf_release(&out);
	free(mflag);
	return rc;
}

/*
 * The lab's modules: Kbuild's recorded commands replayed when they run silently,
 * else Kbuild itself (whose commands are then kept for the next build).
 */
static int S_build_kbuild(const struct lab_profile *p, const struct kl_lab *lab,
			  struct lab_build *b, struct kl_err *err)
{
	char *recipe = b->cache ? lab_replay_key(b->cache, p->headers, lab->id, b->dir, b->names,
						 b->nfiles)
				: NULL;
	double t = kl_now();
	int rc = 0;

	b->replayed = recipe && lab_replay_build(recipe, p->headers, b->dir) == 0;
	if (b->replayed) {
		b->module_s = kl_now() - t;
	} else {
		rc = S_kbuild(p, b, err);
		/* a recipe not kept only costs the next build its speed */
		if (rc == 0 && recipe)
			lab_replay_record(recipe, b->dir, NULL);
	}
	free(recipe);
	return rc;
}

int lab_build_module(const struct lab_profile *p, const struct kl_lab *lab, struct lab_build *b,
		     struct kl_err *err)
{
	char *kbuild = kl_path_join(b->dir, "Kbuild");
	char **kos = NULL;
	size_t nkos = 0;
	int rc = -1;

	if (!kl_is_file(kbuild)) {
		if (lab->nprograms == 0) {
			kl_err_set(err, "lab %s has neither a Kbuild file nor `programs`", lab->id);
			goto out;
		}
		rc = S_build_programs(lab, b, err);
		goto out;
	}
	rc = S_build_kbuild(p, lab, b, err);
	if (rc != 0)
		goto out;
	rc = -1;
	if (S_list_files(b->dir, ".ko", &kos, &nkos, err) < 0)
		goto out;
	if (nkos == 0) {
		kl_err_set(err, "Kbuild built no module: does the lab's Kbuild name an obj-m?");
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < nkos; i++) {
		char *name = kl_strdup(kos[i]);
		name[strlen(name) - 3] = '\0';
		for (char *c = name; *c; c++)
			if (*c == '-')
				*c = '_';
		S_push(&b->kos, b->nkos, kl_path_join(b->dir, kos[i]));
		S_push(&b->modnames, b->nkos, name);
		b->nkos++;
	}
	rc = S_build_programs(lab, b, err);
out:
	kl_strv_free(kos, nkos);
	free(kbuild);
	return rc;
}

size_t lab_build_expected_modules(const struct lab_build *b, char ***names)
{
	struct kl_buf text = KL_BUF_INIT;
	char *path = kl_path_join(b->dir, "Kbuild");
	size_t n = 0;

	*names = NULL;
	if (kl_read_file(path, &text, 1 << 16, NULL) < 0)
		goto out;
	for (char *line = text.ptr; line && *line;) {
		char *eol = strchr(line, '\n');
		if (eol)
			*eol = '\0';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "obj-m", 5) == 0) {
			p += 5;
			while (*p == ' ' || *p == '\t')
				p++;
			if (strncmp(p, ":=", 2) == 0 || strncmp(p, "+=", 2) == 0) {
				p += 2;
			} else if (*p == '=') {
				p++;
			} else {
				/* a conditional or anything clever: give up */
				kl_strv_free(*names, n);
				*names = NULL;
				n = 0;
				goto out;
			}
			for (char *tok = strtok(p, " \t"); tok; tok = strtok(NULL, " \t")) {
				size_t l = strlen(tok);
				if (l < 3 || strcmp(tok + l - 2, ".o") != 0 || strchr(tok, '$')) {
					kl_strv_free(*names, n);
					*names = NULL;
					n = 0;
					goto out;
				}
				char *name = kl_sprintf("%.*s", (int)(l - 2), tok);
				for (char *c = name; *c; c++)
					if (*c == '-')
						*c = '_';
				S_push(names, n++, name);
			}
		}
		line = eol ? eol + 1 : NULL;
	}
out:
	kl_buf_release(&text);
	free(path);
	return n;
}

int lab_build_stripped(const struct lab_build *b, size_t i, struct kl_buf *out,
		       struct kl_err *err)
{
	struct kl_proc_result res;
	struct kl_buf log = KL_BUF_INIT;
	char *dst = kl_sprintf("%s.stripped", b->kos[i]);
	char *argv[] = { "objcopy", "--strip-debug", b->kos[i], dst, NULL };
	int rc = kl_proc_run(argv, NULL, NULL, 60, &log, 1 << 16, &res, err);

	if (rc == 0 && (!res.exited || res.status))
		rc = kl_err_set(err, "objcopy --strip-debug %s failed: %s", b->kos[i],
				kl_buf_str(&log));
	if (rc == 0)
		rc = kl_read_file(dst, out, 256u << 20, err);
	unlink(dst);
	kl_buf_release(&log);
	free(dst);
	return rc;
}

#define S_TEST_CFLAGS "-std=gnu11 -O2 -static -pthread -Wall -Wextra -Werror"

int lab_build_tests(const struct kl_config *cfg, const struct kl_lab *lab, struct lab_build *b,
		    struct kl_err *err)
{
	char *tdir = kl_path_join(lab->dir, "tests");
	char *header = kl_sprintf("%s/server/guest/klab_test.h", cfg->root);
	char *incdir = kl_sprintf("%s/server/guest", cfg->root);
	struct kl_buf text = KL_BUF_INIT;
	char **srcs = NULL;
	size_t nsrcs = 0;
	int rc = -1;

	if (S_list_files(tdir, ".c", &srcs, &nsrcs, err) < 0)
		goto out;
	if (nsrcs == 0) {
		kl_err_set(err, "lab %s has no guest tests in %s", lab->id, tdir);
		goto out;
	}
	uint64_t base = KL_HASH_INIT;
	if (kl_read_file(header, &text, 1 << 20, err) < 0)
		goto out;
	base = kl_hash(base, text.ptr, text.len);
	base = kl_hash(base, S_TEST_CFLAGS, strlen(S_TEST_CFLAGS));
	for (size_t i = 0; i < nsrcs; i++) {
		char *src = kl_path_join(tdir, srcs[i]);
		kl_buf_reset(&text);
		if (kl_read_file(src, &text, 4 << 20, err) < 0) {
			free(src);
			goto out;
		}
		uint64_t h = kl_hash(base, text.ptr, text.len);
		char *name = kl_strdup(srcs[i]);
		name[strlen(name) - 2] = '\0';
		char *cdir = kl_sprintf("%s/tests/%s/%016llx", cfg->cache, lab->id,
					(unsigned long long)h);
		char *bin = kl_path_join(cdir, name);
		if (!kl_is_file(bin)) {
			char *tmpbin = kl_sprintf("%s.tmp.%ld", bin, (long)getpid());
			char *iflag = kl_sprintf("-I%s", incdir);
			char *argv[] = { "gcc", "-std=gnu11", "-O2", "-static", "-pthread", "-Wall",
					 "-Wextra", "-Werror", iflag, "-o", tmpbin, src, NULL };
			struct kl_buf out = KL_BUF_INIT;
			struct kl_proc_result res;
			int r = kl_mkdir_p(cdir, 0755, err);
			if (r == 0)
				r = kl_proc_run(argv, NULL, NULL, 120, &out, 1 << 16, &res, err);
			if (r == 0 && (!res.exited || res.status)) {
				kl_err_set(err, "guest test %s does not build (a klab bug, not "
						"yours):\n%s", src, kl_buf_str(&out));
				r = -1;
			}
			if (r == 0 && rename(tmpbin, bin) < 0)
				r = kl_err_errno(err, "cannot store %s", bin);
			if (r < 0)
				unlink(tmpbin);
			b->tests_s += r == 0 ? res.seconds : 0;
			kl_buf_release(&out);
			free(iflag);
			free(tmpbin);
			if (r < 0) {
				free(src);
				free(name);
				free(cdir);
				free(bin);
				goto out;
			}
		}
		S_push(&b->tests, b->ntests++, bin);
		free(src);
		free(name);
		free(cdir);
	}
	rc = 0;
out:
	kl_strv_free(srcs, nsrcs);
	kl_buf_release(&text);
	free(tdir);
	free(header);
	free(incdir);
	return rc;
}

void lab_build_release(struct lab_build *b, int keep)
{
	if (b->dir && !keep) {
		kl_rm_rf(b->dir, NULL);
	} else if (b->dir) {
		char *owner = kl_path_join(b->dir, "owner");
		unlink(owner); /* kept on purpose: never swept */
		free(owner);
	}
	free(b->dir);
	kl_strv_free(b->names, b->nfiles);
	kl_strv_free(b->origins, b->nfiles);
	kl_strv_free(b->kos, b->nkos);
	kl_strv_free(b->modnames, b->nkos);
	kl_strv_free(b->programs, b->nprograms);
	kl_strv_free(b->tests, b->ntests);
	kl_buf_release(&b->log);
	for (size_t i = 0; i < b->ndiags; i++) {
		free(b->diags[i].file);
		free(b->diags[i].severity);
		free(b->diags[i].message);
	}
	free(b->diags);
	memset(b, 0, sizeof(*b));
}
