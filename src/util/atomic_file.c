/* SPDX-License-Identifier: Apache-2.0 */
#include "util/atomic_file.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/random.h"

/* Create a temporary file next to name; its name goes into tmp. */
static int create_temp(int dirfd, const char *name, mode_t mode, char *tmp, size_t tmpsize)
{
	for (int attempt = 0; attempt < 16; attempt++) {
		char hex[17];
		int fd;

		if (el__random_hex(hex, 8) != EL_OK)
			return -1;
		snprintf(tmp, tmpsize, ".%.200s.%s.tmp", el__basename(name), hex);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

int el__atomic_write_at(int dirfd, const char *name, const char *display,
			const void *data, size_t len, mode_t mode)
{
	char tmp[256];
	int fd;

	if (!display)
		display = name;
	fd = create_temp(dirfd, name, mode, tmp, sizeof(tmp));
	if (fd < 0)
		return el__error_errno(EL_ERROR, "%s: cannot create a temporary file", display);
	if (el__write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		el__error_errno(EL_ERROR, "%s: write failed", display);
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		el__error_errno(EL_ERROR, "%s: write failed", display);
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) != 0) {
		el__error_errno(EL_ERROR, "%s", display);
		goto fail;
	}
	/* Make the rename itself durable. */
	fsync(dirfd);
	return EL_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
	return el_error_last_code();
}

int el__atomic_write(const char *path, const void *data, size_t len, mode_t mode)
{
	el__buf dir;
	const char *base = el__basename(path);
	int dirfd, ret;

	if (!*base)
		return el__error(EL_ERROR, "%s: is a directory", path);
	el__buf_init(&dir);
	if (base == path)
		el__buf_puts(&dir, ".");
	else
		el__buf_add(&dir, path, (size_t)(base - path));
	if (el__buf_failed(&dir))
		return el__error_oom();
	dirfd = open(dir.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		ret = el__error_errno(EL_ERROR, "%s: cannot open its directory", path);
		el__buf_free(&dir);
		return ret;
	}
	el__buf_free(&dir);
	ret = el__atomic_write_at(dirfd, base, path, data, len, mode);
	close(dirfd);
	return ret;
}

static bool is_stream(mode_t mode)
{
	return S_ISFIFO(mode) || S_ISCHR(mode);
}

/*
 * Write into the FIFO or character device at path. O_NOFOLLOW and the
 * fstat after open close the gap since the lstat: if the entry was swapped
 * for anything else meanwhile, nothing is written through it.
 */
static int write_in_place(const char *path, const void *data, size_t len, mode_t mode)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return el__error_errno(EL_ERROR, "%s", path);
	if (fstat(fd, &st) != 0 || !is_stream(st.st_mode)) {
		close(fd);
		return el__atomic_write(path, data, len, mode);
	}
	if (el__write_all(fd, data, len) != 0) {
		int ret = el__error_errno(EL_ERROR, "%s: write failed", path);

		close(fd);
		return ret;
	}
	if (close(fd) != 0)
		return el__error_errno(EL_ERROR, "%s: write failed", path);
	return EL_OK;
}

int el__output_write(const char *path, const void *data, size_t len, mode_t mode)
{
	struct stat st, target;

	/* Nothing there, or nothing to look at: the atomic writer says why it cannot write. */
	if (lstat(path, &st) != 0)
		return el__atomic_write(path, data, len, mode);
	if (S_ISREG(st.st_mode))
		return el__atomic_write(path, data, len, mode);
	if (is_stream(st.st_mode))
		return write_in_place(path, data, len, mode);
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return el__error_errno(EL_ERROR, "%s", path);
	}
	if (S_ISLNK(st.st_mode)) {
		if (stat(path, &target) != 0 ? errno == ENOENT || errno == ENOTDIR : S_ISREG(target.st_mode))
			return el__atomic_write(path, data, len, mode);
		return el__error(EL_ERROR,
				 "%s: a symbolic link to something other than a regular file; not followed "
				 "(name its target, or redirect standard output)",
				 path);
	}
	return el__error(EL_ERROR, "%s: not a regular file, a FIFO or a character device", path);
}
