/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_TREE_H
#define EL_UTIL_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Walking a tree that someone else controls (what a sandboxed job left)
 * and copying it out, safely even as root: every name is opened relative
 * to its parent's descriptor with O_NOFOLLOW, so no symbolic link is ever
 * followed and no path is looked up twice; links are copied as links;
 * what is written goes through descriptors too, created with O_EXCL; the
 * walk is bounded in depth and in entries.
 */
typedef struct el__tree_walk {
	/* in */
	size_t max_entries, max_depth;
	bool eager_dirs;     /* copying: make every directory, not only those that get a file */
	bool keep_dir_modes; /* directories made with the source's permission bits (u+rwx added); else 0755 */
	/* Leave path (and what is below it) out; NULL: nothing. */
	bool (*skip)(void *ctx, const char *path);
	/* Each non-directory found (counted in files); EL_OK or an error code to stop. */
	int (*found)(void *ctx, const char *path);
	void *ctx;
	/* out */
	size_t entries;  /* looked at, directories included */
	size_t files;    /* non-directories */
	size_t kept;     /* copied: regular files and symbolic links */
	size_t skipped;  /* not copied: FIFOs, sockets, device nodes */
	bool too_many;   /* stopped at max_entries */
	char *too_deep;  /* the first directory at max_depth, not entered (malloc'd), or NULL */
} el__tree_walk;

/*
 * Walk what is below the directory from (not closed), whose path for
 * messages and callbacks is path (its entries get path + "/name"); copy it
 * into the directory to_sub ("a/b", relative, "" for to itself) of the
 * directory to, or only count with to = -1. Directories are made only
 * where a file goes, unless eager_dirs. Existing non-directories in the
 * way are replaced (unlinked first, never followed); an existing directory
 * is used, a link where one goes refused. Returns EL_OK, or an error whose
 * message names the path. Free w->too_deep.
 */
int el__tree_walk_dir(el__tree_walk *w, int from, int to, const char *to_sub, const char *path);

/*
 * The same for one entry name of from (a file, a link, or a directory and
 * what is below it), copied as name into to_sub of to; path is its own
 * path. EL_ENOTFOUND (no message) when there is no such entry.
 */
int el__tree_walk_entry(el__tree_walk *w, int from, const char *name, int to, const char *to_sub,
			const char *path);

/*
 * Remove name in dirfd and everything below it, never following a link.
 * EL_OK (also when it is not there), or an error naming what stayed.
 */
int el__tree_remove(int dirfd, const char *name);

#endif
