/*
 * run.c - the lab pipeline: build -> pack -> boot -> grade -> record (see run.h).
 */
#include "lab/run.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/attempts.h"
#include "core/catalog.h"
#include "core/fsutil.h"
#include "core/proc.h"
#include "core/progress.h"
#include "core/summary.h"
#include "core/term.h"
#include "core/workspace.h"
#include "lab/editor.h"
#include "lab/finding.h"
#include "lab/ktap.h"
#include "lab/modlog.h"
#include "lab/pack.h"
#include "lab/profile.h"
#include "lab/report.h"
#include "lab/snapshot.h"
#include "lab/ticker.h"
#include "lab/vm.h"

#define S_GREEN "\033[32m"
#define S_RED "\033[31m"
#define S_DIM "\033[2m"
#define S_YELLOW "\033[33m"
#define S_RESET "\033[0m"

/* The build when it runs beside the boot, in its own thread. */
struct S_job {
	const struct lab_profile *prof;
	const struct kl_lab *lab;
	struct lab_build *b;
	const struct lab_run_opts *o;
	pthread_t thread;
	int started, joined, reported;
	int result;          /* lab_build_module's: 0 built, 1 learner's error, -1 infra */
	double seconds;
	struct kl_err err;
	char **expect;       /* guest paths the build will make, in send order */
	size_t nexpect;      /* 0: build first, then boot */
	int mismatch;        /* the build made other files than expected */
	int done_pipe[2];    /* the thread writes a byte here when it ends */
	volatile int finished;
};

/* Everything the console and channel callbacks update while the VM runs. */
struct S_live {
	struct S_job *job;
	const struct lab_run_opts *o;
	struct kl_buf bundle; /* the run's records known before the build ends (pack.h) */
	int bundle_given;     /* payload() gave the bundle; the build's files come next */
	struct lab_ktap kt;
	struct lab_fault fault;
	struct lab_run_result *result;
	size_t reported;    /* top-level results already shown */
	double step_start;
	int fault_shown;
	double fault_at;    /* when the first fault report began, 0 before */
	double progress_at; /* when the guest last finished or began a step */
	double test_timeout;
	struct lab_modlog log;     /* the learner's module's kernel lines */
	pthread_mutex_t mu;        /* held by the console and channel callbacks and the ticker */
	struct lab_ticker ticker;  /* a running step's line, so a hang is never silent */
};

static void S_progress(const struct lab_run_opts *o, const char *color, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void S_progress(const struct lab_run_opts *o, const char *color, const char *fmt, ...)
{
	va_list ap;

	if (!o->progress)
		return;
	if (o->color && color)
		fputs(color, o->progress);
	va_start(ap, fmt);
	vfprintf(o->progress, fmt, ap);
	va_end(ap);
	if (o->color && color)
		fputs(S_RESET, o->progress);
	fflush(o->progress);
}

/* One step's line; ok -1 is a skipped step (no time: it did not run). */
static void S_step(const struct lab_run_opts *o, const char *name, int ok, double s,
		   const char *note)
{
	char *clean_name, *clean_note;

	if (!o->progress)
		return;
	clean_name = kl_term_clean(name);
	clean_note = kl_term_clean(note);
	fprintf(o->progress, "  %-28s ", clean_name);
	if (ok < 0) {
		S_progress(o, S_YELLOW, "%-6s", "skip");
		fprintf(o->progress, "           %s\n", clean_note ? clean_note : "");
	} else {
		S_progress(o, ok ? S_GREEN : S_RED, "%-6s", ok ? "ok" : "FAILED");
		fprintf(o->progress, " %6.2f s%s%s\n", s, clean_note ? "  " : "",
			clean_note ? clean_note : "");
	}
	fflush(o->progress);
	free(clean_name);
	free(clean_note);
}

/* Replaces the private build folder's paths in s with the learner's files. */
static void S_unbuild_paths(char **s, const struct lab_build *b)
{
	if (!*s || !b || !b->dir)
		return;
	for (size_t i = 0; i < b->nfiles; i++) {
		char *from = kl_sprintf("%s/%s", b->dir, b->names[i]);
		size_t fl = strlen(from);
		char *at;
		while ((at = strstr(*s, from))) {
			char *n = kl_sprintf("%.*s%s%s", (int)(at - *s), *s, b->origins[i], at + fl);
			free(*s);
			*s = n;
		}
		free(from);
	}
}

/* The ticker's label: the guest step running, else what the run waits for. */
static const char *S_tick_label(void *ctx, double *started)
{
	const struct S_live *l = ctx;
	int building = l->job && l->job->started &&
		       !__atomic_load_n(&l->job->finished, __ATOMIC_ACQUIRE);

	*started = l->step_start;
	return l->kt.step ? l->kt.step : building ? "build" : "starting";
}

/* A line of /init's report, on the channel: KTAP and klab's markers. */
static void S_on_channel(void *ctx, const char *line, size_t len)
{
	struct S_live *l = ctx;
	size_t before = l->kt.n;
	int step = len >= 13 && memcmp(line, "# klab-step: ", 13) == 0;

	pthread_mutex_lock(&l->mu);
	lab_ktap_feed(&l->kt, line, len);
	if (l->kt.n > before) {
		const struct lab_ktap_result *r = &l->kt.results[l->kt.n - 1];
		if (r->depth == 0) {
			double now = kl_now();
			const char *why = r->directive ? r->directive : "skipped";
			if (r->skip && strncmp(why, "SKIP ", 5) == 0)
				why += 5;
			lab_ticker_clear(&l->ticker);
			S_step(l->o, r->name, r->skip ? -1 : r->ok, now - l->step_start,
			       r->skip ? why : NULL);
			l->step_start = now;
		}
	}
	if (step) {
		l->step_start = kl_now(); /* what runs next is timed from here */
		/* a learner's module loads now: its console lines from here are its log */
		lab_modlog_feed(&l->log, &l->fault, line, len);
	}
	if (l->kt.n > before || step)
		l->progress_at = kl_now();
	pthread_mutex_unlock(&l->mu);
}

/* A line of the kernel's log, on the console: faults and the module's log, never results. */
static void S_on_console(void *ctx, const char *line, size_t len)
{
	struct S_live *l = ctx;

	pthread_mutex_lock(&l->mu);
	lab_fault_feed(&l->fault, line, len);
	lab_modlog_feed(&l->log, &l->fault, line, len);
	if (l->fault.kind != LAB_FAULT_NONE && !l->fault_shown) {
		l->fault_shown = 1;
		l->fault_at = kl_now();
		/* a leak is only the lab's once decoded: the verdict says it */
		if (l->fault.kind != LAB_FAULT_LEAK) {
			char *title = kl_strdup(l->fault.title);
			S_unbuild_paths(&title, l->job ? l->job->b : NULL);
			char *clean = kl_term_clean(title);
			lab_ticker_clear(&l->ticker);
			S_progress(l->o, S_RED, "  kernel %s: %s\n",
				   lab_fault_kind_name(l->fault.kind), clean);
			free(clean);
			free(title);
		}
	}
	pthread_mutex_unlock(&l->mu);
}

/* The guest said it is done: the host agrees when every planned step has its result. */
static int S_done(void *ctx)
{
	const struct S_live *l = ctx;
	size_t top = 0;

	for (size_t i = 0; i < l->kt.n; i++)
		top += l->kt.results[i].depth == 0;
	return l->kt.plan >= 0 && top >= (size_t)l->kt.plan;
}

/*
 * A panicked kernel prints nothing more, and a failed build leaves nothing to
 * run: no need to wait for the timeout or the boot.
 */
static int S_stop(void *ctx)
{
	const struct S_live *l = ctx;
	const struct S_job *job = l->job;

	if (job && job->started && __atomic_load_n(&job->finished, __ATOMIC_ACQUIRE) &&
	    job->result != 0)
		return 1;
	return l->fault.dead;
}

/*
 * After a kernel fault the verdict is known; a guest that then stops making
 * progress (a refcount warning, then a hang) gets one test timeout from the
 * fault, or from its last step after it, not the rest of the run's timeout.
 */
static double S_deadline(void *ctx)
{
	const struct S_live *l = ctx;

	if (!l->fault_at)
		return 0;
	double from = l->progress_at > l->fault_at ? l->progress_at : l->fault_at;
	return from + l->test_timeout;
}

static void *S_job_run(void *arg)
{
	struct S_job *job = arg;
	double t = kl_now();

	job->result = lab_build_module(job->prof, job->lab, job->b, &job->err);
	job->seconds = kl_now() - t;
	__atomic_store_n(&job->finished, 1, __ATOMIC_RELEASE);
	ssize_t w = write(job->done_pipe[1], "x", 1);
	(void)w; /* on failure the VM learns it at KLAB-READY instead */
	return NULL;
}

/* Guest paths of what the build will make: the Kbuild modules, then the programs. */
static void S_job_expect(struct S_job *job)
{
	char **mods = NULL;
	size_t nmods = lab_build_expected_modules(job->b, &mods);
	char *kbuild = kl_path_join(job->b->dir, "Kbuild");
	int has_kbuild = kl_is_file(kbuild);

	free(kbuild);
	if ((has_kbuild && nmods == 0) || (!has_kbuild && job->lab->nprograms == 0)) {
		kl_strv_free(mods, nmods);
		return;
	}
	job->expect = calloc(nmods + job->lab->nprograms + 1, sizeof(char *));
	if (!job->expect)
		abort();
	for (size_t i = 0; i < nmods; i++)
		job->expect[job->nexpect++] = kl_sprintf("/klab/modules/%s.ko", mods[i]);
	for (size_t i = 0; i < job->lab->nprograms; i++)
		job->expect[job->nexpect++] = kl_sprintf("/klab/bin/%.*s",
							 (int)strlen(job->lab->programs[i]) - 2,
							 job->lab->programs[i]);
	kl_strv_free(mods, nmods);
}

static void S_step(const struct lab_run_opts *o, const char *name, int ok, double s,
		   const char *note);

static void S_time(struct lab_run_result *r, const char *name, double s);

/* Waits for the build thread to end. */
static void S_job_wait(struct S_job *job)
{
	if (!job->started || job->joined)
		return;
	pthread_join(job->thread, NULL);
	job->joined = 1;
}

/* Waits for the build thread (once) and records its time. */
static void S_job_join(struct S_job *job, struct lab_run_result *r)
{
	if (!job->started || job->reported)
		return;
	S_job_wait(job);
	job->reported = 1;
	r->build_by = job->b->replayed ? "replay" : "kbuild";
	S_time(r, "build", job->seconds);
	S_step(job->o, "build", job->result == 0, job->seconds,
	       job->b->replayed ? "replayed, beside the boot" : "beside the boot");
}

/*
 * The run's records for the guest: what was packed, at once (the guest takes
 * them while the build beside the restore goes on: 1), then the built files
 * once the build ends (0). -1 aborts the VM.
 */
static int S_payload(void *ctx, struct kl_buf *out)
{
	struct S_live *l = ctx;
	struct S_job *job = l->job;
	struct lab_build *b = job->b;
	struct kl_buf data = KL_BUF_INIT;
	int rc = -1;

	if (!l->bundle_given) {
		kl_buf_add(out, l->bundle.ptr, l->bundle.len);
		l->bundle_given = 1;
		if (job->nexpect && !__atomic_load_n(&job->finished, __ATOMIC_ACQUIRE))
			return 1;
	}
	if (job->nexpect) {
		S_job_wait(job); /* not under the lock: the ticker shows the build meanwhile */
		pthread_mutex_lock(&l->mu);
		lab_ticker_clear(&l->ticker);
		S_job_join(job, l->result);
		l->step_start = kl_now();
		pthread_mutex_unlock(&l->mu);
		if (job->result != 0)
			return -1;
		if (b->nkos + b->nprograms != job->nexpect) {
			job->mismatch = 1;
			return -1;
		}
	}
	for (size_t i = 0; i < job->nexpect; i++) {
		const char *want = job->expect[i];
		kl_buf_reset(&data);
		if (i < b->nkos) {
			char *path = kl_sprintf("/klab/modules/%s.ko", b->modnames[i]);
			int same = strcmp(path, want) == 0;
			free(path);
			if (!same) {
				job->mismatch = 1;
				goto out;
			}
			if (lab_build_stripped(b, i, &data, &job->err) < 0)
				goto out;
		} else if (kl_read_file(b->programs[i - b->nkos], &data, 256u << 20, &job->err) < 0) {
			goto out;
		}
		lab_pack_data(out, want, i < b->nkos ? 0644 : 0755, data.ptr, data.len);
	}
	lab_pack_end(out);
	rc = 0;
out:
	kl_buf_release(&data);
	return rc;
}

static void S_time(struct lab_run_result *r, const char *name, double s)
{
	if (r->ntimes < sizeof(r->times) / sizeof(r->times[0])) {
		r->times[r->ntimes].name = name;
		r->times[r->ntimes].seconds = s;
		r->ntimes++;
	}
}

static void S_verdict(struct lab_run_result *r, const char *verdict, char *message)
{
	snprintf(r->verdict, sizeof(r->verdict), "%s", verdict);
	free(r->message);
	r->message = message;
}

static char *S_build_error_message(const struct lab_build *b, const struct kl_err *err)
{
	for (size_t i = 0; i < b->ndiags; i++) {
		const struct lab_diag *d = &b->diags[i];
		if (strcmp(d->severity, "warning") != 0)
			return kl_sprintf("%s:%d:%d: %s: %s", d->file, d->line, d->col, d->severity,
					  d->message);
	}
	if (err->msg[0])
		return kl_strdup(err->msg);
	/* no compiler diagnostic: modpost or the linker; its ERROR line says it */
	const char *e = strstr(kl_buf_str(&b->log), "ERROR: ");
	if (e) {
		const char *eol = strchr(e, '\n');
		return kl_sprintf("%.*s", (int)(eol ? eol - e : (long)strlen(e)), e);
	}
	return kl_strdup("the module did not build: see the compiler output");
}

/* Sets the verdict for a failed build; returns 1 when the build failed. */
static int S_build_verdict(struct lab_run_result *r, struct lab_build *b, int built,
			   struct kl_err *err)
{
	free(r->build_log);
	r->build_log = kl_strdup(kl_buf_str(&b->log));
	r->diags = b->diags;
	r->ndiags = b->ndiags;
	if (built < 0) {
		S_verdict(r, "infra", kl_strdup(err->msg));
		return 1;
	}
	if (built > 0) {
		S_verdict(r, "build-error", S_build_error_message(b, err));
		return 1;
	}
	return 0;
}

/* What the person saw, kept with the attempt for `klab log`: the report, the log always. */
static char *S_output(const struct lab_run_result *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	lab_report_human(r, f, 0, 1);
	fclose(f);
	return text;
}

/*
 * Records the attempt: the progress store, then the graded sources (the lab's
 * files found in dir, which may be NULL) in the attempts repository.
 */
static int S_record(const struct kl_config *cfg, const struct kl_lab *lab, const char *dir,
		    struct lab_run_result *r, long long started, struct kl_err *err)
{
	struct kl_progress *p = NULL;
	struct kl_attempt a;
	char **names = NULL, **paths = NULL;
	size_t n = 0;
	int rc = -1;

	memset(&a, 0, sizeof(a));
	a.lab = r->lab;
	a.started_at = started;
	a.duration_ms = (long long)(r->total_s * 1000);
	a.verdict = r->verdict;
	a.score = r->score;
	a.max_score = r->max_score;
	a.kernel = r->kernel;
	a.source = r->source;
	a.output = S_output(r);
	a.ntests = r->grade.ntests;
	a.tests = calloc(a.ntests + 1, sizeof(*a.tests));
	if (!a.tests)
		abort();
	for (size_t i = 0; i < a.ntests; i++) {
		const struct lab_outcome *t = &r->grade.tests[i];
		a.tests[i] = (struct kl_attempt_test){ t->name, t->ok, t->points, t->max_points,
						       t->diagnostic };
	}
	if (kl_progress_open(cfg->home, &p, err) < 0 || kl_progress_record(p, &a, err) < 0)
		goto out;
	r->attempt_id = a.id;
	r->attempt_number = a.number;
	/* the graded sources, as the learner wrote them */
	names = calloc(lab->nfiles + 1, sizeof(*names));
	paths = calloc(lab->nfiles + 1, sizeof(*paths));
	if (!names || !paths)
		abort();
	for (size_t i = 0; dir && i < lab->nfiles; i++) {
		char *path = kl_path_join(dir, lab->files[i]);
		if (!kl_is_file(path)) {
			free(path);
			continue;
		}
		names[n] = lab->files[i];
		paths[n++] = path;
	}
	if (n) {
		char *msg = kl_sprintf("%s attempt %d: %s %d/%d\n\nsource: %s\n", r->lab, a.number,
				       r->verdict, r->score, r->max_score, r->source);
		int c = kl_attempts_commit(cfg->home, r->lab, names, paths, n, msg, r->commit, err);
		free(msg);
		if (c < 0 || kl_progress_set_commit(p, a.id, r->commit, err) < 0)
			goto out;
	}
	/* progress.json follows every attempt when the learner has a name (`klab push` also
	 * writes it): a failure there is no failure of the run */
	struct kl_err e2;
	char *who = kl_summary_learner(&e2);
	if (who && kl_summary_commit(cfg, who, &e2) < 0)
		fprintf(stderr, "klab: progress.json not updated: %s\n", e2.msg);
	free(who);
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(names);
	free(paths);
	free(a.tests);
	free(a.output);
	kl_progress_close(p);
	return rc;
}

int lab_run_record(const struct kl_config *cfg, struct lab_run_result *r, long long started,
		   struct kl_err *err)
{
	struct kl_lab lab;
	int rc;

	if (kl_lab_load(cfg->content, r->lab, &lab, err) < 0)
		return -1;
	/* the kept folders are the caller's business, not part of the attempt's output */
	char *dir = r->build_dir, *console = r->console_log;
	r->build_dir = r->console_log = NULL;
	rc = S_record(cfg, &lab, dir, r, started, err);
	r->build_dir = dir;
	r->console_log = console;
	kl_lab_release(&lab);
	return rc;
}

/*
 * pack: the base initramfs that the snapshot boots (cached by content) and the
 * run's records known now (everything but what the build beside the VM makes).
 * *initrd (caller frees). 0, or -1 with err.
 */
static int S_pack(const struct kl_config *cfg, const struct lab_profile *prof,
		  const struct kl_lab *lab, const struct lab_build *b, const struct S_job *job,
		  const char *init, char *const *kmods, size_t nkmods, struct kl_buf *bundle,
		  char **initrd, struct kl_err *err)
{
	char **chan = NULL;
	size_t nchan = 0;

	if (lab_profile_channel_modules(prof, &chan, &nchan, err) < 0)
		return -1;
	int rc = lab_snapshot_base(cfg->cache, init, chan, nchan, initrd, err);
	kl_strv_free(chan, nchan);
	if (rc < 0)
		return -1;
	struct lab_pack_input in = {
		.busybox = lab->busybox ? "/bin/busybox" : NULL,
		.kmods = kmods,
		.nkmods = nkmods,
		.modules = job->nexpect ? NULL : b->kos,
		.nmodules = job->nexpect ? 0 : b->nkos,
		.module_params = lab->module_params,
		.programs = job->nexpect ? NULL : b->programs,
		.nprograms = job->nexpect ? 0 : b->nprograms,
		.recv = job->expect,
		.nrecv = job->nexpect,
		.tests = b->tests,
		.ntests = b->ntests,
		.test_timeout = lab->test_timeout,
		.kprobes = lab->kprobes,
		.nkprobes = lab->nkprobes,
	};
	kl_buf_reset(bundle);
	return lab_pack_bundle(&in, bundle, err);
}

/* Keys the snapshot of the VM that vo describes. 0, or -1 (then every run boots cold). */
static int S_snapshot_open(const struct kl_config *cfg, const struct lab_profile *prof,
			   const struct lab_vm_opts *vo, struct lab_snapshot *snap,
			   struct kl_err *err)
{
	size_t argc;
	char **argv = lab_vm_argv(vo, &argc);
	int rc = lab_snapshot_open(cfg->cache, prof->name, argv, snap, err);

	kl_strv_free(argv, argc);
	return rc;
}

int lab_run(const struct kl_config *cfg, const struct lab_run_opts *o, struct lab_run_result *r,
	    struct kl_err *err)
{
	struct kl_lab lab;
	struct lab_profile prof;
	struct lab_build b;
	struct S_live live;
	struct S_job job;
	struct lab_vm_result vm;
	struct kl_err e2 = { "" };
	char **kmods = NULL;
	size_t nkmods = 0;
	char *srcdir = NULL, *initrd = NULL, *console = NULL, *channel = NULL, *init = NULL;
	char *pidfile = NULL;
	struct lab_snapshot snap;
	double t0 = kl_now(), t;
	long long started = (long long)time(NULL);
	int have_profile = 0, have_build = 0, have_vm = 0, have_snap = 0;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	memset(&b, 0, sizeof(b));
	memset(&vm, 0, sizeof(vm));
	memset(&live, 0, sizeof(live));
	memset(&job, 0, sizeof(job));
	live.result = r;
	pthread_mutex_init(&live.mu, NULL);
	lab_ktap_init(&live.kt);
	lab_fault_init(&live.fault);
	live.o = o;
	if (kl_lab_load(cfg->content, o->lab, &lab, err) < 0) {
		pthread_mutex_destroy(&live.mu);
		return -1;
	}
	lab_modlog_init(&live.log, lab.kernel_modules, lab.nkernel_modules);
	r->lab = kl_strdup(lab.id);
	r->title = kl_strdup(lab.title);
	r->max_score = lab.max_score;
	if (o->src) {
		if (!kl_is_dir(o->src)) {
			kl_err_set(err, "--src %s is not a folder", o->src);
			goto out_lab;
		}
		srcdir = realpath(o->src, NULL);
	} else {
		if (kl_workspace_ensure(cfg, &lab, err) < 0)
			goto out_lab;
		srcdir = kl_workspace_dir(cfg, lab.id);
	}
	r->source = kl_strdup(srcdir);

	if (lab_profile_load(cfg, o->kernel ? o->kernel : LAB_PROFILE_DEFAULT, &prof, err) < 0)
		goto out_lab;
	have_profile = 1;
	if (prof.built && lab_profile_check(&prof, &e2) < 0 &&
	    lab_profile_ensure_built(cfg, &prof, &e2) < 0) {
		S_verdict(r, "infra", kl_strdup(e2.msg));
		r->kernel = kl_sprintf("%s (not built)", prof.name);
		goto grade_done;
	}
	r->kernel = kl_sprintf("%s %s", prof.name, prof.release ? prof.release : "(not fetched)");
	S_progress(o, NULL, "klab run %s: %s\n  kernel %s, sources %s\n", lab.id, lab.title,
		   r->kernel, srcdir);
	if (lab_profile_check(&prof, &e2) < 0) {
		S_verdict(r, "infra", kl_strdup(e2.msg));
		goto grade_done;
	}
	init = kl_path_join(cfg->bindir, "klab-init");
	if (!kl_is_file(init)) {
		S_verdict(r, "infra", kl_sprintf("no guest init at %s: build klab with `make`",
						 init));
		goto grade_done;
	}
	if (lab.nkernel_modules &&
	    lab_profile_modules(&prof, lab.kernel_modules, lab.nkernel_modules, &kmods, &nkmods,
				&e2) < 0) {
		S_verdict(r, "infra", kl_strdup(e2.msg));
		goto grade_done;
	}

	/* build: the guest tests (cached by content), then the learner's code */
	if (lab_build_prepare(&lab, srcdir, &b, &e2) < 0) {
		S_verdict(r, "infra", kl_strdup(e2.msg));
		goto grade_done;
	}
	have_build = 1;
	b.cache = cfg->cache;
	t = kl_now();
	if (lab_build_tests(cfg, &lab, &b, &e2) < 0) {
		S_verdict(r, "infra", kl_strdup(e2.msg));
		goto grade_done;
	}
	S_time(r, "tests", kl_now() - t);
	S_step(o, "guest tests", 1, kl_now() - t, b.tests_s > 0 ? "built" : "cached");
	/*
	 * When the files the build makes are known from the Kbuild file, the VM
	 * boots while the compiler runs, and they go over the console once built.
	 */
	job.prof = &prof;
	job.lab = &lab;
	job.b = &b;
	job.o = o;
	if (!o->no_overlap)
		S_job_expect(&job);
	double run_timeout = (double)(o->timeout > 0 ? o->timeout : lab.timeout);
	console = kl_path_join(b.dir, "console.log");
	channel = kl_path_join(b.dir, "channel.log");
	pidfile = kl_path_join(b.dir, "qemu.pid");
again:
	if (job.nexpect == 0 && !job.joined) {
		t = kl_now();
		int built = lab_build_module(&prof, &lab, &b, &e2);
		r->build_by = b.replayed ? "replay" : "kbuild";
		S_time(r, "build", kl_now() - t);
		S_step(o, "build", built == 0, kl_now() - t, b.replayed ? "replayed" : NULL);
		if (S_build_verdict(r, &b, built, &e2))
			goto grade_done;
	} else if (job.nexpect == 0) {
		; /* built beside a first boot whose files did not match: boot again */
	} else if (pipe2(job.done_pipe, O_CLOEXEC) < 0 ||
		   pthread_create(&job.thread, NULL, S_job_run, &job) != 0) {
		S_verdict(r, "infra", kl_strdup("cannot start the build thread"));
		goto grade_done;
	} else {
		job.started = 1;
	}

	/* pack */
	t = kl_now();
	free(initrd);
	initrd = NULL;
	if (S_pack(cfg, &prof, &lab, &b, &job, init, kmods, nkmods, &live.bundle, &initrd,
		   &e2) < 0) {
		S_time(r, "pack", kl_now() - t);
		S_job_join(&job, r);
		S_verdict(r, "infra", kl_strdup(e2.msg));
		goto grade_done;
	}
	S_time(r, "pack", kl_now() - t);
	S_step(o, "pack", 1, kl_now() - t, NULL);

	/* restore (or boot) and run */
	struct lab_vm_opts vo = {
		.profile = &prof,
		.initrd = initrd,
		.cpu = lab.qemu_cpu,
		.boot_timeout = (double)prof.boot_timeout,
		.boot_retries = (int)prof.boot_retries,
		.run_timeout = run_timeout,
		.console_log = console,
		.channel_log = channel,
		.pidfile = pidfile,
		.on_console = S_on_console,
		.on_channel = S_on_channel,
		.stop = S_stop,
		.done = S_done,
		.deadline = S_deadline,
		.payload = S_payload,
		.wake_fd = job.started ? job.done_pipe[0] : -1,
		.ctx = &live,
	};
	if (have_snap) {
		lab_snapshot_close(&snap);
		have_snap = 0;
	}
	if (S_snapshot_open(cfg, &prof, &vo, &snap, &e2) == 0) {
		vo.snap = &snap;
		have_snap = 1;
	}
	live.job = &job;
	live.bundle_given = 0;
	live.step_start = kl_now();
	live.test_timeout = (double)(lab.test_timeout > 0 ? lab.test_timeout : 10) + 2;
	live.ticker = (struct lab_ticker){ .out = o->progress, .live = o->live, .color = o->color,
					   .mu = &live.mu, .label = S_tick_label, .ctx = &live };
	lab_ticker_start(&live.ticker); /* without it, only the ticks are missing */
	int vmrc = lab_vm_run(&vo, &vm, &e2);
	lab_ticker_stop(&live.ticker);
	if (vmrc == 0 && vm.end == LAB_VM_TIMEOUT && live.kt.step)
		S_step(o, live.kt.step, 0, kl_now() - live.step_start, "still running at the timeout");
	S_job_join(&job, r);
	if (job.started && S_build_verdict(r, &b, job.result, &job.err)) {
		lab_vm_result_release(&vm); /* the guest may have started on the packed records */
		goto grade_done;
	}
	if (job.mismatch) {
		/* Kbuild made other modules than its file said: build first, then boot */
		lab_vm_result_release(&vm);
		lab_ktap_release(&live.kt);
		lab_ktap_init(&live.kt);
		lab_fault_release(&live.fault);
		lab_fault_init(&live.fault);
		lab_modlog_reset(&live.log);
		kl_strv_free(job.expect, job.nexpect);
		job.expect = NULL;
		job.nexpect = 0;
		job.mismatch = 0;
		job.started = 0;
		for (int i = 0; i < 2; i++) {
			close(job.done_pipe[i]);
			job.done_pipe[i] = 0;
		}
		r->ntimes = 1; /* keep "tests" */
		goto again;
	}
	if (vmrc < 0) {
		S_verdict(r, "infra", kl_sprintf("%s: is qemu-system-x86 installed? `klab doctor` "
						 "checks", e2.msg));
		goto grade_done;
	}
	have_vm = 1;
	r->boots = vm.boots;
	r->vm_start = vm.saved ? "cold+save" : vm.restored ? "restore" : "cold";
	S_time(r, "boot", vm.boot_s);
	if (vm.saved)
		S_time(r, "save", vm.save_s);
	S_time(r, "transfer", vm.wait_s + vm.send_s);
	S_time(r, "run", vm.run_s);
	if (vm.lag_s >= 0.01)
		S_time(r, "lag", vm.lag_s); /* of run: waiting for a host CPU (lag.h) */
	if (vm.end == LAB_VM_ERROR) {
		S_verdict(r, "infra", kl_sprintf("QEMU could not start: %s", kl_buf_str(&vm.qemu_stderr)));
		goto grade_done;
	}
	if (vm.end == LAB_VM_BOOT_FAILED) {
		S_verdict(r, "infra",
			  kl_sprintf("the VM never reached klab's boot marker in %d boots of %.0f s "
				     "or more (an infrastructure hang or an overloaded machine, not "
				     "your code); run again, or `klab doctor`", vm.boots,
				     vo.boot_timeout));
		goto grade_done;
	}
	if (vm.end == LAB_VM_ABORTED) {
		S_verdict(r, "infra", kl_sprintf("the build's files could not be sent to the VM: %s",
						 job.err.msg[0] ? job.err.msg : "unknown error"));
		goto grade_done;
	}

	if (live.kt.boot_id && !live.kt.clean) {
		S_verdict(r, "infra", kl_strdup("the VM did not start clean (a module was loaded or "
						"/tmp was not empty before the lab ran): a klab bug"));
		goto grade_done;
	}

	/* the workspace's compile_commands.json, from this build (for editors) */
	if (!o->src && lab_editor_write(&prof, &b, srcdir, &e2) < 0)
		S_progress(o, NULL, "  (no compile_commands.json: %s)\n", e2.msg);

	/* grade */
	struct lab_fault_srcs srcs = { b.modnames, b.kos, b.nkos, b.dir, b.names, b.origins,
				       b.nfiles };
	lab_fault_decode(&live.fault, &srcs);
	lab_finding_describe(&live.fault);
	S_unbuild_paths(&live.fault.title, &b);
	if (live.fault.report.len) {
		char *report = kl_buf_detach(&live.fault.report);
		S_unbuild_paths(&report, &b);
		kl_buf_puts(&live.fault.report, report);
		free(report);
	}
	lab_grade(&lab, &live.kt, &live.fault, &vm, run_timeout, &r->grade);
	S_verdict(r, r->grade.verdict, kl_strdup(r->grade.message));
	r->score = r->grade.score;

grade_done:
	if (have_vm) {
		r->console_tail = kl_strdup(kl_buf_str(&vm.tail));
		/* the step that ran out of time, else the one running at the end */
		const char *step = live.kt.timeout_step ? live.kt.timeout_step : live.kt.step;
		r->step = step ? kl_strdup(step) : NULL;
		r->boot_id = live.kt.boot_id ? kl_strdup(live.kt.boot_id) : NULL;
		r->run_id = vm.run_id[0] ? kl_strdup(vm.run_id) : NULL;
		r->vm_notes = vm.notes.len ? kl_strdup(kl_buf_str(&vm.notes)) : NULL;
		r->clean = live.kt.clean;
	}
	r->module_log = kl_strdup(kl_buf_str(&live.log.text));
	S_unbuild_paths(&r->module_log, have_build ? &b : NULL);
	r->module_log_dropped = live.log.dropped;
	r->fault = live.fault;
	lab_fault_init(&live.fault);
	r->total_s = kl_now() - t0;
	if (o->record) {
		t = kl_now();
		if (S_record(cfg, &lab, have_build ? b.dir : NULL, r, started, err) < 0) {
			rc = -1;
			goto out;
		}
		S_time(r, "record", kl_now() - t);
	}
	rc = 0;
out:
	if (have_build && o->keep) {
		r->build_dir = kl_strdup(b.dir);
		r->console_log = console ? kl_strdup(console) : NULL;
	}
	if (have_build) {
		/* r->diags took the diagnostics */
		b.diags = NULL;
		b.ndiags = 0;
		lab_build_release(&b, o->keep);
	}
	if (have_vm)
		lab_vm_result_release(&vm);
	if (have_profile)
		lab_profile_release(&prof);
	kl_strv_free(kmods, nkmods);
	kl_strv_free(job.expect, job.nexpect);
	for (int i = 0; i < 2; i++)
		if (job.done_pipe[i] > 0)
			close(job.done_pipe[i]);
	if (have_snap)
		lab_snapshot_close(&snap);
	free(initrd);
	free(console);
	free(channel);
	free(pidfile);
	free(init);
out_lab:
	kl_buf_release(&live.bundle);
	free(srcdir);
	lab_modlog_release(&live.log);
	pthread_mutex_destroy(&live.mu);
	lab_ktap_release(&live.kt);
	lab_fault_release(&live.fault);
	kl_lab_release(&lab);
	return rc;
}

void lab_run_result_release(struct lab_run_result *r)
{
	free(r->lab);
	free(r->title);
	free(r->message);
	free(r->kernel);
	free(r->source);
	lab_grade_release(&r->grade);
	lab_fault_release(&r->fault);
	for (size_t i = 0; i < r->ndiags; i++) {
		free(r->diags[i].file);
		free(r->diags[i].severity);
		free(r->diags[i].message);
	}
	free(r->diags);
	free(r->build_log);
	free(r->console_tail);
	free(r->module_log);
	free(r->step);
	free(r->boot_id);
	free(r->run_id);
	free(r->vm_notes);
	free(r->build_dir);
	free(r->console_log);
	memset(r, 0, sizeof(*r));
}

int lab_run_exit_status(const struct lab_run_result *r)
{
	return strcmp(r->verdict, "pass") == 0 && r->score == r->max_score ? 0 : 1;
}
