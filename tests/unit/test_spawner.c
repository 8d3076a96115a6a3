/*
 * test_spawner.c - unit tests of the guest's spawner (server/guest/spawner.c)
 * with a program built on klab_test.h (probe/go_probe.c): it becomes the
 * program it is sent, which waits for its go before main() and then sees a
 * clean start; a path that cannot run says so; an unused spawner is reaped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawner.h"

/* Everything fd gives until its end, NUL-terminated. */
static void S_read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
}

/* 1 if fd has something to read (or its end) within ms. */
static int S_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

/*
 * Ends a program the spawner became: a go byte if go_byte, else only the go
 * pipe's end; its whole output into out; its exit status (it must exit).
 */
static int S_finish(pid_t pid, int ofd, int go, int go_byte, char *out, size_t size)
{
	int status = -1;

	if (go_byte)
		assert_int_equal(write(go, "g", 1), 1);
	close(go);
	S_read_all(ofd, out, size);
	close(ofd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* The descriptors above 2 a program started now would inherit: "3,7," */
static void S_inherited(char *buf, size_t size)
{
	buf[0] = '\0';
	for (int fd = 3; fd < 1024; fd++) {
		int flags = fcntl(fd, F_GETFD);
		if (flags >= 0 && !(flags & FD_CLOEXEC))
			snprintf(buf + strlen(buf), size - strlen(buf), "%d,", fd);
	}
}

static void test_waits_for_go_then_runs_clean(void **state)
{
	char out[512], fds[512], want[700];
	int ofd = -1, go = -1;
	pid_t pid = 0;

	(void)state;
	S_inherited(fds, sizeof(fds)); /* the harness's own, if any */
	assert_int_equal(spawner_start(), 0);
	assert_true(spawner_waiting());
	assert_int_equal(spawner_exec(GO_PROBE, &pid, &ofd, &go), 0);
	assert_false(spawner_waiting());
	assert_true(pid > 0);
	/* exec'd, but main() must not run before the go */
	assert_false(S_readable(ofd, 300));
	assert_int_equal(kill(pid, 0), 0);
	assert_int_equal(S_finish(pid, ofd, go, 1, out, sizeof(out)), 0);
	/* its folder, its own group, no pipe end of the spawner's, KLAB_GO_FD gone */
	snprintf(want, sizeof(want), "main cwd=/tmp own_group=1 fds=%s go_env=unset\n", fds);
	assert_string_equal(out, want);
}

static void test_cancelled_go_never_runs_main(void **state)
{
	char out[512];
	int ofd = -1, go = -1;
	pid_t pid = 0;

	(void)state;
	assert_int_equal(spawner_start(), 0);
	assert_int_equal(spawner_exec(GO_PROBE, &pid, &ofd, &go), 0);
	/* no byte: the run was cancelled */
	assert_int_equal(S_finish(pid, ofd, go, 0, out, sizeof(out)), 125);
	assert_string_equal(out, "");
}

static void test_missing_program_says_so(void **state)
{
	char out[512];
	int ofd = -1, go = -1;
	pid_t pid = 0;

	(void)state;
	assert_int_equal(spawner_start(), 0);
	assert_int_equal(spawner_exec("/nonexistent/test_x", &pid, &ofd, &go), 0);
	assert_int_equal(S_finish(pid, ofd, go, 0, out, sizeof(out)), 127);
	assert_string_equal(out, "# cannot run /nonexistent/test_x: No such file or directory\n");
}

static void test_unused_spawner_is_reaped(void **state)
{
	int ofd = -1, go = -1;
	pid_t pid = 0;

	(void)state;
	assert_int_equal(spawner_exec(GO_PROBE, &pid, &ofd, &go), -1); /* none yet */
	assert_int_equal(spawner_start(), 0);
	assert_true(spawner_waiting());
	spawner_stop();
	assert_false(spawner_waiting());
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* no child left, none a zombie */
	assert_int_equal(errno, ECHILD);
	assert_int_equal(spawner_exec(GO_PROBE, &pid, &ofd, &go), -1);
	spawner_stop(); /* twice: nothing */
}

/* Without KLAB_GO_FD (any start but the spawner's), a test program runs at once. */
static void test_plain_start_does_not_wait(void **state)
{
	char out[512];
	FILE *p = popen("cd /tmp && " GO_PROBE, "r");

	(void)state;
	assert_non_null(p);
	assert_true(S_readable(fileno(p), 5000));
	S_read_all(fileno(p), out, sizeof(out));
	assert_int_equal(pclose(p), 0);
	assert_non_null(strstr(out, "main cwd=/tmp"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_waits_for_go_then_runs_clean),
		cmocka_unit_test(test_cancelled_go_never_runs_main),
		cmocka_unit_test(test_missing_program_says_so),
		cmocka_unit_test(test_unused_spawner_is_reaped),
		cmocka_unit_test(test_plain_start_does_not_wait),
	};

	signal(SIGPIPE, SIG_IGN); /* as for /init, PID 1: a write to a dead spawner fails */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
