/* SPDX-License-Identifier: Apache-2.0 */
#include "data/datacache.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/atomic_file.h"
#include "util/buf.h"
#include "util/cache.h"
#include "util/error.h"
#include "util/fs.h"

#define CACHE_FILE "data-v1.bin"
#define MAGIC "ELDATA1\n"
#define HEADER_SIZE 16
#define RECORD_SIZE 72
/* At most this many entries are written back (72 MiB): beyond it, those not used in this run go. */
#define MAX_ENTRIES (1u << 20)

typedef struct entry {
	uint64_t dev, ino, size;
	int64_t mtime_ns, ctime_ns;
	unsigned char sha256[32];
	bool used; /* looked up or added in this run */
} entry;

/*
 * The file's records are searched where they were read, not decoded into
 * entries first: a warm re-check looks up every file of a tree, and the
 * decoding cost as much as the lookups.
 */
struct el__datacache {
	int dirfd;
	unsigned char *records; /* RECORD_SIZE each, sorted by (dev, ino), unique */
	bool *used;             /* per record: looked up in this run */
	size_t count;
	entry *added;   /* in the order added */
	size_t added_count, added_cap;
};

/* One load where the machine is little-endian: lookups read these in the hot path. */
static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

static int compare_key(const entry *a, uint64_t dev, uint64_t ino)
{
	if (a->dev != dev)
		return a->dev < dev ? -1 : 1;
	if (a->ino != ino)
		return a->ino < ino ? -1 : 1;
	return 0;
}

static int compare_entries(const void *a, const void *b)
{
	const entry *y = b;

	return compare_key(a, y->dev, y->ino);
}

/* Record i as an entry. */
static void decode(entry *e, const el__datacache *c, size_t i)
{
	const unsigned char *r = c->records + i * RECORD_SIZE;

	e->dev = get64(r);
	e->ino = get64(r + 8);
	e->size = get64(r + 16);
	e->mtime_ns = (int64_t)get64(r + 24);
	e->ctime_ns = (int64_t)get64(r + 32);
	memcpy(e->sha256, r + 40, 32);
	e->used = c->used[i];
}

/* Records from a well-formed file, or nothing: a torn or foreign file costs a re-hash. */
static void load(el__datacache *c)
{
	unsigned char header[HEADER_SIZE], *records = NULL;
	struct stat st;
	uint64_t count;
	size_t bytes;
	int fd = openat(c->dirfd, CACHE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) ||
	    pread(fd, header, sizeof(header), 0) != (ssize_t)sizeof(header) || memcmp(header, MAGIC, 8) != 0)
		goto done;
	count = get64(header + 8);
	if (count > MAX_ENTRIES || (uint64_t)st.st_size != HEADER_SIZE + count * RECORD_SIZE || count == 0)
		goto done;
	bytes = (size_t)count * RECORD_SIZE;
	records = malloc(bytes);
	c->used = calloc((size_t)count, sizeof(*c->used));
	if (!records || !c->used)
		goto fail;
	el__prefault(records, bytes);
	if (pread(fd, records, bytes, HEADER_SIZE) != (ssize_t)bytes)
		goto fail;
	/* Sorted and unique, as written: anything else is not this cache's file. */
	for (size_t i = 1; i < count; i++) {
		const unsigned char *r = records + i * RECORD_SIZE, *prev = r - RECORD_SIZE;
		uint64_t dev = get64(r), prev_dev = get64(prev);

		if (prev_dev > dev || (prev_dev == dev && get64(prev + 8) >= get64(r + 8)))
			goto fail;
	}
	c->records = records;
	c->count = (size_t)count;
	goto done;
fail:
	free(records);
	free(c->used);
	c->used = NULL;
done:
	close(fd);
}

int el__datacache_open(el__datacache **out, const char *dir, const char **warning)
{
	el__datacache *c = calloc(1, sizeof(*c));

	*out = NULL;
	*warning = NULL;
	if (!c)
		return el__error_oom();
	c->dirfd = -1;
	if (dir && *dir) {
		c->dirfd = el__cache_open_dir(dir, warning);
		if (c->dirfd >= 0)
			load(c);
	}
	*out = c;
	return EL_OK;
}

static bool same_identity(const unsigned char *r, const struct stat *st)
{
	return get64(r + 16) == (uint64_t)st->st_size && (int64_t)get64(r + 24) == el__mtime_ns(st) &&
	       (int64_t)get64(r + 32) == el__ctime_ns(st);
}

bool el__datacache_get(const el__datacache *c, const struct stat *st, unsigned char sha256[32])
{
	size_t lo = 0, hi = c ? c->count : 0;
	const uint64_t dev = (uint64_t)st->st_dev, ino = (uint64_t)st->st_ino;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const unsigned char *r = c->records + mid * RECORD_SIZE;
		uint64_t d = get64(r), i = get64(r + 8);

		if (d == dev && i == ino) {
			if (!same_identity(r, st))
				return false;
			memcpy(sha256, r + 40, 32);
			/* Several threads may set it; each writes the same value, and only save() reads it. */
			__atomic_store_n(&c->used[mid], true, __ATOMIC_RELAXED);
			return true;
		}
		if (d < dev || (d == dev && i < ino))
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

int el__datacache_put(el__datacache *c, const struct stat *st, const unsigned char sha256[32])
{
	entry *e;

	if (el__cache_too_recent(el__mtime_ns(st)) || el__cache_too_recent(el__ctime_ns(st)))
		return EL_OK;
	if (c->added_count == c->added_cap) {
		size_t cap = c->added_cap ? c->added_cap * 2 : 256;
		entry *grown = realloc(c->added, cap * sizeof(*grown));

		if (!grown)
			return el__error_oom();
		c->added = grown;
		c->added_cap = cap;
	}
	e = &c->added[c->added_count++];
	*e = (entry){ .dev = (uint64_t)st->st_dev, .ino = (uint64_t)st->st_ino, .size = (uint64_t)st->st_size,
		      .mtime_ns = el__mtime_ns(st), .ctime_ns = el__ctime_ns(st), .used = true };
	memcpy(e->sha256, sha256, 32);
	return EL_OK;
}

/*
 * Old and added entries merged, sorted, one per (dev, ino): an added entry
 * replaces the old one for the same inode (the file was rewritten).
 * Over MAX_ENTRIES, only the entries used in this run are kept.
 */
static entry *merged(const el__datacache *c, size_t *count)
{
	size_t total = c->count + c->added_count, n = 0;
	entry *all = malloc((total ? total : 1) * sizeof(*all));
	bool only_used = total > MAX_ENTRIES;

	if (!all)
		return NULL;
	if (c->added_count)
		memcpy(all, c->added, c->added_count * sizeof(*all));
	for (size_t i = 0; i < c->count; i++)
		decode(&all[c->added_count + i], c, i);
	qsort(all, total, sizeof(*all), compare_entries);
	for (size_t i = 0; i < total; i++) {
		if (only_used && !all[i].used)
			continue;
		if (n > 0 && compare_entries(&all[n - 1], &all[i]) == 0) {
			/* The newer identity wins: ctime only moves forward. */
			if (all[i].ctime_ns > all[n - 1].ctime_ns)
				all[n - 1] = all[i];
			continue;
		}
		all[n++] = all[i];
	}
	if (n > MAX_ENTRIES)
		n = MAX_ENTRIES;
	*count = n;
	return all;
}

int el__datacache_save(el__datacache *c)
{
	unsigned char *out;
	entry *all;
	size_t count = 0;
	int ret;

	if (!c || c->dirfd < 0 || c->added_count == 0)
		return EL_OK;
	all = merged(c, &count);
	out = all ? malloc(HEADER_SIZE + count * RECORD_SIZE) : NULL;
	if (!out) {
		free(all);
		return el__error_oom();
	}
	memcpy(out, MAGIC, 8);
	put64(out + 8, count);
	for (size_t i = 0; i < count; i++) {
		unsigned char *r = out + HEADER_SIZE + i * RECORD_SIZE;

		put64(r, all[i].dev);
		put64(r + 8, all[i].ino);
		put64(r + 16, all[i].size);
		put64(r + 24, (uint64_t)all[i].mtime_ns);
		put64(r + 32, (uint64_t)all[i].ctime_ns);
		memcpy(r + 40, all[i].sha256, 32);
	}
	ret = el__atomic_write_at(c->dirfd, CACHE_FILE, "data cache", out, HEADER_SIZE + count * RECORD_SIZE, 0600);
	free(out);
	free(all);
	if (ret == EL_OK)
		c->added_count = 0;
	return ret;
}

void el__datacache_free(el__datacache *c)
{
	if (!c)
		return;
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c->records);
	free(c->used);
	free(c->added);
	free(c);
}
