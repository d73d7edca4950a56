/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The new directory an archive or an image is unpacked into (bundle/dest.h).
 */
#include "bundle/dest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/unpack_names.h"
#include "util/error.h"
#include "util/random.h"
#include "util/tree.h"

static bool dir_is_empty(int fd)
{
	int copy = dup(fd);
	DIR *d = copy >= 0 ? fdopendir(copy) : NULL;
	struct dirent *e;
	bool empty = d != NULL;

	if (!d) {
		if (copy >= 0)
			close(copy);
		return false;
	}
	while (empty && (e = readdir(d)))
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* "DIR" may be made: it does not exist, or is an empty directory. */
static int check_destination(int parent, const char *base, const char *dir)
{
	struct stat st;
	int fd;
	bool empty;

	if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? EL_OK : el__error_errno(EL_ERROR, "%s", dir);
	if (!S_ISDIR(st.st_mode))
		return el__error(EL_EINVAL, "%s: exists and is not a directory", dir);
	fd = openat(parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return el__error_errno(EL_ERROR, "%s", dir);
	empty = dir_is_empty(fd);
	close(fd);
	return empty ? EL_OK : el__error(EL_EINVAL, "%s: exists and is not empty", dir);
}

/*
 * After a failure: the partial tree goes, and the failure stays the error
 * to report (with what could not be removed, if anything).
 */
static void remove_partial(int parent, const char *tmp, int code)
{
	char why[1024];

	snprintf(why, sizeof(why), "%s", el_error_last());
	if (el__tree_remove(parent, tmp) != EL_OK) {
		char left[512];

		/* Copied first: the message is rewritten in the buffer el_error_last() points into. */
		snprintf(left, sizeof(left), "%s", el_error_last());
		el__error(code, "%s (and %s is left beside it: %s)", why, tmp, left);
	} else {
		el__error(code, "%s", why);
	}
}

int el__dest_open(el__dest *d, const char *dir)
{
	char *parent_path = NULL, hex[17];
	int ret;

	d->dir = dir;
	d->parent = d->top = -1;
	d->base = NULL;
	d->tmp[0] = '\0';
	if ((ret = el__name_split_path(dir, &parent_path, &d->base)) != EL_OK)
		return ret;
	if (!*d->base || strcmp(d->base, ".") == 0 || strcmp(d->base, "..") == 0) {
		ret = el__error(EL_EINVAL, "%s: name a new directory", dir);
		goto fail;
	}
	d->parent = open(parent_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->parent < 0) {
		ret = el__error_errno(EL_ERROR, "%s: cannot open its parent directory", dir);
		goto fail;
	}
	if ((ret = check_destination(d->parent, d->base, dir)) != EL_OK)
		goto fail;
	/* Beside dir, so that the last step is a rename in one directory. */
	if ((ret = el__random_hex(hex, 8)) != EL_OK)
		goto fail;
	snprintf(d->tmp, sizeof(d->tmp), ".%.200s.unpack-%s", d->base, hex);
	if (mkdirat(d->parent, d->tmp, 0700) != 0) {
		d->tmp[0] = '\0';
		ret = el__error_errno(EL_ERROR, "%s: cannot make a directory beside it", dir);
		goto fail;
	}
	d->top = openat(d->parent, d->tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->top < 0) {
		ret = el__error_errno(EL_ERROR, "%s: cannot make a directory beside it", dir);
		goto fail;
	}
	free(parent_path);
	return EL_OK;
fail:
	free(parent_path);
	return el__dest_close(d, ret);
}

int el__dest_close(el__dest *d, int ret)
{
	if (d->top >= 0)
		close(d->top);
	if (ret == EL_OK && renameat(d->parent, d->tmp, d->parent, d->base) != 0)
		ret = errno == ENOTEMPTY || errno == EEXIST || errno == ENOTDIR
			      ? el__error(EL_EINVAL, "%s: exists and is not empty", d->dir)
			      : el__error_errno(EL_ERROR, "%s", d->dir);
	if (ret == EL_OK)
		fsync(d->parent);
	else if (d->tmp[0])
		remove_partial(d->parent, d->tmp, ret);
	if (d->parent >= 0)
		close(d->parent);
	free(d->base);
	d->base = NULL;
	d->parent = d->top = -1;
	return ret;
}

