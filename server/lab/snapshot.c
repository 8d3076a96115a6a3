/*
 * snapshot.c - keys, files and locks of saved lab VMs (see snapshot.h).
 */
#include "lab/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fsutil.h"
#include "core/hash.h"
#include "lab/pack.h"

/* Hashes a file's identity: real path, size and modification time. */
static uint64_t S_hash_identity(uint64_t h, const char *path)
{
	struct stat st;
	char *real = realpath(path, NULL);

	h = kl_hash_str(h, real ? real : path);
	if (real && stat(real, &st) == 0) {
		h = kl_hash(h, &st.st_size, sizeof(st.st_size));
		h = kl_hash(h, &st.st_mtim, sizeof(st.st_mtim));
	}
	free(real);
	return h;
}

/* argv[0] as found in PATH (caller frees), or a copy of it. */
static char *S_which(const char *prog)
{
	const char *path = getenv("PATH");

	if (strchr(prog, '/') || !path)
		return kl_strdup(prog);
	while (*path) {
		size_t n = strcspn(path, ":");
		char *cand = kl_sprintf("%.*s/%s", (int)n, path, prog);
		if (access(cand, X_OK) == 0)
			return cand;
		free(cand);
		path += n + (path[n] == ':');
	}
	return kl_strdup(prog);
}

/* A single-quoted word for /bin/sh (caller frees). */
static char *S_quote(const char *s)
{
	struct kl_buf b = KL_BUF_INIT;

	kl_buf_putc(&b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			kl_buf_puts(&b, "'\\''");
		else
			kl_buf_putc(&b, *s);
	}
	kl_buf_putc(&b, '\'');
	return kl_buf_detach(&b);
}

int lab_snapshot_base(const char *cache, const char *init, char *const *mods, size_t nmods,
		      char **initrd, struct kl_err *err)
{
	struct kl_buf data = KL_BUF_INIT;
	uint64_t h = kl_hash_str(KL_HASH_INIT, "klab-base-1");
	char *dir = kl_path_join(cache, "snapshots");
	int rc = -1;

	*initrd = NULL;
	if (kl_mkdir_p(dir, 0755, err) < 0)
		goto out;
	for (size_t i = 0; i <= nmods; i++) {
		const char *f = i == 0 ? init : mods[i - 1];
		kl_buf_reset(&data);
		if (kl_read_file(f, &data, 64u << 20, err) < 0)
			goto out;
		h = kl_hash_str(h, strrchr(f, '/') ? strrchr(f, '/') + 1 : f);
		h = kl_hash(h, data.ptr, data.len);
	}
	char *name = kl_sprintf("base-%016" PRIx64 ".cpio", h);
	*initrd = kl_path_join(dir, name);
	free(name);
	if (kl_is_file(*initrd)) {
		rc = 0;
		goto out;
	}
	char *tmp = kl_sprintf("%s.tmp.%ld", *initrd, (long)getpid());
	rc = lab_pack_base(init, mods, nmods, tmp, err);
	if (rc == 0 && rename(tmp, *initrd) < 0)
		rc = kl_err_errno(err, "cannot rename %s", tmp);
	if (rc < 0)
		unlink(tmp);
	free(tmp);
out:
	if (rc < 0) {
		free(*initrd);
		*initrd = NULL;
	}
	kl_buf_release(&data);
	free(dir);
	return rc;
}

int lab_snapshot_open(const char *cache, const char *profile, char *const *argv,
		      struct lab_snapshot *s, struct kl_err *err)
{
	uint64_t h = kl_hash_str(KL_HASH_INIT, "klab-snapshot-2"); /* 2: RAM in a file */

	memset(s, 0, sizeof(*s));
	s->lock_fd = -1;
	s->dir = kl_path_join(cache, "snapshots");
	if (kl_mkdir_p(s->dir, 0755, err) < 0) {
		lab_snapshot_close(s);
		return -1;
	}
	char *qemu = S_which(argv[0]);
	h = S_hash_identity(h, qemu);
	free(qemu);
	for (size_t i = 1; argv[i]; i++) {
		h = kl_hash_str(h, argv[i]);
		if (argv[i][0] == '/' && (strcmp(argv[i - 1], "-kernel") == 0 ||
					  strcmp(argv[i - 1], "-bios") == 0))
			h = S_hash_identity(h, argv[i]);
	}
	s->key = kl_sprintf("%016" PRIx64, h);
	char *base = kl_sprintf("%s/%s-%s", s->dir, profile, s->key);
	s->path = kl_sprintf("%s.vm.zst", base);
	s->ram = kl_sprintf("%s.ram", base);
	s->lock = kl_sprintf("%s.lock", base);
	free(base);
	return 0;
}

void lab_snapshot_close(struct lab_snapshot *s)
{
	lab_snapshot_finish(s, 0, NULL);
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	free(s->dir);
	free(s->key);
	free(s->path);
	free(s->ram);
	free(s->lock);
	memset(s, 0, sizeof(*s));
	s->lock_fd = -1;
}

bool lab_snapshot_exists(const struct lab_snapshot *s)
{
	return kl_is_file(s->path) && kl_is_file(s->ram);
}

int lab_snapshot_lock(struct lab_snapshot *s)
{
	if (s->lock_fd >= 0)
		return 1;
	int fd = open(s->lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return 0;
	}
	s->lock_fd = fd;
	return 1;
}

char *lab_snapshot_restore_uri(struct lab_snapshot *s)
{
	struct stat st;
	char *q = S_quote(s->path);
	char *uri = kl_sprintf("exec:zstd -dcq %s", q);

	s->restored = stat(s->path, &st) == 0 ? st.st_ino : 0;
	free(q);
	return uri;
}

/* path for a QEMU option value: its commas doubled (caller frees). */
static char *S_option_value(const char *path)
{
	struct kl_buf b = KL_BUF_INIT;

	for (; *path; path++) {
		if (*path == ',')
			kl_buf_putc(&b, ',');
		kl_buf_putc(&b, *path);
	}
	return kl_buf_detach(&b);
}

char *lab_snapshot_ram_option(struct lab_snapshot *s, long memory_mb, int save)
{
	if (save) {
		free(s->ram_tmp);
		s->ram_tmp = kl_sprintf("%s.tmp.%ld", s->ram, (long)getpid());
		unlink(s->ram_tmp); /* QEMU makes it, sized, and maps it shared */
	}
	char *v = S_option_value(save ? s->ram_tmp : s->ram);
	char *opt = kl_sprintf("memory-backend-file,id=" LAB_SNAPSHOT_RAM_ID ",size=%ldM,"
			       "mem-path=%s,share=%s", memory_mb, v, save ? "on" : "off");
	free(v);
	return opt;
}

void lab_snapshot_discard(struct lab_snapshot *s)
{
	struct stat st;
	int locked = lab_snapshot_lock(s);

	if (locked && s->restored && stat(s->path, &st) == 0 && st.st_ino == s->restored) {
		unlink(s->path);
		unlink(s->ram); /* the state goes first: without it the RAM is never read */
	}
	s->restored = 0;
}

char *lab_snapshot_save_uri(struct lab_snapshot *s)
{
	free(s->tmp);
	s->tmp = kl_sprintf("%s.tmp.%ld", s->path, (long)getpid());
	char *q = S_quote(s->tmp);
	char *uri = kl_sprintf("exec:zstd -1 -qc > %s", q);
	free(q);
	return uri;
}

/* A zstd skippable frame (magic, length 8) with the hash of the bytes before it. */
#define S_SEAL_MAGIC 0x184D2A5Bu
#define S_SEAL_LEN 16

/* The seal's hash: the saved state's bytes and the RAM file's identity. */
static int S_seal_hash(const struct kl_buf *state, size_t len, const char *ram, uint64_t *h,
		       struct kl_err *err)
{
	struct stat st;

	if (stat(ram, &st) < 0)
		return kl_err_errno(err, "cannot read %s", ram);
	*h = kl_hash(KL_HASH_INIT, state->ptr, len);
	*h = kl_hash(*h, &st.st_size, sizeof(st.st_size));
	*h = kl_hash(*h, &st.st_mtim, sizeof(st.st_mtim));
	*h = kl_hash(*h, &st.st_ino, sizeof(st.st_ino));
	return 0;
}

static void S_seal_bytes(uint64_t h, unsigned char out[S_SEAL_LEN])
{
	uint32_t magic = S_SEAL_MAGIC, len = 8;

	for (int i = 0; i < 4; i++) {
		out[i] = (unsigned char)(magic >> (8 * i));
		out[4 + i] = (unsigned char)(len >> (8 * i));
	}
	for (int i = 0; i < 8; i++)
		out[8 + i] = (unsigned char)(h >> (8 * i));
}

/* Appends the seal to a finished save whose RAM is the file ram. */
static int S_seal(const char *path, const char *ram, struct kl_err *err)
{
	struct kl_buf data = KL_BUF_INIT;
	unsigned char seal[S_SEAL_LEN];
	uint64_t h = 0;
	int rc = kl_read_file(path, &data, 4u << 30, err);

	if (rc == 0)
		rc = S_seal_hash(&data, data.len, ram, &h, err);
	if (rc == 0) {
		S_seal_bytes(h, seal);
		FILE *f = fopen(path, "ae");
		if (!f || fwrite(seal, 1, sizeof(seal), f) != sizeof(seal))
			rc = kl_err_errno(err, "cannot write %s", path);
		if (f && fclose(f) != 0 && rc == 0)
			rc = kl_err_errno(err, "cannot write %s", path);
	}
	kl_buf_release(&data);
	return rc;
}

int lab_snapshot_verify(const struct lab_snapshot *s, struct kl_err *err)
{
	struct kl_buf data = KL_BUF_INIT;
	unsigned char seal[S_SEAL_LEN];
	uint64_t h = 0;
	int rc = kl_read_file(s->path, &data, 4u << 30, err);

	if (rc == 0 && data.len < S_SEAL_LEN)
		rc = kl_err_set(err, "%s is truncated", s->path);
	if (rc == 0)
		rc = S_seal_hash(&data, data.len - S_SEAL_LEN, s->ram, &h, err);
	if (rc == 0) {
		S_seal_bytes(h, seal);
		if (memcmp(seal, data.ptr + data.len - S_SEAL_LEN, S_SEAL_LEN) != 0)
			rc = kl_err_set(err, "%s or its RAM file %s changed since it was saved "
					"(damaged)", s->path, s->ram);
	}
	kl_buf_release(&data);
	return rc;
}

#define S_PRUNE_AGE (7 * 24 * 3600) /* seconds a snapshot may go unread before it goes */

/*
 * Deletes what no run will read again: snapshots and base initramfs files not
 * read for S_PRUNE_AGE (atime, which relatime still moves once a day), and
 * unfinished saves of runs that are gone.
 */
static void S_prune(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	time_t now = time(NULL);

	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat st;
		char *path = kl_path_join(dir, de->d_name);
		const char *tmp = strstr(de->d_name, ".tmp.");
		int old = stat(path, &st) == 0 && now - st.st_atime > S_PRUNE_AGE &&
			  now - st.st_mtime > S_PRUNE_AGE;
		int mine = strstr(de->d_name, ".vm.zst") || strstr(de->d_name, ".ram") ||
			   strncmp(de->d_name, "base-", 5) == 0;
		if (tmp && kill((pid_t)atol(tmp + 5), 0) < 0 && errno == ESRCH)
			unlink(path);
		else if (mine && !tmp && old)
			unlink(path);
		free(path);
	}
	closedir(d);
}

int lab_snapshot_finish(struct lab_snapshot *s, int commit, struct kl_err *err)
{
	int rc = 0;

	if (!s->tmp && !s->ram_tmp)
		return 0;
	if (commit && (!s->tmp || !s->ram_tmp))
		rc = kl_err_set(err, "a snapshot's save needs its state and its RAM file");
	if (commit && rc == 0)
		rc = S_seal(s->tmp, s->ram_tmp, err);
	/* the RAM first: a state file in place always has its RAM beside it */
	if (commit && rc == 0 && rename(s->ram_tmp, s->ram) < 0)
		rc = kl_err_errno(err, "cannot rename %s", s->ram_tmp);
	if (commit && rc == 0 && rename(s->tmp, s->path) < 0)
		rc = kl_err_errno(err, "cannot rename %s", s->tmp);
	if (!commit || rc < 0) {
		if (s->tmp)
			unlink(s->tmp);
		if (s->ram_tmp)
			unlink(s->ram_tmp);
	}
	free(s->tmp);
	free(s->ram_tmp);
	s->tmp = s->ram_tmp = NULL;
	if (commit && rc == 0)
		S_prune(s->dir);
	return rc;
}
