/* SPDX-License-Identifier: Apache-2.0 */
/* Trees kept in the user's cache (cache_tree.h). */
#include "bundle/cache_tree.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cache.h"
#include "util/error.h"

int el__archive_sha256(char hex[EL_SHA256_HEX], int fd, const struct stat *st, const char *path,
		       const char *cache_dir, const char *fact)
{
	el__cache *cache = NULL;
	const char *warning = NULL, *known;
	char *real = realpath(path, NULL);
	int ret;

	if (!real)
		return el__error_errno(EL_ERROR, "%s", path);
	if ((ret = el__cache_open(&cache, cache_dir, &warning)) != EL_OK) {
		free(real);
		return ret;
	}
	known = json_string_value(el__cache_get(cache, fact, real, st));
	if (known && strlen(known) == EL_SHA256_HEX - 1) {
		snprintf(hex, EL_SHA256_HEX, "%s", known);
	} else if ((ret = el__sha256_fd(hex, fd, path)) == EL_OK) {
		el__cache_put(cache, fact, real, st, json_string(hex));
		/* Only time is lost when the cache cannot be saved. */
		if (el__cache_save(cache) != EL_OK)
			el_error_clear();
	}
	el__cache_free(cache);
	free(real);
	return ret;
}

int el__cache_tree_open(el__cache_tree *t, const char *cache_dir, const char *const *env, const char *sub,
			const char *key, const char *what)
{
	const char *warning = NULL;
	struct stat st;
	char *real;

	memset(t, 0, sizeof(*t));
	t->cache_fd = -1;
	t->cache_dir = cache_dir ? strdup(cache_dir) : el__cache_dir_in(env);
	if (!t->cache_dir)
		return el__error(EL_ERROR, "%s: no cache directory to keep its tree in "
				 "(set ENVLOCK_CACHE_DIR, XDG_CACHE_HOME or HOME)", what);
	t->cache_fd = el__cache_open_dir(t->cache_dir, &warning);
	if (t->cache_fd < 0)
		return el__error(EL_ERROR, "%s: %s", t->cache_dir, warning ? warning : "cannot use the cache directory");
	/*
	 * The tree's path is a bind source: absolute and without links, or the
	 * sandbox (which follows none) could not bind it from a relative
	 * ENVLOCK_CACHE_DIR or a ~/.cache that is a link to another disk.
	 */
	if (!(real = realpath(t->cache_dir, NULL)))
		return el__error_errno(EL_ERROR, "%s", t->cache_dir);
	free(t->cache_dir);
	t->cache_dir = real;
	if (mkdirat(t->cache_fd, sub, 0700) != 0 && errno != EEXIST)
		return el__error_errno(EL_ERROR, "%s/%s", t->cache_dir, sub);
	if (fstatat(t->cache_fd, sub, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022))
		return el__error(EL_ERROR, "%s/%s: not a directory of this user's alone", t->cache_dir, sub);
	if (asprintf(&t->path, "%s/%s/%s", t->cache_dir, sub, key) < 0) {
		t->path = NULL;
		return el__error_oom();
	}
	t->rel = t->path + strlen(t->cache_dir) + 1;
	return EL_OK;
}

bool el__cache_tree_exists(const el__cache_tree *t)
{
	struct stat st;

	return t->rel && fstatat(t->cache_fd, t->rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

void el__cache_tree_close(el__cache_tree *t)
{
	if (t->cache_fd >= 0)
		close(t->cache_fd);
	free(t->cache_dir);
	free(t->path);
	memset(t, 0, sizeof(*t));
	t->cache_fd = -1;
}
