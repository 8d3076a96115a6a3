/*
 * ticker.c - "still running" lines while a step runs (see ticker.h).
 */
#include "lab/ticker.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/proc.h"
#include "core/term.h"

#define S_DIM "\033[2m"
#define S_RESET "\033[0m"

void lab_ticker_clear(struct lab_ticker *t)
{
	if (t->drawn && t->out) {
		fputs("\r\033[K", t->out);
		t->drawn = 0;
	}
}

static void S_tick(struct lab_ticker *t)
{
	double started = 0;
	const char *label = t->label(t->ctx, &started);
	double ran = kl_now() - started;
	char *clean = kl_term_clean(label ? label : "");

	if (started != t->noted_start) {
		t->noted_start = started;
		t->next_note = 10;
	}
	if (t->live && ran >= 2) {
		fprintf(t->out, "\r\033[K  %-28s %srunning %.0f s%s", clean, t->color ? S_DIM : "",
			ran, t->color ? S_RESET : "");
		fflush(t->out);
		t->drawn = 1;
	} else if (!t->live && ran >= t->next_note) {
		fprintf(t->out, "  %-28s still running after %.0f s\n", clean, ran);
		fflush(t->out);
		t->next_note += 10;
	}
	free(clean);
}

static void *S_run(void *arg)
{
	struct lab_ticker *t = arg;
	struct pollfd p = { .fd = t->pipe[0], .events = POLLIN };

	while (poll(&p, 1, 1000) == 0) {
		pthread_mutex_lock(t->mu);
		S_tick(t);
		pthread_mutex_unlock(t->mu);
	}
	return NULL;
}

int lab_ticker_start(struct lab_ticker *t)
{
	t->running = t->drawn = 0;
	t->next_note = 10;
	t->noted_start = 0;
	if (!t->out)
		return 0;
	if (pipe2(t->pipe, O_CLOEXEC) < 0)
		return -1;
	if (pthread_create(&t->thread, NULL, S_run, t) != 0) {
		close(t->pipe[0]);
		close(t->pipe[1]);
		return -1;
	}
	t->running = 1;
	return 0;
}

void lab_ticker_stop(struct lab_ticker *t)
{
	if (!t->running)
		return;
	close(t->pipe[1]);
	pthread_join(t->thread, NULL);
	close(t->pipe[0]);
	t->running = 0;
	pthread_mutex_lock(t->mu);
	lab_ticker_clear(t);
	pthread_mutex_unlock(t->mu);
}
