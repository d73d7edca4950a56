/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hashing declared data: a file, or a directory tree walked without
 * following any symbolic link in it, its files hashed on every core. See
 * include/envlock/data.h for the manifest a tree's address is made from.
 *
 * The walk (walk.c, on several threads) opens each directory relative to
 * its parent with O_NOFOLLOW and checks that it is the directory the walk
 * saw there, and files are opened from the tree's root with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): a directory swapped for
 * a link while envlock works (it may run as root, on a tree a job can
 * write) fails the hash instead of leading it out of the tree.
 */
#include "envlock/data.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <unistd.h>

#include "data/datacache.h"
#include "data/manifest.h"
#include "data/walk.h"
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
	/* Progress (options->progress): what is read so far, reported under the lock. */
	pthread_mutex_t progress_lock;
	el_data_progress progress;
	el_data_tree *tree;
	pending *jobs;
	size_t job_count;
	el__datacache *cache;
	const el_data_options *options;
	int rootfd;
} walk;

/* A single file: its digest from the cache, or queued for hashing. */
static int add_file(walk *w, const struct stat *st)
{
	el_data_tree *t = w->tree;
	el_data_entry *e;
	unsigned char md[32];

	if (!(t->entries = calloc(1, sizeof(*t->entries))) || !(t->entries[0].path = strdup("")))
		return el__error_oom();
	e = &t->entries[0];
	t->count = 1;
	e->mode = st->st_mode & (S_IFMT | 07777);
	e->size = (unsigned long long)st->st_size;
	if (el__datacache_get(w->cache, st, md)) {
		el__hex(e->sha256, md, 32);
		return EL_OK;
	}
	if (!(w->jobs = calloc(1, sizeof(*w->jobs))))
		return el__error_oom();
	w->jobs[0] = (pending){ .entry = 0, .st = *st };
	w->job_count = 1;
	return EL_OK;
}

/* A directory: the walk (see walk.h), its misses queued for hashing. */
static int add_tree(walk *w)
{
	el__data_walk_in in = { .rootfd = w->rootfd, .top = w->top, .options = w->options, .cache = w->cache,
				.threads = w->options->threads };
	el__data_miss *misses = NULL;
	size_t count = 0;
	int ret = el__data_walk(w->tree, &misses, &count, &in);

	if (ret == EL_OK && count && !(w->jobs = calloc(count, sizeof(*w->jobs))))
		ret = el__error_oom();
	for (size_t i = 0; ret == EL_OK && i < count; i++)
		w->jobs[i] = (pending){ .entry = misses[i].entry, .st = misses[i].st };
	if (ret == EL_OK)
		w->job_count = count;
	free(misses);
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

/* A chunk of n bytes read (or, n == 0, a file done): the caller's progress callback told, one call at a time. */
static void report(walk *w, size_t n, bool file_done)
{
	pthread_mutex_lock(&w->progress_lock);
	w->progress.bytes_done += n;
	w->progress.files_done += file_done;
	w->options->progress(w->options->progress_data, &w->progress);
	pthread_mutex_unlock(&w->progress_lock);
}

static void read_bytes(void *data, size_t n)
{
	report(data, n, false);
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
	if (fd < 0 && errno == ELOOP)
		job->rc = el__data_fail(w->top, "", e->path, EL_ERROR, "changed while it was hashed (a link appeared on its path)");
	else if (fd < 0)
		job->rc = el__data_fail(w->top, "", e->path, EL_ERROR, NULL);
	else if (fstat(fd, &before) != 0 || !same_file(&before, &job->st))
		job->rc = el__data_fail(w->top, "", e->path, EL_ERROR, "changed while it was hashed");
	else {
		el__buf name;

		/* A read error names the file, not the tree. */
		el__buf_init(&name);
		el__buf_puts(&name, w->top);
		if (*e->path) {
			el__buf_putc(&name, '/');
			el__buf_puts(&name, e->path);
		}
		job->rc = el__buf_failed(&name) ? el__error_oom()
			  : w->options->progress ? el__sha256_fd_counting(e->sha256, fd, name.data, read_bytes, w)
						 : el__sha256_fd(e->sha256, fd, name.data);
		el__buf_free(&name);
		if (job->rc == EL_OK && (fstat(fd, &after) != 0 || !same_file(&after, &before)))
			job->rc = el__data_fail(w->top, "", e->path, EL_ERROR, "changed while it was hashed");
	}
	if (fd >= 0)
		close(fd);
	if (job->rc != EL_OK)
		snprintf(job->error, sizeof(job->error), "%s", el_error_last());
	else if (w->options->progress)
		report(w, 0, true);
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
	if (w->options->progress && w->job_count) {
		w->progress.doing = "hashing";
		w->progress.path = w->top;
		w->progress.files_total = w->job_count;
		for (size_t i = 0; i < w->job_count; i++)
			w->progress.bytes_total += (unsigned long long)w->jobs[i].st.st_size;
		report(w, 0, false);
	}
	if (w->job_count > 1)
		el__parallel_for(w->job_count, el__data_threads(threads), hash_pending, w);
	else if (w->job_count)
		hash_pending(w, 0);
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
		return el__data_refuse_kind(path, "", NULL, st.st_mode);
	if (w->rootfd < 0)
		return el__error_errno(errno == ENOENT || errno == ENOTDIR ? EL_ENOTFOUND : EL_ERROR, "%s", path);
	if (fstat(w->rootfd, &st) != 0)
		return el__error_errno(EL_ERROR, "%s", path);
	if (S_ISDIR(st.st_mode)) {
		t->directory = true;
		return add_tree(w);
	}
	if (!S_ISREG(st.st_mode))
		return el__data_refuse_kind(path, "", NULL, st.st_mode);
	return add_file(w, &st);
}

int el_data_hash(el_data_tree **out, const char *path, const el_data_options *options)
{
	static const el_data_options defaults;
	el_data_tree *t = calloc(1, sizeof(*t));
	walk w = { .top = path, .tree = t, .rootfd = -1, .options = options, .progress_lock = PTHREAD_MUTEX_INITIALIZER };
	char *dir = NULL;
	const char *why = NULL;
	int ret;

	*out = NULL;
	if (!options)
		options = &defaults;
	w.options = options;
	if (!t)
		return el__error_oom();
	if (!options->cache_dir)
		dir = el__cache_default_dir();
	ret = el__datacache_open(&w.cache, options->cache_dir ? options->cache_dir : dir, &why);
	if (ret == EL_OK)
		ret = open_top(&w, path, t, options);
	if (ret == EL_OK)
		ret = hash_all(&w, options->threads);
	if (ret == EL_OK)
		ret = tree_digest(t);
	/* A cache that cannot be written only costs time next run. */
	if (ret == EL_OK)
		el__datacache_save(w.cache);
	if (w.rootfd >= 0)
		close(w.rootfd);
	el__datacache_free(w.cache);
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
