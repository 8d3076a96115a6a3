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

/* Why a declared test never reported: the first failed top-level step says it best. */
static char *S_not_run_reason(const struct lab_ktap *kt, const struct lab_vm_result *vm)
{
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
		o->max_points = lab->tests[i].points;
		if (!found) {
			o->ok = 0;
			o->diagnostic = S_not_run_reason(kt, vm);
		} else if (!ok) {
			o->ok = 0;
			if (seen->skip)
				o->diagnostic = kl_sprintf("skipped: %s",
							   seen->directive ? seen->directive : "");
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
		if (r->depth == 0 && !strchr(r->name, ':')) {
			/* a failed test program: its failed checks say it, unless it crashed */
			if (!r->diagnostic || strstr(r->diagnostic, "exited with status 1"))
				continue;
		}
		struct lab_outcome *o = S_add(g, r->name, r->group);
		o->ok = 0;
		o->diagnostic = r->diagnostic ? S_strip_name(r->diagnostic, r->name)
					      : kl_strdup(r->skip ? "skipped" : "failed");
		all_ok = 0;
	}
	lab_grade_taint_flags(kt->taint_seen ? kt->taint : 0, taint, sizeof(taint));

	if (f->kind != LAB_FAULT_NONE || taint[0]) {
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
	} else if (kt->timeout_step || vm->end == LAB_VM_TIMEOUT || vm->end == LAB_VM_EXITED) {
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
	g->message = kl_buf_detach(&msg);
}
