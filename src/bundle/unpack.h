/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_BUNDLE_UNPACK_H
#define EL_BUNDLE_UNPACK_H

#include <stdbool.h>
#include <stdint.h>

#include "envlock/bundle.h"

typedef struct el__unpack_options {
	el_unpack_limits limits; /* 0: the default */
	/*
	 * An image's layers carry set-id programs (su, mount): with this their
	 * bits are cleared (no_new_privs would void them in the sandbox
	 * anyway). Without it such an entry is refused, as in a bundle,
	 * which envlock never packs with them.
	 */
	bool strip_setid;
	/*
	 * An image layer, applied onto what the layers below left in top: an
	 * entry replaces what is at its name (a directory over a directory
	 * keeps what is in it), ".wh.NAME" removes NAME of the layers below,
	 * ".wh..wh..opq" all its directory held below; the whiteouts
	 * themselves are not unpacked.
	 */
	bool layer;
	/* What was unpacked, entries (directories made included) and bytes of file data; may be NULL. */
	uint64_t *entries_out, *bytes_out;
} el__unpack_options;

/*
 * The archive read from archive_fd unpacked into the directory top (not
 * closed), which should be new and empty; name is the archive's name for
 * messages. On failure what was unpacked stays in top, for the caller to
 * remove. See el_unpack for what is refused.
 */
int el__unpack_into(const char *name, int archive_fd, int top, const el__unpack_options *opts);


#endif
