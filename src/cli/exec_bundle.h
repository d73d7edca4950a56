/* SPDX-License-Identifier: Apache-2.0 */
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

/*
 * The data a bundle packed with --no-data does not carry, checked on
 * arrival: each must be bound (--bind or --ro-bind SRC:PATH, at the path
 * the run had it), and SRC must hash to the digest the run read. false
 * after saying what is missing or different.
 */
bool exec_bundle_check_data(const exec_bundle *eb, const el_mount *mounts, size_t count, const char *name);

/*
 * The run's mounts: a read-only bind of each data entry the bundle
 * carries, at the path the run had it, then the command line's (user,
 * count). *out for cli_mounts_free(); false after saying why.
 */
bool exec_bundle_mounts(el_mount **out, size_t *out_count, const exec_bundle *eb, const el_mount *user, size_t count,
			const char *name);

/* Remove the copy and free. */
void exec_bundle_close(exec_bundle *eb);

#endif
