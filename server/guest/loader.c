/*
 * loader.c - a child of /init, forked before the snapshot, that loads and
 * unloads modules on request (see loader.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_REQUEST 2048 /* one request, shorter than PIPE_BUF: one write, one read */

static struct {
	pid_t pid; /* 0: none */
	int req;   /* /init's ends: requests, */
	int ans;   /* answers */
} loader;

int loader_call(char op, const char *arg, const char *params)
{
	if (op == 'l') {
		int fd = open(arg, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return errno;
		long rc = syscall(SYS_finit_module, fd, params ? params : "", 0);
		int e = errno;
		close(fd);
		return rc < 0 && e != EEXIST ? e : 0;
	}
	if (op == 'u') {
		long rc = syscall(SYS_delete_module, arg, O_NONBLOCK);
		return rc < 0 && errno != ENOENT ? errno : 0;
	}
	return EINVAL;
}

/* One request "OP\tARG\tPARAMS": the call's errno, 0 when done. */
static int S_serve(char *line)
{
	char *arg = strchr(line, '\t');
	char *params = arg ? strchr(arg + 1, '\t') : NULL;

	if (!params)
		return EINVAL;
	*arg++ = '\0';
	*params++ = '\0';
	return loader_call(line[0], arg, params);
}

/* The child: serves requests until /init closes the pipe. Never returns. */
static void S_child(int req, int ans)
{
	char line[S_REQUEST + 1], answer[16];
	ssize_t n;

	for (;;) {
		do
			n = read(req, line, S_REQUEST);
		while (n < 0 && errno == EINTR);
		if (n <= 0 || line[n - 1] != '\n')
			_exit(0);
		line[n - 1] = '\0';
		int len = snprintf(answer, sizeof(answer), "%d\n", S_serve(line));
		if (write(ans, answer, (size_t)len) != len)
			_exit(0);
	}
}

int loader_start(void)
{
	int req[2], ans[2];

	if (loader.pid)
		return 0;
	if (pipe2(req, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(ans, O_CLOEXEC) < 0)
		goto fail_req;
	pid_t pid = fork();
	if (pid == 0) {
		/*
		 * Only its own two ends: a copy of another pipe's end (/init's, the
		 * spawner's) would keep that pipe from ever being seen to close.
		 */
		int lo = req[0] < ans[1] ? req[0] : ans[1], hi = req[0] ^ ans[1] ^ lo;
		close_range(3, (unsigned)lo - 1, 0);
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
		close_range((unsigned)hi + 1, ~0U, 0);
		S_child(req[0], ans[1]);
	}
	if (pid < 0)
		goto fail_ans;
	close(req[0]);
	close(ans[1]);
	loader.pid = pid;
	loader.req = req[1];
	loader.ans = ans[0];
	return 0;
fail_ans:
	close(ans[0]);
	close(ans[1]);
fail_req:
	close(req[0]);
	close(req[1]);
	return -1;
}

int loader_ready(void)
{
	return loader.pid != 0;
}

int loader_send(char op, const char *arg, const char *params)
{
	char line[S_REQUEST + 1];
	int n = snprintf(line, sizeof(line), "%c\t%s\t%s\n", op, arg, params ? params : "");

	if (!loader.pid || n > S_REQUEST)
		return -1;
	if (write(loader.req, line, (size_t)n) != n) {
		int status;
		loader_result(&status); /* it died: reap it */
		return -1;
	}
	return 0;
}

int loader_fd(void)
{
	return loader.pid ? loader.ans : -1;
}

/* Closes /init's ends; the loader is not waited for. */
static void S_forget(void)
{
	close(loader.req);
	close(loader.ans);
	loader.pid = 0;
}

int loader_result(int *status)
{
	char answer[16];
	ssize_t n;

	*status = 0;
	if (!loader.pid)
		return -1;
	do
		n = read(loader.ans, answer, sizeof(answer) - 1);
	while (n < 0 && errno == EINTR);
	if (n > 0 && answer[n - 1] == '\n') {
		answer[n] = '\0';
		return atoi(answer);
	}
	/* the answer's end closed: it is dead, or its exit is (an oops held a lock) */
	pid_t pid = loader.pid;
	S_forget();
	*status = -1;
	for (int i = 0; i < 1000 && waitpid(pid, status, WNOHANG) == 0; i++)
		usleep(2000);
	return -1;
}

void loader_abandon(void)
{
	if (loader.pid)
		S_forget();
}
