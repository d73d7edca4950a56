/* SPDX-License-Identifier: Apache-2.0 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "probe/libraries/dlversion.h"
#include "util/error.h"

/*
 * Fixture roots are assembled from the stub libraries (tests/stubs) and the
 * pieces in tests/fixtures/gpu, with an ld.so.cache that glibc's own
 * ldconfig writes for them.
 */

#if defined(__x86_64__)
#define TRIPLET "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define TRIPLET "aarch64-linux-gnu"
#elif defined(__powerpc64__)
#define TRIPLET "powerpc64le-linux-gnu"
#else
#define TRIPLET "unknown-linux-gnu"
#endif
#define MULTIARCH "usr/lib/" TRIPLET
#define CUDA "usr/local/cuda-12.4"

static const char *const stub_vars[] = {
	"ENVLOCK_STUB_CUDART", "ENVLOCK_STUB_CUDA",  "ENVLOCK_STUB_CUDNN",       "ENVLOCK_STUB_NCCL",
	"ENVLOCK_STUB_CUBLAS", "ENVLOCK_STUB_NVML",  "ENVLOCK_STUB_NVML_MEMORY", "ENVLOCK_STUB_GPUS",
	"ENVLOCK_STUB_COUNTER",
};

struct fx {
	char *root;    /* this test's own root, empty at first */
	const char *probe_root; /* the root probed: root, or the shared settled one */
	char *tmp;     /* outside the root: the call counter */
	char *counter;
	el__probe_ctx ctx;
	bool ctx_live;
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	fx->root = el_test_mkdtemp();
	fx->probe_root = fx->root;
	fx->tmp = el_test_mkdtemp();
	fx->counter = el_test_path(fx->tmp, "calls");
	setenv("ENVLOCK_STUB_COUNTER", fx->counter, 1);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	for (size_t i = 0; i < sizeof(stub_vars) / sizeof(stub_vars[0]); i++)
		unsetenv(stub_vars[i]);
	el__dl_set_timeout(0);
	if (fx->ctx_live)
		el_test_ctx_release(&fx->ctx);
	el_test_rmtree(fx->root);
	el_test_rmtree(fx->tmp);
	free(fx->root);
	free(fx->tmp);
	free(fx->counter);
	free(fx);
	return 0;
}

/* Copy a file of the build or source tree to root/rel. */
static void copy_in(const char *src, const char *root, const char *rel)
{
	size_t len;
	char *data = el_test_read(src, NULL, &len), *dst;

	if (!data)
		fail_msg("cannot read %s", src);
	el_test_write_bytes(root, rel, data, len);
	dst = el_test_path(root, rel);
	assert_int_equal(chmod(dst, 0755), 0);
	free(data);
	free(dst);
}

/*
 * A stub library at dir/file in the root, and its soname link when the
 * file's name is not the soname (as distributions install them).
 */
static void install_stub(const char *root, const char *stub, const char *dir, const char *file, const char *soname)
{
	char *src = el_test_path(EL_STUBS_DIR, stub), *rel;

	if (asprintf(&rel, "%s/%s", dir, file) < 0)
		abort();
	copy_in(src, root, rel);
	free(rel);
	if (soname && strcmp(soname, file) != 0) {
		if (asprintf(&rel, "%s/%s", dir, soname) < 0)
			abort();
		el_test_symlink(root, rel, file);
		free(rel);
	}
	free(src);
}

static void install_fixture(const char *root, const char *piece, const char *rel)
{
	char *src = el_test_path(EL_FIXTURES "/gpu", piece);

	copy_in(src, root, rel);
	free(src);
}

static bool run_ldconfig(const char *wrapper, const char *root)
{
	static const char *const candidates[] = { "/sbin/ldconfig", "/usr/sbin/ldconfig" };
	char *cmd;
	int rc;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		if (access(candidates[i], X_OK) != 0)
			continue;
		if (asprintf(&cmd, "%s %s -X -r '%s' >/dev/null 2>&1", wrapper, candidates[i], root) < 0)
			abort();
		rc = system(cmd);
		free(cmd);
		return rc == 0;
	}
	return false;
}

/*
 * etc/ld.so.cache for root, from glibc's ldconfig: it chroots, so it runs
 * as root or in a user namespace of its own.
 */
static bool try_ldcache(const char *root, const char *conf)
{
	el_test_write(root, "etc/ld.so.conf", conf);
	return geteuid() == 0 ? run_ldconfig("", root) : run_ldconfig("unshare -r", root);
}

/* ldconfig -r needs root or an unprivileged user namespace; without either, the case is skipped. */
static void make_ldcache(const char *root, const char *conf)
{
	if (!try_ldcache(root, conf))
		el_test_skip_case("ldconfig -r failed (it needs root or an unprivileged user namespace)");
}

static int probe(struct fx *fx, json_t **section)
{
	if (!fx->ctx_live) {
		el_test_ctx_init(&fx->ctx, fx->probe_root);
		fx->ctx_live = true;
	}
	return el__probe_gpu(&fx->ctx, section);
}

/* Probe with a context of its own, expecting section text (NULL: absent) and warnings. */
static void expect_probe(struct fx *fx, const char *json, const char *warnings)
{
	json_t *section = NULL;
	int ret;

	if (fx->ctx_live) {
		el_test_ctx_release(&fx->ctx);
		fx->ctx_live = false;
	}
	ret = probe(fx, &section);
	assert_string_equal(el_test_warnings(&fx->ctx), warnings);
	if (json) {
		assert_int_equal(ret, EL_OK);
		assert_string_equal(el_test_json(section), json);
	} else {
		assert_int_equal(ret, EL__PROBE_ABSENT);
		assert_null(section);
	}
	json_decref(section);
}

static char *calls(struct fx *fx)
{
	char *text = el_test_read(fx->counter, NULL, NULL);

	return text ? text : strdup("");
}

static void test_decoders(void **state)
{
	static const struct {
		void (*decode)(int, char *, size_t);
		int v;
		const char *want;
	} table[] = {
		{ el__decode_cuda_version, 11080, "11.8" },
		{ el__decode_cuda_version, 12040, "12.4" },
		{ el__decode_cuda_version, 13000, "13.0" },
		{ el__decode_cuda_version, 12090, "12.9" },
		{ el__decode_cudnn_version, 7605, "7.6.5" },
		{ el__decode_cudnn_version, 8907, "8.9.7" },
		{ el__decode_cudnn_version, 90000, "9.0.0" },
		{ el__decode_cudnn_version, 91900, "9.19.0" },
		{ el__decode_nccl_version, 2804, "2.8.4" },
		{ el__decode_nccl_version, 20906, "2.9.6" },
		{ el__decode_nccl_version, 22809, "2.28.9" },
	};
	char out[32];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		table[i].decode(table[i].v, out, sizeof(out));
		assert_string_equal(out, table[i].want);
	}
}

static void test_proc_proprietary(void **state)
{
	struct fx *fx = *state;

	install_fixture(fx->root, "nvidia-version-proprietary", "proc/driver/nvidia/version");
	expect_probe(fx, "{\"driver\":\"550.54.15\"}", "");
}

static void test_proc_open(void **state)
{
	struct fx *fx = *state;

	install_fixture(fx->root, "nvidia-version-open", "proc/driver/nvidia/version");
	expect_probe(fx, "{\"driver\":\"555.58.02\"}", "");
}

static void test_proc_garbled(void **state)
{
	struct fx *fx = *state;

	install_fixture(fx->root, "nvidia-version-garbled", "proc/driver/nvidia/version");
	expect_probe(fx, NULL,
		     "gpu: /proc/driver/nvidia/version: no driver version in \"NVRM version: NVIDIA UNIX Open "
		     "Kernel Module for aarch64  TempVersion  Release Build  (bugfix_main)  Tue Dec 30 15:54:35\"\n");
}

static void test_nothing(void **state)
{
	struct fx *fx = *state;

	expect_probe(fx, NULL, "");
}

/* A driver host with two GPUs and a CUDA 12.4 toolkit, each version from its preferred source. */
static bool build_full_root(const char *root)
{
	install_fixture(root, "nvidia-version-proprietary", "proc/driver/nvidia/version");
	install_fixture(root, "gpu-information-0", "proc/driver/nvidia/gpus/0000:18:00.0/information");
	install_fixture(root, "gpu-information-1", "proc/driver/nvidia/gpus/0000:2a:00.0/information");
	install_stub(root, "libnvidia-ml.so.550.54.15", MULTIARCH, "libnvidia-ml.so.550.54.15", "libnvidia-ml.so.1");
	install_stub(root, "libcuda.so.550.54.15", MULTIARCH, "libcuda.so.550.54.15", "libcuda.so.1");
	/* NVIDIA's Debian packages: a bare soname and a header named after the major. */
	install_stub(root, "libcudnn.so.9.1.0", MULTIARCH, "libcudnn.so.9", NULL);
	install_fixture(root, "cudnn_version-9.1.0.h", "usr/include/" TRIPLET "/cudnn_version_v9.h");
	install_stub(root, "libcudart.so.12.4.127", CUDA "/lib64", "libcudart.so.12.4.127", "libcudart.so.12");
	install_stub(root, "libcublas.so.12.4.5.8", CUDA "/lib64", "libcublas.so.12.4.5.8", "libcublas.so.12");
	install_stub(root, "libnccl.so.2.21.5", CUDA "/lib64", "libnccl.so.2", NULL);
	install_fixture(root, "nccl-2.21.5.h", CUDA "/include/nccl.h");
	return try_ldcache(root, "/" CUDA "/lib64\n/" MULTIARCH "\n");
}

/*
 * The same, built once and left alone for two seconds: the stat cache keeps
 * no fact about a file changed more recently, and the tests of what a warm
 * capture skips need the facts kept.
 */
static char *settled_root;

static int group_setup(void **state)
{
	struct timespec t = { 2, 200000000 };

	settled_root = el_test_mkdtemp();
	if (!build_full_root(settled_root)) {
		el_test_rmtree(settled_root);
		free(settled_root);
		settled_root = NULL;
		return 0;
	}
	nanosleep(&t, NULL);
	return 0;
}

static int group_teardown(void **state)
{
	el_test_rmtree(settled_root);
	free(settled_root);
	return 0;
}

static void use_settled_root(struct fx *fx)
{
	if (!settled_root)
		el_test_skip_case("the settled root was not built: ldconfig -r failed (it needs root or an unprivileged "
				  "user namespace)");
	fx->probe_root = settled_root;
}

#define FULL_SECTION                                                                                       \
	"{\"cublas\":\"12.4.5\",\"cuda_driver\":\"12.4\",\"cuda_runtime\":\"12.4\",\"cudnn\":\"9.1.0\","   \
	"\"devices\":[{\"compute_capability\":\"9.0\",\"memory_mib\":81559,\"name\":\"NVIDIA H100 80GB HBM3\"}," \
	"{\"compute_capability\":\"8.0\",\"memory_mib\":40960,\"name\":\"NVIDIA A100-SXM4-40GB\"}],"          \
	"\"driver\":\"550.54.15\",\"nccl\":\"2.21.5\"}"
#define FULL_UUIDS                                                                                         \
	"[\"GPU-6f1a9c2e-0b3d-4e5f-8a7b-1c2d3e4f5a00\",\"GPU-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c01\"]"

static void test_full_root(void **state)
{
	struct fx *fx = *state;
	char *text;

	if (!build_full_root(fx->root))
		el_test_skip_case("ldconfig -r failed (it needs root or an unprivileged user namespace)");
	/* The stubs would say otherwise: proof that the files were believed. */
	setenv("ENVLOCK_STUB_NVML", "1.2.3", 1);
	expect_probe(fx, FULL_SECTION, "");
	assert_string_equal(el_test_json(fx->ctx.meta), "{\"gpu_uuids\":" FULL_UUIDS "}");
	/* Only what no file says was asked: libcuda's version and NVML's devices. */
	text = calls(fx);
	assert_string_equal(text, "cuDriverGetVersion\nnvmlInit_v2\n");
	free(text);
}

/* NVML is the only witness of the driver when /proc does not say. */
static void test_driver_from_nvml(void **state)
{
	struct fx *fx = *state;

	install_stub(fx->root, "libnvidia-ml.so.550.54.15", MULTIARCH, "libnvidia-ml.so.550.54.15",
		     "libnvidia-ml.so.1");
	make_ldcache(fx->root, "/" MULTIARCH "\n");
	setenv("ENVLOCK_STUB_GPUS", "1", 1);
	setenv("ENVLOCK_STUB_NVML", "535.183.01", 1);
	expect_probe(fx,
		     "{\"devices\":[{\"compute_capability\":\"9.0\",\"memory_mib\":81559,"
		     "\"name\":\"NVIDIA H100 80GB HBM3\"}],\"driver\":\"535.183.01\"}",
		     "");
}

static void test_warm_capture(void **state)
{
	struct fx *fx = *state;
	json_t *section = NULL;
	char *before, *after;

	use_settled_root(fx);
	expect_probe(fx, FULL_SECTION, "");
	before = calls(fx);
	json_object_clear(fx->ctx.meta);
	assert_int_equal(probe(fx, &section), EL_OK);
	assert_string_equal(el_test_json(section), FULL_SECTION);
	assert_string_equal(el_test_json(fx->ctx.meta), "{\"gpu_uuids\":" FULL_UUIDS "}");
	after = calls(fx);
	/* Nothing was loaded the second time. */
	assert_string_equal(after, before);
	assert_string_equal(el_test_warnings(&fx->ctx), "");
	json_decref(section);
	free(before);
	free(after);
}

/* A new GPU changes /proc/driver/nvidia/gpus: the device list is asked again. */
static void test_new_gpu_invalidates(void **state)
{
	struct fx *fx = *state;
	json_t *section = NULL;
	char *text;

	use_settled_root(fx);
	setenv("ENVLOCK_STUB_GPUS", "1", 1);
	assert_int_equal(probe(fx, &section), EL_OK);
	json_decref(section);
	setenv("ENVLOCK_STUB_GPUS", "2", 1);
	assert_int_equal(probe(fx, &section), EL_OK);
	assert_int_equal(json_array_size(json_object_get(section, "devices")), 1);
	json_decref(section);
	install_fixture(settled_root, "gpu-information-1", "proc/driver/nvidia/gpus/0000:3b:00.0/information");
	assert_int_equal(probe(fx, &section), EL_OK);
	text = el_test_path(settled_root, "proc/driver/nvidia/gpus/0000:3b:00.0");
	el_test_rmtree(text);
	free(text);
	assert_int_equal(json_array_size(json_object_get(section, "devices")), 2);
	json_decref(section);
	text = calls(fx);
	assert_string_equal(text, "cuDriverGetVersion\nnvmlInit_v2\nnvmlInit_v2\n");
	free(text);
}

/* Libraries that crash, abort while loading or hang cost a warning each, not the capture. */
static void test_broken_libraries(void **state)
{
	struct fx *fx = *state;

	install_stub(fx->root, "libcudart.so.12.4.127", CUDA "/lib64", "libcudart.so.12", NULL);
	install_stub(fx->root, "libcudnn.so.9.1.0", CUDA "/lib64", "libcudnn.so.9", NULL);
	install_stub(fx->root, "libcublas.so.12.4.5.8", CUDA "/lib64", "libcublas.so.12", NULL);
	install_stub(fx->root, "libnccl.so.2.21.5", CUDA "/lib64", "libnccl.so.2.21.5", "libnccl.so.2");
	make_ldcache(fx->root, "/" CUDA "/lib64\n");
	setenv("ENVLOCK_STUB_CUDART", "hang", 1);
	setenv("ENVLOCK_STUB_CUDNN", "crash", 1);
	setenv("ENVLOCK_STUB_CUBLAS", "abort", 1);
	el__dl_set_timeout(1500);
	expect_probe(fx, "{\"nccl\":\"2.21.5\"}",
		     "gpu: libcudart.so.12: version call timed out after 1.5 s\n"
		     "gpu: libcudnn.so.9: version call crashed (signal 11)\n"
		     "gpu: libcublas.so.12: version call crashed (signal 6)\n");
}

/* Bare sonames with no header beside them: the libraries' own calls answer. */
static void test_version_calls(void **state)
{
	struct fx *fx = *state;

	install_stub(fx->root, "libcudart.so.12.4.127", CUDA "/lib64", "libcudart.so.12", NULL);
	install_stub(fx->root, "libcudnn.so.9.1.0", CUDA "/lib64", "libcudnn.so.9", NULL);
	install_stub(fx->root, "libcublas.so.12.4.5.8", CUDA "/lib64", "libcublas.so.12", NULL);
	install_stub(fx->root, "libnccl.so.2.21.5", CUDA "/lib64", "libnccl.so.2", NULL);
	/* Headers of another major, or a distribution's header for a library that is not the distribution's. */
	install_fixture(fx->root, "cudnn_version-8.9.7.h", CUDA "/include/cudnn_version.h");
	install_fixture(fx->root, "cudnn_version-9.1.0.h", "usr/include/cudnn_version.h");
	install_fixture(fx->root, "cuda_runtime_api-11.8.h", CUDA "/include/cuda_runtime_api.h");
	make_ldcache(fx->root, "/" CUDA "/lib64\n");
	setenv("ENVLOCK_STUB_CUDART", "12080", 1);
	setenv("ENVLOCK_STUB_CUDNN", "91900", 1);
	setenv("ENVLOCK_STUB_CUBLAS", "12.8.4", 1);
	setenv("ENVLOCK_STUB_NCCL", "2804", 1);
	expect_probe(fx, "{\"cublas\":\"12.8.4\",\"cuda_runtime\":\"12.8\",\"cudnn\":\"9.19.0\",\"nccl\":\"2.8.4\"}",
		     "");
}

/* The header beside the library wins over asking it. */
static void test_headers(void **state)
{
	struct fx *fx = *state;
	char *text;

	install_stub(fx->root, "libcudnn.so.9.1.0", CUDA "/lib64", "libcudnn.so.9", NULL);
	install_fixture(fx->root, "cudnn_version-9.1.0.h", CUDA "/include/cudnn_version.h");
	install_stub(fx->root, "libnccl.so.2.21.5", CUDA "/lib64", "libnccl.so.2", NULL);
	install_fixture(fx->root, "nccl-2.21.5.h", CUDA "/include/nccl.h");
	install_stub(fx->root, "libcudart.so.12", CUDA "/lib64", "libcudart.so.12", NULL);
	install_fixture(fx->root, "cuda_runtime_api-12.4.h", CUDA "/include/cuda_runtime_api.h");
	install_stub(fx->root, "libcublas.so.12", CUDA "/lib64", "libcublas.so.12", NULL);
	install_fixture(fx->root, "cublas_api-12.4.5.h", CUDA "/include/cublas_api.h");
	/* /usr/local/cuda -> cuda-12.4, as the toolkit installs it: headers are looked up from the real directory. */
	el_test_symlink(fx->root, "usr/local/cuda", "cuda-12.4");
	make_ldcache(fx->root, "/usr/local/cuda/lib64\n");
	/* The stubs would answer otherwise: proof that they were not asked. */
	setenv("ENVLOCK_STUB_CUDNN", "91900", 1);
	setenv("ENVLOCK_STUB_CUDART", "11080", 1);
	setenv("ENVLOCK_STUB_CUBLAS", "13.0.0", 1);
	expect_probe(fx, "{\"cublas\":\"12.4.5\",\"cuda_runtime\":\"12.4\",\"cudnn\":\"9.1.0\",\"nccl\":\"2.21.5\"}", "");
	text = calls(fx);
	assert_string_equal(text, "");
	free(text);
}

/* The newest runtime the loader can find, compared as versions: .12 after .9.2. */
static void test_newest_runtime(void **state)
{
	struct fx *fx = *state;

	install_stub(fx->root, "cuda-9.2/libcudart.so.9.2.148", "usr/local/cuda-9.2/lib64", "libcudart.so.9.2.148",
		     "libcudart.so.9.2");
	install_stub(fx->root, "libcudart.so.12.4.127", CUDA "/lib64", "libcudart.so.12.4.127", "libcudart.so.12");
	make_ldcache(fx->root, "/usr/local/cuda-9.2/lib64\n/" CUDA "/lib64\n");
	expect_probe(fx, "{\"cuda_runtime\":\"12.4\"}", "");
}

/* NVML present without a driver: a CUDA image on a machine with no GPU says nothing. */
static void test_nvml_without_driver(void **state)
{
	struct fx *fx = *state;

	install_stub(fx->root, "libnvidia-ml.so.550.54.15", MULTIARCH, "libnvidia-ml.so.550.54.15",
		     "libnvidia-ml.so.1");
	make_ldcache(fx->root, "/" MULTIARCH "\n");
	setenv("ENVLOCK_STUB_NVML", "fail=9", 1);
	expect_probe(fx, NULL, "");
	/* With the driver's files there, the same failure is news. */
	install_fixture(fx->root, "nvidia-version-proprietary", "proc/driver/nvidia/version");
	expect_probe(fx, "{\"driver\":\"550.54.15\"}",
		     "gpu: libnvidia-ml.so.550.54.15: nvmlInit_v2 failed (error 9: driver not loaded)\n");
}

/* A field NVML cannot give is left out with a warning, and such an answer is not cached. */
static void test_nvml_field_fails(void **state)
{
	struct fx *fx = *state;
	json_t *section = NULL;
	char *text;

	use_settled_root(fx);
	setenv("ENVLOCK_STUB_NVML_MEMORY", "fail=3", 1);
	expect_probe(fx,
		     "{\"cublas\":\"12.4.5\",\"cuda_driver\":\"12.4\",\"cuda_runtime\":\"12.4\",\"cudnn\":\"9.1.0\","
		     "\"devices\":[{\"compute_capability\":\"9.0\",\"name\":\"NVIDIA H100 80GB HBM3\"},"
		     "{\"compute_capability\":\"8.0\",\"name\":\"NVIDIA A100-SXM4-40GB\"}],"
		     "\"driver\":\"550.54.15\",\"nccl\":\"2.21.5\"}",
		     "gpu: device 0: nvmlDeviceGetMemoryInfo failed (error 3: not supported)\n"
		     "gpu: device 1: nvmlDeviceGetMemoryInfo failed (error 3: not supported)\n");
	assert_int_equal(probe(fx, &section), EL_OK);
	json_decref(section);
	text = calls(fx);
	assert_string_equal(text, "cuDriverGetVersion\nnvmlInit_v2\nnvmlInit_v2\n");
	free(text);
}

/* el__dl_version itself, on the stubs as built. */
static void expect_version(const char *stub, el__dl_query query, int want_ret, const char *want)
{
	el__probe_ctx ctx;
	char *path = el_test_path(EL_STUBS_DIR, stub), out[64] = "";
	int ret;

	el_test_ctx_init(&ctx, "");
	ret = el__dl_version(&ctx, path, query, out, sizeof(out));
	assert_int_equal(ret, want_ret);
	assert_string_equal(ret == EL_OK ? out : el_error_last(), want);
	el_test_ctx_release(&ctx);
	free(path);
}

static void test_dl_version(void **state)
{
	setenv("ENVLOCK_STUB_CUDART", "11080", 1);
	expect_version("libcudart.so.12", EL_DL_CUDART, EL_OK, "11.8");
	setenv("ENVLOCK_STUB_CUDA", "13000", 1);
	expect_version("libcuda.so.1", EL_DL_CUDA_DRIVER, EL_OK, "13.0");
	setenv("ENVLOCK_STUB_CUDNN", "8907", 1);
	expect_version("libcudnn.so.9", EL_DL_CUDNN, EL_OK, "8.9.7");
	setenv("ENVLOCK_STUB_NCCL", "20906", 1);
	expect_version("libnccl.so.2", EL_DL_NCCL, EL_OK, "2.9.6");
	setenv("ENVLOCK_STUB_CUBLAS", "13.1.0", 1);
	expect_version("libcublas.so.12", EL_DL_CUBLAS, EL_OK, "13.1.0");
	setenv("ENVLOCK_STUB_CUBLASLT", "130100", 1);
	expect_version("libcublas.so.12", EL_DL_CUBLASLT, EL_OK, "13.1.0");
	setenv("ENVLOCK_STUB_CUBLASLT", "110201", 1);
	expect_version("libcublas.so.12", EL_DL_CUBLASLT, EL_OK, "11.2.1");
	setenv("ENVLOCK_STUB_NVML", "580.95.05", 1);
	expect_version("libnvidia-ml.so.1", EL_DL_NVML_DRIVER, EL_OK, "580.95.05");
	setenv("ENVLOCK_STUB_CUDA", "fail=3", 1);
	expect_version("libcuda.so.1", EL_DL_CUDA_DRIVER, EL_ERROR, "libcuda.so.1: cuDriverGetVersion failed (error 3)");
	expect_version("libcudart.so.12", EL_DL_CUDNN, EL_ENOTFOUND, "libcudart.so.12: no cudnnGetVersion");
	expect_version("libnothere.so.1", EL_DL_CUDNN, EL_ENOTFOUND,
		       EL_STUBS_DIR "/libnothere.so.1: No such file or directory");
}

/* A library whose missing entry point is known is not loaded again. */
static void test_dl_version_cached(void **state)
{
	struct fx *fx = *state;
	el__probe_ctx ctx;
	char out[64] = "";
	char *text;

	use_settled_root(fx);
	el_test_ctx_init(&ctx, fx->probe_root);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(el__dl_version(&ctx, "/" CUDA "/lib64/libcudart.so.12", EL_DL_CUDART, out, sizeof(out)),
				 EL_OK);
		assert_string_equal(out, "12.4");
		assert_int_equal(el__dl_version(&ctx, "/" CUDA "/lib64/libcudart.so.12", EL_DL_NCCL, out, sizeof(out)),
				 EL_ENOTFOUND);
		assert_string_equal(el_error_last(), "libcudart.so.12: no ncclGetVersion");
	}
	el_test_ctx_release(&ctx);
	text = calls(fx);
	assert_string_equal(text, "cudaRuntimeGetVersion\n");
	free(text);
}

/*
 * A failure that would come back on every try (a crash, a failed call) is
 * remembered with the loader's state and asked again once that moves; a
 * time-out is always asked again.
 */
static void test_dl_failures_cached(void **state)
{
	struct fx *fx = *state;
	const char *lib = "/" MULTIARCH "/libcudnn.so.9";
	el__probe_ctx ctx;
	char out[64] = "";
	char *text;

	use_settled_root(fx);
	el_test_ctx_init(&ctx, fx->probe_root);
	setenv("ENVLOCK_STUB_CUDNN", "crash", 1);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(el__dl_version(&ctx, lib, EL_DL_CUDNN, out, sizeof(out)), EL_ERROR);
		assert_string_equal(el_error_last(), "libcudnn.so.9: version call crashed (signal 11)");
	}
	text = calls(fx);
	assert_string_equal(text, "cudnnGetVersion\n");
	free(text);

	/* Another search path could find another dependency: asked again. */
	setenv("LD_LIBRARY_PATH", "/nonexistent", 1);
	assert_int_equal(el__dl_version(&ctx, lib, EL_DL_CUDNN, out, sizeof(out)), EL_ERROR);
	unsetenv("LD_LIBRARY_PATH");
	text = calls(fx);
	assert_string_equal(text, "cudnnGetVersion\ncudnnGetVersion\n");
	free(text);

	/* A hang may have been a slow machine: not remembered. */
	setenv("ENVLOCK_STUB_CUDART", "hang", 1);
	el__dl_set_timeout(300);
	for (int i = 0; i < 2; i++)
		assert_int_equal(el__dl_version(&ctx, "/" CUDA "/lib64/libcudart.so.12", EL_DL_CUDART, out, sizeof(out)),
				 EL_ERROR);
	el__dl_set_timeout(0);
	text = calls(fx);
	assert_string_equal(text, "cudnnGetVersion\ncudnnGetVersion\ncudaRuntimeGetVersion\ncudaRuntimeGetVersion\n");
	free(text);
	el_test_ctx_release(&ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decoders),
		cmocka_unit_test_setup_teardown(test_proc_proprietary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc_garbled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_driver_from_nvml, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warm_capture, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_gpu_invalidates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_broken_libraries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_version_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newest_runtime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nvml_without_driver, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nvml_field_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dl_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dl_version_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dl_failures_cached, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
