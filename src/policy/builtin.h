/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_POLICY_BUILTIN_H
#define EL_POLICY_BUILTIN_H

#include <stddef.h>

/* The shipped profiles as built into envlock (generated from profiles/). */
struct el__builtin_profile {
	const char *name; /* NULL ends the table */
	const char *text;
	size_t len;
};

extern const struct el__builtin_profile el__builtin_profiles[];

#endif
