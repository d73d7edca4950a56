/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dropping every capability the command could hold or regain, with
 * libcap: the bounding set first (that needs CAP_SETPCAP, which is about
 * to go), then ambient, then effective, permitted and inheritable.
 *
 * The empty set is made by envlock before the sandbox is cloned: cap_init()
 * allocates, and the command's process, which shares PID 1's memory until
 * execve (setup.c), must not. Applying it makes system calls only.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "sandbox/setup.h"
#include "util/error.h"

struct el__caps {
	cap_t none;        /* the empty set, to apply */
	cap_value_t bound; /* capabilities this kernel has: the bounding set to empty */
};

int el__caps_prepare(el__caps **out)
{
	el__caps *caps = malloc(sizeof(*caps));

	*out = NULL;
	if (!caps || !(caps->none = cap_init())) {
		free(caps);
		return el__error_oom();
	}
	caps->bound = (cap_value_t)cap_max_bits();
	*out = caps;
	return EL_OK;
}

void el__caps_free(el__caps *caps)
{
	if (!caps)
		return;
	cap_free(caps->none);
	free(caps);
}

int el__caps_drop(const el__caps *caps)
{
	for (cap_value_t cap = 0; cap < caps->bound; cap++)
		if (cap_drop_bound(cap) != 0 && errno != EINVAL)
			return -1;
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() != 0)
		return -1;
	return cap_set_proc(caps->none);
}
