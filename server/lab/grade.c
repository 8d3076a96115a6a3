/*
 * grade.c - verdicts and scores from a finished VM run (see grade.h).
 */
#include "lab/grade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fsutil.h"

void lab_grade_release(struct lab_grade *g)
{
	for (size_t i = 0; i < g->ntests; i++) {
		free(g->tests[i].name);
		free(g->tests[i].group);
		free(g->tests[i].diagnostic);
	}
	free(g->tests);
	free(g->message);
	memset(g, 0, sizeof(*g));
}

void lab_grade_taint_flags(long taint, char *out, size_t size)
{
	/* bits of include/linux/panic.h that mean the kernel hit a fault */
	static const struct { int bit; char c; } flags[] = {
		{ 5, 'B' }, /* TAINT_BAD_PAGE */
		{ 7, 'D' }, /* TAINT_DIE: an oops */
		{ 9, 'W' }, /* TAINT_WARN */
		{ 14, 'L' }, /* TAINT_SOFTLOCKUP */
	};
	size_t n = 0;

	if (size)
		out[0] = '\0';
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]) && n + 1 < size; i++) {
		if (taint > 0 && (taint & (1L << flags[i].bit))) {
			out[n++] = flags[i].c;
			out[n] = '\0';
		}
	}
}

/* Why a test the KTAP tree calls crashed failed. */
#define S_CRASHED "crashed: its subtests did not all report (fewer results than its plan, " \
		  "or a subtest without its own result line)"

static struct lab_outcome *S_add(struct lab_grade *g, const char *name, const char *group)
{
	struct lab_outcome *v = realloc(g->tests, (g->ntests + 1) * sizeof(*v));

	if (!v)
		abort();
	g->tests = v;
	struct lab_outcome *o = &v[g->ntests++];
	memset(o, 0, sizeof(*o));
	o->name = kl_strdup(name);
	o->group = group ? kl_strdup(group) : NULL;
	return o;
}

/* A test program: its top-level result, and what its own record says of its checks. */
struct S_prog {
	const struct lab_ktap_result *top;
	size_t nres;    /* its checks' results */
	size_t nnot_ok; /* of them "not ok" */
	char *doubt;    /* why none of its results can be believed, or NULL */
	char *short_of; /* fewer results than its plan: why some never ran, or NULL */
	int said;       /* an outcome already gives doubt or short_of */
};

/* How a test program ended, in words: "exited with status 0", "was killed by signal 11 (...)". */
static char *S_prog_end(const struct lab_ktap *kt, const struct lab_ktap_result *top)
{
	char step[300];

	snprintf(step, sizeof(step), "test:%s", top->name);
	if (kt->timeout_step && strcmp(kt->timeout_step, step) == 0)
		return kl_strdup("ran out of time");
	if (top->exit_signal > 0)
		return kl_sprintf("was killed by signal %d (%s)", top->exit_signal,
				  strsignal(top->exit_signal));
	if (top->exit_status >= 0)
		return kl_sprintf("exited with status %d", top->exit_status);
	return kl_strdup("stopped");
}

/*
 * The test programs and what contradicts their results: a program whose
 * results all say ok but that exits non-zero (klab_test.h exits 1 when a check
 * failed), or one that printed more results than its plan, cannot be believed;
 * one that printed fewer stopped before its last checks.
 */
static struct S_prog *S_progs(const struct lab_ktap *kt, size_t *n)
{
	struct S_prog *v = calloc(kt->n + 1, sizeof(*v));

	if (!v)
		abort();
	*n = 0;
	for (size_t i = 0; i < kt->n; i++) {
		const struct lab_ktap_result *top = &kt->results[i];
		if (top->depth != 0 || top->skip || strchr(top->name, ':'))
			continue;
		struct S_prog *p = &v[(*n)++];
		p->top = top;
		for (size_t j = 0; j < kt->n; j++) {
			const struct lab_ktap_result *r = &kt->results[j];
			if (r->depth == 1 && r->group && strcmp(r->group, top->name) == 0) {
				p->nres++;
				p->nnot_ok += !r->ok;
			}
		}
		if (top->exit_status > 0 && p->nres && !p->nnot_ok)
			p->doubt = kl_sprintf("%s exited with status %d although none of its %zu "
					      "results said `not ok`: what reached klab is not what "
					      "the program saw (was its output altered on the way?), "
					      "so none of its checks count",
					      top->name, top->exit_status, p->nres);
		else if (top->sub_plan >= 0 && p->nres > (size_t)top->sub_plan)
			p->doubt = kl_sprintf("%s printed %zu results against its plan of %d: what "
					      "reached klab is not only what the program printed, so "
					      "none of its checks count",
					      top->name, p->nres, top->sub_plan);
		if (top->sub_plan >= 0 && p->nres < (size_t)top->sub_plan) {
			char *end = S_prog_end(kt, top);
			p->short_of = kl_sprintf("%s printed %zu of the %d results its plan declared, "
						 "then %s", top->name, p->nres, top->sub_plan, end);
			free(end);
		}
	}
	return v;
}

static void S_progs_free(struct S_prog *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].doubt);
		free(v[i].short_of);
	}
	free(v);
}

static struct S_prog *S_prog_of(struct S_prog *v, size_t n, const char *name)
{
	for (size_t i = 0; name && i < n; i++)
		if (strcmp(v[i].top->name, name) == 0)
			return &v[i];
	return NULL;
}

/* Why a declared test never reported: the first failed top-level step says it best. */
static char *S_not_run_reason(const struct lab_ktap *kt, const struct lab_vm_result *vm,
			      struct S_prog *progs, size_t nprogs)
{
	for (size_t i = 0; i < nprogs; i++) {
		if (progs[i].short_of) {
			progs[i].said = 1;
			return kl_sprintf("not run: %s", progs[i].short_of);
		}
	}
	for (size_t i = 0; i < kt->n; i++) {
		const struct lab_ktap_result *r = &kt->results[i];
		if (r->depth == 0 && (!r->ok || r->skip)) {
			return kl_sprintf("not run: %s %s%s%s", r->name,
					  r->skip ? "was skipped" : "failed",
					  r->diagnostic ? ": " : "",
					  r->diagnostic ? r->diagnostic : "");
		}
	}
	if (vm->end != LAB_VM_DONE)
		return kl_sprintf("not run: the guest stopped (%s) while running %s",
				  lab_vm_end_name(vm->end), kt->step ? kt->step : "its first step");
	return kl_strdup("not run: no test program reported this test");
}

static char *S_strip_name(const char *diag, const char *name)
{
	size_t nl = strlen(name);

	if (!diag)
		return NULL;
	if (strncmp(diag, name, nl) == 0 && diag[nl] == ':' && diag[nl + 1] == ' ')
		return kl_strdup(diag + nl + 2);
	return kl_strdup(diag);
}

/* One marker line "STEP: WHAT" (STEP is load:M, test:T or unload:M) in words. */
static void S_tamper_clause(struct kl_buf *msg, const char *line, int len)
{
	const char *colon = memchr(line, ':', (size_t)len);
	const char *sep = colon ? memchr(colon, ' ', (size_t)(len - (colon - line))) : NULL;

	if (!sep || sep[-1] != ':' || sep - 1 == colon) {
		kl_buf_printf(msg, "%.*s", len, line);
		return;
	}
	int kind_len = (int)(colon - line);
	const char *name = colon + 1, *what = sep + 1;
	int name_len = (int)(sep - 1 - name), what_len = len - (int)(what - line);

	if (kind_len == 4 && strncmp(line, "load", 4) == 0)
		kl_buf_printf(msg, "%.*s from module %.*s", what_len, what, name_len, name);
	else if (kind_len == 6 && strncmp(line, "unload", 6) == 0)
		kl_buf_printf(msg, "%.*s, seen when module %.*s was unloaded", what_len, what,
			      name_len, name);
	else if (kind_len == 4 && strncmp(line, "test", 4) == 0)
		kl_buf_printf(msg, "%.*s, seen after %.*s ran", what_len, what, name_len, name);
	else
		kl_buf_printf(msg, "%.*s", len, line);
}

/*
 * Tampering seen by the guest (kt->tamper, one marker a line): verdict fault,
 * "tampering: a kprobe on vfs_write from module sigsend", and no test counts.
 */
static void S_tamper_verdict(const struct lab_ktap *kt, const struct lab_fault *f,
			     struct lab_grade *g, struct kl_buf *msg)
{
	snprintf(g->verdict, sizeof(g->verdict), "fault");
	kl_buf_printf(msg, "tampering: ");
	for (const char *p = kt->tamper; p && *p;) {
		const char *nl = strchr(p, '\n');
		if (p != kt->tamper)
			kl_buf_printf(msg, "; ");
		S_tamper_clause(msg, p, nl ? (int)(nl - p) : (int)strlen(p));
		p = nl ? nl + 1 : NULL;
	}
	kl_buf_printf(msg, ". klab's output path was changed: none of this run's results count");
	if (f->kind != LAB_FAULT_NONE)
		kl_buf_printf(msg, "\n  the kernel also reported: %s", f->title);
	for (size_t i = 0; i < g->ntests; i++) {
		if (!g->tests[i].ok)
			continue;
		g->tests[i].ok = 0;
		g->tests[i].points = 0;
		free(g->tests[i].diagnostic);
		g->tests[i].diagnostic = kl_strdup("does not count: the run was tampered with");
	}
	g->score = 0;
}

/*
 * What a fault says to the learner: the finding in words with its place
 * ("use-after-free: 8-byte read at stash.c:100 of memory freed at stash.c:88"),
 * then the function and full path, with the kernel code inlined there, then
 * the kernel's own title.
 */
static void S_fault_message(const struct lab_fault *f, struct kl_buf *msg)
{
	const char *kind = lab_fault_kind_name(f->kind);

	if (f->summary)
		kl_buf_printf(msg, "%s", f->summary);
	else if (strncmp(f->title, kind, strlen(kind)) == 0)
		kl_buf_printf(msg, "kernel %s", f->title);
	else
		kl_buf_printf(msg, "kernel %s: %s", kind, f->title);
	if (f->file) {
		kl_buf_printf(msg, "\n  in %s() at %s:%d", f->function, f->file, f->line);
		if (f->context)
			kl_buf_printf(msg, ", inside %s", f->context);
	} else if (f->rip.func) {
		kl_buf_printf(msg, "\n  at %s+0x%lx%s%s%s", f->rip.func, f->rip.off,
			      f->rip.module ? " [" : "", f->rip.module ? f->rip.module : "",
			      f->rip.module ? "]" : "");
	}
	if (f->summary)
		kl_buf_printf(msg, "\n  kernel: %s%s%s", f->message ? f->message : "",
			      f->message ? " / " : "", f->title);
	if (f->count > 1)
		kl_buf_printf(msg, "\n  (%d kernel reports in all; the first is shown)", f->count);
}

void lab_grade(const struct kl_lab *lab, const struct lab_ktap *kt, const struct lab_fault *f,
	       const struct lab_vm_result *vm, double run_timeout, struct lab_grade *g)
{
	struct kl_buf msg = KL_BUF_INIT;
	int all_ok = 1;
	char taint[8];
	size_t nprogs;
	struct S_prog *progs = S_progs(kt, &nprogs);

	memset(g, 0, sizeof(*g));
	g->max_score = lab->max_score;
	/* the declared tests, in front matter order */
	for (size_t i = 0; i < lab->ntests; i++) {
		const char *name = lab->tests[i].name;
		const struct lab_ktap_result *seen = NULL;
		int ok = 1, found = 0;

		for (size_t j = 0; j < kt->n; j++) {
			const struct lab_ktap_result *r = &kt->results[j];
			if (r->depth != 1 || strcmp(r->name, name) != 0)
				continue;
			found++;
			if (!r->ok || r->skip) {
				ok = 0;
				if (!seen || seen->ok)
					seen = r;
			} else if (!seen) {
				seen = r;
			}
		}
		struct lab_outcome *o = S_add(g, name, seen ? seen->group : NULL);
		struct S_prog *prog = seen ? S_prog_of(progs, nprogs, seen->group) : NULL;
		o->max_points = lab->tests[i].points;
		if (!found) {
			o->ok = 0;
			o->diagnostic = S_not_run_reason(kt, vm, progs, nprogs);
		} else if (ok && prog && prog->doubt) {
			o->ok = 0;
			o->diagnostic = kl_strdup(prog->doubt);
			prog->said = 1;
		} else if (!ok) {
			o->ok = 0;
			if (seen->skip)
				o->diagnostic = kl_sprintf("skipped: %s",
							   seen->directive ? seen->directive : "");
			else if (seen->status == LAB_KTAP_CRASHED)
				o->diagnostic = kl_strdup(S_CRASHED);
			else
				o->diagnostic = seen->diagnostic
							? S_strip_name(seen->diagnostic, name)
							: kl_strdup("failed (the test gave no detail)");
		} else {
			o->ok = 1;
			o->points = o->max_points;
		}
		g->score += o->points;
		all_ok &= o->ok;
	}
	/* every other result: load:, unload:, test programs, undeclared checks */
	for (size_t j = 0; j < kt->n; j++) {
		const struct lab_ktap_result *r = &kt->results[j];
		int declared = r->depth == 1 && kl_lab_points(lab, r->name) >= 0;
		if (declared || (r->ok && !r->skip))
			continue;
		if (r->depth == 0 && r->skip)
			continue; /* a skipped program: its checks already say "not run" */
		struct S_prog *prog = r->depth == 0 ? S_prog_of(progs, nprogs, r->name) : NULL;
		if (r->depth == 0 && !strchr(r->name, ':') && r->status != LAB_KTAP_CRASHED) {
			/* a failed test program: its failed checks say it, unless it crashed */
			if (!r->diagnostic || strstr(r->diagnostic, "exited with status 1"))
				continue;
		}
		struct lab_outcome *o = S_add(g, r->name, r->group);
		o->ok = 0;
		if (prog && (prog->doubt || prog->short_of))
			/* the program's own record says best how it ended */
			o->diagnostic = kl_strdup(prog->doubt ? prog->doubt : prog->short_of);
		else
			o->diagnostic = r->diagnostic ? S_strip_name(r->diagnostic, r->name)
					: kl_strdup(r->skip ? "skipped"
						    : r->status == LAB_KTAP_CRASHED
							    ? S_CRASHED
							    : "failed");
		if (prog)
			prog->said = 1;
		all_ok = 0;
	}
	/* a program its own record contradicts, when no outcome above says so */
	for (size_t i = 0; i < nprogs; i++) {
		struct S_prog *p = &progs[i];
		if (p->said || (!p->doubt && !p->short_of))
			continue;
		struct lab_outcome *o = S_add(g, p->top->name, NULL);
		o->ok = 0;
		o->diagnostic = kl_strdup(p->doubt ? p->doubt : p->short_of);
		all_ok = 0;
	}
	lab_grade_taint_flags(kt->taint_seen ? kt->taint : 0, taint, sizeof(taint));

	if (kt->tamper) {
		S_tamper_verdict(kt, f, g, &msg);
	} else if (f->kind != LAB_FAULT_NONE || taint[0]) {
		snprintf(g->verdict, sizeof(g->verdict), "fault");
		if (f->kind != LAB_FAULT_NONE) {
			S_fault_message(f, &msg);
			if (vm->end == LAB_VM_TIMEOUT)
				kl_buf_printf(&msg, "\n  after the fault the guest stopped making "
						    "progress (it was running %s); the run was "
						    "stopped", kt->step ? kt->step : "its first step");
		} else {
			kl_buf_printf(&msg, "the kernel was tainted (%s) after %s, but the console "
					    "did not show the report",
				      taint, kt->taint_step ? kt->taint_step : "a step");
		}
	} else if (kt->timeout_step || (vm->end == LAB_VM_TIMEOUT && f->leak_scan != 1) ||
		   vm->end == LAB_VM_EXITED) {
		snprintf(g->verdict, sizeof(g->verdict), "timeout");
		if (kt->timeout_step)
			kl_buf_printf(&msg, "%s did not finish within %ld s: does a function of "
					    "yours block or loop forever?",
				      kt->timeout_step, lab->test_timeout);
		else if (vm->end == LAB_VM_TIMEOUT)
			kl_buf_printf(&msg, "the guest did not finish within %.0f s; it was running %s",
				      run_timeout, kt->step ? kt->step : "its first step");
		else
			kl_buf_printf(&msg, "the VM stopped before the tests finished; it was running %s",
				      kt->step ? kt->step : "its first step");
	} else if (vm->end == LAB_VM_FLOOD) {
		snprintf(g->verdict, sizeof(g->verdict), "fail");
		kl_buf_printf(&msg, "the guest printed more than %u MiB to the console while running "
				    "%s (a printk flood?); the run was stopped",
			      LAB_VM_MAX_CONSOLE >> 20, kt->step ? kt->step : "its first step");
	} else if (all_ok && g->score == g->max_score) {
		snprintf(g->verdict, sizeof(g->verdict), "pass");
		kl_buf_printf(&msg, "all %zu tests passed", lab->ntests);
	} else {
		snprintf(g->verdict, sizeof(g->verdict), "fail");
		int failed = 0;
		for (size_t i = 0; i < g->ntests; i++)
			failed += !g->tests[i].ok;
		kl_buf_printf(&msg, "%d of %zu tests failed", failed, g->ntests);
	}
	if (vm->end == LAB_VM_TIMEOUT && f->leak_scan == 1 && f->kind == LAB_FAULT_NONE)
		kl_buf_printf(&msg, "\n  (klab's leak check after the unload did not finish in time: "
				    "leaks were not checked)");
	g->message = kl_buf_detach(&msg);
	S_progs_free(progs, nprogs);
}
