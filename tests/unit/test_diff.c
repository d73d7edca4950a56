/* SPDX-License-Identifier: Apache-2.0 */
/* The diff engine: which leaves differ between two locks, and how they are named. */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "envlock/diff.h"
#include "envlock/error.h"
#include "lock/lock_internal.h"

static el_lock *lock_of(const char *json)
{
	json_t *doc = json_loads(json, 0, NULL);

	assert_non_null(doc);
	return el__lock_wrap(doc);
}

static const char *kind_name(el_drift_kind kind)
{
	switch (kind) {
	case EL_DRIFT_ADDED: return "added";
	case EL_DRIFT_REMOVED: return "removed";
	case EL_DRIFT_CHANGED: return "changed";
	}
	return "?";
}

/* The findings of old -> new, one line each: "kind section path old new". */
static const char *diff_text(const char *old_json, const char *new_json)
{
	static char text[8192];
	el_lock *a = lock_of(old_json), *b = lock_of(new_json);
	el_diff *diff = NULL;
	size_t used = 0;

	assert_int_equal(el_lock_diff(&diff, a, b), EL_OK);
	text[0] = '\0';
	for (size_t i = 0; i < diff->count; i++) {
		const el_finding *f = &diff->findings[i];
		const char *o = f->old_value, *n = f->new_value;

		used += (size_t)snprintf(text + used, sizeof(text) - used, "%s %s %s %s %s\n", kind_name(f->kind),
					 f->section, f->path, o ? o : "-", n ? n : "-");
	}
	el_diff_free(diff);
	el_lock_free(a);
	el_lock_free(b);
	return text;
}

#define BASE                                                                                          \
	"\"envlock\":1,\"fingerprint\":\"sha256:0\",\"meta\":{\"hostname\":\"a\"},"                     \
	"\"host\":{\"kernel\":\"6.1.0\"},\"cpu\":{\"flags\":[\"avx2\",\"avx512f\",\"sse\"]},"            \
	"\"python\":{\"packages\":{\"numpy\":\"1.24.2\",\"torch\":\"2.1.0\"}},"                          \
	"\"libraries\":{\"libcudart.so.12\":{\"path\":\"/l/libcudart.so.12\",\"version\":\"12.4\"}}"

static void test_identical(void **state)
{
	assert_string_equal(diff_text("{" BASE "}", "{" BASE "}"), "");
	/* meta and the fingerprint are not compared. */
	assert_string_equal(diff_text("{" BASE "}",
				      "{\"envlock\":1,\"fingerprint\":\"sha256:1\",\"meta\":{\"hostname\":\"b\"},"
				      "\"host\":{\"kernel\":\"6.1.0\"},\"cpu\":{\"flags\":[\"sse\",\"avx512f\",\"avx2\"]},"
				      "\"python\":{\"packages\":{\"torch\":\"2.1.0\",\"numpy\":\"1.24.2\"}},"
				      "\"libraries\":{\"libcudart.so.12\":{\"version\":\"12.4\",\"path\":\"/l/libcudart.so.12\"}}}"),
			    "");
	/* A schema-1 lock's code section is not compared: the code is not the environment. */
	assert_string_equal(diff_text("{" BASE ",\"code\":{\"git_commit\":\"" "0123456789abcdef0123456789abcdef01234567"
				      "\",\"git_dirty\":true}}", "{" BASE "}"),
			    "");
}

static void test_packages(void **state)
{
	assert_string_equal(
		diff_text("{" BASE "}",
			  "{\"envlock\":1,\"host\":{\"kernel\":\"6.1.0\"},\"cpu\":{\"flags\":[\"avx2\",\"avx512f\",\"sse\"]},"
			  "\"python\":{\"packages\":{\"numpy\":\"1.26.4\",\"scipy\":\"1.11.0\"}},"
			  "\"libraries\":{\"libcudart.so.12\":{\"path\":\"/l/libcudart.so.12\",\"version\":\"12.4\"}}}"),
		"changed python python.packages.numpy \"1.24.2\" \"1.26.4\"\n"
		"added python python.packages.scipy - \"1.11.0\"\n"
		"removed python python.packages.torch \"2.1.0\" -\n");
}

static void test_flags_as_a_set(void **state)
{
	assert_string_equal(
		diff_text("{\"cpu\":{\"flags\":[\"avx2\",\"avx512f\",\"sse\"]}}",
			  "{\"cpu\":{\"flags\":[\"amx_tile\",\"avx2\",\"sse\"]}}"),
		"removed cpu cpu.flags \"avx512f\" -\n"
		"added cpu cpu.flags - \"amx_tile\"\n");
}

static void test_quoted_paths_and_changes(void **state)
{
	assert_string_equal(
		diff_text("{\"libraries\":{\"libcudart.so.12\":{\"path\":\"/l/libcudart.so.12\",\"version\":\"12.4\"}},"
			  "\"host\":{\"kernel\":\"6.1.0\"}}",
			  "{\"libraries\":{\"libcudart.so.12\":{\"path\":\"/l/libcudart.so.12\",\"version\":\"12.8\"}},"
			  "\"host\":{\"kernel\":\"6.8.0\"}}"),
		"changed host host.kernel \"6.1.0\" \"6.8.0\"\n"
		"changed libraries libraries[\"libcudart.so.12\"].version \"12.4\" \"12.8\"\n");
}

/* A GPU appearing: every leaf of the new section is added. */
static void test_section_appears_and_disappears(void **state)
{
	const char *gpu = "{\"gpu\":{\"cuda_runtime\":\"12.4\",\"devices\":[{\"memory_mib\":81559,\"name\":\"H100\"}]}}";

	assert_string_equal(diff_text("{}", gpu),
			    "added gpu gpu.cuda_runtime - \"12.4\"\n"
			    "added gpu gpu.devices[0].memory_mib - 81559\n"
			    "added gpu gpu.devices[0].name - \"H100\"\n");
	assert_string_equal(diff_text(gpu, "{}"),
			    "removed gpu gpu.cuda_runtime \"12.4\" -\n"
			    "removed gpu gpu.devices[0].memory_mib 81559 -\n"
			    "removed gpu gpu.devices[0].name \"H100\" -\n");
}

static void test_arrays_by_index(void **state)
{
	assert_string_equal(
		diff_text("{\"gpu\":{\"devices\":[{\"name\":\"A100\"},{\"name\":\"A100\"}]}}",
			  "{\"gpu\":{\"devices\":[{\"name\":\"H100\"}]}}"),
		"changed gpu gpu.devices[0].name \"A100\" \"H100\"\n"
		"removed gpu gpu.devices[1].name \"A100\" -\n");
}

/* Empty containers and a changed type are leaves too. */
static void test_empty_and_type_changes(void **state)
{
	assert_string_equal(diff_text("{\"env\":{}}", "{}"), "removed env env {} -\n");
	assert_string_equal(diff_text("{\"gpu\":{\"driver\":false}}", "{\"gpu\":{\"driver\":\"no\"}}"),
			    "changed gpu gpu.driver false \"no\"\n");
	assert_string_equal(diff_text("{\"env\":{\"TZ\":\"UTC\"}}", "{\"env\":\"UTC\"}"),
			    "changed env env {\"TZ\":\"UTC\"} \"UTC\"\n");
}

/*
 * What a later schema added (cpu.topology, schema 3) is left out of a
 * comparison with an older lock, and named; between two locks of the new
 * schema it is compared like any other member. Neither lock is changed.
 */
static void test_older_schema(void **state)
{
	el_lock *old2 = lock_of("{\"envlock\":2,\"cpu\":{\"flags\":[\"sse\"]}}");
	el_lock *new3 = lock_of("{\"envlock\":3,\"cpu\":{\"flags\":[\"sse\"],\"topology\":{\"sockets\":2}}}");
	el_lock *other3 = lock_of("{\"envlock\":3,\"cpu\":{\"flags\":[\"sse\"],\"topology\":{\"sockets\":1}}}");
	el_diff *diff = NULL;

	old2->schema = 2;
	assert_int_equal(el_lock_diff(&diff, old2, new3), EL_OK);
	assert_int_equal(diff->count, 0);
	assert_string_equal(diff->not_compared, "cpu.topology");
	assert_int_equal(diff->older_schema, 2);
	assert_false(diff->older_is_new);
	el_diff_free(diff);
	/* The other way round: the new lock is the older one. */
	assert_int_equal(el_lock_diff(&diff, new3, old2), EL_OK);
	assert_int_equal(diff->count, 0);
	assert_string_equal(diff->not_compared, "cpu.topology");
	assert_true(diff->older_is_new);
	el_diff_free(diff);
	assert_string_equal(el_test_json(json_object_get(el__lock_doc(new3), "cpu")),
			    "{\"flags\":[\"sse\"],\"topology\":{\"sockets\":2}}");
	/* Two schema-3 locks: compared, nothing left out. */
	assert_int_equal(el_lock_diff(&diff, other3, new3), EL_OK);
	assert_int_equal(diff->count, 1);
	assert_string_equal(diff->findings[0].path, "cpu.topology.sockets");
	assert_null(diff->not_compared);
	el_diff_free(diff);
	/* Two schema-2 locks: nothing was there to leave out. */
	assert_int_equal(el_lock_diff(&diff, old2, old2), EL_OK);
	assert_null(diff->not_compared);
	el_diff_free(diff);
	el_lock_free(old2);
	el_lock_free(new3);
	el_lock_free(other3);

	/* python.installs and python.build likewise: a schema-2 lock does not drift by them. */
	old2 = lock_of("{\"envlock\":2,\"python\":{\"packages\":{\"mylib\":\"0.1.0\"}}}");
	new3 = lock_of("{\"envlock\":3,\"python\":{\"packages\":{\"mylib\":\"0.1.0\"},"
		       "\"installs\":{\"mylib\":{\"url\":\"file:///src/mylib\",\"editable\":true}},"
		       "\"build\":{\"compiler\":\"GCC 12.2.0\"}}}");
	old2->schema = 2;
	assert_int_equal(el_lock_diff(&diff, old2, new3), EL_OK);
	assert_int_equal(diff->count, 0);
	assert_string_equal(diff->not_compared, "python.installs, python.build");
	el_diff_free(diff);
	el_lock_free(old2);
	el_lock_free(new3);
}

/*
 * Compared with a schema-2 lock, a capture is seen as schema 2 recorded
 * it: a library's "observed" mark left out; the wheels' CUDA stack at
 * gpu.* left out where the system has no toolkit to put back.
 */
static void test_older_schema_views(void **state)
{
	el_lock *old2 = lock_of("{\"envlock\":2,\"libraries\":{\"libc.so.6\":{\"path\":\"/l/libc.so.6\"}},"
				"\"gpu\":{\"driver\":\"550.54\"}}");
	el_lock *new3 = lock_of("{\"envlock\":3,\"libraries\":{\"libc.so.6\":{\"path\":\"/l/libc.so.6\","
				"\"observed\":true}},\"gpu\":{\"driver\":\"550.54\",\"cudnn\":\"9.1.0\"},"
				"\"frameworks\":{\"torch\":{\"version\":\"2.3.1\",\"cuda\":\"12.1\"},"
				"\"nvidia\":{\"cudnn\":{\"version\":\"9.1.0\"}}}}");
	el_diff *diff = NULL;

	old2->schema = 2;
	assert_int_equal(el_lock_diff(&diff, old2, new3), EL_OK);
	assert_int_equal(diff->count, 0);
	/* In the document's order (a lock file's keys are sorted). */
	assert_string_equal(diff->not_compared, "libraries.*.observed, frameworks");
	el_diff_free(diff);
	/* The lock itself is not changed by the view. */
	assert_string_equal(el_test_json(json_object_get(el__lock_doc(new3), "gpu")),
			    "{\"cudnn\":\"9.1.0\",\"driver\":\"550.54\"}");
	el_lock_free(old2);
	el_lock_free(new3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical),
		cmocka_unit_test(test_packages),
		cmocka_unit_test(test_flags_as_a_set),
		cmocka_unit_test(test_quoted_paths_and_changes),
		cmocka_unit_test(test_section_appears_and_disappears),
		cmocka_unit_test(test_arrays_by_index),
		cmocka_unit_test(test_empty_and_type_changes),
		cmocka_unit_test(test_older_schema),
		cmocka_unit_test(test_older_schema_views),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
