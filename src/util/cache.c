#include "util/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#include "util/atomic_file.h"
#include "util/buf.h"
#include "util/env.h"
#include "util/error.h"
#include "util/fs.h"

#define CACHE_FILE "cache-v1.json"
#define CACHE_MAX_BYTES (16 << 20)
#define CACHE_MAX_ENTRIES 4096
#define RACY_WINDOW_NS (2LL * 1000000000LL)

struct el__cache {
	int dirfd;       /* -1: in memory only */
	json_t *entries; /* "kind\tkey" -> {"id": [...], "v": value} */
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

static json_t *load_entries(int dirfd)
{
	el__buf b;
	struct stat st;
	json_t *root = NULL, *entries = NULL;
	int fd = openat(dirfd, CACHE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	el__buf_init(&b);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    !(st.st_mode & 022) && st.st_size < CACHE_MAX_BYTES) {
		char chunk[65536];
		ssize_t n;

		while ((n = read(fd, chunk, sizeof(chunk))) > 0)
			el__buf_add(&b, chunk, (size_t)n);
		if (n == 0 && !el__buf_failed(&b))
			root = json_loadb(b.data, b.len, 0, NULL);
	}
	close(fd);
	el__buf_free(&b);
	if (root && json_integer_value(json_object_get(root, "version")) == 1) {
		entries = json_object_get(root, "entries");
		if (json_is_object(entries))
			json_incref(entries);
		else
			entries = NULL;
	}
	json_decref(root);
	return entries;
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
			c->entries = load_entries(c->dirfd);
	}
	if (!c->entries)
		c->entries = json_object();
	if (!c->entries) {
		el__cache_free(c);
		return el__error_oom();
	}
	*out = c;
	return EL_OK;
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

json_t *el__cache_get(el__cache *cache, const char *kind, const char *key, const struct stat *st)
{
	char *name = entry_name(kind, key);
	json_t *entry, *want = NULL, *value = NULL;

	if (!cache || !name) {
		free(name);
		return NULL;
	}
	entry = json_object_get(cache->entries, name);
	free(name);
	if (!entry)
		return NULL;
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
	if (json_object_size(cache->entries) >= CACHE_MAX_ENTRIES)
		json_object_clear(cache->entries);
	if (json_object_set(cache->entries, name, entry) == 0)
		cache->dirty = true;
done:
	free(name);
	json_decref(entry);
	json_decref(value);
}

int el__cache_save(el__cache *cache)
{
	json_t *root;
	char *text;
	int ret;

	if (!cache || !cache->dirty || cache->dirfd < 0)
		return EL_OK;
	root = json_pack("{s:i,s:O}", "version", 1, "entries", cache->entries);
	text = root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(root);
	if (!text)
		return el__error_oom();
	ret = el__atomic_write_at(cache->dirfd, CACHE_FILE, "stat cache", text, strlen(text), 0600);
	free(text);
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
	free(cache);
}
