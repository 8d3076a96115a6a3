/*
 * err.h - error text written into the caller's buffer (as redis does): a failing
 * function fills a struct kl_err saying what failed, on what, and what to do,
 * and returns -1; the caller decides how to show it.
 */
#ifndef KLAB_ERR_H
#define KLAB_ERR_H

struct kl_err {
	char msg[1024]; /* the message, "" when nothing failed */
};

/* Formats into err (which may be NULL) and returns -1, for `return kl_err_set(...)`. */
int kl_err_set(struct kl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As kl_err_set, with ": strerror(errno)" appended. */
int kl_err_errno(struct kl_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
