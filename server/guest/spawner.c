/*
 * spawner.c - a child of /init, forked before the snapshot, that becomes the
 * run's first test program on demand (see spawner.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "spawner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static struct {
	pid_t pid; /* 0: none waiting */
	int cmd;   /* /init's ends: where the path goes, */
	int out;   /* the program's output, */
	int go;    /* and its go */
} spawner;

/* The child: waits for a path, then becomes its program. Never returns. */
static void S_child(int cmd, int out, int go)
{
	char path[4096], env[32];
	ssize_t n;

	setpgid(0, 0);
	dup2(out, 1);
	dup2(out, 2);
	int g = fcntl(go, F_DUPFD, 3); /* a copy without close-on-exec, for the program */
	if (g < 0 || chdir(SPAWNER_DIR) < 0)
		_exit(127);
	do /* one write of one line, shorter than PIPE_BUF: one read */
		n = read(cmd, path, sizeof(path) - 1);
	while (n < 0 && errno == EINTR);
	if (n <= 0 || path[n - 1] != '\n')
		_exit(0); /* not used: /init closed the pipe */
	path[n - 1] = '\0';
	snprintf(env, sizeof(env), "KLAB_GO_FD=%d", g);
	char *argv[] = { path, NULL };
	char *envp[] = { SPAWNER_ENV_PATH, SPAWNER_ENV_HOME, env, NULL };
	execve(path, argv, envp);
	dprintf(1, "# cannot run %s: %s\n", path, strerror(errno));
	_exit(127);
}

int spawner_start(void)
{
	int cmd[2], out[2] = { -1, -1 }, go[2] = { -1, -1 };
	int e;

	if (spawner.pid)
		return 0;
	if (pipe2(cmd, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0)
		goto fail;
	pid_t pid = fork();
	if (pid == 0) {
		/* without /init's ends: the pipes' ends must be seen to close */
		close(cmd[1]);
		close(out[0]);
		close(go[1]);
		S_child(cmd[0], out[1], go[0]);
	}
	if (pid < 0)
		goto fail;
	close(cmd[0]);
	close(out[1]);
	close(go[0]);
	spawner.pid = pid;
	spawner.cmd = cmd[1];
	spawner.out = out[0];
	spawner.go = go[1];
	return 0;
fail:
	e = errno;
	for (int i = 0; i < 2; i++) {
		close(cmd[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (go[i] >= 0)
			close(go[i]);
	}
	errno = e;
	return -1;
}

int spawner_waiting(void)
{
	return spawner.pid != 0;
}

int spawner_exec(const char *path, pid_t *pid, int *out, int *go)
{
	char line[4096];
	int n = snprintf(line, sizeof(line), "%s\n", path);

	if (!spawner.pid || n >= (int)sizeof(line))
		return -1;
	if (write(spawner.cmd, line, (size_t)n) != n) {
		spawner_stop();
		return -1;
	}
	close(spawner.cmd);
	*pid = spawner.pid;
	*out = spawner.out;
	*go = spawner.go;
	spawner.pid = 0;
	return 0;
}

void spawner_stop(void)
{
	if (!spawner.pid)
		return;
	close(spawner.cmd);
	close(spawner.out);
	close(spawner.go);
	kill(spawner.pid, SIGKILL); /* it would exit at its pipe's end: no need to wait for that */
	waitpid(spawner.pid, NULL, 0);
	spawner.pid = 0;
}
