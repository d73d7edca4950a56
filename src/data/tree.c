/*
 * Hashing declared data: a file, or a directory tree walked without
 * following any symbolic link in it, its files hashed on every core. See
 * include/envlock/data.h for the manifest a tree's address is made from.
 *
 * The walk opens each directory relative to its parent with O_NOFOLLOW and
 * checks that it is the directory the walk saw there, and files are opened
 * from the tree's root with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS):
 * a directory swapped for a link while envlock works (it may run as root,
 * on a tree a job can write) fails the hash instead of leading it out of
 * the tree.
 */
#include "envlock/data.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "data/datacache.h"
#include "data/manifest.h"
#include "util/buf.h"
#include "util/cache.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/parallel.h"
#include "util/sha256.h"
#include "util/text.h"

/* A file the walk found, waiting for its digest. */
typedef struct pending {
	size_t entry;      /* index into the tree's entries */
	struct stat st;    /* as the walk saw it */
	int rc;            /* EL_OK, or the failure */
	char error[512];
} pending;

typedef struct walk {
	const char *top;   /* the path the user gave, for messages */
	el_data_tree *tree;
	size_t cap;
	pending *jobs;
	size_t job_count, job_cap;
	el__datacache *cache;
	const el_data_options *options;
	int rootfd;
	el__buf rel;       /* the relative path of the directory being walked */
} walk;

/* "TOP/REL/NAME" for messages (NAME may be NULL: the directory itself). */
static void where(el__buf *out, const walk *w, const char *name)
{
	el__buf_init(out);
	el__buf_puts(out, w->top);
	if (w->rel.len) {
		el__buf_putc(out, '/');
		el__buf_puts(out, w->rel.data);
	}
	if (name && *name) {
		el__buf_putc(out, '/');
		el__buf_puts(out, name);
	}
}

/* Fail with code and "TOP/REL/NAME: what" (what NULL: strerror(errno)). */
static int fail_at(const walk *w, const char *name, int code, const char *what)
{
	int err = errno, ret;
	el__buf b;

	where(&b, w, name);
	if (el__buf_failed(&b))
		ret = el__error_oom();
	else if (what)
		ret = el__error(code, "%s: %s", b.data, what);
	else
		ret = el__error(code, "%s: %s", b.data, strerror(err));
	el__buf_free(&b);
	return ret;
}

static const char *kind_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFSOCK: return "a socket";
	case S_IFIFO: return "a FIFO";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	default: return "not a file, directory or symbolic link";
	}
}

static int refuse_kind(const walk *w, const char *name, mode_t mode)
{
	char what[128];

	snprintf(what, sizeof(what), "%s cannot be locked as data (only files, directories and symbolic links)",
		 kind_name(mode));
	return fail_at(w, name, EL_EINVAL, what);
}

static el_data_entry *add_entry(walk *w, const char *name, const struct stat *st)
{
	el_data_tree *t = w->tree;
	el_data_entry *e;

	if (t->count == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		el_data_entry *grown = realloc(t->entries, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		t->entries = grown;
		w->cap = cap;
	}
	e = &t->entries[t->count];
	memset(e, 0, sizeof(*e));
	if (w->rel.len)
		e->path = asprintf(&e->path, "%s/%s", w->rel.data, name) < 0 ? NULL : e->path;
	else
		e->path = strdup(name);
	if (!e->path)
		return NULL;
	e->mode = st->st_mode & (S_IFMT | 07777);
	e->size = (unsigned long long)st->st_size;
	t->count++;
	return e;
}

/* A regular file: from the cache, or queued for hashing. */
static int add_file(walk *w, const char *name, const struct stat *st)
{
	el_data_entry *e = add_entry(w, name, st);
	unsigned char md[32];

	if (!e)
		return el__error_oom();
	if (el__datacache_get(w->cache, st, md)) {
		el__hex(e->sha256, md, 32);
		return EL_OK;
	}
	if (w->job_count == w->job_cap) {
		size_t cap = w->job_cap ? w->job_cap * 2 : 64;
		pending *grown = realloc(w->jobs, cap * sizeof(*grown));

		if (!grown)
			return el__error_oom();
		w->jobs = grown;
		w->job_cap = cap;
	}
	w->jobs[w->job_count++] = (pending){ .entry = w->tree->count - 1, .st = *st };
	return EL_OK;
}

/* A symbolic link: recorded by its target's text, never followed. */
static int add_link(walk *w, int dirfd, const char *name, const struct stat *st)
{
	char target[4097];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target));
	el_data_entry *e;

	if (n < 0)
		return fail_at(w, name, EL_ERROR, NULL);
	if ((size_t)n >= sizeof(target))
		return fail_at(w, name, EL_EINVAL, "link target too long");
	if (!(e = add_entry(w, name, st)))
		return el__error_oom();
	e->size = (unsigned long long)n;
	return el__sha256_hex(e->sha256, target, (size_t)n);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

/* What el_data_options.python_source leaves out, by name (see data.h). */
static bool python_byproduct(const walk *w, const char *name, mode_t mode)
{
	static const char *const dirs[] = { "__pycache__", ".eggs", ".tox", ".nox", ".mypy_cache",
					    ".pytest_cache", ".ruff_cache", ".hg", ".svn", NULL };

	if (strcmp(name, ".git") == 0)
		return true;
	if (S_ISREG(mode))
		return ends_with(name, ".pyc") || ends_with(name, ".pyo");
	if (!S_ISDIR(mode))
		return false;
	for (const char *const *d = dirs; *d; d++)
		if (strcmp(name, *d) == 0)
			return true;
	if (ends_with(name, ".egg-info"))
		return true;
	return !w->rel.len && (strcmp(name, "build") == 0 || strcmp(name, "dist") == 0);
}

static int walk_dir(walk *w, int dirfd);

static int descend(walk *w, int dirfd, const char *name, const struct stat *st)
{
	size_t saved = w->rel.len;
	struct stat opened;
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), ret;

	if (fd < 0 && errno == EMFILE)
		return fail_at(w, name, EL_ERROR, "the tree is too deep to walk (out of file descriptors)");
	if (fd < 0 && errno != ELOOP && errno != ENOTDIR && errno != ENOENT)
		return fail_at(w, name, EL_ERROR, NULL);
	if (fd < 0 || fstat(fd, &opened) != 0 || opened.st_dev != st->st_dev || opened.st_ino != st->st_ino) {
		if (fd >= 0)
			close(fd);
		return fail_at(w, name, EL_ERROR, "changed while it was hashed");
	}
	if (w->rel.len)
		el__buf_putc(&w->rel, '/');
	el__buf_puts(&w->rel, name);
	ret = el__buf_failed(&w->rel) ? el__error_oom() : walk_dir(w, fd);
	el__buf_truncate(&w->rel, saved);
	close(fd);
	return ret;
}

/* Everything below dirfd (closed by the caller). */
static int walk_dir(walk *w, int dirfd)
{
	int fd = dup(dirfd), ret = EL_OK;
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *d;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return fail_at(w, NULL, EL_ERROR, NULL);
	}
	while (ret == EL_OK) {
		struct stat st;

		errno = 0;
		if (!(d = readdir(dir))) {
			if (errno)
				ret = fail_at(w, NULL, EL_ERROR, NULL);
			break;
		}
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			ret = fail_at(w, d->d_name, EL_ERROR, NULL);
			break;
		}
		if (w->options->python_source && python_byproduct(w, d->d_name, st.st_mode))
			continue;
		if (w->options->max_entries && w->tree->count >= w->options->max_entries &&
		    (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
			ret = el__error(EL_ERROR, "%s: more than %zu files, not hashed", w->top, w->options->max_entries);
			break;
		}
		if (S_ISDIR(st.st_mode))
			ret = descend(w, dirfd, d->d_name, &st);
		else if (S_ISREG(st.st_mode))
			ret = add_file(w, d->d_name, &st);
		else if (S_ISLNK(st.st_mode))
			ret = add_link(w, dirfd, d->d_name, &st);
		else
			ret = refuse_kind(w, d->d_name, st.st_mode);
	}
	closedir(dir);
	return ret;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       el__mtime_ns(a) == el__mtime_ns(b) && el__ctime_ns(a) == el__ctime_ns(b);
}

#define FILE_FLAGS (O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)

/*
 * The same walk one component at a time, for kernels before 5.6, seccomp
 * filters that answer ENOSYS or EPERM for openat2, and valgrind: rel comes
 * from readdir (no "." or ".." in it), so no link followed means beneath.
 */
static int open_by_components(int rootfd, const char *rel)
{
	int dirfd = rootfd, fd, err;
	const char *slash;
	char name[NAME_MAX + 1];

	while ((slash = strchr(rel, '/'))) {
		size_t len = (size_t)(slash - rel);

		if (len > NAME_MAX) {
			fd = -1;
			errno = ENAMETOOLONG;
			goto done;
		}
		memcpy(name, rel, len);
		name[len] = '\0';
		fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dirfd != rootfd) {
			err = errno;
			close(dirfd);
			errno = err;
		}
		if (fd < 0)
			return -1;
		dirfd = fd;
		rel = slash + 1;
	}
	fd = openat(dirfd, rel, FILE_FLAGS);
done:
	if (dirfd != rootfd) {
		err = errno;
		close(dirfd);
		errno = err;
	}
	return fd;
}

/* Open a file of the tree from its root, no link on the way. */
static int open_beneath(int rootfd, const char *rel)
{
	static int no_openat2;
	struct open_how how = {
		.flags = FILE_FLAGS,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (__atomic_load_n(&no_openat2, __ATOMIC_RELAXED))
		return open_by_components(rootfd, rel);
	fd = (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS)
		__atomic_store_n(&no_openat2, 1, __ATOMIC_RELAXED);
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		return open_by_components(rootfd, rel);
	return fd;
}

/*
 * Hash one queued file. It must still be the file the walk saw, and must
 * not change while it is read: a torn digest is never recorded.
 */
static void hash_pending(void *data, size_t i)
{
	walk *w = data;
	pending *job = &w->jobs[i];
	el_data_entry *e = &w->tree->entries[job->entry];
	const char *rel = w->tree->directory ? e->path : NULL;
	struct stat before, after;
	int fd = rel ? open_beneath(w->rootfd, rel) : dup(w->rootfd);

	if (fd >= 0 && !rel)
		lseek(fd, 0, SEEK_SET);
	/* The walk is over: w->rel is empty, so messages name TOP/PATH. */
	if (fd < 0 && errno == ELOOP)
		job->rc = fail_at(w, e->path, EL_ERROR, "changed while it was hashed (a link appeared on its path)");
	else if (fd < 0)
		job->rc = fail_at(w, e->path, EL_ERROR, NULL);
	else if (fstat(fd, &before) != 0 || !same_file(&before, &job->st))
		job->rc = fail_at(w, e->path, EL_ERROR, "changed while it was hashed");
	else {
		el__buf name;

		/* A read error names the file, not the tree. */
		where(&name, w, e->path);
		job->rc = el__buf_failed(&name) ? el__error_oom() : el__sha256_fd(e->sha256, fd, name.data);
		el__buf_free(&name);
		if (job->rc == EL_OK && (fstat(fd, &after) != 0 || !same_file(&after, &before)))
			job->rc = fail_at(w, e->path, EL_ERROR, "changed while it was hashed");
	}
	if (fd >= 0)
		close(fd);
	if (job->rc != EL_OK)
		snprintf(job->error, sizeof(job->error), "%s", el_error_last());
}

static unsigned nibble(char c)
{
	return c <= '9' ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
}

/* 64 lowercase hex digits (as el__hex writes them) back into 32 bytes. */
static void unhex(unsigned char md[32], const char *hex)
{
	for (int b = 0; b < 32; b++)
		md[b] = (unsigned char)(nibble(hex[2 * b]) << 4 | nibble(hex[2 * b + 1]));
}

static int hash_all(walk *w, unsigned threads)
{
	el__parallel_for(w->job_count, threads, hash_pending, w);
	for (size_t i = 0; i < w->job_count; i++) {
		const pending *job = &w->jobs[i];
		unsigned char md[32];

		if (job->rc != EL_OK)
			return el__error(job->rc, "%s", job->error);
		unhex(md, w->tree->entries[job->entry].sha256);
		if (el__datacache_put(w->cache, &job->st, md) != EL_OK)
			return EL_ENOMEM;
	}
	return EL_OK;
}

static int compare_paths(const void *a, const void *b)
{
	return strcmp(((const el_data_entry *)a)->path, ((const el_data_entry *)b)->path);
}

static int tree_digest(el_data_tree *t)
{
	char hex[EL_SHA256_HEX];
	int ret;

	if (!t->directory) {
		snprintf(t->digest, sizeof(t->digest), "sha256:%s", t->entries[0].sha256);
		return EL_OK;
	}
	ret = el__data_manifest_digest(hex, t);
	if (ret == EL_OK)
		snprintf(t->digest, sizeof(t->digest), "sha256:%s", hex);
	return ret;
}

/* The top of a path a job could have written: no link on the way, beneath dirfd when relative. */
static int open_no_links(const char *path, int dirfd)
{
	struct open_how how = {
		.flags = O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | (path[0] == '/' ? 0 : RESOLVE_BENEATH),
	};

	return (int)syscall(SYS_openat2, path[0] == '/' ? AT_FDCWD : dirfd, path, &how, sizeof(how));
}

static int open_top(walk *w, const char *path, el_data_tree *t, const el_data_options *options)
{
	struct stat st;

	/* The path the user named is followed (unless a job could have written it); nothing below it is. */
	if (options->no_links) {
		w->rootfd = open_no_links(path, options->dirfd);
		if (w->rootfd < 0 && (errno == ELOOP || errno == EXDEV))
			return el__error(EL_EINVAL, "%s: a symbolic link on the way (or out of the working directory), not followed",
					 path);
	} else {
		w->rootfd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	}
	/* A socket cannot be opened: tell it by its type. */
	if (w->rootfd < 0 && (errno == ENXIO || errno == EOPNOTSUPP) &&
	    fstatat(options->no_links && path[0] != '/' ? options->dirfd : AT_FDCWD, path, &st,
		    options->no_links ? AT_SYMLINK_NOFOLLOW : 0) == 0)
		return refuse_kind(w, NULL, st.st_mode);
	if (w->rootfd < 0)
		return el__error_errno(errno == ENOENT || errno == ENOTDIR ? EL_ENOTFOUND : EL_ERROR, "%s", path);
	if (fstat(w->rootfd, &st) != 0)
		return el__error_errno(EL_ERROR, "%s", path);
	if (S_ISDIR(st.st_mode)) {
		t->directory = true;
		return walk_dir(w, w->rootfd);
	}
	if (!S_ISREG(st.st_mode))
		return refuse_kind(w, NULL, st.st_mode);
	return add_file(w, "", &st);
}

int el_data_hash(el_data_tree **out, const char *path, const el_data_options *options)
{
	static const el_data_options defaults;
	el_data_tree *t = calloc(1, sizeof(*t));
	walk w = { .top = path, .tree = t, .rootfd = -1, .options = options };
	char *dir = NULL;
	const char *why = NULL;
	int ret;

	*out = NULL;
	if (!options)
		options = &defaults;
	w.options = options;
	el__buf_init(&w.rel);
	if (!t)
		return el__error_oom();
	if (!options->cache_dir)
		dir = el__cache_default_dir();
	ret = el__datacache_open(&w.cache, options->cache_dir ? options->cache_dir : dir, &why);
	if (ret == EL_OK)
		ret = open_top(&w, path, t, options);
	if (ret == EL_OK)
		ret = hash_all(&w, options->threads);
	if (ret == EL_OK && t->directory && t->count > 1)
		qsort(t->entries, t->count, sizeof(*t->entries), compare_paths);
	if (ret == EL_OK)
		ret = tree_digest(t);
	/* A cache that cannot be written only costs time next run. */
	if (ret == EL_OK)
		el__datacache_save(w.cache);
	if (w.rootfd >= 0)
		close(w.rootfd);
	el__datacache_free(w.cache);
	el__buf_free(&w.rel);
	free(w.jobs);
	free(dir);
	if (ret != EL_OK) {
		el_data_tree_free(t);
		return ret;
	}
	*out = t;
	return EL_OK;
}

void el_data_tree_free(el_data_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->count; i++)
		free(t->entries[i].path);
	free(t->entries);
	free(t);
}
