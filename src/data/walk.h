/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_DATA_WALK_H
#define EL_DATA_WALK_H

#include <stddef.h>
#include <sys/stat.h>

#include "data/datacache.h"
#include "envlock/data.h"

/*
 * The walk of a data tree, on several threads: every directory is opened
 * relative to its parent's descriptor with O_DIRECTORY | O_NOFOLLOW and
 * checked to be the directory its parent's fstatat() saw, and every entry
 * is looked at with fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW): no path is
 * resolved twice and no symbolic link in the tree is followed.
 *
 * A directory is a task (open it, read its names); its names are then
 * stat'ed in batches that any thread may take, so a flat directory of a
 * million files spreads over the cores as well as a deep one. Each
 * directory's entries are sorted by the thread that finished it, with a
 * subdirectory compared as its name followed by '/': walking the
 * directories in that order gives the manifest's byte order of full
 * paths, with no sort of the whole list.
 *
 * A directory's descriptor stays open until its names are stat'ed and its
 * subdirectories opened, so a deep tree holds a few descriptors per
 * thread, not one per level.
 */

/* A regular file the digest cache did not know: to be hashed. */
typedef struct el__data_miss {
	size_t entry;     /* index into the tree's entries */
	struct stat st;   /* as the walk saw it */
} el__data_miss;

typedef struct el__data_walk_in {
	int rootfd;                      /* the tree's top, open (not closed here) */
	const char *top;                 /* its path as the user gave it, for messages */
	const el_data_options *options;  /* python_source, max_entries */
	const el__datacache *cache;      /* looked up from every thread */
	unsigned threads;                /* as el__data_threads() takes it */
} el__data_walk_in;

/*
 * Walk everything below in->rootfd into tree (entries sorted by path;
 * tree->count entries appended, the array grown as needed), with the
 * digests the cache knows filled in. *misses (for free()) lists the
 * regular files still to hash, in entry order. On failure nothing is
 * added to tree, *misses is NULL, and the error names the entry
 * ("TOP/PATH: why"); when several entries fail at once, which one is
 * named depends on the threads' timing.
 */
int el__data_walk(el_data_tree *tree, el__data_miss **misses, size_t *miss_count, const el__data_walk_in *in);

/*
 * The threads to walk and hash on: requested, or when 0 as many CPUs as
 * this process may keep busy (el__cpus_usable: its affinity mask and
 * cgroup CPU quota); at most 64.
 */
unsigned el__data_threads(unsigned requested);

/*
 * Fail with code and "TOP/PREFIX NAME: what" (what NULL: strerror(errno)).
 * prefix is a relative directory with its trailing '/' ("a/b/"), or "";
 * name NULL or "" names the directory itself ("TOP/a/b").
 */
int el__data_fail(const char *top, const char *prefix, const char *name, int code, const char *what);

/* The refusal of a socket, FIFO or device there (EL_EINVAL). */
int el__data_refuse_kind(const char *top, const char *prefix, const char *name, mode_t mode);

#endif
