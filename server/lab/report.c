/*
 * report.c - human, JSON and JUnit output of a lab run (see report.h).
 */
#include "lab/report.h"

#include <stdlib.h>
#include <string.h>

#include "core/fsutil.h"
#include "core/term.h"

#define S_GREEN "\033[1;32m"
#define S_RED "\033[1;31m"
#define S_YELLOW "\033[33m"
#define S_DIM "\033[2m"
#define S_RESET "\033[0m"

static void S_c(FILE *out, int color, const char *code)
{
	if (color)
		fputs(code, out);
}

/*
 * Prints at most max lines of text, each indented, with escape sequences
 * defused (the text comes from the guest); lines klab's guest init writes for
 * the host ("# klab-...", "KLAB-...") are left out when skip_klab is set.
 */
static int S_lines_from(FILE *out, const char *text, int max, const char *indent, int skip_klab)
{
	int n = 0;

	for (const char *p = text; p && *p && n < max;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (!skip_klab || (strncmp(p, "# klab-", 7) != 0 && strncmp(p, "KLAB-", 5) != 0)) {
			fputs(indent, out);
			kl_term_write(out, p, len);
			fputc('\n', out);
			n++;
		}
		p = eol ? eol + 1 : p + len;
	}
	return n;
}

static const char *S_last_lines(const char *text, int max);

static void S_lines(FILE *out, const char *text, int max, const char *indent)
{
	S_lines_from(out, text, max, indent, 0);
}

static int S_count_lines(const char *text)
{
	int n = 0;

	for (const char *p = text; p && *p; p++)
		n += *p == '\n';
	return n;
}

/* The module's log: all of it with --log, else its head and tail. */
static void S_module_log(const struct lab_run_result *r, FILE *out, int all)
{
	const char *log = r->module_log;
	int n = S_count_lines(log);

	if (!log || !*log) {
		if (all)
			fputs("your module's log: empty (nothing printed with pr_info or above)\n",
			      out);
		return;
	}
	fputs("your module's log:\n", out);
	if (all || n <= 40) {
		S_lines(out, log, n, "  | ");
	} else {
		S_lines(out, log, 10, "  | ");
		fprintf(out, "  | ... %d lines (`klab run --log` shows them all) ...\n", n - 40);
		S_lines(out, S_last_lines(log, 30), 30, "  | ");
	}
	if (r->module_log_dropped)
		fprintf(out, "  | ... and %zu more lines, not kept\n", r->module_log_dropped);
}

/*
 * The failed tests; tests that never ran for the same reason ("not run: X")
 * are one line, not one each.
 */
static void S_failed_tests(const struct lab_run_result *r, FILE *out, int color)
{
	char *done = calloc(r->grade.ntests + 1, 1);

	if (!done)
		abort();
	for (size_t i = 0; i < r->grade.ntests; i++) {
		const struct lab_outcome *t = &r->grade.tests[i];
		const char *why = t->diagnostic ? t->diagnostic : "failed";
		if (t->ok || done[i])
			continue;
		if (strncmp(why, "not run", 7) == 0) {
			int points = 0, count = 0;
			S_c(out, color, S_RED);
			fputs("  x ", out);
			for (size_t j = i; j < r->grade.ntests; j++) {
				const struct lab_outcome *u = &r->grade.tests[j];
				if (u->ok || done[j] || !u->diagnostic || strcmp(u->diagnostic, why))
					continue;
				done[j] = 1;
				fprintf(out, "%s", count++ ? ", " : "");
				kl_term_write(out, u->name, strlen(u->name));
				points += u->max_points;
			}
			S_c(out, color, S_RESET);
			if (points)
				fprintf(out, " (%d point%s)", points, points == 1 ? "" : "s");
			fputs(": ", out);
			kl_term_write(out, why, strlen(why));
			fputc('\n', out);
			continue;
		}
		S_c(out, color, S_RED);
		fputs("  x ", out);
		kl_term_write(out, t->name, strlen(t->name));
		S_c(out, color, S_RESET);
		if (t->max_points)
			fprintf(out, " (%d point%s)", t->max_points, t->max_points == 1 ? "" : "s");
		fputs(": ", out);
		kl_term_write(out, why, strlen(why));
		fputc('\n', out);
	}
	free(done);
}

/* The last max lines of text. */
static const char *S_last_lines(const char *text, int max)
{
	const char *p = text + strlen(text);
	int n = 0;

	if (p > text && p[-1] == '\n')
		p--;
	while (p > text) {
		if (p[-1] == '\n' && ++n >= max)
			break;
		p--;
	}
	return p;
}

void lab_report_human(const struct lab_run_result *r, FILE *out, int color, int show_log)
{
	int pass = strcmp(r->verdict, "pass") == 0;

	fputc('\n', out);
	if (!pass || show_log)
		S_module_log(r, out, show_log);
	if (strcmp(r->verdict, "build-error") == 0) {
		int shown = 0;
		for (size_t i = 0; i < r->ndiags; i++) {
			const struct lab_diag *d = &r->diags[i];
			S_c(out, color, strcmp(d->severity, "warning") ? S_RED : S_YELLOW);
			fprintf(out, "%s:%d:%d: %s: %s\n", d->file, d->line, d->col, d->severity,
				d->message);
			S_c(out, color, S_RESET);
			shown++;
		}
		if (!shown && r->build_log)
			S_lines(out, S_last_lines(r->build_log, 20), 20, "  ");
	} else if (strcmp(r->verdict, "fault") == 0 && r->fault.report.len) {
		fputs("kernel report:\n", out);
		S_lines(out, r->fault.report.ptr, 40, "  | ");
	} else if (strcmp(r->verdict, "timeout") == 0 && r->console_tail &&
		   !(r->module_log && *r->module_log)) {
		fputs("last console lines:\n", out);
		S_lines_from(out, S_last_lines(r->console_tail, 12), 12, "  | ", 1);
	}
	S_failed_tests(r, out, color);
	S_c(out, color, pass ? S_GREEN : S_RED);
	fprintf(out, "%s", r->verdict);
	S_c(out, color, S_RESET);
	fprintf(out, "  %d/%d points  %.1f s", r->score, r->max_score, r->total_s);
	if (r->attempt_number)
		fprintf(out, "  attempt %d", r->attempt_number);
	if (r->boots > 1)
		fprintf(out, "  (%d boots: a hung boot was retried)", r->boots);
	fputc('\n', out);
	if (r->message && !pass)
		S_lines(out, r->message, 20, "  ");
	if (r->build_dir)
		fprintf(out, "  kept: %s (console: %s)\n", r->build_dir,
			r->console_log ? r->console_log : "none");
	fflush(out);
}

static void S_key(struct kl_buf *b, const char *key, int *first)
{
	if (!*first)
		kl_buf_putc(b, ',');
	*first = 0;
	kl_buf_put_json(b, key);
	kl_buf_putc(b, ':');
}

/* The kernel's own frames with their source (lab_frame.source): function, file, line, url. */
static void S_kernel_frames_json(const struct lab_fault *f, struct kl_buf *b)
{
	int first = 1;

	kl_buf_putc(b, '[');
	for (size_t i = 0; i <= f->ntrace; i++) {
		const struct lab_frame *fr = i == 0 ? &f->rip : &f->trace[i - 1];
		int g = 1;
		if (!fr->source)
			continue;
		kl_buf_puts(b, first ? "{" : ",{");
		first = 0;
		S_key(b, "function", &g);
		kl_buf_put_json(b, fr->func);
		S_key(b, "file", &g);
		kl_buf_put_json(b, fr->source);
		S_key(b, "line", &g);
		kl_buf_printf(b, "%d", fr->source_line);
		S_key(b, "url", &g);
		char *url = kl_sprintf("/source/%s#L%d", fr->source, fr->source_line);
		kl_buf_put_json(b, url);
		free(url);
		kl_buf_putc(b, '}');
	}
	kl_buf_putc(b, ']');
}

void lab_report_json(const struct lab_run_result *r, struct kl_buf *b)
{
	int f = 1;

	kl_buf_putc(b, '{');
	S_key(b, "lab", &f);
	kl_buf_put_json(b, r->lab);
	S_key(b, "title", &f);
	kl_buf_put_json(b, r->title);
	S_key(b, "verdict", &f);
	kl_buf_put_json(b, r->verdict);
	S_key(b, "score", &f);
	kl_buf_printf(b, "%d", r->score);
	S_key(b, "max", &f);
	kl_buf_printf(b, "%d", r->max_score);
	S_key(b, "message", &f);
	kl_buf_put_json(b, r->message);
	S_key(b, "kernel", &f);
	kl_buf_put_json(b, r->kernel);
	S_key(b, "source", &f);
	kl_buf_put_json(b, r->source);
	S_key(b, "tests", &f);
	kl_buf_putc(b, '[');
	for (size_t i = 0; i < r->grade.ntests; i++) {
		const struct lab_outcome *t = &r->grade.tests[i];
		int g = 1;
		if (i)
			kl_buf_putc(b, ',');
		kl_buf_putc(b, '{');
		S_key(b, "name", &g);
		kl_buf_put_json(b, t->name);
		S_key(b, "group", &g);
		kl_buf_put_json(b, t->group);
		S_key(b, "ok", &g);
		kl_buf_puts(b, t->ok ? "true" : "false");
		S_key(b, "points", &g);
		kl_buf_printf(b, "%d", t->points);
		S_key(b, "max_points", &g);
		kl_buf_printf(b, "%d", t->max_points);
		S_key(b, "diagnostic", &g);
		kl_buf_put_json(b, t->diagnostic);
		kl_buf_putc(b, '}');
	}
	kl_buf_putc(b, ']');
	S_key(b, "fault", &f);
	if (r->fault.kind == LAB_FAULT_NONE) {
		kl_buf_puts(b, "null");
	} else {
		int g = 1;
		kl_buf_putc(b, '{');
		S_key(b, "kind", &g);
		kl_buf_put_json(b, lab_fault_kind_name(r->fault.kind));
		S_key(b, "title", &g);
		kl_buf_put_json(b, r->fault.title);
		S_key(b, "file", &g);
		kl_buf_put_json(b, r->fault.file);
		S_key(b, "line", &g);
		kl_buf_printf(b, "%d", r->fault.line);
		S_key(b, "function", &g);
		kl_buf_put_json(b, r->fault.function ? r->fault.function : r->fault.rip.func);
		S_key(b, "module", &g);
		kl_buf_put_json(b, r->fault.module ? r->fault.module : r->fault.rip.module);
		S_key(b, "finding", &g);
		kl_buf_put_json(b, r->fault.finding);
		S_key(b, "summary", &g);
		kl_buf_put_json(b, r->fault.summary);
		S_key(b, "context", &g);
		kl_buf_put_json(b, r->fault.context);
		S_key(b, "kernel_message", &g); /* what WARN()/BUG() printed first */
		kl_buf_put_json(b, r->fault.message);
		S_key(b, "report", &g);
		kl_buf_put_json(b, kl_buf_str(&r->fault.report));
		S_key(b, "kernel_frames", &g);
		S_kernel_frames_json(&r->fault, b);
		kl_buf_putc(b, '}');
	}
	S_key(b, "diagnostics", &f);
	kl_buf_putc(b, '[');
	for (size_t i = 0; i < r->ndiags; i++) {
		const struct lab_diag *d = &r->diags[i];
		int g = 1;
		if (i)
			kl_buf_putc(b, ',');
		kl_buf_putc(b, '{');
		S_key(b, "file", &g);
		kl_buf_put_json(b, d->file);
		S_key(b, "line", &g);
		kl_buf_printf(b, "%d", d->line);
		S_key(b, "column", &g);
		kl_buf_printf(b, "%d", d->col);
		S_key(b, "severity", &g);
		kl_buf_put_json(b, d->severity);
		S_key(b, "message", &g);
		kl_buf_put_json(b, d->message);
		kl_buf_putc(b, '}');
	}
	kl_buf_putc(b, ']');
	if (strcmp(r->verdict, "build-error") == 0) {
		S_key(b, "build_log", &f);
		kl_buf_put_json(b, r->build_log);
	}
	if (strcmp(r->verdict, "timeout") == 0 || strcmp(r->verdict, "fault") == 0) {
		S_key(b, "step", &f);
		kl_buf_put_json(b, r->step);
		S_key(b, "console_tail", &f);
		kl_buf_put_json(b, r->console_tail);
	}
	S_key(b, "durations", &f);
	kl_buf_putc(b, '{');
	for (size_t i = 0; i < r->ntimes; i++)
		kl_buf_printf(b, "%s\"%s\":%.3f", i ? "," : "", r->times[i].name,
			      r->times[i].seconds);
	kl_buf_printf(b, "%s\"total\":%.3f}", r->ntimes ? "," : "", r->total_s);
	S_key(b, "boots", &f);
	kl_buf_printf(b, "%d", r->boots);
	S_key(b, "vm_start", &f);
	kl_buf_put_json(b, r->vm_start);
	S_key(b, "build_by", &f);
	kl_buf_put_json(b, r->build_by);
	S_key(b, "vm_notes", &f);
	kl_buf_put_json(b, r->vm_notes);
	S_key(b, "run_id", &f);
	kl_buf_put_json(b, r->run_id);
	S_key(b, "boot_id", &f);
	kl_buf_put_json(b, r->boot_id);
	S_key(b, "clean_start", &f);
	kl_buf_puts(b, r->clean ? "true" : "false");
	S_key(b, "module_log", &f);
	kl_buf_put_json(b, r->module_log ? r->module_log : "");
	S_key(b, "module_log_dropped", &f);
	kl_buf_printf(b, "%zu", r->module_log_dropped);
	S_key(b, "attempt", &f);
	if (r->attempt_number)
		kl_buf_printf(b, "%d", r->attempt_number);
	else
		kl_buf_puts(b, "null");
	S_key(b, "attempt_id", &f);
	if (r->attempt_id)
		kl_buf_printf(b, "%lld", r->attempt_id);
	else
		kl_buf_puts(b, "null");
	S_key(b, "commit", &f);
	kl_buf_put_json(b, r->commit[0] ? r->commit : NULL);
	if (r->build_dir) {
		S_key(b, "build_dir", &f);
		kl_buf_put_json(b, r->build_dir);
		S_key(b, "console_log", &f);
		kl_buf_put_json(b, r->console_log);
	}
	kl_buf_puts(b, "}\n");
}

void lab_report_junit(const struct lab_run_result *r, struct kl_buf *b)
{
	size_t failures = 0;
	int whole = strcmp(r->verdict, "pass") != 0 && strcmp(r->verdict, "fail") != 0;

	for (size_t i = 0; i < r->grade.ntests; i++)
		failures += !r->grade.tests[i].ok;
	kl_buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
	kl_buf_puts(b, "  <testsuite name=\"");
	kl_buf_puts_xml(b, r->lab);
	kl_buf_printf(b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%d\" time=\"%.3f\">\n",
		      r->grade.ntests + (size_t)whole, failures, whole, r->total_s);
	kl_buf_puts(b, "    <properties><property name=\"verdict\" value=\"");
	kl_buf_puts_xml(b, r->verdict);
	kl_buf_printf(b, "\"/><property name=\"score\" value=\"%d/%d\"/></properties>\n", r->score,
		      r->max_score);
	if (whole) {
		kl_buf_puts(b, "    <testcase classname=\"");
		kl_buf_puts_xml(b, r->lab);
		kl_buf_puts(b, "\" name=\"run\"><error type=\"");
		kl_buf_puts_xml(b, r->verdict);
		kl_buf_puts(b, "\" message=\"");
		kl_buf_puts_xml(b, r->message ? r->message : "");
		kl_buf_puts(b, "\">");
		kl_buf_puts_xml(b, r->fault.report.len ? r->fault.report.ptr
						       : r->build_log ? r->build_log : "");
		kl_buf_puts(b, "</error></testcase>\n");
	}
	for (size_t i = 0; i < r->grade.ntests; i++) {
		const struct lab_outcome *t = &r->grade.tests[i];
		kl_buf_puts(b, "    <testcase classname=\"");
		kl_buf_puts_xml(b, r->lab);
		if (t->group) {
			kl_buf_putc(b, '.');
			kl_buf_puts_xml(b, t->group);
		}
		kl_buf_puts(b, "\" name=\"");
		kl_buf_puts_xml(b, t->name);
		kl_buf_puts(b, "\"");
		if (t->ok) {
			kl_buf_puts(b, "/>\n");
			continue;
		}
		kl_buf_puts(b, "><failure message=\"");
		kl_buf_puts_xml(b, t->diagnostic ? t->diagnostic : "failed");
		kl_buf_printf(b, "\">%d of %d points</failure></testcase>\n", t->points,
			      t->max_points);
	}
	kl_buf_puts(b, "  </testsuite>\n</testsuites>\n");
}
