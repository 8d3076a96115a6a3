/*
 * ticker.h - a run's progress never goes silent: while a step runs, a thread
 * says so once a second. On a terminal it redraws one line in place
 * ("load:hello   running 7 s"), erased before the next real line; elsewhere
 * (a pipe, a log) it writes "still running after N s" every 10 s.
 *
 * The caller's lock guards what label() reads and every write to out: the
 * ticker takes it around each tick, the caller around its own output, and
 * calls lab_ticker_clear() before printing while the lock is held.
 */
#ifndef KLAB_LAB_TICKER_H
#define KLAB_LAB_TICKER_H

#include <pthread.h>
#include <stdio.h>

struct lab_ticker {
	FILE *out;
	int live;            /* out is a terminal: redraw in place */
	int color;
	pthread_mutex_t *mu; /* the caller's lock */
	/* The running step's name and when it started (called under mu). */
	const char *(*label)(void *ctx, double *started);
	void *ctx;
	/* private */
	pthread_t thread;
	int pipe[2];         /* closing pipe[1] stops the thread */
	int running;         /* the thread was started */
	int drawn;           /* a redrawn line is on the terminal */
	double next_note;    /* not a terminal: seconds of the step of the next note */
	double noted_start;  /* the step next_note counts for */
};

/* Starts the thread (nothing when out is NULL); 0, or -1 when it cannot start (no ticks). */
int lab_ticker_start(struct lab_ticker *t);
/* Stops the thread and erases its line. */
void lab_ticker_stop(struct lab_ticker *t);
/* Erases the redrawn line, if any; call with mu held, before printing to out. */
void lab_ticker_clear(struct lab_ticker *t);

#endif
