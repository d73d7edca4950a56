/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_PROBE_PYVERSION_H
#define EL_PROBE_PYVERSION_H

#include <stdbool.h>

#include "util/buf.h"

/*
 * Python package names and versions, spelled the way pip spells them.
 *
 * The rules follow what pip 23.x vendors (packaging 21.3), so that the lock
 * says exactly what `python -m pip list` says.
 */

/*
 * PEP 503 normalization (packaging's canonicalize_name): every run of '-',
 * '_' and '.' becomes one '-', ASCII letters are lowercased. "Foo.Bar__baz"
 * gives "foo-bar-baz". The result replaces out's content.
 */
void el__pep503_normalize(el__buf *out, const char *name);

/*
 * str(packaging.version.parse(v)): a valid PEP 440 version in its normalized
 * form ("1.0-beta1" gives "1.0b1", "v1.01" gives "1.1", "1.0-1" gives
 * "1.0.post1", "1.0+UB_1" gives "1.0+ub.1"); anything else unchanged, as a
 * LegacyVersion prints. The result replaces out's content. Returns true when
 * v is a valid PEP 440 version.
 */
bool el__pep440_normalize(el__buf *out, const char *v);

#endif
