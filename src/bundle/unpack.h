#ifndef EL_BUNDLE_UNPACK_H
#define EL_BUNDLE_UNPACK_H

#include <stdbool.h>

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
} el__unpack_options;

/*
 * The archive read from archive_fd unpacked into the directory top (not
 * closed), which should be new and empty; name is the archive's name for
 * messages. On failure what was unpacked stays in top, for the caller to
 * remove. See el_unpack for what is refused.
 */
int el__unpack_into(const char *name, int archive_fd, int top, const el__unpack_options *opts);

#endif
