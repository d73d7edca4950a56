/* SPDX-License-Identifier: Apache-2.0 */
#include "probe/libraries/ldcache.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/text.h"
#include "util/fs.h"

/*
 * The layouts, as glibc's dl-cache.h defines them (all integers in the
 * byte order of the machine that ran ldconfig):
 *
 *   old:  magic "ld.so-1.7.0", 1 byte padding, u32 nlibs, then nlibs
 *         entries {i32 flags, u32 key, u32 value}; string offsets count
 *         from the end of the entries.
 *   new:  magic "glibc-ld.so.cache", version "1.1", u32 nlibs,
 *         u32 len_strings, u8 flags, 3 bytes padding, u32 extension_offset,
 *         3 x u32 unused, then nlibs entries {i32 flags, u32 key, u32 value,
 *         u32 osversion, u64 hwcap}, then the string table; string offsets
 *         count from the start of the new header.
 *   both: the old part, padding to the new header's alignment, the new part.
 */
#define OLD_MAGIC "ld.so-1.7.0"
#define OLD_MAGIC_LEN 11
#define OLD_NLIBS 12
#define OLD_HEADER 16
#define OLD_ENTRY 12

#define NEW_MAGIC "glibc-ld.so.cache"
#define NEW_MAGIC_LEN 17
#define NEW_VERSION "1.1"
#define NEW_VERSION_LEN 3
#define NEW_NLIBS 20
#define NEW_LEN_STRINGS 24
#define NEW_FLAGS 28
#define NEW_HEADER 48
#define NEW_ENTRY 24
#define NEW_ENTRY_HWCAP 16

/* The low two bits of the new header's flags byte: who wrote the file. */
#define ENDIAN_MASK 3
#define ENDIAN_UNSET 0 /* glibc before 2.33: assume this machine */
#define ENDIAN_INVALID 1
#define ENDIAN_LITTLE 2
#define ENDIAN_BIG 3

/*
 * glibc places the new part at the old part's end rounded up to the
 * alignment of its header struct, which holds a u64: 8 on 64-bit ABIs, 4
 * on i386. ldconfig pads the old entry count to an even number so that both
 * agree, but older caches were written without that.
 */
struct new_header_align {
	uint32_t nlibs;
	uint64_t hwcap;
};
#define NEW_ALIGN _Alignof(struct new_header_align)

/* Real caches are tens of KiB; anything near this is not one. */
#define CACHE_MAX_BYTES (64u << 20)

#define FLAG_ELF_LIBC6 0x0003
#if defined(__x86_64__) && defined(__ILP32__)
#define NATIVE_FLAGS (FLAG_ELF_LIBC6 | 0x0800) /* FLAG_X8664_LIBX32 */
#define MULTIARCH "x86_64-linux-gnux32"
#define LIBDIR_SUFFIX "x32"
#elif defined(__x86_64__)
#define NATIVE_FLAGS (FLAG_ELF_LIBC6 | 0x0300) /* FLAG_X8664_LIB64 */
#define MULTIARCH "x86_64-linux-gnu"
#define LIBDIR_SUFFIX "64"
#elif defined(__aarch64__)
#define NATIVE_FLAGS (FLAG_ELF_LIBC6 | 0x0a00) /* FLAG_AARCH64_LIB64 */
#define MULTIARCH "aarch64-linux-gnu"
#define LIBDIR_SUFFIX "64"
#elif defined(__i386__)
#define NATIVE_FLAGS FLAG_ELF_LIBC6
#define MULTIARCH "i386-linux-gnu"
#else
/* Other ABIs add a FLAG_*_LIB64-style bit; until listed here, nothing matches. */
#define NATIVE_FLAGS FLAG_ELF_LIBC6
#endif

/* Where the loader looks when the cache does not know a library. */
static const char *const default_dirs[] = {
#ifdef MULTIARCH
	"/lib/" MULTIARCH,
	"/usr/lib/" MULTIARCH,
#endif
#ifdef LIBDIR_SUFFIX
	"/lib" LIBDIR_SUFFIX,
	"/usr/lib" LIBDIR_SUFFIX,
#endif
	"/lib",
	"/usr/lib",
};

struct el__ldcache {
	char *data; /* the whole image; the entries point into it */
	size_t len;
	size_t count;
	el__ldcache_entry *entries;
};

/* Where an entry's strings may lie, and how to name that place. */
struct strings {
	size_t base; /* offsets count from here */
	size_t lo, hi;
	const char *name;
};

static uint32_t get_u32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static bool has_prefix(const char *data, size_t len, const char *magic, size_t magic_len)
{
	return len >= magic_len && memcmp(data, magic, magic_len) == 0;
}

/* A file shorter than a magic that it starts like is a cut-off cache. */
static bool cut_magic(const char *data, size_t len, const char *magic, size_t magic_len)
{
	return len < magic_len && memcmp(data, magic, len) == 0;
}

static int truncated_header(size_t need, size_t len, const char *origin)
{
	return el__error(EL_EINVAL, "%s: truncated: header needs %zu bytes, file has %zu", origin, need, len);
}

static int truncated_entries(uint32_t nlibs, unsigned long long need, size_t len, const char *origin)
{
	return el__error(EL_EINVAL, "%s: truncated: %u entries need %llu bytes, file has %zu",
			 origin, nlibs, need, len);
}

static int get_string(const char **out, const el__ldcache *c, const struct strings *s, uint32_t off,
		      size_t i, const char *what, const char *origin)
{
	unsigned long long pos = (unsigned long long)s->base + off;

	if (pos < s->lo || pos >= s->hi)
		return el__error(EL_EINVAL, "%s: entry %zu: %s at offset %u is outside %s",
				 origin, i, what, off, s->name);
	if (!memchr(c->data + pos, '\0', s->hi - (size_t)pos))
		return el__error(EL_EINVAL, "%s: entry %zu: %s runs past the end of %s",
				 origin, i, what, s->name);
	*out = c->data + pos;
	return EL_OK;
}

/* Fill entry i from the {flags, key, value} triple at p. */
static int read_entry(el__ldcache *c, size_t i, const char *p, const struct strings *s, const char *origin)
{
	el__ldcache_entry *e = &c->entries[i];
	int ret;

	memcpy(&e->flags, p, sizeof(e->flags));
	ret = get_string(&e->soname, c, s, get_u32(p + 4), i, "name", origin);
	if (ret == EL_OK)
		ret = get_string(&e->path, c, s, get_u32(p + 8), i, "path", origin);
	return ret;
}

static int alloc_entries(el__ldcache *c, uint32_t nlibs)
{
	c->entries = calloc(nlibs ? nlibs : 1, sizeof(*c->entries));
	if (!c->entries)
		return el__error_oom();
	c->count = nlibs;
	return EL_OK;
}

static int check_byte_order(unsigned flags, const char *origin)
{
	unsigned ours = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? ENDIAN_BIG : ENDIAN_LITTLE;

	flags &= ENDIAN_MASK;
	if (flags == ENDIAN_INVALID)
		return el__error(EL_EINVAL, "%s: invalid byte-order flag", origin);
	if (flags != ENDIAN_UNSET && flags != ours)
		return el__error(EL_EINVAL, "%s: written for a %s-endian machine; this one is %s-endian",
				 origin, flags == ENDIAN_BIG ? "big" : "little",
				 ours == ENDIAN_BIG ? "big" : "little");
	return EL_OK;
}

/* The new layout, its header at off (0, or after the old part). */
static int parse_new(el__ldcache *c, size_t off, const char *origin)
{
	const char *h = c->data + off;
	unsigned long long entries_end, strings_end;
	uint32_t nlibs, len_strings;
	struct strings s;
	int ret;

	if (c->len - off < NEW_HEADER)
		return truncated_header(off + NEW_HEADER, c->len, origin);
	if (memcmp(h + NEW_MAGIC_LEN, NEW_VERSION, NEW_VERSION_LEN) != 0) {
		char version[NEW_VERSION_LEN + 1];

		memcpy(version, h + NEW_MAGIC_LEN, NEW_VERSION_LEN);
		version[NEW_VERSION_LEN] = '\0';
		el__printable(version, NEW_VERSION_LEN);
		return el__error(EL_EINVAL, "%s: unsupported version \"%s\"", origin, version);
	}
	ret = check_byte_order((unsigned char)h[NEW_FLAGS], origin);
	if (ret != EL_OK)
		return ret;
	nlibs = get_u32(h + NEW_NLIBS);
	len_strings = get_u32(h + NEW_LEN_STRINGS);
	/* 64-bit arithmetic: u32 counts times 24 cannot wrap it. */
	entries_end = off + NEW_HEADER + (unsigned long long)nlibs * NEW_ENTRY;
	if (entries_end > c->len)
		return truncated_entries(nlibs, entries_end, c->len, origin);
	strings_end = entries_end + len_strings;
	if (strings_end > c->len)
		return el__error(EL_EINVAL, "%s: truncated: the string table needs %llu bytes, file has %zu",
				 origin, strings_end, c->len);
	ret = alloc_entries(c, nlibs);
	s = (struct strings){ off, (size_t)entries_end, (size_t)strings_end, "the string table" };
	for (size_t i = 0; ret == EL_OK && i < nlibs; i++) {
		const char *p = h + NEW_HEADER + i * NEW_ENTRY;

		ret = read_entry(c, i, p, &s, origin);
		memcpy(&c->entries[i].hwcap, p + NEW_ENTRY_HWCAP, sizeof(uint64_t));
	}
	return ret;
}

/* The old layout, which may hide a new one after its entries. */
static int parse_old(el__ldcache *c, const char *origin)
{
	unsigned long long end;
	uint32_t nlibs;
	size_t new_off;
	struct strings s;
	int ret;

	if (c->len < OLD_HEADER)
		return truncated_header(OLD_HEADER, c->len, origin);
	nlibs = get_u32(c->data + OLD_NLIBS);
	end = OLD_HEADER + (unsigned long long)nlibs * OLD_ENTRY;
	if (end > c->len)
		return truncated_entries(nlibs, end, c->len, origin);
	/* Like the loader: the new part wins when its magic and version are there. */
	new_off = ((size_t)end + NEW_ALIGN - 1) & ~(NEW_ALIGN - 1);
	if (new_off <= c->len && c->len - new_off >= NEW_HEADER &&
	    has_prefix(c->data + new_off, c->len - new_off, NEW_MAGIC NEW_VERSION, NEW_MAGIC_LEN + NEW_VERSION_LEN))
		return parse_new(c, new_off, origin);
	ret = alloc_entries(c, nlibs);
	s = (struct strings){ (size_t)end, (size_t)end, c->len, "the file" };
	for (size_t i = 0; ret == EL_OK && i < nlibs; i++)
		ret = read_entry(c, i, c->data + OLD_HEADER + i * OLD_ENTRY, &s, origin);
	return ret;
}

static int parse_image(el__ldcache *c, const char *origin)
{
	if (c->len == 0)
		return el__error(EL_EINVAL, "%s: empty file", origin);
	if (has_prefix(c->data, c->len, NEW_MAGIC, NEW_MAGIC_LEN))
		return parse_new(c, 0, origin);
	if (has_prefix(c->data, c->len, OLD_MAGIC, OLD_MAGIC_LEN))
		return parse_old(c, origin);
	if (cut_magic(c->data, c->len, NEW_MAGIC, NEW_MAGIC_LEN))
		return truncated_header(NEW_HEADER, c->len, origin);
	if (cut_magic(c->data, c->len, OLD_MAGIC, OLD_MAGIC_LEN))
		return truncated_header(OLD_HEADER, c->len, origin);
	return el__error(EL_EINVAL, "%s: not an ld.so.cache file (bad magic)", origin);
}

/* Parse data (malloc'd, len bytes), which the cache owns from here on. */
static int adopt(el__ldcache **out, char *data, size_t len, const char *origin)
{
	el__ldcache *c = calloc(1, sizeof(*c));
	int ret;

	*out = NULL;
	if (!c) {
		free(data);
		return el__error_oom();
	}
	c->data = data;
	c->len = len;
	ret = parse_image(c, origin);
	if (ret != EL_OK) {
		el__ldcache_free(c);
		return ret;
	}
	*out = c;
	return EL_OK;
}

int el__ldcache_parse(el__ldcache **out, const void *data, size_t len, const char *origin)
{
	char *copy = malloc(len ? len : 1);

	*out = NULL;
	if (!copy)
		return el__error_oom();
	if (len)
		memcpy(copy, data, len);
	return adopt(out, copy, len, origin);
}

int el__ldcache_load(el__ldcache **out, const char *path)
{
	el__buf b;
	char *data;
	size_t len;
	int ret;

	*out = NULL;
	el__buf_init(&b);
	ret = el__read_file(&b, path, CACHE_MAX_BYTES, false);
	if (ret != EL_OK) {
		el__buf_free(&b);
		return ret;
	}
	data = el__buf_detach(&b, &len);
	if (!data)
		return el__error_oom();
	return adopt(out, data, len, path);
}

size_t el__ldcache_count(const el__ldcache *cache)
{
	return cache ? cache->count : 0;
}

const el__ldcache_entry *el__ldcache_entry_at(const el__ldcache *cache, size_t i)
{
	return cache && i < cache->count ? &cache->entries[i] : NULL;
}

int32_t el__ldcache_native_flags(void)
{
	return NATIVE_FLAGS;
}

/* An entry the loader of this build would take without hardware checks. */
static bool is_baseline(const el__ldcache_entry *e)
{
	return e->flags == NATIVE_FLAGS && e->hwcap == 0;
}

const char *el__ldcache_lookup(const el__ldcache *cache, const char *soname)
{
	for (size_t i = 0; i < el__ldcache_count(cache); i++) {
		const el__ldcache_entry *e = &cache->entries[i];

		if (is_baseline(e) && strcmp(e->soname, soname) == 0)
			return e->path;
	}
	return NULL;
}

void el__ldcache_free(el__ldcache *cache)
{
	if (!cache)
		return;
	free(cache->entries);
	free(cache->data);
	free(cache);
}

static int load_root_cache(el__probe_ctx *ctx)
{
	el__buf rel, host;
	int ret;

	el__buf_init(&rel);
	el__buf_init(&host);
	/* Resolved inside the root, so that a fixture's absolute link cannot reach the host's cache. */
	ret = el__resolve_in_root(&rel, ctx->root, "/etc/ld.so.cache");
	if (ret == EL_OK) {
		el__root_path(&host, ctx->root, rel.data);
		ret = el__buf_failed(&host) ? el__error_oom() : el__ldcache_load(&ctx->ldcache, host.data);
	}
	el__buf_free(&rel);
	el__buf_free(&host);
	return ret;
}

/* The cache of ctx->root, read on first use; NULL when missing or corrupt. */
static el__ldcache *root_cache(el__probe_ctx *ctx)
{
	if (ctx->ldcache_tried)
		return ctx->ldcache;
	ctx->ldcache_tried = true;
	ctx->ldcache_rc = load_root_cache(ctx);
	/* A machine without a cache is normal (musl, containers); a broken one is news. */
	if (ctx->ldcache_rc != EL_OK && ctx->ldcache_rc != EL_ENOTFOUND)
		el__warn(ctx, "libraries", "%s; searching the default directories only", el_error_last());
	return ctx->ldcache;
}

int el__probe_find_library(el__probe_ctx *ctx, const char *soname, el__buf *path)
{
	const char *hit = el__ldcache_lookup(root_cache(ctx), soname);
	el__buf candidate;
	int ret = EL_ENOTFOUND;

	/* A stale cache entry makes the loader go on to the default directories. */
	if (hit && el__resolve_in_root(path, ctx->root, hit) == EL_OK)
		return EL_OK;
	el__buf_init(&candidate);
	for (size_t i = 0; ret == EL_ENOTFOUND && i < sizeof(default_dirs) / sizeof(default_dirs[0]); i++) {
		el__buf_reset(&candidate);
		el__buf_printf(&candidate, "%s/%s", default_dirs[i], soname);
		if (el__buf_failed(&candidate))
			ret = el__error_oom();
		else if (el__resolve_in_root(path, ctx->root, candidate.data) == EL_OK)
			ret = EL_OK;
	}
	el__buf_free(&candidate);
	if (ret == EL_ENOTFOUND)
		ret = el__error(EL_ENOTFOUND, "%s: not found by the loader", soname);
	return ret;
}

/* A growable NULL-terminated string vector. */
struct strv {
	char **v;
	size_t n, cap;
};

/* Room for one more string and the terminating NULL. */
static int strv_grow(struct strv *sv)
{
	size_t cap = sv->cap ? sv->cap * 2 : 16;
	char **v;

	if (sv->n + 1 < sv->cap)
		return EL_OK;
	if (!(v = realloc(sv->v, cap * sizeof(*v))))
		return el__error_oom();
	sv->v = v;
	sv->cap = cap;
	sv->v[sv->n] = NULL;
	return EL_OK;
}

static int strv_push(struct strv *sv, const char *s)
{
	int ret = strv_grow(sv);

	if (ret != EL_OK)
		return ret;
	if (!(sv->v[sv->n] = strdup(s)))
		return el__error_oom();
	sv->v[++sv->n] = NULL;
	return EL_OK;
}

/* name starts with prefix and carries a version: "libfoo.so.6", not "libfoo.so". */
static bool is_versioned(const char *name, const char *prefix)
{
	const char *so;

	if (!el__startswith(name, prefix))
		return false; /* first: this runs on every cache entry for every prefix */
	so = strstr(name, ".so.");
	return so && so[4] >= '0' && so[4] <= '9';
}

static int list_cache(const el__ldcache *cache, const char *prefix, struct strv *sv)
{
	int ret = EL_OK;

	for (size_t i = 0; ret == EL_OK && i < cache->count; i++) {
		const el__ldcache_entry *e = &cache->entries[i];

		if (is_baseline(e) && is_versioned(e->soname, prefix))
			ret = strv_push(sv, e->soname);
	}
	return ret;
}

/*
 * Without a cache a directory listing has to do. It also holds the real
 * files behind the sonames (libfoo.so.6.0.30 beside libfoo.so.6), which are
 * not names anyone links against: only single-number versions count here.
 */
static int list_dirs(el__probe_ctx *ctx, const char *prefix, struct strv *sv)
{
	el__buf dir;
	int ret = EL_OK;

	el__buf_init(&dir);
	for (size_t i = 0; ret == EL_OK && i < sizeof(default_dirs) / sizeof(default_dirs[0]); i++) {
		struct dirent *d;
		DIR *dp;

		el__root_path(&dir, ctx->root, default_dirs[i]);
		if (el__buf_failed(&dir) || !(dp = opendir(dir.data)))
			continue;
		while (ret == EL_OK && (d = readdir(dp))) {
			const char *so = strstr(d->d_name, ".so.");

			if (is_versioned(d->d_name, prefix) && !strchr(so + 4, '.'))
				ret = strv_push(sv, d->d_name);
		}
		closedir(dp);
	}
	if (ret == EL_OK && el__buf_failed(&dir))
		ret = el__error_oom();
	el__buf_free(&dir);
	return ret;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_unique(struct strv *sv)
{
	size_t kept = 0;

	qsort(sv->v, sv->n, sizeof(*sv->v), compare_names);
	for (size_t i = 0; i < sv->n; i++) {
		if (kept && strcmp(sv->v[kept - 1], sv->v[i]) == 0)
			free(sv->v[i]);
		else
			sv->v[kept++] = sv->v[i];
	}
	sv->n = kept;
	sv->v[kept] = NULL;
}

int el__probe_list_libraries(el__probe_ctx *ctx, const char *prefix, char ***names)
{
	el__ldcache *cache = root_cache(ctx);
	struct strv sv = { 0 };
	int ret;

	*names = NULL;
	ret = strv_grow(&sv);
	if (ret == EL_OK)
		ret = cache ? list_cache(cache, prefix, &sv) : list_dirs(ctx, prefix, &sv);
	if (ret != EL_OK) {
		el__strv_free(sv.v);
		return ret;
	}
	sort_unique(&sv);
	*names = sv.v;
	return EL_OK;
}

void el__strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
