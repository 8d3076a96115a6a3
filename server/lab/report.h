/*
 * report.h - prints a lab run's result: for a person (a summary with what to do
 * next), as one JSON object (`klab run --json`), or as JUnit XML (`--junit`).
 */
#ifndef KLAB_LAB_REPORT_H
#define KLAB_LAB_REPORT_H

#include <stdio.h>

#include "core/buf.h"
#include "core/err.h"
#include "lab/run.h"

/* show_log: the module's log in full, even on a pass (else: on a non-pass, cut). */
void lab_report_human(const struct lab_run_result *r, FILE *out, int color, int show_log);
void lab_report_json(const struct lab_run_result *r, struct kl_buf *out);
void lab_report_junit(const struct lab_run_result *r, struct kl_buf *out);

#endif
