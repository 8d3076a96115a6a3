/*
 * loader.h - the guest's module loader: a child of /init, forked before the
 * snapshot, that loads and unloads the lab's modules when /init asks, one
 * request at a time, and answers each with the call's errno (0: done).
 *
 * Why: a module's init or exit function runs in the caller's process, so an
 * oops there kills that process, never /init; /init used to fork a child
 * for each step. After a restore the first fork runs kernel paths for the
 * first time under emulation (~60-75 ms), and its exit and reaping ~25 ms
 * more: the loader was forked at boot and answers before it exits. A
 * loader killed by an oops, or stuck in a call past its time, is gone:
 * /init then forks a child a step as before.
 *
 *	loader_start()              before the snapshot
 *	loader_send(op, arg, params)    'l' finit_module(arg = path, params),
 *	                            'u' delete_module(arg = name, O_NONBLOCK)
 *	poll loader_fd(), then loader_result(&status)
 *	loader_abandon()            one that did not answer in time
 *
 * Standalone C (libc only), like init.c.
 */
#ifndef KLAB_GUEST_LOADER_H
#define KLAB_GUEST_LOADER_H

/*
 * The call a request makes, made here, in the calling process: op 'l' loads
 * the module file arg with params, 'u' unloads module arg (O_NONBLOCK). 0 or
 * the call's errno, EEXIST and ENOENT counting as done; EINVAL for another
 * op. The loader makes it; so do /init's forked steps when there is none.
 */
int loader_call(char op, const char *arg, const char *params);

/* Forks the loader. 0, or -1 with errno: steps then fork a child each. */
int loader_start(void);

/* 1 while a loader waits for requests. */
int loader_ready(void);

/*
 * Sends one request: op 'l' loads the module file arg with params, 'u'
 * unloads module arg. 0, or -1 (no loader, or it is gone: fork instead).
 */
int loader_send(char op, const char *arg, const char *params);

/* The descriptor its answer comes on (readable once it answered or died). */
int loader_fd(void);

/*
 * The answer: 0 or the call's errno (EEXIST and ENOENT count as done, as
 * for the forked steps). -1: the loader died instead, and is gone; *status
 * is its wait status, or -1 if it could not be reaped within 2 s.
 */
int loader_result(int *status);

/* Gives up on a loader that did not answer in time: it stays where it is stuck. */
void loader_abandon(void);

#endif
