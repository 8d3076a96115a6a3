/*
 * run.h - `klab run LAB`: the whole lab pipeline, build -> pack -> boot ->
 * grade -> record, with the time of every step, and the result in one struct
 * that report.h prints for people (with live progress), as JSON, or as JUnit.
 */
#ifndef KLAB_LAB_RUN_H
#define KLAB_LAB_RUN_H

#include <stdio.h>

#include "core/config.h"
#include "core/err.h"
#include "lab/build.h"
#include "lab/fault.h"
#include "lab/grade.h"

struct lab_run_opts {
	const char *lab;
	const char *src;    /* sources to grade; NULL: the learner's workspace */
	const char *kernel; /* profile name; NULL: cloud */
	long timeout;       /* seconds for the guest run; 0: the lab's */
	int keep;           /* keep the build folder and console log */
	int no_overlap;     /* build first, then boot (instead of both at once) */
	int record;         /* write the progress store and attempts repository */
	FILE *progress;     /* live progress for a person, or NULL */
	int color;          /* ANSI colour in progress */
	int live;           /* progress is a terminal: redraw a running step's line in place */
};

struct lab_step_time {
	const char *name; /* build, tests, pack, boot, run, record */
	double seconds;
};

struct lab_run_result {
	char *lab, *title;
	char verdict[16];   /* pass, fail, build-error, fault, timeout, infra */
	int score, max_score;
	char *message;      /* what happened and what to do next */
	char *kernel;       /* "cloud 6.1.0-N-cloud-amd64" */
	char *source;       /* where the graded sources came from */
	struct lab_grade grade;   /* per-test outcomes */
	struct lab_fault fault;   /* kind NONE when none; file mapped to the learner's */
	struct lab_diag *diags;   /* compiler messages (build-error) */
	size_t ndiags;
	char *build_log;    /* Kbuild's output with the learner's paths */
	char *console_tail; /* last console lines (timeouts, faults) */
	char *module_log;   /* kernel lines (printk) from the learner's module load on, without
			     * the first fault report and the kernel's own chatter; "" when none */
	size_t module_log_dropped; /* lines past LAB_MODLOG_MAX, not kept (lab/modlog.h) */
	char *step;         /* the guest step running at the end */
	struct lab_step_time times[10];
	size_t ntimes;
	double total_s;
	int boots;          /* cold VM boots started (more than 1: a hung boot was retried) */
	const char *vm_start; /* "restore" (from a snapshot), "cold", "cold+save" (booted, saved, restored), NULL before */
	const char *build_by; /* "replay" (Kbuild's recorded commands, lab/replay.h), "kbuild", NULL */
	char *vm_notes;     /* what went wrong with snapshots, NULL when nothing */
	char *run_id;       /* the run's id, sent by the host and echoed by the guest */
	char *boot_id;      /* the guest kernel's boot id (the same for runs of one snapshot) */
	int clean;          /* the guest started with no module loaded and an empty /tmp */
	long long attempt_id; /* 0 when not recorded */
	int attempt_number; /* the lab's attempt number (1, 2, ...), 0 when not recorded */
	char commit[41];    /* attempts repository commit, "" when none */
	char *build_dir;    /* kept build folder (--keep), NULL otherwise */
	char *console_log;  /* kept console log (--keep), NULL otherwise */
};

/*
 * Runs the pipeline. Problems of the machine (no kernel, no QEMU) are verdict
 * `infra` with a message that names the fix; -1 is returned only when the
 * lab cannot be read at all or the result cannot be recorded (err says why).
 */
int lab_run(const struct kl_config *cfg, const struct lab_run_opts *o, struct lab_run_result *r,
	    struct kl_err *err);
/*
 * Records a run made with record = 0 after all (klab watch): the progress store
 * and, when the run was kept (keep = 1), its sources from r->build_dir.
 * started is the run's start in unix seconds.
 */
int lab_run_record(const struct kl_config *cfg, struct lab_run_result *r, long long started,
		   struct kl_err *err);
void lab_run_result_release(struct lab_run_result *r);
/* Exit status for the CLI: 0 only for a full score. */
int lab_run_exit_status(const struct lab_run_result *r);

#endif
