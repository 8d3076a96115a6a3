/*
 * watch.c - `klab watch LAB`: runs the lab, then runs it again each time one
 * of its files in the learner's workspace is saved (inotify), clearing the
 * screen between runs. Stops on Ctrl-C.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/catalog.h"
#include "core/workspace.h"
#include "lab/report.h"
#include "lab/run.h"

static volatile sig_atomic_t S_stop;

static void S_on_signal(int sig)
{
	(void)sig;
	S_stop = 1;
}

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

static void S_run_once(const struct kl_config *cfg, const char *id, int clear)
{
	struct lab_run_opts o = { .lab = id, .record = 1, .progress = stdout,
				  .color = cfg->color };
	struct lab_run_result r;
	struct kl_err err = { "" };

	if (clear && isatty(STDOUT_FILENO))
		fputs("\033[H\033[2J", stdout);
	if (lab_run(cfg, &o, &r, &err) < 0)
		cli_fail("%s", err.msg);
	else
		lab_report_human(&r, stdout, cfg->color);
	lab_run_result_release(&r);
	printf("\nwatching for changes (Ctrl-C to stop)\n");
	fflush(stdout);
}

int cmd_watch(int argc, char **argv, const struct kl_config *cfg)
{
	struct kl_err err = { "" };
	struct kl_lab lab;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	int rc = 2;

	if (argc != 2)
		return cli_fail("usage: klab watch LAB");
	if (kl_lab_load(cfg->root, argv[1], &lab, &err) < 0)
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
	S_run_once(cfg, lab.id, 0);
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
			S_run_once(cfg, lab.id, 1);
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
