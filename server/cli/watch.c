/*
 * watch.c - `klab watch LAB`: runs the lab, then runs it again each time one
 * of its files in the learner's workspace is saved (inotify), clearing the
 * screen between runs. Stops on Ctrl-C.
 *
 * A save is a trial, not an attempt: a run is recorded (progress store and
 * attempts repository) only when its result differs from the one recorded
 * before it in this session (verdict or score), and the first run always. So
 * the attempts show each step of progress, not every keystroke's save.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/catalog.h"
#include "core/fsutil.h"
#include "core/workspace.h"
#include "lab/report.h"
#include "lab/run.h"

static volatile sig_atomic_t S_stop;

static void S_on_signal(int sig)
{
	(void)sig;
	S_stop = 1;
}

/* The result last recorded in this session ("" before the first run). */
struct S_session {
	char verdict[16];
	int score;
	int show_log;
};

/* True when the event names one of the lab's editable files. */
static int S_relevant(const struct kl_lab *lab, const struct inotify_event *ev)
{
	if (!ev->len)
		return 0;
	for (size_t i = 0; i < lab->nfiles; i++)
		if (strcmp(ev->name, lab->files[i]) == 0)
			return 1;
	return 0;
}

static void S_run_once(const struct kl_config *cfg, const char *id, int clear,
		       struct S_session *ss)
{
	struct lab_run_opts o = { .lab = id, .record = 0, .keep = 1, .progress = stdout,
				  .color = cfg->color, .live = isatty(STDOUT_FILENO) };
	struct lab_run_result r;
	struct kl_err err = { "" };
	long long started = (long long)time(NULL);

	if (clear && isatty(STDOUT_FILENO))
		fputs("\033[H\033[2J", stdout);
	int ran = lab_run(cfg, &o, &r, &err) == 0;
	if (!ran)
		cli_fail("%s", err.msg);
	int changed = strcmp(r.verdict, ss->verdict) != 0 || r.score != ss->score;
	if (ran && changed && strcmp(r.verdict, "infra") != 0) {
		if (lab_run_record(cfg, &r, started, &err) < 0) {
			cli_fail("%s", err.msg);
		} else {
			snprintf(ss->verdict, sizeof(ss->verdict), "%s", r.verdict);
			ss->score = r.score;
		}
	}
	/* the build folder was kept only for the record */
	if (r.build_dir && kl_rm_rf(r.build_dir, &err) < 0)
		cli_fail("%s", err.msg);
	free(r.build_dir);
	free(r.console_log);
	r.build_dir = r.console_log = NULL;
	if (!ran)
		goto out;
	lab_report_human(&r, stdout, cfg->color, ss->show_log);
	if (!changed && strcmp(r.verdict, "infra") != 0)
		printf("  (same result as the last recorded run: a trial, not a new attempt)\n");
out:
	lab_run_result_release(&r);
	printf("\nwatching for changes (Ctrl-C to stop)\n");
	fflush(stdout);
}

int cmd_watch(int argc, char **argv, const struct kl_config *cfg)
{
	struct kl_err err = { "" };
	struct kl_lab lab;
	struct S_session ss = { "", -1, 0 };
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const char *id = NULL;
	int rc = 2;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--log") == 0)
			ss.show_log = 1;
		else if (argv[i][0] == '-')
			return cli_usage("watch", "unknown option `%s`", argv[i]);
		else if (!id)
			id = argv[i];
		else
			return cli_usage("watch", "one lab at a time");
	}
	if (!id)
		return cli_usage("watch", "which lab? (`klab list` shows them)");
	if (cli_lab_exists(cfg, id) != 0)
		return 2;
	if (kl_lab_load(cfg->content, id, &lab, &err) < 0)
		return cli_fail("%s", err.msg);
	if (kl_workspace_ensure(cfg, &lab, &err) < 0) {
		cli_fail("%s", err.msg);
		goto out_lab;
	}
	char *dir = kl_workspace_dir(cfg, lab.id);
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (fd < 0 || inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
		cli_fail("cannot watch %s: %s", dir, strerror(errno));
		goto out;
	}
	struct sigaction sa = { .sa_handler = S_on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("klab watch %s: editing %s\n", lab.id, dir);
	S_run_once(cfg, lab.id, 0, &ss);
	while (!S_stop) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 1000) <= 0)
			continue;
		int changed = 0;
		/* editors save in bursts: collect events until 200 ms of quiet */
		do {
			ssize_t n;
			while ((n = read(fd, buf, sizeof(buf))) > 0) {
				for (char *q = buf; q < buf + n;) {
					struct inotify_event *ev = (struct inotify_event *)q;
					changed |= S_relevant(&lab, ev);
					q += sizeof(*ev) + ev->len;
				}
			}
		} while (!S_stop && poll(&p, 1, 200) > 0);
		if (changed && !S_stop)
			S_run_once(cfg, lab.id, 1, &ss);
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(dir);
out_lab:
	kl_lab_release(&lab);
	return rc;
}
