/* SPDX-License-Identifier: Apache-2.0 */
/* libcuda stub: cuDriverGetVersion answers $ENVLOCK_STUB_CUDA (1000*M+10*m), with or without cuInit. */
#include "stub.h"

int cuInit(unsigned int flags);
int cuDriverGetVersion(int *version);

STUB_ABORT_ON_LOAD("ENVLOCK_STUB_CUDA")

int cuInit(unsigned int flags)
{
	stub_count("cuInit");
	return 100; /* CUDA_ERROR_NO_DEVICE: there is no GPU behind a stub */
}

int cuDriverGetVersion(int *version)
{
	const char *setting = stub_setting("ENVLOCK_STUB_CUDA", "12040");
	int rc;

	stub_count("cuDriverGetVersion");
	if ((rc = stub_behave(setting)) != 0)
		return rc;
	*version = atoi(setting);
	return 0;
}
