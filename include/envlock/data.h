/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENVLOCK_DATA_H
#define ENVLOCK_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "envlock/api.h"
#include "envlock/lock.h"

/*
 * Content addresses for declared data (the lock's "data" section).
 *
 * A regular file's address is the SHA-256 of its content, as sha256sum
 * prints it. A directory's is the SHA-256 of its manifest: one line per
 * regular file or symbolic link below it, sorted by path byte by byte
 * (LC_ALL=C order), each
 *
 *     <sha256> <size> <mode> <path>\n
 *
 * sha256 and size: of the content, or for a symbolic link of its target's
 * text (the link is recorded, never followed); mode: the type and
 * permission bits as ls -l and find -printf %M write them ("-rw-r--r--",
 * "lrwxrwxrwx"); path: relative to the directory, '/'-separated, with a
 * backslash written "\\" and a newline "\n". Directories themselves are
 * not lines: an empty one adds nothing. Sockets, FIFOs and devices are
 * refused. Addresses are written "sha256:<hex>".
 */

/* One line of a manifest. */
typedef struct el_data_entry {
	char *path;              /* relative, raw bytes (not escaped) */
	mode_t mode;             /* S_IFREG or S_IFLNK, and the permission bits */
	unsigned long long size; /* of the content, or of the link's target text */
	char sha256[65];         /* lowercase hex */
} el_data_entry;

/* A hashed file or tree. */
typedef struct el_data_tree {
	bool directory;          /* false: a single file, described by entries[0] (its path "") */
	el_data_entry *entries;  /* sorted by path */
	size_t count;
	char digest[EL_FINGERPRINT_SIZE]; /* "sha256:<hex>": the address */
} el_data_tree;

/*
 * How far el_data_hash has got with the files it must read (those the
 * digest cache does not know), for a progress display: the totals are
 * known once the tree is walked, before any file is read.
 */
typedef struct el_data_progress {
	const char *doing;         /* "hashing" (el_data_hash), "packing" (el_pack) */
	const char *path;          /* the path given to el_data_hash; the bundle being written */
	unsigned long long bytes_done, bytes_total;
	size_t files_done, files_total;
} el_data_progress;

/*
 * Called once when hashing starts (nothing done yet), after each chunk
 * read (about 1 MiB), and once when all is read. The calls come from the
 * hashing threads, one at a time (the library serializes them); the
 * callback must not call back into the library.
 */
typedef void (*el_data_progress_fn)(void *data, const el_data_progress *progress);

typedef struct el_data_options {
	/* The digest cache's directory, as el_capture_options.cache_dir: NULL the default, "" none. */
	const char *cache_dir;
	/*
	 * Threads that walk the tree (stat its entries) and hash its files;
	 * 0: one per CPU this process may keep busy (its affinity mask, and
	 * a cgroup CPU quota if tighter). A small tree is walked on the
	 * calling thread alone.
	 */
	unsigned threads;
	/*
	 * For paths a job could have written (a run's outputs): no symbolic
	 * link anywhere on path, its last component included, and a relative
	 * path resolved beneath dirfd (then required) rather than the current
	 * directory. A link there is EL_EINVAL.
	 */
	bool no_links;
	int dirfd;
	/*
	 * A Python source tree (an editable install's source): leave out what
	 * building, installing and running it leaves there, so that only an
	 * edit of the source changes the address. Anywhere in the tree: the
	 * directories .git, .hg, .svn, __pycache__, *.egg-info, .eggs, .tox,
	 * .nox, .mypy_cache, .pytest_cache and .ruff_cache, and the files
	 * *.pyc and *.pyo (a virtual environment inside it is hashed like any
	 * other files: what it holds can change what the source imports); at the
	 * top only, build and dist (setuptools' and PyPA build's output). A
	 * ".git" file (a worktree's or a submodule's) is left out too.
	 */
	bool python_source;
	/* More files and links than this in a tree (0: no limit): EL_ERROR, nothing hashed. */
	size_t max_entries;
	/* Progress of the reading, or NULL (see el_data_progress_fn). */
	el_data_progress_fn progress;
	void *progress_data;
} el_data_options;

/*
 * Hash the file or directory tree at path (a symlink on path itself is
 * followed: the user named it, unless options->no_links; none inside a
 * tree is). Files whose
 * identity the digest cache knows are not read. On success *out is for
 * el_data_tree_free(). EL_ENOTFOUND when path does not exist; EL_EINVAL,
 * naming the entry, for a socket, FIFO or device; EL_ERROR when a file
 * cannot be read or changed while it was hashed (an entry that vanished
 * between the directory's listing and its stat included). Of several
 * files that cannot be read, the first in path order is named; of other
 * failures found at once on several threads, whichever was found first.
 */
EL_API int el_data_hash(el_data_tree **out, const char *path, const el_data_options *options);

/* The manifest text of a directory tree (NUL-terminated; free() it). */
EL_API int el_data_manifest(char **text, size_t *len, const el_data_tree *tree);

/*
 * Read a manifest back (a directory tree); display names it in messages.
 * EL_EINVAL on a malformed or unsorted line, naming its number.
 */
EL_API int el_data_manifest_parse(el_data_tree **out, const char *text, size_t len, const char *display);

EL_API void el_data_tree_free(el_data_tree *tree);

typedef enum el_data_change_kind {
	EL_DATA_CHANGED, /* content, size or mode */
	EL_DATA_ADDED,
	EL_DATA_REMOVED,
} el_data_change_kind;

typedef struct el_data_change {
	el_data_change_kind kind;
	const char *path;        /* borrowed from the trees compared */
} el_data_change;

/*
 * What differs between two trees, in path order. *changes is for free();
 * the paths it holds are the trees', valid while they are.
 */
EL_API int el_data_compare(el_data_change **changes, size_t *count, const el_data_tree *old, const el_data_tree *now);

/*
 * The manifest store: directory manifests kept by address under the cache
 * directory (manifests/<hex>), so that a later check can name the files
 * that changed. Saving an address already stored does nothing. Loading
 * checks that the text still hashes to its address: EL_ENOTFOUND when it
 * is not stored (or no longer matches).
 */
EL_API int el_data_store_save(const el_data_tree *tree, const char *cache_dir);
EL_API int el_data_store_load(el_data_tree **out, const char *digest, const char *cache_dir);

#endif
