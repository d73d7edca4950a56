/* SPDX-License-Identifier: Apache-2.0 */
/* libcublas stub: cublasGetProperty answers the parts of $ENVLOCK_STUB_CUBLAS ("12.4.5"),
 * cublasLtGetVersion the number in $ENVLOCK_STUB_CUBLASLT. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "stub.h"

int cublasGetProperty(int type, int *value);

STUB_ABORT_ON_LOAD("ENVLOCK_STUB_CUBLAS")

/* type is libraryPropertyType: MAJOR_VERSION 0, MINOR_VERSION 1, PATCH_LEVEL 2. */
int cublasGetProperty(int type, int *value)
{
	const char *setting = stub_setting("ENVLOCK_STUB_CUBLAS", "12.4.5");
	int parts[3] = { 0, 0, 0 }, rc;

	stub_count("cublasGetProperty");
	if ((rc = stub_behave(setting)) != 0)
		return rc;
	if (type < 0 || type > 2)
		return 7; /* CUBLAS_STATUS_INVALID_VALUE */
	sscanf(setting, "%d.%d.%d", &parts[0], &parts[1], &parts[2]);
	*value = parts[type];
	return 0;
}

size_t cublasLtGetVersion(void);

/* The same stub stands in for libcublasLt: CUBLASLT_VERSION is M*10000+m*100+p. */
size_t cublasLtGetVersion(void)
{
	const char *setting = stub_setting("ENVLOCK_STUB_CUBLASLT", "120405");

	stub_count("cublasLtGetVersion");
	return (size_t)strtoul(setting, NULL, 10);
}
