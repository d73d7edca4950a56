/* SPDX-License-Identifier: Apache-2.0 */
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"

int el__read_file(el__buf *out, const char *path, size_t max, bool nofollow)
{
	int fd, code, ret = EL_OK;
	struct stat st;
	size_t want;
	bool sized;
	long n;

	el__buf_reset(out);
	/* O_NONBLOCK: a FIFO planted where a file was expected must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0) {
		code = (errno == ENOENT || errno == ENOTDIR) ? EL_ENOTFOUND : EL_ERROR;
		return el__error_errno(code, "%s", path);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return el__error(EL_EINVAL, "%s: not a regular file", path);
	}
	/*
	 * Read into the buffer itself, sized from st_size plus one byte to see
	 * the end in the same call: a short read of a regular file is its end.
	 * /proc files report size 0 and hand out a page at a time, so those
	 * are read until read(2) returns 0.
	 */
	sized = st.st_size > 0;
	want = sized && (size_t)st.st_size < max ? (size_t)st.st_size + 1 : 4096;
	for (;;) {
		if (want > max + 1 - out->len)
			want = max + 1 - out->len;
		n = el__buf_read(out, fd, want);
		if (n < 0) {
			ret = errno == ENOMEM ? el__error_oom() : el__error_errno(EL_ERROR, "%s", path);
			break;
		}
		if (out->len > max) {
			ret = el__error(EL_EINVAL, "%s: larger than %zu bytes", path, max);
			break;
		}
		if (n == 0 || (sized && (size_t)n < want))
			break;
		want = out->len < 4096 ? 4096 : out->len;
	}
	close(fd);
	return ret;
}

void el__root_path(el__buf *out, const char *root, const char *abs)
{
	el__buf_reset(out);
	if (root && *root && strcmp(root, "/") != 0) {
		size_t rl = strlen(root);

		while (rl > 1 && root[rl - 1] == '/')
			rl--;
		el__buf_add(out, root, rl);
	}
	el__buf_puts(out, abs);
}

/* Append component c to the resolved path p ("/" stays "/c"). */
static void push_component(el__buf *p, const char *c, size_t len)
{
	if (p->len == 0 || p->data[p->len - 1] != '/')
		el__buf_putc(p, '/');
	el__buf_add(p, c, len);
}

void el__path_parent(el__buf *p)
{
	char *slash = strrchr(p->data, '/');

	if (!slash)
		return;
	p->len = (size_t)(slash - p->data);
	if (p->len == 0)
		p->len = 1; /* keep "/" */
	p->data[p->len] = '\0';
}

int el__path_lexical(el__buf *out, const char *abs)
{
	el__buf_reset(out);
	el__buf_puts(out, "/");
	for (const char *p = abs; *p;) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing: an empty name or "." */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			el__path_parent(out);
		} else {
			if (out->len > 1)
				el__buf_puts(out, "/");
			el__buf_add(out, p, n);
		}
		p += n;
	}
	return el__buf_failed(out) ? el__error_oom() : EL_OK;
}

/* How deep this thread is in walks that look at the shape of a path only (el__fs_shape_walk). */
static _Thread_local int shape_walks;

bool el__fs_shape_walk(void)
{
	return shape_walks > 0;
}

int el__resolve_in_root(el__buf *out, const char *root, const char *abs)
{
	el__buf todo, host, link;
	int hops = 0, ret = EL_OK;

	el__buf_init(&todo);
	el__buf_init(&host);
	el__buf_init(&link);
	el__buf_reset(out);
	el__buf_putc(out, '/');
	el__buf_puts(&todo, abs);
	shape_walks++;

	/* todo holds the components still to walk; out the resolved prefix. */
	while (todo.len) {
		const char *s = todo.data;
		size_t clen;
		struct stat st;

		while (*s == '/')
			s++;
		clen = strcspn(s, "/");
		if (clen == 0)
			break;
		if (clen == 1 && s[0] == '.') {
			/* nothing */
		} else if (clen == 2 && s[0] == '.' && s[1] == '.') {
			el__path_parent(out);
		} else {
			size_t before = out->len;

			push_component(out, s, clen);
			el__root_path(&host, root, out->data);
			if (lstat(host.data, &st) != 0) {
				ret = el__error_errno(errno == ENOENT || errno == ENOTDIR ? EL_ENOTFOUND : EL_ERROR,
						      "%s", host.data);
				goto done;
			}
			if (S_ISLNK(st.st_mode)) {
				char target[PATH_MAX];
				ssize_t n = readlink(host.data, target, sizeof(target) - 1);

				if (n < 0) {
					ret = el__error_errno(EL_ERROR, "%s", host.data);
					goto done;
				}
				if (++hops > 40) {
					ret = el__error(EL_EINVAL, "%s: too many levels of symbolic links", abs);
					goto done;
				}
				target[n] = '\0';
				/* Replace the link by its target, then walk the rest. */
				el__buf_reset(&link);
				el__buf_puts(&link, target);
				el__buf_puts(&link, s + clen);
				out->len = before ? before : 1;
				out->data[out->len] = '\0';
				if (target[0] == '/') {
					el__buf_reset(out);
					el__buf_putc(out, '/');
				}
				el__buf_reset(&todo);
				el__buf_add(&todo, link.data, link.len);
				continue;
			}
		}
		s += clen;
		{
			/* Drop the consumed component from todo. */
			size_t consumed = (size_t)(s - todo.data);

			memmove(todo.data, s, todo.len - consumed + 1);
			todo.len -= consumed;
		}
	}
	if (el__buf_failed(out) || el__buf_failed(&todo))
		ret = el__error_oom();
done:
	shape_walks--;
	el__buf_free(&todo);
	el__buf_free(&host);
	el__buf_free(&link);
	return ret;
}

const char *el__basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

char *el__strtrim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

bool el__startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

long long el__mtime_ns(const struct stat *st)
{
	return (long long)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

long long el__ctime_ns(const struct stat *st)
{
	return (long long)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
}

bool el__is_executable(const char *host)
{
	struct stat st;

	return stat(host, &st) == 0 && S_ISREG(st.st_mode) && access(host, X_OK) == 0;
}

static bool skipped(const char *dir, size_t len, const char *const *skip)
{
	while (len > 1 && dir[len - 1] == '/')
		len--;
	for (; skip && *skip; skip++) {
		size_t n = strlen(*skip);

		while (n > 1 && (*skip)[n - 1] == '/')
			n--;
		if (n == len && memcmp(dir, *skip, len) == 0)
			return true;
	}
	return false;
}

int el__which(el__buf *out, const char *root, const char *path, const char *name, const char *const *skip)
{
	el__buf host;
	int ret = EL_ENOTFOUND;

	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	el__buf_init(&host);
	while (*path && ret == EL_ENOTFOUND) {
		size_t len = strcspn(path, ":");

		if (len && path[0] == '/' && !skipped(path, len, skip)) {
			el__buf_reset(out);
			el__buf_add(out, path, len);
			if (len > 1)
				el__buf_putc(out, '/');
			el__buf_puts(out, name);
			el__root_path(&host, root, out->data);
			if (el__is_executable(host.data))
				ret = EL_OK;
		}
		path += len + (path[len] == ':');
	}
	if (ret == EL_OK && (el__buf_failed(out) || el__buf_failed(&host)))
		ret = el__error_oom();
	el__buf_free(&host);
	return ret;
}

int el__write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO; /* no progress: never spin */
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

bool el__path_stays_below(const char *path)
{
	if (!*path || path[0] == '/')
		return false;
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += n;
		if (*p == '/' && !*++p)
			return false; /* a trailing slash: an empty last name */
	}
	return true;
}

/* One name's owner and mode: root's or ours, and not writable by others (sticky directories aside). */
static bool owned_safely(const struct stat *st)
{
	bool sticky_dir = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX);

	if (st->st_uid != 0 && st->st_uid != geteuid())
		return false;
	return sticky_dir || (st->st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

/* Every prefix of path (absolute, as given) and path itself, looked at without following the last link. */
static bool chain_safe(const char *path)
{
	char *copy = strdup(path);
	struct stat st;
	bool ok;

	shape_walks++;
	ok = copy != NULL && path[0] == '/' && lstat("/", &st) == 0 && owned_safely(&st);
	for (char *p = copy; ok && p && p[1];) {
		char *slash = strchr(p + 1, '/');

		if (slash)
			*slash = '\0';
		ok = lstat(*copy ? copy : "/", &st) == 0 && (S_ISLNK(st.st_mode) || owned_safely(&st));
		if (slash)
			*slash = '/';
		p = slash;
	}
	shape_walks--;
	free(copy);
	return ok;
}

bool el__path_safe_to_run(const char *root, const char *path)
{
	el__buf real, host;
	bool ok;

	el__buf_init(&real);
	el__buf_init(&host);
	el__root_path(&host, root, path);
	ok = !el__buf_failed(&host) && chain_safe(host.data) && el__resolve_in_root(&real, root, path) == EL_OK;
	if (ok) {
		el__buf_reset(&host);
		el__root_path(&host, root, real.data);
		ok = !el__buf_failed(&host) && chain_safe(host.data);
	}
	el__buf_free(&real);
	el__buf_free(&host);
	return ok;
}

/* path outside the kernel's file systems, and each directory on its way searchable by others. */
static bool way_public(char *copy, const char *path)
{
	static const char *const kernel[] = { "/proc", "/sys", "/dev", NULL };
	struct stat st;
	bool ok = true;

	for (const char *const *k = kernel; ok && *k; k++) {
		size_t n = strlen(*k);

		ok = !(strncmp(path, *k, n) == 0 && (path[n] == '/' || path[n] == '\0'));
	}
	/* Each directory on the way, from "/" down: searchable by others. */
	for (char *slash = copy; ok && slash; slash = strchr(slash + 1, '/')) {
		char keep = slash[1];

		slash[1] = '\0';
		ok = stat(copy, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & S_IXOTH);
		slash[1] = keep;
	}
	return ok;
}

bool el__link_public(const char *path)
{
	char *copy = path[0] == '/' ? strdup(path) : NULL;
	struct stat st;
	bool ok;

	shape_walks++;
	ok = copy && way_public(copy, path) && lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
	shape_walks--;
	free(copy);
	return ok;
}

bool el__path_public(const char *path)
{
	char *copy = path[0] == '/' ? strdup(path) : NULL;
	struct stat st;
	bool ok;

	shape_walks++;
	ok = copy && way_public(copy, path) && lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IROTH);
	shape_walks--;
	free(copy);
	return ok;
}
