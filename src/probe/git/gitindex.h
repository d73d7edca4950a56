/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_PROBE_GITINDEX_H
#define EL_PROBE_GITINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/*
 * A reader for git's index file (Documentation/gitformat-index.txt,
 * versions 2, 3 and 4), used to tell without running git whether the
 * tracked files of a worktree still match the index: git's own fast path,
 * comparing the stat data recorded for each entry with lstat(2).
 */
enum el__git_worktree_state {
	EL_GIT_STAT_CLEAN = 0, /* every entry's stat data matches: unchanged */
	EL_GIT_STAT_SUSPECT,   /* some entries' stat data moved but not their size,
				  or they are racily clean: their content decides
				  (el__git_blob_matches on each suspect) */
	EL_GIT_STAT_UNKNOWN,   /* a split index or an index version this reader
				  does not handle */
	EL_GIT_STAT_CHANGED,   /* a tracked file differs: it vanished, changed
				  type, executable bit or size, is unmerged, or
				  is only intended to be added */
};

/* An entry whose content must be compared with the blob the index names. */
typedef struct el__git_suspect {
	char *path;            /* relative to the worktree */
	unsigned char oid[32]; /* the indexed blob's id (hash_size bytes) */
	unsigned mode;         /* the entry's mode: 0100644, 0100755 or 0120000 */
	struct stat st;        /* lstat when it was found */
} el__git_suspect;

typedef struct el__git_index_result {
	int state; /* enum el__git_worktree_state */
	el__git_suspect *suspects; /* with EL_GIT_STAT_SUSPECT */
	size_t nsuspects;
} el__git_index_result;

/*
 * Compare the index at index_path with the files under worktree, as git's
 * own fast path does: the stat data recorded for each entry against
 * lstat(2). Nothing is run and no file content is read. The walk stops at
 * the first entry known to differ. hash_size is 20 for SHA-1 repositories
 * and 32 for SHA-256 ones. Returns EL_OK and fills *result (free it with
 * el__git_index_result_free), or EL_EINVAL for a corrupt index (the message
 * says where; an entry naming a path outside the worktree is corrupt),
 * EL_ERROR when the index cannot be read.
 */
int el__git_index_check(el__git_index_result *result, const char *index_path,
			const char *worktree, size_t hash_size);

/* The same on an index image already in memory; index_mtime_ns is the
 * index file's mtime, which decides which entries are racily clean. */
int el__git_index_check_image(el__git_index_result *result, const unsigned char *data, size_t len,
			      long long index_mtime_ns, const char *worktree, size_t hash_size);

void el__git_index_result_free(el__git_index_result *result);

#define EL_GIT_OID_MAX 32

/*
 * The blob id of the suspect's file as it is now: the file hashed as git
 * stores a blob ("blob <size>\0" and the content; a symbolic link's
 * target), with the repository's hash (hash_size 20: SHA-1, 32: SHA-256).
 * The file is opened without following any link on the way, and no clean
 * filter or end-of-line conversion is applied: envlock never runs what a
 * repository's configuration or attributes name. So a file that such a
 * filter would turn into the indexed blob reads as another blob.
 * EL_OK with *found false when the file is gone, is no longer of the
 * suspect's type and size, or is reached through a link; EL_ERROR when
 * hashing itself failed.
 */
int el__git_blob_id(const char *worktree, const el__git_suspect *s, size_t hash_size,
		    unsigned char oid[EL_GIT_OID_MAX], bool *found);

#endif
