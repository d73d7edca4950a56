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
 * Parse a cache image. origin names it in error messages. Fails with
 * EL_EINVAL and a message that says what is wrong (bad magic, truncated
 * header, an entry or string out of bounds).
 */
int el__ldcache_parse(el__ldcache **out, const void *data, size_t len, const char *origin);

/* Read and parse the file at path (a host path). */
int el__ldcache_load(el__ldcache **out, const char *path);

size_t el__ldcache_count(const el__ldcache *cache);
const el__ldcache_entry *el__ldcache_entry_at(const el__ldcache *cache, size_t i);

/*
 * The path the loader would use for soname on this machine's architecture
 * (the first baseline entry whose flags match the native ABI), or NULL.
 */
const char *el__ldcache_lookup(const el__ldcache *cache, const char *soname);

void el__ldcache_free(el__ldcache *cache);

/* The ABI flags ld.so.cache uses for this build's architecture. */
int32_t el__ldcache_native_flags(void);

/*
 * The loader's view of ctx->root: the cache at <root>/etc/ld.so.cache,
 * loaded once per capture. When it is missing or corrupt, a warning says so
 * once and lookups fall back to the loader's default directories.
 * Puts into path the resolved location (without the root prefix) of soname
 * as the loader would find it; EL_ENOTFOUND when it cannot be found.
 */
int el__probe_find_library(el__probe_ctx *ctx, const char *soname, el__buf *path);

/*
 * Every soname in the loader's view that starts with prefix and has a
 * version after ".so." (libcudart.so.13, not libcudart.so), sorted, each
 * once. *names is a NULL-terminated malloc'd array of malloc'd strings; free
 * with el__strv_free().
 */
int el__probe_list_libraries(el__probe_ctx *ctx, const char *prefix, char ***names);

void el__strv_free(char **v);

#endif
