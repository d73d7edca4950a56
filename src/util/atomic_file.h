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

#endif
