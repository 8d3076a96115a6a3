/*
 * test_snapshot.c - unit tests of snapshot keys, seals and locks (lab/snapshot.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "lab/snapshot.h"

static char *cache_dir(void)
{
	char tmpl[] = "/tmp/klab-snap-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return kl_strdup(tmpl);
}

static char *key_of(const char *cache, char **argv)
{
	struct lab_snapshot s;
	struct kl_err err = { "" };

	assert_int_equal(lab_snapshot_open(cache, "debug", argv, &s, &err), 0);
	char *key = kl_strdup(s.key);
	lab_snapshot_close(&s);
	return key;
}

static void test_key_follows_every_argument(void **state)
{
	char *cache = cache_dir();
	char *a[] = { "qemu-system-x86_64", "-cpu", "qemu64", "-m", "512", NULL };
	char *b[] = { "qemu-system-x86_64", "-cpu", "qemu64,+svm,+npt", "-m", "512", NULL };
	char *c[] = { "qemu-system-x86_64", "-cpu", "qemu64", "-m", "256", NULL };
	char *d[] = { "qemu-system-x86_64", "-cpu", "qemu64", "-m5", "12", NULL };

	(void)state;
	char *ka = key_of(cache, a), *ka2 = key_of(cache, a), *kb = key_of(cache, b);
	char *kc = key_of(cache, c), *kd = key_of(cache, d);
	assert_string_equal(ka, ka2);
	assert_string_not_equal(ka, kb);
	assert_string_not_equal(ka, kc);
	assert_string_not_equal(ka, kd);
	free(ka), free(ka2), free(kb), free(kc), free(kd);
	kl_rm_rf(cache, NULL);
	free(cache);
}

static void test_kernel_identity_in_key(void **state)
{
	char *cache = cache_dir();
	char *kernel = kl_path_join(cache, "vmlinuz");
	char *a[] = { "qemu-system-x86_64", "-kernel", kernel, NULL };
	struct kl_err err = { "" };

	(void)state;
	assert_int_equal(kl_write_file(kernel, "one", 3, &err), 0);
	char *k1 = key_of(cache, a);
	assert_int_equal(kl_write_file(kernel, "other", 5, &err), 0); /* size and mtime move */
	char *k2 = key_of(cache, a);
	assert_string_not_equal(k1, k2);
	free(k1), free(k2), free(kernel);
	kl_rm_rf(cache, NULL);
	free(cache);
}

/*
 * A save: QEMU runs on the new RAM file (here: written), the "migration"
 * writes the state file, finish seals both and renames them.
 */
static void save(struct lab_snapshot *s, const char *content)
{
	struct kl_err err = { "" };

	free(lab_snapshot_ram_option(s, 512, 1));
	assert_non_null(s->ram_tmp);
	assert_int_equal(kl_write_file(s->ram_tmp, "the RAM", 7, &err), 0);
	free(lab_snapshot_save_uri(s));
	assert_non_null(s->tmp);
	assert_int_equal(kl_write_file(s->tmp, content, strlen(content), &err), 0);
	assert_int_equal(lab_snapshot_finish(s, 1, &err), 0);
	assert_false(kl_is_file(s->ram_tmp ? s->ram_tmp : "/nonexistent"));
}

/* QEMU's RAM option: the save's new file shared, the saved file private; commas doubled. */
static void test_ram_option(void **state)
{
	char tmpl[] = "/tmp/klab-snap,comma-XXXXXX";
	char *argv[] = { "qemu-system-x86_64", "-m", "512", NULL };
	struct lab_snapshot s;
	struct kl_err err = { "" };

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(lab_snapshot_open(tmpl, "debug", argv, &s, &err), 0);
	char *restore = lab_snapshot_ram_option(&s, 512, 0);
	assert_non_null(strstr(restore, "memory-backend-file,id=" LAB_SNAPSHOT_RAM_ID ",size=512M,"));
	assert_non_null(strstr(restore, "/tmp/klab-snap,,comma-"));
	assert_non_null(strstr(restore, ".ram,share=off"));
	assert_int_equal(lab_snapshot_lock(&s), 1);
	char *save_opt = lab_snapshot_ram_option(&s, 256, 1);
	assert_non_null(strstr(save_opt, "size=256M,"));
	assert_non_null(strstr(save_opt, ".ram.tmp."));
	assert_non_null(strstr(save_opt, ",share=on"));
	free(restore), free(save_opt);
	lab_snapshot_close(&s);
	kl_rm_rf(tmpl, NULL);
}

static void test_seal_catches_damage(void **state)
{
	char *cache = cache_dir();
	char *argv[] = { "qemu-system-x86_64", "-m", "512", NULL };
	struct lab_snapshot s;
	struct kl_err err = { "" };
	struct kl_buf data = KL_BUF_INIT;

	(void)state;
	assert_int_equal(lab_snapshot_open(cache, "debug", argv, &s, &err), 0);
	assert_false(lab_snapshot_exists(&s));
	assert_int_equal(lab_snapshot_lock(&s), 1);
	save(&s, "the saved state of a VM");
	assert_true(lab_snapshot_exists(&s));
	assert_int_equal(lab_snapshot_verify(&s, &err), 0);

	assert_int_equal(kl_read_file(s.path, &data, 1 << 20, &err), 0);
	data.ptr[4] ^= 1;
	assert_int_equal(kl_write_file(s.path, data.ptr, data.len, &err), 0);
	assert_int_equal(lab_snapshot_verify(&s, &err), -1);
	assert_non_null(strstr(err.msg, "damaged"));

	assert_int_equal(kl_write_file(s.path, "x", 1, &err), 0);
	assert_int_equal(lab_snapshot_verify(&s, &err), -1);

	/* a good state, and its RAM file written since: damaged too */
	save(&s, "the saved state of a VM");
	assert_int_equal(lab_snapshot_verify(&s, &err), 0);
	struct timespec later[2] = { { 0, UTIME_OMIT }, { time(NULL) + 5, 0 } };
	assert_int_equal(kl_write_file(s.ram, "the RAM", 7, &err), 0); /* same size */
	assert_int_equal(utimensat(AT_FDCWD, s.ram, later, 0), 0);
	assert_int_equal(lab_snapshot_verify(&s, &err), -1);
	assert_non_null(strstr(err.msg, "RAM file"));
	char *ram = kl_strdup(s.ram);

	free(lab_snapshot_restore_uri(&s));
	lab_snapshot_discard(&s);
	assert_false(lab_snapshot_exists(&s));
	assert_false(kl_is_file(ram));
	free(ram);
	kl_buf_release(&data);
	lab_snapshot_close(&s);
	kl_rm_rf(cache, NULL);
	free(cache);
}

static void test_one_saver_per_key(void **state)
{
	char *cache = cache_dir();
	char *argv[] = { "qemu-system-x86_64", "-m", "512", NULL };
	struct lab_snapshot a, b;
	struct kl_err err = { "" };

	(void)state;
	assert_int_equal(lab_snapshot_open(cache, "debug", argv, &a, &err), 0);
	assert_int_equal(lab_snapshot_open(cache, "debug", argv, &b, &err), 0);
	assert_int_equal(lab_snapshot_lock(&a), 1);
	assert_int_equal(lab_snapshot_lock(&b), 0);
	/* an unfinished save leaves nothing behind */
	free(lab_snapshot_ram_option(&a, 512, 1));
	free(lab_snapshot_save_uri(&a));
	char *tmp = kl_strdup(a.tmp), *ram_tmp = kl_strdup(a.ram_tmp);
	assert_int_equal(kl_write_file(tmp, "half", 4, &err), 0);
	assert_int_equal(kl_write_file(ram_tmp, "half", 4, &err), 0);
	lab_snapshot_close(&a);
	assert_false(kl_is_file(tmp));
	assert_false(kl_is_file(ram_tmp));
	free(ram_tmp);
	assert_int_equal(lab_snapshot_lock(&b), 1);
	free(tmp);
	lab_snapshot_close(&b);
	kl_rm_rf(cache, NULL);
	free(cache);
}

static void test_base_named_by_content(void **state)
{
	char *cache = cache_dir();
	char *init = kl_path_join(cache, "klab-init");
	char *i1 = NULL, *i2 = NULL, *i3 = NULL;
	struct kl_err err = { "" };

	(void)state;
	assert_int_equal(kl_write_file(init, "init v1", 7, &err), 0);
	assert_int_equal(lab_snapshot_base(cache, init, NULL, 0, &i1, &err), 0);
	assert_int_equal(lab_snapshot_base(cache, init, NULL, 0, &i2, &err), 0);
	assert_string_equal(i1, i2);
	assert_true(kl_is_file(i1));
	assert_int_equal(kl_write_file(init, "init v2", 7, &err), 0);
	assert_int_equal(lab_snapshot_base(cache, init, NULL, 0, &i3, &err), 0);
	assert_string_not_equal(i1, i3);
	free(i1), free(i2), free(i3), free(init);
	kl_rm_rf(cache, NULL);
	free(cache);
}

static void test_save_prunes_the_unused(void **state)
{
	char *cache = cache_dir();
	char *argv[] = { "qemu-system-x86_64", "-m", "512", NULL };
	struct lab_snapshot s;
	struct kl_err err = { "" };
	char *old = kl_sprintf("%s/snapshots/debug-0000000000000000.vm.zst", cache);
	char *recent = kl_sprintf("%s/snapshots/cloud-1111111111111111.vm.zst", cache);
	char *dead = kl_sprintf("%s/snapshots/debug-2222222222222222.vm.zst.tmp.999999999", cache);
	char *old_ram = kl_sprintf("%s/snapshots/debug-0000000000000000.ram", cache);
	char *dead_ram = kl_sprintf("%s/snapshots/debug-2222222222222222.ram.tmp.999999999", cache);
	struct timeval month_ago[2] = { { time(NULL) - 30 * 86400, 0 }, { time(NULL) - 30 * 86400, 0 } };

	(void)state;
	assert_int_equal(lab_snapshot_open(cache, "debug", argv, &s, &err), 0);
	assert_int_equal(kl_write_file(old, "old", 3, &err), 0);
	assert_int_equal(utimes(old, month_ago), 0);
	assert_int_equal(kl_write_file(recent, "recent", 6, &err), 0);
	assert_int_equal(kl_write_file(dead, "half", 4, &err), 0);
	assert_int_equal(kl_write_file(old_ram, "old", 3, &err), 0);
	assert_int_equal(utimes(old_ram, month_ago), 0);
	assert_int_equal(kl_write_file(dead_ram, "half", 4, &err), 0);
	assert_int_equal(lab_snapshot_lock(&s), 1);
	save(&s, "state");
	assert_false(kl_is_file(old));
	assert_false(kl_is_file(dead));
	assert_false(kl_is_file(old_ram));
	assert_false(kl_is_file(dead_ram));
	assert_true(kl_is_file(recent));
	assert_true(lab_snapshot_exists(&s));
	lab_snapshot_close(&s);
	free(old), free(recent), free(dead), free(old_ram), free(dead_ram);
	kl_rm_rf(cache, NULL);
	free(cache);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_follows_every_argument),
		cmocka_unit_test(test_kernel_identity_in_key),
		cmocka_unit_test(test_seal_catches_damage),
		cmocka_unit_test(test_ram_option),
		cmocka_unit_test(test_one_saver_per_key),
		cmocka_unit_test(test_base_named_by_content),
		cmocka_unit_test(test_save_prunes_the_unused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
