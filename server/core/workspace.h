/*
 * workspace.h - the learner's copy of each lab: $KLAB_HOME/workspace/<lab>/
 * holds the files the lab lets them edit. Created from the skeleton on first
 * use; `klab reset` brings the skeleton back after saving the old files.
 * Beside them, read-only: tests/ (the lab's guest tests and klab_test.h, fresh
 * at every run), and for editors compile_commands.json and .clangd (written
 * by the lab pipeline after a build, see lab/editor.h).
 */
#ifndef KLAB_WORKSPACE_H
#define KLAB_WORKSPACE_H

#include "core/catalog.h"
#include "core/config.h"
#include "core/err.h"

/* The workspace folder of a lab (caller frees). */
char *kl_workspace_dir(const struct kl_config *cfg, const char *lab);
/* Creates the workspace, copies in every editable file it lacks, refreshes tests/. */
int kl_workspace_ensure(const struct kl_config *cfg, const struct kl_lab *lab,
			struct kl_err *err);
/*
 * Puts the skeleton back. The files it replaces are first copied to
 * $KLAB_HOME/backup/<lab>-<time>/; *backup gets that folder (caller frees), or
 * NULL when there was nothing to save.
 */
int kl_workspace_reset(const struct kl_config *cfg, const struct kl_lab *lab, char **backup,
		       struct kl_err *err);

#endif
