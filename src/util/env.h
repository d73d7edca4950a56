/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_ENV_H
#define EL_UTIL_ENV_H

/*
 * An environment passed in, not read from the process: "NAME=value"
 * strings, NULL-terminated, as in environ(7). NULL stands for an empty
 * one. What capture reads this way is one of its inputs, so that the same
 * options give the same lock whatever the caller's environment holds.
 */

/* The value of name in env, borrowed from it; NULL when env does not set it. */
const char *el__env_get(const char *const *env, const char *name);

#endif
