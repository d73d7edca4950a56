/* SPDX-License-Identifier: Apache-2.0 */
#include "util/env.h"

#include <string.h>

#include "state/watch.h"

const char *el__env_get(const char *const *env, const char *name)
{
	size_t n = strlen(name);
	const char *value = NULL;

	for (const char *const *e = env; e && *e; e++) {
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') {
			value = *e + n + 1;
			break;
		}
	}
	/* One of a capture's inputs: the state record keeps it (src/state/watch.h). */
	if (el__watch_on())
		el__watch_env(EL__DEP_ENV, name, value);
	return value;
}
