/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_ATOMIC_FILE_H
#define EL_UTIL_ATOMIC_FILE_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replace dirfd/name with data, atomically and durably: a fresh temporary
 * file in the same directory (O_CREAT|O_EXCL|O_NOFOLLOW, random name), the
 * data, fsync, renameat over name, fsync of the directory. A symlink at name
 * is replaced, never followed, so a hostile process that planted one cannot
 * redirect the write. On failure the temporary file is removed and name is
 * untouched. mode is passed to openat (the umask applies). display names
 * the file in error messages (NULL: name).
 */
int el__atomic_write_at(int dirfd, const char *name, const char *display,
			const void *data, size_t len, mode_t mode);

/* The same for a path: its directory is opened, then el__atomic_write_at. */
int el__atomic_write(const char *path, const void *data, size_t len, mode_t mode);

/*
 * A file the user named as an output (`capture -o PATH`). A regular file, or
 * none yet, is replaced atomically as above. A FIFO or a character device
 * named directly (/dev/null, a named pipe, a terminal) is written in place,
 * as a shell redirection would: renaming over it would replace the device
 * node itself, and as root that breaks the machine. A symbolic link is
 * replaced when it leads to a regular file or nowhere, and refused when it
 * leads elsewhere (`-o /dev/stdout`): it is never followed, since a link
 * planted by a job could lead to any device. Anything else is refused.
 */
int el__output_write(const char *path, const void *data, size_t len, mode_t mode);

#endif
