#ifndef EL_PROBE_GITINDEX_H
#define EL_PROBE_GITINDEX_H

#include <stddef.h>

/*
 * A reader for git's index file (Documentation/gitformat-index.txt,
 * versions 2, 3 and 4), used to tell without running git whether the
 * tracked files of a worktree still match the index: git's own fast path,
 * comparing the stat data recorded for each entry with lstat(2).
 */
enum el__git_worktree_state {
	EL_GIT_STAT_CLEAN = 0, /* every entry's stat data matches: unchanged */
	EL_GIT_STAT_CHANGED,   /* an entry changed, vanished or is racily clean:
				  ask git, whose answer changed_digest can key */
	EL_GIT_STAT_UNKNOWN,   /* a split or sparse index, unmerged entries, or a
				  format this reader does not handle: ask git */
};

typedef struct el__git_index_result {
	int state; /* enum el__git_worktree_state */
	/*
	 * With EL_GIT_STAT_CHANGED: SHA-256 over the path and lstat data of
	 * every changed entry, and the newest mtime or ctime among them. git's
	 * verdict on a dirty tree can be cached under this digest: while no
	 * changed file changes again, the answer stays the same.
	 */
	char changed_digest[65];
	long long newest_change_ns;
} el__git_index_result;

/*
 * Compare the index at index_path with the files under worktree.
 * hash_size is 20 for SHA-1 repositories and 32 for SHA-256 ones.
 * Returns EL_OK and fills *result, or EL_EINVAL for a corrupt index (the
 * message says where), EL_ERROR when the index cannot be read.
 */
int el__git_index_check(el__git_index_result *result, const char *index_path,
			const char *worktree, size_t hash_size);

/* The same on an index image already in memory; index_mtime_ns is the
 * index file's mtime, which decides which entries are racily clean. */
int el__git_index_check_image(el__git_index_result *result, const unsigned char *data, size_t len,
			      long long index_mtime_ns, const char *worktree, size_t hash_size);

#endif
