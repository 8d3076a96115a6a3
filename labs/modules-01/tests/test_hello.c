/*
 * test_hello.c - guest tests of lab modules-01. /init loaded hello.ko with
 * greeting=klab count=3; this program checks its parameters and messages,
 * unloads it, and loads it again with default and invalid parameters.
 */
#include <sys/stat.h>

#include "klab_test.h"

#define KO "/klab/modules/hello.ko"
#define PARAMS "/sys/module/hello/parameters/"

static void check_mode(const char *name, const char *path, unsigned int want)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		kt_check(name, 0, "%s: %s", path, strerror(errno));
		return;
	}
	kt_check(name, (st.st_mode & 0777) == want, "%s: expected mode %o, got %o", path, want,
		 st.st_mode & 0777);
}

static void check_param(const char *name, const char *param, const char *want)
{
	char path[256], got[256];

	snprintf(path, sizeof(path), PARAMS "%s", param);
	int n = kt_read_file(path, got, sizeof(got));
	if (n < 0) {
		kt_check(name, 0, "cannot read %s: %s", path, strerror(-n));
		return;
	}
	kt_check(name, strcmp(got, want) == 0, "%s: expected \"%s\", got \"%s\"", path, want, got);
}

int main(void)
{
	kt_plan(11);
	check_param("greeting_param", "greeting", "klab");
	check_mode("greeting_mode", PARAMS "greeting", 0644);
	check_param("count_param", "count", "3");
	check_mode("count_mode", PARAMS "count", 0444);
	kt_check("load_message", kt_kmsg_contains("hello: loaded with greeting=\"klab\" count=3"),
		 "no kernel log line `hello: loaded with greeting=\"klab\" count=3`");

	int rc = kt_rmmod("hello");
	struct stat st;
	kt_check("clean_unload", rc == 0 && stat("/sys/module/hello", &st) < 0,
		 "delete_module(\"hello\"): %s; /sys/module/hello %s",
		 rc ? strerror(-rc) : "ok", stat("/sys/module/hello", &st) == 0 ? "still there" : "gone");
	kt_check("unload_message", kt_kmsg_contains("hello: unloaded"),
		 "no kernel log line `hello: unloaded` after unloading");

	rc = kt_insmod(KO, "");
	if (rc < 0) {
		kt_check("default_params", 0, "loading without parameters failed: %s", strerror(-rc));
	} else {
		char g[64] = "", c[64] = "";
		kt_read_file(PARAMS "greeting", g, sizeof(g));
		kt_read_file(PARAMS "count", c, sizeof(c));
		kt_check("default_params", strcmp(g, "world") == 0 && strcmp(c, "1") == 0,
			 "expected greeting \"world\" and count 1, got \"%s\" and \"%s\"", g, c);
		kt_rmmod("hello");
	}

	rc = kt_insmod(KO, "count=0");
	kt_check("rejects_count_0", rc == -EINVAL, "loading with count=0: expected %s, got %s",
		 strerror(EINVAL), rc ? strerror(-rc) : "success");
	if (rc == 0)
		kt_rmmod("hello");
	int level = kt_kmsg_level("hello: ", 3);
	kt_check("rejects_logs_error", level >= 0, "after loading with count=0, expected a kernel "
		 "log line starting with `hello: ` at level KERN_ERR (pr_err), found none");
	rc = kt_insmod(KO, "count=11");
	kt_check("rejects_count_11", rc == -EINVAL, "loading with count=11: expected %s, got %s",
		 strerror(EINVAL), rc ? strerror(-rc) : "success");
	if (rc == 0)
		kt_rmmod("hello");
	return kt_done();
}
