/*
 * editor.c - compile_commands.json and .clangd for the learner's workspace
 * (see editor.h).
 */
#include "lab/editor.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fsutil.h"

/* gcc flags of the kernel build that clang does not know: clangd would flag every file. */
static const char S_clangd[] =
	"# klab wrote this for clangd: it removes the kernel's gcc-only flags from\n"
	"# compile_commands.json (rewritten after each build). Yours to edit.\n"
	"CompileFlags:\n"
	"  Remove: [-mrecord-mcount, -fconserve-stack, -fno-allow-store-data-races,\n"
	"           -mindirect-branch=*, -mindirect-branch-register, -mfunction-return=*,\n"
	"           -fzero-call-used-regs=*, -mpreferred-stack-boundary=*, -mskip-rax-setup,\n"
	"           -fno-var-tracking-assignments, -fmin-function-alignment=*, -mharden-sls=*,\n"
	"           -fstrict-flex-arrays=*, -falign-jumps=*, -falign-loops=*, -fsanitize=*,\n"
	"           -fsanitize-coverage=*, -fasan-shadow-offset=*, -fno-ipa-sra, -fno-ipa-cp-clone,\n"
	"           -fno-partial-inlining, -fplugin=*, -fplugin-arg-*, -mno-fp-ret-in-387,\n"
	"           -ftrivial-auto-var-init=*, -Wno-*, -Werror=*, --param=*, --param]\n"
	"  Add: [-Wno-unknown-warning-option]\n";

/*
 * The command Kbuild recorded for an object: the line "cmd_PATH := COMMAND"
 * (savedcmd_ in newer kernels) of .STEM.o.cmd. NULL when there is none.
 */
static char *S_kbuild_command(const char *dir, const char *stem)
{
	char *path = kl_sprintf("%s/.%s.o.cmd", dir, stem);
	struct kl_buf text = KL_BUF_INIT;
	struct kl_err err;
	char *cmd = NULL;

	if (kl_read_file(path, &text, 1 << 20, &err) == 0) {
		const char *s = kl_buf_str(&text);
		const char *at = strstr(s, " := ");
		if (at && strchr(s, '\n') > at) {
			at += 4;
			/* the compiler only: Kbuild chains objtool and the like with "; " */
			size_t n = (size_t)(strchr(at, '\n') - at);
			const char *semi = strstr(at, "; ");
			if (semi && (size_t)(semi - at) < n)
				n = (size_t)(semi - at);
			cmd = kl_sprintf("%.*s", (int)n, at);
		}
	}
	kl_buf_release(&text);
	free(path);
	return cmd;
}

/* cmd with every from replaced by to, and the dependency-file flag left out. */
static char *S_rewrite(const char *cmd, const char *from, const char *to)
{
	struct kl_buf b = KL_BUF_INIT;
	size_t fl = strlen(from);

	for (const char *p = cmd; *p;) {
		if (strncmp(p, "-Wp,-MMD,", 9) == 0 || strncmp(p, "-Wp,-MD,", 8) == 0) {
			p += strcspn(p, " ");
			p += *p == ' ';
			continue;
		}
		if (strncmp(p, from, fl) == 0) {
			kl_buf_puts(&b, to);
			p += fl;
			continue;
		}
		kl_buf_putc(&b, *p++);
	}
	return kl_buf_detach(&b);
}

static void S_entry(struct kl_buf *out, int *first, const char *directory, const char *file,
		    const char *command)
{
	kl_buf_puts(out, *first ? "\n  {" : ",\n  {");
	*first = 0;
	kl_buf_puts(out, "\"directory\": ");
	kl_buf_put_json(out, directory);
	kl_buf_puts(out, ", \"file\": ");
	kl_buf_put_json(out, file);
	kl_buf_puts(out, ", \"command\": ");
	kl_buf_put_json(out, command);
	kl_buf_putc(out, '}');
}

/* The guest tests in dir/tests, built as klab builds them (lab/build.c). */
static void S_tests(struct kl_buf *out, int *first, const char *dir)
{
	char *tdir = kl_path_join(dir, "tests");
	DIR *d = opendir(tdir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (de->d_name[0] == '.' || n < 3 || strcmp(de->d_name + n - 2, ".c") != 0)
			continue;
		char *file = kl_path_join(tdir, de->d_name);
		char *cmd = kl_sprintf("gcc -std=gnu11 -O2 -static -pthread -Wall -Wextra -I%s -c %s",
				       tdir, file);
		S_entry(out, first, tdir, file, cmd);
		free(cmd);
		free(file);
	}
	if (d)
		closedir(d);
	free(tdir);
}

int lab_editor_write(const struct lab_profile *p, const struct lab_build *b, const char *dir,
		     struct kl_err *err)
{
	struct kl_buf out = KL_BUF_INIT;
	int first = 1, rc = -1;

	kl_buf_putc(&out, '[');
	for (size_t i = 0; i < b->nfiles; i++) {
		const char *name = b->names[i];
		size_t n = strlen(name);
		if (n < 3 || strcmp(name + n - 2, ".c") != 0)
			continue;
		char *stem = kl_sprintf("%.*s", (int)n - 2, name);
		char *cmd = S_kbuild_command(b->dir, stem);
		if (cmd) {
			char *mapped = S_rewrite(cmd, b->dir, dir);
			char *file = kl_path_join(dir, name);
			S_entry(&out, &first, p->headers, file, mapped);
			free(file);
			free(mapped);
		}
		free(cmd);
		free(stem);
	}
	S_tests(&out, &first, dir);
	kl_buf_puts(&out, "\n]\n");
	char *json = kl_path_join(dir, "compile_commands.json");
	char *clangd = kl_path_join(dir, ".clangd");
	if (kl_write_file(json, kl_buf_str(&out), out.len, err) < 0)
		goto out;
	if (!kl_is_file(clangd) && kl_write_file(clangd, S_clangd, strlen(S_clangd), err) < 0)
		goto out;
	rc = 0;
out:
	free(json);
	free(clangd);
	kl_buf_release(&out);
	return rc;
}
