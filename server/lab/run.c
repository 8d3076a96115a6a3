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
#include <zlib.h>

#include "core/attempts.h"
#include "core/catalog.h"
#include "core/fsutil.h"
#include "core/proc.h"
#include "core/progress.h"
#include "core/workspace.h"
#include "lab/finding.h"
#include "lab/ktap.h"
#include "lab/pack.h"
#include "lab/profile.h"
#include "lab/vm.h"

#define S_GREEN "\033[32m"
#define S_RED "\033[31m"
#define S_DIM "\033[2m"
#define S_RESET "\033[0m"

/* The build when it runs beside the boot, in its own thread. */
struct S_job {
	const struct lab_profile *prof;
	const struct kl_lab *lab;
	struct lab_build *b;
	const struct lab_run_opts *o;
	pthread_t thread;
	int started, joined;
	int result;          /* lab_build_module's: 0 built, 1 learner's error, -1 infra */
	double seconds;
	struct kl_err err;
	char **expect;       /* guest paths the build will make, in send order */
	size_t nexpect;      /* 0: build first, then boot */
	int mismatch;        /* the build made other files than expected */
	int done_pipe[2];    /* the thread writes a byte here when it ends */
	volatile int finished;
};

/* Everything the console callback updates while the VM runs. */
struct S_live {
	struct S_job *job;
	const struct lab_run_opts *o;
	struct lab_ktap kt;
	struct lab_fault fault;
	struct lab_run_result *result;
	size_t reported;    /* top-level results already shown */
	double step_start;
	int fault_shown;
	double fault_at;    /* when the first fault report began, 0 before */
	double progress_at; /* when the guest last finished or began a step */
	double test_timeout;
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

static void S_step(const struct lab_run_opts *o, const char *name, int ok, double s,
		   const char *note)
{
	if (!o->progress)
		return;
	fprintf(o->progress, "  %-28s ", name);
	S_progress(o, ok ? S_GREEN : S_RED, "%-6s", ok ? "ok" : "FAILED");
	fprintf(o->progress, " %6.2f s%s%s\n", s, note ? "  " : "", note ? note : "");
	fflush(o->progress);
}

static void S_on_line(void *ctx, const char *line, size_t len)
{
	struct S_live *l = ctx;
	char *prev_step = l->kt.step;
	size_t before = l->kt.n;

	(void)prev_step;
	lab_ktap_feed(&l->kt, line, len);
	lab_fault_feed(&l->fault, line, len);
	if (l->kt.n > before) {
		const struct lab_ktap_result *r = &l->kt.results[l->kt.n - 1];
		if (r->depth == 0) {
			double now = kl_now();
			S_step(l->o, r->name, r->ok, now - l->step_start,
			       r->skip ? (r->directive ? r->directive : "skipped") : NULL);
			l->step_start = now;
		}
	}
	if (len >= 13 && memcmp(line, "# klab-step: ", 13) == 0)
		l->step_start = kl_now();
	if (l->kt.n > before || (len >= 13 && memcmp(line, "# klab-step: ", 13) == 0))
		l->progress_at = kl_now();
	if (l->fault.kind != LAB_FAULT_NONE && !l->fault_shown) {
		l->fault_shown = 1;
		l->fault_at = kl_now();
		S_progress(l->o, S_RED, "  kernel %s: %s\n", lab_fault_kind_name(l->fault.kind),
			   l->fault.title);
	}
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

/* Waits for the build thread (once) and records its time. */
static void S_job_join(struct S_job *job, struct lab_run_result *r)
{
	if (!job->started || job->joined)
		return;
	pthread_join(job->thread, NULL);
	job->joined = 1;
	S_time(r, "build", job->seconds);
	S_step(job->o, "build", job->result == 0, job->seconds, "beside the boot");
}

/* The built files, as KLAB-FILE records for the guest; -1 aborts the VM. */
static int S_payload(void *ctx, struct kl_buf *out)
{
	struct S_live *l = ctx;
	struct S_job *job = l->job;
	struct lab_build *b = job->b;
	struct kl_buf data = KL_BUF_INIT;
	int rc = -1;

	S_job_join(job, l->result);
	if (job->result != 0)
		return -1;
	if (b->nkos + b->nprograms != job->nexpect) {
		job->mismatch = 1;
		return -1;
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
		/* the console is a slow emulated UART: deflate (a module shrinks 4x) */
		uLongf zlen = compressBound(data.len);
		kl_buf_printf(out, "KLAB-FILE %s %zu ", want, data.len);
		size_t at = out->len;
		kl_buf_grow(out, 32 + zlen);
		char *z = out->ptr + at + 32;
		if (compress2((Bytef *)z, &zlen, (const Bytef *)data.ptr, data.len, 9) != Z_OK) {
			kl_err_set(&job->err, "cannot compress %s", want);
			goto out;
		}
		int hl = snprintf(out->ptr + at, 32, "%lu\n", (unsigned long)zlen);
		memmove(out->ptr + at + hl, z, zlen);
		out->len = at + (size_t)hl + zlen;
	}
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

static int S_record(const struct kl_config *cfg, const struct kl_lab *lab,
		    const struct lab_build *b, struct lab_run_result *r, long long started,
		    struct kl_err *err)
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
	/* the graded sources, as the learner wrote them */
	names = calloc(lab->nfiles + 1, sizeof(*names));
	paths = calloc(lab->nfiles + 1, sizeof(*paths));
	if (!names || !paths)
		abort();
	for (size_t i = 0; i < lab->nfiles; i++) {
		for (size_t j = 0; b && j < b->nfiles; j++) {
			if (strcmp(b->names[j], lab->files[i]) == 0) {
				names[n] = b->names[j];
				paths[n] = b->dir ? kl_path_join(b->dir, b->names[j]) : NULL;
				n++;
				break;
			}
		}
	}
	if (n) {
		char *msg = kl_sprintf("%s attempt %lld: %s %d/%d\n\nsource: %s\n", r->lab, a.id,
				       r->verdict, r->score, r->max_score, r->source);
		int c = kl_attempts_commit(cfg->home, r->lab, names, paths, n, msg, r->commit, err);
		free(msg);
		if (c < 0 || kl_progress_set_commit(p, a.id, r->commit, err) < 0)
			goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(names);
	free(paths);
	free(a.tests);
	kl_progress_close(p);
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
	char *srcdir = NULL, *initrd = NULL, *console = NULL, *init = NULL;
	double t0 = kl_now(), t;
	long long started = (long long)time(NULL);
	int have_profile = 0, have_build = 0, have_vm = 0;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	memset(&b, 0, sizeof(b));
	memset(&vm, 0, sizeof(vm));
	memset(&live, 0, sizeof(live));
	memset(&job, 0, sizeof(job));
	live.result = r;
	lab_ktap_init(&live.kt);
	lab_fault_init(&live.fault);
	live.o = o;
	if (kl_lab_load(cfg->root, o->lab, &lab, err) < 0)
		return -1;
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
	initrd = kl_path_join(b.dir, "initrd.cpio");
again:
	if (job.nexpect == 0 && !job.joined) {
		t = kl_now();
		int built = lab_build_module(&prof, &lab, &b, &e2);
		S_time(r, "build", kl_now() - t);
		S_step(o, "build", built == 0, kl_now() - t, NULL);
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
	struct lab_pack_input in = {
		.init = init,
		.busybox = lab.busybox ? "/bin/busybox" : NULL,
		.kmods = kmods,
		.nkmods = nkmods,
		.modules = job.nexpect ? NULL : b.kos,
		.nmodules = job.nexpect ? 0 : b.nkos,
		.module_params = lab.module_params,
		.programs = job.nexpect ? NULL : b.programs,
		.nprograms = job.nexpect ? 0 : b.nprograms,
		.recv = job.expect,
		.nrecv = job.nexpect,
		.tests = b.tests,
		.ntests = b.ntests,
		.test_timeout = lab.test_timeout,
	};
	int packed = lab_pack_initramfs(&in, initrd, &e2);
	S_time(r, "pack", kl_now() - t);
	if (packed < 0) {
		S_job_join(&job, r);
		S_verdict(r, "infra", kl_strdup(e2.msg));
		goto grade_done;
	}
	S_step(o, "pack", 1, kl_now() - t, NULL);

	/* boot and run */
	struct lab_vm_opts vo = {
		.profile = &prof,
		.initrd = initrd,
		.cpu = lab.qemu_cpu,
		.boot_timeout = (double)prof.boot_timeout,
		.boot_retries = (int)prof.boot_retries,
		.run_timeout = run_timeout,
		.console_log = console,
		.on_line = S_on_line,
		.stop = S_stop,
		.deadline = S_deadline,
		.payload = job.nexpect ? S_payload : NULL,
		.wake_fd = job.started ? job.done_pipe[0] : -1,
		.ctx = &live,
	};
	live.job = &job;
	live.step_start = kl_now();
	live.test_timeout = (double)(lab.test_timeout > 0 ? lab.test_timeout : 10) + 2;
	int vmrc = lab_vm_run(&vo, &vm, &e2);
	S_job_join(&job, r);
	if (job.started && S_build_verdict(r, &b, job.result, &job.err))
		goto grade_done;
	if (job.mismatch) {
		/* Kbuild made other modules than its file said: build first, then boot */
		lab_vm_result_release(&vm);
		lab_ktap_release(&live.kt);
		lab_ktap_init(&live.kt);
		lab_fault_release(&live.fault);
		lab_fault_init(&live.fault);
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
	S_time(r, "boot", vm.boot_s);
	if (job.nexpect)
		S_time(r, "transfer", vm.wait_s + vm.send_s);
	S_time(r, "run", vm.run_s);
	if (vm.end == LAB_VM_ERROR) {
		S_verdict(r, "infra", kl_sprintf("QEMU could not start: %s", kl_buf_str(&vm.qemu_stderr)));
		goto grade_done;
	}
	if (vm.end == LAB_VM_BOOT_FAILED) {
		S_verdict(r, "infra",
			  kl_sprintf("the VM never reached klab's boot marker in %d boots of %.0f s "
				     "(an infrastructure hang, not your code); run again, or "
				     "`klab doctor`", vm.boots, vo.boot_timeout));
		goto grade_done;
	}
	if (vm.end == LAB_VM_ABORTED) {
		S_verdict(r, "infra", kl_sprintf("the build's files could not be sent to the VM: %s",
						 job.err.msg[0] ? job.err.msg : "unknown error"));
		goto grade_done;
	}

	if (live.kt.booted && live.kt.boot_id && !live.kt.clean) {
		S_verdict(r, "infra", kl_strdup("the VM did not start clean (a module was loaded or "
						"/tmp was not empty before the lab ran): a klab bug"));
		goto grade_done;
	}

	/* grade */
	struct lab_fault_srcs srcs = { b.modnames, b.kos, b.nkos, b.dir, b.names, b.origins,
				       b.nfiles };
	lab_fault_decode(&live.fault, &srcs);
	lab_finding_describe(&live.fault);
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
		r->clean = live.kt.clean;
	}
	r->fault = live.fault;
	lab_fault_init(&live.fault);
	r->total_s = kl_now() - t0;
	if (o->record) {
		t = kl_now();
		if (S_record(cfg, &lab, have_build ? &b : NULL, r, started, err) < 0) {
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
	free(initrd);
	free(console);
	free(init);
out_lab:
	free(srcdir);
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
	free(r->step);
	free(r->boot_id);
	free(r->build_dir);
	free(r->console_log);
	memset(r, 0, sizeof(*r));
}

int lab_run_exit_status(const struct lab_run_result *r)
{
	return strcmp(r->verdict, "pass") == 0 && r->score == r->max_score ? 0 : 1;
}
