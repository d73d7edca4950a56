/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_RUN_H
#define EL_UTIL_RUN_H

#include "util/buf.h"

/*
 * Run argv[0] (an absolute path; no PATH search) with stdin and stderr on
 * /dev/null and capture its stdout into out (at most 256 KiB). envp NULL
 * passes this process's environment. A program still running after
 * timeout_ms is killed and the call fails. *status gets the wait status.
 * Used on cold paths only: probes cache what programs print.
 */
/* Milliseconds on CLOCK_MONOTONIC: for deadlines. */
long long el__monotonic_ms(void);

int el__run_capture(el__buf *out, int *status, char *const argv[], char *const envp[], int timeout_ms);

#endif
