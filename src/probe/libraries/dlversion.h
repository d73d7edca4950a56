/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_PROBE_DLVERSION_H
#define EL_PROBE_DLVERSION_H

#include <stdbool.h>
#include <stddef.h>

#include "probe/probe.h"
#include "util/buf.h"

/*
 * Versions that only a library itself can tell: dlopen() it and call its
 * version function. The call runs in a forked child with a time limit, so a
 * library whose constructor crashes or hangs costs a warning, not the
 * capture. Results are cached by the library file's identity, so a warm
 * capture neither forks nor loads anything. So are failures that would come
 * back on every try (a missing dependency or symbol, a crash, a failing
 * call), together with a digest of the loader's state (ld.so.cache,
 * LD_LIBRARY_PATH, LD_PRELOAD): they are asked again once that moves.
 * Time-outs, SIGKILL and mapping failures (memory limits) are always asked
 * again.
 */
typedef enum el__dl_query {
	EL_DL_CUDART,      /* cudaRuntimeGetVersion      -> "13.0"    */
	EL_DL_CUDA_DRIVER, /* cuDriverGetVersion         -> "12.4"    */
	EL_DL_CUDNN,       /* cudnnGetVersion            -> "9.19.0"  */
	EL_DL_NCCL,        /* ncclGetVersion             -> "2.28.9"  */
	EL_DL_CUBLAS,      /* cublasGetProperty x3       -> "13.0.2"  */
	EL_DL_CUBLASLT,    /* cublasLtGetVersion         -> "13.1.0"  (M*10000+m*100+p) */
	EL_DL_NVML_DRIVER, /* nvmlSystemGetDriverVersion -> "550.54.15" */
} el__dl_query;

/*
 * Ask the library at path (a location under ctx->root, without the root
 * prefix) for its version; out receives the dotted version string.
 * EL_ENOTFOUND when the library lacks the entry point, EL_ERROR when the
 * call fails (no driver, a crash, a time-out).
 */
int el__dl_version(el__probe_ctx *ctx, const char *path, el__dl_query query, char *out, size_t outsize);

/* The decoders, exposed for unit tests. Each writes a dotted version. */
void el__decode_cuda_version(int v, char *out, size_t outsize);  /* 1000*M + 10*m */
void el__decode_cudnn_version(int v, char *out, size_t outsize); /* 8: M*1000+m*100+p; 9+: M*10000+m*100+p */
void el__decode_nccl_version(int v, char *out, size_t outsize);  /* < 2.9: M*1000+m*100+p; after: M*10000+m*100+p */

/* Time limits of the forked calls, in milliseconds. */
#define EL_DL_TIMEOUT_MS 10000

/*
 * What a library says in a forked child: the machinery under
 * el__dl_version(), shared with the NVML device query (nvml.c).
 *
 * host_path (the root prefix included) is dlopen()ed in a child of this
 * process, which calls fn with the handle and a zeroed answer buffer of max
 * bytes; fn fills it and returns how many bytes it used. Those bytes end up
 * in out. The child's stdio goes to /dev/null, so a chatty library cannot
 * write into a lock on stdout. what names the call in messages ("version
 * call"). Fails with EL_ERROR when the library cannot be loaded, or the
 * child crashes, exits early or runs past timeout_ms (it is then killed).
 * *transient (may be NULL) tells whether such a failure might not happen
 * again: a time-out, SIGKILL, a load that failed for want of memory, or no
 * child at all (fork, pipe, memory).
 */
typedef size_t (*el__dl_child_fn)(void *lib, void *answer, size_t max, void *arg);
int el__dl_run(el__buf *out, const char *host_path, const char *what, el__dl_child_fn fn, void *arg,
	       size_t max, int timeout_ms, bool *transient);

/* For tests: every time limit becomes ms; 0 restores the defaults. */
void el__dl_set_timeout(int ms);

#endif
