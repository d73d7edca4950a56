/* SPDX-License-Identifier: Apache-2.0 */
/* libnccl stub: ncclGetVersion answers $ENVLOCK_STUB_NCCL (2.9+: M*10000+m*100+p). */
#include "stub.h"

int ncclGetVersion(int *version);

STUB_ABORT_ON_LOAD("ENVLOCK_STUB_NCCL")

int ncclGetVersion(int *version)
{
	const char *setting = stub_setting("ENVLOCK_STUB_NCCL", "22105");
	int rc;

	stub_count("ncclGetVersion");
	if ((rc = stub_behave(setting)) != 0)
		return rc;
	*version = atoi(setting);
	return 0;
}
