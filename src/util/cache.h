/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_CACHE_H
#define EL_UTIL_CACHE_H

#include <stdbool.h>
#include <sys/stat.h>

#include <jansson.h>

/*
 * The stat cache: facts derived from files (a SHA-256, a version a program
 * printed), each stored with the identity of the file it came from (device,
 * inode, size, mtime and ctime in nanoseconds). A fact is returned only
 * while the file's identity is unchanged; ctime moves on every write, chmod
 * and rename and cannot be set from user space, so a rewritten file is never
 * answered from the cache.
 *
 * Facts about files modified in the last two seconds are not stored: the
 * kernel's timestamp clock is coarse, so a second write in the same tick
 * could keep the identity unchanged (git's "racy clean" problem).
 *
 * The cache is one file, cache-v2.bin (its layout in cache.c), in a
 * directory that must be owned by the effective user and not writable by
 * group or others; it is replaced atomically, never written through a
 * symlink. A fact's value is parsed only when it is asked for. A cache
 * that cannot be read is treated as empty: it only ever costs time, never
 * correctness.
 */
typedef struct el__cache el__cache;

/*
 * Open the cache in dir, creating the directory (0700) if needed. dir NULL
 * or "" gives a cache that lives in memory only. Fails only on allocation;
 * an unusable directory gives an in-memory cache and *warning (static
 * text, may be NULL) says why.
 */
int el__cache_open(el__cache **out, const char *dir, const char **warning);

/*
 * Open the cache directory dir (made 0700 when missing) only if it is this
 * user's alone, not writable by group or others, and not reached through
 * a final symlink: a shared or foreign cache could lie. The directory's
 * descriptor, or -1 and *warning (static text) says why.
 */
int el__cache_open_dir(const char *dir, const char **warning);

/*
 * The default directory as env (el__env_get) names it: $ENVLOCK_CACHE_DIR,
 * else $XDG_CACHE_HOME/envlock, else $HOME/.cache/envlock; a malloc'd
 * string, or NULL when none is set (or out of memory).
 */
char *el__cache_dir_in(const char *const *env);

/* The same from the process's own environment, for the commands that are not a capture. */
char *el__cache_default_dir(void);

/*
 * The fact stored for (kind, key), or NULL. With st, the entry must carry
 * st's identity; without, the key alone identifies it. Borrowed reference.
 */
json_t *el__cache_get(el__cache *cache, const char *kind, const char *key, const struct stat *st);

/*
 * True when a file changed at ns (a CLOCK_REALTIME mtime or ctime in
 * nanoseconds) is too recent for a fact about it to be kept: a second
 * change in the same clock tick could go unseen. el__cache_put applies it
 * to st itself; callers whose facts depend on other files apply it to those.
 */
bool el__cache_too_recent(long long ns);

/* Store value (reference stolen) for (kind, key) and st's identity. */
void el__cache_put(el__cache *cache, const char *kind, const char *key, const struct stat *st, json_t *value);

/* Write the cache back if anything changed. */
int el__cache_save(el__cache *cache);

void el__cache_free(el__cache *cache);

#endif
