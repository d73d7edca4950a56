/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_PROBE_FRAMEWORKS_H
#define EL_PROBE_FRAMEWORKS_H

#include <stddef.h>

#include <jansson.h>

/*
 * The parsers behind the frameworks probe (frameworks.c), exposed for unit
 * tests. They read Python source as text and never evaluate it: a line is
 * taken only when it is exactly an assignment of a literal, and anything
 * else (code, a call, an f-string, an escape sequence) is passed over.
 *
 * Literals: a string in single or double quotes without backslashes on one
 * line (valid UTF-8, no NUL), True, False, None (JSON null), a decimal
 * integer, and a list of such strings. Floats are not literals here.
 */

/* Lines longer than this are passed over whole. */
#define EL_PYLIT_LINE_MAX 4096
/* Files larger than this are not read. */
#define EL_PYLIT_FILE_MAX (1 << 20)

/*
 * The top-level `NAME = LITERAL` and `NAME: ANNOTATION = LITERAL` lines of
 * text (len bytes) into a new object, NAME -> value; a later assignment of
 * a name wins, as in Python. torch/version.py, jaxlib/version.py.
 * EL_OK, or EL_ENOMEM.
 */
int el__py_assignments(json_t **out, const char *text, size_t len);

/*
 * TensorFlow's tensorflow/python/platform/build_info.py: the members of a
 * `build_info = { 'key': LITERAL, ... }` dict display (over several lines)
 * and the `build_info['key'] = LITERAL` lines that TensorFlow 2.x writes
 * after `build_info = collections.OrderedDict()`, into a new object.
 * None values are left out. EL_OK, or EL_ENOMEM.
 */
int el__tf_build_info(json_t **out, const char *text, size_t len);

#endif
