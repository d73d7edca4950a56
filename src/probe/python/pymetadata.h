/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_PROBE_PYMETADATA_H
#define EL_PROBE_PYMETADATA_H

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/*
 * The Name and Version of an installed Python distribution, read from its
 * METADATA or PKG-INFO file the way importlib.metadata (and so pip) reads
 * them: an RFC 822 header block parsed by the email package (compat32),
 * header names compared case-insensitively, the first occurrence wins,
 * "\r\n" and "\r" read as "\n", continuation lines kept and the value
 * re-indented as importlib's _adapters.Message does (textwrap.dedent of
 * eight spaces plus the value). The block ends at the first line that is
 * not a header or a continuation, an empty line included.
 */
typedef struct el__pymeta {
	char *name;    /* malloc'd; NULL when there is no Name header */
	char *version; /* malloc'd; NULL when there is no Version header */
} el__pymeta;

/* The most of one file that is read looking for the two headers. */
#define EL_PYMETA_MAX_BYTES (1 << 20)

/*
 * Parse the header block at the start of text (len bytes, no terminating
 * NUL needed). complete says whether text is the whole file. Returns EL_OK
 * with *out filled (fields NULL where the header is absent), EL__PYMETA_MORE
 * (util/error.h) when text stops before both headers are known and complete is false,
 * EL_EINVAL (message set) when a header line is not valid UTF-8 or holds a
 * NUL byte, EL_ENOMEM. *out is always safe to pass to el__pymeta_free().
 */
int el__pymeta_parse(el__pymeta *out, const char *text, size_t len, bool complete);

/*
 * Read the file at path relative to dirfd and parse it, reading only as far
 * as the headers need (at most EL_PYMETA_MAX_BYTES). Returns EL_ENOTFOUND
 * without a message when importlib would pass over the file: it does not
 * exist, is not a regular file, cannot be opened, or is empty. EL_EINVAL
 * (message naming display) for a file that is not UTF-8 or whose header
 * block is larger than the limit; EL_ERROR on a read error.
 */
int el__pymeta_read_at(el__pymeta *out, int dirfd, const char *path, const char *display);

void el__pymeta_free(el__pymeta *m);

#endif
