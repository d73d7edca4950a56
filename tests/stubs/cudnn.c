/* SPDX-License-Identifier: Apache-2.0 */
/* libcudnn stub: cudnnGetVersion answers $ENVLOCK_STUB_CUDNN (cuDNN 9: M*10000+m*100+p). */
#include <stddef.h>

#include "stub.h"

size_t cudnnGetVersion(void);

STUB_ABORT_ON_LOAD("ENVLOCK_STUB_CUDNN")

size_t cudnnGetVersion(void)
{
	const char *setting = stub_setting("ENVLOCK_STUB_CUDNN", "90100");

	stub_count("cudnnGetVersion");
	/* cudnnGetVersion cannot fail: "fail=N" answers 0. */
	if (stub_behave(setting) != 0)
		return 0;
	return (size_t)atol(setting);
}
