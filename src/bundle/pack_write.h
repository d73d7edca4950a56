/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_BUNDLE_PACK_WRITE_H
#define EL_BUNDLE_PACK_WRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sha256.h"

/*
 * A bundle as bytes: a tar archive compressed with zstd, written so that
 * the same members, added in the same order with the same time, give the
 * same bytes in any process on any machine with the same libarchive and
 * libzstd.
 *
 * The format is libarchive's restricted pax: a plain ustar header for
 * each member, and a pax extended header before it only where ustar
 * cannot hold the member (a name or link target longer than ustar's
 * fields, a name that is not ASCII, a size of 8 GiB or more, a time at
 * or past 2038), whose own name is "<dir>/PaxHeader/<base>", with no
 * process id in it (libarchive 3.6 leaves it out on purpose). Every
 * member has the given mtime and nothing else of time (no atime, ctime
 * or birth time), uid and gid 0 and no user or group name (the numbers
 * are the whole statement; no name a machine could map to another
 * account), and its mode from its kind alone: directories 0755, files
 * 0644 or 0755 when executable, symbolic links 0777, a hard link its
 * target's. zstd runs at level 3 on one thread, in one frame; the output
 * is a stream, not padded to tar's 10 KiB records.
 *
 * Names are relative, '/'-separated, with no empty, "." or ".."
 * component, at most 4095 bytes, UTF-8 with no control character (C0,
 * DEL or C1): anything else is refused with EL_EINVAL and the one-line
 * message "member 'NAME': why", NAME made printable. So is what
 * el_unpack would refuse: a name added twice (a directory may come after
 * members in it), a name below a file or link added before, a symbolic
 * link whose target is empty or climbs out of the tree, a hard link to
 * anything but a file added before. A refused member writes nothing, and
 * the writer goes on. Any other failure (the output, a file that changed
 * while it was read, libarchive) leaves the bundle unfinished: every call
 * after it fails, and the caller discards what fd holds.
 */
typedef struct el__pack_writer el__pack_writer;

/*
 * Start a bundle on fd, open for writing (the writer writes from where fd
 * is and never closes it); mtime, in seconds since the epoch, is every
 * member's time (EL_EINVAL before 1970). *out is the writer, to free
 * with el__pack_writer_free; NULL on failure (EL_ENOTFOUND: libarchive is
 * not installed; EL_ERROR: it cannot compress with zstd by itself).
 */
int el__pack_writer_open(el__pack_writer **out, int fd, long long mtime);

/* A directory, mode 0755. name may end in one '/'. */
int el__pack_add_dir(el__pack_writer *w, const char *name);

/* A regular file holding the len bytes at data (NULL when len is 0), mode 0644 or 0755. */
int el__pack_add_bytes(el__pack_writer *w, const char *name, bool executable, const void *data, size_t len);

/*
 * A regular file holding exactly size bytes read from fd (from offset 0,
 * with pread: fd's offset is left alone, and it is not closed), mode 0644
 * or 0755. A file that holds fewer or more bytes than size by the time
 * they are read changed while it was packed: EL_ERROR naming the member,
 * and the bundle is left unfinished. The same bytes give the same bundle
 * whether added from a file or from memory.
 */
int el__pack_add_file(el__pack_writer *w, const char *name, bool executable, int fd, unsigned long long size);

/*
 * A symbolic link to target, mode 0777. target may be absolute (it names
 * a path of the tree once the tree is a root) but is text as names are,
 * and a relative one must not climb out of the tree from the link's own
 * directory.
 */
int el__pack_add_symlink(el__pack_writer *w, const char *name, const char *target);

/*
 * A hard link to earlier_member, a regular file (or a hard link to one)
 * added before, named as it was added: "root/usr/lib/x.so" to
 * "store/sha256/<hex>". It holds no data of its own; its mode is its
 * target's.
 */
int el__pack_add_hardlink(el__pack_writer *w, const char *name, const char *earlier_member);

/*
 * End the archive and the zstd frame. sha256_hex gets the SHA-256 of
 * every byte the writer wrote to fd, in lowercase hex, and *bytes their
 * count. fd is not synced or closed. After it, only el__pack_writer_free.
 */
int el__pack_writer_finish(el__pack_writer *w, char sha256_hex[EL_SHA256_HEX], unsigned long long *bytes);

/*
 * Free the writer; accepts NULL, and a writer that failed or was never
 * finished (nothing more is written to fd then).
 */
void el__pack_writer_free(el__pack_writer *w);

#endif
