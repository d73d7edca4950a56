/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/lock: the RFC 8785 canonical form, the fingerprint, serialization and
 * atomic lock file writes.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envlock/error.h"
#include "envlock/lock.h"
#include "envlock/text.h"
#include "lock/lock_internal.h"
#include "util/sha256.h"

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &err);

	if (!v)
		fail_msg("bad test JSON: %s: %s", text, err.text);
	return v;
}

/* The canonical form of v; asserts success. Static buffer. */
static const char *jcs(json_t *v)
{
	static char text[65536];
	el__buf b;

	el__buf_init(&b);
	assert_int_equal(el__jcs_append(&b, v), EL_OK);
	assert_int_equal(strlen(b.data), b.len);
	assert_true(b.len < sizeof(text));
	memcpy(text, b.data, b.len + 1);
	el__buf_free(&b);
	return text;
}

/* The canonical form of the JSON text; the value is released. */
static const char *jcs_text(const char *json)
{
	json_t *v = parse(json);
	const char *out = jcs(v);

	json_decref(v);
	return out;
}

static void assert_jcs_fails(json_t *v, const char *message)
{
	el__buf b;

	el__buf_init(&b);
	assert_int_equal(el__jcs_append(&b, v), EL_EINVAL);
	assert_int_equal(el_error_last_code(), EL_EINVAL);
	assert_string_equal(el_error_last(), message);
	el__buf_free(&b);
	json_decref(v);
}

static el_lock *lock_from(const char *json)
{
	el_lock *lock = el__lock_wrap(parse(json));

	assert_non_null(lock);
	return lock;
}

/* The fingerprint of the lock in the JSON text. Static buffer. */
static const char *fingerprint_of(const char *json)
{
	static char fp[EL_FINGERPRINT_SIZE];
	el_lock *lock = lock_from(json);

	assert_int_equal(el_lock_fingerprint(fp, lock), EL_OK);
	el_lock_free(lock);
	return fp;
}

/* ---- canonical form ---- */

static void test_jcs_rfc8785_property_sorting(void **state)
{
	/* RFC 8785 section 3.2.3: UTF-16 code unit order, not code point or UTF-8 order. */
	assert_string_equal(
		jcs_text("{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\","
			 "\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\","
			 "\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
			 "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}"),
		"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xc2\x80\":\"Control\","
		"\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\",\"\xe2\x82\xac\":\"Euro Sign\","
		"\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\",\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

static void test_jcs_key_order_ascii(void **state)
{
	assert_string_equal(jcs_text("{\"b\":1,\"ab\":2,\"a\":3,\"\":4,\"B\":5,\"a b\":6}"),
			    "{\"\":4,\"B\":5,\"a\":3,\"a b\":6,\"ab\":2,\"b\":1}");
	/* Two supplementary characters compare by their surrogates too. */
	assert_string_equal(jcs_text("{\"\\ud83d\\ude01\":1,\"\\ud83d\\ude00x\":2,\"\\ud83d\\ude00\":3}"),
			    "{\"\xf0\x9f\x98\x80\":3,\"\xf0\x9f\x98\x80x\":2,\"\xf0\x9f\x98\x81\":1}");
}

/* Empty containers, nested: found by fuzzing (qsort on an empty member list). */
static void test_jcs_empty_containers(void **state)
{
	assert_string_equal(jcs_text("{}"), "{}");
	assert_string_equal(jcs_text("{\"a\":{},\"b\":[],\"c\":[{}]}"), "{\"a\":{},\"b\":[],\"c\":[{}]}");
}

static void test_jcs_rfc8785_string_example(void **state)
{
	/* RFC 8785 section 3.2.2, without the (fractional) numbers. */
	assert_string_equal(
		jcs_text("{\"string\":\"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\","
			 "\"literals\":[null,true,false]}"),
		"{\"literals\":[null,true,false],\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

static void test_jcs_string_escaping(void **state)
{
	char raw[38];
	json_t *v;

	for (int i = 0; i < 32; i++)
		raw[i] = (char)i;
	memcpy(raw + 32, "\x7f\"\\/\xc3\xa9", 6);
	v = json_stringn(raw, 38);
	assert_non_null(v);
	assert_string_equal(jcs(v),
			    "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r"
			    "\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018"
			    "\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\x7f\\\"\\\\/\xc3\xa9\"");
	json_decref(v);
	/* Keys are escaped the same way. */
	assert_string_equal(jcs_text("{\"a\\\"b\\n\\u001f\":\"/\"}"), "{\"a\\\"b\\n\\u001f\":\"/\"}");
}

static void test_jcs_numbers_and_literals(void **state)
{
	json_t *v;

	assert_string_equal(jcs_text("[0,-1,42,9007199254740992,-9007199254740992,true,false,null]"),
			    "[0,-1,42,9007199254740992,-9007199254740992,true,false,null]");
	assert_string_equal(jcs_text("[]"), "[]");
	assert_string_equal(jcs_text("{}"), "{}");
	assert_string_equal(jcs_text("\"\""), "\"\"");

	v = json_integer(9007199254740993LL);
	assert_jcs_fails(v, "integer 9007199254740993 is beyond 2^53");
	v = json_pack("{s:[I]}", "a", (json_int_t)-9007199254740993LL);
	assert_jcs_fails(v, "integer -9007199254740993 is beyond 2^53");
	assert_jcs_fails(json_real(1.5), "a lock holds no fractional numbers");
	/* Integral values stored as reals are refused as well: their form depends on formatting. */
	assert_jcs_fails(json_pack("{s:{s:f}}", "x", "y", 2.0), "a lock holds no fractional numbers");
}

static void test_jcs_nesting(void **state)
{
	assert_string_equal(
		jcs_text("{ \"b\" : [ 1 , { \"d\" : true , \"c\" : null } , [ ] ] ,\n \"a\" : { \"z\" : {}, \"y\" : [\"s\"] } }"),
		"{\"a\":{\"y\":[\"s\"],\"z\":{}},\"b\":[1,{\"c\":null,\"d\":true},[]]}");
}

/* depth containers, alternately arrays and objects, around the integer 7. */
static json_t *nested(int depth)
{
	json_t *v = json_integer(7);

	for (int i = 0; i < depth; i++) {
		json_t *outer = (i % 2) ? json_object() : json_array();

		if (i % 2)
			json_object_set_new(outer, "k", v);
		else
			json_array_append_new(outer, v);
		v = outer;
	}
	return v;
}

static void test_jcs_depth_limit(void **state)
{
	json_t *v = nested(64);
	const char *text = jcs(v);

	/* 64 levels pass: 32 "[{"k":" pairs open, the value, 32 closes. */
	assert_int_equal(strlen(text), 32 * 6 + 1 + 32 * 2);
	assert_memory_equal(text, "{\"k\":[{\"k\":[", 12);
	json_decref(v);
	assert_jcs_fails(nested(65), "nested deeper than 64 levels");
	assert_jcs_fails(nested(200), "nested deeper than 64 levels");
}

static void test_jcs_appends(void **state)
{
	json_t *v = parse("{\"a\":1}");
	el__buf b;

	el__buf_init(&b);
	el__buf_puts(&b, "prefix:");
	assert_int_equal(el__jcs_append(&b, v), EL_OK);
	assert_string_equal(b.data, "prefix:{\"a\":1}");
	/* The value itself is left as it was. */
	assert_string_equal(el_test_json(v), "{\"a\":1}");
	el__buf_free(&b);
	json_decref(v);
}

/* ---- fingerprint ---- */

static const char small_lock[] =
	"{\"meta\":{\"hostname\":\"h\",\"captured_at\":\"2024-01-02T03:04:05Z\"},"
	"\"fingerprint\":\"sha256:old\",\"host\":{\"os\":\"debian 12\",\"arch\":\"x86_64\"},"
	"\"envlock\":1,\"cpu\":{\"logical_cpus\":2,\"flags\":[\"avx\",\"sse\"]}}";

static void test_canonical_drops_fingerprint_and_meta(void **state)
{
	el_lock *lock = lock_from(small_lock);
	char *canon, *text;
	size_t len;

	assert_int_equal(el_lock_canonical(&canon, &len, lock), EL_OK);
	assert_string_equal(canon, "{\"cpu\":{\"flags\":[\"avx\",\"sse\"],\"logical_cpus\":2},\"envlock\":1,"
				   "\"host\":{\"arch\":\"x86_64\",\"os\":\"debian 12\"}}");
	assert_int_equal(len, strlen(canon));
	free(canon);
	/* The lock itself keeps both members. */
	assert_string_equal(el_lock_stored_fingerprint(lock), "sha256:old");
	assert_int_equal(el_lock_serialize(&text, NULL, lock), EL_OK);
	assert_non_null(strstr(text, "\"meta\": {"));
	free(text);
	el_lock_free(lock);
}

static void test_fingerprint_is_sha256_of_canonical(void **state)
{
	el_lock *lock = lock_from(small_lock);
	char fp[EL_FINGERPRINT_SIZE], hex[EL_SHA256_HEX];
	char *canon;
	size_t len;

	assert_int_equal(el_lock_fingerprint(fp, lock), EL_OK);
	assert_int_equal(el_lock_canonical(&canon, &len, lock), EL_OK);
	assert_int_equal(el__sha256_hex(hex, canon, len), EL_OK);
	assert_memory_equal(fp, "sha256:", 7);
	assert_string_equal(fp + 7, hex);
	/* The value `jq -cS 'del(.fingerprint,.meta)' | tr -d '\n' | sha256sum` gives. */
	assert_string_equal(fp, "sha256:402ae5252ba3e936f4c036c75b19eb90c570f3023c8744ae46308e9bf7b51d6a");
	free(canon);
	el_lock_free(lock);
}

static void test_fingerprint_ignores_only_meta_and_fingerprint(void **state)
{
	const char *base = "{\"envlock\":1,\"meta\":{\"hostname\":\"a\"},\"fingerprint\":\"sha256:1\","
			   "\"gpu\":{\"meta\":{\"x\":1},\"devices\":[{\"name\":\"A100\",\"memory_mib\":40960}]},"
			   "\"python\":{\"packages\":{\"numpy\":\"1.26.4\"}}}";
	static const char *const same[] = {
		/* meta changed, removed; fingerprint changed, removed */
		"{\"envlock\":1,\"meta\":{\"hostname\":\"b\",\"captured_at\":\"now\"},\"fingerprint\":\"sha256:1\","
		"\"gpu\":{\"meta\":{\"x\":1},\"devices\":[{\"name\":\"A100\",\"memory_mib\":40960}]},"
		"\"python\":{\"packages\":{\"numpy\":\"1.26.4\"}}}",
		"{\"envlock\":1,\"fingerprint\":\"sha256:2\","
		"\"gpu\":{\"meta\":{\"x\":1},\"devices\":[{\"name\":\"A100\",\"memory_mib\":40960}]},"
		"\"python\":{\"packages\":{\"numpy\":\"1.26.4\"}}}",
		"{\"envlock\":1,\"meta\":{\"hostname\":\"a\"},"
		"\"gpu\":{\"meta\":{\"x\":1},\"devices\":[{\"name\":\"A100\",\"memory_mib\":40960}]},"
		"\"python\":{\"packages\":{\"numpy\":\"1.26.4\"}}}",
		/* member order in the input does not matter */
		"{\"python\":{\"packages\":{\"numpy\":\"1.26.4\"}},\"gpu\":{\"devices\":[{\"memory_mib\":40960,"
		"\"name\":\"A100\"}],\"meta\":{\"x\":1}},\"envlock\":1}",
	};
	static const char *const different[] = {
		/* a leaf, a nested "meta" (only the top-level one is volatile), an array item, a key, a type */
		"{\"envlock\":2,\"gpu\":{\"meta\":{\"x\":1},\"devices\":[{\"name\":\"A100\",\"memory_mib\":40960}]},"
		"\"python\":{\"packages\":{\"numpy\":\"1.26.4\"}}}",
		"{\"envlock\":1,\"gpu\":{\"meta\":{\"x\":2},\"devices\":[{\"name\":\"A100\",\"memory_mib\":40960}]},"
		"\"python\":{\"packages\":{\"numpy\":\"1.26.4\"}}}",
		"{\"envlock\":1,\"gpu\":{\"meta\":{\"x\":1},\"devices\":[{\"name\":\"A100\",\"memory_mib\":81920}]},"
		"\"python\":{\"packages\":{\"numpy\":\"1.26.4\"}}}",
		"{\"envlock\":1,\"gpu\":{\"meta\":{\"x\":1},\"devices\":[{\"name\":\"A100\",\"memory_mib\":40960}]},"
		"\"python\":{\"packages\":{\"numpy\":\"1.26.5\"}}}",
		"{\"envlock\":1,\"gpu\":{\"meta\":{\"x\":1},\"devices\":[{\"name\":\"A100\",\"memory_mib\":40960}]},"
		"\"python\":{\"packages\":{\"scipy\":\"1.26.4\"}}}",
		"{\"envlock\":1,\"gpu\":{\"meta\":{\"x\":1},\"devices\":[{\"name\":\"A100\",\"memory_mib\":\"40960\"}]},"
		"\"python\":{\"packages\":{\"numpy\":\"1.26.4\"}}}",
		"{\"envlock\":1,\"gpu\":{\"meta\":{\"x\":1},\"devices\":[]},"
		"\"python\":{\"packages\":{\"numpy\":\"1.26.4\"}}}",
	};
	char want[EL_FINGERPRINT_SIZE];

	strcpy(want, fingerprint_of(base));
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
		assert_string_equal(fingerprint_of(same[i]), want);
	for (size_t i = 0; i < sizeof(different) / sizeof(different[0]); i++)
		assert_string_not_equal(fingerprint_of(different[i]), want);
}

static void test_fingerprint_refuses_reals(void **state)
{
	el_lock *lock = lock_from("{\"envlock\":1,\"cpu\":{\"mhz\":2400.5},\"meta\":{\"load\":0.5}}");
	char fp[EL_FINGERPRINT_SIZE];
	char *canon = (char *)"untouched";
	size_t len;

	assert_int_equal(el_lock_fingerprint(fp, lock), EL_EINVAL);
	assert_string_equal(el_error_last(), "a lock holds no fractional numbers");
	assert_int_equal(el_lock_canonical(&canon, &len, lock), EL_EINVAL);
	assert_null(canon);
	el_lock_free(lock);
	/* A real in meta is fine: meta is not fingerprinted. */
	lock = lock_from("{\"envlock\":1,\"meta\":{\"load\":0.5}}");
	assert_int_equal(el_lock_fingerprint(fp, lock), EL_OK);
	el_lock_free(lock);
}

static void test_stored_fingerprint(void **state)
{
	el_lock *lock = lock_from("{\"envlock\":1}");

	assert_null(el_lock_stored_fingerprint(lock));
	el_lock_free(lock);
	lock = lock_from("{\"envlock\":1,\"fingerprint\":\"sha256:ab\"}");
	assert_string_equal(el_lock_stored_fingerprint(lock), "sha256:ab");
	el_lock_free(lock);
	el_lock_free(NULL);
}

/* ---- serialization and writing ---- */

static const char serialize_input[] =
	"{\"envlock\":1,\"meta\":{\"hostname\":\"h/1\",\"captured_at\":\"2024-01-02T03:04:05Z\"},"
	"\"fingerprint\":\"sha256:00\",\"cpu\":{\"flags\":[\"sse\",\"avx\"],\"model\":\"Caf\\u00e9\"},"
	"\"data\":{},\"code\":{\"git_dirty\":false}}";

static const char serialize_expect[] =
	"{\n"
	"  \"code\": {\n"
	"    \"git_dirty\": false\n"
	"  },\n"
	"  \"cpu\": {\n"
	"    \"flags\": [\n"
	"      \"sse\",\n"
	"      \"avx\"\n"
	"    ],\n"
	"    \"model\": \"Caf\xc3\xa9\"\n"
	"  },\n"
	"  \"data\": {},\n"
	"  \"envlock\": 1,\n"
	"  \"fingerprint\": \"sha256:00\",\n"
	"  \"meta\": {\n"
	"    \"captured_at\": \"2024-01-02T03:04:05Z\",\n"
	"    \"hostname\": \"h/1\"\n"
	"  }\n"
	"}\n";

static void test_serialize_exact_bytes(void **state)
{
	el_lock *lock = lock_from(serialize_input);
	char *text;
	size_t len = 0;

	assert_int_equal(el_lock_serialize(&text, &len, lock), EL_OK);
	assert_string_equal(text, serialize_expect);
	assert_int_equal(len, sizeof(serialize_expect) - 1);
	free(text);
	el_lock_free(lock);
}

static void test_write_file(void **state)
{
	const char *dir = *state;
	char *path = el_test_path(dir, "env.lock");
	el_lock *lock = lock_from(serialize_input);
	mode_t old = umask(022);
	struct stat st;
	char *text;
	size_t len;

	el_test_write(dir, "env.lock", "an older lock, longer than the new one ................................"
				       "..................................................................."
				       "...................................................................");
	assert_int_equal(el_lock_write_file(lock, path), EL_OK);
	umask(old);
	text = el_test_read(path, NULL, &len);
	assert_string_equal(text, serialize_expect);
	assert_int_equal(len, sizeof(serialize_expect) - 1);
	free(text);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(el_test_count_entries(dir), 1);
	el_lock_free(lock);
	free(path);
}

static void test_write_file_replaces_symlink(void **state)
{
	const char *dir = *state;
	char *path = el_test_path(dir, "env.lock");
	char *victim = el_test_path(dir, "victim");
	el_lock *lock = lock_from(serialize_input);
	struct stat st;
	char *text;

	el_test_write(dir, "victim", "do not touch");
	el_test_symlink(dir, "env.lock", victim);
	assert_int_equal(el_lock_write_file(lock, path), EL_OK);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	text = el_test_read(path, NULL, NULL);
	assert_string_equal(text, serialize_expect);
	free(text);
	text = el_test_read(victim, NULL, NULL);
	assert_string_equal(text, "do not touch");
	free(text);
	assert_int_equal(el_test_count_entries(dir), 2);
	el_lock_free(lock);
	free(path);
	free(victim);
}

static void test_write_file_failure_leaves_nothing(void **state)
{
	const char *dir = *state;
	char *missing = el_test_path(dir, "nodir/env.lock");
	char *under_file = el_test_path(dir, "file/env.lock");
	char *onto_dir = el_test_path(dir, "sub");
	el_lock *lock = lock_from(serialize_input);
	char expect[4200];

	assert_int_equal(el_lock_write_file(lock, missing), EL_ERROR);
	snprintf(expect, sizeof(expect), "%s: cannot open its directory: No such file or directory", missing);
	assert_string_equal(el_error_last(), expect);
	el_test_write(dir, "file", "");
	assert_int_equal(el_lock_write_file(lock, under_file), EL_ERROR);
	snprintf(expect, sizeof(expect), "%s: cannot open its directory: Not a directory", under_file);
	assert_string_equal(el_error_last(), expect);
	el_test_write(dir, "sub/keep", "k");
	assert_int_equal(el_lock_write_file(lock, onto_dir), EL_ERROR);
	snprintf(expect, sizeof(expect), "%s: Is a directory", onto_dir);
	assert_string_equal(el_error_last(), expect);
	/* "file" and "sub" only: no temporary file left behind. */
	assert_int_equal(el_test_count_entries(dir), 2);
	assert_int_equal(el_test_count_entries(onto_dir), 1);
	el_lock_free(lock);
	free(missing);
	free(under_file);
	free(onto_dir);
}

/* ---- accessors: what a caller reads of a lock without knowing its schema ---- */

static void test_accessors(void **state)
{
	el_lock *lock = el__lock_wrap(parse(
		"{\"envlock\":3,\"meta\":{\"profile\":\"pytorch\",\"code\":{\"git_commit\":\"abc\",\"git_dirty\":false}},"
		"\"python\":{\"executable\":\"/usr/bin/python3\"},\"data\":{\"b\":\"sha256:1\",\"a\":\"sha256:2\"},"
		"\"env\":{\"TZ\":\"UTC\"},\"libraries\":{\"libx.so\":{\"observed\":true}}}"));
	el_lock *bare = el__lock_wrap(parse("{\"envlock\":3,\"meta\":{\"profile\":\"../x\",\"code\":{\"git_commit\":\"abc\"}}}"));
	el_lock_entry *entries = NULL;
	const char *name = (const char *)1;
	size_t count = 0;
	(void)state;

	assert_true(el_lock_has_section(lock, "python"));
	assert_false(el_lock_has_section(lock, "gpu"));
	assert_int_equal(el_lock_profile_name(&name, lock), EL_OK);
	assert_string_equal(name, "pytorch");
	/* A lock is anyone's to write: a profile is a name, never a path. */
	el_test_assert_error(el_lock_profile_name(&name, bare), EL_EINVAL, "the lock's meta.profile is not a profile name");
	assert_null(name);
	assert_string_equal(el_lock_git_commit(lock), "abc");
	assert_int_equal(el_lock_git_dirty(lock), 0);
	assert_int_equal(el_lock_git_dirty(bare), -1);
	assert_string_equal(el_lock_python_executable(lock), "/usr/bin/python3");
	assert_null(el_lock_python_executable(bare));
	/* In the lock's order. */
	assert_int_equal(el_lock_data(&entries, &count, lock), EL_OK);
	assert_int_equal(count, 2);
	assert_string_equal(entries[0].name, "b");
	assert_string_equal(entries[1].value, "sha256:2");
	free(entries);
	assert_int_equal(el_lock_env(&entries, &count, bare), EL_OK);
	assert_int_equal(count, 0);
	free(entries);
	assert_true(el_lock_has_observed(lock));
	assert_false(el_lock_has_observed(bare));
	el_lock_free(bare);
	bare = el__lock_wrap(parse("{\"envlock\":3}"));
	assert_int_equal(el_lock_profile_name(&name, bare), EL_ENOTFOUND);
	assert_null(el_lock_git_commit(bare));
	el_lock_free(bare);
	el_lock_free(lock);
}

/* show's lines: control characters in keys and values never print raw. */
static void test_describe(void **state)
{
	el_lock *lock = el__lock_wrap(parse(
		"{\"envlock\":3,\"fingerprint\":\"sha256:0\",\"meta\":{\"hostname\":\"h\\u001b]0;x\",\"code\":"
		"{\"git_commit\":\"abc\",\"git_dirty\":true}},\"threads\":4,\"env\":{\"OMP_NUM_THREADS\":\"4\","
		"\"A\\nB\":\"\"},\"gpu\":{\"devices\":[{\"name\":\"H100\",\"memory_mib\":81559}]}}"));
	char *text = NULL;
	size_t len = 0;
	(void)state;

	assert_int_equal(el_lock_describe(&text, &len, lock), EL_OK);
	assert_int_equal(len, strlen(text));
	assert_string_equal(text, "on host      \"h\\u001B]0;x\"\n"
				  "at commit    abc (with uncommitted changes)\n"
				  "threads      4 (OMP pinned)\n"
				  "\n"
				  "env\n"
				  "  OMP_NUM_THREADS  4\n"
				  "  \"A\\nB\"           \"\"\n"
				  "\n"
				  "gpu\n"
				  "  devices  1\n"
				  "    [0] name=H100, memory_mib=81559\n");
	free(text);
	el_lock_free(lock);
}

/* A finding's value on one line: a plain string bare, anything else as JSON. */
static void test_printable(void **state)
{
	char *s;
	(void)state;

#define PRINTS(call, want) (s = (call), assert_non_null(s), assert_string_equal(s, want), free(s))
	PRINTS(el_printable_json("\"2.1.0\""), "2.1.0");
	PRINTS(el_printable_json("\"\""), "\"\"");
	PRINTS(el_printable_json("\"a\\u001bb\""), "\"a\\u001Bb\"");
	PRINTS(el_printable_json("8"), "8");
	PRINTS(el_printable_json("{\"b\":1,\"a\":[true]}"), "{\"b\":1,\"a\":[true]}");
	PRINTS(el_printable_text("caf\xc3\xa9"), "caf\xc3\xa9");
	PRINTS(el_printable_text("a\xc2\x9b[31m"), "\"a\\u009B[31m\"");
	PRINTS(el_printable_text("bad\xff\n"), "(not UTF-8)");
#undef PRINTS
	assert_null(el_printable_json("not json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jcs_rfc8785_property_sorting),
		cmocka_unit_test(test_jcs_key_order_ascii),
		cmocka_unit_test(test_jcs_empty_containers),
		cmocka_unit_test(test_jcs_rfc8785_string_example),
		cmocka_unit_test(test_jcs_string_escaping),
		cmocka_unit_test(test_jcs_numbers_and_literals),
		cmocka_unit_test(test_jcs_nesting),
		cmocka_unit_test(test_jcs_depth_limit),
		cmocka_unit_test(test_jcs_appends),
		cmocka_unit_test(test_canonical_drops_fingerprint_and_meta),
		cmocka_unit_test(test_fingerprint_is_sha256_of_canonical),
		cmocka_unit_test(test_fingerprint_ignores_only_meta_and_fingerprint),
		cmocka_unit_test(test_fingerprint_refuses_reals),
		cmocka_unit_test(test_stored_fingerprint),
		cmocka_unit_test(test_serialize_exact_bytes),
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_printable),
		cmocka_unit_test_setup_teardown(test_write_file, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_write_file_replaces_symlink, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_write_file_failure_leaves_nothing, el_test_setup_tmpdir, el_test_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
