/* SPDX-License-Identifier: Apache-2.0 */
#include "util/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#include "util/atomic_file.h"
#include "util/checksum.h"
#include "util/buf.h"
#include "util/env.h"
#include "util/error.h"
#include "util/fs.h"

#define CACHE_FILE "cache-v2.bin"
#define CACHE_MAGIC "ELCACHE2"
#define CACHE_MAX_BYTES (16 << 20)
#define CACHE_MAX_ENTRIES 4096
#define RACY_WINDOW_NS (2LL * 1000000000LL)

/*
 * The file: CACHE_MAGIC, a u32 count, then the entries sorted by name
 * ("kind\tkey", bytewise), each: u32 name length, the name and a NUL, u8
 * 1 when an identity follows, the identity (device, inode, size, mtime,
 * ctime: five i64), u32 value length, the value as compact JSON and a NUL;
 * a u64 checksum of everything before it at the end. This machine's byte
 * order: the cache is never carried elsewhere.
 *
 * A capture asks a few dozen facts of a cache holding hundreds (every
 * library of torch and of the CUDA wheels): parsing all of it as JSON cost
 * more than the rest of a warm check. So the file is read whole, its
 * entries found by binary search in place, and only the values asked for
 * are parsed.
 */
typedef struct disk_entry {
	const char *name;
	bool has_id;
	long long id[5];
	const char *value; /* JSON text */
} disk_entry;

struct el__cache {
	int dirfd;        /* -1: in memory only */
	char *bytes;      /* the file as read, or NULL */
	size_t *offsets;  /* of each entry in bytes, in name order */
	size_t count;
	bool dropped;     /* the file's entries are no longer wanted (full) */
	json_t *entries;  /* what was put: "kind\tkey" -> {"id": [...], "v": value} */
	json_t *decoded;  /* the file's values asked for, parsed: name -> value */
	bool dirty;
};

char *el__cache_dir_in(const char *const *env)
{
	const char *value = el__env_get(env, "ENVLOCK_CACHE_DIR");
	el__buf b;

	if (value)
		return strdup(value);
	el__buf_init(&b);
	if ((value = el__env_get(env, "XDG_CACHE_HOME")) && value[0] == '/')
		el__buf_printf(&b, "%s/envlock", value);
	else if ((value = el__env_get(env, "HOME")) && value[0] == '/')
		el__buf_printf(&b, "%s/.cache/envlock", value);
	else
		return NULL;
	return el__buf_detach(&b, NULL);
}

char *el__cache_default_dir(void)
{
	return el__cache_dir_in((const char *const *)environ);
}

/* mkdir -p with mode 0700 for the components we create. */
static void make_dirs(const char *dir)
{
	el__buf b;

	el__buf_init(&b);
	el__buf_puts(&b, dir);
	for (char *p = b.data + 1; !el__buf_failed(&b) && *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(b.data, 0700);
		*p = '/';
	}
	if (!el__buf_failed(&b))
		mkdir(b.data, 0700);
	el__buf_free(&b);
}

int el__cache_open_dir(const char *dir, const char **warning)
{
	struct stat st;
	int fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		make_dirs(dir);
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		*warning = "the cache directory cannot be opened";
		return -1;
	}
	if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
		*warning = "the cache directory is not owned by this user or is writable by others";
		close(fd);
		return -1;
	}
	return fd;
}

/* A text of the file at *at (u32 length, bytes, NUL) within end; NULL when it does not fit. */
static const char *text_at(const char *bytes, size_t *at, size_t end)
{
	uint32_t n;
	const char *s;

	if (end - *at < 4)
		return NULL;
	memcpy(&n, bytes + *at, 4);
	if (end - *at - 4 <= n || bytes[*at + 4 + n] != '\0')
		return NULL;
	s = bytes + *at + 4;
	*at += 4 + (size_t)n + 1;
	return memchr(s, '\0', n) ? NULL : s;
}

/* The entry at offset at, which load_file checked. */
static void entry_at(const el__cache *c, size_t at, disk_entry *e)
{
	size_t end = SIZE_MAX;

	e->name = text_at(c->bytes, &at, end);
	e->has_id = c->bytes[at++] == 1;
	if (e->has_id) {
		memcpy(e->id, c->bytes + at, sizeof(e->id));
		at += sizeof(e->id);
	}
	e->value = text_at(c->bytes, &at, end);
}

/* Read and check the file; every entry's offset into c->offsets. A bad file is no file. */
static void load_file(el__cache *c)
{
	struct stat st;
	char *bytes = NULL;
	size_t got = 0, at, end, *offsets = NULL;
	const char *prev = NULL;
	uint32_t count;
	uint64_t sum;
	int fd = openat(c->dirfd, CACHE_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) ||
	    st.st_size < 8 + 4 + 8 || st.st_size > CACHE_MAX_BYTES || !(bytes = malloc((size_t)st.st_size))) {
		close(fd);
		return;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, bytes + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	end = got - 8;
	if (got != (size_t)st.st_size || memcmp(bytes, CACHE_MAGIC, 8) != 0)
		goto bad;
	memcpy(&sum, bytes + end, 8);
	memcpy(&count, bytes + 8, 4);
	if (sum != el__checksum64(bytes, end) || count > CACHE_MAX_ENTRIES || (count && !(offsets = calloc(count, sizeof(*offsets)))))
		goto bad;
	at = 12;
	for (uint32_t i = 0; i < count; i++) {
		const char *name, *value;

		offsets[i] = at;
		/* In name order, each once: the binary search relies on it. */
		if (!(name = text_at(bytes, &at, end)) || (prev && strcmp(prev, name) >= 0) || at >= end ||
		    (unsigned char)bytes[at] > 1)
			goto bad;
		at += bytes[at] == 1 ? 1 + 5 * 8 : 1;
		if (at > end || !(value = text_at(bytes, &at, end)))
			goto bad;
		prev = name;
	}
	if (at != end)
		goto bad;
	c->bytes = bytes;
	c->offsets = offsets;
	c->count = count;
	return;
bad:
	free(offsets);
	free(bytes);
}

int el__cache_open(el__cache **out, const char *dir, const char **warning)
{
	el__cache *c = calloc(1, sizeof(*c));

	*warning = NULL;
	*out = NULL;
	if (!c)
		return el__error_oom();
	c->dirfd = -1;
	if (dir && *dir) {
		c->dirfd = el__cache_open_dir(dir, warning);
		if (c->dirfd >= 0)
			load_file(c);
	}
	c->entries = json_object();
	c->decoded = json_object();
	if (!c->entries || !c->decoded) {
		el__cache_free(c);
		return el__error_oom();
	}
	*out = c;
	return EL_OK;
}

/* The file's entry called name, or false. */
static bool find_on_disk(const el__cache *c, const char *name, disk_entry *e)
{
	size_t lo = 0, hi = c->dropped ? 0 : c->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp;

		entry_at(c, c->offsets[mid], e);
		cmp = strcmp(name, e->name);
		if (cmp == 0)
			return true;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

static char *entry_name(const char *kind, const char *key)
{
	el__buf b;

	el__buf_init(&b);
	el__buf_printf(&b, "%s\t%s", kind, key);
	return el__buf_failed(&b) ? NULL : el__buf_detach(&b, NULL);
}

static json_t *identity(const struct stat *st)
{
	return json_pack("[IIIII]", (json_int_t)st->st_dev, (json_int_t)st->st_ino,
			 (json_int_t)st->st_size, (json_int_t)el__mtime_ns(st),
			 (json_int_t)el__ctime_ns(st));
}

static void identity_of(long long id[5], const struct stat *st)
{
	id[0] = (long long)st->st_dev;
	id[1] = (long long)st->st_ino;
	id[2] = (long long)st->st_size;
	id[3] = el__mtime_ns(st);
	id[4] = el__ctime_ns(st);
}

/* The file's value for e when e matches st (or has no identity when st is NULL); borrowed. */
static json_t *disk_value(el__cache *cache, const disk_entry *e, const struct stat *st)
{
	long long want[5];
	json_t *value;

	if (st ? !e->has_id : e->has_id)
		return NULL;
	if (st) {
		identity_of(want, st);
		if (memcmp(want, e->id, sizeof(want)) != 0)
			return NULL;
	}
	if ((value = json_object_get(cache->decoded, e->name)))
		return value;
	value = json_loads(e->value, JSON_DECODE_ANY, NULL);
	if (!value || json_object_set_new(cache->decoded, e->name, value) != 0)
		return NULL;
	return value;
}

json_t *el__cache_get(el__cache *cache, const char *kind, const char *key, const struct stat *st)
{
	char *name = entry_name(kind, key);
	json_t *entry, *want = NULL, *value = NULL;
	disk_entry e;

	if (!cache || !name) {
		free(name);
		return NULL;
	}
	entry = json_object_get(cache->entries, name);
	if (!entry) {
		value = find_on_disk(cache, name, &e) ? disk_value(cache, &e, st) : NULL;
		free(name);
		return value;
	}
	free(name);
	if (st) {
		want = identity(st);
		if (!want || !json_equal(want, json_object_get(entry, "id")))
			goto done;
	} else if (json_object_get(entry, "id")) {
		goto done;
	}
	value = json_object_get(entry, "v");
done:
	json_decref(want);
	return value;
}

bool el__cache_too_recent(long long ns)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return ns > (long long)now.tv_sec * 1000000000LL + now.tv_nsec - RACY_WINDOW_NS;
}

void el__cache_put(el__cache *cache, const char *kind, const char *key, const struct stat *st, json_t *value)
{
	char *name = NULL;
	json_t *entry = NULL;

	if (!cache || !value)
		goto done;
	if (st && (el__cache_too_recent(el__mtime_ns(st)) || el__cache_too_recent(el__ctime_ns(st))))
		goto done;
	name = entry_name(kind, key);
	entry = st ? json_pack("{s:o,s:O}", "id", identity(st), "v", value) : json_pack("{s:O}", "v", value);
	if (!name || !entry)
		goto done;
	if (json_object_size(cache->entries) + (cache->dropped ? 0 : cache->count) >= CACHE_MAX_ENTRIES) {
		json_object_clear(cache->entries);
		cache->dropped = true;
	}
	if (json_object_set(cache->entries, name, entry) == 0)
		cache->dirty = true;
done:
	free(name);
	json_decref(entry);
	json_decref(value);
}

static void put_text(el__buf *b, const char *s)
{
	uint32_t n = (uint32_t)strlen(s);

	el__buf_add(b, &n, 4);
	el__buf_add(b, s, (size_t)n + 1);
}

/* One entry of the file: name, identity (or none), value as JSON text. */
static void put_entry(el__buf *b, const char *name, const long long *id, const char *value)
{
	unsigned char has_id = id != NULL;

	put_text(b, name);
	el__buf_add(b, &has_id, 1);
	if (id)
		el__buf_add(b, id, 5 * sizeof(long long));
	put_text(b, value);
}

/* A put entry's identity as the file keeps it; false when it has none. */
static bool put_identity(json_t *entry, long long id[5])
{
	json_t *array = json_object_get(entry, "id");

	for (size_t i = 0; i < 5; i++)
		id[i] = (long long)json_integer_value(json_array_get(array, i));
	return array != NULL;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int el__cache_save(el__cache *cache)
{
	size_t n = 0, put = 0, i = 0, j = 0;
	const char **names = NULL, *name;
	json_t *entry;
	el__buf b;
	uint32_t count;
	uint64_t sum;
	int ret = EL_OK;

	if (!cache || !cache->dirty || cache->dirfd < 0)
		return EL_OK;
	put = json_object_size(cache->entries);
	if (put && !(names = calloc(put, sizeof(*names))))
		return el__error_oom();
	json_object_foreach(cache->entries, name, entry)
		names[n++] = name;
	qsort(names, n, sizeof(*names), compare_names);
	el__buf_init(&b);
	el__buf_add(&b, CACHE_MAGIC, 8);
	el__buf_add(&b, "\0\0\0\0", 4); /* the count, once known */
	count = 0;
	/* Merge the file's entries (those not put again) with the ones put, in name order. */
	while (!el__buf_failed(&b) && (j < n || (!cache->dropped && i < cache->count))) {
		disk_entry e;
		int cmp = 1;

		if (!cache->dropped && i < cache->count) {
			entry_at(cache, cache->offsets[i], &e);
			cmp = j < n ? strcmp(e.name, names[j]) : -1;
		}
		if (cmp < 0) {
			put_entry(&b, e.name, e.has_id ? e.id : NULL, e.value);
			i++;
		} else {
			long long id[5];
			char *value = json_dumps(json_object_get(json_object_get(cache->entries, names[j]), "v"),
						 JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

			if (!value) {
				ret = el__error_oom();
				break;
			}
			entry = json_object_get(cache->entries, names[j]);
			put_entry(&b, names[j], put_identity(entry, id) ? id : NULL, value);
			free(value);
			i += cmp == 0;
			j++;
		}
		count++;
	}
	free(names);
	if (ret == EL_OK && el__buf_failed(&b))
		ret = el__error_oom();
	if (ret == EL_OK) {
		memcpy(b.data + 8, &count, 4);
		sum = el__checksum64(b.data, b.len);
		el__buf_add(&b, &sum, 8);
		ret = el__buf_failed(&b) ? el__error_oom()
					 : el__atomic_write_at(cache->dirfd, CACHE_FILE, "stat cache", b.data, b.len, 0600);
	}
	el__buf_free(&b);
	if (ret == EL_OK)
		cache->dirty = false;
	return ret;
}

void el__cache_free(el__cache *cache)
{
	if (!cache)
		return;
	if (cache->dirfd >= 0)
		close(cache->dirfd);
	json_decref(cache->entries);
	json_decref(cache->decoded);
	free(cache->offsets);
	free(cache->bytes);
	free(cache);
}
