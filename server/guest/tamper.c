/*
 * tamper.c - the guest /init's watch for tampering with the output path (see
 * tamper.h). Every check is a few reads of small /proc, /sys and debugfs files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "tamper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Kernel functions on the way from a guest program's write() to the host, or
 * that decide what the host is told (exit status, kernel log, consoles): a hook
 * on any of them can rewrite results. Prefixes. The system call dispatcher
 * (x64_sys_call, do_syscall_64) is left out on purpose: a learner counting
 * system calls may probe it by mistake, and that must read as a failed test,
 * not as tampering.
 */
static const char *const S_output_path[] = {
	/* VFS reads and writes, user copies */
	"vfs_", "ksys_read", "ksys_write", "ksys_pread", "ksys_pwrite", "new_sync_read",
	"new_sync_write", "do_iter_", "do_readv", "do_writev", "do_preadv", "do_pwritev",
	"rw_verify_area", "kernel_read", "kernel_write", "__kernel_read", "__kernel_write",
	"__x64_sys_read", "__x64_sys_write", "__x64_sys_pread", "__x64_sys_pwrite",
	"__x64_sys_preadv", "__x64_sys_pwritev", "_copy_to_user", "_copy_from_user",
	"copy_page_to_iter", "copy_page_from_iter", "_copy_to_iter", "_copy_from_iter",
	"copy_to_iter", "copy_from_iter",
	/* pipes (a test program's output reaches /init through one) */
	"pipe_", "anon_pipe_", "__pipe_", "generic_pipe_",
	/* tty, serial and virtio console */
	"tty_", "n_tty_", "__tty_", "uart_", "serial8250_", "univ8250_", "io_serial_",
	"mem_serial_", "serial_", "hvc_", "port_fops_", "__send_to_port", "put_chars",
	/* printk, the kernel log and consoles */
	"printk", "_printk", "vprintk", "__printk", "devkmsg_", "console_", "call_console",
	"register_console", "unregister_console", "log_store", "prb_", "record_print",
	"info_print", "msg_print",
	/* exit and wait: the status /init reports */
	"do_exit", "do_group_exit", "exit_notify", "release_task", "do_wait", "kernel_wait",
	"wait_task_", "wait_consider_task", "__x64_sys_exit", "__x64_sys_wait",
};

int klab_tamper_output_path(const char *symbol)
{
	for (size_t i = 0; i < sizeof(S_output_path) / sizeof(S_output_path[0]); i++)
		if (strncmp(symbol, S_output_path[i], strlen(S_output_path[i])) == 0)
			return 1;
	return 0;
}

/* The files a check reads, each opened once at the baseline (t->fds). */
enum {
	S_KPROBES,	/* /sys/kernel/debug/kprobes/list */
	S_FTRACE,	/* enabled_functions, where tracefs is */
	S_CONSOLES,	/* /proc/consoles */
	S_TIME,		/* printk.time */
	S_IGNORE,	/* printk.ignore_loglevel */
	S_PRINTK,	/* /proc/sys/kernel/printk: the console loglevel first */
	S_TAINTED,	/* /proc/sys/kernel/tainted */
};

/* Opens root+path for reading; -1 when it is not there. */
static int S_open(const struct klab_tamper *t, const char *path)
{
	char full[512];

	snprintf(full, sizeof(full), "%s%s", t->root, path);
	return open(full, O_RDONLY | O_CLOEXEC);
}

/*
 * Reads the file at fd from its start into buf (NUL-terminated): its length,
 * or -1. pread() at 0 makes /proc, sysfs and debugfs generate the text anew.
 */
static int S_pread(int fd, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	while (len + 1 < size) {
		ssize_t n = pread(fd, buf + len, size - 1 - len, (off_t)len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return (int)len;
}

/* One of t->fds read whole into buf; its length, or -1. */
static int S_read(const struct klab_tamper *t, int which, char *buf, size_t size)
{
	return S_pread(t->fds[which], buf, size);
}

/* A one-word setting (Y, N, a number) without its newline; "" when unreadable. */
static void S_read_word(const struct klab_tamper *t, int which, char *buf, size_t size)
{
	if (S_read(t, which, buf, size) > 0)
		buf[strcspn(buf, " \t\n")] = '\0';
}

/* The console loglevel: the first number of /proc/sys/kernel/printk; -1 unknown. */
static int S_loglevel(const struct klab_tamper *t)
{
	char buf[64];

	return S_read(t, S_PRINTK, buf, sizeof(buf)) > 0 ? atoi(buf) : -1;
}

/* True when text has the line [line, line + len) (without its newline). */
static int S_has_line(const char *text, const char *line, size_t len)
{
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l == len && memcmp(p, line, len) == 0)
			return 1;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

/* Adds key to a list of lines held in buf; fails quietly when full. */
static void S_add_line(char *buf, size_t size, const char *key)
{
	size_t used = strlen(buf), l = strlen(key);

	if (used + l + 2 <= size) {
		memcpy(buf + used, key, l);
		buf[used + l] = '\n';
		buf[used + l + 1] = '\0';
	}
}

/* Reports what (once per key): "# klab-tamper: STEP: WHAT". */
static void S_report(struct klab_tamper *t, const char *step, const char *key, const char *what)
{
	if (S_has_line(t->reported, key, strlen(key)))
		return;
	S_add_line(t->reported, sizeof(t->reported), key);
	t->emit("# klab-tamper: %s: %s", step, what);
}

/* The declared probes, from the plan's "kprobe SYMBOL" lines (read once it exists). */
static void S_read_declared(struct klab_tamper *t)
{
	char plan[8192], sym[256];

	int fd = t->plan_read ? -1 : S_open(t, "/klab/plan");
	int len = S_pread(fd, plan, sizeof(plan));

	if (fd >= 0)
		close(fd);
	if (len < 0)
		return;
	t->plan_read = 1;
	for (char *line = strtok(plan, "\n"); line; line = strtok(NULL, "\n"))
		if (sscanf(line, "kprobe %255s", sym) == 1)
			S_add_line(t->declared, sizeof(t->declared), sym);
}

/* The symbol of a kprobe list line ("ADDR  k  vfs_write+0x0  MOD FLAGS"): its type. */
static int S_kprobe_symbol(const char *line, size_t len, char *sym, size_t size, char *type)
{
	char copy[512], addr[64], loc[256];

	snprintf(copy, sizeof(copy), "%.*s", (int)len, line);
	if (sscanf(copy, "%63s %c %255s", addr, type, loc) != 3)
		return -1;
	loc[strcspn(loc, "+/")] = '\0';
	snprintf(sym, size, "%s", loc);
	return 0;
}

typedef void (*S_line_fn)(struct klab_tamper *t, const char *step, const char *line, size_t len,
			  char *hooked, size_t hsize);

/*
 * Calls fn on each line (without its newline, not NUL-terminated) of the file
 * at fd, read from its start in pieces: a forger's thousand probes must not
 * push one out of view. -1 when the file is not there.
 */
static int S_each_line(struct klab_tamper *t, int fd, const char *step, S_line_fn fn,
		       char *hooked, size_t hsize)
{
	char buf[4096];
	size_t have = 0;
	off_t off = 0;

	if (fd < 0)
		return -1;
	for (;;) {
		ssize_t n = pread(fd, buf + have, sizeof(buf) - have, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += n;
		have += (size_t)n;
		size_t start = 0;
		for (size_t i = 0; i < have; i++) {
			if (buf[i] == '\n') {
				fn(t, step, buf + start, i - start, hooked, hsize);
				start = i + 1;
			}
		}
		if (start == 0 && have == sizeof(buf)) { /* an overlong line: taken as it is */
			fn(t, step, buf, have, hooked, hsize);
			start = have;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
	}
	if (have)
		fn(t, step, buf, have, hooked, hsize);
	return 0;
}

/* A kprobe (k) or kretprobe (r) new since the baseline: reported on the output path. */
static void S_kprobe_line(struct klab_tamper *t, const char *step, const char *line, size_t len,
			  char *hooked, size_t hsize)
{
	char sym[256], key[320], what[384], type;

	if (!len || S_has_line(t->kprobes, line, len) ||
	    S_kprobe_symbol(line, len, sym, sizeof(sym), &type) < 0)
		return;
	S_add_line(hooked, hsize, sym);
	if (!klab_tamper_output_path(sym) || S_has_line(t->declared, sym, strlen(sym)))
		return;
	snprintf(key, sizeof(key), "kprobe %c %s", type, sym);
	snprintf(what, sizeof(what), "a %s on %s", type == 'r' ? "kretprobe" : "kprobe", sym);
	S_report(t, step, key, what);
}

/* An ftrace hook new since the baseline ("vfs_write (1) R ..."), unless a kprobe's. */
static void S_ftrace_line(struct klab_tamper *t, const char *step, const char *line, size_t len,
			  char *hooked, size_t hsize)
{
	char sym[256], key[320], what[384];
	size_t sl = 0;

	(void)hsize;
	while (sl < len && line[sl] != ' ' && line[sl] != '\t')
		sl++;
	if (!sl || sl >= sizeof(sym) || S_has_line(t->ftrace, line, len))
		return;
	memcpy(sym, line, sl);
	sym[sl] = '\0';
	if (!klab_tamper_output_path(sym) || S_has_line(hooked, sym, sl) ||
	    S_has_line(t->declared, sym, sl))
		return;
	snprintf(key, sizeof(key), "ftrace %s", sym);
	snprintf(what, sizeof(what), "an ftrace hook on %s", sym);
	S_report(t, step, key, what);
}

/* Kprobes, then ftrace hooks (where the kernel has ftrace) on the output path. */
static void S_check_hooks(struct klab_tamper *t, const char *step)
{
	char hooked[KLAB_TAMPER_TEXT / 4] = ""; /* symbols with a kprobe: not reported twice */

	S_each_line(t, t->fds[S_KPROBES], step, S_kprobe_line, hooked, sizeof(hooked));
	if (t->has_ftrace)
		S_each_line(t, t->fds[S_FTRACE], step, S_ftrace_line, hooked, sizeof(hooked));
}

/* Makes a multi-line text one line, in place: lines joined by ';', blanks squeezed. */
static void S_one_line(char *s)
{
	char *out = s;
	size_t len = strlen(s);

	while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
		s[--len] = '\0';
	for (const char *p = s; *p; p++) {
		char c = *p == '\t' ? ' ' : *p;
		if (c == '\n') {
			while (out > s && out[-1] == ' ')
				out--;
			c = ';';
		}
		if (c == ' ' && (out == s || out[-1] == ' ' || out[-1] == ';'))
			continue;
		*out++ = c;
	}
	*out = '\0';
}

/* printk's switches and the consoles, against the baseline. */
static void S_check_printk(struct klab_tamper *t, const char *step)
{
	char now[1024], key[1100], what[1200];
	int level = S_loglevel(t);

	S_read_word(t, S_TIME, now, sizeof(now));
	if (t->time[0] && strcmp(now, t->time) != 0) {
		snprintf(key, sizeof(key), "time %s", now);
		snprintf(what, sizeof(what), "printk timestamps switched %s "
			 "(/sys/module/printk/parameters/time: %s -> %s)",
			 now[0] == 'N' ? "off" : "on", t->time, now[0] ? now : "unreadable");
		S_report(t, step, key, what);
	}
	S_read_word(t, S_IGNORE, now, sizeof(now));
	if (t->ignore_loglevel[0] && strcmp(now, t->ignore_loglevel) != 0) {
		snprintf(key, sizeof(key), "ignore_loglevel %s", now);
		snprintf(what, sizeof(what), "printk's ignore_loglevel changed (%s -> %s)",
			 t->ignore_loglevel, now[0] ? now : "unreadable");
		S_report(t, step, key, what);
	}
	/* the kernel raises it itself on an oops (console_verbose): only lowering hides */
	if (t->loglevel >= 0 && level < t->loglevel) {
		snprintf(key, sizeof(key), "loglevel %d", level);
		snprintf(what, sizeof(what), "the console loglevel lowered from %d to %d "
			 "(/proc/sys/kernel/printk)", t->loglevel, level);
		S_report(t, step, key, what);
	}
	/* /proc/consoles takes the console lock, which a task that oopsed may hold */
	S_read(t, S_TAINTED, now, sizeof(now));
	if (strtol(now, NULL, 10) & 128)
		return;
	S_read(t, S_CONSOLES, now, sizeof(now));
	if (strcmp(now, t->consoles) != 0) {
		S_one_line(now);
		snprintf(key, sizeof(key), "consoles %s", now);
		snprintf(what, sizeof(what), "the kernel's consoles changed (now: %s)",
			 now[0] ? now : "none");
		S_report(t, step, key, what);
	}
}

/*
 * Kernel log records since the last check that imitate klab's own markers.
 * /dev/kmsg gives one record a read ("PRI,SEQ,TS,FLAGS;text", then " KEY=VALUE"
 * lines); each line is taken on its own, so a plain file works in tests too.
 */
static void S_check_kmsg(struct klab_tamper *t, const char *step)
{
	char rec[4096], key[320], what[256];

	if (t->kmsg_fd < 0)
		return;
	for (;;) {
		ssize_t n = read(t->kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue; /* records overwritten meanwhile: read on */
		if (n <= 0)
			break;
		rec[n] = '\0';
		for (char *line = strtok(rec, "\n"); line; line = strtok(NULL, "\n")) {
			char *msg = line[0] == ' ' ? NULL : strchr(line, ';');
			if (!msg)
				continue;
			msg += 1 + strspn(msg + 1, " \t");
			if (strncmp(msg, "KLAB-", 5) != 0 && strncmp(msg, "# klab-", 7) != 0)
				continue;
			snprintf(key, sizeof(key), "kmsg %s", step);
			snprintf(what, sizeof(what),
				 "the kernel log imitates klab's own output: `%.80s`", msg);
			S_report(t, step, key, what);
		}
	}
}

void klab_tamper_baseline(struct klab_tamper *t, const char *root, klab_tamper_emit_fn emit)
{
	static const char *const paths[KLAB_TAMPER_FILES] = {
		[S_KPROBES] = "/sys/kernel/debug/kprobes/list",
		[S_FTRACE] = "/sys/kernel/debug/tracing/enabled_functions",
		[S_CONSOLES] = "/proc/consoles",
		[S_TIME] = "/sys/module/printk/parameters/time",
		[S_IGNORE] = "/sys/module/printk/parameters/ignore_loglevel",
		[S_PRINTK] = "/proc/sys/kernel/printk",
		[S_TAINTED] = "/proc/sys/kernel/tainted",
	};
	char path[512];

	memset(t, 0, sizeof(*t));
	t->root = root;
	t->emit = emit;
	for (int i = 0; i < KLAB_TAMPER_FILES; i++)
		t->fds[i] = S_open(t, paths[i]);
	if (t->fds[S_FTRACE] < 0) /* tracefs mounted on its own */
		t->fds[S_FTRACE] = S_open(t, "/sys/kernel/tracing/enabled_functions");
	S_read(t, S_KPROBES, t->kprobes, sizeof(t->kprobes));
	t->has_ftrace = S_read(t, S_FTRACE, t->ftrace, sizeof(t->ftrace)) >= 0;
	S_read(t, S_CONSOLES, t->consoles, sizeof(t->consoles));
	S_read_word(t, S_TIME, t->time, sizeof(t->time));
	S_read_word(t, S_IGNORE, t->ignore_loglevel, sizeof(t->ignore_loglevel));
	t->loglevel = S_loglevel(t);
	snprintf(path, sizeof(path), "%s/dev/kmsg", root);
	t->kmsg_fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (t->kmsg_fd >= 0 && lseek(t->kmsg_fd, 0, SEEK_END) < 0 && errno != ESPIPE) {
		close(t->kmsg_fd);
		t->kmsg_fd = -1;
	}
}

void klab_tamper_release(struct klab_tamper *t)
{
	for (int i = 0; i < KLAB_TAMPER_FILES; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	if (t->kmsg_fd >= 0)
		close(t->kmsg_fd);
	memset(t->fds, -1, sizeof(t->fds));
	t->kmsg_fd = -1;
}

void klab_tamper_check(struct klab_tamper *t, const char *what, const char *name)
{
	char step[300];

	if (!t->emit)
		return;
	snprintf(step, sizeof(step), "%s%s", what, name);
	S_read_declared(t);
	S_check_hooks(t, step);
	S_check_printk(t, step);
	S_check_kmsg(t, step);
}
