/*
 * test_replay.c - unit tests of the Kbuild replay (lab/replay.c): keys, what a
 * recipe keeps from .cmd files, the order and the build folder of a replay, and
 * every doubt that must leave the build to Kbuild. The commands are plain shell
 * commands standing in for gcc, modpost and ld.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "lab/replay.h"

struct fixture {
	char *root;    /* everything below */
	char *headers; /* the fake kernel headers: the commands run from here */
	char *cache;
	char *dir;     /* the build folder Kbuild built */
};

static void put(const char *dir, const char *name, const char *text)
{
	char *path = kl_path_join(dir, name);

	assert_int_equal(kl_write_file(path, text, strlen(text), NULL), 0);
	free(path);
}

static char *get(const char *dir, const char *name)
{
	struct kl_buf b = KL_BUF_INIT;
	char *path = kl_path_join(dir, name);
	int rc = kl_read_file(path, &b, 1 << 20, NULL);

	free(path);
	if (rc < 0) {
		kl_buf_release(&b);
		return NULL;
	}
	return kl_buf_detach(&b);
}

/* A .cmd file of dir as Kbuild writes it: cmd_<dir>/<target> := <command> */
static void put_cmd(const char *dir, const char *target, const char *command)
{
	char *name = kl_sprintf(".%s.cmd", target);
	char *text = kl_sprintf("cmd_%s/%s := %s\n\nsource_x := y\n", dir, target, command);

	put(dir, name, text);
	free(name);
	free(text);
}

static char *new_dir(const struct fixture *f, const char *name)
{
	char *d = kl_path_join(f->root, name);

	assert_int_equal(kl_mkdir_p(d, 0755, NULL), 0);
	put(d, "Kbuild", "obj-m := hello.o\n");
	put(d, "hello.c", "int x;\n");
	return d;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char tmpl[] = "/tmp/klab-replay-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	f->root = kl_strdup(tmpl);
	f->headers = kl_path_join(f->root, "headers");
	f->cache = kl_path_join(f->root, "cache");
	assert_int_equal(kl_mkdir_p(f->headers, 0755, NULL), 0);
	put(f->headers, "Makefile", "# headers\n");
	put(f->headers, "where", "headers\n");
	f->dir = new_dir(f, "b1");
	/* what Kbuild ran, in .cmd files (listed in no particular order) */
	put_cmd(f->dir, "hello.ko", "cat $$(echo where) %D/hello.o %D/hello.mod.o > %D/hello.ko");
	put_cmd(f->dir, "hello.o", "{ echo compiled; cat %D/hello.c; } > %D/hello.o");
	put_cmd(f->dir, "hello.mod", "printf '%s\\n' hello.o > %D/hello.mod");
	put_cmd(f->dir, "modules.order", "echo %D/hello.ko > %D/modules.order");
	put_cmd(f->dir, "Module.symvers", "echo modpost$(pound) > %D/hello.mod.c; : > %D/Module.symvers");
	put_cmd(f->dir, "hello.mod.o", "cp %D/hello.mod.c %D/hello.mod.o");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	kl_rm_rf(f->root, NULL);
	free(f->root);
	free(f->headers);
	free(f->cache);
	free(f->dir);
	free(f);
	return 0;
}

/* Rewrites each .cmd file of f->dir: %D becomes the folder, as Kbuild would have written it. */
static void expand_cmds(const struct fixture *f)
{
	const char *targets[] = { "hello.ko", "hello.o", "hello.mod", "modules.order",
				  "Module.symvers", "hello.mod.o" };

	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		char *name = kl_sprintf(".%s.cmd", targets[i]);
		char *text = get(f->dir, name);
		struct kl_buf out = KL_BUF_INIT;
		assert_non_null(text);
		for (const char *p = text; *p; p++) {
			if (p[0] == '%' && p[1] == 'D') {
				kl_buf_puts(&out, f->dir);
				p++;
			} else {
				kl_buf_putc(&out, *p);
			}
		}
		put(f->dir, name, kl_buf_str(&out));
		kl_buf_release(&out);
		free(text);
		free(name);
	}
}

static char *names[] = { "Kbuild", "hello.c" };

static char *recorded(const struct fixture *f)
{
	expand_cmds(f);
	/* the files the build made, as Kbuild left them */
	put(f->dir, "hello.mod.c", "modpost#\n");
	put(f->dir, "hello.mod.o", "modpost#\n");
	char *recipe = lab_replay_key(f->cache, f->headers, "modules-01", f->dir, names, 2);
	assert_non_null(recipe);
	assert_int_equal(lab_replay_record(recipe, f->dir, NULL), 0);
	return recipe;
}

static void test_key_follows_kbuild_names_and_lab(void **state)
{
	struct fixture *f = *state;
	char *other_names[] = { "Kbuild", "hello.c", "extra.h" };
	char *k1 = lab_replay_key(f->cache, f->headers, "modules-01", f->dir, names, 2);
	char *k2 = lab_replay_key(f->cache, f->headers, "modules-01", f->dir, names, 2);
	char *k3 = lab_replay_key(f->cache, f->headers, "modules-01", f->dir, other_names, 3);
	char *k4 = lab_replay_key(f->cache, f->headers, "signals-01", f->dir, names, 2);

	assert_non_null(k1);
	assert_string_equal(k1, k2);
	assert_string_not_equal(k1, k3);
	assert_string_not_equal(k1, k4);
	put(f->dir, "hello.c", "int changed;\n"); /* a learner's edit: the same recipe */
	char *k5 = lab_replay_key(f->cache, f->headers, "modules-01", f->dir, names, 2);
	assert_string_equal(k1, k5);
	put(f->dir, "Kbuild", "obj-m := hello.o other.o\n");
	char *k6 = lab_replay_key(f->cache, f->headers, "modules-01", f->dir, names, 2);
	assert_string_not_equal(k1, k6);
	/* Debian's kernels: modpost reads CRCs Kbuild writes into .cmd files */
	put(f->headers, ".config", "# x\nCONFIG_MODVERSIONS=y\nCONFIG_X=y\n");
	assert_null(lab_replay_key(f->cache, f->headers, "modules-01", f->dir, names, 2));
	free(k1), free(k2), free(k3), free(k4), free(k5), free(k6);
}

static void test_replay_runs_in_order_in_the_new_folder(void **state)
{
	struct fixture *f = *state;
	char *recipe = recorded(f);
	char *commands = get(recipe, "commands");

	assert_non_null(commands);
	assert_null(strstr(commands, f->dir)); /* the old folder is not in the recipe */
	assert_non_null(strstr(commands, "$(echo where)")); /* make's $$ undone */
	char *o = strstr(commands, "\thello.o\t"), *mod = strstr(commands, "\thello.mod\t");
	char *sym = strstr(commands, "\tModule.symvers\t"), *ko = strstr(commands, "\thello.ko\t");
	assert_true(o && mod && sym && ko && o < mod && mod < sym && sym < ko);

	char *d2 = new_dir(f, "b2");
	put(d2, "hello.c", "int edited;\n");
	assert_int_equal(lab_replay_build(recipe, f->headers, d2), 0);
	char *ko_text = get(d2, "hello.ko");
	assert_non_null(ko_text);
	/* from the headers (where), with the new folder's source, in order */
	assert_string_equal(ko_text, "headers\ncompiled\nint edited;\nmodpost#\n");
	free(ko_text);
	free(d2);
	free(commands);
	free(recipe);
}

static void test_mod_o_reused_while_mod_c_is_the_same(void **state)
{
	struct fixture *f = *state;
	char *recipe = recorded(f);
	char *d2 = new_dir(f, "b2");

	/* the kept .mod.o is taken: the command that would make it now fails */
	char *commands = get(recipe, "commands");
	char *at = strstr(commands, "cp @KLAB_DIR@/hello.mod.c");
	assert_non_null(at);
	memcpy(at, "false; #", 8);
	put(recipe, "commands", commands);
	assert_int_equal(lab_replay_build(recipe, f->headers, d2), 0);
	/* a different .mod.c: compiled, so the failing command makes it Kbuild's */
	put(recipe, "hello.mod.c", "another\n");
	char *d3 = new_dir(f, "b3");
	assert_int_equal(lab_replay_build(recipe, f->headers, d3), 1);
	free(commands);
	free(d2);
	free(d3);
	free(recipe);
}

static void test_any_doubt_leaves_it_to_kbuild(void **state)
{
	struct fixture *f = *state;
	char *recipe = recorded(f);
	char *d2 = new_dir(f, "b2");

	/* no recipe */
	assert_int_equal(lab_replay_build(NULL, f->headers, d2), 1);
	char *none = kl_path_join(f->cache, "none");
	assert_int_equal(lab_replay_build(none, f->headers, d2), 1);
	free(none);
	/* a command that prints (a warning) or fails (an error) */
	char *commands = get(recipe, "commands");
	char *noisy = kl_sprintf("%s1\thello.o\techo warning >&2\n", commands);
	put(recipe, "commands", noisy);
	assert_int_equal(lab_replay_build(recipe, f->headers, d2), 1);
	char *failing = kl_sprintf("%s1\thello.o\texit 1\n", commands);
	put(recipe, "commands", failing);
	assert_int_equal(lab_replay_build(recipe, f->headers, d2), 1);
	/* a recipe of another format */
	put(recipe, "commands", "klab-replay 0\n");
	assert_int_equal(lab_replay_build(recipe, f->headers, d2), 1);
	free(noisy);
	free(failing);
	free(commands);
	free(d2);
	free(recipe);
}

static void test_unreadable_rules_make_no_recipe(void **state)
{
	struct fixture *f = *state;

	expand_cmds(f);
	/* something make would expand: not a command klab can run itself */
	put_cmd(f->dir, "hello.o", "gcc $(CFLAGS) -c hello.c");
	char *recipe = lab_replay_key(f->cache, f->headers, "modules-01", f->dir, names, 2);
	struct kl_err err = { "" };
	assert_int_equal(lab_replay_record(recipe, f->dir, &err), -1);
	assert_non_null(strstr(err.msg, "not a recipe"));
	char *commands = get(recipe, "commands");
	assert_null(commands);
	/* a rule of a target klab does not know */
	put_cmd(f->dir, "hello.o", "true");
	char *text = kl_sprintf("cmd_%s/hello.s := true\n", f->dir);
	put(f->dir, ".hello.s.cmd", text);
	assert_int_equal(lab_replay_record(recipe, f->dir, NULL), -1);
	free(text);
	free(recipe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_key_follows_kbuild_names_and_lab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_runs_in_order_in_the_new_folder, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mod_o_reused_while_mod_c_is_the_same, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_any_doubt_leaves_it_to_kbuild, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_rules_make_no_recipe, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
