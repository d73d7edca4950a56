/*
 * The Slurm plugin's job record (src/slurm/job_record.c): the ranks'
 * records of one step gathered from a directory, in rank order, and the
 * reasons the ranks disagree: a missing rank, another lock, refused drift,
 * a failed rank; other steps' records and other files left out; the file
 * replaced without following a link planted at its name.
 */
#include "helpers.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envlock/envlock.h"
#include "record/record_internal.h"
#include "slurm/job_record.h"

#define LOCK_A "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define LOCK_B "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static el_record_pair pair(const char *name, const char *value)
{
	el_record_pair p = { strdup(name), strdup(value) };
	return p;
}

/* A rank's record of job 12, step `step`, written into dir as name. */
static void rank_record(const char *dir, const char *name, const char *step, const char *rank, const char *node,
			const char *lock, int status, const char *refused_path)
{
	el_record *r = el_record_new();
	char *written = NULL;

	r->argv = calloc(2, sizeof(char *));
	r->argv[0] = strdup("train");
	r->argc = 1;
	r->workdir = strdup("/w");
	r->profile = strdup("distributed");
	r->envlock_version = strdup("0.1.0");
	r->lock_path = strdup("env.lock");
	r->lock_fingerprint = strdup(lock);
	r->exit_status = status;
	r->drift = el__record_drift_wrap(
		refused_path ? json_pack("[{s:s,s:s,s:s,s:s,s:s,s:s}]", "path", refused_path, "section", "data", "change",
					 "changed", "severity", "refuse", "old", "a", "new", "b")
			     : json_array());
	r->launcher = calloc(5, sizeof(*r->launcher));
	r->launcher[0] = pair("SLURMD_NODENAME", node);
	r->launcher[1] = pair("SLURM_JOB_ID", "12");
	r->launcher[2] = pair("SLURM_LOCALID", "0");
	r->launcher[3] = pair("SLURM_PROCID", rank);
	r->launcher[4] = pair("SLURM_STEP_ID", step);
	r->launcher_count = 5;
	assert_int_equal(el_record_write(r, el_test_fmt("%s/%s", dir, name), &written), EL_OK);
	free(written);
	el_record_free(r);
}

static json_t *read_job(const char *dir, const char *name)
{
	json_error_t e;
	json_t *doc = json_load_file(el_test_fmt("%s/%s", dir, name), 0, &e);

	assert_non_null(doc);
	return doc;
}

static void test_agree(void **state)
{
	const char *dir = *state;
	job_summary s;
	char error[256];
	json_t *doc, *ranks;

	/* Listed in any order; another step's record and a file that is no record are left out. */
	rank_record(dir, "run-b.json", "0", "1", "node2", LOCK_A, 0, NULL);
	rank_record(dir, "run-a.json", "0", "0", "node1", LOCK_A, 0, NULL);
	rank_record(dir, "run-c.json", "1", "0", "node1", LOCK_B, 3, NULL);
	el_test_write(dir, "notes.json", "{}");
	assert_int_equal(job_record_write(dir, "12", "0", 2, &s, error, sizeof(error)), 0);
	assert_true(s.agree);
	assert_int_equal(s.ranks, 2);
	assert_int_equal(s.nodes, 2);
	assert_string_equal(s.first, "");
	doc = read_job(dir, "job-12.0.json");
	ranks = json_object_get(doc, "ranks");
	assert_int_equal(json_array_size(ranks), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ranks, 0), "record")), "run-a.json");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ranks, 1), "node")), "node2");
	assert_true(json_is_null(json_object_get(json_array_get(ranks, 1), "devices")));
	assert_true(json_is_true(json_object_get(doc, "agree")));
	assert_int_equal(json_array_size(json_object_get(json_object_get(json_object_get(doc, "nodes"), "node1"), "ranks")), 1);
	json_decref(doc);
}

static void test_disagree(void **state)
{
	const char *dir = *state;
	job_summary s;
	char error[256];
	json_t *doc, *reasons;

	rank_record(dir, "run-0.json", "0", "0", "node1", LOCK_A, 0, NULL);
	rank_record(dir, "run-2.json", "0", "2", "node2", LOCK_B, 0, NULL);
	rank_record(dir, "run-3.json", "0", "3", "node2", LOCK_A, 125, "data.in");
	assert_int_equal(job_record_write(dir, "12", "0", 5, &s, error, sizeof(error)), 0);
	assert_false(s.agree);
	assert_string_equal(s.first, "rank 1 left no record");
	doc = read_job(dir, "job-12.0.json");
	reasons = json_object_get(doc, "disagreements");
	assert_string_equal(el_test_json(reasons),
			    "[\"rank 1 left no record\",\"rank 2 (node2) ran under another lock\","
			    "\"rank 3 (node2) found 1 finding refused\",\"rank 3 (node2) exited 125\","
			    "\"rank 4 left no record\"]");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(doc, "nodes"), "node2"),
							    "driftRefused")),
			 1);
	json_decref(doc);
}

static void test_planted_link_not_followed(void **state)
{
	const char *dir = *state;
	job_summary s;
	char error[256];
	struct stat st;

	rank_record(dir, "run-0.json", "0", "0", "node1", LOCK_A, 0, NULL);
	el_test_write(dir, "target", "keep");
	assert_int_equal(symlink(el_test_fmt("%s/target", dir), el_test_fmt("%s/job-12.0.json", dir)), 0);
	assert_int_equal(job_record_write(dir, "12", "0", 1, &s, error, sizeof(error)), 0);
	assert_int_equal(lstat(el_test_fmt("%s/job-12.0.json", dir), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	{
		char *kept = el_test_read(dir, "target", NULL);

		assert_string_equal(kept, "keep");
		free(kept);
	}
}

static void test_missing_directory(void **state)
{
	const char *dir = *state;
	job_summary s;
	char error[256];

	assert_int_equal(job_record_write(el_test_fmt("%s/none", dir), "12", "0", 1, &s, error, sizeof(error)), -1);
	assert_string_equal(error, el_test_fmt("%s/none: No such file or directory", dir));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_agree, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_disagree, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_planted_link_not_followed, el_test_setup_tmpdir,
						el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_missing_directory, el_test_setup_tmpdir, el_test_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
