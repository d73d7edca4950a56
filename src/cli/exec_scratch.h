/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_CLI_EXEC_SCRATCH_H
#define EL_CLI_EXEC_SCRATCH_H

#include "envlock/sandbox.h"

/* How many of the discarded files exec names. */
#define EXEC_SCRATCH_SHOWN 5

/*
 * Once the sandbox ended: list on stderr the files the command left in its
 * scratch mounts, or with keep_path (keep_fd open on it) copy them there
 * and say so. Returns status, or EXEC_FAILED in its place when it was 0
 * and the files could not all be listed or kept (the reason on stderr).
 */
int exec_scratch_report(const el_sandbox *sandbox, int keep_fd, const char *keep_path, int status);

/*
 * --keep-scratch DIR, --keep DIR: made with its parents (0755) where
 * missing, and opened now, before the command runs, so that the command
 * cannot move what gets written. The descriptor, or -1 with the reason on
 * stderr (what names the command: "exec", "replay").
 */
int exec_keep_dir_open(const char *what, const char *option, const char *path);

#endif
