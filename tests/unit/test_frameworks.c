/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/probe/python/frameworks.c and the gpu stack switch (gpu.c, el__gpu_stack)
 * on site-packages trees laid out like the real wheels: torch 2.x,
 * tensorflow 2.x, jax with jaxlib and the CUDA 12 plugin, and the nvidia-*
 * CUDA wheels, with small ELF stubs written by the test.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envlock/profile.h"
#include "probe/python/frameworks.h"
#include "util/error.h"
#include "util/cache.h"
#include "util/sha256.h"

#define FAKE_PYTHON EL_FIXTURES "/python/fake-python"
#define GPU_PIECES EL_FIXTURES "/gpu"
#define SITE "usr/lib/python3.11/site-packages"

typedef struct fx {
	char *root;
	char *aux;
	char *saved_path;
	el__probe_ctx ctx;
	bool live;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof(*f));
	char *answer, *counter;
	const char *path = getenv("PATH");

	f->root = el_test_mkdtemp();
	f->aux = el_test_mkdtemp();
	f->saved_path = path ? strdup(path) : NULL;
	if (asprintf(&answer, "%s/answer.json", f->aux) < 0 || asprintf(&counter, "%s/runs", f->aux) < 0)
		abort();
	setenv("PATH", "/usr/bin:/bin", 1);
	setenv("EL_TEST_PY_ANSWER", answer, 1);
	setenv("EL_TEST_PY_COUNTER", counter, 1);
	free(answer);
	free(counter);
	el_test_symlink(f->root, "usr/bin/python3", FAKE_PYTHON);
	el_test_write(f->aux, "answer.json",
		      "{\"version\": \"3.11.7\", \"executable\": \"/usr/bin/python3\", "
		      "\"path\": [\"/usr/lib/python311.zip\", \"/usr/lib/python3.11\", \"/" SITE "\"]}\n");
	el_error_clear();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	if (f->live)
		el_test_ctx_release(&f->ctx);
	if (f->saved_path)
		setenv("PATH", f->saved_path, 1);
	unsetenv("EL_TEST_PY_ANSWER");
	unsetenv("EL_TEST_PY_COUNTER");
	el_test_rmtree(f->root);
	el_test_rmtree(f->aux);
	free(f->root);
	free(f->aux);
	free(f->saved_path);
	free(f);
	return 0;
}

/* A tiny ELF shared object header: what the probe checks is the magic; the path's tail keeps hashes apart. */
static void elf_bytes(unsigned char bytes[64], const char *rel)
{
	size_t len = strlen(rel);

	memset(bytes, 0, 64);
	memcpy(bytes, "\177ELF\2\1\1", 7);
	bytes[16] = 3; /* ET_DYN */
	if (len > 40)
		rel += len - 40, len = 40;
	memcpy(bytes + 24, rel, len);
}

static void elf(const char *root, const char *rel)
{
	unsigned char bytes[64];

	elf_bytes(bytes, rel);
	el_test_write_bytes(root, rel, bytes, sizeof(bytes));
}

static const char *elf_hash(const char *rel)
{
	static char hex[8][EL_SHA256_HEX];
	static int next;
	unsigned char bytes[64];
	char *out = hex[next++ % 8];

	elf_bytes(bytes, rel);
	el__sha256_hex(out, bytes, sizeof(bytes));
	return out;
}

static void piece(const char *root, const char *name, const char *rel)
{
	char *text = el_test_read(GPU_PIECES, name, NULL);

	assert_non_null(text);
	el_test_write(root, rel, text);
	free(text);
}

static void dist_info(const char *root, const char *dir, const char *name, const char *version)
{
	char rel[512], text[512];

	snprintf(rel, sizeof(rel), SITE "/%s/METADATA", dir);
	snprintf(text, sizeof(text), "Metadata-Version: 2.1\nName: %s\nVersion: %s\n\nbody\n", name, version);
	el_test_write(root, rel, text);
}

static const char torch_version_py[] =
	"from typing import Optional\n"
	"\n"
	"__all__ = ['__version__', 'debug', 'cuda', 'git_version', 'hip']\n"
	"__version__ = '2.3.1+cu121'\n"
	"debug = False\n"
	"cuda: Optional[str] = '12.1'\n"
	"git_version = '63d5e9221bedd1546b7d364b5ce4171547db12a9'\n"
	"hip: Optional[str] = None\n";

/* torch 2.3 with the CUDA 12 wheels it depends on. */
static void torch_tree(const char *root, bool with_cuda)
{
	el_test_write(root, SITE "/torch/__init__.py", "");
	el_test_write(root, SITE "/torch/version.py",
		      with_cuda ? torch_version_py
				: "__version__ = '2.3.1+cpu'\ndebug = False\ncuda: Optional[str] = None\n"
				  "git_version = '63d5e9221bedd1546b7d364b5ce4171547db12a9'\nhip: Optional[str] = None\n");
	elf(root, SITE "/torch/_C.cpython-311-x86_64-linux-gnu.so");
	elf(root, SITE "/torch/lib/libc10.so");
	elf(root, SITE "/torch/lib/libtorch_cpu.so");
	elf(root, SITE "/torch/lib/libgomp-a34b3233.so.1");
	/* Not ELF, not a shared object name, a dangling link: none is a library. */
	el_test_write(root, SITE "/torch/lib/libfake.so", "/* GNU ld script */\nINPUT(-lc)\n");
	el_test_write(root, SITE "/torch/lib/README.txt", "x");
	el_test_symlink(root, SITE "/torch/lib/libmissing.so", "/usr/lib/nowhere/libmissing.so.1");
	el_test_write(root, SITE "/torch/nn/__init__.py", "");
	elf(root, SITE "/torch/nn/deep.so"); /* below torch/, not in torch/lib: not bundled for the loader */
	dist_info(root, "torch-2.3.1.dist-info", "torch", "2.3.1");
}

static void nvidia_tree(const char *root)
{
	piece(root, "cudnn_version-9.1.0.h", SITE "/nvidia/cudnn/include/cudnn_version.h");
	elf(root, SITE "/nvidia/cudnn/lib/libcudnn.so.9");
	elf(root, SITE "/nvidia/cudnn/lib/libcudnn_graph.so.9");
	el_test_write(root, SITE "/nvidia/cudnn/__init__.py", "");
	piece(root, "nccl-2.21.5.h", SITE "/nvidia/nccl/include/nccl.h");
	elf(root, SITE "/nvidia/nccl/lib/libnccl.so.2");
	piece(root, "cublas_api-12.4.5.h", SITE "/nvidia/cublas/include/cublas_api.h");
	elf(root, SITE "/nvidia/cublas/lib/libcublas.so.12");
	elf(root, SITE "/nvidia/cublas/lib/libcublasLt.so.12");
	piece(root, "cuda_runtime_api-12.4.h", SITE "/nvidia/cuda_runtime/include/cuda_runtime_api.h");
	elf(root, SITE "/nvidia/cuda_runtime/lib/libcudart.so.12");
	elf(root, SITE "/nvidia/cusparse/lib/libcusparse.so.12");
	el_test_write(root, SITE "/nvidia/__init__.py", "");
}

/*
 * CUDA 13's wheels: the runtime, cuBLAS and the rest share nvidia/cu13
 * (lib/, include/); cuDNN and NCCL keep their own directories.
 */
static void nvidia_cu13_tree(const char *root)
{
	piece(root, "cuda_runtime_api-13.0.h", SITE "/nvidia/cu13/include/cuda_runtime_api.h");
	piece(root, "cublas_api-13.1.0.h", SITE "/nvidia/cu13/include/cublas_api.h");
	elf(root, SITE "/nvidia/cu13/lib/libcudart.so.13");
	elf(root, SITE "/nvidia/cu13/lib/libcublas.so.13");
	elf(root, SITE "/nvidia/cu13/lib/libcublasLt.so.13");
	elf(root, SITE "/nvidia/cu13/lib/libnvJitLink.so.13");
	piece(root, "cudnn_version-9.1.0.h", SITE "/nvidia/cudnn/include/cudnn_version.h");
	elf(root, SITE "/nvidia/cudnn/lib/libcudnn.so.9");
	elf(root, SITE "/nvidia/nccl/lib/libnccl.so.2");
	el_test_write(root, SITE "/nvidia/__init__.py", "");
}

static const char tf_build_info[] =
	"# Copyright 2020 The TensorFlow Authors. All Rights Reserved.\n"
	"\"\"\"Auto-generated module providing information about the build.\"\"\"\n"
	"import collections\n"
	"\n"
	"build_info = collections.OrderedDict()\n"
	"build_info['cpu_compiler'] = '/usr/lib/llvm-17/bin/clang'\n"
	"build_info['cuda_compute_capabilities'] = ['sm_50', 'sm_60', 'sm_70', 'sm_80', 'compute_90']\n"
	"build_info['cuda_version'] = '12.3'\n"
	"build_info['cudnn_version'] = '8'\n"
	"build_info['is_cuda_build'] = True\n"
	"build_info['is_rocm_build'] = False\n"
	"build_info['is_tensorrt_build'] = True\n";

static void tf_tree(const char *root)
{
	el_test_write(root, SITE "/tensorflow/python/platform/build_info.py", tf_build_info);
	elf(root, SITE "/tensorflow/libtensorflow_framework.so.2");
	elf(root, SITE "/tensorflow/python/_pywrap_tensorflow_internal.so");
	elf(root, SITE "/tensorflow/include/external/skip.so");
	dist_info(root, "tensorflow-2.16.1.dist-info", "tensorflow", "2.16.1");
}

static void jax_tree(const char *root)
{
	el_test_write(root, SITE "/jax/__init__.py", "");
	el_test_write(root, SITE "/jaxlib/version.py", "_version = \"0.4.29\"\n");
	elf(root, SITE "/jaxlib/xla_extension.so");
	elf(root, SITE "/jaxlib/mosaic/python/_tpu_ext.so");
	elf(root, SITE "/jax_plugins/xla_cuda12/xla_cuda_plugin.so");
	dist_info(root, "jax-0.4.30.dist-info", "jax", "0.4.30");
	dist_info(root, "jax_cuda12_plugin-0.4.30.dist-info", "jax-cuda12-plugin", "0.4.30");
	dist_info(root, "jax_cuda12_pjrt-0.4.30.dist-info", "jax-cuda12-pjrt", "0.4.30");
}

static json_t *probe(fx *f, int want)
{
	json_t *section = NULL;

	if (f->live)
		el_test_ctx_release(&f->ctx);
	el_test_ctx_init(&f->ctx, f->root);
	f->live = true;
	assert_int_equal(el__probe_frameworks(&f->ctx, &section), want);
	return section;
}

/* ------------------------------------------------------------------ parsers */

static void test_version_py(void **state)
{
	json_t *v = NULL;

	(void)state;
	assert_int_equal(el__py_assignments(&v, torch_version_py, strlen(torch_version_py)), EL_OK);
	assert_string_equal(el_test_json(v),
			    "{\"__all__\":[\"__version__\",\"debug\",\"cuda\",\"git_version\",\"hip\"],"
			    "\"__version__\":\"2.3.1+cu121\",\"cuda\":\"12.1\",\"debug\":false,"
			    "\"git_version\":\"63d5e9221bedd1546b7d364b5ce4171547db12a9\",\"hip\":null}");
	json_decref(v);
}

/* Only literal assignments: code, calls, escapes and indented lines are passed over, never run. */
static void test_version_py_hostile(void **state)
{
	static const char text[] =
		"__version__ = __import__('os').system('touch /tmp/el-pwned')\n"
		"cuda = '12.1'; import os\n"
		"hip = 'a\\x41'\n"
		"git_version = '''multi\n"
		"line'''\n"
		"debug = True  # a comment\n"
		"    indented = 'no'\n"
		"eq == 'no'\n"
		"num = 12\n"
		"flt = 1.5\n"
		"hexed = 0x10\n"
		"ann: Optional[str] = 'yes'\n"
		"bad: f('x') = 'no'\n"
		"dq = \"double\"\r\n"
		"nul = 'a\0b'\n"
		"latin = '\xe9t\xe9'\n"
		"unterminated = 'abc\n"
		"later = 'one'\n"
		"later = 'two'\n";
	char *big = malloc(EL_PYLIT_LINE_MAX + 64);
	json_t *v = NULL;

	(void)state;
	assert_int_equal(el__py_assignments(&v, text, sizeof(text) - 1), EL_OK);
	assert_string_equal(el_test_json(v),
			    "{\"ann\":\"yes\",\"debug\":true,\"dq\":\"double\",\"later\":\"two\",\"num\":12}");
	json_decref(v);
	/* A line over the limit is passed over whole; the next still counts. */
	memset(big, 'a', EL_PYLIT_LINE_MAX + 10);
	memcpy(big, "x = '", 5);
	memcpy(big + EL_PYLIT_LINE_MAX + 8, "'\n", 2);
	memcpy(big + EL_PYLIT_LINE_MAX + 10, "y = 1\n", 6);
	assert_int_equal(el__py_assignments(&v, big, EL_PYLIT_LINE_MAX + 16), EL_OK);
	assert_string_equal(el_test_json(v), "{\"y\":1}");
	json_decref(v);
	/* Binary: random bytes and NULs give nothing, and no crash. */
	for (size_t i = 0; i < EL_PYLIT_LINE_MAX + 64; i++)
		big[i] = (char)((i * 2654435761u) >> 13);
	assert_int_equal(el__py_assignments(&v, big, EL_PYLIT_LINE_MAX + 64), EL_OK);
	json_decref(v);
	assert_int_equal(el__py_assignments(&v, "", 0), EL_OK);
	assert_string_equal(el_test_json(v), "{}");
	json_decref(v);
	free(big);
}

static void test_build_info(void **state)
{
	static const char display[] =
		"build_info = {\n"
		"    'cuda_version': '11.2',  # the toolkit\n"
		"    \"cudnn_version\": '8',\n"
		"    'is_cuda_build': True,\n"
		"    'is_rocm_build': False,\n"
		"    'msvcp_dll_names': None,\n"
		"    'nvcc_count': 3,\n"
		"    'cuda_compute_capabilities': [\n"
		"        'sm_35',\n"
		"        'compute_80',\n"
		"    ],\n"
		"    'ratio': 1.5,\n"
		"    'after': 'not reached',\n"
		"}\n";
	json_t *v = NULL;

	(void)state;
	assert_int_equal(el__tf_build_info(&v, tf_build_info, strlen(tf_build_info)), EL_OK);
	assert_string_equal(el_test_json(v),
			    "{\"cpu_compiler\":\"/usr/lib/llvm-17/bin/clang\",\"cuda_compute_capabilities\":"
			    "[\"sm_50\",\"sm_60\",\"sm_70\",\"sm_80\",\"compute_90\"],\"cuda_version\":\"12.3\","
			    "\"cudnn_version\":\"8\",\"is_cuda_build\":true,\"is_rocm_build\":false,"
			    "\"is_tensorrt_build\":true}");
	json_decref(v);
	/* A dict display: read up to the first value that is no literal (a float). */
	assert_int_equal(el__tf_build_info(&v, display, strlen(display)), EL_OK);
	assert_string_equal(el_test_json(v),
			    "{\"cuda_compute_capabilities\":[\"sm_35\",\"compute_80\"],\"cuda_version\":\"11.2\","
			    "\"cudnn_version\":\"8\",\"is_cuda_build\":true,\"is_rocm_build\":false,\"nvcc_count\":3}");
	json_decref(v);
	/* Code in the values is text that does not parse, never evaluated. */
	assert_int_equal(el__tf_build_info(&v, "build_info['x'] = os.getenv('HOME')\nbuild_info = {'y': open('/etc/passwd').read()}\n", 81), EL_OK);
	assert_string_equal(el_test_json(v), "{}");
	json_decref(v);
	/* An unterminated display at the end of the file. */
	assert_int_equal(el__tf_build_info(&v, "build_info = {'a': 'b', 'c': [", 30), EL_OK);
	assert_string_equal(el_test_json(v), "{\"a\":\"b\"}");
	json_decref(v);
}

/* ------------------------------------------------------------------ the section */

static void test_nothing_installed(void **state)
{
	fx *f = *state;

	el_test_write(f->root, SITE "/numpy/__init__.py", "");
	assert_null(probe(f, EL__PROBE_ABSENT));
	assert_string_equal(el_test_warnings(&f->ctx), "");
}

/* A package directory that is a link (tensorflow -> /, torch/lib -> elsewhere) is not walked. */
static void test_linked_directories(void **state)
{
	fx *f = *state;
	json_t *s;

	torch_tree(f->root, true);
	elf(f->root, "elsewhere/libsecret.so");
	el_test_write(f->root, SITE "/tensorflow/python/platform/build_info.py", "build_info = {}\n");
	dist_info(f->root, "tensorflow-2.16.1.dist-info", "tensorflow", "2.16.1");
	/* torch/lib replaced by a link to a directory outside the package. */
	el_test_rmtree(el_test_fmt("%s/%s/torch/lib", f->root, SITE));
	el_test_symlink(f->root, SITE "/torch/lib", "../../../../../elsewhere");
	s = probe(f, EL_OK);
	assert_null(strstr(el_test_json(s), "libsecret"));
	assert_null(json_object_get(json_object_get(json_object_get(s, "torch"), "libraries"), "torch/lib/libsecret.so"));
	json_decref(s);
}

static void test_section(void **state)
{
	fx *f = *state;
	json_t *s;
	const char *want;

	torch_tree(f->root, true);
	nvidia_tree(f->root);
	tf_tree(f->root);
	jax_tree(f->root);
	s = probe(f, EL_OK);
	assert_string_equal(el_test_warnings(&f->ctx), "");
	want = el_test_fmt(
		"{\"jax\":{\"jaxlib\":\"0.4.29\",\"libraries\":{"
		"\"jax_plugins/xla_cuda12/xla_cuda_plugin.so\":{\"sha256\":\"%s\"},"
		"\"jaxlib/mosaic/python/_tpu_ext.so\":{\"sha256\":\"%s\"},"
		"\"jaxlib/xla_extension.so\":{\"sha256\":\"%s\"}},"
		"\"plugins\":{\"jax-cuda12-pjrt\":\"0.4.30\",\"jax-cuda12-plugin\":\"0.4.30\"},\"version\":\"0.4.30\"},",
		elf_hash(SITE "/jax_plugins/xla_cuda12/xla_cuda_plugin.so"),
		elf_hash(SITE "/jaxlib/mosaic/python/_tpu_ext.so"), elf_hash(SITE "/jaxlib/xla_extension.so"));
	assert_true(strncmp(el_test_json(s), want, strlen(want)) == 0);
	assert_string_equal(el_test_json(json_object_get(s, "torch")),
			    el_test_fmt("{\"cuda\":\"12.1\",\"debug\":false,"
					"\"git_version\":\"63d5e9221bedd1546b7d364b5ce4171547db12a9\",\"libraries\":{"
					"\"torch/_C.cpython-311-x86_64-linux-gnu.so\":{\"sha256\":\"%s\"},"
					"\"torch/lib/libc10.so\":{\"sha256\":\"%s\"},"
					"\"torch/lib/libgomp-a34b3233.so.1\":{\"sha256\":\"%s\"},"
					"\"torch/lib/libtorch_cpu.so\":{\"sha256\":\"%s\"}},\"version\":\"2.3.1+cu121\"}",
					elf_hash(SITE "/torch/_C.cpython-311-x86_64-linux-gnu.so"),
					elf_hash(SITE "/torch/lib/libc10.so"),
					elf_hash(SITE "/torch/lib/libgomp-a34b3233.so.1"),
					elf_hash(SITE "/torch/lib/libtorch_cpu.so")));
	assert_string_equal(el_test_json(json_object_get(s, "tensorflow")),
			    el_test_fmt("{\"build_info\":{\"cpu_compiler\":\"/usr/lib/llvm-17/bin/clang\","
					"\"cuda_compute_capabilities\":[\"sm_50\",\"sm_60\",\"sm_70\",\"sm_80\",\"compute_90\"],"
					"\"cuda_version\":\"12.3\",\"cudnn_version\":\"8\",\"is_cuda_build\":true,"
					"\"is_rocm_build\":false,\"is_tensorrt_build\":true},\"libraries\":{"
					"\"tensorflow/libtensorflow_framework.so.2\":{\"sha256\":\"%s\"},"
					"\"tensorflow/python/_pywrap_tensorflow_internal.so\":{\"sha256\":\"%s\"}},"
					"\"version\":\"2.16.1\"}",
					elf_hash(SITE "/tensorflow/libtensorflow_framework.so.2"),
					elf_hash(SITE "/tensorflow/python/_pywrap_tensorflow_internal.so")));
	/* Versions from the wheels' own headers; cusparse ships none: its file name. */
	assert_string_equal(el_test_json(json_object_get(json_object_get(s, "nvidia"), "cudnn")),
			    el_test_fmt("{\"libraries\":{\"nvidia/cudnn/lib/libcudnn.so.9\":{\"sha256\":\"%s\"},"
					"\"nvidia/cudnn/lib/libcudnn_graph.so.9\":{\"sha256\":\"%s\"}},\"version\":\"9.1.0\"}",
					elf_hash(SITE "/nvidia/cudnn/lib/libcudnn.so.9"),
					elf_hash(SITE "/nvidia/cudnn/lib/libcudnn_graph.so.9")));
	assert_string_equal(el_test_json(json_object_get(json_object_get(json_object_get(s, "nvidia"), "nccl"), "version")),
			    "\"2.21.5\"");
	assert_string_equal(el_test_json(json_object_get(json_object_get(json_object_get(s, "nvidia"), "cublas"), "version")),
			    "\"12.4.5\"");
	assert_string_equal(
		el_test_json(json_object_get(json_object_get(json_object_get(s, "nvidia"), "cuda_runtime"), "version")),
		"\"12.4\"");
	assert_string_equal(
		el_test_json(json_object_get(json_object_get(json_object_get(s, "nvidia"), "cusparse"), "version")),
		"\"12\"");
	assert_int_equal(json_object_size(json_object_get(s, "nvidia")), 5);
	json_decref(s);
}

static const char *lib_sha(const json_t *s, const char *rel)
{
	return json_string_value(json_object_get(
		json_object_get(json_object_get(json_object_get(s, "torch"), "libraries"), rel), "sha256"));
}

/* Warm: hashes and what is not ELF are in the stat cache; a rewritten library is hashed again. */
static void test_warm(void **state)
{
	fx *f = *state;
	char *host = el_test_path(f->root, SITE "/torch/lib/libc10.so");
	char *script = el_test_path(f->root, SITE "/torch/lib/libfake.so");
	char hex[EL_SHA256_HEX];
	struct stat st;
	json_t *s, *again = NULL;

	torch_tree(f->root, false);
	/* Old enough for the cache to keep facts about them (two seconds; see cache.h). */
	sleep(3);
	s = probe(f, EL_OK);
	assert_int_equal(stat(host, &st), 0);
	assert_string_equal(json_string_value(el__cache_get(f->ctx.cache, "sha256", host, &st)),
			    lib_sha(s, "torch/lib/libc10.so"));
	assert_int_equal(stat(script, &st), 0);
	assert_true(json_is_true(el__cache_get(f->ctx.cache, "not-elf", script, &st)));
	el_test_write_bytes(f->root, SITE "/torch/lib/libc10.so", "\177ELF changed", 12);
	assert_int_equal(el__probe_frameworks(&f->ctx, &again), EL_OK);
	el__sha256_hex(hex, "\177ELF changed", 12);
	assert_string_equal(lib_sha(again, "torch/lib/libc10.so"), hex);
	assert_string_equal(lib_sha(again, "torch/lib/libtorch_cpu.so"), lib_sha(s, "torch/lib/libtorch_cpu.so"));
	json_decref(s);
	json_decref(again);
	free(host);
	free(script);
}

/* ------------------------------------------------------------------ the gpu switch */

static const char system_gpu[] =
	"{\"driver\":\"550.54.15\",\"cuda_driver\":\"12.4\",\"cuda_runtime\":\"12.4\",\"cudnn\":\"8.9.7\","
	"\"nccl\":\"2.18.1\",\"cublas\":\"12.4.5\"}";

static json_t *doc_with(fx *f, bool with_cuda, bool wheels, const char *gpu)
{
	json_t *doc = json_object(), *s;

	torch_tree(f->root, with_cuda);
	if (wheels)
		nvidia_tree(f->root);
	s = probe(f, EL_OK);
	json_object_set_new(doc, "frameworks", s);
	if (gpu)
		json_object_set_new(doc, "gpu", json_loads(gpu, 0, NULL));
	assert_int_equal(el__gpu_stack(doc), EL_OK);
	return doc;
}

/* torch built for CUDA 12.1 with the nvidia-* wheels: gpu.* is the wheels', the toolkit gpu.system. */
static void test_stack_wheels(void **state)
{
	json_t *doc = doc_with(*state, true, true, system_gpu);

	assert_string_equal(el_test_json(json_object_get(doc, "gpu")),
			    "{\"cublas\":\"12.4.5\",\"cuda_driver\":\"12.4\",\"cuda_runtime\":\"12.4\",\"cudnn\":\"9.1.0\","
			    "\"driver\":\"550.54.15\",\"nccl\":\"2.21.5\",\"system\":{\"cublas\":\"12.4.5\","
			    "\"cuda_runtime\":\"12.4\",\"cudnn\":\"8.9.7\",\"nccl\":\"2.18.1\"}}");
	json_decref(doc);
}

/* A machine without a toolkit: the wheels alone make a gpu section. */
static void test_stack_wheels_only(void **state)
{
	json_t *doc = doc_with(*state, true, true, NULL);

	assert_string_equal(el_test_json(json_object_get(doc, "gpu")),
			    "{\"cublas\":\"12.4.5\",\"cuda_runtime\":\"12.4\",\"cudnn\":\"9.1.0\",\"nccl\":\"2.21.5\"}");
	json_decref(doc);
}

/* CPU-only torch: nothing loads the toolkit, so all of it is gpu.system; the driver stays. */
static void test_stack_cpu_only(void **state)
{
	json_t *doc = doc_with(*state, false, false, system_gpu);

	assert_string_equal(el_test_json(json_object_get(doc, "gpu")),
			    "{\"cuda_driver\":\"12.4\",\"driver\":\"550.54.15\",\"system\":{\"cublas\":\"12.4.5\","
			    "\"cuda_runtime\":\"12.4\",\"cudnn\":\"8.9.7\",\"nccl\":\"2.18.1\"}}");
	json_decref(doc);
}

/* A CUDA framework without wheels loads the system toolkit: gpu as it was. */
static void test_stack_system_cuda(void **state)
{
	json_t *doc = doc_with(*state, true, false, system_gpu);
	json_t *want = json_loads(system_gpu, 0, NULL);

	assert_string_equal(el_test_json(json_object_get(doc, "gpu")), el_test_json(want));
	json_decref(want);
	json_decref(doc);
}

/* CUDA 13's merged tree: one entry with all its libraries, and the stack components it holds. */
static void test_section_cu13(void **state)
{
	fx *f = *state;
	json_t *s, *nvidia;

	nvidia_cu13_tree(f->root);
	s = probe(f, EL_OK);
	nvidia = json_object_get(s, "nvidia");
	assert_string_equal(
		el_test_json(json_object_get(nvidia, "cu13")),
		el_test_fmt("{\"libraries\":{\"nvidia/cu13/lib/libcublas.so.13\":{\"sha256\":\"%s\"},"
			    "\"nvidia/cu13/lib/libcublasLt.so.13\":{\"sha256\":\"%s\"},"
			    "\"nvidia/cu13/lib/libcudart.so.13\":{\"sha256\":\"%s\"},"
			    "\"nvidia/cu13/lib/libnvJitLink.so.13\":{\"sha256\":\"%s\"}},\"version\":\"13.0\"}",
			    elf_hash(SITE "/nvidia/cu13/lib/libcublas.so.13"), elf_hash(SITE "/nvidia/cu13/lib/libcublasLt.so.13"),
			    elf_hash(SITE "/nvidia/cu13/lib/libcudart.so.13"),
			    elf_hash(SITE "/nvidia/cu13/lib/libnvJitLink.so.13")));
	assert_string_equal(el_test_json(json_object_get(nvidia, "cublas")), "{\"version\":\"13.1.0\"}");
	assert_string_equal(el_test_json(json_object_get(nvidia, "cuda_runtime")), "{\"version\":\"13.0\"}");
	/* NCCL's wheel ships no header: the file name's major. */
	assert_string_equal(el_test_json(json_object_get(json_object_get(nvidia, "nccl"), "version")), "\"2\"");
	assert_string_equal(el_test_json(json_object_get(json_object_get(nvidia, "cudnn"), "version")), "\"9.1.0\"");
	assert_int_equal(json_object_size(nvidia), 5);
	json_decref(s);
}

/* A merged tree without headers: versioned by its name, components by their file names. */
static void test_section_cu13_no_headers(void **state)
{
	fx *f = *state;
	json_t *s, *nvidia;

	elf(f->root, SITE "/nvidia/cu13/lib/libcudart.so.13");
	elf(f->root, SITE "/nvidia/cu13/lib/libcublas.so.13.1.0.3");
	s = probe(f, EL_OK);
	nvidia = json_object_get(s, "nvidia");
	assert_string_equal(el_test_json(json_object_get(json_object_get(nvidia, "cu13"), "version")), "\"13\"");
	assert_string_equal(el_test_json(json_object_get(nvidia, "cublas")), "{\"version\":\"13.1.0.3\"}");
	assert_string_equal(el_test_json(json_object_get(nvidia, "cuda_runtime")), "{\"version\":\"13\"}");
	json_decref(s);
}

/* torch built for CUDA 13.0 with CUDA 13's wheels: gpu.* is theirs. */
static void test_stack_cu13(void **state)
{
	fx *f = *state;
	json_t *doc = json_object();

	torch_tree(f->root, true);
	nvidia_cu13_tree(f->root);
	json_object_set_new(doc, "frameworks", probe(f, EL_OK));
	json_object_set_new(doc, "gpu", json_loads(system_gpu, 0, NULL));
	assert_int_equal(el__gpu_stack(doc), EL_OK);
	assert_string_equal(el_test_json(json_object_get(doc, "gpu")),
			    "{\"cublas\":\"13.1.0\",\"cuda_driver\":\"12.4\",\"cuda_runtime\":\"13.0\",\"cudnn\":\"9.1.0\","
			    "\"driver\":\"550.54.15\",\"nccl\":\"2\",\"system\":{\"cublas\":\"12.4.5\","
			    "\"cuda_runtime\":\"12.4\",\"cudnn\":\"8.9.7\",\"nccl\":\"2.18.1\"}}");
	json_decref(doc);
}

/* No framework: gpu as it was. */
static void test_stack_no_framework(void **state)
{
	json_t *doc = json_object(), *want = json_loads(system_gpu, 0, NULL);

	(void)state;
	json_object_set_new(doc, "gpu", json_loads(system_gpu, 0, NULL));
	json_object_set_new(doc, "frameworks", json_pack("{s:{s:{s:s}}}", "nvidia", "cudnn", "version", "9.1.0"));
	assert_int_equal(el__gpu_stack(doc), EL_OK);
	assert_string_equal(el_test_json(json_object_get(doc, "gpu")), el_test_json(want));
	json_decref(want);
	json_decref(doc);
}

/* The default profile warns on the toolkit nothing loads and refuses on the loaded stack; strict refuses both. */
static void test_policy(void **state)
{
	el_profile *def = NULL, *strict = NULL;

	(void)state;
	assert_int_equal(el_profile_load(&def, "default"), EL_OK);
	assert_int_equal(el_profile_load(&strict, "strict"), EL_OK);
	assert_int_equal(el_profile_severity(def, "gpu.system.cudnn"), EL_SEVERITY_WARN);
	assert_int_equal(el_profile_severity(def, "gpu.system"), EL_SEVERITY_WARN);
	assert_int_equal(el_profile_severity(def, "gpu.cudnn"), EL_SEVERITY_REFUSE);
	assert_int_equal(el_profile_severity(def, "frameworks.nvidia.cudnn.version"), EL_SEVERITY_REFUSE);
	assert_int_equal(el_profile_severity(def, "frameworks.torch.libraries[\"torch/lib/libc10.so\"].sha256"),
			 EL_SEVERITY_REFUSE);
	assert_int_equal(el_profile_severity(strict, "gpu.system.cudnn"), EL_SEVERITY_REFUSE);
	el_profile_free(def);
	el_profile_free(strict);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_py),
		cmocka_unit_test(test_version_py_hostile),
		cmocka_unit_test(test_build_info),
		cmocka_unit_test_setup_teardown(test_nothing_installed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linked_directories, setup, teardown),
		cmocka_unit_test_setup_teardown(test_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_warm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_section_cu13, setup, teardown),
		cmocka_unit_test_setup_teardown(test_section_cu13_no_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stack_cu13, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stack_wheels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stack_wheels_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stack_cpu_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stack_system_cuda, setup, teardown),
		cmocka_unit_test(test_stack_no_framework),
		cmocka_unit_test(test_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
