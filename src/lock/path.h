/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_LOCK_PATH_H
#define EL_LOCK_PATH_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/json_path.h"

/*
 * Leaf paths, the names drift findings and policy rules use, are written
 * as util/json_path.h writes a member's path: python.packages.numpy,
 * libraries["libc.so.6"].version, gpu.devices[0].name.
 */

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
