/*
 * handler_demo.c - one signal handler, three ways to reach it (notes/signals.md).
 *
 * Installs a SA_SIGINFO handler for SIGUSR1, then sends the signal to itself
 * with kill(2), tgkill(2) and sigqueue(3) (rt_sigqueueinfo(2)). For each, the
 * handler records what the kernel wrote into the frame: the siginfo (si_code,
 * si_pid, si_value) and the mask while it runs; main() prints it and checks it
 * against what kernel/signal.c does: SI_USER from kill_something_info()'s
 * caller, SI_TKILL from do_tkill(), SI_QUEUE kept by do_rt_sigqueueinfo(); the
 * signal itself blocked while the handler runs (no SA_NODEFER) and unblocked
 * again after rt_sigreturn(2). Exit status 0 when every check holds.
 *
 * Build: cc -O2 -Wall -o handler_demo handler_demo.c
 * Watch: strace -e trace=rt_sigaction,rt_sigprocmask,rt_sigreturn,kill ./handler_demo
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct seen {
	volatile sig_atomic_t signo;   /* 0 until the handler ran */
	volatile sig_atomic_t code;    /* info->si_code */
	volatile sig_atomic_t pid;     /* info->si_pid */
	volatile sig_atomic_t value;   /* info->si_value.sival_int */
	volatile sig_atomic_t blocked; /* SIGUSR1 in the mask while the handler ran */
	volatile sig_atomic_t before;  /* SIGUSR1 in the mask saved in the frame */
};

static struct seen seen;

static void handler(int sig, siginfo_t *info, void *ucontext)
{
	ucontext_t *uc = ucontext;
	sigset_t now;

	/* sigprocmask(2) is async-signal-safe; the frame holds the old mask */
	sigprocmask(SIG_SETMASK, NULL, &now);
	seen.signo = sig;
	seen.code = info->si_code;
	seen.pid = info->si_pid;
	seen.value = info->si_value.sival_int;
	seen.blocked = sigismember(&now, SIGUSR1);
	seen.before = sigismember(&uc->uc_sigmask, SIGUSR1);
}

static const char *code_name(int code)
{
	switch (code) {
	case SI_USER: return "SI_USER";
	case SI_TKILL: return "SI_TKILL";
	case SI_QUEUE: return "SI_QUEUE";
	default: return "other";
	}
}

/* Prints what the handler saw after one send; returns the number of failed checks. */
static int report(const char *how, int want_code, int want_value)
{
	sigset_t after;
	int bad = 0;

	sigprocmask(SIG_SETMASK, NULL, &after);
	if (!seen.signo) {
		printf("%-22s the handler did not run\n", how);
		return 1;
	}
	printf("%-22s signal %d, si_code %s, si_pid %d%s", how, (int)seen.signo,
	       code_name(seen.code), (int)seen.pid, seen.pid == getpid() ? " (me)" : "");
	if (want_code == SI_QUEUE)
		printf(", si_value %d", (int)seen.value);
	printf("; SIGUSR1 blocked: before %s, in the handler %s, after %s\n",
	       seen.before ? "yes" : "no", seen.blocked ? "yes" : "no",
	       sigismember(&after, SIGUSR1) ? "yes" : "no");
	bad += seen.signo != SIGUSR1;
	bad += seen.code != want_code;
	bad += seen.pid != getpid();
	bad += want_code == SI_QUEUE && seen.value != want_value;
	bad += seen.before || !seen.blocked || sigismember(&after, SIGUSR1);
	memset((void *)&seen, 0, sizeof(seen));
	return bad;
}

int main(void)
{
	struct sigaction sa;
	union sigval v = { .sival_int = 42 };
	int bad = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0) {
		perror("handler_demo: sigaction");
		return 2;
	}
	printf("handler_demo: pid %d\n", (int)getpid());
	fflush(stdout);

	/* A signal sent to oneself and not blocked is delivered before kill() returns. */
	kill(getpid(), SIGUSR1);
	bad += report("kill(2):", SI_USER, 0);
	syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
	bad += report("tgkill(2):", SI_TKILL, 0);
	sigqueue(getpid(), SIGUSR1, v);
	bad += report("sigqueue(3):", SI_QUEUE, 42);

	printf("handler_demo: %s\n", bad ? "UNEXPECTED" : "ok");
	return bad ? 1 : 0;
}
