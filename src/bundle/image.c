/*
 * Image root file systems kept in the cache (el_image_root): made by
 * el__oci_unpack under images/<key> of the user's cache directory, which
 * only this user can write (util/cache.h), and used again as they are.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/oci.h"
#include "util/cache.h"
#include "util/error.h"
#include "util/sha256.h"

/* The kind of stat-cache fact that remembers an image archive's SHA-256. */
#define ARCHIVE_FACT "image-sha256"

/* A layout directory's key: the SHA-256 of the document that names its blobs. */
static int layout_key(int fd, const char *image, char key[EL_SHA256_HEX + 8])
{
	static const char *const documents[] = { "index.json", "manifest.json", NULL };
	char hex[EL_SHA256_HEX];

	for (const char *const *d = documents; *d; d++) {
		int doc = openat(fd, *d, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		int ret;

		if (doc < 0)
			continue;
		ret = el__sha256_fd(hex, doc, *d);
		close(doc);
		if (ret != EL_OK)
			return ret;
		snprintf(key, EL_SHA256_HEX + 8, "layout-%s", hex);
		return EL_OK;
	}
	return el__error(EL_EINVAL, "%s: not an OCI image layout or docker save archive (no index.json or manifest.json)",
			 image);
}

/* An archive's key: its SHA-256, remembered in the stat cache by the file's identity. */
static int archive_key(int fd, const struct stat *st, const char *image, const char *cache_dir,
		       char key[EL_SHA256_HEX + 8])
{
	el__cache *cache = NULL;
	const char *warning = NULL, *known;
	char hex[EL_SHA256_HEX], *real = realpath(image, NULL);
	int ret;

	if (!real)
		return el__error_errno(EL_ERROR, "%s", image);
	if ((ret = el__cache_open(&cache, cache_dir, &warning)) != EL_OK) {
		free(real);
		return ret;
	}
	known = json_string_value(el__cache_get(cache, ARCHIVE_FACT, real, st));
	if (known && strlen(known) == EL_SHA256_HEX - 1) {
		snprintf(hex, sizeof(hex), "%s", known);
	} else if ((ret = el__sha256_fd(hex, fd, image)) == EL_OK) {
		el__cache_put(cache, ARCHIVE_FACT, real, st, json_string(hex));
		/* Only time is lost when the cache cannot be saved. */
		if (el__cache_save(cache) != EL_OK)
			el_error_clear();
	}
	el__cache_free(cache);
	free(real);
	if (ret == EL_OK)
		snprintf(key, EL_SHA256_HEX + 8, "archive-%s", hex);
	return ret;
}

int el_image_root(char **root, const char *image, const el_image_options *opts)
{
	const el_image_options none = { 0 };
	char key[EL_SHA256_HEX + 8], *cache_dir, *path = NULL;
	const char *warning = NULL;
	struct stat st;
	int fd, cache_fd = -1, ret;

	*root = NULL;
	el_error_clear();
	if (!opts)
		opts = &none;
	fd = open(image, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return el__error_errno(errno == ENOENT ? EL_ENOTFOUND : EL_ERROR, "%s", image);
	cache_dir = opts->cache_dir ? strdup(opts->cache_dir) : el__cache_dir_in(opts->env);
	if (!cache_dir) {
		close(fd);
		return el__error(EL_ERROR, "%s: no cache directory to keep its root file system in "
				 "(set ENVLOCK_CACHE_DIR, XDG_CACHE_HOME or HOME)", image);
	}
	if (fstat(fd, &st) != 0)
		ret = el__error_errno(EL_ERROR, "%s", image);
	else if (S_ISDIR(st.st_mode))
		ret = layout_key(fd, image, key);
	else
		ret = archive_key(fd, &st, image, cache_dir, key);
	close(fd);
	if (ret != EL_OK)
		goto done;
	/* Only a directory this user alone can write holds trees the sandbox will run. */
	cache_fd = el__cache_open_dir(cache_dir, &warning);
	if (cache_fd < 0) {
		ret = el__error(EL_ERROR, "%s: %s", cache_dir, warning ? warning : "cannot use the cache directory");
		goto done;
	}
	/*
	 * The tree's path is a bind source: absolute and without links, or the
	 * sandbox (which follows none) could not bind it from a relative
	 * ENVLOCK_CACHE_DIR or a ~/.cache that is a link to another disk.
	 */
	{
		char *real = realpath(cache_dir, NULL);

		if (!real) {
			ret = el__error_errno(EL_ERROR, "%s", cache_dir);
			goto done;
		}
		free(cache_dir);
		cache_dir = real;
	}
	if (mkdirat(cache_fd, "images", 0700) != 0 && errno != EEXIST) {
		ret = el__error_errno(EL_ERROR, "%s/images", cache_dir);
		goto done;
	}
	if (fstatat(cache_fd, "images", &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 022)) {
		ret = el__error(EL_ERROR, "%s/images: not a directory of this user's alone", cache_dir);
		goto done;
	}
	if (asprintf(&path, "%s/images/%s", cache_dir, key) < 0) {
		path = NULL;
		ret = el__error_oom();
		goto done;
	}
	/* Made whole or not at all (el__oci_unpack renames it into place): one that is there is complete. */
	if (fstatat(cache_fd, path + strlen(cache_dir) + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
		goto done;
	ret = el__oci_unpack(image, path, &opts->limits, NULL);
	/* Made meanwhile by another run: as good. */
	if (ret == EL_EINVAL && fstatat(cache_fd, path + strlen(cache_dir) + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) {
		el_error_clear();
		ret = EL_OK;
	}
done:
	if (cache_fd >= 0)
		close(cache_fd);
	free(cache_dir);
	if (ret == EL_OK)
		*root = path;
	else
		free(path);
	return ret;
}
