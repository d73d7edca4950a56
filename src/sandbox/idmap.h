/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_SANDBOX_IDMAP_H
#define EL_SANDBOX_IDMAP_H

#include <stddef.h>
#include <sys/types.h>

#include "sandbox/plan.h"
#include "util/error.h"

/*
 * Root's sandbox (plan->root_idmapped): envlock, still in the initial
 * namespaces, makes an idmapped detached mount for every step marked idmap,
 * in which files owned by root appear owned by EL__ROOT_RUNS_AS, the host
 * user the sandbox runs as, and files it creates are root's; and a plain
 * one for every step marked premade, whose source that user may not reach.
 * The sandbox's PID 1 attaches them (setup.h: idmap_fds). Only root can
 * idmap them: the file systems are the host's.
 *
 * Returns EL_OK with fds[i] the tree of step i (-1 for the others);
 * EL__IDMAP_UNSUPPORTED (util/error.h) when a source's file system (or the kernel) cannot
 * idmap, with why a one-line reason and every fd -1: the caller then runs
 * the sandbox's user as root on the host; EL_ERROR (message set) when a
 * source cannot be opened as the plan resolved it.
 */
int el__idmap_prepare(const el_sandbox_plan *plan, int *fds, char *why, size_t why_size);

/* Close what el__idmap_prepare made (fds[i] >= 0), leaving -1. */
void el__idmap_close(int *fds, size_t count);

/* Write PID's uid and gid maps: the plan's ids inside, EL__ROOT_RUNS_AS outside. */
int el__idmap_write_maps(pid_t pid, const el_sandbox_plan *plan);

#endif
