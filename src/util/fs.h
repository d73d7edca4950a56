/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_FS_H
#define EL_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "util/buf.h"

/*
 * Read a whole file into out (replacing its content). Files larger than max
 * bytes fail with EL_EINVAL. ENOENT and ENOTDIR give EL_ENOTFOUND, other
 * failures EL_ERROR; the message names the path. Never follows a final
 * symlink when nofollow is true. Anything but a regular file (a FIFO, a
 * device, a directory) is EL_EINVAL "not a regular file", without blocking.
 */
int el__read_file(el__buf *out, const char *path, size_t max, bool nofollow);

/*
 * The host path of abs under root: root "" (this machine) gives abs itself,
 * root "/tmp/fx" gives "/tmp/fx/etc/ld.so.cache". abs must start with '/'.
 */
void el__root_path(el__buf *out, const char *root, const char *abs);

/*
 * Resolve every symlink in abs as if root were "/" (the way chroot would),
 * so that an absolute link inside a fixture tree stays inside it. out gets
 * the resolved absolute path, without the root prefix. Returns EL_ENOTFOUND
 * when a component does not exist, EL_EINVAL on a symlink loop.
 */
int el__resolve_in_root(el__buf *out, const char *root, const char *abs);

/*
 * Look name up on path (a PATH value; NULL for "/usr/local/bin:/usr/bin:/bin")
 * the way a shell would, but inside root: the first entry holding an
 * executable regular file. Relative entries are passed over, and so are the
 * directories listed in skip (NULL or NULL-terminated, absolute, inside
 * root). out gets the absolute path inside root. EL_ENOTFOUND (no message)
 * when there is none.
 */
int el__which(el__buf *out, const char *root, const char *path, const char *name, const char *const *skip);

/* True when host (a host path) is an executable regular file. */
bool el__is_executable(const char *host);

/*
 * Write all of data to fd, retrying short writes and EINTR. 0, or -1 with
 * errno set. Async-signal-safe: a forked child may use it.
 */
int el__write_all(int fd, const void *data, size_t len);

/* Drop the last component of an absolute path: "/a/b" -> "/a", "/a" -> "/". */
void el__path_parent(el__buf *path);

/*
 * An absolute path with "//", "." and ".." taken away as text, the way
 * Python's os.path.normpath does ("/a/./b/../c" -> "/a/c", "/.." -> "/"),
 * links not looked at. Into out; EL_OK or EL_ENOMEM.
 */
int el__path_lexical(el__buf *out, const char *abs);

/* Last path component of path (a pointer into path). */
const char *el__basename(const char *path);

/* Remove leading and trailing ASCII whitespace in place; returns s. */
char *el__strtrim(char *s);

/*
 * True when path is relative and none of its '/'-separated names is empty,
 * "." or "..": it stays below whatever directory it is taken from. For
 * paths that come from a file someone else may write (a run record).
 */
bool el__path_stays_below(const char *path);

/*
 * Whether only root and this process's user can change what path (inside
 * root, as el__root_path takes it) names: the file and every directory on
 * the way to it (its links resolved within root, and the link's own
 * directories too) belong to root or to the effective user, and none is
 * writable by group or others, but for directories with the sticky bit
 * (/tmp), where only an entry's owner may replace it. envlock runs such a
 * program on the host (a lock names its interpreter, and anyone may write
 * a lock); false for anything else, or on error.
 */
bool el__path_safe_to_run(const char *root, const char *path);

/*
 * Whether any user could read the regular file at path (absolute, links
 * already resolved): every directory on the way searchable by others, the
 * file readable by others, and nothing under /proc, /sys or /dev. For
 * paths envlock is told to hash by a file anyone may write (a lock, a
 * run's report): as root, envlock must not put the digest of a file only
 * root can read into a lock or a record.
 */
bool el__path_public(const char *path);

/*
 * Whether any user could read the symbolic link at path (absolute, the
 * links before it resolved): every directory on the way searchable by
 * others, and nothing under /proc, /sys or /dev. A link's text cannot
 * be kept from who may search its directory.
 */
bool el__link_public(const char *path);

/*
 * True while this thread walks a path for its shape alone: the type, owner
 * and mode of each name on the way (el__resolve_in_root, and the ownership
 * checks el__path_safe_to_run and el__path_public), not the content of the
 * directories. The state record (src/state/watch.h) keeps no more than that
 * of what such a walk looks at, so that a busy directory on the way (/tmp,
 * a home, the project holding a venv) does not undo it with every entry
 * made there.
 */
bool el__fs_shape_walk(void);

/* True when s starts with prefix. */
bool el__startswith(const char *s, const char *prefix);

/* Nanosecond timestamps of a stat buffer. */
long long el__mtime_ns(const struct stat *st);
long long el__ctime_ns(const struct stat *st);

#endif
