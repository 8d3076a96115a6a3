/*
 * profile.c - kernel profiles and the cached kernels they name (see profile.h).
 */
#include "lab/profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <string.h>

#include "core/buf.h"
#include "core/catalog.h"
#include "core/frontmatter.h"
#include "core/fsutil.h"
#include "core/proc.h"

static char *S_opt(const struct kl_fm *fm, const char *key, const char *def)
{
	const char *v = kl_fm_str(fm, key);

	return v ? kl_strdup(v) : def ? kl_strdup(def) : NULL;
}

/* Fills in the paths of the cached kernel in folder `cur` (the content of `current`). */
static void S_resolve(const struct kl_config *cfg, struct lab_profile *p, const char *cur)
{
	p->dir = kl_sprintf("%s/kernels/%s/%s", cfg->cache, p->name, cur);
	if (p->built) {
		struct kl_buf rel = KL_BUF_INIT;
		char *relfile = kl_path_join(p->dir, "release");
		if (kl_read_file(relfile, &rel, 4096, NULL) == 0) {
			p->release = kl_buf_detach(&rel);
			p->release[strcspn(p->release, "\n")] = '\0';
		}
		free(relfile);
		kl_buf_release(&rel);
		p->headers = kl_path_join(p->dir, "build");
	} else {
		p->release = kl_strdup(cur);
		p->headers = kl_sprintf("/usr/src/linux-headers-%s", cur);
	}
	p->vmlinuz = kl_path_join(p->dir, "vmlinuz");
	p->system_map = kl_path_join(p->dir, "System.map");
	p->modules_dir = kl_sprintf("%s/lib/modules/%s", p->dir,
				    p->release ? p->release : "(unknown)");
}

char *lab_profile_setup_command(const struct kl_config *cfg, const struct lab_profile *p)
{
	return kl_sprintf("%s/scripts/%s-kernel.sh %s", cfg->root, p->built ? "build" : "fetch",
			  p->name);
}

int lab_profile_ensure_built(const struct kl_config *cfg, struct lab_profile *p,
			     struct kl_err *err)
{
	char *name = kl_strdup(p->name);
	char *script = kl_sprintf("%s/scripts/build-kernel.sh", cfg->root);
	char *argv[] = { "bash", script, name, NULL };
	int rc = -1;

	fprintf(stderr, "klab: the %s kernel is not built yet; building it now (once)\n", name);
	fflush(stderr);
	int fds[3] = { 0, 2, 2 }; /* its progress goes to stderr, never into --json */
	pid_t pid = kl_proc_spawn(argv, NULL, NULL, fds, err);
	if (pid < 0)
		goto out;
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		kl_err_set(err, "building the %s kernel failed (see the lines above); fix what "
				"they say, then run `%s`", name, script);
		goto out;
	}
	lab_profile_release(p);
	if (lab_profile_load(cfg, name, p, err) < 0)
		goto out;
	rc = 0;
out:
	free(name);
	free(script);
	return rc;
}

int lab_profile_load(const struct kl_config *cfg, const char *name, struct lab_profile *p,
		     struct kl_err *err)
{
	struct kl_buf text = KL_BUF_INIT;
	struct kl_fm fm;
	struct kl_err e2;
	char *path = NULL;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (!kl_valid_id(name))
		return kl_err_set(err, "`%s` is not a kernel profile name", name);
	path = kl_sprintf("%s/kernels/%s.yaml", cfg->root, name);
	if (kl_read_file(path, &text, 1 << 20, err) < 0) {
		kl_err_set(err, "no kernel profile `%s` (%s): the profiles are kernels/*.yaml",
			   name, path);
		goto out;
	}
	if (kl_fm_parse_yaml(kl_buf_str(&text), text.len, &fm, &e2) < 0) {
		kl_err_set(err, "%s:%s", path, e2.msg + 5);
		goto out;
	}
	p->name = kl_strdup(name);
	p->title = S_opt(&fm, "title", name);
	p->machine = S_opt(&fm, "machine", "microvm");
	p->bios = S_opt(&fm, "bios", NULL);
	p->cpu = S_opt(&fm, "cpu", "qemu64");
	p->append = S_opt(&fm, "append", "console=ttyS0 panic=-1");
	const char *source = kl_fm_str(&fm, "source");
	if (source && strcmp(source, "build") != 0 && strcmp(source, "debian") != 0) {
		kl_err_set(err, "%s: `source: %s` is neither `debian` nor `build`", path, source);
		kl_fm_release(&fm);
		goto out;
	}
	p->built = source && strcmp(source, "build") == 0;
	if (kl_fm_int(&fm, "smp", 1, 8, 1, &p->smp, &e2) < 0 ||
	    kl_fm_int(&fm, "memory_mb", 64, 65536, 256, &p->memory_mb, &e2) < 0 ||
	    kl_fm_int(&fm, "boot_timeout", 1, 600, 15, &p->boot_timeout, &e2) < 0 ||
	    kl_fm_int(&fm, "boot_retries", 0, 10, 2, &p->boot_retries, &e2) < 0) {
		kl_err_set(err, "%s:%s", path, e2.msg + 5);
		kl_fm_release(&fm);
		goto out;
	}
	kl_fm_release(&fm);

	char *current = kl_sprintf("%s/kernels/%s/current", cfg->cache, name);
	kl_buf_reset(&text);
	if (kl_read_file(current, &text, 4096, NULL) == 0) {
		char *cur = kl_buf_detach(&text);
		cur[strcspn(cur, "\n")] = '\0';
		if (kl_valid_id(cur) || strchr(cur, '.'))
			S_resolve(cfg, p, cur);
		free(cur);
	}
	free(current);
	rc = 0;
out:
	free(path);
	kl_buf_release(&text);
	if (rc < 0)
		lab_profile_release(p);
	return rc;
}

void lab_profile_release(struct lab_profile *p)
{
	free(p->name);
	free(p->title);
	free(p->machine);
	free(p->bios);
	free(p->cpu);
	free(p->append);
	free(p->release);
	free(p->dir);
	free(p->vmlinuz);
	free(p->system_map);
	free(p->modules_dir);
	free(p->headers);
	memset(p, 0, sizeof(*p));
}

int lab_profile_check(const struct lab_profile *p, struct kl_err *err)
{
	struct kl_buf text = KL_BUF_INIT;
	int rc = -1;

	const char *verb = p->built ? "built" : "fetched";
	const char *script = p->built ? "build" : "fetch";

	if (!p->dir)
		return kl_err_set(err, "kernel `%s` is not %s: run `make setup` (or "
				       "scripts/%s-kernel.sh %s)", p->name, verb, script, p->name);
	char *stamp = kl_path_join(p->dir, ".complete");
	int complete = kl_is_file(stamp);
	free(stamp);
	if (!complete || !p->release || !kl_is_file(p->vmlinuz) || !kl_is_dir(p->modules_dir))
		return kl_err_set(err, "kernel `%s` in %s is incomplete: run "
				       "scripts/%s-kernel.sh %s", p->name, p->dir, script, p->name);
	char *uts = kl_path_join(p->headers, "include/generated/utsrelease.h");
	if (kl_read_file(uts, &text, 4096, NULL) < 0) {
		if (p->built)
			kl_err_set(err, "the object tree of kernel %s is missing (%s): run "
					"scripts/build-kernel.sh %s", p->release, p->headers, p->name);
		else
			kl_err_set(err, "headers for %s are missing (%s): run `apt-get install "
					"linux-headers-%s` (or `make setup`)", p->release, p->headers,
				   p->release);
		goto out;
	}
	char *want = kl_sprintf("\"%s\"", p->release);
	int match = strstr(kl_buf_str(&text), want) != NULL;
	free(want);
	if (!match) {
		kl_err_set(err, "headers in %s do not match kernel %s (vermagic would differ): "
				"run scripts/%s-kernel.sh %s", p->headers, p->release, script, p->name);
		goto out;
	}
	rc = 0;
out:
	free(uts);
	kl_buf_release(&text);
	return rc;
}

/* Module name of a modules.dep path: basename without .ko*, '-' as '_'. */
static void S_modname(const char *path, size_t len, char *out, size_t size)
{
	const char *b = path;

	for (size_t i = 0; i < len; i++)
		if (path[i] == '/')
			b = path + i + 1;
	size_t n = (size_t)(path + len - b);
	const char *ko = NULL;
	for (size_t i = 0; i + 3 <= n; i++)
		if (memcmp(b + i, ".ko", 3) == 0)
			ko = b + i;
	if (ko)
		n = (size_t)(ko - b);
	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = b[i] == '-' ? '_' : b[i];
	out[n] = '\0';
}

static int S_has(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

static void S_add(char ***v, size_t *n, char *s)
{
	if (S_has(*v, *n, s)) {
		free(s);
		return;
	}
	char **p = realloc(*v, (*n + 1) * sizeof(*p));
	if (!p)
		abort();
	p[(*n)++] = s;
	*v = p;
}

int lab_profile_modules(const struct lab_profile *p, char *const *names, size_t n,
			char ***paths, size_t *npaths, struct kl_err *err)
{
	struct kl_buf dep = KL_BUF_INIT;
	char *depfile = kl_path_join(p->modules_dir, "modules.dep");
	int rc = -1;

	*paths = NULL;
	*npaths = 0;
	if (kl_read_file(depfile, &dep, 64 << 20, err) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char want[128], got[128];
		const char *line = kl_buf_str(&dep);
		int found = 0;

		S_modname(names[i], strlen(names[i]), want, sizeof(want));
		while (*line) {
			const char *eol = strchr(line, '\n');
			const char *colon = strchr(line, ':');
			size_t len = eol ? (size_t)(eol - line) : strlen(line);

			if (colon && colon < line + len) {
				S_modname(line, (size_t)(colon - line), got, sizeof(got));
				if (strcmp(got, want) == 0) {
					/* deps are listed nearest first: load them last-to-first */
					const char *d = line + len;
					const char *start = colon + 1;
					while (d > start) {
						const char *e = d;
						while (d > start && d[-1] != ' ')
							d--;
						if (e > d)
							S_add(paths, npaths,
							      kl_sprintf("%s/%.*s", p->modules_dir,
									 (int)(e - d), d));
						while (d > start && d[-1] == ' ')
							d--;
					}
					S_add(paths, npaths,
					      kl_sprintf("%s/%.*s", p->modules_dir,
							 (int)(colon - line), line));
					found = 1;
					break;
				}
			}
			line = eol ? eol + 1 : line + len;
		}
		if (!found) {
			kl_err_set(err, "kernel %s has no module `%s` (looked in %s); check "
				   "`kernel_modules` in the lab's front matter", p->release, names[i],
				   depfile);
			goto out;
		}
	}
	rc = 0;
out:
	if (rc < 0) {
		kl_strv_free(*paths, *npaths);
		*paths = NULL;
		*npaths = 0;
	}
	free(depfile);
	kl_buf_release(&dep);
	return rc;
}

int lab_profile_channel_modules(const struct lab_profile *p, char ***paths, size_t *npaths,
				struct kl_err *err)
{
	static const char *const opts[] = { "CONFIG_VIRTIO_MMIO", "CONFIG_VIRTIO_CONSOLE" };
	static const char *const mods[] = { "virtio_mmio", "virtio_console" };
	struct kl_buf config = KL_BUF_INIT;
	char *path = kl_path_join(p->dir, "config");
	char *names[2];
	size_t n = 0;
	int rc = -1;

	*paths = NULL;
	*npaths = 0;
	if (kl_read_file(path, &config, 16 << 20, err) < 0)
		goto out;
	for (size_t i = 0; i < 2; i++) {
		char *y = kl_sprintf("\n%s=y\n", opts[i]);
		char *m = kl_sprintf("\n%s=m\n", opts[i]);
		int built_in = strstr(kl_buf_str(&config), y) != NULL;
		int module = strstr(kl_buf_str(&config), m) != NULL;
		free(y);
		free(m);
		if (!built_in && !module) {
			kl_err_set(err, "kernel %s has no %s (%s): klab's results channel needs "
				   "virtio-mmio and the virtio console", p->release, opts[i], path);
			goto out;
		}
		if (module)
			names[n++] = (char *)mods[i];
	}
	rc = n ? lab_profile_modules(p, names, n, paths, npaths, err) : 0;
out:
	kl_buf_release(&config);
	free(path);
	return rc;
}
