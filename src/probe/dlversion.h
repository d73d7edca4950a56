#ifndef EL_PROBE_DLVERSION_H
#define EL_PROBE_DLVERSION_H

#include <stddef.h>

#include "probe/probe.h"

/*
 * Versions that only a library itself can tell: dlopen() it and call its
 * version function. The call runs in a forked child with a time limit, so a
 * library whose constructor crashes or hangs costs a warning, not the
 * capture. Results are cached by the library file's identity, so a warm
 * capture neither forks nor loads anything.
 */
typedef enum el__dl_query {
	EL_DL_CUDART,      /* cudaRuntimeGetVersion      -> "13.0"    */
	EL_DL_CUDA_DRIVER, /* cuDriverGetVersion         -> "12.4"    */
	EL_DL_CUDNN,       /* cudnnGetVersion            -> "9.19.0"  */
	EL_DL_NCCL,        /* ncclGetVersion             -> "2.28.9"  */
	EL_DL_CUBLAS,      /* cublasGetProperty x3       -> "13.0.2"  */
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

#endif
