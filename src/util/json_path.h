/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_JSON_PATH_H
#define EL_UTIL_JSON_PATH_H

#include <stddef.h>

#include "util/buf.h"

/*
 * The path of a member in a JSON document, the one way envlock names a
 * place in a lock, a run record or a drift finding: keys joined by dots,
 * a key that is not a plain word (letters, digits, '_', '-', '+'; so any
 * key with a dot, a slash or a quote) in brackets and double quotes with
 * '"' and '\' escaped and control characters as \u00XX (a path is one
 * printable line whatever the key), array items by index:
 * python.packages.numpy, libraries["libc.so.6"].version, gpu.devices[0].name.
 * lock/path.h reads them back.
 */

/* Append the member key to path (no dot before the first key). */
void el__path_key(el__buf *path, const char *key);

/* Append the array index i to path. */
void el__path_index(el__buf *path, size_t i);

#endif
