/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_BUNDLE_CACHE_TREE_H
#define EL_BUNDLE_CACHE_TREE_H

#include <stdbool.h>
#include <sys/stat.h>

#include "util/sha256.h"

/*
 * Trees kept in the user's cache (images/<key>, bundles/<key>): made once,
 * whole or not at all, and used again as they are. Only a directory this
 * user alone can write holds trees the sandbox will run.
 */

typedef struct el__cache_tree {
	char *cache_dir; /* the cache directory, absolute and without links (a bind source must be) */
	int cache_fd;    /* it, open */
	char *path;      /* <cache_dir>/<sub>/<key> */
	char *rel;       /* <sub>/<key>, relative to cache_fd */
} el__cache_tree;

/*
 * Open the cache (cache_dir, or when NULL the one env names) and its
 * subdirectory sub, made 0700 when missing and checked to be this user's
 * alone; t->path names the tree of key there. what names the tree's
 * source in messages.
 */
int el__cache_tree_open(el__cache_tree *t, const char *cache_dir, const char *const *env, const char *sub,
			const char *key, const char *what);

/* Whether the tree is there (made whole, so complete). */
bool el__cache_tree_exists(const el__cache_tree *t);

void el__cache_tree_close(el__cache_tree *t);

/*
 * An archive's SHA-256 from the open fd (st its fstat), remembered in the
 * stat cache of cache_dir under fact by the file's identity, so that an
 * unchanged archive is not read again.
 */
int el__archive_sha256(char hex[EL_SHA256_HEX], int fd, const struct stat *st, const char *path,
		       const char *cache_dir, const char *fact);

#endif
