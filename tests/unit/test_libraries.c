/* SPDX-License-Identifier: Apache-2.0 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ldcache_image.h"
#include "probe/libraries/ldcache.h"
#include "util/cache.h"
#include "util/error.h"

#define NATIVE el__ldcache_native_flags()
#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_BLAS "68a77c59d145a8594e31e91bcdb25e9122b3a1048812e6e313645e5a8354e81f"
#define SHA_CUDART "262e2c0821f01cb04b2f6bab97dd7c844d899973f31643da93c0faa721269eee"
#define SHA_NVML "e68d7f02b642372d06b51789869506122923a14e9d586d90d5d1d87461b294d1"
#define SHA_OPENBLAS "d3c3f554e29e8ab88fdc02d3b47ebfd589753ed27a23b078b169454857d91e56"
#define SHA_LAPACK "d59fbc4f11769b3221cd66e7ee1ab1e164eb7bf8ad22231d58288e2c91629243"
#define SHA_FIXTURE_GOMP "9730647b777625c1b9e7ae1798b72a1ec83eb1b113c1a1d7b0254d32470d481e"

#define LIBDIR "/usr/lib/x86_64-linux-gnu"

static void write_cache(const char *root, const struct ldi_entry *e, size_t n)
{
	el__buf img;

	el__buf_init(&img);
	ldi_build(&img, LDI_NEW, e, n);
	el_test_write_bytes(root, "etc/ld.so.cache", img.data, img.len);
	el__buf_free(&img);
}

/* A multiarch Debian in miniature, with the link shapes real systems have. */
static char *make_debian_root(void)
{
	char *root = el_test_mkdtemp();
	struct ldi_entry e[] = {
		{ NATIVE == LDI_I386 ? LDI_X8664 : LDI_I386, "libm.so.6", "/lib32/libm.so.6", 0 },
		{ NATIVE, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", 0 },
		{ NATIVE, "libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", 0 },
		{ NATIVE, "libblas.so.3", LIBDIR "/libblas.so.3", 0 },
		{ NATIVE, "libblas.so", LIBDIR "/libblas.so", 0 },
		{ NATIVE, "libcblas.so.3", LIBDIR "/libcblas.so.3", 0 },
		{ NATIVE, "liblapack.so.3", LIBDIR "/liblapack.so.3", 0 },
		{ NATIVE, "libcudart.so.13", "/usr/local/cuda-13.0/lib/libcudart.so.13", 0 },
		{ NATIVE, "libcudart.so", "/usr/local/cuda-13.0/lib/libcudart.so", 0 },
		{ NATIVE, "libnvidia-ml.so.1", LIBDIR "/libnvidia-ml.so.1", 0 },
	};

	write_cache(root, e, sizeof(e) / sizeof(e[0]));
	el_test_symlink(root, "lib", "usr/lib");
	el_test_write(root, "usr/lib32/libm.so.6", "32-bit libm");
	el_test_symlink(root, "lib32", "usr/lib32");
	el_test_write(root, LIBDIR "/libc.so.6", "abc");
	el_test_write(root, LIBDIR "/libstdc++.so.6.0.30", "");
	el_test_symlink(root, LIBDIR "/libstdc++.so.6", "libstdc++.so.6.0.30");
	/* Debian's alternatives: absolute links that must stay inside the root. */
	el_test_write(root, LIBDIR "/blas/libblas.so.3.11.0", "blas 3.11.0\n");
	el_test_symlink(root, "etc/alternatives/libblas.so.3", LIBDIR "/blas/libblas.so.3.11.0");
	el_test_symlink(root, LIBDIR "/libblas.so.3", "/etc/alternatives/libblas.so.3");
	el_test_symlink(root, LIBDIR "/libblas.so", "libblas.so.3");
	/* Another library's file name says nothing about this soname's version. */
	el_test_write(root, LIBDIR "/openblas/libopenblas.so.0", "openblas\n");
	el_test_symlink(root, LIBDIR "/libcblas.so.3", "openblas/libopenblas.so.0");
	el_test_write(root, LIBDIR "/openblas/liblapack.so.3", "lapack\n");
	el_test_symlink(root, LIBDIR "/liblapack.so.3", "openblas/liblapack.so.3");
	el_test_write(root, "usr/local/cuda-13.0/lib/libcudart.so.13.0.96", "cudart 13.0.96\n");
	el_test_symlink(root, "usr/local/cuda-13.0/lib/libcudart.so.13", "libcudart.so.13.0.96");
	el_test_symlink(root, "usr/local/cuda-13.0/lib/libcudart.so", "libcudart.so.13");
	el_test_write(root, LIBDIR "/libnvidia-ml.so.550.54.15", "nvml 550.54.15\n");
	el_test_symlink(root, LIBDIR "/libnvidia-ml.so.1", "libnvidia-ml.so.550.54.15");
	return root;
}

static void free_root(char *root)
{
	el_test_rmtree(root);
	free(root);
}

static void test_section(void **state)
{
	char *root = make_debian_root();
	el__probe_ctx ctx;
	json_t *section = NULL;

	el_test_ctx_init(&ctx, root);
	assert_int_equal(el__probe_libraries(&ctx, &section), EL_OK);
	assert_string_equal(el_test_json(section),
		"{\"libblas.so.3\":{\"path\":\"" LIBDIR "/blas/libblas.so.3.11.0\",\"sha256\":\"" SHA_BLAS "\","
		"\"version\":\"3.11.0\"},"
		"\"libc.so.6\":{\"path\":\"" LIBDIR "/libc.so.6\",\"sha256\":\"" SHA_ABC "\"},"
		"\"libcblas.so.3\":{\"path\":\"" LIBDIR "/openblas/libopenblas.so.0\",\"sha256\":\"" SHA_OPENBLAS "\"},"
		"\"libcudart.so.13\":{\"path\":\"/usr/local/cuda-13.0/lib/libcudart.so.13.0.96\","
		"\"sha256\":\"" SHA_CUDART "\",\"version\":\"13.0.96\"},"
		"\"liblapack.so.3\":{\"path\":\"" LIBDIR "/openblas/liblapack.so.3\",\"sha256\":\"" SHA_LAPACK "\"},"
		"\"libnvidia-ml.so.1\":{\"path\":\"" LIBDIR "/libnvidia-ml.so.550.54.15\",\"sha256\":\"" SHA_NVML "\","
		"\"version\":\"550.54.15\"},"
		"\"libstdc++.so.6\":{\"path\":\"" LIBDIR "/libstdc++.so.6.0.30\",\"sha256\":\"" SHA_EMPTY "\","
		"\"version\":\"6.0.30\"}}");
	assert_string_equal(el_test_warnings(&ctx), "");
	json_decref(section);
	el_test_ctx_release(&ctx);
	free_root(root);
}

/*
 * capture --observe: each file a run loaded, keyed by its file name (its
 * path when the name is taken), marked observed; one a library entry
 * describes marks that entry; one that is gone is left out.
 */
static void test_observed(void **state)
{
	static const char *const observed[] = {
		"/opt/x/libfoo.so.1", "/opt/y/libfoo.so.1", LIBDIR "/blas/libblas.so.3.11.0", "/opt/gone.so", "/opt/x/libfoo.so.1",
	};
	char *root = make_debian_root();
	el__probe_ctx ctx;
	json_t *section = NULL;
	(void)state;

	el_test_write(root, "opt/x/libfoo.so.1", "abc");
	el_test_write(root, "opt/y/libfoo.so.1", "");
	el_test_ctx_init(&ctx, root);
	ctx.observed = observed;
	ctx.observed_count = sizeof(observed) / sizeof(observed[0]);
	assert_int_equal(el__probe_libraries(&ctx, &section), EL_OK);
	assert_string_equal(el_test_json(json_object_get(section, "libfoo.so.1")),
			    "{\"observed\":true,\"path\":\"/opt/x/libfoo.so.1\",\"sha256\":\"" SHA_ABC "\"}");
	assert_string_equal(el_test_json(json_object_get(section, "/opt/y/libfoo.so.1")),
			    "{\"observed\":true,\"path\":\"/opt/y/libfoo.so.1\",\"sha256\":\"" SHA_EMPTY "\"}");
	assert_true(json_is_true(json_object_get(json_object_get(section, "libblas.so.3"), "observed")));
	assert_null(json_object_get(json_object_get(section, "libc.so.6"), "observed"));
	assert_null(json_object_get(section, "gone.so"));
	assert_int_equal(json_object_size(section), 9);
	assert_string_equal(el_test_warnings(&ctx), "");
	json_decref(section);
	el_test_ctx_release(&ctx);
	free_root(root);
}

static void test_nothing_found(void **state)
{
	char *root = el_test_mkdtemp();
	el__probe_ctx ctx;
	json_t *section = NULL;

	el_test_ctx_init(&ctx, root);
	assert_int_equal(el__probe_libraries(&ctx, &section), EL__PROBE_ABSENT);
	assert_null(section);
	assert_string_equal(el_test_warnings(&ctx), "");
	el_test_ctx_release(&ctx);
	free_root(root);
}

/* A file name that is not UTF-8 costs that library and a warning, never the capture. */
static void test_non_utf8_name(void **state)
{
	char *root = el_test_mkdtemp();
	el__probe_ctx ctx;
	json_t *section = NULL;

	el_test_write(root, "usr/lib/libc.so.6", "abc");
	el_test_write(root, "usr/lib/libopenblas.so.0\xff", "x");
	el_test_ctx_init(&ctx, root);
	assert_int_equal(el__probe_libraries(&ctx, &section), EL_OK);
	assert_string_equal(el_test_json(section),
		"{\"libc.so.6\":{\"path\":\"/usr/lib/libc.so.6\",\"sha256\":\"" SHA_ABC "\"}}");
	assert_string_equal(el_test_warnings(&ctx),
			    "libraries: a library whose name or path is not UTF-8 is left out\n");
	json_decref(section);
	el_test_ctx_release(&ctx);
	free_root(root);
}

static void test_corrupt_cache_falls_back(void **state)
{
	char *root = el_test_mkdtemp();
	char *expected;
	el__probe_ctx ctx;
	json_t *section = NULL;

	el_test_write(root, "etc/ld.so.cache", "garbage");
	el_test_write(root, "usr/lib/libc.so.6", "abc");
	el_test_write(root, "usr/lib/libblas.so.3.11.0", "blas 3.11.0\n");
	el_test_symlink(root, "usr/lib/libblas.so.3", "libblas.so.3.11.0");
	el_test_symlink(root, "usr/lib/libblas.so", "libblas.so.3");
	el_test_ctx_init(&ctx, root);
	assert_int_equal(el__probe_libraries(&ctx, &section), EL_OK);
	assert_string_equal(el_test_json(section),
		"{\"libblas.so.3\":{\"path\":\"/usr/lib/libblas.so.3.11.0\",\"sha256\":\"" SHA_BLAS "\","
		"\"version\":\"3.11.0\"},"
		"\"libc.so.6\":{\"path\":\"/usr/lib/libc.so.6\",\"sha256\":\"" SHA_ABC "\"}}");
	assert_int_equal(asprintf(&expected, "libraries: %s/etc/ld.so.cache: not an ld.so.cache file (bad magic); "
					     "searching the default directories only\n", root) > 0, true);
	assert_string_equal(el_test_warnings(&ctx), expected);
	free(expected);
	json_decref(section);
	el_test_ctx_release(&ctx);
	free_root(root);
}

static void test_unhashable_file(void **state)
{
	char *root = el_test_mkdtemp();
	char *fifo, *expected;
	el__probe_ctx ctx;
	json_t *section = NULL;

	assert_int_equal(asprintf(&fifo, "%s/usr/lib/libgomp.so.1", root) > 0, true);
	el_test_write(root, "usr/lib/libc.so.6", "abc");
	assert_int_equal(mkfifo(fifo, 0644), 0);
	el_test_ctx_init(&ctx, root);
	assert_int_equal(el__probe_libraries(&ctx, &section), EL_OK);
	assert_string_equal(el_test_json(section),
		"{\"libc.so.6\":{\"path\":\"/usr/lib/libc.so.6\",\"sha256\":\"" SHA_ABC "\"},"
		"\"libgomp.so.1\":{\"path\":\"/usr/lib/libgomp.so.1\"}}");
	assert_int_equal(asprintf(&expected, "libraries: libgomp.so.1: sha256 left out: %s: not a regular file\n",
				  fifo) > 0, true);
	assert_string_equal(el_test_warnings(&ctx), expected);
	free(expected);
	free(fifo);
	json_decref(section);
	el_test_ctx_release(&ctx);
	free_root(root);
}

static const char *sha256_of(const json_t *section, const char *soname)
{
	return json_string_value(json_object_get(json_object_get(section, soname), "sha256"));
}

/* Files written in the last two seconds are never cached (racy-git): by design. */
static void test_fresh_files_not_cached(void **state)
{
	char *root = el_test_mkdtemp();
	char *host;
	el__probe_ctx ctx;
	json_t *section = NULL;
	struct stat st;

	el_test_write(root, "usr/lib/libc.so.6", "abc");
	assert_int_equal(asprintf(&host, "%s/usr/lib/libc.so.6", root) > 0, true);
	el_test_ctx_init(&ctx, root);
	assert_int_equal(el__probe_libraries(&ctx, &section), EL_OK);
	assert_string_equal(sha256_of(section, "libc.so.6"), SHA_ABC);
	assert_int_equal(stat(host, &st), 0);
	assert_null(el__cache_get(ctx.cache, "sha256", host, &st));
	free(host);
	json_decref(section);
	el_test_ctx_release(&ctx);
	free_root(root);
}

/*
 * The checked-in fixture is older than the racy window (unless the checkout
 * is seconds old), so its hash is stored, and a stored hash is served
 * without reading the file: a planted value shows which one was used.
 */
static void test_cached_hash_served(void **state)
{
	static const char root[] = EL_FIXTURES "/ldcache/root";
	static const char host[] = EL_FIXTURES "/ldcache/root/usr/lib/libgomp.so.1";
	static const char planted[] = "0000000000000000000000000000000000000000000000000000000000000000";
	el__probe_ctx ctx;
	json_t *section = NULL, *hit;
	struct stat st;

	assert_int_equal(stat(host, &st), 0);
	if (time(NULL) - st.st_ctim.tv_sec < 3 || time(NULL) - st.st_mtim.tv_sec < 3)
		el_test_skip_case("%s changed less than 3 s ago, and the stat cache keeps no fact about it yet", host);
	el_test_ctx_init(&ctx, root);
	assert_int_equal(el__probe_libraries(&ctx, &section), EL_OK);
	assert_string_equal(el_test_json(section),
		"{\"libgomp.so.1\":{\"path\":\"/usr/lib/libgomp.so.1\",\"sha256\":\"" SHA_FIXTURE_GOMP "\"}}");
	hit = el__cache_get(ctx.cache, "sha256", host, &st);
	assert_string_equal(json_string_value(hit), SHA_FIXTURE_GOMP);
	json_decref(section);
	el_test_ctx_release(&ctx);

	el_test_ctx_init(&ctx, root);
	el__cache_put(ctx.cache, "sha256", host, &st, json_string(planted));
	assert_int_equal(el__probe_libraries(&ctx, &section), EL_OK);
	assert_string_equal(sha256_of(section, "libgomp.so.1"), planted);
	json_decref(section);
	el_test_ctx_release(&ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_section),
		cmocka_unit_test(test_observed),
		cmocka_unit_test(test_nothing_found),
		cmocka_unit_test(test_non_utf8_name),
		cmocka_unit_test(test_corrupt_cache_falls_back),
		cmocka_unit_test(test_unhashable_file),
		cmocka_unit_test(test_fresh_files_not_cached),
		cmocka_unit_test(test_cached_hash_served),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
