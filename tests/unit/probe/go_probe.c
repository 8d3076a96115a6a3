/*
 * go_probe.c - a program built with klab_test.h for test_spawner.c: prints
 * what a test program sees once main() runs (its folder, its process group,
 * which descriptors beyond 0-2 are open, whether KLAB_GO_FD is still set).
 * Started with KLAB_GO_FD, it must print nothing before its go.
 */
#include "klab_test.h"

int main(void)
{
	char cwd[256] = "?", extra[512] = "";

	for (int fd = 3; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "%d,", fd);
	if (!getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, "?");
	printf("main cwd=%s own_group=%d fds=%s go_env=%s\n", cwd, getpgrp() == getpid(),
	       extra, getenv("KLAB_GO_FD") ? "set" : "unset");
	return 0;
}
