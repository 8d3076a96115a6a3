/*
 * doctor.c - `klab doctor`: checks that this machine can run labs (QEMU, its
 * firmware, the kernel profile's kernel and headers, Kbuild, a static libc,
 * busybox, the guest init) and says what to install for each thing missing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/fsutil.h"
#include "core/proc.h"
#include "lab/profile.h"

static int S_check(int ok, const char *what, const char *fix)
{
	printf("  %-4s %s", ok ? "ok" : "MISS", what);
	if (!ok && fix)
		printf("\n       fix: %s", fix);
	putchar('\n');
	return ok;
}

/* True when `argv` runs and exits 0; its first output line goes to first. */
static int S_runs(char **argv, char *first, size_t size)
{
	struct kl_buf out = KL_BUF_INIT;
	struct kl_proc_result res;
	int ok = kl_proc_run(argv, NULL, NULL, 20, &out, 4096, &res, NULL) == 0 && res.exited &&
		 res.status == 0;

	snprintf(first, size, "%.*s", (int)strcspn(kl_buf_str(&out), "\n"), kl_buf_str(&out));
	kl_buf_release(&out);
	return ok;
}

int cmd_doctor(int argc, char **argv, const struct kl_config *cfg)
{
	struct lab_profile p;
	struct kl_err err = { "" };
	const char *kernel = LAB_PROFILE_DEFAULT;
	char line[256], what[512];
	int ok = 1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--kernel") == 0 && i + 1 < argc)
			kernel = argv[++i];
		else if (strcmp(argv[i], "--kernel") == 0)
			return cli_usage("doctor", "option `--kernel` needs a value");
		else
			return cli_usage("doctor", "unknown argument `%s`", argv[i]);
	}
	printf("klab doctor (source %s, home %s, cache %s)\n", cfg->root, cfg->home, cfg->cache);
	char *qemu[] = { "qemu-system-x86_64", "--version", NULL };
	int q = S_runs(qemu, line, sizeof(line));
	snprintf(what, sizeof(what), "QEMU: %s", q ? line : "qemu-system-x86_64 not found");
	ok &= S_check(q, what, "apt-get install qemu-system-x86");
	ok &= S_check(kl_is_file("/usr/share/qemu/qboot.rom"), "QEMU firmware qboot.rom",
		      "apt-get install qemu-system-data");
	char *zstd[] = { "zstd", "--version", NULL };
	ok &= S_check(S_runs(zstd, line, sizeof(line)), "zstd (saves and restores VM snapshots)",
		      "apt-get install zstd");
	char *gcc[] = { "gcc", "--version", NULL };
	int g = S_runs(gcc, line, sizeof(line));
	snprintf(what, sizeof(what), "compiler: %s", g ? line : "gcc not found");
	ok &= S_check(g, what, "apt-get install build-essential");
	char *makev[] = { "make", "--version", NULL };
	ok &= S_check(S_runs(makev, line, sizeof(line)), "make", "apt-get install make");
	ok &= S_check(kl_is_file("/usr/lib/x86_64-linux-gnu/libc.a"), "static libc (guest tests)",
		      "apt-get install libc6-dev");
	ok &= S_check(kl_is_file("/bin/busybox"), "busybox (guest shell)",
		      "apt-get install busybox-static");
	char *init = kl_path_join(cfg->bindir, "klab-init");
	snprintf(what, sizeof(what), "guest init %s", init);
	ok &= S_check(kl_is_file(init), what, "build klab with `make`");
	free(init);
	if (lab_profile_load(cfg, kernel, &p, &err) < 0) {
		S_check(0, err.msg, NULL);
		return 1;
	}
	snprintf(what, sizeof(what), "kernel profile %s: %s %s", p.name, p.title,
		 p.release ? p.release : "(not fetched)");
	int kok = lab_profile_check(&p, &err) == 0;
	ok &= S_check(kok, what, kok ? NULL : err.msg);
	if (kok) {
		snprintf(what, sizeof(what), "headers %s", p.headers);
		ok &= S_check(1, what, NULL);
	}
	lab_profile_release(&p);
	printf(ok ? "everything klab needs is here\n"
		  : "some things are missing: `make setup` installs them all\n");
	return ok ? 0 : 1;
}
