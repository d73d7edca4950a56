/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENVLOCK_TEXT_H
#define ENVLOCK_TEXT_H

#include "envlock/api.h"

/*
 * Text from a lock, a record or a file name, as one line a terminal does
 * not act on. A lock is anyone's to write, and file names hold any byte:
 * their control characters must not reach a terminal raw.
 */

/*
 * s itself when it prints as it is (not empty, no C0 or C1 control
 * character, no DEL), else s as a JSON string: quoted, escaped, non-ASCII
 * as \u escapes; "(not UTF-8)" when it is neither. For free(); NULL when
 * out of memory.
 */
EL_API char *el_printable_text(const char *s);

/*
 * A JSON text (a finding's old_value or new_value, diff.h) as one line: a
 * string that prints as it is without its quotes, anything else as
 * compact ASCII JSON. Same ownership; NULL also for text that is not JSON.
 */
EL_API char *el_printable_json(const char *json);

#endif
