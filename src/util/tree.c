/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Walking and copying trees a job controlled: see tree.h. Every step is
 * relative to a descriptor, and the source is never trusted to stay what
 * it was a moment ago (a name that changed type is looked at again through
 * the descriptor that was opened, not through its name).
 */
#include "util/tree.h"

#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/fs.h"
#include "util/error.h"

/*
 * A directory of the copy. Made only when something goes in it (unless
 * eager_dirs), so that a walk of empty scratch mounts writes nothing.
 */
typedef struct level {
	struct level *up;
	int fd; /* -1 until made */
	const char *name;
	mode_t mode;
} level;

static int level_open(el__tree_walk *w, level *l, const char *path)
{
	if (l->fd >= 0)
		return EL_OK;
	if (level_open(w, l->up, path) != EL_OK)
		return EL_ERROR;
	if (mkdirat(l->up->fd, l->name, l->mode) != 0 && errno != EEXIST)
		return el__error_errno(EL_ERROR, "%s: making its directory", path);
	/* An existing link where the directory goes is refused, never followed. */
	l->fd = openat(l->up->fd, l->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (l->fd < 0 && (errno == ENOTDIR || errno == ELOOP))
		return el__error(EL_ERROR, "%s: where its directory goes is not a directory (a link is never followed)",
				 path);
	if (l->fd < 0)
		return el__error_errno(EL_ERROR, "%s: opening its directory", path);
	return EL_OK;
}

/* Make room for name in dir: a non-directory there is removed (the name itself, never a link's target). */
static int clear_name(int dir, const char *name, const char *path)
{
	if (unlinkat(dir, name, 0) != 0 && errno != ENOENT)
		return el__error_errno(EL_ERROR, "%s: replacing what is there", path);
	return EL_OK;
}

/* Bytes [from, to) of in to the same place in out. */
static int copy_range(int in, int out, off_t from, off_t to, const char *path)
{
	char buf[64 * 1024];

	while (from < to) {
		size_t want = (size_t)(to - from) < sizeof(buf) ? (size_t)(to - from) : sizeof(buf);
		ssize_t n = pread(in, buf, want, from);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return el__error_errno(EL_ERROR, "%s: reading", path);
		if (n == 0)
			return EL_OK; /* shorter than it was */
		for (ssize_t done = 0; done < n;) {
			ssize_t m = pwrite(out, buf + done, (size_t)(n - done), from + done);

			if (m < 0 && errno == EINTR)
				continue;
			if (m <= 0)
				return el__error_errno(EL_ERROR, "%s: writing", path);
			done += m;
		}
		from += n;
	}
	return EL_OK;
}

/*
 * The data of in (size bytes) to out, holes kept as holes: a job can make
 * a terabyte-long sparse file in a tmpfs for the price of nothing, and
 * its copy must cost no more on the host's disk.
 */
static int copy_bytes(int in, int out, off_t size, const char *path)
{
	off_t pos = 0;

	while (pos < size) {
		off_t data = lseek(in, pos, SEEK_DATA), hole;
		int ret;

		if (data < 0 && errno == ENXIO)
			break; /* a hole up to the end */
		if (data < 0) { /* no SEEK_DATA here: the rest is data */
			if ((ret = copy_range(in, out, pos, size, path)) != EL_OK)
				return ret;
			break;
		}
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			hole = size;
		if ((ret = copy_range(in, out, data, hole, path)) != EL_OK)
			return ret;
		pos = hole;
	}
	if (ftruncate(out, size) != 0)
		return el__error_errno(EL_ERROR, "%s: writing", path);
	return EL_OK;
}

static int copy_file(el__tree_walk *w, int from, const char *name, level *dst, const char *path)
{
	/* O_NONBLOCK: a FIFO put here since the walk looked must not stall it. */
	int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), out = -1, ret;
	struct stat st;

	if (in < 0)
		return el__error_errno(EL_ERROR, "%s", path);
	if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(in);
		return el__error(EL_ERROR, "%s: changed while it was copied", path);
	}
	ret = level_open(w, dst, path);
	if (ret == EL_OK)
		ret = clear_name(dst->fd, name, path);
	if (ret == EL_OK) {
		out = openat(dst->fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0)
			ret = el__error_errno(EL_ERROR, "%s: creating the copy", path);
	}
	if (ret == EL_OK)
		ret = copy_bytes(in, out, st.st_size, path);
	/* Its permission bits, set-user-ID and set-group-ID left out. */
	if (ret == EL_OK && fchmod(out, st.st_mode & 01777) != 0)
		ret = el__error_errno(EL_ERROR, "%s: setting its mode", path);
	if (out >= 0 && close(out) != 0 && ret == EL_OK)
		ret = el__error_errno(EL_ERROR, "%s: writing", path);
	/* A copy cut short (a full disk) would pass for the file: none is left. */
	if (out >= 0 && ret != EL_OK)
		unlinkat(dst->fd, name, 0);
	close(in);
	return ret;
}

static int copy_link(el__tree_walk *w, int from, const char *name, level *dst, const char *path)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(from, name, target, sizeof(target) - 1);
	int ret;

	if (n < 0)
		return el__error_errno(EL_ERROR, "%s", path);
	target[n] = '\0';
	ret = level_open(w, dst, path);
	if (ret == EL_OK)
		ret = clear_name(dst->fd, name, path);
	/* A link to anywhere is only text here: it is made, never followed. */
	if (ret == EL_OK && symlinkat(target, dst->fd, name) != 0)
		ret = el__error_errno(EL_ERROR, "%s: creating the link", path);
	return ret;
}

static int walk_dir(el__tree_walk *w, int from, level *dst, el__buf *path, size_t depth);

/* One entry of from: st is its lstat. */
static int walk_one(el__tree_walk *w, int from, const char *name, const struct stat *st, level *dst, el__buf *path,
		    size_t depth)
{
	int ret = EL_OK;

	if (S_ISDIR(st->st_mode)) {
		level sub = { .up = dst, .fd = -1, .name = name,
			      .mode = w->keep_dir_modes ? ((st->st_mode & 0777) | 0700) : 0755 };
		int child;

		if (depth >= w->max_depth) {
			if (!w->too_deep && !(w->too_deep = strdup(path->data)))
				return el__error_oom();
			return EL_OK;
		}
		child = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child < 0)
			return el__error_errno(EL_ERROR, "%s", path->data);
		if (dst && w->eager_dirs)
			ret = level_open(w, &sub, path->data);
		if (ret == EL_OK)
			ret = walk_dir(w, child, dst ? &sub : NULL, path, depth + 1);
		else
			close(child);
		if (sub.fd >= 0)
			close(sub.fd);
		return ret;
	}
	w->files++;
	if (w->found && (ret = w->found(w->ctx, path->data)) != EL_OK)
		return ret;
	if (!dst)
		return EL_OK;
	if (S_ISREG(st->st_mode))
		ret = copy_file(w, from, name, dst, path->data);
	else if (S_ISLNK(st->st_mode))
		ret = copy_link(w, from, name, dst, path->data);
	else {
		w->skipped++;
		return EL_OK;
	}
	if (ret == EL_OK)
		w->kept++;
	return ret;
}

/* Below from (closed here), depth directories down. */
static int walk_dir(el__tree_walk *w, int from, level *dst, el__buf *path, size_t depth)
{
	size_t len = path->len;
	struct dirent *e;
	int ret = EL_OK;
	DIR *d = fdopendir(from);

	if (!d) {
		close(from);
		return el__error_errno(EL_ERROR, "%s", len ? path->data : "/");
	}
	while (ret == EL_OK) {
		struct stat st;

		errno = 0;
		if (!(e = readdir(d))) {
			if (errno)
				ret = el__error_errno(EL_ERROR, "%s", len ? path->data : "/");
			break;
		}
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (w->entries >= w->max_entries) {
			w->too_many = true;
			break;
		}
		w->entries++;
		el__buf_truncate(path, len);
		el__buf_putc(path, '/');
		el__buf_puts(path, e->d_name);
		if (el__buf_failed(path)) {
			ret = el__error_oom();
			break;
		}
		if (w->skip && w->skip(w->ctx, path->data))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT)
				continue; /* gone since readdir */
			ret = el__error_errno(EL_ERROR, "%s", path->data);
			break;
		}
		ret = walk_one(w, dirfd(d), e->d_name, &st, dst, path, depth);
	}
	el__buf_truncate(path, len);
	closedir(d);
	return ret;
}

/* The directories of sub ("a/b", relative) under to, made only when a file goes in them. */
typedef struct sub_levels {
	level *levels; /* [0] is to itself */
	size_t count;
	char *names;
} sub_levels;

/* The deepest level, or NULL when not copying (to < 0) or out of memory (error set). */
static level *sub_open(sub_levels *s, int to, const char *sub, int *ret)
{
	*ret = EL_OK;
	memset(s, 0, sizeof(*s));
	if (to < 0)
		return NULL;
	/* Nothing is written above to: a ".." here would climb out of the caller's directory. */
	if (*sub && !el__path_stays_below(sub)) {
		*ret = el__error(EL_EINVAL, "%s: not a directory below the one copied into", sub);
		return NULL;
	}
	s->names = strdup(sub);
	s->levels = calloc(strlen(sub) + 2, sizeof(*s->levels));
	if (!s->names || !s->levels) {
		*ret = el__error_oom();
		return NULL;
	}
	s->levels[0] = (level){ .fd = to };
	s->count = 1;
	for (char *p = strtok(s->names, "/"); p; p = strtok(NULL, "/"), s->count++)
		s->levels[s->count] = (level){ .up = &s->levels[s->count - 1], .fd = -1, .name = p, .mode = 0755 };
	return &s->levels[s->count - 1];
}

static void sub_close(sub_levels *s)
{
	for (size_t i = 1; i < s->count; i++)
		if (s->levels[i].fd >= 0)
			close(s->levels[i].fd);
	free(s->levels);
	free(s->names);
}

int el__tree_walk_dir(el__tree_walk *w, int from, int to, const char *to_sub, const char *path)
{
	sub_levels sub;
	level *last;
	el__buf p;
	int ret, fd = openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return el__error_errno(EL_ERROR, "%s", *path ? path : "/");
	last = sub_open(&sub, to, to_sub, &ret);
	el__buf_init(&p);
	el__buf_puts(&p, path);
	if (ret == EL_OK && el__buf_failed(&p))
		ret = el__error_oom();
	if (ret == EL_OK)
		ret = walk_dir(w, fd, last, &p, 0);
	else
		close(fd);
	el__buf_free(&p);
	sub_close(&sub);
	return ret;
}

int el__tree_walk_entry(el__tree_walk *w, int from, const char *name, int to, const char *to_sub,
			const char *path)
{
	sub_levels sub;
	level *last;
	struct stat st;
	el__buf p;
	int ret;

	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return EL_ENOTFOUND;
		return el__error_errno(EL_ERROR, "%s", path);
	}
	if (w->skip && w->skip(w->ctx, path))
		return EL_OK;
	last = sub_open(&sub, to, to_sub, &ret);
	w->entries++;
	el__buf_init(&p);
	el__buf_puts(&p, path);
	if (ret == EL_OK && el__buf_failed(&p))
		ret = el__error_oom();
	if (ret == EL_OK)
		ret = walk_one(w, from, name, &st, last, &p, 0);
	el__buf_free(&p);
	sub_close(&sub);
	return ret;
}

/* Empty the directory fd (closed here), depth levels below the top. */
static int remove_below(int fd, const char *path, size_t depth)
{
	struct dirent *e;
	int ret = EL_OK;
	DIR *d = fdopendir(fd);

	if (!d) {
		close(fd);
		return el__error_errno(EL_ERROR, "removing %s", path);
	}
	/* Deeper than any tree envlock copies: one made to exhaust descriptors stays, said so. */
	if (depth > 256) {
		closedir(d);
		return el__error(EL_ERROR, "removing %s: more than 256 directories deep", path);
	}
	while (ret == EL_OK && (errno = 0, e = readdir(d))) {
		int child;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if (errno != EISDIR && errno != EPERM) {
			ret = el__error_errno(EL_ERROR, "removing %s/%s", path, e->d_name);
			break;
		}
		child = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child < 0) {
			ret = el__error_errno(EL_ERROR, "removing %s/%s", path, e->d_name);
			break;
		}
		ret = remove_below(child, path, depth + 1);
		if (ret == EL_OK && unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) != 0 && errno != ENOENT)
			ret = el__error_errno(EL_ERROR, "removing %s/%s", path, e->d_name);
	}
	if (ret == EL_OK && errno)
		ret = el__error_errno(EL_ERROR, "removing %s", path);
	closedir(d);
	return ret;
}

int el__tree_remove(int dirfd, const char *name)
{
	int fd;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return EL_OK;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return el__error_errno(EL_ERROR, "removing %s", name);
	if (remove_below(fd, name, 0) != EL_OK)
		return EL_ERROR;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		return el__error_errno(EL_ERROR, "removing %s", name);
	return EL_OK;
}
