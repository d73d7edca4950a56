/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a lock back: schema, shape, fingerprint, and the path syntax of findings. */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "envlock/error.h"
#include "envlock/lock.h"
#include "lock/lock_internal.h"
#include "lock/path.h"

/*
 * A valid lock text for doc: the fingerprint computed the way capture does,
 * then serialized. The returned text is malloc'd.
 */
static char *lock_text(const char *json)
{
	json_t *doc = json_loads(json, 0, NULL);
	char fp[EL_FINGERPRINT_SIZE], *text;
	el_lock *lock;
	size_t len;

	assert_non_null(doc);
	lock = el__lock_wrap(doc);
	assert_int_equal(el_lock_fingerprint(fp, lock), EL_OK);
	json_object_set_new(lock->doc, "fingerprint", json_string(fp));
	assert_int_equal(el_lock_serialize(&text, &len, lock), EL_OK);
	el_lock_free(lock);
	return text;
}

/* Parse text as "env.lock" and expect failure with exactly message. */
static void expect_refused(const char *text, const char *message)
{
	el_lock *lock = (el_lock *)1;

	assert_int_equal(el_lock_parse(&lock, text, strlen(text), "env.lock"), EL_EINVAL);
	assert_null(lock);
	assert_string_equal(el_error_last(), message);
}

/* A valid lock made from json must be refused with message. */
static void expect_shape_refused(const char *json, const char *message)
{
	char *text = lock_text(json);

	expect_refused(text, message);
	free(text);
}

#define FULL_LOCK                                                                                     \
	"{\"envlock\":2,\"meta\":{\"hostname\":\"h\",\"anything\":[1,2.5,null],"                         \
	"\"code\":{\"git_commit\":\"0123456789abcdef0123456789abcdef01234567\",\"git_dirty\":false}},"    \
	"\"host\":{\"arch\":\"x86_64\",\"os\":\"debian 12\",\"kernel\":\"6.1.0\",\"glibc\":\"2.36\"},"   \
	"\"cpu\":{\"vendor\":\"GenuineIntel\",\"model\":\"Xeon\",\"family\":6,\"model_id\":85,"          \
	"\"stepping\":7,\"flags\":[\"avx2\",\"sse\"],\"microcode\":\"0x1\",\"logical_cpus\":2},"         \
	"\"toolchain\":{\"gcc\":\"gcc 12\",\"python\":\"Python 3.11.2\"},"                               \
	"\"libraries\":{\"libc.so.6\":{\"path\":\"/usr/lib/libc.so.6\",\"version\":\"2.36\","            \
	"\"sha256\":\"" HEX64 "\"}},"                                                                    \
	"\"python\":{\"executable\":\"/usr/bin/python3\",\"version\":\"3.11.2\","                        \
	"\"packages\":{\"numpy\":\"1.24.2\"}},"                                                          \
	"\"gpu\":{\"driver\":\"550.54.15\",\"cuda_runtime\":\"12.4\",\"devices\":[{\"name\":\"H100\","   \
	"\"compute_capability\":\"9.0\",\"memory_mib\":81559}]},"                                        \
	"\"env\":{\"TZ\":\"UTC\"},\"threads\":8,"                                                          \
	"\"data\":{\"/data/train\":\"sha256:" HEX64 "\"}}"
#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_round_trip(void **state)
{
	char *text = lock_text(FULL_LOCK), *again;
	el_lock *lock = NULL;
	size_t len;

	assert_int_equal(el_lock_parse(&lock, text, strlen(text), "env.lock"), EL_OK);
	assert_non_null(lock);
	/* What was read writes back byte for byte. */
	assert_int_equal(el_lock_serialize(&again, &len, lock), EL_OK);
	assert_string_equal(again, text);
	free(again);
	el_lock_free(lock);
	free(text);
}

static void test_schema3_python(void **state)
{
	char *text = lock_text("{\"envlock\":3,\"python\":{\"executable\":\"/v/bin/python\",\"version\":\"3.11.2\","
			       "\"packages\":{\"mylib\":\"0.1.0\",\"gitpkg\":\"1.0\"},"
			       "\"installs\":{\"mylib\":{\"url\":\"file:///src/mylib\",\"editable\":true,"
			       "\"tree\":\"sha256:" HEX64 "\"},\"gitpkg\":{\"url\":\"https://g.example/r.git\","
			       "\"vcs\":\"git\",\"commit_id\":\"" HEX64 "\"}},"
			       "\"build\":{\"version\":\"3.11.2 (main, Mar 13 2023, 12:18:29) [GCC 12.2.0]\","
			       "\"compiler\":\"GCC 12.2.0\",\"config_args\":\"'--prefix=/usr'\"}}}");
	el_lock *lock = NULL;

	assert_int_equal(el_lock_parse(&lock, text, strlen(text), "env.lock"), EL_OK);
	el_lock_free(lock);
	free(text);
}

/* A schema-3 lock with every member of frameworks and gpu.system reads and writes back unchanged. */
static void test_round_trip_frameworks(void **state)
{
	char *text = lock_text(
		"{\"envlock\":3,\"frameworks\":{"
		"\"jax\":{\"jaxlib\":\"0.4.30\",\"libraries\":{\"jaxlib/xla_extension.so\":{\"sha256\":\"" HEX64 "\"}},"
		"\"plugins\":{\"jax-cuda12-plugin\":\"0.4.30\"},\"version\":\"0.4.30\"},"
		"\"nvidia\":{\"cudnn\":{\"libraries\":{\"nvidia/cudnn/lib/libcudnn.so.9\":{\"sha256\":\"" HEX64 "\"}},"
		"\"version\":\"9.1.0\"}},"
		"\"tensorflow\":{\"build_info\":{\"cuda_compute_capabilities\":[\"sm_80\"],\"cuda_version\":\"12.3\","
		"\"is_cuda_build\":true,\"n\":3},\"version\":\"2.16.1\"},"
		"\"torch\":{\"cuda\":\"12.1\",\"debug\":false,\"git_version\":\"abc\",\"hip\":\"6.0\","
		"\"libraries\":{\"torch/lib/libc10.so\":{\"sha256\":\"" HEX64 "\"}},\"version\":\"2.3.1\"}},"
		"\"gpu\":{\"cudnn\":\"9.1.0\",\"system\":{\"cublas\":\"12.4.5\",\"cuda_runtime\":\"12.4\","
		"\"cudnn\":\"8.9.7\",\"nccl\":\"2.21.5\"}}}"), *again;
	el_lock *lock = NULL;
	size_t len;

	(void)state;
	assert_int_equal(el_lock_parse(&lock, text, strlen(text), "env.lock"), EL_OK);
	assert_int_equal(el_lock_serialize(&again, &len, lock), EL_OK);
	assert_string_equal(again, text);
	free(again);
	el_lock_free(lock);
	free(text);
}

static void test_read_file(void **state)
{
	const char *dir = *state;
	char *text = lock_text("{\"envlock\":1}"), *path = el_test_path(dir, "env.lock");
	el_lock *lock = NULL;

	el_test_write(dir, "env.lock", text);
	assert_int_equal(el_lock_read_file(&lock, path), EL_OK);
	el_lock_free(lock);
	free(path);
	path = el_test_path(dir, "missing.lock");
	assert_int_equal(el_lock_read_file(&lock, path), EL_ENOTFOUND);
	assert_null(lock);
	free(path);
	free(text);
}

static void test_bad_json(void **state)
{
	expect_refused("", "env.lock:1:0: invalid JSON: '[' or '{' expected near end of file");
	expect_refused("{\n  \"envlock\": 1,\n  \"host\": {\n", "env.lock:4:0: invalid JSON: string or '}' expected near end of file");
	expect_refused("{\"envlock\":1,\"envlock\":1}", "env.lock:1:22: invalid JSON: duplicate object key near '\"envlock\"'");
	expect_refused("{\"envlock\":1,\"host\":{\"os\":\"\xff\"}}", "env.lock:1:27: invalid JSON: unable to decode byte 0xff near '\"'");
	expect_refused("[1]", "env.lock: not an envlock lock (not a JSON object)");
	/* What jansson quotes from the input stays on one printable line (found by fuzzing). */
	expect_refused("{\"a\":\"x\\\n\x1b[31m\"}", "env.lock:2:0: invalid JSON: invalid escape near '\"x\\?'");
}

static void test_schema_number(void **state)
{
	expect_refused("{\"host\":{}}", "env.lock: not an envlock lock (no \"envlock\" schema number)");
	expect_refused("{\"envlock\":\"1\"}", "env.lock: not an envlock lock (no \"envlock\" schema number)");
	expect_refused("{\"envlock\":4,\"future\":{\"x\":1}}",
		       "env.lock: written for lock schema 4, newer than this envlock reads (3): upgrade envlock");
	expect_refused("{\"envlock\":0}", "env.lock: lock schema 0 does not exist");
}

static void test_shapes(void **state)
{
	/* threads takes what "threads N" takes, 1 to 4096 (test_threads_bounds). */
	static const char *const bad_threads[] = { "0", "4097", "-1", "\"8\"", "8.5", "true", "null", "{}" };

	expect_shape_refused("{\"envlock\":2,\"extra\":{}}", "env.lock: extra: not part of schema 2");
	expect_shape_refused("{\"envlock\":1,\"host\":{\"distro\":\"x\"}}", "env.lock: host.distro: not part of schema 1");
	/* Schema 2 keeps the code out of the fingerprinted body. */
	expect_shape_refused("{\"envlock\":2,\"code\":{}}", "env.lock: code: not part of schema 2");
	/* Schema 3 added cpu.topology: an older lock may not carry it. */
	expect_shape_refused("{\"envlock\":2,\"cpu\":{\"topology\":{\"sockets\":1}}}",
			     "env.lock: cpu.topology: not part of schema 2");
	expect_shape_refused("{\"envlock\":3,\"cpu\":{\"topology\":{\"sockets\":-1}}}",
			     "env.lock: cpu.topology.sockets: expected a whole number of at least 0");
	expect_shape_refused("{\"envlock\":3,\"cpu\":{\"topology\":{\"cache_kib\":{\"L2\":\"2M\"}}}}",
			     "env.lock: cpu.topology.cache_kib.L2: expected a whole number of at least 0");
	expect_shape_refused("{\"envlock\":3,\"cpu\":{\"topology\":{\"dies\":1}}}",
			     "env.lock: cpu.topology.dies: not part of schema 3");
	/* Schema 3 added python.installs and python.build. */
	expect_shape_refused("{\"envlock\":2,\"python\":{\"installs\":{\"x\":{\"url\":\"file:///x\"}}}}",
			     "env.lock: python.installs: not part of schema 2");
	expect_shape_refused("{\"envlock\":2,\"python\":{\"build\":{\"version\":\"3.11.2\"}}}",
			     "env.lock: python.build: not part of schema 2");
	expect_shape_refused("{\"envlock\":3,\"python\":{\"installs\":{\"x\":{\"editable\":true}}}}",
			     "env.lock: python.installs.x.url is missing");
	expect_shape_refused("{\"envlock\":3,\"python\":{\"installs\":{\"x\":{\"url\":\"u\",\"editable\":1}}}}",
			     "env.lock: python.installs.x.editable: expected true or false");
	expect_shape_refused("{\"envlock\":3,\"python\":{\"installs\":{\"x\":{\"url\":\"u\",\"tree\":\"" HEX64 "\"}}}}",
			     "env.lock: python.installs.x.tree: expected \"sha256:\" and 64 lowercase hex digits");
	expect_shape_refused("{\"envlock\":3,\"python\":{\"installs\":{\"x\":{\"url\":\"u\",\"path\":\"/x\"}}}}",
			     "env.lock: python.installs.x.path: not part of schema 3");
	expect_shape_refused("{\"envlock\":3,\"python\":{\"build\":{\"config_args\":[\"--x\"]}}}",
			     "env.lock: python.build.config_args: expected a string");
	expect_shape_refused("{\"envlock\":3,\"python\":{\"build\":{\"cc\":\"gcc\"}}}",
			     "env.lock: python.build.cc: not part of schema 3");
	/* Schema 3 added a library's "observed" (capture --observe), in any entry of libraries. */
	expect_shape_refused("{\"envlock\":2,\"libraries\":{\"libz.so.1\":{\"path\":\"/usr/lib/libz.so.1\",\"observed\":true}}}",
			     "env.lock: libraries[\"libz.so.1\"].observed: not part of schema 2");
	expect_shape_refused("{\"envlock\":2,\"libraries\":{\"z\":{\"path\":\"/z\",\"observed\":true}}}",
			     "env.lock: libraries.z.observed: not part of schema 2");
	expect_shape_refused("{\"envlock\":3,\"libraries\":{\"z\":{\"path\":\"/z\",\"observed\":\"yes\"}}}",
			     "env.lock: libraries.z.observed: expected true or false");
	{
		char *text = lock_text("{\"envlock\":3,\"libraries\":{\"libz.so.1\":{\"path\":\"/usr/lib/libz.so.1\","
				       "\"sha256\":\"" HEX64 "\",\"observed\":true}}}");
		el_lock *lock = NULL;

		assert_int_equal(el_lock_parse(&lock, text, strlen(text), "env.lock"), EL_OK);
		el_lock_free(lock);
		free(text);
	}
	/* Schema 3 added frameworks and gpu.system. */
	expect_shape_refused("{\"envlock\":2,\"frameworks\":{}}", "env.lock: frameworks: not part of schema 2");
	expect_shape_refused("{\"envlock\":2,\"gpu\":{\"system\":{\"cudnn\":\"9.1.0\"}}}",
			     "env.lock: gpu.system: not part of schema 2");
	expect_shape_refused("{\"envlock\":3,\"gpu\":{\"system\":{\"driver\":\"550\"}}}",
			     "env.lock: gpu.system.driver: not part of schema 3");
	expect_shape_refused("{\"envlock\":3,\"frameworks\":{\"torch\":{\"debug\":\"no\"}}}",
			     "env.lock: frameworks.torch.debug: expected true or false");
	expect_shape_refused("{\"envlock\":3,\"frameworks\":{\"torch\":{\"libraries\":{\"torch/lib/libc10.so\":{}}}}}",
			     "env.lock: frameworks.torch.libraries[\"torch/lib/libc10.so\"].sha256 is missing");
	expect_shape_refused("{\"envlock\":3,\"frameworks\":{\"tensorflow\":{\"build_info\":{\"r\":null}}}}",
			     "env.lock: frameworks.tensorflow.build_info.r: expected a string, true or false, a whole "
			     "number, or an array of strings");
	expect_shape_refused("{\"envlock\":3,\"frameworks\":{\"tensorflow\":{\"build_info\":{\"l\":[1]}}}}",
			     "env.lock: frameworks.tensorflow.build_info.l: expected a string, true or false, a whole "
			     "number, or an array of strings");
	expect_shape_refused("{\"envlock\":3,\"frameworks\":{\"nvidia\":{\"cudnn\":{\"path\":\"x\"}}}}",
			     "env.lock: frameworks.nvidia.cudnn.path: not part of schema 3");
	expect_shape_refused("{\"envlock\":3,\"frameworks\":{\"mxnet\":{}}}",
			     "env.lock: frameworks.mxnet: not part of schema 3");
	expect_shape_refused("{\"envlock\":1,\"host\":\"x\"}", "env.lock: host: expected an object");
	expect_shape_refused("{\"envlock\":1,\"cpu\":{\"flags\":[\"sse\",7]}}",
			     "env.lock: cpu.flags[1]: expected a string");
	expect_shape_refused("{\"envlock\":1,\"cpu\":{\"family\":-1}}",
			     "env.lock: cpu.family: expected a whole number of at least 0");
	expect_shape_refused("{\"envlock\":1,\"cpu\":{\"family\":\"6\"}}",
			     "env.lock: cpu.family: expected a whole number of at least 0");
	expect_shape_refused("{\"envlock\":1,\"libraries\":{\"libc.so.6\":{\"version\":\"2.36\"}}}",
			     "env.lock: libraries[\"libc.so.6\"].path is missing");
	expect_shape_refused("{\"envlock\":1,\"libraries\":{\"libc.so.6\":{\"path\":\"/l\",\"sha256\":\"ABC\"}}}",
			     "env.lock: libraries[\"libc.so.6\"].sha256: expected 64 lowercase hex digits");
	expect_shape_refused("{\"envlock\":1,\"python\":{\"packages\":{\"numpy\":1}}}",
			     "env.lock: python.packages.numpy: expected a string");
	expect_shape_refused("{\"envlock\":1,\"gpu\":{\"devices\":[{\"memory_mib\":\"80GB\"}]}}",
			     "env.lock: gpu.devices[0].memory_mib: expected a whole number of at least 0");
	expect_shape_refused("{\"envlock\":1,\"data\":{\"/d\":\"" HEX64 "\"}}",
			     "env.lock: data[\"/d\"]: expected \"sha256:\" and 64 lowercase hex digits");
	expect_shape_refused("{\"envlock\":1,\"code\":{\"git_commit\":\"abc\"}}",
			     "env.lock: code.git_commit: expected a git commit id (40 or 64 lowercase hex digits)");
	expect_shape_refused("{\"envlock\":1,\"code\":{\"git_dirty\":\"no\"}}",
			     "env.lock: code.git_dirty: expected true or false");
	expect_shape_refused("{\"envlock\":1,\"env\":{\"TZ\":null}}", "env.lock: env.TZ: expected a string");
	for (size_t i = 0; i < sizeof(bad_threads) / sizeof(bad_threads[0]); i++)
		/* The shape is read before the fingerprint, which cannot hash 8.5. */
		expect_refused(el_test_fmt("{\"envlock\":1,\"fingerprint\":\"sha256:" HEX64 "\",\"threads\":%s}",
					   bad_threads[i]),
			       "env.lock: threads: expected a whole number from 1 to 4096");
	expect_shape_refused("{\"envlock\":1,\"meta\":[]}", "env.lock: meta: expected an object");
}

/* The thread count's bounds are read back. */
static void test_threads_bounds(void **state)
{
	static const char *const good[] = { "{\"envlock\":1,\"threads\":1}", "{\"envlock\":1,\"threads\":4096}" };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *text = lock_text(good[i]);
		el_lock *lock = NULL;

		assert_int_equal(el_lock_parse(&lock, text, strlen(text), "env.lock"), EL_OK);
		el_lock_free(lock);
		free(text);
	}
}

static void test_fingerprint(void **state)
{
	el_lock *lock = NULL;
	char *text = lock_text("{\"envlock\":1,\"env\":{\"TZ\":\"UTC\"}}"), *edited, *p;

	/* Missing. */
	expect_refused("{\"envlock\":1}", "env.lock: fingerprint is missing");
	expect_refused("{\"envlock\":1,\"fingerprint\":\"md5:00\"}",
		       "env.lock: fingerprint: expected \"sha256:\" and 64 lowercase hex digits");
	/* Edited by hand: one value changed, the fingerprint kept. */
	edited = strdup(text);
	p = strstr(edited, "\"UTC\"");
	assert_non_null(p);
	memcpy(p, "\"CET\"", 5);
	expect_refused(edited, "env.lock: the fingerprint does not match the content (edited by hand, or a merge "
			       "resolved badly?); re-lock with: envlock capture -o env.lock");
	free(edited);
	free(text);
	/* The re-lock command repeats how the lock was made: profile, interpreter, data, where it lies. */
	text = lock_text("{\"envlock\":2,\"meta\":{\"profile\":\"pytorch\"},\"env\":{\"TZ\":\"UTC\"},"
			 "\"python\":{\"executable\":\"/home/u/my venv/bin/python\"},\"data\":{\"../data\":\"sha256:" HEX64 "\"}}");
	edited = strdup(text);
	memcpy(strstr(edited, "\"UTC\""), "\"CET\"", 5);
	assert_int_equal(el_lock_parse(&lock, edited, strlen(edited), "repo/env.lock"), EL_EINVAL);
	assert_string_equal(el_error_last(), "repo/env.lock: the fingerprint does not match the content (edited by hand, "
					     "or a merge resolved badly?); re-lock with: cd repo && envlock capture --profile "
					     "pytorch --python '/home/u/my venv/bin/python' --data ../data -o env.lock");
	free(edited);
	free(text);
	/* A one-line message: control characters in the lock's values are shown as '?'. */
	text = lock_text("{\"envlock\":2,\"env\":{\"TZ\":\"UTC\"},\"python\":{\"executable\":\"/x\\n/\\u001b[2Jpy\\u009b\"},"
			 "\"data\":{\"a\\rb\":\"sha256:" HEX64 "\"}}");
	edited = strdup(text);
	memcpy(strstr(edited, "\"UTC\""), "\"CET\"", 5);
	expect_refused(edited, "env.lock: the fingerprint does not match the content (edited by hand, or a merge "
			       "resolved badly?); re-lock with: envlock capture --python '/x?/?[2Jpy?' --data 'a?b' -o env.lock");
	free(edited);
	/* meta is not fingerprinted: a profile that is no name is not repeated. */
	free(text);
	text = lock_text("{\"envlock\":2,\"meta\":{\"profile\":\"/etc/x\"},\"env\":{\"TZ\":\"UTC\"}}");
	edited = strdup(text);
	memcpy(strstr(edited, "\"UTC\""), "\"CET\"", 5);
	expect_refused(edited, "env.lock: the fingerprint does not match the content (edited by hand, or a merge "
			       "resolved badly?); re-lock with: envlock capture -o env.lock");
	free(edited);
	/* A real number is refused: its canonical form would depend on float formatting. */
	expect_refused("{\"envlock\":1,\"fingerprint\":\"sha256:" HEX64 "\",\"meta\":{},\"cpu\":{\"family\":6.0}}",
		       "env.lock: cpu.family: expected a whole number of at least 0");
	free(text);
}

/*
 * A schema-1 lock fingerprinted its code section: it is read as written
 * (the fingerprint verifies, it writes back byte for byte), and the reader
 * says once that the section is not compared.
 */
static void test_schema1_code_not_compared(void **state)
{
	char *text = lock_text("{\"envlock\":1,\"env\":{\"TZ\":\"UTC\"},\"code\":{\"git_commit\":"
			       "\"0123456789abcdef0123456789abcdef01234567\",\"git_dirty\":true}}");
	el_lock *lock = NULL;
	char *again;
	size_t len;

	assert_int_equal(el_lock_parse(&lock, text, strlen(text), "old.lock"), EL_OK);
	assert_int_equal(el_lock_schema(lock), 1);
	assert_int_equal(el_lock_serialize(&again, &len, lock), EL_OK);
	assert_string_equal(again, text);
	free(again);
	assert_string_equal(el_lock_note(lock), "old.lock: a schema-1 lock: its code section is not compared (since "
						"schema 2 the code is not part of the environment); re-lock to update the file");
	el_lock_free(lock);
	free(text);
	/* Without a code section there is nothing to say; a schema-2 lock never has a note. */
	text = lock_text("{\"envlock\":1,\"env\":{\"TZ\":\"UTC\"}}");
	assert_int_equal(el_lock_parse(&lock, text, strlen(text), "old.lock"), EL_OK);
	assert_null(el_lock_note(lock));
	el_lock_free(lock);
	free(text);
	text = lock_text(FULL_LOCK);
	assert_int_equal(el_lock_parse(&lock, text, strlen(text), "env.lock"), EL_OK);
	assert_int_equal(el_lock_schema(lock), 2);
	assert_null(el_lock_note(lock));
	el_lock_free(lock);
	free(text);
}

static void test_meta_is_not_fingerprinted(void **state)
{
	char *text = lock_text("{\"envlock\":1,\"meta\":{\"hostname\":\"a\"}}"), *p;
	el_lock *lock = NULL;

	p = strstr(text, "\"a\"");
	assert_non_null(p);
	p[1] = 'b';
	assert_int_equal(el_lock_parse(&lock, text, strlen(text), "env.lock"), EL_OK);
	el_lock_free(lock);
	free(text);
}

static void test_paths(void **state)
{
	el__buf p;

	el__buf_init(&p);
	el__path_key(&p, "python");
	el__path_key(&p, "packages");
	el__path_key(&p, "numpy");
	assert_string_equal(p.data, "python.packages.numpy");
	el__buf_reset(&p);
	el__path_key(&p, "libraries");
	el__path_key(&p, "libc.so.6");
	el__path_key(&p, "version");
	assert_string_equal(p.data, "libraries[\"libc.so.6\"].version");
	el__buf_reset(&p);
	el__path_key(&p, "gpu");
	el__path_key(&p, "devices");
	el__path_index(&p, 0);
	el__path_key(&p, "name");
	assert_string_equal(p.data, "gpu.devices[0].name");
	el__path_index(&p, 10);
	el__path_index(&p, 18446744073709551615UL);
	assert_string_equal(p.data, "gpu.devices[0].name[10][18446744073709551615]");
	el__buf_reset(&p);
	el__path_key(&p, "data");
	el__path_key(&p, "/a \"b\"\\c");
	el__path_key(&p, "");
	assert_string_equal(p.data, "data[\"/a \\\"b\\\"\\\\c\"][\"\"]");
	el__buf_reset(&p);
	el__path_key(&p, "toolchain");
	el__path_key(&p, "c++");
	el__path_key(&p, "env");
	el__path_key(&p, "CUDA_VISIBLE_DEVICES");
	assert_string_equal(p.data, "toolchain.c++.env.CUDA_VISIBLE_DEVICES");
	/* Control characters never reach a message raw (found by fuzzing). */
	el__buf_reset(&p);
	el__path_key(&p, "a\nb\x1b[31m\x7f");
	assert_string_equal(p.data, "[\"a\\u000ab\\u001b[31m\\u007f\"]");
	el__buf_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_schema3_python),
		cmocka_unit_test(test_round_trip_frameworks),
		cmocka_unit_test_setup_teardown(test_read_file, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_schema_number),
		cmocka_unit_test(test_schema1_code_not_compared),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_threads_bounds),
		cmocka_unit_test(test_fingerprint),
		cmocka_unit_test(test_meta_is_not_fingerprinted),
		cmocka_unit_test(test_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
