/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bundle made ready to run (el_bundle_open): unpacked once into the
 * cache by its SHA-256, its index read back. The archive was hostile
 * input until el__unpack_into checked every entry; the index is still
 * the bundle's word, so each path in it is checked before it is used.
 */
#include "envlock/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/cache_tree.h"
#include "bundle/dest.h"
#include "bundle/unpack.h"
#include "util/cache.h"
#include "util/error.h"
#include "util/fs.h"

/* The kind of stat-cache fact that remembers a bundle file's SHA-256. */
#define BUNDLE_FACT "bundle-sha256"
#define INDEX_MAX (1 << 20)

void el_bundle_free(el_bundle *b)
{
	if (!b)
		return;
	free(b->dir);
	free(b->root);
	free(b->code);
	free(b->workdir);
	free(b->record);
	free(b->lock);
	free(b->profile);
	free(b->profile_text);
	for (size_t i = 0; i < b->data_count; i++) {
		free(b->data[i].path);
		free(b->data[i].digest);
	}
	free(b->data);
	free(b);
}

/* dir/rel, when it is a regular file (or with want_dir, a directory) there, not reached through a link. */
static char *member(const char *dir, const char *rel, bool want_dir)
{
	struct stat st;
	char *path = NULL;

	if (asprintf(&path, "%s/%s", dir, rel) < 0)
		return NULL;
	if (lstat(path, &st) != 0 || (want_dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))) {
		free(path);
		return NULL;
	}
	return path;
}

/* bundle.json's "data": [{path (absolute), digest ("sha256:<hex>"), carried}]. */
static int read_data(el_bundle *b, const json_t *list, const char *file)
{
	size_t i;
	const json_t *d;

	if (!list)
		return EL_OK;
	if (!json_is_array(list) || !(b->data = calloc(json_array_size(list) + 1, sizeof(*b->data))))
		return json_is_array(list) ? el__error_oom()
					   : el__error(EL_EINVAL, "%s: envlock/bundle.json: data is not a list", file);
	json_array_foreach (list, i, d) {
		const char *path = json_string_value(json_object_get(d, "path"));
		const char *digest = json_string_value(json_object_get(d, "digest"));
		const json_t *carried = json_object_get(d, "carried");

		if (!path || path[0] != '/' || !digest || strncmp(digest, "sha256:", 7) != 0 || !json_is_boolean(carried))
			return el__error(EL_EINVAL, "%s: envlock/bundle.json: data[%zu] is not {path, digest, carried}", file, i);
		el_bundle_data *e = &b->data[b->data_count++];

		e->carried = json_is_true(carried);
		e->path = strdup(path);
		e->digest = strdup(digest);
		if (!e->path || !e->digest)
			return el__error_oom();
	}
	return EL_OK;
}

/* envlock/bundle.json: format 1, an absolute working directory, the members it names there. */
static int read_index(el_bundle *b, const char *file)
{
	el__buf text;
	json_t *index = NULL, *workdir, *lock;
	json_error_t err;
	char *path = NULL;
	int ret;

	el__buf_init(&text);
	if (!(path = member(b->dir, "envlock/bundle.json", false))) {
		ret = el__error(EL_EINVAL, "%s: not an envlock bundle (no envlock/bundle.json)", file);
		goto done;
	}
	ret = el__read_file(&text, path, INDEX_MAX, true);
	if (ret == EL_OK && !(index = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES, &err)))
		ret = el__error(EL_EINVAL, "%s: envlock/bundle.json: %s (line %d)", file, err.text, err.line);
	if (ret != EL_OK)
		goto done;
	workdir = json_object_get(index, "workdir");
	lock = json_object_get(index, "lock");
	if (json_integer_value(json_object_get(index, "envlockBundle")) != 1) {
		ret = el__error(EL_EINVAL, "%s: envlock/bundle.json: a bundle format this envlock does not know "
				"(envlockBundle is not 1)", file);
	} else if (!json_is_string(workdir) || json_string_value(workdir)[0] != '/' ||
		   !el__path_stays_below(json_string_value(workdir) + 1)) {
		ret = el__error(EL_EINVAL, "%s: envlock/bundle.json: workdir is not an absolute path", file);
	} else if (!(b->workdir = strdup(json_string_value(workdir)))) {
		ret = el__error_oom();
	} else if (!(b->root = member(b->dir, "root", true)) || !(b->code = member(b->dir, "code", true)) ||
		   !(b->record = member(b->dir, "envlock/record.json", false)) ||
		   !(b->profile = member(b->dir, "envlock/profile", false)) ||
		   (json_is_string(lock) && !(b->lock = member(b->dir, "envlock/env.lock", false)))) {
		ret = el__error(EL_EINVAL, "%s: an envlock bundle without its root/, code/, record, profile or the lock "
				"its index names", file);
	} else if ((ret = read_data(b, json_object_get(index, "data"), file)) == EL_OK) {
		el__buf profile;

		el__buf_init(&profile);
		ret = el__read_file(&profile, b->profile, INDEX_MAX, true);
		b->profile_text = el__buf_detach(&profile, &b->profile_len);
		if (ret == EL_OK && !b->profile_text)
			ret = el__error_oom();
	}
done:
	json_decref(index);
	el__buf_free(&text);
	free(path);
	return ret;
}

int el_bundle_data_source(char **source, const el_bundle *b, size_t i)
{
	el__buf inside, host;
	int ret;

	*source = NULL;
	if (i >= b->data_count || !b->data[i].carried)
		return el__error(EL_EINVAL, "data entry %zu: not carried by the bundle", i);
	el__buf_init(&inside);
	el__buf_init(&host);
	ret = el__resolve_in_root(&inside, b->root, b->data[i].path);
	if (ret == EL_OK)
		el__root_path(&host, b->root, inside.data);
	if (ret == EL_OK && el__buf_failed(&host))
		ret = el__error_oom();
	else if (ret != EL_OK)
		ret = el__error(ret, "data %s: not in the bundle's tree", b->data[i].path);
	if (ret == EL_OK)
		*source = el__buf_detach(&host, NULL);
	el__buf_free(&inside);
	el__buf_free(&host);
	return ret;
}

int el_bundle_open(el_bundle **out, const char *file, const el_image_options *opts)
{
	const el_image_options none = { 0 };
	el__cache_tree tree = { .cache_fd = -1 };
	el_bundle *b = calloc(1, sizeof(*b));
	char *cache_dir = NULL;
	struct stat st;
	int fd, ret;

	*out = NULL;
	el_error_clear();
	if (!b)
		return el__error_oom();
	if (!opts)
		opts = &none;
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		free(b);
		return el__error_errno(errno == ENOENT ? EL_ENOTFOUND : EL_ERROR, "%s", file);
	}
	cache_dir = opts->cache_dir ? strdup(opts->cache_dir) : el__cache_dir_in(opts->env);
	if (fstat(fd, &st) != 0)
		ret = el__error_errno(EL_ERROR, "%s", file);
	else if (!S_ISREG(st.st_mode))
		ret = el__error(EL_EINVAL, "%s: not a regular file", file);
	else
		ret = el__archive_sha256(b->sha256, fd, &st, file, cache_dir ? cache_dir : "", BUNDLE_FACT);
	if (ret == EL_OK)
		ret = el__cache_tree_open(&tree, cache_dir, opts->env, "bundles", b->sha256, file);
	if (ret == EL_OK && !el__cache_tree_exists(&tree)) {
		el__unpack_options uopts = { .limits = opts->limits };
		el__dest dest;

		/* The same descriptor the digest was taken from, read again from its start. */
		if (lseek(fd, 0, SEEK_SET) != 0)
			ret = el__error_errno(EL_ERROR, "%s", file);
		if (ret == EL_OK)
			ret = el__dest_open(&dest, tree.path);
		if (ret == EL_OK) {
			int unpacked = el__unpack_into(file, fd, dest.top, &uopts);
			struct stat now;

			/* The tree must be what the key names: refused when the file changed while it was read. */
			if (unpacked == EL_OK && (fstat(fd, &now) != 0 || now.st_size != st.st_size ||
						  el__mtime_ns(&now) != el__mtime_ns(&st) ||
						  el__ctime_ns(&now) != el__ctime_ns(&st)))
				unpacked = el__error(EL_EINVAL, "%s: changed while it was unpacked", file);
			/* Only a bundle is kept: another archive's tree is removed with the refusal. */
			if (unpacked == EL_OK && (fstatat(dest.top, "envlock/bundle.json", &now, AT_SYMLINK_NOFOLLOW) != 0 ||
						  !S_ISREG(now.st_mode)))
				unpacked = el__error(EL_EINVAL, "%s: not an envlock bundle (no envlock/bundle.json)", file);
			ret = el__dest_close(&dest, unpacked);
		}
		/* Made meanwhile by another run: as good. */
		if (ret == EL_EINVAL && el__cache_tree_exists(&tree)) {
			el_error_clear();
			ret = EL_OK;
		}
	}
	close(fd);
	if (ret == EL_OK) {
		b->dir = tree.path;
		tree.path = NULL;
		ret = read_index(b, file);
	}
	el__cache_tree_close(&tree);
	free(cache_dir);
	if (ret != EL_OK) {
		el_bundle_free(b);
		return ret;
	}
	*out = b;
	return EL_OK;
}
