/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_DATA_DATACACHE_H
#define EL_DATA_DATACACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/*
 * The data digest cache: the SHA-256 of a file's content, keyed by the
 * file's identity (device, inode, size, mtime and ctime in nanoseconds), so
 * that an unchanged file costs the stat the tree walk made anyway. ctime
 * moves on every write, chmod and rename and cannot be set from user space:
 * a rewritten file never matches. A digest is not stored when the file was
 * changed in the last two seconds (el__cache_too_recent): a second write in
 * the same tick of the kernel's coarse clock could leave the identity as it
 * was ("racy git").
 *
 * It lives beside the stat cache, as data-v1.bin in the same private
 * directory, in a binary format because trees have tens of thousands of
 * files: a header ("ELDATA1\n", then the entry count as a little-endian
 * 64-bit number) and fixed 72-byte records sorted by device and inode
 * (dev, ino, size, mtime_ns, ctime_ns as 64-bit numbers, then the 32-byte
 * digest). A file of any other size or shape is ignored: the cache only
 * ever costs time, never correctness. It is replaced atomically.
 *
 * Lookups may run on several threads at once; additions are made by one
 * thread, after the lookups.
 */
typedef struct el__datacache el__datacache;

/*
 * Open the cache in dir (NULL or "": in memory only). Fails only on
 * allocation; an unusable directory gives an in-memory cache and
 * *warning (static text) says why.
 */
int el__datacache_open(el__datacache **out, const char *dir, const char **warning);

/* The digest stored for st's identity into sha256 (32 bytes): true when found. */
bool el__datacache_get(const el__datacache *cache, const struct stat *st, unsigned char sha256[32]);

/* Remember a digest for st's identity (skipped when st is too recent). */
int el__datacache_put(el__datacache *cache, const struct stat *st, const unsigned char sha256[32]);

/* Write the cache back if anything was added. */
int el__datacache_save(el__datacache *cache);

void el__datacache_free(el__datacache *cache);

#endif
