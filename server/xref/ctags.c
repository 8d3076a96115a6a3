/*
 * ctags.c - universal-ctags in chunks beside the reading of the source (see ctags.h).
 * Each run writes tags lines (--excmd=number: name, path, line, then key:value
 * fields) that build.c reads.
 */
#include "xref/ctags.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "core/fsutil.h"
#include "core/proc.h"

enum S_state { S_LISTING, S_READY, S_RUNNING, S_DONE };

struct S_chunk {
	char *list, *tags; /* files<N>.txt, tags<N>.txt */
	FILE *f;           /* the list, while S_LISTING */
	size_t bytes;      /* of the files listed */
	pid_t pid;         /* while S_RUNNING */
	enum S_state state;
};

struct xref_ctags {
	char *scratch, *srcdir;
	struct S_chunk *v;
	size_t n, cap;
	int running;
};

struct xref_ctags *xref_ctags_new(const char *scratch, const char *srcdir)
{
	struct xref_ctags *c = calloc(1, sizeof(*c));

	if (!c)
		abort();
	c->scratch = kl_strdup(scratch);
	c->srcdir = kl_strdup(srcdir);
	return c;
}

void xref_ctags_free(struct xref_ctags *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		struct S_chunk *k = &c->v[i];
		if (k->state == S_RUNNING) {
			kill(-k->pid, SIGKILL);
			waitpid(k->pid, NULL, 0);
		}
		if (k->f)
			fclose(k->f);
		free(k->list);
		free(k->tags);
	}
	free(c->v);
	free(c->scratch);
	free(c->srcdir);
	free(c);
}

/* Closes the list of the chunk being listed: it is ready to run. */
static int S_ready(struct S_chunk *k, struct kl_err *err)
{
	int rc = fclose(k->f);

	k->f = NULL;
	k->state = S_READY;
	return rc == 0 ? 0 : kl_err_errno(err, "cannot write the file list %s", k->list);
}

int xref_ctags_add(struct xref_ctags *c, const char *path, size_t bytes, struct kl_err *err)
{
	struct S_chunk *k = c->n ? &c->v[c->n - 1] : NULL;

	if (!k || k->state != S_LISTING) {
		if (c->n == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 16;
			c->v = realloc(c->v, c->cap * sizeof(*c->v));
			if (!c->v)
				abort();
		}
		k = &c->v[c->n++];
		*k = (struct S_chunk){ kl_sprintf("%s/files%zu.txt", c->scratch, c->n - 1),
				       kl_sprintf("%s/tags%zu.txt", c->scratch, c->n - 1), NULL,
				       0, -1, S_LISTING };
		k->f = fopen(k->list, "w");
		if (!k->f) {
			k->state = S_DONE;
			return kl_err_errno(err, "cannot write a file list in %s", c->scratch);
		}
	}
	fprintf(k->f, "%s\n", path);
	k->bytes += bytes;
	return k->bytes >= XREF_CTAGS_CHUNK ? S_ready(k, err) : 0;
}

int xref_ctags_close(struct xref_ctags *c, struct kl_err *err)
{
	if (c->n && c->v[c->n - 1].state == S_LISTING)
		return S_ready(&c->v[c->n - 1], err);
	return 0;
}

/*
 * The attribute macros written after a declarator (`int x __read_mostly;`,
 * `int count __aligned(8);`), which ctags would take for the name, and ACPICA's
 * ACPI_EXPORT_SYMBOL(x) without a ';', which hides the next function: the list
 * of the kernel's scripts/tags.sh, plus those it lacks; "+" also skips (...).
 */
#define S_IGNORE                                                                            \
	"__initdata,__exitdata,__initconst,__ro_after_init,__initdata_memblock,__refdata,"   \
	"__maybe_unused,__always_unused,__acquires+,__releases+,__must_hold+,__deprecated," \
	"__read_mostly,__aligned+,____cacheline_aligned,____cacheline_aligned_in_smp,"      \
	"__cacheline_aligned,__cacheline_aligned_in_smp,"                                   \
	"____cacheline_internodealigned_in_smp,__used,__packed,__must_check,__section+,"    \
	"__randomize_layout,__no_randomize_layout,__page_aligned_data,__page_aligned_bss,"  \
	"__percpu,__rcu,__user,__iomem,__force,__bitwise,__init,__exit,__latent_entropy,"   \
	"__nosavedata,__visible,__weak,__cold,__sched,notrace,__printf+,__scanf+,"         \
	"__attribute_const__,__malloc,__always_inline,noinline,__noreturn,__counted_by+,"   \
	"ACPI_EXPORT_SYMBOL+,ACPI_EXPORT_SYMBOL_INIT+"

static int S_start(struct xref_ctags *c, struct S_chunk *k, struct kl_err *err)
{
	char *argv[] = { "ctags", "-L", k->list, "-f", k->tags, "--excmd=number", "--sort=no",
			 "--fields=+nKzZ", "--fields=-t", "--kinds-C=+px", "--languages=C,Asm",
			 "--langmap=C:.c.h", "--langmap=Asm:.S", "-I", S_IGNORE, NULL };

	k->pid = kl_proc_spawn(argv, c->srcdir, NULL, (int[3]){ -1, -1, -1 }, err);
	if (k->pid < 0)
		return kl_err_set(err, "cannot run ctags: install universal-ctags (`make setup`)");
	k->state = S_RUNNING;
	c->running++;
	return 0;
}

/* Collects k when it ended (waiting for it with block); 1 collected, 0 still running. */
static int S_reap(struct xref_ctags *c, struct S_chunk *k, bool block, struct kl_err *err)
{
	int status = 0;
	pid_t got;

	while ((got = waitpid(k->pid, &status, block ? 0 : WNOHANG)) < 0 && errno == EINTR)
		;
	if (got == 0)
		return 0;
	k->state = S_DONE;
	c->running--;
	if (got < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return kl_err_set(err, "ctags failed on the kernel source (status %d): is "
				       "universal-ctags installed (`make setup`)?", status);
	return 1;
}

int xref_ctags_pump(struct xref_ctags *c, int max_running, bool wait, struct kl_err *err)
{
	for (;;) {
		struct S_chunk *oldest = NULL;
		bool pending = false;
		for (size_t i = 0; i < c->n; i++) {
			struct S_chunk *k = &c->v[i];
			if (k->state == S_RUNNING && S_reap(c, k, false, err) < 0)
				return -1;
			if (k->state == S_READY && c->running < max_running &&
			    S_start(c, k, err) < 0)
				return -1;
			if (k->state == S_RUNNING && !oldest)
				oldest = k;
			pending |= k->state != S_DONE;
		}
		if (!wait || !pending)
			return 0;
		if (!oldest) /* a chunk still being listed: nothing to wait for */
			return kl_err_set(err, "ctags: waited before the last chunk was listed");
		if (S_reap(c, oldest, true, err) < 0)
			return -1;
	}
}

int xref_ctags_lines(struct xref_ctags *c, void (*line)(void *ctx, char *line), void *ctx,
		     struct kl_err *err)
{
	char *buf = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < c->n; i++) {
		FILE *f = fopen(c->v[i].tags, "r");
		if (!f) {
			free(buf);
			return kl_err_errno(err, "cannot read ctags' output %s", c->v[i].tags);
		}
		while (getline(&buf, &cap, f) > 0)
			line(ctx, buf);
		fclose(f);
	}
	free(buf);
	return 0;
}
