/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_BUNDLE_PACK_TREE_H
#define EL_BUNDLE_PACK_TREE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The root tree a bundle carries (root/ in the archive): the files a
 * traced run used outside its working directory, the links on the way to
 * them, the declared data, and every directory above them, each under
 * its absolute host path. Regular files are stored once by content
 * (store/sha256/<hex>) and linked into the tree.
 */

typedef enum el__pack_kind { EL__PACK_DIR, EL__PACK_LINK, EL__PACK_FILE } el__pack_kind;

typedef struct el__pack_node {
	char *path;       /* absolute, without a trailing '/' ("/" itself is never a node) */
	el__pack_kind kind;
	char *target;     /* a link's text */
	char sha256[65];  /* a file's content, as the record or the data manifest says */
	bool executable;  /* a file with an execute bit on the host */
} el__pack_node;

typedef struct el__pack_tree {
	el__pack_node *nodes; /* after el__pack_tree_finish: sorted by el__pack_path_cmp, each once */
	size_t count, cap;
} el__pack_tree;

/* Order of paths by their components ('/' sorts before any other byte); strcmp's sign convention. */
int el__pack_path_cmp(const char *a, const char *b);

/* Add a node (its strings copied). EL_OK, or out of memory. */
int el__pack_tree_add(el__pack_tree *t, const char *path, el__pack_kind kind, const char *target,
		      const char *sha256, bool executable);

/*
 * Add the directories above every node, sort, and drop repeats. A path
 * that is two different things (a link and a directory, a file with two
 * contents) is refused with EL_EINVAL naming it.
 */
int el__pack_tree_finish(el__pack_tree *t);

void el__pack_tree_free(el__pack_tree *t);

#endif
