/*
 * test_loader.c - unit tests of the guest's module loader
 * (server/guest/loader.c) on the host, with requests that cannot load
 * anything: answers in order, errnos as the forked steps gave them, a
 * loader that dies is reported with its wait status, and one given up on
 * is never asked again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loader.h"

/* The answer to one request, waited for up to 10 s. */
static int S_ask(char op, const char *arg, const char *params, int *status)
{
	struct pollfd p;

	assert_int_equal(loader_send(op, arg, params), 0);
	p = (struct pollfd){ .fd = loader_fd(), .events = POLLIN };
	assert_int_equal(poll(&p, 1, 10000), 1);
	return loader_result(status);
}

/* This process's only child: the loader. */
static pid_t S_child(void)
{
	char path[64], text[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)getpid());
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(text, sizeof(text), f));
	fclose(f);
	return (pid_t)atoi(text);
}

static void test_answers_each_request(void **state)
{
	int status = -1;

	(void)state;
	assert_int_equal(loader_start(), 0);
	assert_true(loader_ready());
	/*
	 * Files that cannot be opened, so that no host kernel is asked to load
	 * anything: each answer is its own request's, in order.
	 */
	char long_name[300];
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[0] = '/';
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(S_ask('l', "/nonexistent/klab.ko", "x=1 y=\"a b\"", &status), ENOENT);
	assert_int_equal(S_ask('l', "/dev/null/klab.ko", "", &status), ENOTDIR);
	assert_int_equal(S_ask('l', long_name, "", &status), ENAMETOOLONG);
	assert_int_equal(S_ask('?', "anything", "", &status), EINVAL);
	assert_int_equal(S_ask('l', "/nonexistent/klab.ko", "", &status), ENOENT);
	assert_true(loader_ready()); /* still there for the next */
}

static void test_a_dead_loader_is_reported_and_gone(void **state)
{
	int status = 0;

	(void)state;
	assert_true(loader_ready());
	pid_t pid = S_child();
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0); /* as an oops in a module's init kills it */
	struct pollfd p = { .fd = loader_fd(), .events = POLLIN };
	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_int_equal(loader_result(&status), -1);
	assert_true(status != -1 && WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_false(loader_ready());
	assert_int_equal(loader_send('u', "x", ""), -1); /* steps fork from now on */
	assert_int_equal(loader_fd(), -1);
}

static void test_abandoned_loader_is_not_asked_again(void **state)
{
	(void)state;
	assert_int_equal(loader_start(), 0);
	assert_true(loader_ready());
	loader_abandon();
	assert_false(loader_ready());
	assert_int_equal(loader_send('u', "x", ""), -1);
	/* with its pipes closed, the abandoned loader exits: nothing is left behind */
	int status = 0;
	assert_true(waitpid(-1, &status, 0) > 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_request_too_long_is_refused(void **state)
{
	char arg[4096];

	(void)state;
	memset(arg, 'a', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	assert_int_equal(loader_start(), 0);
	assert_int_equal(loader_send('l', arg, ""), -1);
	assert_true(loader_ready()); /* refused, not broken */
	int status = 0;
	assert_int_equal(S_ask('l', "/nonexistent/klab.ko", "", &status), ENOENT);
	loader_abandon();
	waitpid(-1, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers_each_request),
		cmocka_unit_test(test_a_dead_loader_is_reported_and_gone),
		cmocka_unit_test(test_abandoned_loader_is_not_asked_again),
		cmocka_unit_test(test_request_too_long_is_refused),
	};

	signal(SIGPIPE, SIG_IGN); /* as for /init, PID 1: a write to a dead loader fails */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
