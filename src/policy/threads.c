/* SPDX-License-Identifier: Apache-2.0 */
#include "envlock/profile.h"

#include <string.h>

/*
 * The thread pins: one count for the pools that split a computation
 * across CPUs, so that the split, and with it the rounding of parallel
 * reductions, is the same on every run of a lock.
 */
const el_thread_var el_thread_vars[] = {
	{ "OMP_NUM_THREADS", "OMP" },
	{ "MKL_NUM_THREADS", "MKL" },
	{ "OPENBLAS_NUM_THREADS", "OpenBLAS" },
};

const size_t el_thread_var_count = sizeof(el_thread_vars) / sizeof(el_thread_vars[0]);

bool el_profile_threads_pin(const el_profile *profile, const char *name)
{
	/* What the profile says of a variable itself wins over the count. */
	for (size_t i = 0; i < profile->pin_count; i++)
		if (strcmp(profile->pins[i].name, name) == 0)
			return false;
	for (size_t i = 0; i < profile->keepenv_count; i++)
		if (strcmp(profile->keepenv[i], name) == 0)
			return false;
	return true;
}
