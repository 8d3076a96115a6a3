/*
 * qmp.h - a client of QEMU's machine protocol (QMP) on a connected socket:
 * QEMU gets one end as `-chardev socket,id=qmp,fd=N -mon chardev=qmp,mode=control`,
 * klab keeps the other. One function per command; one reader frames messages
 * (a JSON object a line) and skips asynchronous events; every wait has a deadline.
 * The snapshot of a booted lab VM is made and restored with it (lab/vm.c).
 */
#ifndef KLAB_LAB_QMP_H
#define KLAB_LAB_QMP_H

#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

struct lab_qmp {
	int fd;          /* the socket (owned: lab_qmp_close closes it) */
	struct kl_buf in; /* bytes read and not yet framed */
	double timeout;  /* seconds allowed for each command's answer */
};

/* Takes fd, reads QEMU's greeting and enters command mode (qmp_capabilities). */
int lab_qmp_open(struct lab_qmp *q, int fd, double timeout, struct kl_err *err);
void lab_qmp_close(struct lab_qmp *q);

/* Starts an outgoing migration to uri ("exec:zstd -1 > FILE"); it runs in the background. */
int lab_qmp_migrate(struct lab_qmp *q, const char *uri, struct kl_err *err);
/* Starts taking the VM's state from uri; QEMU must have been started with `-incoming defer`. */
int lab_qmp_migrate_incoming(struct lab_qmp *q, const char *uri, struct kl_err *err);
/* Turns a migration capability ("x-ignore-shared") on or off, before a migration. */
int lab_qmp_set_capability(struct lab_qmp *q, const char *name, int on, struct kl_err *err);
/*
 * The migration's status ("active", "completed", "failed", ...) into status;
 * on "failed", err holds QEMU's reason.
 */
int lab_qmp_query_migrate(struct lab_qmp *q, char *status, size_t size, struct kl_err *err);

#endif
