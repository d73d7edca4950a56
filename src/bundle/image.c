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

/*
 * A layout directory's key: the SHA-256 of its index.json, which names
 * every blob by digest (into hex; the unpacker checks that the index it
 * reads hashes the same). A docker save's manifest.json names its files
 * by path, not digest: as a directory it is refused (its tar is known by
 * its own digest).
 */
static int layout_key(int fd, const char *image, char hex[EL_SHA256_HEX])
{
	struct stat st;
	int doc = openat(fd, "index.json", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK), ret;

	if (doc < 0 && errno == ENOENT && faccessat(fd, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return el__error(EL_EINVAL, "%s: a docker save directory names its files by path, not by digest: "
				 "give envlock its tar (docker save -o FILE)", image);
	if (doc < 0)
		return el__error(EL_EINVAL, "%s: not an OCI image layout or docker save archive (no index.json or manifest.json)",
				 image);
	if (fstat(doc, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(doc);
		return el__error(EL_EINVAL, "%s: index.json: not a regular file", image);
	}
	ret = el__sha256_fd(hex, doc, "index.json");
	close(doc);
	return ret;
}

/* An archive's key: its SHA-256, remembered in the stat cache by the file's identity. */
static int archive_key(int fd, const struct stat *st, const char *image, const char *cache_dir,
		       char key[EL_SHA256_HEX + 24])
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
		snprintf(key, EL_SHA256_HEX + 24, "archive-%s-%s", EL__OCI_ARCH, hex);
	return ret;
}

int el_image_root(char **root, const char *image, const el_image_options *opts)
{
	const el_image_options none = { 0 };
	char key[EL_SHA256_HEX + 24], index_hex[EL_SHA256_HEX], *cache_dir, *path = NULL;
	el__oci_source source = { .image = image };
	const char *warning = NULL;
	struct stat st, image_st;
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
	if (fstat(fd, &image_st) != 0) {
		ret = el__error_errno(EL_ERROR, "%s", image);
	} else if (S_ISDIR(image_st.st_mode)) {
		ret = layout_key(fd, image, index_hex);
		if (ret == EL_OK)
			snprintf(key, sizeof(key), "layout-%s-%s", EL__OCI_ARCH, index_hex);
		source.index_sha256 = index_hex;
	} else if (S_ISREG(image_st.st_mode)) {
		ret = archive_key(fd, &image_st, image, cache_dir, key);
	} else {
		/* A FIFO would be read up by its digest, a device read forever. */
		ret = el__error(EL_EINVAL, "%s: neither a directory nor a regular file", image);
	}
	if (ret != EL_OK)
		goto done;
	source.fd = fd;
	source.st = &image_st;
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
	/* From what the key was taken from: the same descriptor, the same index. */
	ret = el__oci_unpack_source(&source, path, &opts->limits, NULL);
	/* Made meanwhile by another run: as good. */
	if (ret == EL_EINVAL && fstatat(cache_fd, path + strlen(cache_dir) + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) {
		el_error_clear();
		ret = EL_OK;
	}
done:
	if (fd >= 0)
		close(fd);
	if (cache_fd >= 0)
		close(cache_fd);
	free(cache_dir);
	if (ret == EL_OK)
		*root = path;
	else
		free(path);
	return ret;
}
