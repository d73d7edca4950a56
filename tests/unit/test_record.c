/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/record: run records as in-toto Statements. A record serializes to the
 * expected document, reads back field by field, is written atomically
 * (never through a planted link, never over an existing record in a
 * directory), and every malformed member is refused with its name.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envlock/error.h"
#include "envlock/record.h"
#include "record/record_internal.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HEX_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define HEX_D "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define COMMIT "0123456789abcdef0123456789abcdef01234567"

static char **strv(size_t n, ...)
{
	char **v = calloc(n + 1, sizeof(*v));
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		v[i] = strdup(va_arg(ap, const char *));
	va_end(ap);
	return v;
}

static el_record_pair pair(const char *name, const char *value)
{
	return (el_record_pair){ strdup(name), strdup(value) };
}

/* A record with every member filled, fixed id and times: the golden file's. */
static el_record *sample(void)
{
	el_record *r = el_record_new();

	assert_non_null(r);
	r->argv = strv(3, "python3", "train.py", "--epochs=1");
	r->argc = 3;
	r->workdir = strdup("/home/me/project");
	r->lock_path = strdup("/home/me/project/env.lock");
	r->lock_fingerprint = strdup("sha256:" HEX_A);
	r->profile = strdup("pytorch");
	r->seed = strdup("42");
	r->python = strdup("/usr/bin/python3");
	r->on_drift = EL_SEVERITY_WARN;
	r->env = calloc(2, sizeof(*r->env));
	r->env[0] = pair("CUBLAS_WORKSPACE_CONFIG", ":4096:8");
	r->env[1] = pair("PYTHONHASHSEED", "42");
	r->env_count = 2;
	r->mounts = calloc(3, sizeof(*r->mounts));
	r->mounts[0] = (el_record_mount){ EL_MOUNT_RO_BIND, strdup("/data"), strdup("/data") };
	r->mounts[1] = (el_record_mount){ EL_MOUNT_BIND, strdup("/scratch/out"), strdup("/out") };
	r->mounts[2] = (el_record_mount){ EL_MOUNT_TMPFS, NULL, strdup("/tmp") };
	r->mount_count = 3;
	r->data = calloc(2, sizeof(*r->data));
	r->data[0] = pair("data/train", "sha256:" HEX_B);
	r->data[1] = pair("data/vocab.txt", "sha256:" HEX_D);
	r->data_count = 2;
	r->git_commit = strdup(COMMIT);
	r->git_dirty = 1;
	r->drift = el__record_drift_wrap(json_pack("[{s:s,s:s,s:s,s:s,s:s,s:s}]", "path", "host.kernel", "section", "host", "change", "changed",
			     "severity", "warn", "old", "6.1.0-18-amd64", "new", "6.1.0-21-amd64"));
	r->envlock_version = strdup("0.1.0");
	r->sandbox = el__record_sandbox_wrap(json_pack("{s:[s,s,s,s,s,s],s:s,s:s,s:i,s:b,s:{s:[s,s]}}", "namespaces", "user", "mount", "pid",
			       "ipc", "uts", "cgroup", "net", "none", "hostname", "envlock", "cpus", 4, "aslr", 0,
			       "seccomp", "deny", "ptrace", "process_vm_readv"));
	memcpy(r->invocation_id, "0123456789abcdef0123456789abcdef", EL_RECORD_ID_SIZE);
	r->started = (struct timespec){ 1700000000, 123456789 };
	r->finished = (struct timespec){ 1700000060, 5 };
	r->exit_status = 0;
	r->usage.ru_utime = (struct timeval){ 12, 345678 };
	r->usage.ru_stime = (struct timeval){ 1, 5 };
	r->usage.ru_maxrss = 204800;
	r->outputs = calloc(2, sizeof(*r->outputs));
	r->outputs[0].path = strdup("model.pt");
	memcpy(r->outputs[0].sha256, HEX_C, 65);
	r->outputs[1].path = strdup("log.txt");
	r->output_count = 2;
	return r;
}

static json_t *sample_json(void)
{
	el_record *r = sample();
	json_t *doc = NULL;

	assert_int_equal(el__record_to_json(&doc, r), EL_OK);
	el_record_free(r);
	return doc;
}

/* ---- the document ---- */

static void test_golden_bytes(void **state)
{
	el_record *r = sample();
	char *text = NULL, *golden;
	size_t len = 0, golden_len = 0;
	FILE *f;
	(void)state;

	golden = el_test_read(EL_FIXTURES "/record/golden.json", NULL, &golden_len);
	assert_non_null(golden);
	assert_int_equal(el_record_serialize(&text, &len, r), EL_OK);
	assert_int_equal(strlen(text), len);
	if (len != golden_len || memcmp(text, golden, len) != 0) {
		/* Left for a diff against the fixture, in the test's working directory. */
		if ((f = fopen("golden.json.actual", "w"))) {
			fwrite(text, 1, len, f);
			fclose(f);
		}
		fail_msg("the record differs from tests/fixtures/record/golden.json (see golden.json.actual)");
	}
	free(text);
	free(golden);
	el_record_free(r);
}

static void test_statement_shape(void **state)
{
	json_t *doc = sample_json(), *run;
	(void)state;

	/* Only the output that exists is a subject; the other is named missing. */
	assert_string_equal(el_test_json(json_object_get(doc, "subject")),
			    "[{\"digest\":{\"sha256\":\"" HEX_C "\"},\"name\":\"model.pt\"}]");
	run = json_array_get(json_object_get(json_object_get(json_object_get(doc, "predicate"), "runDetails"),
					     "byproducts"), 1);
	assert_string_equal(el_test_json(json_object_get(json_object_get(run, "annotations"), "missingOutputs")),
			    "[\"log.txt\"]");
	assert_string_equal(el_test_json(json_object_get(json_object_get(json_object_get(doc, "predicate"),
									  "buildDefinition"), "resolvedDependencies")),
			    "[{\"digest\":{\"sha256\":\"" HEX_A "\"},\"name\":\"/home/me/project/env.lock\"},"
			    "{\"annotations\":{\"dirty\":true},\"digest\":{\"gitCommit\":\"" COMMIT "\"},\"name\":\"code\"},"
			    "{\"digest\":{\"sha256\":\"" HEX_B "\"},\"name\":\"data/train\"},"
			    "{\"digest\":{\"sha256\":\"" HEX_D "\"},\"name\":\"data/vocab.txt\"}]");
	/* The document is the caller's: the record's JSON members were copied, not shared. */
	assert_int_equal(json_object_get(json_object_get(json_object_get(json_object_get(doc, "predicate"),
									 "buildDefinition"), "internalParameters"),
					 "sandbox")->refcount, 1);
	json_decref(doc);
}

static void test_fresh_invocation_id(void **state)
{
	el_record *r = sample();
	json_t *a = NULL, *b = NULL;
	const char *ida, *idb;
	(void)state;

	r->invocation_id[0] = '\0';
	assert_int_equal(el__record_to_json(&a, r), EL_OK);
	assert_int_equal(el__record_to_json(&b, r), EL_OK);
	ida = json_string_value(json_object_get(json_object_get(json_object_get(json_object_get(a, "predicate"),
										"runDetails"), "metadata"), "invocationId"));
	idb = json_string_value(json_object_get(json_object_get(json_object_get(json_object_get(b, "predicate"),
										"runDetails"), "metadata"), "invocationId"));
	assert_int_equal(strlen(ida), 32);
	assert_int_equal(strspn(ida, "0123456789abcdef"), 32);
	assert_string_not_equal(ida, idb);
	assert_string_equal(r->invocation_id, "");
	json_decref(a);
	json_decref(b);
	el_record_free(r);
}

static void assert_same(const el_record *a, const el_record *b)
{
	assert_int_equal(a->argc, b->argc);
	for (size_t i = 0; i < a->argc; i++)
		assert_string_equal(a->argv[i], b->argv[i]);
	assert_string_equal(a->workdir, b->workdir);
	assert_string_equal(a->lock_path, b->lock_path);
	assert_string_equal(a->lock_fingerprint, b->lock_fingerprint);
	assert_string_equal(a->profile, b->profile);
	assert_string_equal(a->seed, b->seed);
	assert_string_equal(a->python, b->python);
	assert_int_equal(a->on_drift, b->on_drift);
	assert_int_equal(a->env_count, b->env_count);
	for (size_t i = 0; i < a->env_count; i++) {
		assert_string_equal(a->env[i].name, b->env[i].name);
		assert_string_equal(a->env[i].value, b->env[i].value);
	}
	assert_int_equal(a->launcher_count, b->launcher_count);
	for (size_t i = 0; i < a->launcher_count; i++) {
		assert_string_equal(a->launcher[i].name, b->launcher[i].name);
		assert_string_equal(a->launcher[i].value, b->launcher[i].value);
	}
	assert_int_equal(a->mount_count, b->mount_count);
	for (size_t i = 0; i < a->mount_count; i++) {
		assert_int_equal(a->mounts[i].kind, b->mounts[i].kind);
		if (a->mounts[i].source)
			assert_string_equal(a->mounts[i].source, b->mounts[i].source);
		else
			assert_null(b->mounts[i].source);
		assert_string_equal(a->mounts[i].dest, b->mounts[i].dest);
	}
	assert_int_equal(a->data_count, b->data_count);
	for (size_t i = 0; i < a->data_count; i++) {
		assert_string_equal(a->data[i].name, b->data[i].name);
		assert_string_equal(a->data[i].value, b->data[i].value);
	}
	assert_string_equal(a->git_commit, b->git_commit);
	assert_int_equal(a->git_dirty, b->git_dirty);
	assert_true((a->drift == NULL) == (b->drift == NULL));
	assert_true(!a->drift || json_equal(a->drift->findings, b->drift->findings));
	assert_true((a->sandbox == NULL) == (b->sandbox == NULL));
	assert_true(!a->sandbox || json_equal(a->sandbox->settings, b->sandbox->settings));
	assert_string_equal(a->envlock_version, b->envlock_version);
	assert_string_equal(a->invocation_id, b->invocation_id);
	assert_int_equal(a->started.tv_sec, b->started.tv_sec);
	assert_int_equal(a->started.tv_nsec, b->started.tv_nsec);
	assert_int_equal(a->finished.tv_sec, b->finished.tv_sec);
	assert_int_equal(a->finished.tv_nsec, b->finished.tv_nsec);
	assert_int_equal(a->exit_status, b->exit_status);
	assert_int_equal(a->usage.ru_utime.tv_sec, b->usage.ru_utime.tv_sec);
	assert_int_equal(a->usage.ru_utime.tv_usec, b->usage.ru_utime.tv_usec);
	assert_int_equal(a->usage.ru_stime.tv_sec, b->usage.ru_stime.tv_sec);
	assert_int_equal(a->usage.ru_stime.tv_usec, b->usage.ru_stime.tv_usec);
	assert_int_equal(a->usage.ru_maxrss, b->usage.ru_maxrss);
	assert_int_equal(a->output_count, b->output_count);
	for (size_t i = 0; i < a->output_count; i++) {
		assert_string_equal(a->outputs[i].path, b->outputs[i].path);
		assert_string_equal(a->outputs[i].sha256, b->outputs[i].sha256);
	}
}

static void test_round_trip(void **state)
{
	el_record *r = sample(), *back = NULL;
	char *text = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	(void)state;

	assert_int_equal(el_record_serialize(&text, &len, r), EL_OK);
	assert_int_equal(el_record_parse(&back, text, len, "run.json"), EL_OK);
	assert_same(r, back);
	/* And the text is stable: written again, the same bytes. */
	assert_int_equal(el_record_serialize(&again, &len2, back), EL_OK);
	assert_int_equal(len, len2);
	assert_memory_equal(text, again, len);
	free(text);
	free(again);
	el_record_free(back);
	el_record_free(r);
}

static void test_golden_reads_back(void **state)
{
	el_record *r = sample(), *back = NULL;
	(void)state;

	assert_int_equal(el_record_read(&back, EL_FIXTURES "/record/golden.json"), EL_OK);
	assert_same(r, back);
	el_record_free(back);
	el_record_free(r);
}

static void test_minimal_round_trip(void **state)
{
	el_record *r = el_record_new(), *back = NULL;
	char *text = NULL;
	size_t len = 0;
	(void)state;

	/* --no-lock, no seed, no git, no drift check, no outputs, a fresh id. */
	r->argv = strv(1, "true");
	r->argc = 1;
	r->workdir = strdup("/w");
	r->profile = strdup("default");
	r->envlock_version = strdup("0.1.0");
	r->exit_status = 137;
	assert_int_equal(el_record_serialize(&text, &len, r), EL_OK);
	assert_int_equal(el_record_parse(&back, text, len, "run.json"), EL_OK);
	assert_null(back->lock_path);
	assert_null(back->lock_fingerprint);
	assert_null(back->seed);
	assert_null(back->python);
	assert_null(back->git_commit);
	assert_int_equal(back->git_dirty, -1);
	assert_null(back->drift);
	assert_int_equal(el_record_drift_count(back, EL_SEVERITY_REFUSE), -1);
	assert_null(back->sandbox);
	assert_int_equal(back->env_count, 0);
	assert_int_equal(back->mount_count, 0);
	assert_int_equal(back->data_count, 0);
	assert_int_equal(back->output_count, 0);
	assert_int_equal(back->exit_status, 137);
	assert_int_equal(strlen(back->invocation_id), 32);
	free(text);
	el_record_free(back);
	el_record_free(r);
}

/* A commit with its state unknown, an empty drift report, a SHA-256 repository, extreme values. */
static void test_edge_round_trip(void **state)
{
	el_record *r = sample(), *back = NULL;
	char *text = NULL;
	size_t len = 0;
	(void)state;

	free(r->git_commit);
	r->git_commit = strdup(HEX_D);
	r->git_dirty = -1;
	json_decref(r->drift->findings);
	r->drift->findings = json_array();
	r->exit_status = 255;
	r->started = (struct timespec){ 0, 0 };
	r->finished = (struct timespec){ 253402300799, 999999999 }; /* 9999-12-31T23:59:59.999999999Z */
	r->usage.ru_utime = (struct timeval){ 999999999, 999999 };
	r->usage.ru_stime = (struct timeval){ 0, 1 };
	assert_int_equal(el_record_serialize(&text, &len, r), EL_OK);
	assert_non_null(strstr(text, "\"finishedOn\": \"9999-12-31T23:59:59.999999999Z\""));
	assert_non_null(strstr(text, "\"startedOn\": \"1970-01-01T00:00:00.000000000Z\""));
	assert_int_equal(el_record_parse(&back, text, len, "run.json"), EL_OK);
	assert_same(r, back);
	free(text);
	el_record_free(back);
	el_record_free(r);
}

/* ---- records that cannot be written as they are ---- */

static void on_drift_unknown(el_record *r) { r->on_drift = (el_severity)7; }
static void mount_kind_unknown(el_record *r) { r->mounts[1].kind = (el_mount_kind)-1; }
static void workdir_null(el_record *r) { free(r->workdir); r->workdir = NULL; }
static void argv_not_utf8(el_record *r) { free(r->argv[1]); r->argv[1] = strdup("caf\xe9.py"); }
static void argv_none(el_record *r) { r->argc = 0; free(r->argv[0]); free(r->argv[1]); free(r->argv[2]); }
static void fingerprint_bare(el_record *r) { free(r->lock_fingerprint); r->lock_fingerprint = strdup(HEX_A); }
static void fingerprint_short(el_record *r) { free(r->lock_fingerprint); r->lock_fingerprint = strdup("sha256:abc"); }
static void fingerprint_alone(el_record *r) { free(r->lock_path); r->lock_path = NULL; }
static void env_twice(el_record *r) { free(r->env[1].name); r->env[1].name = strdup(r->env[0].name); }
static void dirty_without_commit(el_record *r) { free(r->git_commit); r->git_commit = NULL; }
static void dirty_two(el_record *r) { r->git_dirty = 2; }
static void output_twice(el_record *r) { free(r->outputs[1].path); r->outputs[1].path = strdup("model.pt"); }
static void output_upper_hex(el_record *r) { r->outputs[0].sha256[0] = 'C'; }
static void data_bare(el_record *r) { free(r->data[1].value); r->data[1].value = strdup(HEX_D); }
static void nsec_too_big(el_record *r) { r->finished.tv_nsec = 1000000000; }
static void status_negative(el_record *r) { r->exit_status = -1; }
static void tmpfs_with_source(el_record *r) { r->mounts[2].source = strdup("/src"); }
static void bind_without_source(el_record *r) { free(r->mounts[1].source); r->mounts[1].source = NULL; }
static void id_upper(el_record *r) { r->invocation_id[0] = 'A'; }
static void sandbox_array(el_record *r) { json_decref(r->sandbox->settings); r->sandbox->settings = json_array(); }
static void commit_65(el_record *r) { free(r->git_commit); r->git_commit = strdup(HEX_D "0"); }
static void commit_upper(el_record *r) { r->git_commit[0] = 'A'; }
static void commit_41(el_record *r) { free(r->git_commit); r->git_commit = strdup(COMMIT "0"); }

static void test_write_refuses_bad_record(void **state)
{
	static const struct {
		void (*edit)(el_record *r);
		const char *message;
	} cases[] = {
		{ on_drift_unknown, "on_drift: not refuse, warn or ignore" },
		{ mount_kind_unknown, "mounts[1].kind: not bind, ro-bind or tmpfs" },
		{ workdir_null, "predicate.buildDefinition.externalParameters.workdir: missing" },
		{ argv_not_utf8, "argv[1]: not UTF-8" },
		{ argv_none, "predicate.buildDefinition.externalParameters.argv: empty" },
		{ fingerprint_bare, "lock_fingerprint: not \"sha256:\" and 64 lowercase hex digits" },
		{ fingerprint_short, "predicate.buildDefinition.externalParameters.lock.digest.sha256: not 64 lowercase hex digits" },
		{ fingerprint_alone, "predicate.buildDefinition.externalParameters.lock.path: missing" },
		{ env_twice, "env[1].name: CUBLAS_WORKSPACE_CONFIG given twice" },
		{ dirty_without_commit, "git_dirty: known without a git_commit" },
		{ dirty_two, "git_dirty: not 1, 0 or -1" },
		{ output_twice, "predicate.buildDefinition.externalParameters.outputs[1]: the same as outputs[0]" },
		{ output_upper_hex, "subject[0].digest.sha256: not 64 lowercase hex digits" },
		{ data_bare, "data[1]: not \"sha256:\" and 64 lowercase hex digits" },
		{ nsec_too_big, "finished: not a time between the years 0 and 9999" },
		{ status_negative, "predicate.runDetails.byproducts[1].annotations.exitStatus: not from 0 to 255" },
		{ tmpfs_with_source, "predicate.buildDefinition.externalParameters.mounts[2].source: a tmpfs has none" },
		{ bind_without_source, "predicate.buildDefinition.externalParameters.mounts[1].source: missing" },
		{ id_upper, "predicate.runDetails.metadata.invocationId: not 32 lowercase hex digits" },
		{ sandbox_array, "predicate.buildDefinition.internalParameters.sandbox: not an object" },
		{ commit_65, "predicate.buildDefinition.resolvedDependencies[1].digest.gitCommit: not 40 or 64 lowercase hex digits" },
		{ commit_upper, "predicate.buildDefinition.resolvedDependencies[1].digest.gitCommit: not 40 or 64 lowercase hex digits" },
		{ commit_41, "predicate.buildDefinition.resolvedDependencies[1].digest.gitCommit: not 40 or 64 lowercase hex digits" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		el_record *r = sample();
		json_t *doc = (json_t *)"untouched";
		char *text = (char *)"untouched";

		cases[i].edit(r);
		el_test_assert_error(el__record_to_json(&doc, r), EL_EINVAL, el_test_fmt("run record: %s", cases[i].message));
		assert_null(doc);
		el_test_assert_error(el_record_serialize(&text, NULL, r), EL_EINVAL,
				     el_test_fmt("run record: %s", cases[i].message));
		assert_null(text);
		el_record_free(r);
	}
}

/* ---- records that are refused when read ---- */

/*
 * Replace the member at path ("a.b[2].c", a key with a dot as ["a.b"]) of doc with the JSON value text
 * (an index one past the end appends), or delete it when text is NULL.
 */
static void edit_at(json_t *doc, const char *path, const char *text)
{
	json_t *cur = doc, *value = NULL;
	char key[128];
	const char *p = path;

	if (text) {
		value = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (!value)
			fail_msg("bad test JSON: %s", text);
	}
	for (;;) {
		size_t n = strcspn(p, ".[");
		bool index = false;
		size_t at = 0;

		if (p[0] == '[' && p[1] == '"') {
			n = strstr(p, "\"]") - p - 2;
			memcpy(key, p + 2, n);
			key[n] = '\0';
			n += 4;
		} else if (*p == '[') {
			index = true;
			at = strtoul(p + 1, NULL, 10);
			n = strchr(p, ']') + 1 - p;
		} else {
			memcpy(key, p, n);
			key[n] = '\0';
		}
		p += n;
		if (*p == '.')
			p++;
		if (!*p) {
			int rc;

			if (index && value && at == json_array_size(cur))
				rc = json_array_append_new(cur, value);
			else if (index)
				rc = value ? json_array_set_new(cur, at, value) : json_array_remove(cur, at);
			else
				rc = value ? json_object_set_new(cur, key, value) : json_object_del(cur, key);
			if (rc != 0)
				fail_msg("cannot edit %s in the sample", path);
			return;
		}
		cur = index ? json_array_get(cur, at) : json_object_get(cur, key);
		if (!cur)
			fail_msg("no %.*s in the sample", (int)(p - path), path);
	}
}

#define BD "predicate.buildDefinition"
#define EXT BD ".externalParameters"
#define INT BD ".internalParameters"
#define DEPS BD ".resolvedDependencies"
#define RD "predicate.runDetails"
#define RUN RD ".byproducts[1].annotations"
#define DRIFT RD ".byproducts[0].annotations"

static const struct refusal {
	const char *path;
	const char *value; /* NULL: deleted */
	const char *message;
} refusals[] = {
	/* The Statement */
	{ "_type", NULL, "not an in-toto Statement v1 (no _type)" },
	{ "_type", "1", "not an in-toto Statement v1 (_type is not a string)" },
	{ "_type", "\"https://in-toto.io/Statement/v0.1\"", "not an in-toto Statement v1 (_type is \"https://in-toto.io/Statement/v0.1\")" },
	{ "_type", "\"line\\nbreak\\u001b[31m and a very long tail that goes on and on\"",
	  "not an in-toto Statement v1 (_type is \"line?break?[31m and a very long tail tha...\")" },
	{ "predicateType", NULL, "not SLSA Provenance v1 (no predicateType)" },
	{ "predicateType", "{}", "not SLSA Provenance v1 (predicateType is not a string)" },
	{ "predicateType", "\"https://slsa.dev/provenance/v0.2\"", "not SLSA Provenance v1 (predicateType is \"https://slsa.dev/provenance/v0.2\")" },
	{ "extra", "true", "extra: not part of a run record" },
	{ "subject", NULL, "subject: missing" },
	{ "subject", "{}", "subject: not an array" },
	{ "subject[0]", "\"model.pt\"", "subject[0]: not an object" },
	{ "subject[0].name", NULL, "subject[0].name: missing" },
	{ "subject[0].name", "7", "subject[0].name: not a string" },
	{ "subject[0].name", "\"other.pt\"", EXT ".outputs[0]: neither the next subject nor the next of " RUN ".missingOutputs" },
	{ "subject[0].uri", "\"file:model.pt\"", "subject[0].uri: not part of a run record" },
	{ "subject[0].digest", NULL, "subject[0].digest: missing" },
	{ "subject[0].digest", "[]", "subject[0].digest: not an object" },
	{ "subject[0].digest.sha256", NULL, "subject[0].digest.sha256: missing" },
	{ "subject[0].digest.sha256", "\"ABC\"", "subject[0].digest.sha256: not 64 lowercase hex digits" },
	{ "subject[0].digest.sha256", "\"" HEX_A "0\"", "subject[0].digest.sha256: not 64 lowercase hex digits" },
	{ "subject[0].digest.sha512", "\"00\"", "subject[0].digest.sha512: not part of a run record" },
	{ "subject[1]", "{\"name\":\"log.txt\",\"digest\":{\"sha256\":\"" HEX_B "\"}}", RUN ".missingOutputs[0]: matches no remaining output of " EXT ".outputs (each is one subject or one missing output, in order)" },
	{ "predicate", NULL, "predicate: missing" },
	{ "predicate", "[]", "predicate: not an object" },
	{ "predicate.extra", "1", "predicate.extra: not part of a run record" },
	/* buildDefinition */
	{ BD, NULL, BD ": missing" },
	{ BD ".buildType", NULL, BD ".buildType: missing" },
	{ BD ".buildType", "\"https://example.com/other\"", BD ".buildType: \"https://example.com/other\" where \"urn:envlock:exec:v1\" was expected" },
	{ BD ".extra", "true", BD ".extra: not part of a run record" },
	{ EXT, NULL, EXT ": missing" },
	{ EXT, "\"x\"", EXT ": not an object" },
	{ EXT ".argv", NULL, EXT ".argv: missing" },
	{ EXT ".argv", "\"python3 train.py\"", EXT ".argv: not an array" },
	{ EXT ".argv", "[]", EXT ".argv: empty" },
	{ EXT ".argv[1]", "3", EXT ".argv[1]: not a string" },
	{ EXT ".workdir", NULL, EXT ".workdir: missing" },
	{ EXT ".workdir", "\"project\"", EXT ".workdir: not an absolute path" },
	{ EXT ".workdir", "null", EXT ".workdir: not a string" },
	{ EXT ".lock.path", NULL, EXT ".lock.path: missing" },
	{ EXT ".lock.digest", NULL, EXT ".lock.digest: missing" },
	{ EXT ".lock.digest.sha256", "\"sha256:" HEX_A "\"", EXT ".lock.digest.sha256: not 64 lowercase hex digits" },
	{ EXT ".lock.fingerprint", "\"x\"", EXT ".lock.fingerprint: not part of a run record" },
	{ EXT ".lock", "\"env.lock\"", EXT ".lock: not an object" },
	{ EXT ".env", NULL, EXT ".env: missing" },
	{ EXT ".env", "[]", EXT ".env: not an object" },
	{ EXT ".env.PYTHONHASHSEED", "42", EXT ".env.PYTHONHASHSEED: not a string" },
	{ EXT ".env[\"A.B\"]", "1", EXT ".env[\"A.B\"]: not a string" },
	{ EXT ".seed", "42", EXT ".seed: not a string" },
	{ EXT ".python", "false", EXT ".python: not a string" },
	{ EXT ".onDrift", NULL, EXT ".onDrift: missing" },
	{ EXT ".onDrift", "\"never\"", EXT ".onDrift: not refuse, warn or ignore" },
	{ EXT ".mounts", NULL, EXT ".mounts: missing" },
	{ EXT ".mounts", "{}", EXT ".mounts: not an array" },
	{ EXT ".mounts[0]", "\"/data\"", EXT ".mounts[0]: not an object" },
	{ EXT ".mounts[0].kind", NULL, EXT ".mounts[0].kind: missing" },
	{ EXT ".mounts[0].kind", "\"overlay\"", EXT ".mounts[0].kind: not bind, ro-bind or tmpfs" },
	{ EXT ".mounts[0].source", NULL, EXT ".mounts[0].source: missing" },
	{ EXT ".mounts[2].source", "\"/x\"", EXT ".mounts[2].source: a tmpfs has none" },
	{ EXT ".mounts[1].dest", NULL, EXT ".mounts[1].dest: missing" },
	{ EXT ".mounts[1].options", "\"rw\"", EXT ".mounts[1].options: not part of a run record" },
	{ EXT ".outputs", NULL, EXT ".outputs: missing" },
	{ EXT ".outputs[1]", "2", EXT ".outputs[1]: not a string" },
	{ EXT ".outputs[1]", "\"model.pt\"", EXT ".outputs[1]: the same as outputs[0]" },
	{ EXT ".outputs[1]", "\"other.txt\"", EXT ".outputs[1]: neither the next subject nor the next of " RUN ".missingOutputs" },
	{ INT, NULL, INT ": missing" },
	{ INT ".profile", NULL, INT ".profile: missing" },
	{ INT ".profile", "[]", INT ".profile: not a string" },
	{ INT ".sandbox", "\"none\"", INT ".sandbox: not an object" },
	{ INT ".envlockVersion", NULL, INT ".envlockVersion: missing" },
	{ INT ".hostname", "\"h\"", INT ".hostname: not part of a run record" },
	{ DEPS, NULL, DEPS ": missing" },
	{ DEPS, "{}", DEPS ": not an array" },
	{ DEPS, "[]", DEPS ": no entry for the lock of " EXT ".lock" },
	{ DEPS "[0].name", "\"other.lock\"", DEPS "[0]: not the lock of " EXT ".lock" },
	{ DEPS "[0].digest.sha256", "\"" HEX_B "\"", DEPS "[0]: not the lock of " EXT ".lock" },
	{ DEPS "[0]", "7", DEPS "[0]: not an object" },
	{ DEPS "[1].name", "\"src\"", DEPS "[1].name: \"src\" where \"code\" was expected" },
	{ DEPS "[1].digest.gitCommit", "\"0123\"", DEPS "[1].digest.gitCommit: not 40 or 64 lowercase hex digits" },
	{ DEPS "[1].digest.gitCommit", "\"" HEX_D "0\"", DEPS "[1].digest.gitCommit: not 40 or 64 lowercase hex digits" },
	{ DEPS "[1].digest.gitCommit", "\"" COMMIT "0\"", DEPS "[1].digest.gitCommit: not 40 or 64 lowercase hex digits" },
	{ DEPS "[1].digest.gitCommit", "\"0123456789ABCDEF0123456789abcdef01234567\"", DEPS "[1].digest.gitCommit: not 40 or 64 lowercase hex digits" },
	{ DEPS "[1].annotations", "[]", DEPS "[1].annotations: not an object" },
	{ DEPS "[1].annotations.dirty", "1", DEPS "[1].annotations.dirty: not true or false" },
	{ DEPS "[1].annotations.dirty", NULL, DEPS "[1].annotations.dirty: missing" },
	{ DEPS "[1].annotations.branch", "\"main\"", DEPS "[1].annotations.branch: not part of a run record" },
	{ DEPS "[2].name", NULL, DEPS "[2].name: missing" },
	{ DEPS "[3].digest", "{\"md5\":\"00\"}", DEPS "[3].digest.md5: not part of a run record" },
	{ DEPS "[3].digest.sha256", "\"xyz\"", DEPS "[3].digest.sha256: not 64 lowercase hex digits" },
	{ DEPS "[3].uri", "\"file:data\"", DEPS "[3].uri: not part of a run record" },
	/* runDetails */
	{ RD, NULL, RD ": missing" },
	{ RD ".extra", "1", RD ".extra: not part of a run record" },
	{ RD ".builder", NULL, RD ".builder: missing" },
	{ RD ".builder.id", NULL, RD ".builder.id: missing" },
	{ RD ".builder.id", "\"urn:other\"", RD ".builder.id: \"urn:other\" where \"urn:envlock:exec\" was expected" },
	{ RD ".builder.version", NULL, RD ".builder.version: missing" },
	{ RD ".builder.version.envlock", NULL, RD ".builder.version.envlock: missing" },
	{ RD ".builder.version.envlock", "\"0.2.0\"", RD ".builder.version.envlock: not the envlockVersion of " INT },
	{ RD ".builder.builderDependencies", "[]", RD ".builder.builderDependencies: not part of a run record" },
	{ RD ".metadata", NULL, RD ".metadata: missing" },
	{ RD ".metadata.invocationId", NULL, RD ".metadata.invocationId: missing" },
	{ RD ".metadata.invocationId", "\"0123456789ABCDEF0123456789abcdef\"", RD ".metadata.invocationId: not 32 lowercase hex digits" },
	{ RD ".metadata.startedOn", NULL, RD ".metadata.startedOn: missing" },
	{ RD ".metadata.startedOn", "\"yesterday\"", RD ".metadata.startedOn: not an RFC 3339 UTC time with nanoseconds (YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ)" },
	{ RD ".metadata.startedOn", "\"2023-02-30T00:00:00.000000000Z\"", RD ".metadata.startedOn: not an RFC 3339 UTC time with nanoseconds (YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ)" },
	{ RD ".metadata.finishedOn", "\"2023-11-14T22:14:20Z\"", RD ".metadata.finishedOn: not an RFC 3339 UTC time with nanoseconds (YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ)" },
	{ RD ".metadata.finishedOn", "\"2023-11-14T22:14:20.000000005+00:00\"", RD ".metadata.finishedOn: not an RFC 3339 UTC time with nanoseconds (YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ)" },
	{ RD ".byproducts", NULL, RD ".byproducts: missing" },
	{ RD ".byproducts", "[]", RD ".byproducts: 0 entries where the drift byproduct (when checked) and the run byproduct were expected" },
	{ RD ".byproducts[2]", "{}", RD ".byproducts: 3 entries where the drift byproduct (when checked) and the run byproduct were expected" },
	{ RD ".byproducts[1].name", "\"drift\"", RD ".byproducts[1].name: \"drift\" where \"run\" was expected" },
	{ RD ".byproducts[0].name", "\"log\"", RD ".byproducts[0].name: \"log\" where \"drift\" was expected" },
	{ RD ".byproducts[0].annotations", NULL, RD ".byproducts[0].annotations: missing" },
	{ RD ".byproducts[0].uri", "\"file:drift.json\"", RD ".byproducts[0].uri: not part of a run record" },
	{ RD ".byproducts[0].digest", "{}", RD ".byproducts[0].digest.sha256: missing" },
	{ RD ".byproducts[0].digest", "[]", RD ".byproducts[0].digest: not an object" },
	{ RD ".byproducts[0].digest.sha256", "\"" HEX_A "\"", RD ".byproducts[0].digest.sha256: not the sha256 of the annotations (keys sorted, no whitespace)" },
	{ RD ".byproducts[0].digest.sha256", "\"ABC\"", RD ".byproducts[0].digest.sha256: not 64 lowercase hex digits" },
	{ RD ".byproducts[1].digest.sha512", "\"00\"", RD ".byproducts[1].digest.sha512: not part of a run record" },
	{ RD ".byproducts[1].digest", NULL, RD ".byproducts[1].digest: missing" },
	{ RD ".byproducts[1].mediaType", NULL, RD ".byproducts[1].mediaType: missing" },
	{ RD ".byproducts[1].mediaType", "\"text/plain\"", RD ".byproducts[1].mediaType: \"text/plain\" where \"application/json\" was expected" },
	/* The annotations changed after they were digested. */
	{ DRIFT ".findings[0].severity", "\"refuse\"", RD ".byproducts[0].digest.sha256: not the sha256 of the annotations (keys sorted, no whitespace)" },
	{ RUN ".exitStatus", "1", RD ".byproducts[1].digest.sha256: not the sha256 of the annotations (keys sorted, no whitespace)" },
	{ RUN ".rusage.userSeconds", "12.345679", RD ".byproducts[1].digest.sha256: not the sha256 of the annotations (keys sorted, no whitespace)" },
	{ DRIFT ".findings", NULL, DRIFT ".findings: missing" },
	{ DRIFT ".findings", "{}", DRIFT ".findings: not an array" },
	{ DRIFT ".findings[0]", "\"host.kernel\"", DRIFT ".findings[0]: not an object" },
	{ DRIFT ".findings[0].path", NULL, DRIFT ".findings[0].path: missing" },
	{ DRIFT ".findings[0].severity", NULL, DRIFT ".findings[0].severity: missing" },
	{ DRIFT ".findings[0].severity", "\"fatal\"", DRIFT ".findings[0].severity: not refuse, warn or ignore" },
	{ DRIFT ".count", "1", DRIFT ".count: not part of a run record" },
	{ RUN, NULL, RD ".byproducts[1].annotations: missing" },
	{ RUN ".exitStatus", NULL, RUN ".exitStatus: missing" },
	{ RUN ".exitStatus", "\"0\"", RUN ".exitStatus: not an integer" },
	{ RUN ".exitStatus", "256", RUN ".exitStatus: not from 0 to 255" },
	{ RUN ".exitStatus", "-1", RUN ".exitStatus: not from 0 to 255" },
	{ RUN ".missingOutputs", NULL, RUN ".missingOutputs: missing" },
	{ RUN ".missingOutputs", "[]", EXT ".outputs[1]: neither the next subject nor the next of " RUN ".missingOutputs" },
	{ RUN ".missingOutputs[0]", "1", RUN ".missingOutputs[0]: not a string" },
	{ RUN ".missingOutputs[1]", "\"log.txt\"", RUN ".missingOutputs[1]: matches no remaining output of " EXT ".outputs (each is one subject or one missing output, in order)" },
	{ RUN ".rusage", NULL, RUN ".rusage: missing" },
	{ RUN ".rusage.userSeconds", NULL, RUN ".rusage.userSeconds: missing" },
	{ RUN ".rusage.userSeconds", "\"12\"", RUN ".rusage.userSeconds: not a number" },
	{ RUN ".rusage.systemSeconds", "-0.5", RUN ".rusage.systemSeconds: not a number of seconds from 0 to 10^15" },
	{ RUN ".rusage.maxRssKiB", NULL, RUN ".rusage.maxRssKiB: missing" },
	{ RUN ".rusage.maxRssKiB", "1.5", RUN ".rusage.maxRssKiB: not an integer" },
	{ RUN ".rusage.maxRssKiB", "-1", RUN ".rusage.maxRssKiB: negative" },
	{ RUN ".rusage.minorFaults", "0", RUN ".rusage.minorFaults: not part of a run record" },
	{ RUN ".stdout", "\"\"", RUN ".stdout: not part of a run record" },
};

/* doc (taken) with the one edit of c is refused with c's message. */
static void assert_refused(json_t *doc, const struct refusal *c)
{
	el_record *back = (el_record *)"untouched";
	char *text;
	int rc;

	edit_at(doc, c->path, c->value);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	assert_non_null(text);
	rc = el_record_parse(&back, text, strlen(text), "run.json");
	if (rc != EL_EINVAL)
		fail_msg("accepted with %s %s", c->path, c->value ? c->value : "deleted");
	el_test_assert_error(rc, EL_EINVAL, el_test_fmt("run.json: %s", c->message));
	assert_null(back);
	free(text);
	json_decref(doc);
}

/* A record with the objects the run loaded: after the data entries, annotated, read back. */
static el_record *sample_observed(void)
{
	el_record *r = sample();

	r->observed = calloc(2, sizeof(*r->observed));
	r->observed[0] = pair("/usr/bin/python3.11", "sha256:" HEX_C);
	r->observed[1] = pair("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0", "sha256:" HEX_D);
	r->observed_count = 2;
	return r;
}

static void test_observed_round_trip(void **state)
{
	el_record *r = sample_observed(), *back = NULL;
	json_t *doc = NULL, *deps, *last;
	char *text = NULL;
	size_t len = 0;
	(void)state;

	assert_int_equal(el__record_to_json(&doc, r), EL_OK);
	deps = json_object_get(json_object_get(json_object_get(doc, "predicate"), "buildDefinition"), "resolvedDependencies");
	/* lock, code, two data entries, then the two objects. */
	assert_int_equal(json_array_size(deps), 6);
	last = json_array_get(deps, 5);
	assert_string_equal(json_string_value(json_object_get(last, "name")), "/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0");
	assert_string_equal(json_string_value(json_object_get(json_object_get(last, "digest"), "sha256")), HEX_D);
	assert_true(json_is_true(json_object_get(json_object_get(last, "annotations"), "observed")));
	assert_int_equal(el_record_serialize(&text, &len, r), EL_OK);
	assert_int_equal(el_record_parse(&back, text, len, "run.json"), EL_OK);
	assert_same(r, back);
	assert_int_equal(back->observed_count, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_string_equal(back->observed[i].name, r->observed[i].name);
		assert_string_equal(back->observed[i].value, r->observed[i].value);
	}
	json_decref(doc);
	free(text);
	el_record_free(back);
	el_record_free(r);
}

static void test_observed_refusals(void **state)
{
	static const struct refusal cases[] = {
		{ DEPS "[4].annotations.observed", "false", DEPS "[4].annotations.observed: not true" },
		{ DEPS "[4].annotations.seen", "true", DEPS "[4].annotations.seen: not part of a run record" },
		{ DEPS "[4].annotations", "[]", DEPS "[4].annotations: not an object" },
		{ DEPS "[4].name", "\"python3.11\"", DEPS "[4].name: not an absolute path" },
		{ DEPS "[5].name", "\"/usr/bin/python3.11\"", DEPS "[5].name: not after the observed object before it (sorted by path, each once)" },
		{ DEPS "[5].name", "\"/a\"", DEPS "[5].name: not after the observed object before it (sorted by path, each once)" },
		/* A data entry after the objects is taken for one of them. */
		{ DEPS "[6]", "{\"name\":\"data/x\",\"digest\":{\"sha256\":\"" HEX_A "\"}}", DEPS "[6].annotations: missing" },
	};
	el_record *r = sample_observed();
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *doc = NULL;

		assert_int_equal(el__record_to_json(&doc, r), EL_OK);
		assert_refused(doc, &cases[i]);
	}
	el_record_free(r);
}

/* sha256 of the link texts "usr/lib" and "python3.11". */
#define SHA256_USR_LIB "bb40df61b3e0947109adb2e4d4ec41261d2c50580463391f34d67b5f30712176"
#define SHA256_PY311 "72e78ddac08187448a816f3688b1b27700b00f882d34e6021acdbdbe4c54008b"

/* exec --trace's record: the observed objects and the links on the way to them, merged by name. */
static el_record *sample_traced(void)
{
	el_record *r = sample_observed();

	r->traced = true;
	r->links = calloc(2, sizeof(*r->links));
	r->links[0] = pair("/lib", "usr/lib");
	r->links[1] = pair("/usr/bin/python3", "python3.11");
	r->link_count = 2;
	return r;
}

static void assert_same_links(const el_record *a, const el_record *b)
{
	assert_int_equal(a->traced, b->traced);
	assert_int_equal(a->link_count, b->link_count);
	for (size_t i = 0; i < a->link_count; i++) {
		assert_string_equal(a->links[i].name, b->links[i].name);
		assert_string_equal(a->links[i].value, b->links[i].value);
	}
	assert_int_equal(a->observed_count, b->observed_count);
	for (size_t i = 0; i < a->observed_count; i++) {
		assert_string_equal(a->observed[i].name, b->observed[i].name);
		assert_string_equal(a->observed[i].value, b->observed[i].value);
	}
}

static void test_traced_round_trip(void **state)
{
	el_record *r = sample_traced(), *back = NULL, *plain = sample_observed();
	json_t *doc = NULL, *bd;
	char *text = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	(void)state;

	assert_int_equal(el__record_to_json(&doc, r), EL_OK);
	bd = json_object_get(json_object_get(doc, "predicate"), "buildDefinition");
	assert_true(json_is_true(json_object_get(json_object_get(bd, "externalParameters"), "trace")));
	/* lock, code, two data entries, then links and objects in one order by name. */
	assert_string_equal(el_test_json(json_object_get(bd, "resolvedDependencies")),
			    "[{\"digest\":{\"sha256\":\"" HEX_A "\"},\"name\":\"/home/me/project/env.lock\"},"
			    "{\"annotations\":{\"dirty\":true},\"digest\":{\"gitCommit\":\"" COMMIT "\"},\"name\":\"code\"},"
			    "{\"digest\":{\"sha256\":\"" HEX_B "\"},\"name\":\"data/train\"},"
			    "{\"digest\":{\"sha256\":\"" HEX_D "\"},\"name\":\"data/vocab.txt\"},"
			    "{\"annotations\":{\"linkTarget\":\"usr/lib\",\"observed\":true},"
			    "\"digest\":{\"sha256\":\"" SHA256_USR_LIB "\"},\"name\":\"/lib\"},"
			    "{\"annotations\":{\"linkTarget\":\"python3.11\",\"observed\":true},"
			    "\"digest\":{\"sha256\":\"" SHA256_PY311 "\"},\"name\":\"/usr/bin/python3\"},"
			    "{\"annotations\":{\"observed\":true},\"digest\":{\"sha256\":\"" HEX_C "\"},\"name\":\"/usr/bin/python3.11\"},"
			    "{\"annotations\":{\"observed\":true},\"digest\":{\"sha256\":\"" HEX_D "\"},"
			    "\"name\":\"/usr/lib/x86_64-linux-gnu/blas/libblas.so.3.11.0\"}]");
	json_decref(doc);
	assert_int_equal(el_record_serialize(&text, &len, r), EL_OK);
	assert_int_equal(el_record_parse(&back, text, len, "run.json"), EL_OK);
	assert_same(r, back);
	assert_same_links(r, back);
	/* Written again: the same bytes. */
	assert_int_equal(el_record_serialize(&again, &len2, back), EL_OK);
	assert_int_equal(len, len2);
	assert_memory_equal(text, again, len);
	free(text);
	free(again);
	el_record_free(back);
	/* Traced with no link met: trace true, no link entries. */
	for (size_t i = 0; i < r->link_count; i++) {
		free(r->links[i].name);
		free(r->links[i].value);
	}
	r->link_count = 0;
	assert_int_equal(el_record_serialize(&text, &len, r), EL_OK);
	assert_int_equal(el_record_parse(&back, text, len, "run.json"), EL_OK);
	assert_same_links(r, back);
	assert_true(back->traced);
	free(text);
	el_record_free(back);
	/* Without trace: no member trace, no link. */
	assert_int_equal(el__record_to_json(&doc, plain), EL_OK);
	bd = json_object_get(json_object_get(doc, "predicate"), "buildDefinition");
	assert_null(json_object_get(json_object_get(bd, "externalParameters"), "trace"));
	json_decref(doc);
	assert_int_equal(el_record_serialize(&text, &len, plain), EL_OK);
	assert_int_equal(el_record_parse(&back, text, len, "run.json"), EL_OK);
	assert_false(back->traced);
	assert_int_equal(back->link_count, 0);
	assert_same_links(plain, back);
	free(text);
	el_record_free(back);
	el_record_free(plain);
	el_record_free(r);
}

/* In the traced sample, [4] is the link /lib, [5] the link /usr/bin/python3, [6] and [7] the objects. */
static void test_traced_refusals(void **state)
{
	static const struct refusal cases[] = {
		/* The digest is the link text's. */
		{ DEPS "[4].digest.sha256", "\"" HEX_A "\"", DEPS "[4]: the digest is not that of the link's text" },
		{ DEPS "[5].digest.sha256", "\"" SHA256_USR_LIB "\"", DEPS "[5]: the digest is not that of the link's text" },
		{ DEPS "[5].annotations.linkTarget", "\"python3.12\"", DEPS "[5]: the digest is not that of the link's text" },
		{ DEPS "[4].annotations.linkTarget", "\"\"", DEPS "[4].annotations.linkTarget: not a link's text" },
		{ DEPS "[4].annotations.linkTarget", "7", DEPS "[4].annotations.linkTarget: not a string" },
		{ DEPS "[4].annotations.observed", NULL, DEPS "[4].annotations.observed: missing" },
		{ DEPS "[4].digest", "{\"sha512\":\"00\"}", DEPS "[4].digest.sha512: not part of a run record" },
		{ DEPS "[4].name", "\"lib\"", DEPS "[4].name: not an absolute path" },
		/* Links only in a record of a run with trace. */
		{ EXT ".trace", NULL, DEPS "[4]: a link, in a record of a run without trace" },
		{ EXT ".trace", "false", EXT ".trace: not true" },
		{ EXT ".trace", "\"yes\"", EXT ".trace: not true or false" },
		/* One order by name for links and objects together, each once. */
		{ DEPS "[5].name", "\"/a\"", DEPS "[5].name: not after the observed object before it (sorted by path, each once)" },
		{ DEPS "[5].name", "\"/lib\"", DEPS "[5].name: not after the observed object before it (sorted by path, each once)" },
		{ DEPS "[5].name", "\"/usr/bin/python3.11\"", DEPS "[6].name: not after the observed object before it (sorted by path, each once)" },
		{ DEPS "[4].name", "\"/usr/bin/python3.11\"", DEPS "[5].name: not after the observed object before it (sorted by path, each once)" },
		{ DEPS "[6].name", "\"/lib/python3.11\"", DEPS "[6].name: not after the observed object before it (sorted by path, each once)" },
	};
	el_record *r = sample_traced();
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *doc = NULL;

		assert_int_equal(el__record_to_json(&doc, r), EL_OK);
		assert_refused(doc, &cases[i]);
	}
	el_record_free(r);
}

/* A rank of a Slurm step: where srun placed it, kept in the record and read back. */
static el_record *sample_launched(void)
{
	el_record *r = sample();

	r->launcher = calloc(3, sizeof(*r->launcher));
	r->launcher[0] = pair("CUDA_VISIBLE_DEVICES", "2,3");
	r->launcher[1] = pair("SLURMD_NODENAME", "node7");
	r->launcher[2] = pair("SLURM_PROCID", "13");
	r->launcher_count = 3;
	return r;
}

static void test_launcher_round_trip(void **state)
{
	el_record *r = sample_launched(), *back = NULL, *plain = sample();
	json_t *doc = NULL, *launcher;
	char *text = NULL;
	size_t len = 0;
	(void)state;

	assert_int_equal(el__record_to_json(&doc, r), EL_OK);
	launcher = json_object_get(json_object_get(json_object_get(json_object_get(doc, "predicate"), "buildDefinition"),
						   "externalParameters"),
				   "launcher");
	assert_int_equal(json_object_size(launcher), 3);
	assert_string_equal(json_string_value(json_object_get(launcher, "SLURMD_NODENAME")), "node7");
	assert_int_equal(el_record_serialize(&text, &len, r), EL_OK);
	assert_int_equal(el_record_parse(&back, text, len, "run.json"), EL_OK);
	assert_same(r, back);
	/* The sample's one finding is a warning. */
	assert_int_equal(el_record_drift_count(back, EL_SEVERITY_WARN), 1);
	assert_int_equal(el_record_drift_count(back, EL_SEVERITY_REFUSE), 0);
	json_decref(doc);
	/* Outside a launcher there is no member at all. */
	assert_int_equal(el__record_to_json(&doc, plain), EL_OK);
	assert_null(json_object_get(
		json_object_get(json_object_get(json_object_get(doc, "predicate"), "buildDefinition"), "externalParameters"),
		"launcher"));
	json_decref(doc);
	free(text);
	el_record_free(back);
	el_record_free(r);
	el_record_free(plain);
}

static void test_launcher_refusals(void **state)
{
	static const struct refusal cases[] = {
		{ EXT ".launcher.SLURM_PROCID", "13", EXT ".launcher.SLURM_PROCID: not a string" },
		{ EXT ".launcher", "[]", EXT ".launcher: not an object" },
	};
	el_record *r = sample_launched();
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *doc = NULL;

		assert_int_equal(el__record_to_json(&doc, r), EL_OK);
		assert_refused(doc, &cases[i]);
	}
	el_record_free(r);
}

/* The writer reads its document back: it makes no record of links the reader would refuse. */
static void test_traced_write_refusals(void **state)
{
	el_record *r;
	json_t *doc = (json_t *)"untouched";
	(void)state;

	r = sample_traced();
	r->traced = false;
	el_test_assert_error(el__record_to_json(&doc, r), EL_EINVAL,
			     "run record: " DEPS "[4]: a link, in a record of a run without trace");
	assert_null(doc);
	el_record_free(r);
	r = sample_traced();
	free(r->links[1].value);
	r->links[1].value = NULL;
	el_test_assert_error(el__record_to_json(&doc, r), EL_EINVAL, "run record: links[1]: no link text");
	assert_null(doc);
	el_record_free(r);
	/* Links given out of order. */
	r = sample_traced();
	free(r->links[0].name);
	r->links[0].name = strdup("/usr/bin/python");
	free(r->links[1].name);
	r->links[1].name = strdup("/lib");
	el_test_assert_error(el__record_to_json(&doc, r), EL_EINVAL,
			     "run record: " DEPS "[5].name: not after the observed object before it (sorted by path, each once)");
	assert_null(doc);
	el_record_free(r);
	/* A link named as an object. */
	r = sample_traced();
	free(r->links[1].name);
	r->links[1].name = strdup("/usr/bin/python3.11");
	el_test_assert_error(el__record_to_json(&doc, r), EL_EINVAL,
			     "run record: " DEPS "[6].name: not after the observed object before it (sorted by path, each once)");
	assert_null(doc);
	el_record_free(r);
	/* Not UTF-8. */
	r = sample_traced();
	free(r->links[0].value);
	r->links[0].value = strdup("usr/l\xe9");
	el_test_assert_error(el__record_to_json(&doc, r), EL_EINVAL, "run record: links[0]: not UTF-8");
	assert_null(doc);
	el_record_free(r);
}

static void test_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		assert_refused(sample_json(), &refusals[i]);
}

/* What the reader takes that the writer would not make differently: numbers as numbers, any layout. */
static void test_reader_takes_equal_documents(void **state)
{
	json_t *doc = sample_json();
	el_record *r = sample(), *back = NULL;
	char *text;
	(void)state;

	edit_at(doc, RUN ".rusage.systemSeconds", "1.000005e0");
	edit_at(doc, RUN ".rusage.userSeconds", "12.345678");
	text = json_dumps(doc, JSON_COMPACT);
	assert_int_equal(el_record_parse(&back, text, strlen(text), "run.json"), EL_OK);
	assert_same(r, back);
	el_record_free(back);
	free(text);
	json_decref(doc);
	/* Whole seconds may be written without a fraction: the digest is of the values, 12.0 here. */
	r->usage.ru_utime = (struct timeval){ 12, 0 };
	assert_int_equal(el__record_to_json(&doc, r), EL_OK);
	edit_at(doc, RUN ".rusage.userSeconds", "12");
	text = json_dumps(doc, 0);
	assert_int_equal(el_record_parse(&back, text, strlen(text), "run.json"), EL_OK);
	assert_int_equal(back->usage.ru_utime.tv_sec, 12);
	assert_int_equal(back->usage.ru_utime.tv_usec, 0);
	el_record_free(back);
	free(text);
	json_decref(doc);
	el_record_free(r);
}

/* Records written before byproducts had a digest and a mediaType still read, as they were. */
static void test_reads_byproducts_without_digest(void **state)
{
	json_t *doc = sample_json();
	el_record *r = sample(), *back = NULL;
	char *text;
	(void)state;

	edit_at(doc, RD ".byproducts[0].digest", NULL);
	edit_at(doc, RD ".byproducts[0].mediaType", NULL);
	edit_at(doc, RD ".byproducts[1].digest", NULL);
	edit_at(doc, RD ".byproducts[1].mediaType", NULL);
	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	assert_int_equal(el_record_parse(&back, text, strlen(text), "run.json"), EL_OK);
	assert_same(r, back);
	el_record_free(back);
	free(text);
	/* Without the digest, the annotations are read as they are: nothing to compare them with. */
	edit_at(doc, RUN ".exitStatus", "3");
	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	assert_int_equal(el_record_parse(&back, text, strlen(text), "run.json"), EL_OK);
	assert_int_equal(back->exit_status, 3);
	el_record_free(back);
	free(text);
	json_decref(doc);
	el_record_free(r);
}

/* The sample with no output that exists after the run. */
static el_record *sample_nothing_written(void)
{
	el_record *r = sample();

	r->outputs[0].sha256[0] = '\0';
	return r;
}

static json_t *nothing_written_json(void)
{
	el_record *r = sample_nothing_written();
	json_t *doc = NULL;

	assert_int_equal(el__record_to_json(&doc, r), EL_OK);
	el_record_free(r);
	return doc;
}

/* sha256 of "python3\0train.py\0--epochs=1\0", the sample's argv. */
#define ARGV_SHA256 "a97f1c8ddafb60c53ee9627d8f0b5c91118cdf60ed78c32bc60c5868a09243e3"

static void test_standin_subjects(void **state)
{
	el_record *r = sample_nothing_written(), *back = NULL;
	json_t *doc = NULL;
	char *text = NULL;
	size_t len = 0;
	(void)state;

	/* No output exists: the lock and the command are the subjects. */
	assert_int_equal(el__record_to_json(&doc, r), EL_OK);
	assert_string_equal(el_test_json(json_object_get(doc, "subject")),
			    "[{\"digest\":{\"sha256\":\"" HEX_A "\"},\"name\":\"envlock:lock\"},"
			    "{\"digest\":{\"sha256\":\"" ARGV_SHA256 "\"},\"name\":\"envlock:argv\"}]");
	json_decref(doc);
	assert_int_equal(el_record_serialize(&text, &len, r), EL_OK);
	assert_int_equal(el_record_parse(&back, text, len, "run.json"), EL_OK);
	assert_same(r, back);
	assert_string_equal(back->outputs[0].sha256, "");
	assert_string_equal(back->outputs[1].sha256, "");
	el_record_free(back);
	free(text);

	/* No lock, no --output: the command alone. */
	free(r->lock_path);
	free(r->lock_fingerprint);
	r->lock_path = r->lock_fingerprint = NULL;
	for (size_t i = 0; i < r->output_count; i++)
		free(r->outputs[i].path);
	r->output_count = 0;
	assert_int_equal(el__record_to_json(&doc, r), EL_OK);
	assert_string_equal(el_test_json(json_object_get(doc, "subject")),
			    "[{\"digest\":{\"sha256\":\"" ARGV_SHA256 "\"},\"name\":\"envlock:argv\"}]");
	json_decref(doc);
	assert_int_equal(el_record_serialize(&text, &len, r), EL_OK);
	assert_int_equal(el_record_parse(&back, text, len, "run.json"), EL_OK);
	assert_null(back->lock_path);
	assert_null(back->lock_fingerprint);
	assert_int_equal(back->output_count, 0);
	assert_int_equal(back->argc, 3);
	assert_string_equal(back->argv[2], "--epochs=1");
	el_record_free(back);
	free(text);
	el_record_free(r);
}

/* Outputs are relative paths: one named like a stand-in is still an output, present or missing. */
static void test_output_named_like_standin(void **state)
{
	el_record *r = sample(), *back = NULL;
	json_t *doc = NULL;
	char *text = NULL;
	size_t len = 0;
	(void)state;

	free(r->outputs[0].path);
	r->outputs[0].path = strdup("envlock:argv");
	assert_int_equal(el__record_to_json(&doc, r), EL_OK);
	assert_string_equal(el_test_json(json_object_get(doc, "subject")),
			    "[{\"digest\":{\"sha256\":\"" HEX_C "\"},\"name\":\"envlock:argv\"}]");
	json_decref(doc);
	assert_int_equal(el_record_serialize(&text, &len, r), EL_OK);
	assert_int_equal(el_record_parse(&back, text, len, "run.json"), EL_OK);
	assert_same(r, back);
	el_record_free(back);
	free(text);
	/* Missing after the run: the stand-ins are the subjects, and the output stays missing. */
	r->outputs[0].sha256[0] = '\0';
	assert_int_equal(el_record_serialize(&text, &len, r), EL_OK);
	assert_int_equal(el_record_parse(&back, text, len, "run.json"), EL_OK);
	assert_same(r, back);
	el_record_free(back);
	free(text);
	el_record_free(r);
}

/* A record written before the stand-ins, with an empty subject, still reads. */
static void test_reads_empty_subject(void **state)
{
	json_t *doc = nothing_written_json();
	el_record *r = sample_nothing_written(), *back = NULL;
	char *text;
	(void)state;

	edit_at(doc, "subject", "[]");
	text = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	assert_int_equal(el_record_parse(&back, text, strlen(text), "run.json"), EL_OK);
	assert_same(r, back);
	el_record_free(back);
	free(text);
	json_decref(doc);
	el_record_free(r);
}

/* The validator's good records (tests/tools/intoto_check.py) are records envlock reads. */
static void test_validator_fixtures_read(void **state)
{
	el_record *r = sample_nothing_written(), *back = NULL;
	(void)state;

	assert_int_equal(el_record_read(&back, EL_FIXTURES "/intoto/good/record-standins.json"), EL_OK);
	assert_same(r, back);
	el_record_free(back);
	el_record_free(r);
	r = sample();
	assert_int_equal(el_record_read(&back, EL_FIXTURES "/intoto/good/record.json"), EL_OK);
	assert_same(r, back);
	el_record_free(back);
	/* The validator refuses the previous version's byproducts; envlock still reads that record. */
	assert_int_equal(el_record_read(&back, EL_FIXTURES "/intoto/bad/byproduct-without-digest.json"), EL_OK);
	assert_same(r, back);
	el_record_free(back);
	el_record_free(r);
}

static const struct refusal standin_refusals[] = {
	{ "subject[0].digest.sha256", "\"" HEX_B "\"", "subject[0]: not the fingerprint of " EXT ".lock" },
	{ "subject[1].digest.sha256", "\"" HEX_B "\"", "subject[1]: not the sha256 of " EXT ".argv (each word followed by a NUL byte)" },
	{ EXT ".argv[2]", "\"--epochs=2\"", "subject[1]: not the sha256 of " EXT ".argv (each word followed by a NUL byte)" },
	/* The words are hashed with their ends: "a b" is not "a", "b". */
	{ EXT ".argv", "[\"python3 train.py\",\"--epochs=1\"]", "subject[1]: not the sha256 of " EXT ".argv (each word followed by a NUL byte)" },
	{ "subject[0].name", "\"envlock:argv\"", "subject[0].name: \"envlock:argv\" where \"envlock:lock\" was expected" },
	{ "subject[1].name", "\"envlock:lock\"", "subject[1].name: \"envlock:lock\" where \"envlock:argv\" was expected" },
	{ "subject[1]", NULL, "subject: 1 entries where the stand-ins envlock:lock and envlock:argv were expected (no output has a digest)" },
	{ "subject[2]", "{\"name\":\"envlock:x\",\"digest\":{\"sha256\":\"" HEX_B "\"}}", "subject: 3 entries where the stand-ins envlock:lock and envlock:argv were expected (no output has a digest)" },
	{ "subject[1].digest.sha512", "\"00\"", "subject[1].digest.sha512: not part of a run record" },
	{ "subject[1].digest", NULL, "subject[1].digest: missing" },
	/* A subject that is not a stand-in while every output is missing names an output that is not there. */
	{ "subject[0].name", "\"model.pt\"", EXT ".outputs[1]: neither the next subject nor the next of " RUN ".missingOutputs" },
};

static void test_standin_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(standin_refusals) / sizeof(standin_refusals[0]); i++)
		assert_refused(nothing_written_json(), &standin_refusals[i]);
}

static void test_bad_text(void **state)
{
	char *golden;
	size_t len = 0;
	el_record *r = (el_record *)"untouched";
	(void)state;

	el_test_assert_error(el_record_parse(&r, "", 0, "run.json"), EL_EINVAL,
			     "run.json:1:0: invalid JSON: '[' or '{' expected near end of file");
	assert_null(r);
	el_test_assert_error(el_record_parse(&r, "{\"_type\": 1, \"_type\": 2}", 24, "run.json"), EL_EINVAL,
			     "run.json:1:20: invalid JSON: duplicate object key near '\"_type\"'");
	/* Text with a NUL, which no C string could have written. */
	el_test_assert_error(el_record_parse(&r, "{\"_type\": \"a\\u0000b\"}", 21, "run.json"), EL_EINVAL,
			     "run.json:1:20: invalid JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"a\\u0000b\"'");
	el_test_assert_error(el_record_parse(&r, "[]", 2, "run.json"), EL_EINVAL,
			     "run.json: not an in-toto Statement v1 (not a JSON object)");
	el_test_assert_error(el_record_parse(&r, "{\"\x1b]0;x\x07\": 1", 13, "run.json"), EL_EINVAL,
			     "run.json:1:2: invalid JSON: control character 0x1b near '\"'");
	/* Truncated: the golden cut in half. */
	golden = el_test_read(EL_FIXTURES "/record/golden.json", NULL, &len);
	assert_non_null(golden);
	el_test_assert_error(el_record_parse(&r, golden, len / 2, "run.json"), EL_EINVAL,
			     "run.json:85:12: invalid JSON: premature end of input near '\"n'");
	free(golden);
}

static void test_duplicate_key_deep(void **state)
{
	char *golden, *dup;
	const char *at;
	size_t len = 0;
	el_record *r = NULL;
	(void)state;

	golden = el_test_read(EL_FIXTURES "/record/golden.json", NULL, &len);
	assert_non_null(golden);
	at = strstr(golden, "\"seed\": \"42\",");
	assert_non_null(at);
	assert_true(asprintf(&dup, "%.*s\"seed\": \"7\", %s", (int)(at - golden), golden, at) > 0);
	el_test_assert_error(el_record_parse(&r, dup, strlen(dup), "run.json"), EL_EINVAL,
			     "run.json:44:27: invalid JSON: duplicate object key near '\"seed\"'");
	assert_null(r);
	free(dup);
	free(golden);
}

/* ---- files ---- */

static void test_read_file_errors(void **state)
{
	const char *dir = *state;
	char *missing = el_test_path(dir, "missing.json"), *big = el_test_path(dir, "big.json");
	el_record *r = (el_record *)"untouched";
	int fd;

	el_test_assert_error(el_record_read(&r, missing), EL_ENOTFOUND,
			     el_test_fmt("%s: No such file or directory", missing));
	assert_null(r);
	el_test_assert_error(el_record_read(&r, dir), EL_EINVAL, el_test_fmt("%s: not a regular file", dir));
	el_test_write(dir, "empty.json", "");
	el_test_assert_error(el_record_read(&r, el_test_fmt("%s/empty.json", dir)), EL_EINVAL,
			     el_test_fmt("%s/empty.json:1:0: invalid JSON: '[' or '{' expected near end of file", dir));
	/* 17 MiB: refused before it is parsed (a sparse file: nothing to write). */
	fd = open(big, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 17 << 20), 0);
	close(fd);
	el_test_assert_error(el_record_read(&r, big), EL_EINVAL, el_test_fmt("%s: larger than 16777216 bytes", big));
	assert_null(r);
	free(missing);
	free(big);
}

static void test_write_file_round_trip(void **state)
{
	const char *dir = *state;
	char *path = el_test_path(dir, "run.json"), *written = NULL, *text, *golden;
	el_record *r = sample(), *back = NULL;

	el_test_write(dir, "run.json", "an older record");
	assert_int_equal(el_record_write(r, path, &written), EL_OK);
	assert_string_equal(written, path);
	/* Replaced whole, byte for byte the golden; no temporary file left. */
	text = el_test_read(path, NULL, NULL);
	golden = el_test_read(EL_FIXTURES "/record/golden.json", NULL, NULL);
	assert_string_equal(text, golden);
	assert_int_equal(el_test_count_entries(dir), 1);
	assert_int_equal(el_record_read(&back, path), EL_OK);
	assert_same(r, back);
	free(text);
	free(golden);
	free(written);
	free(path);
	el_record_free(back);
	el_record_free(r);
}

static void test_write_into_directory(void **state)
{
	const char *dir = *state;
	el_record *r = sample(), *back = NULL;
	char *first = NULL, *second = NULL;
	char *slashed = el_test_path(dir, "");

	assert_int_equal(el_record_write(r, dir, &first), EL_OK);
	assert_int_equal(el_record_write(r, slashed, &second), EL_OK);
	/* The same record, the same second: two files all the same. */
	assert_string_not_equal(first, second);
	assert_int_equal(el_test_count_entries(dir), 2);
	assert_memory_equal(first, el_test_fmt("%s/run-20231114T221320Z-", dir), strlen(dir) + 22);
	assert_int_equal(strlen(first), strlen(dir) + strlen("/run-20231114T221320Z-12345678.json"));
	assert_int_equal(strspn(first + strlen(dir) + 22, "0123456789abcdef"), 8);
	assert_string_equal(first + strlen(first) - 5, ".json");
	assert_memory_equal(second, slashed, strlen(slashed));
	assert_null(strstr(second, "//"));
	assert_int_equal(el_record_read(&back, first), EL_OK);
	assert_same(r, back);
	el_record_free(back);
	assert_int_equal(el_record_read(&back, second), EL_OK);
	assert_same(r, back);
	free(first);
	free(second);
	free(slashed);
	el_record_free(back);
	el_record_free(r);
}

/* The renames a new record is placed with never replace a file that is there. */
static void test_noreplace(void **state)
{
	const char *dir = *state;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	char *text;

	assert_true(fd >= 0);
	el_test_write(dir, "taken", "old");
	el_test_write(dir, "tmp", "new");
	assert_int_equal(el__rename_noreplace(fd, "tmp", "taken"), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(el__link_noreplace(fd, "tmp", "taken"), -1);
	assert_int_equal(errno, EEXIST);
	text = el_test_read(dir, "taken", NULL);
	assert_string_equal(text, "old");
	free(text);
	assert_int_equal(el__link_noreplace(fd, "tmp", "free"), 0);
	assert_int_equal(el_test_count_entries(dir), 2);
	assert_int_equal(el__rename_noreplace(fd, "free", "free2"), 0);
	text = el_test_read(dir, "free2", NULL);
	assert_string_equal(text, "new");
	free(text);
	assert_int_equal(el_test_count_entries(dir), 2);
	close(fd);
}

static void test_write_replaces_planted_link(void **state)
{
	const char *dir = *state;
	char *victim = el_test_path(dir, "victim"), *target = el_test_path(dir, "run.json");
	char *victim_dir = el_test_path(dir, "victim.d"), *dir_link = el_test_path(dir, "runs");
	el_record *r = sample();
	struct stat st;
	char *text;

	el_test_write(dir, "victim", "keep");
	el_test_symlink(dir, "run.json", victim);
	assert_int_equal(el_record_write(r, target, NULL), EL_OK);
	assert_int_equal(lstat(target, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	text = el_test_read(victim, NULL, NULL);
	assert_string_equal(text, "keep");
	free(text);
	/* A link to a directory is replaced too: only "runs/" would go through it. */
	assert_int_equal(mkdir(victim_dir, 0755), 0);
	el_test_symlink(dir, "runs", victim_dir);
	assert_int_equal(el_record_write(r, dir_link, NULL), EL_OK);
	assert_int_equal(lstat(dir_link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(el_test_count_entries(victim_dir), 0);
	assert_int_equal(el_test_count_entries(dir), 4);
	free(victim);
	free(target);
	free(victim_dir);
	free(dir_link);
	el_record_free(r);
}

static void test_write_at_held_directory(void **state)
{
	const char *dir = *state;
	char *sub = el_test_path(dir, "runs"), *moved = el_test_path(dir, "moved");
	el_record *r = sample();
	int fd;

	assert_int_equal(mkdir(sub, 0755), 0);
	fd = open(sub, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	/* The directory moves and a link takes its name: the write follows the descriptor. */
	assert_int_equal(rename(sub, moved), 0);
	el_test_symlink(dir, "runs", "/nonexistent");
	assert_int_equal(el_record_write_at(r, fd, NULL, "runs", NULL), EL_OK);
	assert_int_equal(el_test_count_entries(moved), 1);
	close(fd);
	free(sub);
	free(moved);
	el_record_free(r);
}

/*
 * el_record_write(path) as a user who may not write in the directory
 * (nobody, when the tests run as root, who writes anywhere), in a child:
 * 0 when it failed with message, 1 when the user could not be taken.
 */
static int write_unprivileged(const el_record *r, const char *path, const char *message)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
			_exit(1);
		if (el_record_write(r, path, NULL) != EL_ERROR || strcmp(el_error_last(), message) != 0) {
			fprintf(stderr, "got: %s\nwant: %s\n", el_error_last(), message);
			_exit(2);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 2);
	return WEXITSTATUS(status);
}

static void test_write_failure_leaves_nothing(void **state)
{
	const char *dir = *state;
	char *ro = el_test_path(dir, "ro"), *file = el_test_path(dir, "ro/run.json");
	char *missing = el_test_path(dir, "missing/run.json");
	el_record *r = sample();

	el_test_assert_error(el_record_write(r, missing, NULL), EL_ERROR,
			     el_test_fmt("%s: cannot open its directory: No such file or directory", missing));
	/* The test directory is the creator's alone: the other user must reach ro to be refused there. */
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(mkdir(ro, 0555), 0);
	if (write_unprivileged(r, file, el_test_fmt("%s: cannot create a temporary file: Permission denied", file)) == 1 ||
	    write_unprivileged(r, ro, el_test_fmt("%s: cannot create a temporary file: Permission denied", ro)) == 1) {
		free(ro);
		free(file);
		free(missing);
		el_record_free(r);
		el_test_skip_case("no other user to become here: the refused write check");
	}
	assert_int_equal(el_test_count_entries(ro), 0);
	assert_int_equal(el_test_count_entries(dir), 1);
	free(ro);
	free(file);
	free(missing);
	el_record_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_bytes),
		cmocka_unit_test(test_statement_shape),
		cmocka_unit_test(test_fresh_invocation_id),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_golden_reads_back),
		cmocka_unit_test(test_observed_round_trip),
		cmocka_unit_test(test_observed_refusals),
		cmocka_unit_test(test_traced_round_trip),
		cmocka_unit_test(test_launcher_round_trip),
		cmocka_unit_test(test_launcher_refusals),
		cmocka_unit_test(test_traced_refusals),
		cmocka_unit_test(test_traced_write_refusals),
		cmocka_unit_test(test_minimal_round_trip),
		cmocka_unit_test(test_edge_round_trip),
		cmocka_unit_test(test_write_refuses_bad_record),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_reader_takes_equal_documents),
		cmocka_unit_test(test_reads_byproducts_without_digest),
		cmocka_unit_test(test_standin_subjects),
		cmocka_unit_test(test_output_named_like_standin),
		cmocka_unit_test(test_reads_empty_subject),
		cmocka_unit_test(test_standin_refusals),
		cmocka_unit_test(test_validator_fixtures_read),
		cmocka_unit_test(test_bad_text),
		cmocka_unit_test(test_duplicate_key_deep),
		cmocka_unit_test_setup_teardown(test_read_file_errors, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_write_file_round_trip, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_write_into_directory, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_noreplace, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_write_replaces_planted_link, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_write_at_held_directory, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_write_failure_leaves_nothing, el_test_setup_tmpdir, el_test_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
