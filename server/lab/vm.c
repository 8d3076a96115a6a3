/*
 * vm.c - runs a lab VM under QEMU: restore or cold boot, the snapshot's save,
 * the run's header and files, and the console and channel streams (see vm.h).
 */
#include "lab/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/catalog.h"
#include "core/fsutil.h"
#include "core/proc.h"
#include "lab/lag.h"
#include "lab/qmp.h"

#define S_TAIL_MAX 6000
#define S_STDERR_MAX 4000
#define S_LINE_MAX 4096
#define S_QMP_TIMEOUT 10.0  /* seconds for QEMU's monitor to answer a command */
#define S_SAVE_TIMEOUT 60.0 /* seconds for a snapshot to be written */
#define S_BOOT_CAP 3.0      /* a boot that keeps printing gets this many boot timeouts */
#define S_SYNC_WAIT 5.0     /* seconds the console may lag behind the channel's end */
/* a guest waiting for the build's records: the build's own timeout bounds the wait */
#define S_NO_DEADLINE 3600.0

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
	kl_buf_release(&r->notes);
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
	/* the results channel: a virtio-serial port on virtio-mmio, on descriptor 3 */
	S_push(&v, n, kl_strdup("-device"));
	S_push(&v, n, kl_strdup("virtio-serial-device"));
	S_push(&v, n, kl_strdup("-chardev"));
	S_push(&v, n, kl_strdup("socket,id=klab,fd=3"));
	S_push(&v, n, kl_strdup("-device"));
	S_push(&v, n, kl_strdup("virtserialport,chardev=klab,name=" LAB_VM_CHANNEL));
	/* the monitor (QMP), on descriptor 4 */
	S_push(&v, n, kl_strdup("-chardev"));
	S_push(&v, n, kl_strdup("socket,id=qmp,fd=4"));
	S_push(&v, n, kl_strdup("-mon"));
	S_push(&v, n, kl_strdup("chardev=qmp,mode=control"));
	S_push(&v, n, kl_strdup("-no-reboot"));
	S_push(&v, n, kl_strdup("-kernel"));
	S_push(&v, n, kl_strdup(p->vmlinuz));
	S_push(&v, n, kl_strdup("-initrd"));
	S_push(&v, n, kl_strdup(o->initrd));
	S_push(&v, n, kl_strdup("-append"));
	S_push(&v, n, S_append(p->append));
	return v;
}

/* A running QEMU and klab's ends of its connections. */
struct S_qemu {
	pid_t pid;
	int in;   /* console input (kept open, never written) */
	int out;  /* console */
	int err;  /* QEMU's stderr */
	int chan; /* the channel */
	int mon;  /* the monitor (QMP) */
};

static void S_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int S_spawn(char **argv, struct S_qemu *q, struct kl_err *err)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int chan[2] = { -1, -1 }, mon[2] = { -1, -1 };
	int rc = -1;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, mon) < 0) {
		kl_err_errno(err, "cannot make the pipes and sockets for QEMU");
		goto out;
	}
	const int fds[5] = { in[0], out[1], errp[1], chan[1], mon[1] };
	pid_t pid = kl_proc_spawn_fds(argv, NULL, NULL, fds, 5, err);
	if (pid < 0)
		goto out;
	fcntl(chan[0], F_SETFL, O_NONBLOCK);
	*q = (struct S_qemu){ pid, in[1], out[0], errp[0], chan[0], mon[0] };
	in[1] = out[0] = errp[0] = chan[0] = mon[0] = -1;
	rc = 0;
out:
	for (int i = 0; i < 2; i++) {
		S_close(&in[i]);
		S_close(&out[i]);
		S_close(&errp[i]);
		S_close(&chan[i]);
		S_close(&mon[i]);
	}
	return rc;
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
	S_close(&q->in);
	S_close(&q->out);
	S_close(&q->err);
	S_close(&q->chan);
	S_close(&q->mon);
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

/* A stream read in lines: the console or the channel. */
struct S_stream {
	int fd;
	int open;
	FILE *log;
	char buf[S_LINE_MAX + 1];
	size_t len;
};

enum S_phase {
	S_PH_BOOT,  /* cold: waiting for KLAB-BOOTED */
	S_PH_READY, /* cold: waiting for KLAB-READY (the snapshot point) */
	S_PH_SEND,  /* sending the run, waiting for the guest's answer */
	S_PH_RUN,   /* the run */
};

enum S_outcome { S_OK, S_HUNG, S_EXITED, S_ABORTED, S_SAVED };

/* State shared by all boots of one run. */
struct S_run {
	const struct lab_vm_opts *o;
	struct lab_vm_result *r;
	FILE *console_log, *channel_log;
	struct kl_buf send;   /* header and records; filled once, sent to every boot */
	int have_payload;
	int payload_more;     /* payload() has more records to give (at the next wake) */
	int no_save;          /* a save failed: later boots of this run don't try again */
	char seed[65];
	char answer[64];      /* "# klab-run: ID" */
	char sync[64];        /* "klab-sync: ID" */
};

/* One boot or restore being watched. */
struct S_watch {
	struct S_run *run;
	struct S_qemu *q;
	int save;            /* cold: save the VM at KLAB-READY */
	enum S_phase phase;
	double start;        /* QEMU started */
	double deadline;     /* of the phase */
	double ready_at;     /* the guest waits for its run */
	double answer_at;
	double sent_at;      /* the last record was sent */
	size_t sent;
	int chan_done;       /* the channel said KLAB-DONE */
	int synced;          /* the console showed klab-sync */
	double sync_deadline;
	int stop;            /* the run is over */
	enum S_outcome outcome;
	struct S_stream console, channel;
	struct lab_lag lag;  /* the vCPUs' wait for a host CPU since the run began */
	double lag_at;       /* when it was last read */
	double lag_sent;     /* the lag the guest was last told */
	char lag_line[32];   /* "KLAB-LAG MS" being sent */
	size_t lag_len, lag_off;
};

/* The run's header, then the records of payload(), once. -1: payload gave up. */
static int S_get_payload(struct S_run *run)
{
	const struct lab_vm_opts *o = run->o;
	struct kl_buf records = KL_BUF_INIT;
	struct timespec ts;

	if (run->have_payload)
		return 0;
	double t = kl_now();
	int pr = o->payload(o->ctx, &records);
	run->r->wait_s += kl_now() - t;
	if (pr < 0) {
		kl_buf_release(&records);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	kl_buf_printf(&run->send, "KLAB-RUN id=%s seed=%s time=%lld.%09ld\n", run->r->run_id,
		      run->seed, (long long)ts.tv_sec, ts.tv_nsec);
	kl_buf_add(&run->send, records.ptr, records.len);
	kl_buf_release(&records);
	run->have_payload = 1;
	run->payload_more = pr == 1;
	return 0;
}

/* The rest of the records, once payload() said there was more. -1: payload gave up. */
static int S_more_payload(struct S_run *run)
{
	const struct lab_vm_opts *o = run->o;
	struct kl_buf records = KL_BUF_INIT;

	if (!run->have_payload || !run->payload_more)
		return 0;
	double t = kl_now();
	int pr = o->payload(o->ctx, &records);
	run->r->wait_s += kl_now() - t;
	if (pr >= 0)
		kl_buf_add(&run->send, records.ptr, records.len);
	kl_buf_release(&records);
	run->payload_more = pr == 1;
	return pr < 0 ? -1 : 0;
}

/*
 * Saves the VM (the guest waits for its run) with QMP: x-ignore-shared, so the
 * migration skips the RAM (it is the shared file the VM runs on), then migrate
 * the devices' state to the snapshot's file and wait for it to complete. The
 * guest is left running meanwhile (it sleeps in read()): QEMU stops it for the
 * last of its state itself, and since the saved VM was running, a restore
 * starts running at once, with no command to wait for. The VM stays stopped:
 * it is killed, the save committed (snapshot.h: once QEMU is gone) and the
 * run restored from it. A failed save only costs this run another cold boot.
 */
static void S_save(struct S_watch *w)
{
	struct S_run *run = w->run;
	struct lab_snapshot *snap = run->o->snap;
	struct lab_qmp qmp;
	struct kl_err e = { "" };
	char status[32] = "";
	double t = kl_now();

	char *uri = lab_snapshot_save_uri(snap);
	int opened = lab_qmp_open(&qmp, w->q->mon, S_QMP_TIMEOUT, &e) == 0;
	w->q->mon = -1; /* qmp owns it now */
	if (opened && lab_qmp_set_capability(&qmp, "x-ignore-shared", 1, &e) == 0 &&
	    lab_qmp_migrate(&qmp, uri, &e) == 0) {
		while (kl_now() - t < S_SAVE_TIMEOUT) {
			if (lab_qmp_query_migrate(&qmp, status, sizeof(status), &e) < 0 ||
			    strcmp(status, "failed") == 0 || strcmp(status, "completed") == 0 ||
			    strcmp(status, "cancelled") == 0)
				break;
			usleep(5000);
		}
		if (strcmp(status, "completed") != 0 && !e.msg[0])
			kl_err_set(&e, "the migration ended %s after %.0f s",
				   status[0] ? status : "never", kl_now() - t);
	}
	lab_qmp_close(&qmp);
	free(uri);
	run->r->save_s = kl_now() - t;
	w->stop = 1;
	if (strcmp(status, "completed") == 0) {
		w->outcome = S_SAVED;
		return;
	}
	kl_buf_printf(&run->r->notes, "snapshot not saved: %s\n", e.msg);
	lab_snapshot_finish(snap, 0, NULL);
	run->no_save = 1;
	w->outcome = S_HUNG; /* the VM may be stuck stopped: boot again */
}

/*
 * A restore: QEMU waits (-incoming defer) until told to take the devices'
 * state, with x-ignore-shared as when it was saved (the RAM is the file).
 */
static int S_incoming(struct S_qemu *q, const char *uri, struct kl_err *err)
{
	struct lab_qmp qmp;
	int rc = lab_qmp_open(&qmp, q->mon, S_QMP_TIMEOUT, err);

	q->mon = -1; /* qmp owns it now */
	if (rc == 0)
		rc = lab_qmp_set_capability(&qmp, "x-ignore-shared", 1, err);
	if (rc == 0)
		rc = lab_qmp_migrate_incoming(&qmp, uri, err);
	lab_qmp_close(&qmp); /* the VM runs on without its monitor */
	return rc;
}

/* The guest waits for its run: get the payload (may block), start sending. */
static void S_enter_send(struct S_watch *w)
{
	struct S_run *run = w->run;
	double before = run->r->wait_s;

	if (S_get_payload(run) < 0) {
		w->outcome = S_ABORTED;
		w->stop = 1;
		return;
	}
	w->start += run->r->wait_s - before; /* the guest cannot run while we wait */
	w->phase = S_PH_SEND;
	w->ready_at = kl_now();
	w->sent = 0;
	w->deadline = w->ready_at + run->o->boot_timeout;
}

/* Ends the run when the guest is done, the console caught up and the host is satisfied. */
static void S_check_end(struct S_watch *w)
{
	const struct lab_vm_opts *o = w->run->o;

	if (w->stop)
		return;
	if (o->stop && o->stop(o->ctx)) {
		w->run->r->end = LAB_VM_DONE;
		w->stop = 1;
		return;
	}
	if (w->chan_done && (w->synced || kl_now() >= w->sync_deadline) &&
	    (!o->done || o->done(o->ctx))) {
		w->run->r->end = LAB_VM_DONE;
		w->stop = 1;
	}
}

/* The guest has every record of its run. */
static int S_all_sent(const struct S_watch *w)
{
	return w->phase >= S_PH_SEND && w->run->have_payload && w->sent == w->run->send.len &&
	       !w->run->payload_more;
}

static int S_is(const char *line, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(line, word, len) == 0;
}

static void S_channel_line(struct S_watch *w, const char *line, size_t ll)
{
	struct S_run *run = w->run;
	const struct lab_vm_opts *o = run->o;
	struct lab_vm_result *r = run->r;

	switch (w->phase) {
	case S_PH_BOOT:
		if (S_is(line, ll, "KLAB-BOOTED"))
			w->phase = S_PH_READY;
		return;
	case S_PH_READY:
		if (!S_is(line, ll, "KLAB-READY"))
			return;
		r->boot_s = kl_now() - w->start;
		if (w->save) {
			S_save(w); /* and this VM ends: the run restores what it saved */
			return;
		}
		S_enter_send(w);
		return;
	case S_PH_SEND:
		S_tail_add(&r->tail, line, ll);
		if (!S_is(line, ll, run->answer))
			return; /* the guest's complaints before its answer: kept in the tail */
		w->phase = S_PH_RUN;
		r->end = LAB_VM_EXITED; /* unless the run ends otherwise */
		w->answer_at = kl_now();
		if (!r->boot_s)
			r->boot_s = w->answer_at - w->start; /* a restore: to the guest's answer */
		/*
		 * The run's time starts once the guest has all its records: until the
		 * build beside it ends, nothing runs (the build has its own timeout).
		 */
		w->deadline = w->answer_at + (S_all_sent(w) ? o->run_timeout : S_NO_DEADLINE);
		lab_lag_start(&w->lag, w->q->pid);
		w->lag_at = w->answer_at;
		return;
	case S_PH_RUN:
		S_tail_add(&r->tail, line, ll);
		if (o->on_channel)
			o->on_channel(o->ctx, line, ll);
		if (S_is(line, ll, "KLAB-DONE") && !w->chan_done) {
			w->chan_done = 1;
			w->sync_deadline = kl_now() + S_SYNC_WAIT;
		}
		S_check_end(w);
		return;
	}
}

static void S_console_line(struct S_watch *w, const char *line, size_t ll)
{
	const struct lab_vm_opts *o = w->run->o;

	S_tail_add(&w->run->r->tail, line, ll);
	if (w->phase == S_PH_BOOT) {
		/*
		 * A boot that keeps printing is slow (a loaded machine), not hung: a
		 * hang (DESIGN.md: TSC calibration) goes silent. Half the boot timeout
		 * of silence ends it, however long it has been printing, up to a cap.
		 */
		double idle = kl_now() + o->boot_timeout / 2;
		double cap = w->start + S_BOOT_CAP * o->boot_timeout;
		if (idle > w->deadline)
			w->deadline = idle < cap ? idle : cap;
	}
	if (w->phase != S_PH_RUN)
		return; /* the kernel booting or restoring: not the lab's business */
	if (o->on_console)
		o->on_console(o->ctx, line, ll);
	if (memmem(line, ll, w->run->sync, strlen(w->run->sync)))
		w->synced = 1;
	S_check_end(w);
}

/* Reads what is there on a stream and hands on its whole lines. 0 at end of stream. */
static int S_read_stream(struct S_watch *w, struct S_stream *st, int is_channel)
{
	struct lab_vm_result *r = w->run->r;
	ssize_t n = read(st->fd, st->buf + st->len, S_LINE_MAX - st->len);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		st->open = 0;
		return 0;
	}
	if (st->log)
		fwrite(st->buf + st->len, 1, (size_t)n, st->log);
	r->console_bytes += (size_t)n;
	st->len += (size_t)n;
	size_t start = 0;
	for (size_t i = 0; i < st->len && !w->stop; i++) {
		if (st->buf[i] != '\n' && !(i - start >= S_LINE_MAX - 1))
			continue;
		size_t ll = i - start;
		if (ll && st->buf[start + ll - 1] == '\r')
			ll--;
		if (is_channel)
			S_channel_line(w, st->buf + start, ll);
		else
			S_console_line(w, st->buf + start, ll);
		start = i + 1;
	}
	memmove(st->buf, st->buf + start, st->len - start);
	st->len -= start;
	return 1;
}

/* Once the guest has every record: the send's time, and the run's time starts. */
static void S_check_sent(struct S_watch *w)
{
	if (!S_all_sent(w) || w->sent_at)
		return;
	w->sent_at = kl_now();
	w->run->r->send_s = w->sent_at - w->ready_at;
	if (w->phase == S_PH_RUN)
		w->deadline = w->sent_at + w->run->o->run_timeout;
}

/* Writes what it can of the run to the channel. */
static void S_send(struct S_watch *w)
{
	struct S_run *run = w->run;
	ssize_t n = write(w->q->chan, run->send.ptr + w->sent, run->send.len - w->sent);

	if (n > 0)
		w->sent += (size_t)n;
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		w->sent = run->send.len; /* QEMU went away: its exit ends the run */
	S_check_sent(w);
}

static void S_read_stderr(struct S_watch *w)
{
	struct lab_vm_result *r = w->run->r;
	char eb[512];
	ssize_t n = read(w->q->err, eb, sizeof(eb));

	if (n > 0 && r->qemu_stderr.len < S_STDERR_MAX)
		kl_buf_add(&r->qemu_stderr, eb, (size_t)n);
	if (n <= 0)
		S_close(&w->q->err);
}

/* When the run ends: its deadline, or earlier when the caller says so (a fault, then no progress). */
static double S_end(const struct S_watch *w)
{
	const struct lab_vm_opts *o = w->run->o;
	double end = w->deadline;

	if (w->phase != S_PH_RUN)
		return end;
	if (o->deadline) {
		double d = o->deadline(o->ctx);
		if (d > 0 && d < end)
			end = d;
	}
	return end + w->lag.lag; /* time the guest could not run does not count */
}

/* The next moment the loop must wake up at. */
static double S_until(const struct S_watch *w)
{
	double end = S_end(w);

	if (w->chan_done && !w->synced && w->sync_deadline < end)
		return w->sync_deadline;
	return end;
}

/*
 * While the run lasts: reads the vCPUs' lag every S_LAG_EVERY seconds and,
 * when it grew, tells the guest ("KLAB-LAG MS"), which counts its own
 * timeouts without it (lag.h). The guest answers the run's header before its
 * records have all arrived, so nothing is sent until they have.
 */
#define S_LAG_EVERY 0.25

static void S_lag_tick(struct S_watch *w)
{
	double now = kl_now();

	if (w->phase != S_PH_RUN || now - w->lag_at < S_LAG_EVERY)
		return;
	if (w->sent < w->run->send.len)
		return; /* the run's records first: nothing may cut into them */
	w->lag_at = now;
	double lag = lab_lag_read(&w->lag);
	w->run->r->lag_s = lag;
	if (!S_all_sent(w))
		return; /* a line now would land inside the run's records */
	if (w->lag_off == w->lag_len && lag - w->lag_sent >= 0.05) {
		int n = snprintf(w->lag_line, sizeof(w->lag_line), "KLAB-LAG %ld\n",
				 (long)(lag * 1000));
		w->lag_len = n > 0 && (size_t)n < sizeof(w->lag_line) ? (size_t)n : 0;
		w->lag_off = 0;
		w->lag_sent = lag;
	}
	while (w->lag_off < w->lag_len) {
		ssize_t n = write(w->q->chan, w->lag_line + w->lag_off, w->lag_len - w->lag_off);
		if (n <= 0)
			break; /* full or gone: the next tick tries again */
		w->lag_off += (size_t)n;
	}
}

/* Reads console and channel until this boot or restore ends. */
static void S_watch_loop(struct S_watch *w)
{
	const struct lab_vm_opts *o = w->run->o;
	struct lab_vm_result *r = w->run->r;

	while (!w->stop) {
		double until = S_until(w);
		double left = until - kl_now();
		if (left <= 0 && until < S_end(w)) {
			S_check_end(w); /* the console never caught up: end without it */
			w->sync_deadline = w->deadline;
			continue;
		}
		if (left <= 0) {
			if (w->phase == S_PH_RUN)
				r->end = LAB_VM_TIMEOUT;
			else
				w->outcome = S_HUNG;
			break;
		}
		int sending = w->phase >= S_PH_SEND && w->sent < w->run->send.len;
		struct pollfd p[4] = {
			{ .fd = w->channel.open ? w->channel.fd : -1,
			  .events = POLLIN | (sending ? POLLOUT : 0) },
			{ .fd = w->console.open ? w->console.fd : -1, .events = POLLIN },
			{ .fd = w->q->err, .events = POLLIN },
			{ .fd = o->wake_fd, .events = POLLIN },
		};
		double wait = w->phase == S_PH_RUN && left > S_LAG_EVERY ? S_LAG_EVERY : left;
		int rc = poll(p, 4, (int)(wait * 1000) + 1);
		if (rc < 0 && errno != EINTR)
			break;
		S_lag_tick(w);
		if (rc <= 0)
			continue;
		if (p[3].revents) {
			char c;
			ssize_t drained = read(o->wake_fd, &c, 1);
			(void)drained; /* stop() decides either way */
			if (S_more_payload(w->run) < 0) {
				w->outcome = S_ABORTED;
				break;
			}
			S_check_sent(w);
			if (w->phase != S_PH_RUN && o->stop && o->stop(o->ctx)) {
				w->outcome = S_ABORTED;
				break;
			}
			S_check_end(w);
		}
		if (p[0].revents & POLLOUT)
			S_send(w);
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
			S_read_stream(w, &w->channel, 1);
		if (!w->stop && p[1].revents)
			S_read_stream(w, &w->console, 0);
		if (p[2].revents)
			S_read_stderr(w);
		if (!w->channel.open && !w->console.open) {
			if (w->phase == S_PH_RUN)
				r->end = LAB_VM_EXITED;
			else
				w->outcome = S_EXITED;
			break;
		}
		if (!w->stop && r->console_bytes > LAB_VM_MAX_CONSOLE) {
			r->end = LAB_VM_FLOOD;
			break;
		}
	}
	if (w->phase == S_PH_RUN)
		r->run_s = kl_now() - (w->sent_at > w->answer_at ? w->sent_at : w->answer_at);
	else if (w->outcome == S_OK)
		w->outcome = S_HUNG;
}

enum S_mode { S_COLD, S_COLD_SAVE, S_RESTORE };

/* What QEMU said on stderr before it was killed, for the run's notes (waits up to 1 s). */
static void S_drain_stderr(struct S_watch *w)
{
	double until = kl_now() + 1.0;

	while (w->q->err >= 0 && kl_now() < until) {
		struct pollfd p = { .fd = w->q->err, .events = POLLIN };
		if (poll(&p, 1, 100) > 0)
			S_read_stderr(w);
	}
}

/* The restored VM takes its saved state; 0, or -1 when it can't (the reason in notes). */
static int S_restore_start(struct S_watch *w, const char *incoming)
{
	struct S_run *run = w->run;
	struct kl_err e = { "" };

	/* a damaged snapshot may restore "fine": its seal is checked first */
	if (lab_snapshot_verify(run->o->snap, &e) == 0 && S_incoming(w->q, incoming, &e) == 0)
		return 0;
	kl_buf_printf(&run->r->notes, "%s\n", e.msg);
	kill(w->q->pid, SIGKILL);
	S_drain_stderr(w);
	return -1;
}

/*
 * One boot (cold, maybe saving) or restore of the VM, watched to its end.
 * incoming: the restore's migrate-incoming URI (S_RESTORE). -1 only when QEMU
 * could not be started.
 */
static int S_attempt(struct S_run *run, char **argv, enum S_mode mode, const char *incoming,
		     enum S_outcome *outcome, struct kl_err *err)
{
	struct S_qemu q = { 0, -1, -1, -1, -1, -1 };
	struct S_watch w;

	if (S_spawn(argv, &q, err) < 0)
		return -1;
	memset(&w, 0, sizeof(w));
	w.run = run;
	w.q = &q;
	w.save = mode == S_COLD_SAVE;
	w.start = kl_now();
	w.deadline = w.start + run->o->boot_timeout;
	w.console = (struct S_stream){ .fd = q.out, .open = 1, .log = run->console_log };
	w.channel = (struct S_stream){ .fd = q.chan, .open = 1, .log = run->channel_log };
	w.phase = S_PH_BOOT;
	if (mode == S_RESTORE) {
		if (S_restore_start(&w, incoming) < 0) {
			w.outcome = S_EXITED;
			w.stop = 1;
		} else {
			S_enter_send(&w); /* the restored guest already waits for its run */
		}
	}
	if (!w.stop)
		S_watch_loop(&w);
	S_kill(&q);
	if (w.outcome == S_SAVED) {
		struct kl_err e = { "" };
		/* QEMU is gone: the RAM file is final */
		run->r->saved = lab_snapshot_finish(run->o->snap, 1, &e) == 0;
		if (!run->r->saved) {
			kl_buf_printf(&run->r->notes, "snapshot not saved: %s\n", e.msg);
			run->no_save = 1;
			w.outcome = S_HUNG; /* boot again, without saving */
		}
	}
	*outcome = w.outcome;
	return 0;
}

/* A fresh run id and seed, from the host's RNG. */
static void S_new_ids(struct S_run *run)
{
	unsigned char b[16 + 32];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			abort(); /* no randomness at all: nothing sensible to do */
		got += (size_t)n;
	}
	for (size_t i = 0; i < 16; i++)
		snprintf(run->r->run_id + 2 * i, 3, "%02x", b[i]);
	for (size_t i = 0; i < 32; i++)
		snprintf(run->seed + 2 * i, 3, "%02x", b[16 + i]);
	snprintf(run->answer, sizeof(run->answer), "# klab-run: %s", run->r->run_id);
	snprintf(run->sync, sizeof(run->sync), "klab-sync: %s", run->r->run_id);
}

/* Forgets what a failed boot or restore printed before the next one. */
static void S_reset(struct S_run *run, const char *what, int n)
{
	struct lab_vm_result *r = run->r;

	kl_buf_reset(&r->tail);
	kl_buf_reset(&r->qemu_stderr);
	r->console_bytes = 0;
	r->boot_s = 0;
	for (int i = 0; i < 2; i++) {
		FILE *f = i ? run->channel_log : run->console_log;
		if (f)
			fprintf(f, "\n--- klab: %s %d did not reach the run; retrying ---\n", what, n);
	}
}

/*
 * argv, on the snapshot's RAM file (snapshot.h): shared and new to save it, or
 * private and waiting for its state (-incoming defer) to restore it. Release
 * with kl_strv_free(v, *n).
 */
static char **S_snapshot_argv(const struct S_run *run, char **argv, size_t argc, int save,
			      size_t *n)
{
	char **v = NULL;

	*n = 0;
	for (size_t i = 0; i < argc; i++)
		S_push(&v, n, kl_strdup(argv[i]));
	S_push(&v, n, kl_strdup("-object"));
	S_push(&v, n, lab_snapshot_ram_option(run->o->snap, run->o->profile->memory_mb, save));
	S_push(&v, n, kl_strdup("-machine"));
	S_push(&v, n, kl_strdup("memory-backend=" LAB_SNAPSHOT_RAM_ID));
	if (!save) {
		S_push(&v, n, kl_strdup("-incoming"));
		S_push(&v, n, kl_strdup("defer"));
	}
	return v;
}

/*
 * Restores the run's VM from its snapshot. 1 when the run happened there
 * (or was aborted), 0 when it must boot cold (the snapshot is deleted), -1
 * when QEMU could not start.
 */
static int S_restore(struct S_run *run, char **argv, size_t argc, struct kl_err *err)
{
	const struct lab_vm_opts *o = run->o;
	struct lab_vm_result *r = run->r;
	enum S_outcome b = S_HUNG;
	char *uri = lab_snapshot_restore_uri(o->snap);
	size_t n;
	char **v = S_snapshot_argv(run, argv, argc, 0, &n);
	int rc = S_attempt(run, v, S_RESTORE, uri, &b, err);

	kl_strv_free(v, n);
	free(uri);
	if (rc < 0)
		return -1;
	if (b == S_OK || b == S_ABORTED) {
		r->restored = b == S_OK;
		if (b == S_ABORTED)
			r->end = LAB_VM_ABORTED;
		return 1;
	}
	kl_buf_printf(&r->notes, "snapshot %s did not restore (%s%s%.*s): deleted; booting cold\n",
		      o->snap->path, b == S_HUNG ? "no answer in time" : "QEMU ended",
		      r->qemu_stderr.len ? ": " : "", (int)r->qemu_stderr.len,
		      kl_buf_str(&r->qemu_stderr));
	lab_snapshot_discard(o->snap);
	r->restore_failed = 1;
	S_reset(run, "restore", 1);
	return 0;
}

/*
 * Cold boots, retried when one hangs before its marker. 1 when a boot saved
 * the snapshot (the run is to restore it), 0 when the run happened (or can't),
 * -1 when QEMU could not start.
 */
static int S_cold(struct S_run *run, char **argv, size_t argc, struct kl_err *err)
{
	const struct lab_vm_opts *o = run->o;
	struct lab_vm_result *r = run->r;

	for (int boot = 0; boot <= o->boot_retries; boot++) {
		enum S_outcome b = S_HUNG;
		enum S_mode mode = S_COLD;

		if (o->snap && !run->no_save && !lab_snapshot_exists(o->snap) &&
		    lab_snapshot_lock(o->snap))
			mode = S_COLD_SAVE;
		r->boots++;
		if (boot)
			S_reset(run, "boot", boot);
		size_t n = argc;
		char **v = mode == S_COLD_SAVE ? S_snapshot_argv(run, argv, argc, 1, &n) : argv;
		int rc = S_attempt(run, v, mode, NULL, &b, err);
		if (v != argv)
			kl_strv_free(v, n);
		if (rc < 0) {
			r->end = LAB_VM_ERROR;
			return -1;
		}
		if (b == S_SAVED)
			return 1;
		if (b == S_OK)
			return 0;
		if (mode == S_COLD_SAVE && b == S_EXITED) {
			/* QEMU would not start on the save's RAM file (a cache it can't map?) */
			kl_buf_printf(&r->notes, "snapshot not saved: QEMU ended on its RAM file "
				      "(%.*s); booting without one\n", (int)r->qemu_stderr.len,
				      kl_buf_str(&r->qemu_stderr));
			lab_snapshot_finish(o->snap, 0, NULL);
			run->no_save = 1;
			S_reset(run, "saving boot", 1);
			boot--; /* not the boot's failure: once more, plain */
			continue;
		}
		if (b == S_ABORTED) {
			r->end = LAB_VM_ABORTED;
			return 0;
		}
		if (b == S_EXITED && r->qemu_stderr.len) {
			r->end = LAB_VM_ERROR; /* QEMU refused to start: retrying will not help */
			return 0;
		}
	}
	r->end = LAB_VM_BOOT_FAILED;
	return 0;
}

int lab_vm_run(const struct lab_vm_opts *o, struct lab_vm_result *r, struct kl_err *err)
{
	size_t argc;
	char **argv = lab_vm_argv(o, &argc);
	struct S_run run = { .o = o, .r = r };
	double t0 = kl_now();
	int rc = -1;

	memset(r, 0, sizeof(*r));
	r->end = LAB_VM_BOOT_FAILED;
	S_new_ids(&run);
	if (o->console_log && !(run.console_log = fopen(o->console_log, "we"))) {
		kl_err_errno(err, "cannot write %s", o->console_log);
		goto out;
	}
	if (o->channel_log && !(run.channel_log = fopen(o->channel_log, "we"))) {
		kl_err_errno(err, "cannot write %s", o->channel_log);
		goto out;
	}
	/* the run's name and folder on QEMU's command line (not part of the snapshot's key) */
	S_push(&argv, &argc, kl_strdup("-name"));
	/* debug-threads names the vCPU threads "CPU n/TCG" (lag.h) */
	S_push(&argv, &argc, kl_sprintf("klab-run-%s,debug-threads=on", r->run_id));
	if (o->pidfile) {
		S_push(&argv, &argc, kl_strdup("-pidfile"));
		S_push(&argv, &argc, kl_strdup(o->pidfile));
	}
	int done = 0;
	if (o->snap && lab_snapshot_exists(o->snap)) {
		done = S_restore(&run, argv, argc, err);
		if (done < 0) {
			r->end = LAB_VM_ERROR;
			goto out;
		}
	}
	if (done) {
		rc = 0;
		goto out;
	}
	rc = S_cold(&run, argv, argc, err);
	if (rc == 1) {
		/* the boot saved the snapshot: the run starts from it, as every later one will */
		done = S_restore(&run, argv, argc, err);
		rc = done < 0 ? -1 : 0;
		if (done < 0)
			r->end = LAB_VM_ERROR;
		if (done == 0) {
			run.no_save = 1; /* what it saved did not restore: not again in this run */
			rc = S_cold(&run, argv, argc, err);
		}
	}
out:
	r->total_s = kl_now() - t0;
	if (run.console_log)
		fclose(run.console_log);
	if (run.channel_log)
		fclose(run.channel_log);
	kl_buf_release(&run.send);
	kl_strv_free(argv, argc);
	return rc;
}
