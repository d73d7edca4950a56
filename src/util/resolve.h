/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_RESOLVE_H
#define EL_UTIL_RESOLVE_H

#include <stddef.h>

/*
 * realpath(3) that also says which symbolic links it followed. A tree
 * rebuilt elsewhere from the files a run used needs those links too:
 * the run named /usr/bin/python3 and /lib/x86_64-linux-gnu/libc.so.6,
 * not the files they lead to.
 */

typedef struct el__path_link {
	char *path;   /* the link, absolute, the links before it resolved */
	char *target; /* its text */
} el__path_link;

typedef struct el__path_links {
	el__path_link *items; /* in the order followed; a link followed twice is listed twice */
	size_t count;
} el__path_links;

/*
 * Resolve the absolute path as realpath() would (".." after a link is
 * taken from where the link led; at most 40 links), appending the links
 * followed to *links (which the caller initialised to zero, or filled
 * before). The resolved path (malloc'd), or NULL with errno: EINVAL for a
 * relative path, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, ENOMEM, or what
 * lstat(2) and readlink(2) said.
 */
char *el__path_resolve(const char *path, el__path_links *links);

/* Free the items and zero *links. Accepts NULL. */
void el__path_links_free(el__path_links *links);

#endif
