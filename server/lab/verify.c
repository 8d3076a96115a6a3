/*
 * verify.c - proves a lab: skeleton fails, solution passes, wrong variants are
 * caught (see verify.h). Each run goes through lab_run with nothing recorded.
 */
#include "lab/verify.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/proc.h"
#include "lab/run.h"

void lab_verify_dirs(const struct kl_config *cfg, const struct kl_lab *lab, char **solution,
		     char **wrong)
{
	char *own_sol = kl_path_join(lab->dir, "solution");
	char *own_wrong = kl_path_join(lab->dir, "wrong");

	if (kl_is_dir(own_sol) || kl_is_dir(own_wrong)) {
		*solution = own_sol;
		*wrong = own_wrong;
		return;
	}
	free(own_sol);
	free(own_wrong);
	*solution = kl_sprintf("%s/tests/solutions/%s", cfg->root, lab->id);
	*wrong = kl_sprintf("%s/tests/wrong/%s", cfg->root, lab->id);
}

static void S_push(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		abort();
	*v = nv;
	nv[(*n)++] = kl_strndup(s, len);
}

void lab_verify_expect_release(struct lab_verify_expect *e)
{
	kl_strv_free(e->verdicts, e->nverdicts);
	kl_strv_free(e->must_fail, e->nmust_fail);
	memset(e, 0, sizeof(*e));
}

int lab_verify_expect_parse(const char *text, const char *path, struct lab_verify_expect *e,
			    struct kl_err *err)
{
	int line = 0, seen = 0;

	memset(e, 0, sizeof(*e));
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
		const char *b = p, *t = end;
		line++;
		while (b < t && (*b == ' ' || *b == '\t' || *b == '\r'))
			b++;
		while (t > b && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
			t--;
		p = nl ? nl + 1 : end;
		if (b == t || *b == '#')
			continue;
		size_t len = (size_t)(t - b);
		if (seen == 0 && len > 5 && strncmp(b, "base:", 5) == 0) {
			const char *v = b + 5;
			while (*v == ' ' || *v == '\t')
				v++;
			if ((size_t)(t - v) == 8 && strncmp(v, "skeleton", 8) == 0)
				e->skeleton_base = 1;
			else if ((size_t)(t - v) != 8 || strncmp(v, "solution", 8) != 0) {
				kl_err_set(err, "%s:%d: `%.*s`: the base is `solution` or `skeleton`",
					   path, line, (int)len, b);
				lab_verify_expect_release(e);
				return -1;
			}
			seen = 1;
			continue;
		}
		if (!e->nverdicts) {
			for (const char *v = b; v < t;) {
				const char *bar = memchr(v, '|', (size_t)(t - v));
				const char *ve = bar ? bar : t;
				if (ve > v)
					S_push(&e->verdicts, &e->nverdicts, v, (size_t)(ve - v));
				v = bar ? bar + 1 : t;
			}
		} else {
			S_push(&e->must_fail, &e->nmust_fail, b, len);
		}
		seen = 1;
	}
	if (!e->nverdicts) {
		kl_err_set(err, "%s: no verdict: write the expected one (fail, fault, timeout, ...) "
				"on its first line", path);
		lab_verify_expect_release(e);
		return -1;
	}
	return 0;
}

/* Runs the lab on src; -1 when the lab cannot be run at all. */
static int S_run(const struct kl_config *cfg, const struct lab_verify_opts *o, const char *src,
		 struct lab_run_result *r, double *took, struct kl_err *err)
{
	struct lab_run_opts ro = { .lab = o->lab, .src = src, .kernel = o->kernel, .record = 0,
				   .progress = o->progress };
	double t0 = kl_now();
	int rc = lab_run(cfg, &ro, r, err);

	*took = kl_now() - t0;
	return rc;
}

/* What a run got, for a failed check. */
static void S_describe(FILE *out, const struct lab_run_result *r)
{
	fprintf(out, "  verdict=%s score=%d/%d\n", r->verdict, r->score, r->max_score);
	if (r->message && *r->message)
		fprintf(out, "  message: %s\n", r->message);
	for (size_t i = 0; i < r->grade.ntests; i++)
		if (!r->grade.tests[i].ok)
			fprintf(out, "  failed %s: %s\n", r->grade.tests[i].name,
				r->grade.tests[i].diagnostic ? r->grade.tests[i].diagnostic : "");
}

/* Prints the check's line; counts it as failed or infra. */
static void S_check(const struct lab_verify_opts *o, int ok, const char *what,
		    const struct lab_run_result *r, double took, int *failed, int *infra)
{
	if (strcmp(r->verdict, "infra") == 0) {
		fprintf(o->out, "INFRA %s: %s\n", what, r->message ? r->message : "");
		(*infra)++;
		return;
	}
	fprintf(o->out, "%s %s (%.1f s)\n", ok ? "ok  " : "FAIL", what, took);
	if (!ok) {
		S_describe(o->out, r);
		(*failed)++;
	}
	fflush(o->out);
}

/* Copies every regular file at the top of from into to. */
static int S_copy_top(const char *from, const char *to, struct kl_err *err)
{
	DIR *d = opendir(from);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return kl_err_errno(err, "cannot list %s", from);
	while (rc == 0 && (de = readdir(d))) {
		char *f = kl_path_join(from, de->d_name);
		if (de->d_name[0] != '.' && kl_is_file(f)) {
			char *t = kl_path_join(to, de->d_name);
			rc = kl_copy_file(f, t, err);
			free(t);
		}
		free(f);
	}
	closedir(d);
	return rc;
}

/*
 * A fresh folder with the skeleton's files, the solution's over them (unless
 * skeleton_only), then vdir/change.patch applied. Caller removes and frees it.
 */
static int S_variant_src(const struct kl_lab *lab, const char *solution, int skeleton_only,
			 const char *vdir, char **out, struct kl_err *err)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = kl_sprintf("%s/klab-verify-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", lab->id);
	char *patch = kl_path_join(vdir, "change.patch");
	struct kl_buf log = KL_BUF_INIT;
	struct kl_proc_result pr;
	int rc = -1;

	*out = NULL;
	if (!mkdtemp(dir)) {
		kl_err_errno(err, "cannot make a folder like %s", dir);
		goto out;
	}
	*out = dir;
	for (size_t i = 0; i < lab->nfiles; i++) {
		char *f = kl_path_join(lab->dir, lab->files[i]), *t = kl_path_join(dir, lab->files[i]);
		int c = kl_copy_file(f, t, err);
		free(f);
		free(t);
		if (c < 0)
			goto out;
	}
	if (!skeleton_only && S_copy_top(solution, dir, err) < 0)
		goto out;
	char *argv[] = { "patch", "-s", "-p1", "-d", dir, "-i", patch, NULL };
	if (kl_proc_run(argv, NULL, NULL, 60, &log, 64 << 10, &pr, err) < 0)
		goto out;
	if (!pr.exited || pr.status != 0) {
		kl_err_set(err, "%s does not apply to the %s:\n%s", patch,
			   skeleton_only ? "skeleton" : "solution", kl_buf_str(&log));
		goto out;
	}
	rc = 0;
out:
	free(patch);
	kl_buf_release(&log);
	return rc;
}

/* The wrong variants under wrong (folders with an expect file), sorted. */
static int S_variants(const char *wrong, char ***v, size_t *n, struct kl_err *err)
{
	DIR *d = opendir(wrong);
	struct dirent *de;

	*v = NULL;
	*n = 0;
	if (!d)
		return kl_err_set(err, "no wrong variants in %s: a lab needs at least one "
				       "plausible mistake it catches (see `klab help verify`)", wrong);
	while ((de = readdir(d))) {
		char *expect = kl_sprintf("%s/%s/expect", wrong, de->d_name);
		if (de->d_name[0] != '.' && kl_is_file(expect))
			S_push(v, n, de->d_name, strlen(de->d_name));
		free(expect);
	}
	closedir(d);
	if (!*n)
		return kl_err_set(err, "no wrong variants in %s (folders with change.patch and "
				       "expect)", wrong);
	kl_strv_sort(*v, *n);
	return 0;
}

/* Checks one wrong variant; -1 only when it cannot be set up (err). */
static int S_variant(const struct kl_config *cfg, const struct lab_verify_opts *o,
		     const struct kl_lab *lab, const char *solution, const char *wrong,
		     const char *name, int *failed, int *infra, struct kl_err *err)
{
	char *vdir = kl_path_join(wrong, name), *epath = kl_path_join(vdir, "expect");
	struct kl_buf text = KL_BUF_INIT, what = KL_BUF_INIT;
	struct lab_verify_expect e = { 0 };
	struct lab_run_result r;
	char *src = NULL;
	double took;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if (kl_read_file(epath, &text, 64 << 10, err) < 0 ||
	    lab_verify_expect_parse(kl_buf_str(&text), epath, &e, err) < 0 ||
	    S_variant_src(lab, solution, e.skeleton_base, vdir, &src, err) < 0) {
		/* the variant is broken, not the lab's pipeline: a failed check */
		fprintf(o->out, "FAIL %s: wrong variant %s: %s\n", lab->id, name, err->msg);
		(*failed)++;
		rc = 0;
		goto out;
	}
	if (S_run(cfg, o, src, &r, &took, err) < 0)
		goto out;
	int verdict_ok = 0, first = strcmp(r.verdict, e.verdicts[0]) == 0;
	for (size_t i = 0; i < e.nverdicts; i++)
		verdict_ok |= strcmp(r.verdict, e.verdicts[i]) == 0;
	int missing = 0;
	for (size_t i = 0; first && i < e.nmust_fail; i++) {
		int found = 0;
		for (size_t j = 0; j < r.grade.ntests && !found; j++)
			found = !r.grade.tests[j].ok && strcmp(r.grade.tests[j].name, e.must_fail[i]) == 0;
		missing += !found;
	}
	kl_buf_printf(&what, "%s: wrong variant %s gets ", lab->id, name);
	for (size_t i = 0; i < e.nverdicts; i++)
		kl_buf_printf(&what, "%s%s", i ? "|" : "", e.verdicts[i]);
	for (size_t i = 0; i < e.nmust_fail; i++)
		kl_buf_printf(&what, "%s%s", i ? ", " : " failing ", e.must_fail[i]);
	S_check(o, verdict_ok && lab_run_exit_status(&r) != 0 && !missing, kl_buf_str(&what), &r,
		took, failed, infra);
	rc = 0;
out:
	if (src) {
		struct kl_err e2;
		kl_rm_rf(src, &e2);
		free(src);
	}
	lab_run_result_release(&r);
	lab_verify_expect_release(&e);
	kl_buf_release(&text);
	kl_buf_release(&what);
	free(vdir);
	free(epath);
	return rc;
}

/* The skeleton fails below full score; the solution passes with it. */
static int S_base_checks(const struct kl_config *cfg, const struct lab_verify_opts *o,
			 const struct kl_lab *lab, const char *solution, int *failed, int *infra,
			 struct kl_err *err)
{
	struct lab_run_result r;
	double took;
	char what[256];

	memset(&r, 0, sizeof(r));
	if (S_run(cfg, o, lab->dir, &r, &took, err) < 0) {
		lab_run_result_release(&r);
		return -1;
	}
	snprintf(what, sizeof(what), "%s: skeleton builds and fails", lab->id);
	S_check(o, strcmp(r.verdict, "fail") == 0 && r.score < r.max_score &&
		   lab_run_exit_status(&r) == 1, what, &r, took, failed, infra);
	lab_run_result_release(&r);
	if (!kl_is_dir(solution))
		return kl_err_set(err, "no reference solution for %s: put the files that replace "
				       "the skeleton's in %s", lab->id, solution);
	memset(&r, 0, sizeof(r));
	if (S_run(cfg, o, solution, &r, &took, err) < 0) {
		lab_run_result_release(&r);
		return -1;
	}
	snprintf(what, sizeof(what), "%s: reference solution passes with %d/%d", lab->id,
		 lab->max_score, lab->max_score);
	S_check(o, strcmp(r.verdict, "pass") == 0 && r.score == r.max_score &&
		   lab_run_exit_status(&r) == 0, what, &r, took, failed, infra);
	lab_run_result_release(&r);
	return 0;
}

int lab_verify(const struct kl_config *cfg, const struct lab_verify_opts *o, int *failed,
	       int *infra, struct kl_err *err)
{
	struct kl_lab lab;
	char *solution = NULL, *wrong = NULL, **variants = NULL;
	size_t nvariants = 0;
	int rc = -1;

	*failed = *infra = 0;
	if (kl_lab_load(cfg->content, o->lab, &lab, err) < 0)
		return -1;
	lab_verify_dirs(cfg, &lab, &solution, &wrong);
	if (S_variants(wrong, &variants, &nvariants, err) < 0)
		goto out;
	for (size_t i = 0; i < o->nvariants; i++) {
		int found = 0;
		for (size_t j = 0; j < nvariants && !found; j++)
			found = strcmp(o->variants[i], variants[j]) == 0;
		if (!found) {
			kl_err_set(err, "no wrong variant `%s` in %s", o->variants[i], wrong);
			goto out;
		}
	}
	if (!o->nvariants && S_base_checks(cfg, o, &lab, solution, failed, infra, err) < 0)
		goto out;
	char *const *run = o->nvariants ? o->variants : variants;
	size_t nrun = o->nvariants ? o->nvariants : nvariants;
	for (size_t i = 0; i < nrun; i++)
		if (S_variant(cfg, o, &lab, solution, wrong, run[i], failed, infra, err) < 0)
			goto out;
	rc = 0;
out:
	kl_strv_free(variants, nvariants);
	free(solution);
	free(wrong);
	kl_lab_release(&lab);
	return rc;
}
