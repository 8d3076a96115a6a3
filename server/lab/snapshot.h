/*
 * snapshot.h - saved lab VMs under $KLAB_CACHE/snapshots/: a VM booted to the
 * point where klab's /init waits for its run (channel open, no lab content
 * yet). Its RAM is a file: the VM that saves runs on it shared
 * (memory-backend-file,share=on) and migrates with x-ignore-shared, so the
 * migration (`migrate exec:zstd`) holds only the devices' state, a few KB. A
 * restore maps the RAM file private (share=off: the guest's writes are
 * copy-on-write, the file never changes) and takes the devices' state with
 * `-incoming defer` and migrate-incoming. Nothing is copied or decompressed:
 * the guest faults in the pages it touches from the page cache. (A RAM
 * stream restored into anonymous memory cost 0.25-0.3 s of the host zeroing
 * and copying huge pages; this answers in about 0.12 s.)
 *
 * A snapshot is keyed by everything that shapes the saved state: the base
 * initramfs (klab-init and the modules that open the channel, by content, in
 * its file name), the kernel image, QEMU's binary and firmware (by identity:
 * real path, size, mtime) and every other QEMU argument (machine, cpu, smp,
 * memory, the kernel command line). Any change gives another key, so a stale
 * snapshot is never restored. Files are written to a temporary name and
 * renamed; one run at a time saves a key (flock), the others boot cold.
 *
 * QEMU cannot tell a damaged snapshot from a good one (a flipped byte in a
 * page of RAM restores fine), so a save ends with a zstd skippable frame
 * holding the hash of what precedes it and of the RAM file's identity (size,
 * modification time, inode: hashing its ~170 MB would cost more than the
 * restore); lab_snapshot_verify checks it while QEMU restores (zstd skips such
 * frames). Anything that writes the RAM file moves its modification time.
 */
#ifndef KLAB_LAB_SNAPSHOT_H
#define KLAB_LAB_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/err.h"

struct lab_snapshot {
	char *dir;     /* $KLAB_CACHE/snapshots */
	char *key;     /* 16 hex digits */
	char *path;    /* <dir>/<profile>-<key>.vm.zst: the saved devices' state */
	char *ram;     /* <dir>/<profile>-<key>.ram: the saved RAM */
	char *lock;    /* <dir>/<profile>-<key>.lock */
	char *tmp;     /* the file a save is writing, NULL when none */
	char *ram_tmp; /* the RAM file of the VM that saves, NULL when none */
	int lock_fd;   /* >= 0 while this run holds the right to save */
	ino_t restored; /* inode of the file a restore read (to discard only that one) */
};

/*
 * The base initramfs of init and the channel modules mods (load order), named
 * by their content under $KLAB_CACHE/snapshots and written when missing.
 * *initrd (caller frees) is its path.
 */
int lab_snapshot_base(const char *cache, const char *init, char *const *mods, size_t nmods,
		      char **initrd, struct kl_err *err);
/*
 * Keys the snapshot of a VM started with argv (QEMU's command line, without
 * -incoming) for profile. Release with lab_snapshot_close.
 */
int lab_snapshot_open(const char *cache, const char *profile, char *const *argv,
		      struct lab_snapshot *s, struct kl_err *err);
/* Gives up the save lock and removes an unfinished save. Harmless twice. */
void lab_snapshot_close(struct lab_snapshot *s);

bool lab_snapshot_exists(const struct lab_snapshot *s);
/* 1 when this run may save the snapshot (it holds the key's lock), 0 when another run is. */
int lab_snapshot_lock(struct lab_snapshot *s);
/* The migrate-incoming URI that restores it (caller frees); notes which file it reads. */
char *lab_snapshot_restore_uri(struct lab_snapshot *s);
/*
 * QEMU's RAM option of a VM that saves (share=on, a new file) or restores
 * (share=off, the saved file) the snapshot: "memory-backend-file,..." with
 * the id LAB_SNAPSHOT_RAM_ID (caller frees). Saving needs the lock.
 */
#define LAB_SNAPSHOT_RAM_ID "klab.ram"
char *lab_snapshot_ram_option(struct lab_snapshot *s, long memory_mb, int save);
/* 0 when the snapshot's content matches its hash, else -1 with err. */
int lab_snapshot_verify(const struct lab_snapshot *s, struct kl_err *err);
/* Deletes the snapshot a restore failed on (unless a new one replaced it since). */
void lab_snapshot_discard(struct lab_snapshot *s);
/* The `migrate` URI of a save (caller frees); needs the lock and the VM on the save's RAM. */
char *lab_snapshot_save_uri(struct lab_snapshot *s);
/*
 * Puts a completed save in place (0), or removes it (commit 0). Commit only
 * once the QEMU that saved has exited: the RAM file must not change after its
 * identity is sealed. After a save, snapshots unread for a week and
 * unfinished saves of dead runs are deleted.
 */
int lab_snapshot_finish(struct lab_snapshot *s, int commit, struct kl_err *err);

#endif
