/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_CLI_REPLAY_RUN_H
#define EL_CLI_REPLAY_RUN_H

#include "envlock/envlock.h"
#include "envlock/record.h"

/* One record replayed, in a process of its own (replay forks one per record). */
typedef struct replay_run {
	const char *file;          /* the record's file, for messages */
	const el_record *record;
	const el_lock *lock;       /* NULL: the run had none */
	const el_profile *profile;
	int keep_fd;               /* --keep DIR opened, or -1 */
	const char *keep_sub;      /* this record's directory in it ("" for DIR itself) */
	int results_fd;            /* where the results go, for the parent (see below) */
} replay_run;

/*
 * Run the record's command again without touching the host's working
 * directory: on an overlay of it (nothing written reaches the host), or,
 * where the kernel refuses one (or ENVLOCK_REPLAY_NO_OVERLAY=1 is set, a
 * testing aid), on a private copy removed afterwards. Then hash the
 * record's outputs as the command left them, and copy them into --keep's
 * directory. Writes to results_fd, one line each: "overlay REASON" when it
 * fell back to a copy; the digest of each output in the record's order
 * (hex, "" when absent, "!" when it could not be hashed), only when the
 * command ran; "kept N" (files kept) or "kept!" (failed, said on stderr)
 * with --keep. Returns exec's status for the run.
 */
int replay_run_record(const replay_run *r);

#endif
