#include "util/env.h"

#include <string.h>

const char *el__env_get(const char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (const char *const *e = env; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}
