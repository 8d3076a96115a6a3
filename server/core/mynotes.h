/*
 * mynotes.h - the learner's own notes: $KLAB_HOME/notes/, a git repository
 * that klab creates and commits to through libgit2. One Markdown file a note,
 * NAME.md, NAME made of [a-z0-9_-].
 *
 * Every write is atomic and then committed: the new text goes to a temporary
 * file inside .git/ (never seen as a note), is fsynced and renamed over
 * NAME.md, the folder is fsynced, then the whole work tree is committed. A
 * process killed at any point leaves NAME.md holding either the old or the
 * new text, and the repository at its last good commit; the next
 * mynotes_open() (any klab command or page that touches the notes) commits
 * whatever the work tree holds that HEAD does not, which is also how files
 * written by another editor are picked up.
 *
 * Writers hold an flock on .git/klab.lock, so a `klab note` command and a
 * running `klab serve` never commit over each other; under it, lock files
 * that a killed writer left (index.lock, the branch's .lock) are removed.
 * A struct mynotes holds a libgit2 repository handle: one thread at a time.
 */
#ifndef KLAB_MYNOTES_H
#define KLAB_MYNOTES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

struct mynotes;

struct mynotes_entry {
	char *name;        /* file name without .md */
	char *title;       /* front matter title, else the name */
	long long mtime;   /* unix seconds of the file */
};

/*
 * Opens home/notes, creating the folder and its repository when missing (its
 * first commit, "Start your notes", holds a .gitignore for editors' swap and
 * backup files), and commits what the work tree holds beyond HEAD ("Pick up
 * changes made outside klab"). mynotes_close() frees.
 */
int mynotes_open(const char *home, struct mynotes **out, struct kl_err *err);
void mynotes_close(struct mynotes *m);

/* The notes folder (absolute). */
const char *mynotes_dir(const struct mynotes *m);

/* True for a note name: kl_valid_id and at most 80 bytes. */
bool mynotes_name_ok(const char *name);

/* dir/NAME.md, or NULL when name is not a note name. Caller frees. */
char *mynotes_path(const struct mynotes *m, const char *name);

/*
 * A note name for title: lowercase ASCII letters and digits, every other run
 * of characters one '-', at most 60 bytes; "note" when nothing is left.
 * Caller frees.
 */
char *mynotes_slug(const char *title);

/*
 * Creates a note for title: the first free name of slug, slug-2, slug-3...;
 * front matter (title, date) and a first heading, then body (may be NULL).
 * Commits it. *name gets the name (caller frees).
 */
int mynotes_new(struct mynotes *m, const char *title, const char *body, char **name,
		struct kl_err *err);

/*
 * Writes text as NAME.md atomically and commits it with message (NULL: "Edit
 * NAME"). *committed (may be NULL) is 0 when the text equals what was there.
 */
int mynotes_save(struct mynotes *m, const char *name, const char *text, size_t len,
		 const char *message, int *committed, struct kl_err *err);

/*
 * Commits every change of the work tree (new, changed and removed files) as
 * one commit with message; *committed (may be NULL) is 0 when nothing changed.
 */
int mynotes_commit_all(struct mynotes *m, const char *message, int *committed,
		       struct kl_err *err);

/*
 * Copies every *.md file of dir (not below it) into the notes, atomically
 * each, keeping names that are note names and making one from the rest
 * (mynotes_slug); an existing note of the same name is replaced. One commit.
 * *count gets the number of files copied.
 */
int mynotes_import(struct mynotes *m, const char *dir, size_t *count, struct kl_err *err);

/*
 * What a page needs of a note's text, from front matter when the text has one
 * (Hexo and Jekyll fields too: `tags` as a list or a word) and from the text
 * when it has none or it cannot be read: title is the front matter's, else the
 * first `# ` heading, else name. Never fails. mynotes_doc_release() frees.
 */
struct mynotes_doc {
	char *title;
	char **tags;
	size_t ntags;
	size_t body_offset; /* where the Markdown body starts */
};
void mynotes_doc_parse(const char *text, size_t len, const char *name, struct mynotes_doc *doc);
void mynotes_doc_release(struct mynotes_doc *doc);

/* The notes, sorted by name. mynotes_entries_free() frees. */
int mynotes_list(struct mynotes *m, struct mynotes_entry **out, size_t *n, struct kl_err *err);
void mynotes_entries_free(struct mynotes_entry *v, size_t n);

/*
 * Test hook: when the environment has KLAB_TEST_SAVE_PAUSE_MS=N, every save
 * sleeps N ms between its steps (temporary file written, renamed, committed)
 * so a test can kill klab in the middle of one. Read once per mynotes_open.
 */

#endif
