/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_DIRECT_URL_H
#define EL_UTIL_DIRECT_URL_H

#include <stdbool.h>

#include "util/buf.h"

/*
 * PEP 610: the direct_url.json a distribution installed from a URL, a VCS
 * or a local directory has in its .dist-info. Read by the python probe
 * (python.installs) and by the sandbox plan (editable sources are bound).
 */
typedef struct el__direct_url {
	char *url;       /* "url", as recorded */
	char *vcs;       /* vcs_info.vcs, or NULL */
	char *commit_id; /* vcs_info.commit_id, or NULL */
	bool dir_info;   /* a local directory (dir_info present) */
	bool editable;   /* dir_info.editable is true */
} el__direct_url;

/*
 * Read DIST/direct_url.json relative to dirfd (no symbolic link as its last
 * component, at most 64 KiB); display names the file in messages.
 * EL_ENOTFOUND when there is none (not installed from a URL: the common
 * case), EL_EINVAL when it is not a JSON object with a string "url" (the
 * message says why), EL_ENOMEM. On success *out is for
 * el__direct_url_free().
 */
int el__direct_url_read_at(el__direct_url *out, int dirfd, const char *dist, const char *display);

/*
 * The local path a file URL names: "file:///a%20b" -> "/a b" (RFC 8089; a
 * "localhost" authority allowed), malloc'd. NULL for any other URL (another
 * host, another scheme, a relative path), one that decodes a NUL byte, or
 * the root "/" alone; also when out of memory.
 */
char *el__file_url_path(const char *url);

/*
 * The file URL of an absolute path, percent-encoded as Python's
 * pathlib.as_uri() does ("/a b" -> "file:///a%20b"), into out; the
 * inverse of el__file_url_path. EL_OK or EL_ENOMEM.
 */
int el__file_url(el__buf *out, const char *path);

void el__direct_url_free(el__direct_url *d);

#endif
