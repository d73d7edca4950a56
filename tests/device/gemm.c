/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A cuBLAS SGEMM whose output bytes are hashed, for tests/device/run.sh:
 * two runs on the same machine and stack must print the same hashes.
 *
 *   gemm [N]    (N: the square size, default 1024)
 *
 * Inputs come from a fixed-seed LCG on the host, so they are the same
 * bytes on every machine. Two products are hashed: N x N x N, and a
 * skinny 128 x 128 x 65536 one, where cuBLAS may split K and reduce
 * partial sums (the case CUBLAS_WORKSPACE_CONFIG is about). Each is
 * computed three times in the process; a difference between them is
 * reported and fails the run. The hashes are FNV-1a 64 of the result's
 * bytes as copied back. Exit status: 0 ok, 1 a CUDA or cuBLAS call
 * failed, 2 bad usage, 3 the repeats within the run differ.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cublas_v2.h>
#include <cuda_runtime.h>

#define REPEATS 3

#define CUDA_OK(call)                                                                                 \
	do {                                                                                          \
		cudaError_t e_ = (call);                                                              \
		if (e_ != cudaSuccess) {                                                              \
			fprintf(stderr, "gemm: %s: %s\n", #call, cudaGetErrorString(e_));             \
			exit(1);                                                                      \
		}                                                                                     \
	} while (0)

#define CUBLAS_OK(call)                                                                               \
	do {                                                                                          \
		cublasStatus_t s_ = (call);                                                           \
		if (s_ != CUBLAS_STATUS_SUCCESS) {                                                    \
			fprintf(stderr, "gemm: %s: cuBLAS status %d\n", #call, (int)s_);              \
			exit(1);                                                                      \
		}                                                                                     \
	} while (0)

static uint64_t fnv1a64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Numerical Recipes' LCG; values in [-1, 1), exact in float. */
static void fill(float *m, size_t count, uint32_t *state)
{
	for (size_t i = 0; i < count; i++) {
		*state = *state * 1664525u + 1013904223u;
		m[i] = (float)(*state >> 8) / (float)(1u << 23) - 1.0f;
	}
}

/* C = A * B (column-major, A m x k, B k x n), REPEATS times; the hash of C, or exit 3. */
static uint64_t product(cublasHandle_t handle, int m, int n, int k, uint32_t seed, const char *label)
{
	size_t sa = (size_t)m * k, sb = (size_t)k * n, sc = (size_t)m * n;
	float *a = malloc(sa * sizeof(float)), *b = malloc(sb * sizeof(float));
	float *c = malloc(sc * sizeof(float)), *first = malloc(sc * sizeof(float));
	float *da, *db, *dc;
	const float alpha = 1.0f, beta = 0.0f;
	uint64_t hash = 0;

	if (!a || !b || !c || !first) {
		fprintf(stderr, "gemm: out of memory\n");
		exit(1);
	}
	fill(a, sa, &seed);
	fill(b, sb, &seed);
	CUDA_OK(cudaMalloc((void **)&da, sa * sizeof(float)));
	CUDA_OK(cudaMalloc((void **)&db, sb * sizeof(float)));
	CUDA_OK(cudaMalloc((void **)&dc, sc * sizeof(float)));
	CUDA_OK(cudaMemcpy(da, a, sa * sizeof(float), cudaMemcpyHostToDevice));
	CUDA_OK(cudaMemcpy(db, b, sb * sizeof(float), cudaMemcpyHostToDevice));
	for (int r = 0; r < REPEATS; r++) {
		CUDA_OK(cudaMemset(dc, 0, sc * sizeof(float)));
		CUBLAS_OK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, da, m, db, k, &beta, dc, m));
		CUDA_OK(cudaDeviceSynchronize());
		CUDA_OK(cudaMemcpy(r ? c : first, dc, sc * sizeof(float), cudaMemcpyDeviceToHost));
		if (r && memcmp(c, first, sc * sizeof(float)) != 0) {
			fprintf(stderr, "gemm: %s: repeat %d differs from the first within one run\n", label, r);
			exit(3);
		}
	}
	hash = fnv1a64(first, sc * sizeof(float));
	printf("%s %dx%dx%d fnv1a64 %016llx\n", label, m, n, k, (unsigned long long)hash);
	CUDA_OK(cudaFree(da));
	CUDA_OK(cudaFree(db));
	CUDA_OK(cudaFree(dc));
	free(a);
	free(b);
	free(c);
	free(first);
	return hash;
}

int main(int argc, char **argv)
{
	const char *workspace = getenv("CUBLAS_WORKSPACE_CONFIG");
	struct cudaDeviceProp prop;
	cublasHandle_t handle;
	uint64_t h[2];
	int n = 1024, dev, version = 0;
	char *end;

	if (argc > 2 || (argc == 2 && ((n = (int)strtol(argv[1], &end, 10)) < 1 || n > 16384 || *end))) {
		fprintf(stderr, "usage: gemm [N]   (1 <= N <= 16384)\n");
		return 2;
	}
	CUDA_OK(cudaGetDevice(&dev));
	CUDA_OK(cudaGetDeviceProperties(&prop, dev));
	CUBLAS_OK(cublasCreate(&handle));
	CUBLAS_OK(cublasGetVersion(handle, &version));
	/* Diagnostics on stderr, so that stdout is the hashes alone. */
	fprintf(stderr, "device %d: %s (compute capability %d.%d)\n", dev, prop.name, prop.major, prop.minor);
	fprintf(stderr, "cuBLAS %d, CUBLAS_WORKSPACE_CONFIG=%s\n", version, workspace ? workspace : "(unset)");
	h[0] = product(handle, n, n, n, 12345u, "square");
	h[1] = product(handle, 128, 128, 65536, 67890u, "skinny");
	printf("all fnv1a64 %016llx\n", (unsigned long long)fnv1a64(h, sizeof(h)));
	CUBLAS_OK(cublasDestroy(handle));
	return 0;
}
