/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>

#include "probe/probe.h"
#include "envlock/profile.h"
#include "lock/lock_internal.h"
#include "util/cpus.h"
#include "util/error.h"

/*
 * "threads": the size the thread pools are pinned to (the env probe, next,
 * writes the pins). The count decides how parallel reductions are split,
 * and so their low bits.
 *
 * Pinned: the profile's "threads N"; under "threads auto" the count of the
 * lock being checked, so that a machine with another number of CPUs pins
 * the same and env does not drift; else the CPUs a run here may use.
 *
 * Recorded: the pinned count, except when a lock is being checked on a
 * machine where a run may use fewer CPUs than that: then that smaller
 * number, which shows as drift at "threads" (the pools share fewer CPUs:
 * the same results, more slowly).
 */

/* The lock's count, where it has one a profile could ask for. */
static unsigned locked_count(const el__probe_ctx *ctx)
{
	const json_t *v = ctx->checking ? json_object_get(el__lock_doc(ctx->checking), "threads") : NULL;

	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > EL_THREADS_MAX)
		return 0;
	return (unsigned)json_integer_value(v);
}

int el__probe_threads(el__probe_ctx *ctx, json_t **section)
{
	const el_profile *profile = ctx->profile;
	unsigned usable = 0, pinned, recorded;
	char why[1024] = "";
	int rc = el__cpus_usable(&usable, ctx->root, profile ? profile->cpus : 0);

	if (rc == EL_ENOMEM)
		return rc;
	if (rc != EL_OK)
		snprintf(why, sizeof(why), "%s", el_error_last());
	pinned = profile && profile->threads ? profile->threads : locked_count(ctx);
	if (!pinned)
		pinned = usable;
	if (!pinned) {
		el__warn(ctx, "threads", "cannot tell how many CPUs a run may use (%s), so OMP_NUM_THREADS, "
			 "MKL_NUM_THREADS and OPENBLAS_NUM_THREADS are left unpinned", why);
		return EL__PROBE_ABSENT;
	}
	if (!usable)
		el__warn(ctx, "threads", "cannot tell how many CPUs a run may use (%s); %u threads pinned all the same",
			 why, pinned);
	else if (usable < pinned && !ctx->checking)
		el__warn(ctx, "threads", "threads %u: a run here may use %u CPUs, which the %u threads will share",
			 pinned, usable, pinned);
	recorded = ctx->checking && usable && usable < pinned ? usable : pinned;
	*section = json_integer(recorded);
	if (!*section)
		return el__error_oom();
	ctx->threads = pinned;
	return EL_OK;
}
