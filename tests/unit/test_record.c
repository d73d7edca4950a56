/*
 * src/record: run records as in-toto Statements. A record serializes to the
 * expected document, reads back field by field, is written atomically
 * (never through a planted link, never over an existing record in a
 * directory), and every malformed member is refused with its name.
 */
#include "helpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envlock/error.h"
#include "envlock/record.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HEX_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
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

/* A record with every member filled, fixed id and times. */
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
	r->on_drift = strdup("warn");
	r->env = calloc(2, sizeof(*r->env));
	r->env[0] = pair("OMP_NUM_THREADS", "1");
	r->env[1] = pair("PYTHONHASHSEED", "42");
	r->env_count = 2;
	r->mounts = calloc(2, sizeof(*r->mounts));
	r->mounts[0] = (el_record_mount){ strdup("ro-bind"), strdup("/data"), strdup("/data") };
	r->mounts[1] = (el_record_mount){ strdup("tmpfs"), NULL, strdup("/scratch") };
	r->mount_count = 2;
	r->data = calloc(1, sizeof(*r->data));
	r->data[0] = pair("data/train", "sha256:" HEX_B);
	r->data_count = 1;
	r->git_commit = strdup(COMMIT);
	r->git_dirty = 0;
	r->drift = json_pack("[{s:s,s:s}]", "path", "host.kernel", "severity", "warn");
	r->envlock_version = strdup("0.1.0");
	r->sandbox = json_pack("{s:s}", "net", "none");
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

	assert_int_equal(el_record_to_json(&doc, r), EL_OK);
	el_record_free(r);
	return doc;
}

static void test_statement_shape(void **state)
{
	json_t *doc = sample_json(), *byproducts, *usage;
	(void)state;

	assert_string_equal(json_string_value(json_object_get(doc, "_type")), "https://in-toto.io/Statement/v1");
	assert_string_equal(json_string_value(json_object_get(doc, "predicateType")), "https://slsa.dev/provenance/v1");
	/* Only the output that exists is a subject. */
	assert_string_equal(el_test_json(json_object_get(doc, "subject")),
			    "[{\"digest\":{\"sha256\":\"" HEX_C "\"},\"name\":\"model.pt\"}]");
	assert_string_equal(el_test_json(json_object_get(json_object_get(json_object_get(doc, "predicate"),
									  "buildDefinition"), "resolvedDependencies")),
			    "[{\"digest\":{\"sha256\":\"" HEX_A "\"},\"name\":\"/home/me/project/env.lock\"},"
			    "{\"annotations\":{\"dirty\":false},\"digest\":{\"gitCommit\":\"" COMMIT "\"},\"name\":\"code\"},"
			    "{\"digest\":{\"sha256\":\"" HEX_B "\"},\"name\":\"data/train\"}]");
	assert_string_equal(el_test_json(json_object_get(json_object_get(json_object_get(doc, "predicate"), "runDetails"),
							 "metadata")),
			    "{\"finishedOn\":\"2023-11-14T22:14:20.000000005Z\",\"invocationId\":"
			    "\"0123456789abcdef0123456789abcdef\",\"startedOn\":\"2023-11-14T22:13:20.123456789Z\"}");
	byproducts = json_object_get(json_object_get(json_object_get(doc, "predicate"), "runDetails"), "byproducts");
	usage = json_object_get(json_object_get(json_array_get(byproducts, 1), "annotations"), "rusage");
	/* CPU seconds are reals: compared to the microsecond, the precision a record keeps. */
	assert_true(fabs(json_real_value(json_object_get(usage, "userSeconds")) - 12.345678) < 1e-9);
	assert_true(fabs(json_real_value(json_object_get(usage, "systemSeconds")) - 1.000005) < 1e-9);
	json_object_del(usage, "userSeconds");
	json_object_del(usage, "systemSeconds");
	assert_string_equal(el_test_json(byproducts),
			    "[{\"annotations\":{\"findings\":[{\"path\":\"host.kernel\",\"severity\":\"warn\"}]},\"name\":\"drift\"},"
			    "{\"annotations\":{\"exitStatus\":0,\"missingOutputs\":[\"log.txt\"],\"rusage\":{\"maxRssKiB\":204800}},"
			    "\"name\":\"run\"}]");
	json_decref(doc);
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
	assert_string_equal(a->on_drift, b->on_drift);
	assert_int_equal(a->env_count, b->env_count);
	for (size_t i = 0; i < a->env_count; i++) {
		assert_string_equal(a->env[i].name, b->env[i].name);
		assert_string_equal(a->env[i].value, b->env[i].value);
	}
	assert_int_equal(a->mount_count, b->mount_count);
	for (size_t i = 0; i < a->mount_count; i++) {
		assert_string_equal(a->mounts[i].kind, b->mounts[i].kind);
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
	assert_true(json_equal(a->drift, b->drift));
	assert_true(json_equal(a->sandbox, b->sandbox));
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
	assert_int_equal(text[len - 1], '\n');
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
	r->on_drift = strdup("refuse");
	r->envlock_version = strdup("0.1.0");
	r->exit_status = 137;
	assert_int_equal(el_record_serialize(&text, &len, r), EL_OK);
	assert_int_equal(el_record_parse(&back, text, len, "run.json"), EL_OK);
	assert_null(back->lock_path);
	assert_null(back->lock_fingerprint);
	assert_null(back->seed);
	assert_null(back->git_commit);
	assert_int_equal(back->git_dirty, -1);
	assert_null(back->drift);
	assert_int_equal(back->exit_status, 137);
	assert_int_equal(strlen(back->invocation_id), 32);
	free(text);
	el_record_free(back);
	el_record_free(r);
}

static void test_write_refuses_bad_record(void **state)
{
	el_record *r = sample();
	json_t *doc = NULL;
	(void)state;

	free(r->on_drift);
	r->on_drift = strdup("sometimes");
	assert_int_equal(el_record_to_json(&doc, r), EL_EINVAL);
	assert_null(doc);
	assert_string_equal(el_error_last(),
			    "run record: predicate.buildDefinition.externalParameters.onDrift: not refuse, warn or ignore");
	el_record_free(r);
}

/* Serialize the sample, alter the document with edit, and expect the reader's message. */
static void expect_refused(void (*edit)(json_t *doc), const char *message)
{
	json_t *doc = sample_json();
	el_record *back = NULL;
	char *text;

	edit(doc);
	text = json_dumps(doc, JSON_SORT_KEYS);
	assert_int_equal(el_record_parse(&back, text, strlen(text), "run.json"), EL_EINVAL);
	assert_null(back);
	assert_string_equal(el_error_last(), message);
	free(text);
	json_decref(doc);
}

static json_t *pred(json_t *doc, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(doc, "predicate"), a);

	return b ? json_object_get(v, b) : v;
}

static void wrong_type(json_t *d) { json_object_set_new(d, "_type", json_string("https://in-toto.io/Statement/v0.1")); }
static void wrong_predicate(json_t *d) { json_object_set_new(d, "predicateType", json_string("https://slsa.dev/provenance/v0.2")); }
static void no_argv(json_t *d) { json_object_del(pred(d, "buildDefinition", "externalParameters"), "argv"); }
static void empty_argv(json_t *d) { json_object_set_new(pred(d, "buildDefinition", "externalParameters"), "argv", json_array()); }
static void argv_number(json_t *d) { json_array_set_new(json_object_get(pred(d, "buildDefinition", "externalParameters"), "argv"), 1, json_integer(3)); }
static void relative_workdir(json_t *d) { json_object_set_new(pred(d, "buildDefinition", "externalParameters"), "workdir", json_string("w")); }
static void bad_subject_digest(json_t *d) { json_object_set_new(json_object_get(json_array_get(json_object_get(d, "subject"), 0), "digest"), "sha256", json_string("ABC")); }
static void stranger_subject(json_t *d) { json_object_set_new(json_array_get(json_object_get(d, "subject"), 0), "name", json_string("other.pt")); }
static void unknown_member(json_t *d) { json_object_set_new(pred(d, "buildDefinition", NULL), "extra", json_true()); }
static void bad_time(json_t *d) { json_object_set_new(pred(d, "runDetails", "metadata"), "startedOn", json_string("yesterday")); }
static void bad_status(json_t *d)
{
	json_t *run = json_array_get(pred(d, "runDetails", "byproducts"), 1);

	json_object_set_new(json_object_get(run, "annotations"), "exitStatus", json_integer(300));
}
static void bad_kind(json_t *d) { json_object_set_new(json_array_get(json_object_get(pred(d, "buildDefinition", "externalParameters"), "mounts"), 0), "kind", json_string("overlay")); }
static void wrong_builder(json_t *d) { json_object_set_new(pred(d, "runDetails", "builder"), "id", json_string("urn:other")); }

static void test_refusals(void **state)
{
	(void)state;
	expect_refused(wrong_type, "run.json: not an in-toto Statement v1 (_type is \"https://in-toto.io/Statement/v0.1\")");
	expect_refused(wrong_predicate, "run.json: not SLSA Provenance v1 (predicateType is \"https://slsa.dev/provenance/v0.2\")");
	expect_refused(no_argv, "run.json: predicate.buildDefinition.externalParameters.argv: missing");
	expect_refused(empty_argv, "run.json: predicate.buildDefinition.externalParameters.argv: empty");
	expect_refused(argv_number, "run.json: predicate.buildDefinition.externalParameters.argv[1]: not a string");
	expect_refused(relative_workdir, "run.json: predicate.buildDefinition.externalParameters.workdir: not an absolute path");
	expect_refused(bad_subject_digest, "run.json: subject[0].digest: sha256: not 64 lowercase hex digits");
	expect_refused(stranger_subject, "run.json: subject[0]: name: \"other.pt\" is not one of the outputs");
	expect_refused(unknown_member, "run.json: predicate.buildDefinition: unexpected member \"extra\"");
	expect_refused(bad_time, "run.json: predicate.runDetails.metadata: startedOn: not an RFC 3339 UTC time with nanoseconds");
	expect_refused(bad_status, "run.json: predicate.runDetails.byproducts[1].annotations: exitStatus: not from 0 to 255");
	expect_refused(bad_kind, "run.json: predicate.buildDefinition.externalParameters.mounts[0]: kind: not bind, ro-bind or tmpfs");
	expect_refused(wrong_builder, "run.json: not a record of envlock exec (predicate.runDetails.builder.id is \"urn:other\")");
}

static void test_bad_text(void **state)
{
	el_record *r = NULL;
	(void)state;

	assert_int_equal(el_record_parse(&r, "", 0, "run.json"), EL_EINVAL);
	assert_string_equal(el_error_last(), "run.json:1:0: invalid JSON: '[' or '{' expected near end of file");
	assert_int_equal(el_record_parse(&r, "{\"_type\": 1, \"_type\": 2}", 24, "run.json"), EL_EINVAL);
	assert_string_equal(el_error_last(), "run.json:1:20: invalid JSON: duplicate object key near '\"_type\"'");
	assert_int_equal(el_record_parse(&r, "[]", 2, "run.json"), EL_EINVAL);
	assert_string_equal(el_error_last(), "run.json: not a JSON object");
	assert_null(r);
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_write_into_directory(void **state)
{
	const char *dir = *state;
	el_record *r = sample(), *back = NULL;
	char *first = NULL, *second = NULL;

	assert_int_equal(el_record_write(r, dir, &first), EL_OK);
	assert_int_equal(el_record_write(r, dir, &second), EL_OK);
	assert_string_not_equal(first, second);
	assert_int_equal(count_entries(dir), 2);
	assert_non_null(strstr(first, "/run-20231114T221320Z-"));
	assert_int_equal(strlen(strrchr(first, '/')), strlen("/run-20231114T221320Z-12345678.json"));
	assert_int_equal(el_record_read(&back, first), EL_OK);
	assert_same(r, back);
	free(first);
	free(second);
	el_record_free(back);
	el_record_free(r);
}

static void test_write_replaces_planted_link(void **state)
{
	const char *dir = *state;
	char *victim = el_test_path(dir, "victim"), *target = el_test_path(dir, "run.json");
	el_record *r = sample();
	struct stat st;
	char buf[16] = "";
	FILE *f;

	el_test_write(dir, "victim", "keep");
	el_test_symlink(dir, "run.json", victim);
	assert_int_equal(el_record_write(r, target, NULL), EL_OK);
	assert_int_equal(lstat(target, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	f = fopen(victim, "r");
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "keep");
	free(victim);
	free(target);
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
	assert_int_equal(count_entries(moved), 1);
	close(fd);
	free(sub);
	free(moved);
	el_record_free(r);
}

static void test_write_failure_leaves_nothing(void **state)
{
	const char *dir = *state;
	char *sub = el_test_path(dir, "ro"), *target = el_test_path(dir, "ro/run.json");
	el_record *r = sample();

	if (geteuid() == 0) {
		/* Root writes anywhere: a missing directory fails the same way. */
		free(target);
		target = el_test_path(dir, "missing/run.json");
		assert_int_equal(el_record_write(r, target, NULL), EL_ERROR);
	} else {
		assert_int_equal(mkdir(sub, 0555), 0);
		assert_int_equal(el_record_write(r, target, NULL), EL_ERROR);
		assert_int_equal(count_entries(sub), 0);
	}
	free(sub);
	free(target);
	el_record_free(r);
}

static void test_read_file_errors(void **state)
{
	const char *dir = *state;
	char *missing = el_test_path(dir, "missing.json");
	el_record *r = NULL;

	assert_int_equal(el_record_read(&r, missing), EL_ENOTFOUND);
	assert_int_equal(el_record_read(&r, dir), EL_EINVAL);
	assert_null(r);
	free(missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_statement_shape),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_minimal_round_trip),
		cmocka_unit_test(test_write_refuses_bad_record),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_bad_text),
		cmocka_unit_test_setup_teardown(test_write_into_directory, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_write_replaces_planted_link, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_write_at_held_directory, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_write_failure_leaves_nothing, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_read_file_errors, el_test_setup_tmpdir, el_test_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
