/*
 * test_vmm.c - guest tests of lab kvm-01. /init loaded kvm and kvm-amd; the
 * learner's vmm is /klab/bin/vmm. Each check writes a tiny real-mode guest
 * program (bytes below, assembled from the listing next to each) to /tmp, runs
 * `vmm FILE`, and compares its stdout and exit status.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "klab_test.h"

#define VMM "/klab/bin/vmm"
#define RUN_SECONDS 5

/*
 *	mov $0x3f8, %dx
 *	mov $msg, %si
 * 1:	lodsb
 *	test %al, %al
 *	jz 2f
 *	out %al, (%dx)
 *	jmp 1b
 * 2:	hlt
 * msg:	.asciz "Hello from the guest\n"
 */
static const uint8_t prog_hello[] = {
	0xba, 0xf8, 0x03, 0xbe, 0x0f, 0x10, 0xac, 0x84, 0xc0, 0x74, 0x03, 0xee,
	0xeb, 0xf8, 0xf4, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x66, 0x72, 0x6f,
	0x6d, 0x20, 0x74, 0x68, 0x65, 0x20, 0x67, 0x75, 0x65, 0x73, 0x74, 0x0a,
	0x00,
};

/*	hlt */
static const uint8_t prog_halt[] = { 0xf4 };

/*
 *	mov $0x3f8, %dx		read 16 bytes from port 0x3f8 into buf:
 *	mov $buf, %di		one KVM_EXIT_IO (in) with io.count 16
 *	mov $16, %cx
 *	cld
 *	rep insb
 *	mov $buf, %si		count the bytes that are 0xff
 *	mov $16, %cx
 *	xor %bx, %bx
 * 1:	lodsb
 *	cmp $0xff, %al
 *	jne 2f
 *	inc %bx
 * 2:	loop 1b
 *	mov %bx, %ax		print the count as two digits
 *	mov $10, %bl
 *	div %bl
 *	add $0x3030, %ax
 *	out %al, (%dx)
 *	mov %ah, %al
 *	out %al, (%dx)
 *	mov $'\n', %al
 *	out %al, (%dx)
 *	hlt
 * buf:
 */
static const uint8_t prog_input[] = {
	0xba, 0xf8, 0x03, 0xbf, 0x2d, 0x10, 0xb9, 0x10, 0x00, 0xfc, 0xf3, 0x6c,
	0xbe, 0x2d, 0x10, 0xb9, 0x10, 0x00, 0x31, 0xdb, 0xac, 0x3c, 0xff, 0x75,
	0x01, 0x43, 0xe2, 0xf8, 0x89, 0xd8, 0xb3, 0x0a, 0xf6, 0xf3, 0x05, 0x30,
	0x30, 0xee, 0x88, 0xe0, 0xee, 0xb0, 0x0a, 0xee, 0xf4,
};

/*
 *	xor %ax, %ax		ax = 10 + 9 + ... + 1
 *	mov $10, %cx
 * 1:	add %cx, %ax
 *	loop 1b
 *	call print2		print ax (55) as two digits
 *	mov $'\n', %al
 *	call putc
 *	hlt
 * print2: mov $10, %bl
 *	div %bl
 *	add $0x3030, %ax
 *	push %ax
 *	call putc
 *	pop %ax
 *	mov %ah, %al
 *	call putc
 *	ret
 * putc: mov $0x3f8, %dx
 *	out %al, (%dx)
 *	ret
 */
static const uint8_t prog_sum[] = {
	0x31, 0xc0, 0xb9, 0x0a, 0x00, 0x01, 0xc8, 0xe2, 0xfc, 0xe8, 0x06, 0x00,
	0xb0, 0x0a, 0xe8, 0x13, 0x00, 0xf4, 0xb3, 0x0a, 0xf6, 0xf3, 0x05, 0x30,
	0x30, 0x50, 0xe8, 0x07, 0x00, 0x58, 0x88, 0xe0, 0xe8, 0x01, 0x00, 0xc3,
	0xba, 0xf8, 0x03, 0xee, 0xc3,
};

/*
 *	mov $0x9000, %ax	write 'M' at 0x90000 and '!' at 0xffffe
 *	mov %ax, %ds
 *	movb $'M', 0x0
 *	movb $'\n', 0x1
 *	mov $0xf000, %ax
 *	mov %ax, %es
 *	movb $'!', %es:0xfffe
 *	mov $0x3f8, %dx		then read them back and print them
 *	movb 0x0, %al
 *	out %al, (%dx)
 *	movb %es:0xfffe, %al
 *	out %al, (%dx)
 *	movb 0x1, %al
 *	out %al, (%dx)
 *	hlt
 */
static const uint8_t prog_mem[] = {
	0xb8, 0x00, 0x90, 0x8e, 0xd8, 0xc6, 0x06, 0x00, 0x00, 0x4d, 0xc6, 0x06,
	0x01, 0x00, 0x0a, 0xb8, 0x00, 0xf0, 0x8e, 0xc0, 0x26, 0xc6, 0x06, 0xfe,
	0xff, 0x21, 0xba, 0xf8, 0x03, 0xa0, 0x00, 0x00, 0xee, 0x26, 0xa0, 0xfe,
	0xff, 0xee, 0xa0, 0x01, 0x00, 0xee, 0xf4,
};

/*
 *	mov $0x3f8, %dx		print "bye\n"
 *	mov $'b', %al ... out	(four times)
 *	mov $0x501, %dx		exit with status 42
 *	mov $42, %al
 *	out %al, (%dx)
 *	mov $0x3f8, %dx		never reached: print '!'
 *	mov $'!', %al
 *	out %al, (%dx)
 *	hlt
 */
static const uint8_t prog_exit[] = {
	0xba, 0xf8, 0x03, 0xb0, 0x62, 0xee, 0xb0, 0x79, 0xee, 0xb0, 0x65, 0xee,
	0xb0, 0x0a, 0xee, 0xba, 0x01, 0x05, 0xb0, 0x2a, 0xee, 0xba, 0xf8, 0x03,
	0xb0, 0x21, 0xee, 0xf4,
};

/*
 *	mov $0x80, %dx		0x55 to ports 0x80, 0x3f9 and 0x2f8: not output
 *	mov $0x55, %al
 *	out %al, (%dx)
 *	mov $0x3f9, %dx
 *	out %al, (%dx)
 *	mov $0x2f8, %dx
 *	out %al, (%dx)
 *	mov $0x3f8, %dx		then "ok\n" to the serial port
 *	mov $'o', %al ... out	(three times)
 *	hlt
 */
static const uint8_t prog_ports[] = {
	0xba, 0x80, 0x00, 0xb0, 0x55, 0xee, 0xba, 0xf9, 0x03, 0xee, 0xba, 0xf8,
	0x02, 0xee, 0xba, 0xf8, 0x03, 0xb0, 0x6f, 0xee, 0xb0, 0x6b, 0xee, 0xb0,
	0x0a, 0xee, 0xf4,
};

/*
 *	mov $0x3f8, %dx		print 'x'
 *	mov $'x', %al
 *	out %al, (%dx)
 *	mov $0xffff, %ax	write to 0xffff:0x0010 = 0x100000, past guest memory:
 *	mov %ax, %ds		KVM_EXIT_MMIO
 *	movb $1, 0x10
 *	mov $'y', %al		never reached
 *	out %al, (%dx)
 *	hlt
 */
static const uint8_t prog_mmio[] = {
	0xba, 0xf8, 0x03, 0xb0, 0x78, 0xee, 0xb8, 0xff, 0xff, 0x8e, 0xd8, 0xc6,
	0x06, 0x10, 0x00, 0x01, 0xb0, 0x79, 0xee, 0xf4,
};

/*
 *	mov $0x3f8, %dx		print "rep out\n" with one instruction
 *	mov $msg, %si		(KVM's emulator exits once per byte of a string out)
 *	mov $8, %cx
 *	cld
 *	rep outsb
 *	hlt
 * msg:	.ascii "rep out\n"
 */
static const uint8_t prog_outs[] = {
	0xba, 0xf8, 0x03, 0xbe, 0x0d, 0x10, 0xb9, 0x08, 0x00, 0xfc, 0xf3, 0x6e,
	0xf4, 0x72, 0x65, 0x70, 0x20, 0x6f, 0x75, 0x74, 0x0a,
};

/*
 *	mov $0x3f8, %dx		print 's'
 *	mov $'s', %al
 *	out %al, (%dx)
 *	lidt idtr		an empty interrupt table, then an interrupt:
 *	int3			#GP, double fault, triple fault: KVM_EXIT_SHUTDOWN
 *	hlt			never reached
 * idtr: .word 0, .long 0
 */
static const uint8_t prog_shutdown[] = {
	0xba, 0xf8, 0x03, 0xb0, 0x73, 0xee, 0x0f, 0x01, 0x1e, 0x0d, 0x10, 0xcc,
	0xf4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

struct vmm_result {
	int ran;	/* the vmm ran and finished */
	int status;	/* its exit status, or -signal */
	char out[512];	/* its stdout */
	size_t outlen;
	char err[512];	/* its stderr */
	char why[256];	/* why it did not run */
};

/* Hides /dev/kvm from this (child) process: a private mount namespace with an empty /dev. */
static void hide_dev_kvm(void)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("none", "/dev", "tmpfs", 0, NULL) < 0) {
		fprintf(stderr, "test: cannot hide /dev/kvm: %s\n", strerror(errno));
		_exit(126);
	}
}

/*
 * Runs `vmm path` (or `vmm` when path is NULL) and collects its output; with
 * no_kvm, in a mount namespace where /dev/kvm does not exist.
 */
static void run_vmm_ex(const char *path, int no_kvm, struct vmm_result *r)
{
	int out[2], err[2];
	size_t errlen = 0;

	memset(r, 0, sizeof(*r));
	if (access(VMM, X_OK) < 0) {
		snprintf(r->why, sizeof(r->why), "%s: %s (did vmm.c build?)", VMM, strerror(errno));
		return;
	}
	if (pipe(out) < 0 || pipe(err) < 0) {
		snprintf(r->why, sizeof(r->why), "pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		if (no_kvm)
			hide_dev_kvm();
		char *argv[] = { "vmm", (char *)path, NULL };
		execv(VMM, argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	double deadline = kt_clock() + RUN_SECONDS;
	int open_fds = 2, timed_out = 0;
	while (open_fds) {
		struct pollfd p[2] = { { .fd = out[0], .events = POLLIN },
				       { .fd = err[0], .events = POLLIN } };
		double left = deadline - kt_clock();
		if (left <= 0) {
			timed_out = 1;
			break;
		}
		if (poll(p, 2, (int)(left * 1000) + 1) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			char buf[256];
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = read(p[i].fd, buf, sizeof(buf));
			if (n <= 0) {
				close(p[i].fd);
				if (i == 0)
					out[0] = -1;
				else
					err[0] = -1;
				open_fds--;
				continue;
			}
			char *dst = i == 0 ? r->out : r->err;
			size_t *len = i == 0 ? &r->outlen : &errlen;
			size_t room = (i == 0 ? sizeof(r->out) : sizeof(r->err)) - 1 - *len;
			size_t take = (size_t)n < room ? (size_t)n : room;
			memcpy(dst + *len, buf, take);
			*len += take;
			dst[*len] = '\0';
		}
	}
	if (timed_out)
		kill(pid, SIGKILL);
	if (out[0] >= 0)
		close(out[0]);
	if (err[0] >= 0)
		close(err[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	if (timed_out) {
		snprintf(r->why, sizeof(r->why), "vmm did not finish within %d s (killed)",
			 RUN_SECONDS);
		return;
	}
	r->ran = 1;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
	for (char *p = r->err; *p; p++)
		if (*p == '\n')
			*p = ' ';
	for (size_t n = strlen(r->err); n && r->err[n - 1] == ' ';)
		r->err[--n] = '\0';
}

static void run_vmm(const char *path, struct vmm_result *r)
{
	run_vmm_ex(path, 0, r);
}

/* Makes s printable for a diagnostic: "\n" for newlines, \xNN for the rest. */
static const char *show(const char *s, size_t n)
{
	static char buf[4][600];
	static int k;
	char *o = buf[k++ % 4];
	size_t j = 0;

	for (size_t i = 0; i < n && j + 5 < sizeof(buf[0]); i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			j += snprintf(o + j, 3, "\\n");
		else if (c < 32 || c > 126)
			j += snprintf(o + j, 5, "\\x%02x", c);
		else
			o[j++] = (char)c;
	}
	o[j] = '\0';
	return o;
}

static const char *status_str(const struct vmm_result *r)
{
	static char buf[64];

	if (r->status < 0)
		snprintf(buf, sizeof(buf), "killed by signal %d (%s)", -r->status,
			 strsignal(-r->status));
	else
		snprintf(buf, sizeof(buf), "exit status %d", r->status);
	return buf;
}

/* Writes a guest program to /tmp/NAME.bin; 0 or -errno. */
static int write_prog(const char *name, const uint8_t *prog, size_t len, char *path, size_t plen)
{
	snprintf(path, plen, "/tmp/%s.bin", name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, prog, len);
	int e = errno;
	close(fd);
	return n == (ssize_t)len ? 0 : n < 0 ? -e : -EIO;
}

/* An error before the guest runs: no output, a message on stderr, exit status 2. */
static void check_setup_error(const char *name, const char *what, const struct vmm_result *r)
{
	if (!r->ran)
		kt_check(name, 0, "%s", r->why);
	else
		kt_check(name, r->status == 2 && r->outlen == 0 && r->err[0],
			 "%s: expected no output, a message on stderr and exit status 2, got "
			 "\"%s\", %s and stderr \"%s\"", what, show(r->out, r->outlen),
			 status_str(r), r->err);
}

/* Runs a guest program and checks its output and exit status. */
static void check_guest(const char *name, const uint8_t *prog, size_t len, const char *want_out,
			int want_status)
{
	char path[64];
	struct vmm_result r;

	snprintf(path, sizeof(path), "/tmp/%s.bin", name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, prog, len) != (ssize_t)len) {
		kt_check(name, 0, "cannot write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	run_vmm(path, &r);
	if (!r.ran) {
		kt_check(name, 0, "%s", r.why);
		return;
	}
	int out_ok = r.outlen == strlen(want_out) && memcmp(r.out, want_out, r.outlen) == 0;
	kt_check(name, out_ok && r.status == want_status,
		 "vmm %s: expected output \"%s\" and exit status %d, got \"%s\" and %s%s%s", path,
		 show(want_out, strlen(want_out)), want_status, show(r.out, r.outlen),
		 status_str(&r), r.err[0] ? "; stderr: " : "", r.err);
}

int main(void)
{
	struct vmm_result r;
	struct stat st;
	char path[64];

	kt_plan(14);
	if (stat("/dev/kvm", &st) < 0)
		printf("# /dev/kvm: %s: the kvm modules did not give a KVM device "
		       "(a klab problem, not yours)\n", strerror(errno));

	check_guest("hello_output", prog_hello, sizeof(prog_hello), "Hello from the guest\n", 0);
	check_guest("halt_exit_0", prog_halt, sizeof(prog_halt), "", 0);
	check_guest("string_input", prog_input, sizeof(prog_input), "16\n", 0);
	check_guest("guest_computes", prog_sum, sizeof(prog_sum), "55\n", 0);
	check_guest("memory_1mib", prog_mem, sizeof(prog_mem), "M!\n", 0);
	check_guest("exit_port", prog_exit, sizeof(prog_exit), "bye\n", 42);
	check_guest("other_ports_ignored", prog_ports, sizeof(prog_ports), "ok\n", 0);
	check_guest("string_output", prog_outs, sizeof(prog_outs), "rep out\n", 0);

	/* a triple fault: KVM_EXIT_SHUTDOWN, which vmm does not handle */
	if (write_prog("shutdown_exit", prog_shutdown, sizeof(prog_shutdown), path,
		       sizeof(path)) < 0)
		r = (struct vmm_result){ .why = "cannot write the guest program" };
	else
		run_vmm(path, &r);
	if (!r.ran)
		kt_check("shutdown_exit", 0, "%s", r.why);
	else
		kt_check("shutdown_exit", r.status == 1 && r.outlen == 1 && r.out[0] == 's' && r.err[0],
			 "a guest that triple-faults (KVM_EXIT_SHUTDOWN): expected output \"s\", a "
			 "message on stderr and exit status 1, got \"%s\", %s and stderr \"%s\"",
			 show(r.out, r.outlen), status_str(&r), r.err);

	/* a write past guest memory: KVM_EXIT_MMIO, which vmm does not handle */
	int fd = open("/tmp/unhandled_exit.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		if (write(fd, prog_mmio, sizeof(prog_mmio)) < 0)
			printf("# write: %s\n", strerror(errno));
		close(fd);
	}
	run_vmm("/tmp/unhandled_exit.bin", &r);
	if (!r.ran)
		kt_check("unhandled_exit", 0, "%s", r.why);
	else
		kt_check("unhandled_exit",
			 r.status == 1 && r.outlen == 1 && r.out[0] == 'x' && r.err[0],
			 "a guest that writes past its 1 MiB (KVM_EXIT_MMIO): expected output \"x\", "
			 "a message on stderr and exit status 1, got \"%s\", %s and stderr \"%s\"",
			 show(r.out, r.outlen), status_str(&r), r.err);

	run_vmm("/tmp/no-such-guest.bin", &r);
	check_setup_error("missing_file", "vmm /tmp/no-such-guest.bin", &r);

	/* a directory opens but cannot be read */
	mkdir("/tmp/a-directory.bin", 0755);
	run_vmm("/tmp/a-directory.bin", &r);
	check_setup_error("unreadable_file", "vmm /tmp/a-directory.bin (a directory: read fails)",
			  &r);

	run_vmm(NULL, &r);
	check_setup_error("no_argument", "vmm with no argument", &r);

	if (write_prog("no_kvm", prog_halt, sizeof(prog_halt), path, sizeof(path)) < 0) {
		kt_check("no_kvm", 0, "cannot write %s: %s", path, strerror(errno));
	} else {
		run_vmm_ex(path, 1, &r);
		check_setup_error("no_kvm", "vmm on a halting guest, with no /dev/kvm", &r);
	}
	return kt_done();
}
