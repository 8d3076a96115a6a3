/*
 * config.h - klab's configuration, read once at start-up from the environment:
 * where the project's data is (labs/, notes/, kernels/, static/), where learner
 * state lives ($KLAB_HOME) and where caches go ($KLAB_CACHE). Nothing else is global.
 */
#ifndef KLAB_CONFIG_H
#define KLAB_CONFIG_H

#include "core/err.h"

struct kl_config {
	char *root;   /* labs/, notes/, kernels/, static/, scripts/: $KLAB_ROOT, else
		       * ../share/klab of an installed klab, else the source tree it was built from */
	char *content; /* where labs/, notes/ and tracks/ are: $KLAB_PATH's folders, then
			* root, joined by ':' (a content path, see core/content.h) */
	char *home;   /* learner state: progress.db, workspace/, attempts.git ($KLAB_HOME) */
	char *cache;  /* caches: kernels/, guest test binaries ($KLAB_CACHE) */
	char *bindir; /* klab-init and the built diagrams: the build folder, or
		       * ../libexec/klab of an installed klab */
	int color;    /* 1 when stdout is a terminal and NO_COLOR is unset */
};

/* Fills cfg from the environment; kl_config_release() frees it. */
int kl_config_load(struct kl_config *cfg, struct kl_err *err);
void kl_config_release(struct kl_config *cfg);

#endif
