/*
 * mynotes.c - the learner's notes repository: atomic writes and libgit2
 * commits of $KLAB_HOME/notes (see mynotes.h).
 */
#include "core/mynotes.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/catalog.h"
#include "core/frontmatter.h"
#include "core/fsutil.h"

#define S_MAX_NOTE (4 << 20) /* bytes a note may hold */

struct mynotes {
	char *dir;             /* home/notes */
	char *gitdir;          /* home/notes/.git */
	git_repository *repo;
	int lockfd;            /* .git/klab.lock, flocked by writers */
	long pause_ms;         /* test hook: sleep between a save's steps */
};

static int S_git_err(struct kl_err *err, const char *what, const char *dir)
{
	const git_error *e = git_error_last();

	return kl_err_set(err, "your notes (%s): %s: %s", dir, what,
			  e ? e->message : "unknown error");
}

/* The test hook's pause between two steps of a save (0: none). */
static void S_pause(const struct mynotes *m)
{
#ifdef KLAB_TEST_HOOKS
	if (m->pause_ms > 0) {
		struct timespec ts = { m->pause_ms / 1000, (m->pause_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
#else
	(void)m;
#endif
}

/* ---------------------------------------------------------------- locking */

/*
 * Takes the writers' lock, then removes the lock files and temporary files a
 * killed writer may have left: under the flock no klab is writing, so they
 * are stale.
 */
static int S_lock(struct mynotes *m, struct kl_err *err)
{
	if (flock(m->lockfd, LOCK_EX) < 0)
		return kl_err_errno(err, "cannot lock %s/klab.lock", m->gitdir);
	const char *stale[] = { "index.lock", "HEAD.lock" };
	for (size_t i = 0; i < sizeof(stale) / sizeof(stale[0]); i++) {
		char *p = kl_path_join(m->gitdir, stale[i]);
		unlink(p);
		free(p);
	}
	char *heads = kl_path_join(m->gitdir, "refs/heads");
	DIR *d = opendir(heads);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len > 5 && strcmp(de->d_name + len - 5, ".lock") == 0) {
			char *p = kl_path_join(heads, de->d_name);
			unlink(p);
			free(p);
		}
	}
	if (d)
		closedir(d);
	free(heads);
	/* and the temporary file of a save that was killed before its rename */
	char *tmp = kl_path_join(m->gitdir, "klab-tmp");
	kl_rm_rf(tmp, NULL);
	free(tmp);
	return 0;
}

static void S_unlock(struct mynotes *m)
{
	flock(m->lockfd, LOCK_UN);
}

/* ---------------------------------------------------------------- commits */

static int S_signature(struct mynotes *m, git_signature **sig, struct kl_err *err)
{
	if (git_signature_default(sig, m->repo) == 0)
		return 0;
	if (git_signature_now(sig, "klab", "klab@localhost") < 0)
		return S_git_err(err, "cannot make a commit signature", m->dir);
	return 0;
}

/* mynotes_commit_all without the lock. */
static int S_commit_all(struct mynotes *m, const char *message, int *committed,
			struct kl_err *err)
{
	git_index *idx = NULL;
	git_signature *sig = NULL;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, commit_id, head_id;
	int rc = -1;
	bool unborn = git_repository_head_unborn(m->repo) == 1;

	if (committed)
		*committed = 0;
	if (git_repository_index(&idx, m->repo) < 0 || git_index_read(idx, 1) < 0 ||
	    git_index_add_all(idx, NULL, GIT_INDEX_ADD_DEFAULT, NULL, NULL) < 0 ||
	    git_index_update_all(idx, NULL, NULL, NULL) < 0 || git_index_write(idx) < 0 ||
	    git_index_write_tree(&tree_id, idx) < 0) {
		S_git_err(err, "cannot stage the work tree", m->dir);
		goto out;
	}
	if (!unborn) {
		if (git_reference_name_to_id(&head_id, m->repo, "HEAD") < 0 ||
		    git_commit_lookup(&parent, m->repo, &head_id) < 0) {
			S_git_err(err, "cannot read HEAD", m->dir);
			goto out;
		}
		if (git_oid_equal(git_commit_tree_id(parent), &tree_id)) {
			rc = 0; /* nothing changed */
			goto out;
		}
	} else if (git_index_entrycount(idx) == 0) {
		rc = 0; /* nothing to commit yet */
		goto out;
	}
	if (git_tree_lookup(&tree, m->repo, &tree_id) < 0) {
		S_git_err(err, "cannot read the staged tree", m->dir);
		goto out;
	}
	if (S_signature(m, &sig, err) < 0)
		goto out;
	const git_commit *parents[1] = { parent };
	if (git_commit_create(&commit_id, m->repo, "HEAD", sig, sig, NULL, message, tree,
			      parent ? 1 : 0, parents) < 0) {
		S_git_err(err, "cannot commit", m->dir);
		goto out;
	}
	if (committed)
		*committed = 1;
	rc = 0;
out:
	git_tree_free(tree);
	git_commit_free(parent);
	git_signature_free(sig);
	git_index_free(idx);
	return rc;
}

int mynotes_commit_all(struct mynotes *m, const char *message, int *committed,
		       struct kl_err *err)
{
	if (S_lock(m, err) < 0)
		return -1;
	int rc = S_commit_all(m, message, committed, err);
	S_unlock(m);
	return rc;
}

/* ---------------------------------------------------------------- atomic write */

static int S_fsync_dir(const char *dir, struct kl_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return kl_err_errno(err, "cannot open %s", dir);
	int rc = fsync(fd) < 0 ? kl_err_errno(err, "cannot sync %s", dir) : 0;
	close(fd);
	return rc;
}

/*
 * Writes data as dir/FILE: a temporary file in .git/klab-tmp (outside the
 * work tree, so never staged), fsync, rename, fsync of the folder.
 */
static int S_write_atomic(struct mynotes *m, const char *file, const char *data, size_t len,
			  struct kl_err *err)
{
	char *tmpdir = kl_path_join(m->gitdir, "klab-tmp");
	char *tmp = kl_sprintf("%s/%s.%ld", tmpdir, file, (long)getpid());
	char *path = kl_path_join(m->dir, file);
	int fd = -1, rc = -1;

	if (kl_mkdir_p(tmpdir, 0755, err) < 0)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		kl_err_errno(err, "cannot create %s", tmp);
		goto out;
	}
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			kl_err_errno(err, "cannot write %s", tmp);
			goto out_unlink;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0) {
		kl_err_errno(err, "cannot sync %s", tmp);
		goto out_unlink;
	}
	close(fd);
	fd = -1;
	S_pause(m);
	if (rename(tmp, path) < 0) {
		kl_err_errno(err, "cannot rename %s to %s", tmp, path);
		goto out_unlink;
	}
	rc = S_fsync_dir(m->dir, err);
	S_pause(m);
	goto out;
out_unlink:
	unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	free(tmpdir);
	free(tmp);
	free(path);
	return rc;
}

/* ---------------------------------------------------------------- open, close */

/* What editors leave beside a file while it is open: never a note, never committed. */
static const char S_gitignore[] =
	"# Editors' temporary and backup files: klab commits everything else here.\n"
	".*.sw?\n*~\n.#*\n#*#\n4913\n.DS_Store\n";

/* Opens the repository, or creates it; *created says which. */
static int S_open_repo(struct mynotes *m, bool *created, struct kl_err *err)
{
	*created = false;
	if (git_repository_open_ext(&m->repo, m->dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0)
		return 0;
	git_repository_init_options opts;

	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_MKPATH;
	opts.initial_head = "main";
	if (git_repository_init_ext(&m->repo, m->dir, &opts) < 0)
		return S_git_err(err, "cannot create its git repository", m->dir);
	*created = true;
	return 0;
}

/* A new repository's first commit: its .gitignore (unless the folder has one). */
static int S_start(struct mynotes *m, struct kl_err *err)
{
	char *path = kl_path_join(m->dir, ".gitignore");
	bool have = kl_is_file(path);
	int rc;

	free(path);
	if (S_lock(m, err) < 0)
		return -1;
	rc = have ? 0 : S_write_atomic(m, ".gitignore", S_gitignore, sizeof(S_gitignore) - 1, err);
	if (rc == 0)
		rc = S_commit_all(m, "Start your notes", NULL, err);
	S_unlock(m);
	return rc;
}

int mynotes_open(const char *home, struct mynotes **out, struct kl_err *err)
{
	struct mynotes *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		abort();
	m->lockfd = -1;
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	m->dir = kl_path_join(home, "notes");
	m->gitdir = kl_path_join(m->dir, ".git");
#ifdef KLAB_TEST_HOOKS
	const char *pause = getenv("KLAB_TEST_SAVE_PAUSE_MS");
	m->pause_ms = pause ? strtol(pause, NULL, 10) : 0;
#endif
	bool created;
	if (kl_mkdir_p(m->dir, 0755, err) < 0 || S_open_repo(m, &created, err) < 0)
		goto out_close;
	char *lock = kl_path_join(m->gitdir, "klab.lock");
	m->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (m->lockfd < 0)
		kl_err_errno(err, "cannot open %s", lock);
	free(lock);
	if (m->lockfd < 0 || (created && S_start(m, err) < 0) ||
	    mynotes_commit_all(m, "Pick up changes made outside klab", NULL, err) < 0)
		goto out_close;
	*out = m;
	return 0;
out_close:
	mynotes_close(m);
	return -1;
}

void mynotes_close(struct mynotes *m)
{
	if (!m)
		return;
	if (m->lockfd >= 0)
		close(m->lockfd);
	git_repository_free(m->repo);
	free(m->dir);
	free(m->gitdir);
	free(m);
	git_libgit2_shutdown();
}

const char *mynotes_dir(const struct mynotes *m)
{
	return m->dir;
}

/* ---------------------------------------------------------------- names */

bool mynotes_name_ok(const char *name)
{
	return name && strlen(name) <= 80 && kl_valid_id(name);
}

char *mynotes_path(const struct mynotes *m, const char *name)
{
	return mynotes_name_ok(name) ? kl_sprintf("%s/%s.md", m->dir, name) : NULL;
}

char *mynotes_slug(const char *title)
{
	struct kl_buf b = KL_BUF_INIT;
	bool dash = false;

	for (const char *p = title; *p && b.len < 60; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && b.len)
				kl_buf_putc(&b, '-');
			kl_buf_putc(&b, (char)c);
			dash = false;
		} else {
			dash = true;
		}
	}
	if (!b.len)
		kl_buf_puts(&b, "note");
	return kl_buf_detach(&b);
}

/* ---------------------------------------------------------------- writes */

int mynotes_save(struct mynotes *m, const char *name, const char *text, size_t len,
		 const char *message, int *committed, struct kl_err *err)
{
	char *path = mynotes_path(m, name);
	char *msg = message ? kl_strdup(message) : kl_sprintf("Edit %s", name);
	int rc = -1;

	if (committed)
		*committed = 0;
	if (!path) {
		kl_err_set(err, "`%s` is not a note name: use a-z, 0-9, '-' and '_'", name);
		goto out_free;
	}
	if (len > S_MAX_NOTE) {
		kl_err_set(err, "%s: a note holds at most %d bytes", name, S_MAX_NOTE);
		goto out_free;
	}
	if (S_lock(m, err) < 0)
		goto out_free;
	if (S_commit_all(m, "Pick up changes made outside klab", NULL, err) < 0 ||
	    S_write_atomic(m, strrchr(path, '/') + 1, text, len, err) < 0 ||
	    S_commit_all(m, msg, committed, err) < 0)
		goto out_unlock;
	rc = 0;
out_unlock:
	S_unlock(m);
out_free:
	free(path);
	free(msg);
	return rc;
}

/* title as a YAML double-quoted scalar: control characters dropped, " and \ escaped. */
static void S_yaml_quote(const char *s, struct kl_buf *out)
{
	kl_buf_putc(out, '"');
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			continue;
		if (*p == '"' || *p == '\\')
			kl_buf_putc(out, '\\');
		kl_buf_putc(out, *p);
	}
	kl_buf_putc(out, '"');
}

int mynotes_new(struct mynotes *m, const char *title, const char *body, char **name,
		struct kl_err *err)
{
	char *slug = mynotes_slug(title);
	char *pick = NULL;
	struct kl_buf text = KL_BUF_INIT;
	char date[16];
	time_t now = time(NULL);
	struct tm tm;
	int rc = -1;

	*name = NULL;
	for (int i = 1; i < 1000 && !pick; i++) {
		char *cand = i == 1 ? kl_strdup(slug) : kl_sprintf("%s-%d", slug, i);
		char *path = kl_sprintf("%s/%s.md", m->dir, cand);
		if (!kl_is_file(path))
			pick = cand;
		else
			free(cand);
		free(path);
	}
	if (!pick) {
		kl_err_set(err, "%s/%s.md and 998 more names are taken: pick another title", m->dir,
			   slug);
		goto out;
	}
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	kl_buf_puts(&text, "---\ntitle: ");
	S_yaml_quote(title, &text);
	kl_buf_printf(&text, "\ndate: %s\n---\n# ", date);
	for (const char *p = title; *p; p++)
		kl_buf_putc(&text, (unsigned char)*p < 0x20 ? ' ' : *p);
	kl_buf_puts(&text, "\n\n");
	if (body)
		kl_buf_puts(&text, body);
	char *msg = kl_sprintf("Add %s", pick);
	rc = mynotes_save(m, pick, kl_buf_str(&text), text.len, msg, NULL, err);
	free(msg);
	if (rc == 0)
		*name = pick;
	else
		free(pick);
out:
	free(slug);
	kl_buf_release(&text);
	return rc;
}

static int S_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.md regular files of dir, sorted; kl_strv_free frees. */
static int S_md_files(const char *dir, char ***out, size_t *n, struct kl_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;

	*out = NULL;
	*n = 0;
	if (!d)
		return kl_err_errno(err, "cannot read the folder %s", dir);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 4 || de->d_name[0] == '.' || strcmp(de->d_name + len - 3, ".md") != 0)
			continue;
		char *path = kl_path_join(dir, de->d_name);
		bool reg = kl_is_file(path);
		free(path);
		if (!reg)
			continue;
		char **nv = realloc(v, (*n + 1) * sizeof(*nv));
		if (!nv)
			abort();
		v = nv;
		v[(*n)++] = kl_strdup(de->d_name);
	}
	closedir(d);
	if (*n)
		qsort(v, *n, sizeof(*v), S_cmp_str);
	*out = v;
	return 0;
}

int mynotes_import(struct mynotes *m, const char *dir, size_t *count, struct kl_err *err)
{
	char **files = NULL;
	size_t n = 0;
	struct kl_buf data = KL_BUF_INIT;
	int rc = -1;

	*count = 0;
	if (S_md_files(dir, &files, &n, err) < 0)
		return -1;
	if (n == 0) {
		kl_err_set(err, "%s holds no Markdown file (*.md): nothing to import", dir);
		goto out;
	}
	if (S_lock(m, err) < 0)
		goto out;
	if (S_commit_all(m, "Pick up changes made outside klab", NULL, err) < 0)
		goto out_unlock;
	for (size_t i = 0; i < n; i++) {
		char *base = kl_strndup(files[i], strlen(files[i]) - 3);
		char *name = mynotes_name_ok(base) ? kl_strdup(base) : mynotes_slug(base);
		char *file = kl_sprintf("%s.md", name);
		char *path = kl_path_join(dir, files[i]);
		kl_buf_reset(&data);
		int ok = kl_read_file(path, &data, S_MAX_NOTE, err) == 0 &&
			 S_write_atomic(m, file, kl_buf_str(&data), data.len, err) == 0;
		free(base);
		free(name);
		free(file);
		free(path);
		if (!ok)
			goto out_unlock;
		(*count)++;
	}
	char *msg = kl_sprintf("Import %zu note%s from %s", n, n == 1 ? "" : "s", dir);
	rc = S_commit_all(m, msg, NULL, err);
	free(msg);
out_unlock:
	S_unlock(m);
out:
	kl_strv_free(files, n);
	kl_buf_release(&data);
	return rc;
}

/* ---------------------------------------------------------------- reading */

/* The text of the first "# " heading of body, or NULL. Caller frees. */
static char *S_first_heading(const char *body, size_t len)
{
	for (const char *p = body, *end = body + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		if (eol - p > 2 && p[0] == '#' && p[1] == ' ') {
			const char *t = p + 2;
			while (t < eol && (*t == ' ' || *t == '\r'))
				t++;
			const char *e = eol;
			while (e > t && (e[-1] == ' ' || e[-1] == '\r' || e[-1] == '#'))
				e--;
			if (e > t)
				return kl_strndup(t, (size_t)(e - t));
		}
		p = eol + 1;
	}
	return NULL;
}

static void S_add_tag(struct mynotes_doc *doc, const char *tag)
{
	char **v = realloc(doc->tags, (doc->ntags + 1) * sizeof(*v));

	if (!v)
		abort();
	doc->tags = v;
	v[doc->ntags++] = kl_strdup(tag);
}

void mynotes_doc_parse(const char *text, size_t len, const char *name, struct mynotes_doc *doc)
{
	struct kl_fm fm;
	struct kl_err ignored;

	memset(doc, 0, sizeof(*doc));
	if (kl_fm_parse(text, len, &fm, &ignored) == 0) {
		const char *t = kl_fm_str(&fm, "title");
		const struct kl_fm_entry *tags = kl_fm_find(&fm, "tags");
		if (t && *t)
			doc->title = kl_strdup(t);
		if (tags && tags->type == KL_FM_SCALAR && *tags->value)
			S_add_tag(doc, tags->value);
		for (size_t i = 0; tags && tags->type == KL_FM_LIST && i < tags->n; i++)
			S_add_tag(doc, tags->items[i]);
		doc->body_offset = fm.body_offset;
		kl_fm_release(&fm);
	}
	if (!doc->title)
		doc->title = S_first_heading(text + doc->body_offset, len - doc->body_offset);
	if (!doc->title)
		doc->title = kl_strdup(name);
}

void mynotes_doc_release(struct mynotes_doc *doc)
{
	free(doc->title);
	kl_strv_free(doc->tags, doc->ntags);
	memset(doc, 0, sizeof(*doc));
}

static int S_cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct mynotes_entry *)a)->name,
		      ((const struct mynotes_entry *)b)->name);
}

int mynotes_list(struct mynotes *m, struct mynotes_entry **out, size_t *n, struct kl_err *err)
{
	char **files = NULL;
	size_t nf = 0;
	struct mynotes_entry *v = NULL;
	struct kl_buf text = KL_BUF_INIT;

	*out = NULL;
	*n = 0;
	if (S_md_files(m->dir, &files, &nf, err) < 0)
		return -1;
	for (size_t i = 0; i < nf; i++) {
		char *name = kl_strndup(files[i], strlen(files[i]) - 3);
		char *path = kl_path_join(m->dir, files[i]);
		struct kl_err ignored;
		struct stat sb;

		if (!mynotes_name_ok(name) || stat(path, &sb) < 0) {
			free(name);
			free(path);
			continue;
		}
		struct mynotes_entry *nv = realloc(v, (*n + 1) * sizeof(*nv));
		if (!nv)
			abort();
		v = nv;
		struct mynotes_entry *e = &v[(*n)++];
		e->name = name;
		e->title = NULL;
		e->mtime = (long long)sb.st_mtime;
		kl_buf_reset(&text);
		struct mynotes_doc doc;
		if (kl_read_file(path, &text, S_MAX_NOTE, &ignored) < 0)
			kl_buf_reset(&text);
		mynotes_doc_parse(kl_buf_str(&text), text.len, name, &doc);
		e->title = doc.title;
		doc.title = NULL;
		mynotes_doc_release(&doc);
		free(path);
	}
	kl_strv_free(files, nf);
	kl_buf_release(&text);
	if (*n)
		qsort(v, *n, sizeof(*v), S_cmp_entry);
	*out = v;
	return 0;
}

void mynotes_entries_free(struct mynotes_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].title);
	}
	free(v);
}
