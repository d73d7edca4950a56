/* SPDX-License-Identifier: Apache-2.0 */
/* The bundle's root tree, as a sorted list of nodes (pack_tree.h). */
#include "bundle/pack_tree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

int el__pack_tree_add(el__pack_tree *t, const char *path, el__pack_kind kind, const char *target,
		      const char *sha256, bool executable)
{
	el__pack_node *n;

	if (t->count == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		el__pack_node *grown = realloc(t->nodes, cap * sizeof(*grown));

		if (!grown)
			return el__error_oom();
		t->nodes = grown;
		t->cap = cap;
	}
	n = &t->nodes[t->count];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->executable = executable;
	if (sha256)
		snprintf(n->sha256, sizeof(n->sha256), "%s", sha256);
	n->path = strdup(path);
	n->target = target ? strdup(target) : NULL;
	if (!n->path || (target && !n->target)) {
		free(n->path);
		free(n->target);
		return el__error_oom();
	}
	t->count++;
	return EL_OK;
}

/*
 * Paths in the order of their components: '/' before any other byte, so
 * that a directory's whole subtree follows it at once ("a/b" before "a.c"
 * and "a-c"). An extraction that dates a directory once its entries are
 * in (GNU tar) then never adds to it again.
 */
int el__pack_path_cmp(const char *a, const char *b)
{
	for (; *a && *a == *b; a++, b++)
		;
	if (*a == *b)
		return 0;
	if (*a == '/' || *b == '/')
		return *a == '/' ? (*b ? -1 : 1) : (*a ? 1 : -1);
	return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
}

static int by_path(const void *a, const void *b)
{
	return el__pack_path_cmp(((const el__pack_node *)a)->path, ((const el__pack_node *)b)->path);
}

static bool same(const el__pack_node *a, const el__pack_node *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == EL__PACK_LINK)
		return strcmp(a->target, b->target) == 0;
	if (a->kind == EL__PACK_FILE)
		return strcmp(a->sha256, b->sha256) == 0;
	return true;
}

static void node_free(el__pack_node *n)
{
	free(n->path);
	free(n->target);
}

int el__pack_tree_finish(el__pack_tree *t)
{
	const size_t given = t->count;
	size_t kept = 0;
	int ret = EL_OK;

	/* Every directory above a node, as a node of its own (repeats dropped below). */
	for (size_t i = 0; i < given && ret == EL_OK; i++) {
		char *up = strdup(t->nodes[i].path);

		if (!up)
			return el__error_oom();
		for (char *slash = strrchr(up, '/'); slash && slash != up && ret == EL_OK; slash = strrchr(up, '/')) {
			*slash = '\0';
			ret = el__pack_tree_add(t, up, EL__PACK_DIR, NULL, NULL, false);
		}
		free(up);
	}
	if (ret != EL_OK)
		return ret;
	if (t->count)
		qsort(t->nodes, t->count, sizeof(*t->nodes), by_path);
	for (size_t i = 0; i < t->count; i++) {
		el__pack_node *prev = kept ? &t->nodes[kept - 1] : NULL;

		if (prev && strcmp(prev->path, t->nodes[i].path) == 0) {
			if (ret == EL_OK && !same(prev, &t->nodes[i]))
				ret = el__error(EL_EINVAL, "%s: two different things at one path (%s)", prev->path,
						prev->kind == EL__PACK_LINK || t->nodes[i].kind == EL__PACK_LINK
							? "a symbolic link, and what a path went through as a directory"
							: "two contents");
			node_free(&t->nodes[i]);
			continue;
		}
		t->nodes[kept++] = t->nodes[i];
	}
	t->count = kept;
	/* A path through a link or a file met its directory node above: refused as two things at one path. */
	return ret;
}

void el__pack_tree_free(el__pack_tree *t)
{
	for (size_t i = 0; i < t->count; i++)
		node_free(&t->nodes[i]);
	free(t->nodes);
	t->nodes = NULL;
	t->count = t->cap = 0;
}
