/*
 * Dropping every capability the command could hold or regain, with
 * libcap: the bounding set first (that needs CAP_SETPCAP, which is about
 * to go), then ambient, then effective, permitted and inheritable.
 */
#include <errno.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "sandbox/setup.h"

int el__drop_capabilities(void)
{
	cap_t none;
	int ret;

	for (cap_value_t cap = 0; cap < (cap_value_t)cap_max_bits(); cap++)
		if (cap_drop_bound(cap) != 0 && errno != EINVAL)
			return -1;
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() != 0)
		return -1;
	none = cap_init();
	if (!none)
		return -1;
	ret = cap_set_proc(none);
	cap_free(none);
	return ret;
}
