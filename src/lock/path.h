#ifndef EL_LOCK_PATH_H
#define EL_LOCK_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/*
 * Leaf paths, the names drift findings and policy rules use: keys joined by
 * dots, a key that is not a plain word (letters, digits, '_', '-', '+'; so
 * any key with a dot, a slash or a quote) in brackets and double quotes
 * with '"' and '\' escaped and control characters as \u00XX (a path
 * is one printable line whatever the key), array items by index:
 * python.packages.numpy, libraries["libc.so.6"].version, gpu.devices[0].name.
 */

/* Append the member key to path (no dot before the first key). */
void el__path_key(el__buf *path, const char *key);

/* Append the array index i to path. */
void el__path_index(el__buf *path, size_t i);

/* One step of a parsed path: a key, or an array index (its digits). */
typedef struct el__path_seg {
	char *text;
	bool index;
} el__path_seg;

/*
 * Split a path written as above into its steps. With glob, '*' and '?' may
 * also stand in a bare key or an index (drift patterns). EL_EINVAL, with
 * the offending column, for anything else. *segs is for el__path_segs_free().
 */
int el__path_split(const char *path, bool glob, el__path_seg **segs, size_t *count);
void el__path_segs_free(el__path_seg *segs, size_t count);

#endif
