/*
 * config.c - reads klab's configuration from the environment (see config.h).
 */
#include "core/config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/content.h"
#include "core/fsutil.h"

#ifndef KLAB_SOURCE_DIR
#define KLAB_SOURCE_DIR "."
#endif

/* $var, else $xdg/klab, else $HOME/fallback/klab. Caller frees. */
static char *S_dir(const char *var, const char *xdg, const char *fallback)
{
	const char *v = getenv(var);

	if (v && *v)
		return kl_strdup(v);
	v = getenv(xdg);
	if (v && *v)
		return kl_path_join(v, "klab");
	const char *home = getenv("HOME");
	return kl_sprintf("%s/%s/klab", home && *home ? home : "/tmp", fallback);
}

/*
 * Where klab's files are, from the folder of the running program: in a build
 * folder, klab-init is beside klab and the data is the source tree it was built
 * from; installed (bin/klab), they are in ../libexec/klab and ../share/klab.
 */
static void S_locate(struct kl_config *cfg, const char *exedir)
{
	const char *root = getenv("KLAB_ROOT");
	char *init = kl_path_join(exedir, "klab-init");
	char *up = kl_path_join(exedir, ".."), *prefix = realpath(up, NULL);
	if (!prefix)
		prefix = kl_strdup(up);
	free(up);
	char *share = kl_path_join(prefix, "share/klab");
	char *share_labs = kl_path_join(share, "labs");
	int built_here = kl_is_file(init);

	if (!built_here && kl_is_dir(share_labs)) {
		cfg->bindir = kl_path_join(prefix, "libexec/klab");
		cfg->root = kl_strdup(root && *root ? root : share);
	} else {
		cfg->bindir = kl_strdup(exedir);
		cfg->root = kl_strdup(root && *root ? root : KLAB_SOURCE_DIR);
	}
	free(init);
	free(prefix);
	free(share);
	free(share_labs);
}

int kl_config_load(struct kl_config *cfg, struct kl_err *err)
{
	char exe[PATH_MAX];

	memset(cfg, 0, sizeof(*cfg));
	cfg->home = S_dir("KLAB_HOME", "XDG_DATA_HOME", ".local/share");
	cfg->cache = S_dir("KLAB_CACHE", "XDG_CACHE_HOME", ".cache");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		S_locate(cfg, exe);
	} else {
		S_locate(cfg, ".");
	}
	const char *nc = getenv("NO_COLOR");
	cfg->color = isatty(STDOUT_FILENO) && !(nc && *nc);
	char *labs = kl_path_join(cfg->root, "labs");
	int ok = kl_is_dir(labs);
	free(labs);
	if (!ok) {
		kl_err_set(err, "no labs/ folder under %s: install klab (`make install`), run it "
				"from its build folder, or set KLAB_ROOT to the klab source tree",
			   cfg->root);
		kl_config_release(cfg);
		return -1;
	}
	if (kl_content_path(getenv("KLAB_PATH"), cfg->root, &cfg->content, err) < 0) {
		kl_config_release(cfg);
		return -1;
	}
	return 0;
}

void kl_config_release(struct kl_config *cfg)
{
	free(cfg->root);
	free(cfg->content);
	free(cfg->home);
	free(cfg->cache);
	free(cfg->bindir);
	memset(cfg, 0, sizeof(*cfg));
}
