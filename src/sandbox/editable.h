/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_SANDBOX_EDITABLE_H
#define EL_SANDBOX_EDITABLE_H

#include <stddef.h>

/* A list of absolute paths, each malloc'd; freed with el__path_list_free(). */
typedef struct el__path_list {
	char **paths;
	size_t count;
} el__path_list;

/*
 * The source directories of the editable installs (PEP 610 direct_url.json
 * with dir_info.editable) in the site directories of an interpreter whose
 * prefixes are given (NULL-terminated, absolute, inside root): each
 * PREFIX/lib/python3.*\/site-packages and dist-packages, and for /usr
 * /usr/local's too. Paths as the files name them, not checked; in the
 * order found, without repeats. A site directory that cannot be read adds
 * nothing; only allocation fails.
 */
int el__editable_sources(el__path_list *out, const char *root, const char *const *prefixes);

void el__path_list_free(el__path_list *list);

#endif
