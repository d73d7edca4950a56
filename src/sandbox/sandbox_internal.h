/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_SANDBOX_INTERNAL_H
#define EL_SANDBOX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "sandbox/plan.h"

/*
 * What the files of the run (scratch.c) need of a started sandbox
 * (spawn.c): its plan, whether it ended, and the mounts PID 1 sent.
 */

/* The mount of plan step `step` that PID 1 sent (el__step_sent), borrowed; -1 when none. */
int el__sandbox_fd(const el_sandbox *sb, size_t step);

const el_sandbox_plan *el__sandbox_plan(const el_sandbox *sb);

/* Whether PID 1 has been reaped (so nothing in the sandbox runs any more). */
bool el__sandbox_ended(const el_sandbox *sb);

/* With observe: the observer's anonymous file (borrowed); else -1. */
int el__sandbox_audit_fd(const el_sandbox *sb);

#endif
