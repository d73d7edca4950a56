/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_CLI_REPLAY_BUNDLE_H
#define EL_CLI_REPLAY_BUNDLE_H

#include "envlock/envlock.h"

/*
 * replay --bundle FILE: the bundle's record run again in the bundle (its
 * root tree, a scratch copy of its code, its lock and profile, the drift
 * check judging only what it cannot carry), its outputs compared with the
 * record's bit for bit, said as replay says it for a record. mounts: the
 * command line's, for the data a bundle packed with --no-data does not
 * carry (checked against the run's digests first). Returns
 * replay's exit status.
 */
int replay_bundle(const char *file, el_severity on_drift, const el_mount *mounts, size_t mount_count);

#endif
