/*
 * report.c - human, JSON and JUnit output of a lab run (see report.h).
 */
#include "lab/report.h"

#include <string.h>

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

/* Prints at most max lines of text, each indented. */
static void S_lines(FILE *out, const char *text, int max, const char *indent)
{
	int n = 0;

	for (const char *p = text; p && *p && n < max; n++) {
		const char *eol = strchr(p, '\n');
		int len = eol ? (int)(eol - p) : (int)strlen(p);
		fprintf(out, "%s%.*s\n", indent, len, p);
		p = eol ? eol + 1 : p + len;
	}
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

void lab_report_human(const struct lab_run_result *r, FILE *out, int color)
{
	int pass = strcmp(r->verdict, "pass") == 0;

	fputc('\n', out);
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
	} else if (strcmp(r->verdict, "timeout") == 0 && r->console_tail) {
		fputs("last console lines:\n", out);
		S_lines(out, S_last_lines(r->console_tail, 12), 12, "  | ");
	}
	for (size_t i = 0; i < r->grade.ntests; i++) {
		const struct lab_outcome *t = &r->grade.tests[i];
		if (t->ok)
			continue;
		S_c(out, color, S_RED);
		fprintf(out, "  x %s", t->name);
		S_c(out, color, S_RESET);
		if (t->max_points)
			fprintf(out, " (%d point%s)", t->max_points, t->max_points == 1 ? "" : "s");
		fprintf(out, ": %s\n", t->diagnostic ? t->diagnostic : "failed");
	}
	S_c(out, color, pass ? S_GREEN : S_RED);
	fprintf(out, "%s", r->verdict);
	S_c(out, color, S_RESET);
	fprintf(out, "  %d/%d points  %.1f s", r->score, r->max_score, r->total_s);
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
		S_key(b, "message", &g);
		kl_buf_put_json(b, r->fault.message);
		S_key(b, "report", &g);
		kl_buf_put_json(b, kl_buf_str(&r->fault.report));
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
	S_key(b, "boot_id", &f);
	kl_buf_put_json(b, r->boot_id);
	S_key(b, "clean_start", &f);
	kl_buf_puts(b, r->clean ? "true" : "false");
	S_key(b, "attempt", &f);
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
