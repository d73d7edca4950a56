#ifndef EL_CLI_EXEC_BUNDLE_H
#define EL_CLI_EXEC_BUNDLE_H

#include <stdbool.h>

#include "envlock/envlock.h"

/*
 * exec --bundle and replay --bundle: a bundle unpacked in the cache, its
 * record, and a scratch copy of its code for the run to write in (the
 * cached tree is never written).
 */
typedef struct exec_bundle {
	el_bundle *bundle;
	el_record *record;
	char *copy; /* the code's copy, bound at the recorded working directory */
	const char *cwd; /* where the run started (the record's sandbox.cwd), or NULL */
} exec_bundle;

/* Open file for the command named name ("exec", "replay"); false after saying why. */
bool exec_bundle_open(exec_bundle *eb, const char *name, const char *file);

/* The profile the bundle carries, parsed (its includes written in place); false after saying why. */
bool exec_bundle_profile(el_profile **out, const exec_bundle *eb, const char *name);

/* Remove the copy and free. */
void exec_bundle_close(exec_bundle *eb);

#endif
