/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The manifest store: manifests of hashed trees kept by their address in
 * the cache directory, manifests/<hex>, so that check can say which files
 * of a tree changed since the lock was captured. The store is only
 * trusted as far as its content hashes to its name.
 */
#include "envlock/data.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/atomic_file.h"
#include "util/buf.h"
#include "util/cache.h"
#include "util/error.h"
#include "util/sha256.h"
#include "util/text.h"

#define STORE_DIR "manifests"
/* A manifest line is about 100 bytes: this is a tree of a million files or more. */
#define MAX_MANIFEST (256u << 20)

/* The store's directory (made when missing), or -1. */
static int open_store(const char *cache_dir, bool create)
{
	char *dir = cache_dir ? NULL : el__cache_default_dir();
	const char *why = NULL, *use = cache_dir ? cache_dir : dir;
	struct stat st;
	int top, fd = -1;

	if (!use || !*use) {
		free(dir);
		return -1;
	}
	top = el__cache_open_dir(use, &why);
	free(dir);
	if (top < 0)
		return -1;
	if (create && mkdirat(top, STORE_DIR, 0700) != 0 && errno != EEXIST)
		goto done;
	fd = openat(top, STORE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* Ours alone, as the cache directory itself. */
	if (fd >= 0 && (fstat(fd, &st) != 0 || st.st_uid != geteuid() || (st.st_mode & 022))) {
		close(fd);
		fd = -1;
	}
done:
	close(top);
	return fd;
}

/* The name of digest in the store: 64 lowercase hex digits, never a path (a lock's digest is input). */
static const char *hex_of(const char *digest)
{
	if (strncmp(digest, "sha256:", 7) != 0 || !el__lower_hex_str(digest + 7, 64))
		return NULL;
	return digest + 7;
}

int el_data_store_save(const el_data_tree *tree, const char *cache_dir)
{
	const char *hex = hex_of(tree->digest);
	char *text = NULL;
	size_t len = 0;
	int fd, ret;

	if (!tree->directory || !hex)
		return EL_OK;
	fd = open_store(cache_dir, true);
	if (fd < 0)
		return EL_OK; /* no store: check names the entry, not its files */
	if (faccessat(fd, hex, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		close(fd);
		return EL_OK;
	}
	ret = el_data_manifest(&text, &len, tree);
	if (ret == EL_OK)
		ret = el__atomic_write_at(fd, hex, "manifest store", text, len, 0600);
	free(text);
	close(fd);
	return ret;
}

static bool read_all(el__buf *b, int fd)
{
	long n;

	while ((n = el__buf_read(b, fd, 1 << 20)) > 0)
		if (b->len > MAX_MANIFEST)
			return false;
	return n == 0 && !el__buf_failed(b);
}

int el_data_store_load(el_data_tree **out, const char *digest, const char *cache_dir)
{
	const char *hex = hex_of(digest);
	char actual[EL_SHA256_HEX];
	struct stat st;
	el__buf b;
	int fd, file, ret = EL_ENOTFOUND;

	*out = NULL;
	if (!hex || (fd = open_store(cache_dir, false)) < 0)
		return EL_ENOTFOUND;
	file = openat(fd, hex, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(fd);
	if (file < 0)
		return EL_ENOTFOUND;
	el__buf_init(&b);
	if (fstat(file, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    (unsigned long long)st.st_size <= MAX_MANIFEST && read_all(&b, file) &&
	    el__sha256_hex(actual, b.len ? b.data : "", b.len) == EL_OK && strcmp(actual, hex) == 0)
		ret = el_data_manifest_parse(out, b.len ? b.data : "", b.len, hex);
	close(file);
	el__buf_free(&b);
	if (ret == EL_OK)
		snprintf((*out)->digest, sizeof((*out)->digest), "%s", digest);
	return ret == EL_OK ? EL_OK : EL_ENOTFOUND;
}
