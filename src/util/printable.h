/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_PRINTABLE_H
#define EL_UTIL_PRINTABLE_H

#include <stdbool.h>

#include <jansson.h>

/*
 * Text from a lock, a record or a file name, as one line a terminal does
 * not act on. Such text may come from anywhere (a lock is anyone's to
 * write): its control characters never reach the terminal raw.
 */

/* Whether s prints as it is: not empty, no C0 or C1 control character (DEL included). */
bool el__printable_plain(const char *s);

/*
 * s itself when plain, else s as a JSON string (quoted, escaped, non-ASCII
 * as \u escapes); "(not UTF-8)" when it is neither. For free(); NULL when
 * out of memory.
 */
char *el__printable_text(const char *s);

/* A JSON value: a plain string as it is, anything else as compact ASCII JSON. Same ownership. */
char *el__printable_value(const json_t *v);

#endif
