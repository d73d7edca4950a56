/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_STUB_H
#define EL_STUB_H

/*
 * Shared by the stub GPU libraries the tests load in place of NVIDIA's.
 * They link against libc alone and take their behaviour from the
 * environment, which the forked child that loads them inherits:
 *
 * ENVLOCK_STUB_<NAME> (CUDART, CUDA, CUDNN, NCCL, CUBLAS, NVML) sets what the
 * library's version call does:
 *   unset, or a value  answer that value (each stub has a default)
 *   "crash"            die of SIGSEGV inside the call
 *   "hang"             never return
 *   "fail=N"           return error N
 *   "abort"            abort() while the library is being loaded
 * ENVLOCK_STUB_COUNTER names a file that gets one line per call, so that a
 * test can tell whether a library was asked at all.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline const char *stub_setting(const char *var, const char *fallback)
{
	const char *v = getenv(var);

	return v && *v ? v : fallback;
}

static inline void stub_count(const char *call)
{
	const char *path = getenv("ENVLOCK_STUB_COUNTER");
	int fd;

	if (!path || !*path)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, call, strlen(call)) < 0 || write(fd, "\n", 1) < 0)
		abort();
	close(fd);
}

/* Act out setting; the error to return, or 0 to answer normally. */
static inline int stub_behave(const char *setting)
{
	if (strcmp(setting, "crash") == 0) {
		raise(SIGSEGV);
		abort();
	}
	if (strcmp(setting, "hang") == 0)
		for (;;)
			pause();
	if (strncmp(setting, "fail=", 5) == 0)
		return atoi(setting + 5);
	return 0;
}

/* A constructor that aborts when the library's setting says "abort". */
#define STUB_ABORT_ON_LOAD(var)                                                \
	static void __attribute__((constructor)) stub_on_load(void)            \
	{                                                                      \
		if (strcmp(stub_setting(var, ""), "abort") == 0)               \
			abort();                                               \
	}

#endif
