/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_PROBE_LDCACHE_H
#define EL_PROBE_LDCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "probe/probe.h"
#include "util/buf.h"

/*
 * A reader for glibc's /etc/ld.so.cache, the loader's own index of the
 * libraries it can find. No maintained library parses it, so this one is
 * written defensively: every offset is bounds-checked and every string must
 * end inside the file. Both layouts are read: the current one (magic
 * "glibc-ld.so.cache" version "1.1", written alone by glibc >= 2.32) and the
 * old "ld.so-1.7.0" one, alone or followed by the new one.
 */
typedef struct el__ldcache el__ldcache;

typedef struct el__ldcache_entry {
	const char *soname; /* "libcudart.so.13" */
	const char *path;   /* "/usr/local/cuda-13.0/lib/libcudart.so.13" */
	int32_t flags;      /* FLAG_ELF_LIBC6 | FLAG_X8664_LIB64 ... */
	uint64_t hwcap;     /* 0 for the baseline entry */
} el__ldcache_entry;

/*
 * Parse a cache image (copied; data may be freed afterwards). origin names
 * it in error messages. Fails with EL_EINVAL and a one-line message that
 * says what is wrong (bad magic, unsupported version, foreign byte order,
 * truncated header or entries, a string out of bounds or unterminated).
 * A file with both layouts is read like the loader reads it: the new part.
 * Free *out with el__ldcache_free().
 */
int el__ldcache_parse(el__ldcache **out, const void *data, size_t len, const char *origin);

/* Read and parse the file at path (a host path); EL_ENOTFOUND when missing. */
int el__ldcache_load(el__ldcache **out, const char *path);

size_t el__ldcache_count(const el__ldcache *cache);
const el__ldcache_entry *el__ldcache_entry_at(const el__ldcache *cache, size_t i);

/*
 * The path the loader would use for soname on this machine's architecture:
 * the first entry whose flags are el__ldcache_native_flags() and whose hwcap
 * is 0, or NULL. Entries with a hwcap (glibc-hwcaps subdirectories such as
 * x86-64-v3, legacy hwcap directories) are skipped: the loader picks them
 * only after checking the CPU, and the baseline library is the one every
 * machine with this lock can load. The string belongs to cache.
 */
const char *el__ldcache_lookup(const el__ldcache *cache, const char *soname);

/* Accepts NULL. */
void el__ldcache_free(el__ldcache *cache);

/* The ABI flags ld.so.cache uses for this build's architecture. */
int32_t el__ldcache_native_flags(void);

/*
 * The loader's view of ctx->root: the cache at <root>/etc/ld.so.cache,
 * loaded once per ctx (ctx->ldcache). A missing cache is quietly replaced by
 * the loader's default directories (/lib/<multiarch>, /usr/lib/<multiarch>,
 * /lib64, /usr/lib64, /lib, /usr/lib for this build's ABI); a corrupt one
 * the same way after one "libraries" warning.
 *
 * Puts into path the real file the loader would map for soname: the cache's
 * entry, else <default dir>/<soname>, with every symlink resolved inside the
 * root (el__resolve_in_root), without the root prefix. A cache entry whose
 * file is gone is passed over, as the loader does. EL_ENOTFOUND when no
 * candidate exists.
 */
int el__probe_find_library(el__probe_ctx *ctx, const char *soname, el__buf *path);

/*
 * Every soname in the loader's view that starts with prefix and has a
 * version after ".so." (libcudart.so.13, not libcudart.so), sorted, each
 * once: the cache's baseline entries for this ABI, or without a usable
 * cache the names in the default directories with a single-number version
 * (libfoo.so.6, not its real file libfoo.so.6.0.30). *names is a
 * NULL-terminated malloc'd array of malloc'd strings, possibly empty; free
 * with el__strv_free().
 */
int el__probe_list_libraries(el__probe_ctx *ctx, const char *prefix, char ***names);

/* Free a NULL-terminated string vector and its strings; accepts NULL. */
void el__strv_free(char **v);

#endif
