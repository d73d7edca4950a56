/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A profile's requirements on the run, as opposed to drift from the lock:
 * "require clean-tree" asks that the tracked files match the commit
 * checked out, so that what runs is exactly what was committed. The lock
 * cannot hold that: it is committed beside the code, and its own commit
 * would make it stale.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "envlock/lock.h"
#include "envlock/profile.h"
#include "lock/lock_internal.h"
#include "util/error.h"

int el_profile_unmet(char **why, const el_profile *profile, const el_lock *now)
{
	const json_t *code = json_object_get(json_object_get(el__lock_doc(now), "meta"), "code");
	const json_t *dirty = json_object_get(code, "git_dirty");
	const char *what;

	*why = NULL;
	if (!profile->require_clean_tree)
		return EL_OK;
	if (!code)
		what = "the working directory is not in a git checkout with a commit";
	else if (!dirty)
		what = "whether tracked files changed could not be told (see the warning above)";
	else if (json_is_true(dirty))
		what = "tracked files differ from the commit checked out (commit or stash them)";
	else
		return EL_OK;
	if (asprintf(why, "require clean-tree: %s", what) < 0) {
		*why = NULL;
		return el__error_oom();
	}
	return EL_OK;
}
