/*
 * test_qmp.c - unit tests of the QMP client (lab/qmp.c) against a scripted
 * QEMU on the other end of a socketpair: greeting, events between answers,
 * errors, answers split across writes, and a QEMU that never answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/qmp.h"

#define GREETING "{\"QMP\": {\"version\": {}, \"capabilities\": [\"oob\"]}}\r\n"

/*
 * Forks a fake QEMU: for each command read, it writes the next reply of
 * replies (NULL: stay silent), or an error naming what it got when expects
 * (if given) has a text the command lacks. Returns klab's end of the socket.
 */
static int fake_qemu_expecting(const char *const *replies, const char *const *expects, pid_t *pid)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	*pid = fork();
	assert_true(*pid >= 0);
	if (*pid == 0) {
		char buf[4096];
		close(sv[0]);
		if (write(sv[1], GREETING, strlen(GREETING)) < 0)
			_exit(1);
		for (size_t i = 0; replies[i]; i++) {
			size_t got = 0; /* a command is a line, maybe in several writes */
			while (got == 0 || buf[got - 1] != '\n') {
				ssize_t r = read(sv[1], buf + got, sizeof(buf) - 1 - got);
				if (r <= 0 || got + (size_t)r >= sizeof(buf) - 1)
					_exit(0);
				got += (size_t)r;
			}
			buf[got] = '\0';
			const char *r = replies[i];
			char wrong[4200];
			if (expects && expects[i] && !strstr(buf, expects[i])) {
				snprintf(wrong, sizeof(wrong), "{\"error\": {\"desc\": \"unexpected %.*s\"}}\r\n",
					 (int)strcspn(buf, "\"\r\n"), buf);
				r = wrong;
			}
			size_t half = strlen(r) / 2; /* in two writes: the reader must frame */
			if (write(sv[1], r, half) < 0)
				_exit(1);
			usleep(2000);
			if (write(sv[1], r + half, strlen(r) - half) < 0)
				_exit(1);
		}
		pause();
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

static int fake_qemu(const char *const *replies, pid_t *pid)
{
	return fake_qemu_expecting(replies, NULL, pid);
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_migrate_and_query(void **state)
{
	const char *const replies[] = {
		"{\"return\": {}}\r\n",
		"{\"timestamp\": {}, \"event\": \"STOP\"}\r\n{\"return\": {}}\r\n",
		"{\"return\": {\"status\": \"active\"}}\r\n",
		"{\"event\": \"MIGRATION\"}\r\n{\"return\": {\"status\": \"completed\"}}\r\n",
		NULL,
	};
	const char *const expects[] = {
		"qmp_capabilities",
		"\"migrate\"",
		"query-migrate",
		"query-migrate",
	};
	struct lab_qmp q;
	struct kl_err err = { "" };
	char status[32];
	pid_t pid;

	(void)state;
	int fd = fake_qemu_expecting(replies, expects, &pid);
	assert_int_equal(lab_qmp_open(&q, fd, 5, &err), 0);
	assert_int_equal(lab_qmp_migrate(&q, "exec:cat > /dev/null", &err), 0);
	assert_int_equal(lab_qmp_query_migrate(&q, status, sizeof(status), &err), 0);
	assert_string_equal(status, "active");
	assert_int_equal(lab_qmp_query_migrate(&q, status, sizeof(status), &err), 0);
	assert_string_equal(status, "completed");
	lab_qmp_close(&q);
	reap(pid);
}

/* A restore's commands (lab/vm.c): the capability, then the incoming migration. */
static void test_incoming(void **state)
{
	const char *const replies[] = {
		"{\"return\": {}}\r\n",
		"{\"return\": {}}\r\n",
		"{\"return\": {}}\r\n",
		NULL,
	};
	const char *const expects[] = {
		"qmp_capabilities",
		"{\"capability\":\"x-ignore-shared\",\"state\":true}",
		"\"uri\":\"exec:zstd -dcq x\"",
	};
	struct lab_qmp q;
	struct kl_err err = { "" };
	pid_t pid;

	(void)state;
	int fd = fake_qemu_expecting(replies, expects, &pid);
	assert_int_equal(lab_qmp_open(&q, fd, 5, &err), 0);
	assert_int_equal(lab_qmp_set_capability(&q, "x-ignore-shared", 1, &err), 0);
	assert_int_equal(lab_qmp_migrate_incoming(&q, "exec:zstd -dcq x", &err), 0);
	lab_qmp_close(&q);
	reap(pid);
}

static void test_errors(void **state)
{
	const char *const replies[] = {
		"{\"return\": {}}\r\n",
		"{\"error\": {\"class\": \"GenericError\", \"desc\": \"no migration here\"}}\r\n",
		"{\"return\": {\"status\": \"failed\", \"error-desc\": \"disk full\"}}\r\n",
		"not json at all\r\n",
		NULL,
	};
	struct lab_qmp q;
	struct kl_err err = { "" };
	char status[32];
	pid_t pid;

	(void)state;
	int fd = fake_qemu(replies, &pid);
	assert_int_equal(lab_qmp_open(&q, fd, 5, &err), 0);
	assert_int_equal(lab_qmp_migrate(&q, "exec:false", &err), -1);
	assert_non_null(strstr(err.msg, "no migration here"));
	err.msg[0] = '\0';
	assert_int_equal(lab_qmp_query_migrate(&q, status, sizeof(status), &err), 0);
	assert_string_equal(status, "failed");
	assert_non_null(strstr(err.msg, "disk full"));
	assert_int_equal(lab_qmp_migrate_incoming(&q, "defer", &err), -1);
	assert_non_null(strstr(err.msg, "not a JSON object"));
	lab_qmp_close(&q);
	reap(pid);
}

static void test_silence_times_out(void **state)
{
	const char *const replies[] = { "{\"return\": {}}\r\n", NULL };
	struct lab_qmp q;
	struct kl_err err = { "" };
	pid_t pid;

	(void)state;
	int fd = fake_qemu(replies, &pid);
	assert_int_equal(lab_qmp_open(&q, fd, 0.3, &err), 0);
	assert_int_equal(lab_qmp_set_capability(&q, "x-ignore-shared", 1, &err), -1);
	assert_non_null(strstr(err.msg, "did not answer"));
	lab_qmp_close(&q);
	reap(pid);
}

static void test_qemu_gone(void **state)
{
	const char *const replies[] = { NULL };
	struct lab_qmp q;
	struct kl_err err = { "" };
	pid_t pid;

	(void)state;
	int fd = fake_qemu(replies, &pid);
	reap(pid);
	/* the greeting was written before it died; qmp_capabilities finds it gone */
	assert_int_equal(lab_qmp_open(&q, fd, 5, &err), -1);
	assert_true(strstr(err.msg, "closed") || strstr(err.msg, "cannot write"));
	lab_qmp_close(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrate_and_query),
		cmocka_unit_test(test_incoming),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_silence_times_out),
		cmocka_unit_test(test_qemu_gone),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
