/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_CLI_REPLAY_GUARD_H
#define EL_CLI_REPLAY_GUARD_H

#include <stdbool.h>
#include <stddef.h>

#include "envlock/record.h"

/*
 * A record lies in the working directory its run could write: the job may
 * have edited it. So before anything runs, replay holds every member that
 * decides what the replay may see, write or run on this machine against
 * what it would choose itself, and what differs must be confirmed on the
 * command line (these options), never taken from the record:
 *
 *   externalParameters.workdir   the directory holding the record, or the
 *                                root of its repository when an env.lock
 *                                lies there; else --workdir DIR
 *   externalParameters.outputs   relative paths inside the working directory
 *   sandbox.cwd                  the working directory or below it
 *   externalParameters.mounts    each given again as --bind, --ro-bind or
 *                                --tmpfs (the profile's binds are the
 *                                profile's, as it reads on this machine)
 *   internalParameters.profile   a profile's name (looked up here), else
 *                                --profile FILE
 *   externalParameters.python    none (the lock's), else --python EXE: the
 *                                drift check runs it, outside the sandbox
 *   externalParameters.lock      the working directory's env.lock, else
 *                                --lock FILE: its interpreter runs too
 *
 * A record whose signature by a trusted key was verified (--require-signed)
 * was not edited since it was signed: its lock (verified too) and
 * interpreter stand as signed; its working directory, outputs, mounts and
 * a profile file (whose content the signature does not cover) are still
 * held to the same rules.
 */
typedef struct replay_allow {
	const char *workdir; /* --workdir DIR, or NULL */
	const char *lock;    /* --lock FILE */
	const char *python;  /* --python EXE */
	const char *profile; /* --profile P */
	char **binds;        /* --bind/--ro-bind/--tmpfs as "kind SRC:DEST" ("tmpfs DEST"), absolute */
	size_t bind_count;
	bool signed_record;  /* the record's signature was verified */
} replay_allow;

/*
 * Add --bind, --ro-bind or --tmpfs ARG (by kind) to allow->binds in
 * the form the check compares: a relative source made absolute, DEST
 * defaulting to SRC. False when out of memory.
 */
bool replay_allow_mount(replay_allow *allow, el_mount_kind kind, const char *arg);
void replay_allow_free(replay_allow *allow);

/*
 * Check the record read from file. Prints "replay: FILE: MEMBER: what is
 * wrong (and the option that allows it)" for the first member refused;
 * false then (bad input: exit 2).
 */
bool replay_guard_check(const char *file, const el_record *record, const replay_allow *allow);

#endif
