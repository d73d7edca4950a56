/* SPDX-License-Identifier: Apache-2.0 */
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

#include "bundle/cache_tree.h"
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

int el_image_root(char **root, const char *image, const el_image_options *opts)
{
	const el_image_options none = { 0 };
	char key[EL_SHA256_HEX + 24], hex[EL_SHA256_HEX], *cache_dir = NULL;
	el__oci_source source = { .image = image };
	el__cache_tree tree = { .cache_fd = -1 };
	struct stat image_st;
	int fd, ret;

	*root = NULL;
	el_error_clear();
	if (!opts)
		opts = &none;
	fd = open(image, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return el__error_errno(errno == ENOENT ? EL_ENOTFOUND : EL_ERROR, "%s", image);
	cache_dir = opts->cache_dir ? strdup(opts->cache_dir) : el__cache_dir_in(opts->env);
	if (fstat(fd, &image_st) != 0) {
		ret = el__error_errno(EL_ERROR, "%s", image);
	} else if (S_ISDIR(image_st.st_mode)) {
		ret = layout_key(fd, image, hex);
		snprintf(key, sizeof(key), "layout-%s-%s", EL__OCI_ARCH, hex);
		source.index_sha256 = hex;
	} else if (S_ISREG(image_st.st_mode)) {
		ret = el__archive_sha256(hex, fd, &image_st, image, cache_dir ? cache_dir : "", ARCHIVE_FACT);
		snprintf(key, sizeof(key), "archive-%s-%s", EL__OCI_ARCH, hex);
	} else {
		/* A FIFO would be read up by its digest, a device read forever. */
		ret = el__error(EL_EINVAL, "%s: neither a directory nor a regular file", image);
	}
	if (ret == EL_OK)
		ret = el__cache_tree_open(&tree, cache_dir, opts->env, "images", key, image);
	source.fd = fd;
	source.st = &image_st;
	/* Made whole or not at all (el__oci_unpack renames it into place): one that is there is complete. */
	if (ret == EL_OK && !el__cache_tree_exists(&tree)) {
		/* From what the key was taken from: the same descriptor, the same index. */
		ret = el__oci_unpack_source(&source, tree.path, &opts->limits, NULL);
		/* Made meanwhile by another run: as good. */
		if (ret == EL_EINVAL && el__cache_tree_exists(&tree)) {
			el_error_clear();
			ret = EL_OK;
		}
	}
	close(fd);
	free(cache_dir);
	if (ret == EL_OK) {
		*root = tree.path;
		tree.path = NULL;
	}
	el__cache_tree_close(&tree);
	return ret;
}
