/*
 * qmp.c - QMP client: framing, commands and their answers (see qmp.h).
 */
#include "lab/qmp.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/proc.h"

#define S_MSG_MAX (1u << 20) /* an answer larger than this is not QEMU talking */

/*
 * Reads the next message (one JSON object a line) before deadline. The caller
 * owns *msg (json_decref). 0, or -1 with err (timeout, QEMU gone, bad JSON).
 */
static int S_read_msg(struct lab_qmp *q, double deadline, json_t **msg, struct kl_err *err)
{
	*msg = NULL;
	for (;;) {
		char *nl = q->in.len ? memchr(q->in.ptr, '\n', q->in.len) : NULL;
		if (nl) {
			size_t len = (size_t)(nl - q->in.ptr) + 1;
			json_error_t je;
			*msg = json_loadb(q->in.ptr, len, 0, &je);
			memmove(q->in.ptr, q->in.ptr + len, q->in.len - len);
			kl_buf_truncate(&q->in, q->in.len - len);
			if (!*msg || !json_is_object(*msg)) {
				json_decref(*msg);
				*msg = NULL;
				return kl_err_set(err, "QEMU's monitor sent something that is not a "
						  "JSON object: %s", je.text);
			}
			return 0;
		}
		if (q->in.len > S_MSG_MAX)
			return kl_err_set(err, "QEMU's monitor sent a message over %u bytes",
					  S_MSG_MAX);
		double left = deadline - kl_now();
		if (left <= 0)
			return kl_err_set(err, "QEMU's monitor did not answer within %.0f s",
					  q->timeout);
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		int rc = poll(&p, 1, (int)(left * 1000) + 1);
		if (rc < 0 && errno != EINTR)
			return kl_err_errno(err, "cannot wait for QEMU's monitor");
		if (rc <= 0)
			continue;
		char buf[4096];
		ssize_t n = read(q->fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return kl_err_set(err, "QEMU closed its monitor (it exited?)");
		kl_buf_add(&q->in, buf, (size_t)n);
	}
}

static int S_write_all(int fd, const char *p, size_t len, double deadline, struct kl_err *err)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && kl_now() < deadline) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };
			poll(&pf, 1, 100);
			continue;
		}
		return kl_err_errno(err, "cannot write to QEMU's monitor");
	}
	return 0;
}

/*
 * Sends {"execute": name, "arguments": args} (args taken, may be NULL) and waits
 * for its answer, skipping events. *ret (may be NULL) gets the "return" value
 * (caller decrefs). An "error" answer is -1 with QEMU's description in err.
 */
static int S_command(struct lab_qmp *q, const char *name, json_t *args, json_t **ret,
		     struct kl_err *err)
{
	json_t *cmd = json_pack("{s:s}", "execute", name);
	json_t *msg = NULL;
	char *text = NULL;
	double deadline = kl_now() + q->timeout;
	int rc = -1;

	if (ret)
		*ret = NULL;
	if (!cmd) {
		json_decref(args);
		return kl_err_set(err, "cannot encode the QMP command %s", name);
	}
	if (args)
		json_object_set_new(cmd, "arguments", args);
	text = json_dumps(cmd, JSON_COMPACT);
	if (!text) {
		kl_err_set(err, "cannot encode the QMP command %s", name);
		goto out;
	}
	if (S_write_all(q->fd, text, strlen(text), deadline, err) < 0 ||
	    S_write_all(q->fd, "\n", 1, deadline, err) < 0)
		goto out;
	for (;;) {
		if (S_read_msg(q, deadline, &msg, err) < 0)
			goto out;
		json_t *r = json_object_get(msg, "return");
		json_t *e = json_object_get(msg, "error");
		if (r) {
			if (ret)
				*ret = json_incref(r);
			rc = 0;
			goto out;
		}
		if (e) {
			const char *desc = json_string_value(json_object_get(e, "desc"));
			kl_err_set(err, "QEMU refused %s: %s", name, desc ? desc : "no reason given");
			goto out;
		}
		json_decref(msg); /* an event: not our answer */
		msg = NULL;
	}
out:
	json_decref(msg);
	json_decref(cmd);
	free(text);
	return rc;
}

int lab_qmp_open(struct lab_qmp *q, int fd, double timeout, struct kl_err *err)
{
	json_t *hello = NULL;
	int rc;

	q->fd = fd;
	q->timeout = timeout;
	kl_buf_init(&q->in);
	rc = S_read_msg(q, kl_now() + timeout, &hello, err);
	if (rc == 0 && !json_object_get(hello, "QMP"))
		rc = kl_err_set(err, "QEMU's monitor did not greet with QMP");
	json_decref(hello);
	if (rc == 0)
		rc = S_command(q, "qmp_capabilities", NULL, NULL, err);
	return rc;
}

void lab_qmp_close(struct lab_qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	kl_buf_release(&q->in);
}

int lab_qmp_migrate(struct lab_qmp *q, const char *uri, struct kl_err *err)
{
	return S_command(q, "migrate", json_pack("{s:s}", "uri", uri), NULL, err);
}

int lab_qmp_migrate_incoming(struct lab_qmp *q, const char *uri, struct kl_err *err)
{
	return S_command(q, "migrate-incoming", json_pack("{s:s}", "uri", uri), NULL, err);
}

int lab_qmp_set_capability(struct lab_qmp *q, const char *name, int on, struct kl_err *err)
{
	return S_command(q, "migrate-set-capabilities",
			 json_pack("{s:[{s:s,s:b}]}", "capabilities", "capability", name, "state", on),
			 NULL, err);
}

int lab_qmp_query_migrate(struct lab_qmp *q, char *status, size_t size, struct kl_err *err)
{
	json_t *ret = NULL;

	if (S_command(q, "query-migrate", NULL, &ret, err) < 0)
		return -1;
	const char *s = json_string_value(json_object_get(ret, "status"));
	snprintf(status, size, "%s", s ? s : "none");
	if (s && strcmp(s, "failed") == 0) {
		const char *why = json_string_value(json_object_get(ret, "error-desc"));
		kl_err_set(err, "the migration failed: %s", why ? why : "no reason given");
	}
	json_decref(ret);
	return 0;
}
