/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A dependency looked at again: the same call, on the same name, compared
 * with what the capture found.
 */
#include "state/watch.h"
#include "util/env.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static bool same_stat(const el__dep *d, int rc, const struct stat *st)
{
	el__ident now;

	if (rc != 0)
		return d->err == errno;
	if (d->err != 0)
		return false;
	el__ident_of(&now, st);
	return el__ident_same(d->arg, &d->id, &now);
}

/* The object at name, reached without following any link, as the capture's openat2 reached it. */
static int stat_no_links(const char *name, struct stat *st)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC | O_NOFOLLOW,
				.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, name, &how, sizeof(how));
	int rc, err;

	if (fd < 0)
		return -1;
	rc = fstat(fd, st);
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

static bool same_text(const el__dep *d, const char *text)
{
	if (!text)
		return d->err == errno;
	return d->err == 0 && d->text && strcmp(d->text, text) == 0;
}

static bool same_value(const el__dep *d, const char *value)
{
	return value ? d->err == 0 && d->text && strcmp(d->text, value) == 0 : d->err == ENOENT;
}

bool el__dep_holds(const el__dep *d, const char *const *env)
{
	struct stat st;
	ssize_t n;
	char *real, *link;
	bool same;

	switch (d->kind) {
	case EL__DEP_STAT:
		return same_stat(d, stat(d->name, &st), &st);
	case EL__DEP_LSTAT:
		return same_stat(d, lstat(d->name, &st), &st);
	case EL__DEP_NOLINKS:
		return same_stat(d, stat_no_links(d->name, &st), &st);
	case EL__DEP_ACCESS:
		return access(d->name, d->arg) == 0 ? d->err == 0 : d->err == errno;
	case EL__DEP_READLINK:
		/* With the caller's buffer size: a link longer than it read as cut short then. */
		if (d->arg <= 0 || !(link = malloc((size_t)d->arg + 1)))
			return false;
		n = readlink(d->name, link, (size_t)d->arg);
		if (n >= 0)
			link[n] = '\0';
		same = same_text(d, n >= 0 ? link : NULL);
		free(link);
		return same;
	case EL__DEP_REALPATH:
		real = realpath(d->name, NULL);
		same = same_text(d, real);
		free(real);
		return same;
	case EL__DEP_GETENV:
		return same_value(d, getenv(d->name));
	case EL__DEP_ENV:
		return same_value(d, el__env_get(env, d->name));
	case EL__DEP_KINDS:
		break;
	}
	return false;
}
