/* SPDX-License-Identifier: Apache-2.0 */
/* realpath() with the links it followed (resolve.h). */
#include "util/resolve.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* As the kernel allows (MAXSYMLINKS). */
#define MAX_LINKS 40

static bool note_link(el__path_links *links, const char *path, const char *target)
{
	el__path_link *grown = realloc(links->items, (links->count + 1) * sizeof(*grown));

	if (!grown)
		return false;
	links->items = grown;
	grown[links->count].path = strdup(path);
	grown[links->count].target = strdup(target);
	if (!grown[links->count].path || !grown[links->count].target) {
		free(grown[links->count].path);
		free(grown[links->count].target);
		return false;
	}
	links->count++;
	return true;
}

static char *fail(int err)
{
	errno = err;
	return NULL;
}

char *el__path_resolve(const char *path, el__path_links *links)
{
	char done[PATH_MAX] = "", todo[PATH_MAX];
	size_t done_len = 0;
	int followed = 0;
	const char *p = todo;

	if (path[0] != '/')
		return fail(EINVAL);
	if (strlen(path) >= sizeof(todo))
		return fail(ENAMETOOLONG);
	strcpy(todo, path);
	for (;;) {
		char target[PATH_MAX + 1], next[PATH_MAX];
		const char *end;
		struct stat st;
		size_t len, rest;
		ssize_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		if (len == 1 && p[0] == '.') {
			p = end;
			continue;
		}
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(done, '/');

			if (slash) {
				*slash = '\0';
				done_len = (size_t)(slash - done);
			}
			p = end;
			continue;
		}
		if (done_len + 1 + len >= sizeof(done))
			return fail(ENAMETOOLONG);
		done[done_len] = '/';
		memcpy(done + done_len + 1, p, len);
		done[done_len + 1 + len] = '\0';
		if (lstat(done, &st) != 0)
			return NULL;
		if (!S_ISLNK(st.st_mode)) {
			if (*end && !S_ISDIR(st.st_mode))
				return fail(ENOTDIR);
			done_len += 1 + len;
			p = end;
			continue;
		}
		if (++followed > MAX_LINKS)
			return fail(ELOOP);
		/* A link's text is at most PATH_MAX - 1 bytes: PATH_MAX read means it did not fit. */
		n = readlink(done, target, PATH_MAX);
		if (n < 0)
			return NULL;
		if (n == 0)
			return fail(ENOENT);
		if (n == PATH_MAX)
			return fail(ENAMETOOLONG);
		target[n] = '\0';
		if (links && !note_link(links, done, target))
			return fail(ENOMEM);
		/* What is left: the link's text, then the rest of the path. */
		rest = strlen(end);
		if ((size_t)n + rest >= sizeof(next))
			return fail(ENAMETOOLONG);
		memcpy(next, target, (size_t)n);
		memcpy(next + n, end, rest + 1);
		memcpy(todo, next, (size_t)n + rest + 1);
		p = todo;
		/* A relative text goes on from the link's directory; an absolute one from the root. */
		if (target[0] == '/')
			done_len = 0;
		done[done_len] = '\0';
	}
	return strdup(done_len ? done : "/");
}

void el__path_links_free(el__path_links *links)
{
	if (!links)
		return;
	for (size_t i = 0; i < links->count; i++) {
		free(links->items[i].path);
		free(links->items[i].target);
	}
	free(links->items);
	links->items = NULL;
	links->count = 0;
}
