/*
 * vm.c - boots a lab VM under QEMU and streams its console (see vm.h).
 */
#include "lab/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/catalog.h"
#include "core/fsutil.h"
#include "core/proc.h"
#include "lab/console.h"

#define S_TAIL_MAX 6000
#define S_STDERR_MAX 4000
#define S_LINE_MAX 4096

const char *lab_vm_end_name(enum lab_vm_end end)
{
	static const char *names[] = { "done", "exited", "timeout", "flood", "boot-failed",
				       "error", "aborted" };
	return names[end];
}

void lab_vm_result_release(struct lab_vm_result *r)
{
	kl_buf_release(&r->tail);
	kl_buf_release(&r->qemu_stderr);
	memset(r, 0, sizeof(*r));
}

static void S_push(char ***v, size_t *n, char *s)
{
	char **p = realloc(*v, (*n + 2) * sizeof(*p));

	if (!p)
		abort();
	p[(*n)++] = s;
	p[*n] = NULL;
	*v = p;
}

/*
 * The host's TSC rate in kHz, from /proc/cpuinfo: under TCG the guest's TSC
 * runs at the host's rate, so telling the guest (tsc_early_khz=) keeps its
 * clock true and skips the calibration that can hang. 2000000 if unknown.
 */
static long S_host_tsc_khz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];
	long khz = 0;

	if (!f)
		return 2000000;
	while (!khz && fgets(line, sizeof(line), f)) {
		double mhz;
		if (sscanf(line, "cpu MHz : %lf", &mhz) == 1 ||
		    sscanf(line, "cpu MHz\t: %lf", &mhz) == 1)
			khz = (long)(mhz * 1000 + 0.5);
	}
	fclose(f);
	return khz > 100000 ? khz : 2000000;
}

/* The profile's command line with @host_tsc_khz@ filled in (caller frees). */
static char *S_append(const char *append)
{
	const char *at = strstr(append, "@host_tsc_khz@");

	if (!at)
		return kl_strdup(append);
	return kl_sprintf("%.*s%ld%s", (int)(at - append), append, S_host_tsc_khz(),
			  at + strlen("@host_tsc_khz@"));
}

char **lab_vm_argv(const struct lab_vm_opts *o, size_t *n)
{
	const struct lab_profile *p = o->profile;
	char **v = NULL;

	*n = 0;
	S_push(&v, n, kl_strdup("qemu-system-x86_64"));
	S_push(&v, n, kl_strdup("-M"));
	S_push(&v, n, kl_strdup(p->machine));
	S_push(&v, n, kl_strdup("-accel"));
	S_push(&v, n, kl_strdup("tcg"));
	if (p->bios) {
		S_push(&v, n, kl_strdup("-bios"));
		S_push(&v, n, p->bios[0] == '/' ? kl_strdup(p->bios)
						 : kl_sprintf("/usr/share/qemu/%s", p->bios));
	}
	S_push(&v, n, kl_strdup("-cpu"));
	S_push(&v, n, kl_strdup(o->cpu ? o->cpu : p->cpu));
	S_push(&v, n, kl_strdup("-m"));
	S_push(&v, n, kl_sprintf("%ld", p->memory_mb));
	S_push(&v, n, kl_strdup("-smp"));
	S_push(&v, n, kl_sprintf("%ld", p->smp));
	S_push(&v, n, kl_strdup("-nodefaults"));
	S_push(&v, n, kl_strdup("-no-user-config"));
	S_push(&v, n, kl_strdup("-display"));
	S_push(&v, n, kl_strdup("none"));
	S_push(&v, n, kl_strdup("-serial"));
	S_push(&v, n, kl_strdup("stdio"));
	S_push(&v, n, kl_strdup("-no-reboot"));
	S_push(&v, n, kl_strdup("-kernel"));
	S_push(&v, n, kl_strdup(p->vmlinuz));
	S_push(&v, n, kl_strdup("-initrd"));
	S_push(&v, n, kl_strdup(o->initrd));
	S_push(&v, n, kl_strdup("-append"));
	S_push(&v, n, S_append(p->append));
	return v;
}

struct S_qemu {
	pid_t pid;
	int in;  /* console input */
	int out; /* console */
	int err; /* QEMU's stderr */
};

static int S_spawn(char **argv, struct S_qemu *q, struct kl_err *err)
{
	int in[2], out[2], errp[2];

	if (pipe2(in, O_CLOEXEC) < 0)
		return kl_err_errno(err, "cannot make a pipe for QEMU");
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return kl_err_errno(err, "cannot make a pipe for QEMU");
	}
	if (pipe2(errp, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return kl_err_errno(err, "cannot make a pipe for QEMU");
	}
	const int fds[3] = { in[0], out[1], errp[1] };
	pid_t pid = kl_proc_spawn(argv, NULL, NULL, fds, err);
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		close(errp[0]);
		return -1;
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	q->pid = pid;
	q->in = in[1];
	q->out = out[0];
	q->err = errp[0];
	return 0;
}

static void S_kill(struct S_qemu *q)
{
	if (q->pid > 0) {
		kill(-q->pid, SIGKILL);
		kill(q->pid, SIGKILL);
		while (waitpid(q->pid, NULL, 0) < 0 && errno == EINTR)
			;
		q->pid = 0;
	}
	if (q->in >= 0)
		close(q->in);
	if (q->out >= 0)
		close(q->out);
	if (q->err >= 0)
		close(q->err);
	q->in = q->out = q->err = -1;
}

static void S_tail_add(struct kl_buf *tail, const char *line, size_t len)
{
	if (len > 300)
		len = 300;
	kl_buf_add(tail, line, len);
	kl_buf_putc(tail, '\n');
	if (tail->len > S_TAIL_MAX) {
		const char *cut = strchr(tail->ptr + tail->len - S_TAIL_MAX / 2, '\n');
		size_t keep = cut ? tail->len - (size_t)(cut + 1 - tail->ptr) : 0;
		memmove(tail->ptr, tail->ptr + tail->len - keep, keep);
		kl_buf_truncate(tail, keep);
	}
}

enum S_boot { S_BOOT_OK, S_BOOT_HUNG, S_BOOT_EXITED, S_BOOT_ABORTED };

/* One boot being watched. */
struct S_watch {
	const struct lab_vm_opts *o;
	struct lab_vm_result *r;
	double start;      /* when QEMU started */
	int booted;        /* the marker came */
	double marker_at;
	double deadline;   /* of the boot, then of the run */
	double ready_at;   /* when the guest asked for its files, 0 before */
	struct kl_buf send; /* payload still to write */
	size_t sent;
	int stop;          /* the run is over */
	struct lab_console console; /* rejoins program lines cut by kernel records */
};

/* Acts on one whole console line: markers, payload, the caller's callbacks. */
static void S_line(struct S_watch *w, const char *line, size_t ll)
{
	const struct lab_vm_opts *o = w->o;
	struct lab_vm_result *r = w->r;

	if (!w->booted) {
		if (ll != 11 || memcmp(line, "KLAB-BOOTED", 11) != 0)
			return; /* the kernel booting: not the lab's business */
		w->booted = 1;
		w->marker_at = kl_now();
		r->boot_s = w->marker_at - w->start;
		w->deadline = w->marker_at + o->run_timeout;
	}
	if (ll == 10 && memcmp(line, "KLAB-READY", 10) == 0 && o->payload && !w->ready_at) {
		w->ready_at = kl_now();
		int pr = o->payload(o->ctx, &w->send);
		r->wait_s = kl_now() - w->ready_at;
		w->deadline += r->wait_s; /* the guest cannot run while we wait */
		if (pr < 0) {
			r->end = LAB_VM_ABORTED;
			w->stop = 1;
			return;
		}
	}
	S_tail_add(&r->tail, line, ll);
	if (o->on_line)
		o->on_line(o->ctx, line, ll);
	if ((ll == 9 && memcmp(line, "KLAB-DONE", 9) == 0) || (o->stop && o->stop(o->ctx))) {
		r->end = LAB_VM_DONE;
		w->stop = 1;
	}
}

static void S_line_cb(void *ctx, const char *line, size_t ll)
{
	S_line(ctx, line, ll);
}

/*
 * Reads the console until the end of this boot. Returns the boot outcome; when
 * the marker came, the run's end is in r->end.
 */
static enum S_boot S_watch(const struct lab_vm_opts *o, struct S_qemu *q, FILE *log,
			   double start, struct lab_vm_result *r)
{
	char buf[S_LINE_MAX + 1];
	size_t len = 0;
	int out_open = 1;
	enum S_boot outcome = S_BOOT_OK;
	struct S_watch w = { .o = o, .r = r, .start = start, .deadline = start + o->boot_timeout };

	kl_buf_init(&w.send);
	lab_console_init(&w.console);
	while (!w.stop) {
		double end = w.deadline;
		if (w.booted && o->deadline) {
			double d = o->deadline(o->ctx);
			if (d > 0 && d < end)
				end = d;
		}
		double left = end - kl_now();
		if (left <= 0) {
			r->end = LAB_VM_TIMEOUT;
			break;
		}
		struct pollfd p[4] = { { .fd = out_open ? q->out : -1, .events = POLLIN },
				       { .fd = q->err, .events = POLLIN },
				       { .fd = w.sent < w.send.len ? q->in : -1, .events = POLLOUT },
				       { .fd = o->wake_fd, .events = POLLIN } };
		int rc = poll(p, 4, (int)(left * 1000) + 1);
		if (rc < 0 && errno != EINTR)
			break;
		if (rc <= 0)
			continue;
		if (p[3].revents) {
			char c;
			ssize_t drained = read(o->wake_fd, &c, 1);
			(void)drained; /* stop() decides either way */
			if (o->stop && o->stop(o->ctx)) {
				outcome = S_BOOT_ABORTED;
				r->end = LAB_VM_ABORTED;
				break;
			}
		}
		if (p[2].revents) {
			ssize_t n = write(q->in, w.send.ptr + w.sent, w.send.len - w.sent);
			if (n > 0)
				w.sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				w.sent = w.send.len; /* QEMU went away: its exit ends the run */
			if (w.sent == w.send.len)
				r->send_s = kl_now() - w.ready_at;
		}
		if (p[1].revents) {
			char eb[512];
			ssize_t n = read(q->err, eb, sizeof(eb));
			if (n > 0 && r->qemu_stderr.len < S_STDERR_MAX)
				kl_buf_add(&r->qemu_stderr, eb, (size_t)n);
			if (n <= 0) {
				close(q->err);
				q->err = -1;
			}
		}
		if (!p[0].revents)
			continue;
		ssize_t n = read(q->out, buf + len, S_LINE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			out_open = 0;
			outcome = S_BOOT_EXITED;
			r->end = LAB_VM_EXITED;
			break;
		}
		if (log)
			fwrite(buf + len, 1, (size_t)n, log);
		r->console_bytes += (size_t)n;
		len += (size_t)n;
		size_t start_of_line = 0;
		for (size_t i = 0; i < len && !w.stop; i++) {
			if (buf[i] != '\n' && !(i - start_of_line >= S_LINE_MAX - 1))
				continue;
			size_t ll = i - start_of_line;
			if (ll && buf[start_of_line + ll - 1] == '\r')
				ll--;
			lab_console_feed(&w.console, buf + start_of_line, ll, S_line_cb, &w);
			start_of_line = i + 1;
		}
		memmove(buf, buf + start_of_line, len - start_of_line);
		len -= start_of_line;
		if (!w.stop && r->console_bytes > LAB_VM_MAX_CONSOLE) {
			r->end = LAB_VM_FLOOD;
			break;
		}
	}
	kl_buf_release(&w.send);
	lab_console_release(&w.console);
	if (!w.booted)
		return outcome == S_BOOT_OK ? S_BOOT_HUNG : outcome;
	r->run_s = kl_now() - w.marker_at - r->wait_s;
	return S_BOOT_OK;
}

int lab_vm_run(const struct lab_vm_opts *o, struct lab_vm_result *r, struct kl_err *err)
{
	size_t argc;
	char **argv = lab_vm_argv(o, &argc);
	FILE *log = NULL;
	double t0 = kl_now();
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->end = LAB_VM_BOOT_FAILED;
	if (o->console_log) {
		log = fopen(o->console_log, "we");
		if (!log) {
			kl_err_errno(err, "cannot write %s", o->console_log);
			goto out;
		}
	}
	for (int boot = 0; boot <= o->boot_retries; boot++) {
		struct S_qemu q = { 0, -1, -1, -1 };

		if (S_spawn(argv, &q, err) < 0) {
			r->end = LAB_VM_ERROR;
			goto out;
		}
		r->boots++;
		kl_buf_reset(&r->qemu_stderr);
		if (log && boot)
			fprintf(log, "\n--- klab: boot %d never reached the marker; retrying ---\n",
				boot);
		enum S_boot b = S_watch(o, &q, log, kl_now(), r);
		S_kill(&q);
		if (b == S_BOOT_OK) {
			rc = 0;
			goto out;
		}
		if (b == S_BOOT_ABORTED) {
			r->end = LAB_VM_ABORTED;
			rc = 0;
			goto out;
		}
		if (b == S_BOOT_EXITED && r->qemu_stderr.len) {
			r->end = LAB_VM_ERROR; /* QEMU refused to start: retrying will not help */
			rc = 0;
			goto out;
		}
		kl_buf_reset(&r->tail);
		r->console_bytes = 0;
	}
	r->end = LAB_VM_BOOT_FAILED;
	rc = 0;
out:
	r->total_s = kl_now() - t0;
	if (log)
		fclose(log);
	kl_strv_free(argv, argc);
	return rc;
}
