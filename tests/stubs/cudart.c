/* SPDX-License-Identifier: Apache-2.0 */
/* libcudart stub: cudaRuntimeGetVersion answers $ENVLOCK_STUB_CUDART (1000*M+10*m). */
#include "stub.h"

int cudaRuntimeGetVersion(int *version);

STUB_ABORT_ON_LOAD("ENVLOCK_STUB_CUDART")

int cudaRuntimeGetVersion(int *version)
{
	const char *setting = stub_setting("ENVLOCK_STUB_CUDART", "12040");
	int rc;

	stub_count("cudaRuntimeGetVersion");
	if ((rc = stub_behave(setting)) != 0)
		return rc;
	*version = atoi(setting);
	return 0;
}
