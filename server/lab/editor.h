/*
 * editor.h - what an editor needs to understand a lab's sources: a
 * compile_commands.json (clangd, ccls, VS Code) and a .clangd file, written
 * into the learner's workspace after a build.
 *
 * The module's entries are the exact compiler commands Kbuild ran (read from
 * the build folder's .NAME.o.cmd files), with the private build folder mapped
 * back to the workspace, so the editor sees the kernel profile's headers and
 * configuration. The guest tests (the .c files in tests/, read-only copies) get the flags
 * klab builds them with.
 */
#ifndef KLAB_LAB_EDITOR_H
#define KLAB_LAB_EDITOR_H

#include "core/err.h"
#include "lab/build.h"
#include "lab/profile.h"

/*
 * Writes dir/compile_commands.json (always) and dir/.clangd (when missing).
 * b is a successful build of dir's files for profile p. 0, or -1 with err.
 */
int lab_editor_write(const struct lab_profile *p, const struct lab_build *b, const char *dir,
		     struct kl_err *err);

#endif
