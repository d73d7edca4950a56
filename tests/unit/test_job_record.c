/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Slurm plugin's job record (src/slurm/job_record.c): the ranks'
 * records of one step gathered from a directory, in rank order, and the
 * reasons the ranks disagree: a missing rank, another lock, refused drift,
 * a failed rank; each node's saved capture with its fingerprint and its
 * findings against the lock; other steps' records and other files left
 * out; the file replaced without following a link planted at its name.
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
	r->workdir = strdup(dir);
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

/* The job record of job 12, step 0, of tasks ranks, judged by lock (or the ranks', else none found). */
static int write_job(const char *dir, long tasks, const char *lock, job_summary *s, char error[256])
{
	job_step step = { .dir = dir, .job = "12", .step = "0", .tasks = tasks, .lock = lock };

	return job_record_write(&step, s, error, 256);
}

/* A lock of the drift fixtures, copied into dir as name. */
static void fixture_lock(const char *dir, const char *fixture, const char *name)
{
	el_lock *lock = NULL;

	assert_int_equal(el_lock_read_file(&lock, el_test_fmt("%s/drift/%s", EL_FIXTURES, fixture)), EL_OK);
	assert_int_equal(el_lock_write_file(lock, el_test_fmt("%s/%s", dir, name)), EL_OK);
	el_lock_free(lock);
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
	fixture_lock(dir, "a.lock", "env.lock");
	fixture_lock(dir, "a.lock", "node-node1.12.0.lock");
	fixture_lock(dir, "a.lock", "node-node2.12.0.lock");
	rank_record(dir, "run-b.json", "0", "1", "node2", LOCK_A, 0, NULL);
	rank_record(dir, "run-a.json", "0", "0", "node1", LOCK_A, 0, NULL);
	rank_record(dir, "run-c.json", "1", "0", "node1", LOCK_B, 3, NULL);
	el_test_write(dir, "notes.json", "{}");
	assert_int_equal(write_job(dir, 2, NULL, &s, error), 0);
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

	fixture_lock(dir, "a.lock", "env.lock");
	fixture_lock(dir, "a.lock", "node-node1.12.0.lock");
	rank_record(dir, "run-0.json", "0", "0", "node1", LOCK_A, 0, NULL);
	rank_record(dir, "run-2.json", "0", "2", "node2", LOCK_B, 0, NULL);
	rank_record(dir, "run-3.json", "0", "3", "node2", LOCK_A, 125, "data.in");
	assert_int_equal(write_job(dir, 5, NULL, &s, error), 0);
	assert_false(s.agree);
	assert_string_equal(s.first, "node node2 saved no capture");
	doc = read_job(dir, "job-12.0.json");
	reasons = json_object_get(doc, "disagreements");
	assert_string_equal(el_test_json(reasons),
			    "[\"node node2 saved no capture\",\"rank 1 left no record\",\"rank 2 (node2) ran under another lock\","
			    "\"rank 3 (node2) found 1 finding refused\",\"rank 3 (node2) exited 125\","
			    "\"rank 4 left no record\"]");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(doc, "nodes"), "node2"),
							    "driftRefused")),
			 1);
	json_decref(doc);
}

/* A node refused by its check ran no rank: its capture says why, before the rank it left out. */
static void test_node_captures(void **state)
{
	const char *dir = *state;
	job_summary s;
	char error[256];
	json_t *doc, *nodes;
	el_lock *a = NULL, *b = NULL;

	fixture_lock(dir, "a.lock", "env.lock");
	fixture_lock(dir, "a.lock", "node-node1.12.0.lock");
	fixture_lock(dir, "b.lock", "node-node2.12.0.lock");
	/* Another step's capture, and a file that only looks like one. */
	fixture_lock(dir, "b.lock", "node-node3.12.1.lock");
	el_test_write(dir, "node-.12.0.lock", "not read");
	rank_record(dir, "run-0.json", "0", "0", "node1", LOCK_A, 0, NULL);
	assert_int_equal(write_job(dir, 2, NULL, &s, error), 0);
	assert_false(s.agree);
	assert_string_equal(s.first, "node node2 has drifted from the lock: env.TZ, gpu.cudnn, "
				     "libraries[\"libcudnn.so.9\"].sha256, ...");
	assert_string_equal(s.unlike[0], "node1");
	assert_string_equal(s.unlike[1], "node2");
	assert_int_equal(s.nodes, 2);
	doc = read_job(dir, "job-12.0.json");
	assert_string_equal(el_test_json(json_object_get(doc, "disagreements")),
			    "[\"node node2 has drifted from the lock: env.TZ, gpu.cudnn, "
			    "libraries[\\\"libcudnn.so.9\\\"].sha256, ...\",\"rank 1 left no record\"]");
	assert_true(json_is_false(json_object_get(doc, "nodesAlike")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "lock"), "path")),
			    el_test_fmt("%s/env.lock", dir));
	assert_string_equal(json_string_value(json_object_get(doc, "profile")), "default");
	assert_int_equal(el_lock_read_file(&a, EL_FIXTURES "/drift/a.lock"), EL_OK);
	assert_int_equal(el_lock_read_file(&b, EL_FIXTURES "/drift/b.lock"), EL_OK);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "lock"), "fingerprint")),
			    el_lock_stored_fingerprint(a));
	nodes = json_object_get(doc, "nodes");
	assert_int_equal(json_object_size(nodes), 2);
	assert_string_equal(el_test_json(json_object_get(nodes, "node1")),
			    el_test_fmt("{\"capture\":\"node-node1.12.0.lock\",\"driftRefused\":0,\"findings\":[],"
					"\"fingerprint\":\"%s\",\"ranks\":[0]}",
					el_lock_stored_fingerprint(a)));
	assert_string_equal(json_string_value(json_object_get(json_object_get(nodes, "node2"), "fingerprint")),
			    el_lock_stored_fingerprint(b));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(nodes, "node2"), "driftRefused")), 7);
	assert_int_equal(json_array_size(json_object_get(json_object_get(nodes, "node2"), "ranks")), 0);
	/* Each finding as check --format json gives it: the values themselves. */
	assert_string_equal(el_test_json(json_array_get(json_object_get(json_object_get(nodes, "node2"), "findings"), 2)),
			    "{\"new\":\"Europe/Paris\",\"old\":\"UTC\",\"path\":\"env.TZ\",\"severity\":\"refuse\"}");
	el_lock_free(a);
	el_lock_free(b);
	json_decref(doc);
}

/* Nodes that differ only where the profile warns or ignores agree, but are not alike. */
static void test_nodes_unlike_but_allowed(void **state)
{
	const char *dir = *state;
	job_summary s;
	char error[256];
	json_t *doc;

	el_test_write(dir, "locks/.keep", "");
	fixture_lock(dir, "a.lock", "locks/given.lock");
	fixture_lock(dir, "a.lock", "node-n1.12.0.lock");
	fixture_lock(dir, "kernel.lock", "node-n2.12.0.lock");
	rank_record(dir, "run-0.json", "0", "0", "n1", LOCK_A, 0, NULL);
	rank_record(dir, "run-1.json", "0", "1", "n2", LOCK_A, 0, NULL);
	/* The step's own lock is the one judged by, not the ranks' (none in dir here). */
	assert_int_equal(write_job(dir, 2, el_test_fmt("%s/locks/given.lock", dir), &s, error), 0);
	assert_true(s.agree);
	assert_string_equal(s.unlike[1], "n2");
	doc = read_job(dir, "job-12.0.json");
	assert_true(json_is_false(json_object_get(doc, "nodesAlike")));
	assert_true(json_is_true(json_object_get(doc, "agree")));
	assert_string_equal(el_test_json(json_object_get(json_object_get(json_object_get(doc, "nodes"), "n2"), "findings")),
			    "[{\"new\":\"0x2b000590\",\"old\":\"0x2b000571\",\"path\":\"cpu.microcode\",\"severity\":\"ignore\"},"
			    "{\"new\":\"6.1.0-21-amd64\",\"old\":\"6.1.0-18-amd64\",\"path\":\"host.kernel\",\"severity\":\"warn\"}]");
	json_decref(doc);
}

/* A capture that is not a lock, and a lock that cannot be read: said, and the record still written. */
static void test_unreadable(void **state)
{
	const char *dir = *state;
	job_summary s;
	char error[256];
	json_t *doc;

	el_test_write(dir, "node-n1.12.0.lock", "garbage");
	rank_record(dir, "run-0.json", "0", "0", "n1", LOCK_A, 0, NULL);
	assert_int_equal(write_job(dir, 1, NULL, &s, error), 0);
	assert_false(s.agree);
	doc = read_job(dir, "job-12.0.json");
	assert_string_equal(el_test_json(json_object_get(doc, "disagreements")),
			    el_test_fmt("[\"the nodes cannot be compared with the lock: %s/env.lock: No such file or directory\","
					"\"node n1: its capture cannot be read: %s/node-n1.12.0.lock:1:7: invalid JSON: "
					"'[' or '{' expected near 'garbage'\"]",
					dir, dir));
	assert_true(json_is_null(json_object_get(doc, "lock")));
	assert_true(json_is_null(json_object_get(json_object_get(json_object_get(doc, "nodes"), "n1"), "fingerprint")));
	json_decref(doc);
}

/* What the plugin wrote reads back: ranks by rank, nodes by name, files joined with the directory. */
static void test_read_back(void **state)
{
	const char *dir = *state;
	job_summary s;
	char error[256];
	el_job_record *job = NULL;
	el_lock *b = NULL;

	fixture_lock(dir, "a.lock", "env.lock");
	fixture_lock(dir, "b.lock", "node-node2.12.0.lock");
	fixture_lock(dir, "a.lock", "node-node1.12.0.lock");
	rank_record(dir, "run-1.json", "0", "1", "node2", LOCK_A, 3, NULL);
	rank_record(dir, "run-0.json", "0", "0", "node1", LOCK_A, 0, NULL);
	assert_int_equal(write_job(dir, 2, NULL, &s, error), 0);
	assert_int_equal(el_job_record_read(&job, el_test_fmt("%s/job-12.0.json", dir)), EL_OK);
	assert_string_equal(job->job, "12");
	assert_string_equal(job->step, "0");
	assert_int_equal(job->tasks, 2);
	assert_string_equal(job->lock_path, el_test_fmt("%s/env.lock", dir));
	assert_string_equal(job->profile, "default");
	assert_false(job->agree);
	assert_false(job->nodes_alike);
	assert_int_equal(job->rank_count, 2);
	assert_int_equal(job->ranks[1].rank, 1);
	assert_string_equal(job->ranks[1].node, "node2");
	assert_int_equal(job->ranks[1].exit_status, 3);
	assert_string_equal(job->ranks[0].record, el_test_fmt("%s/run-0.json", dir));
	assert_int_equal(job->node_count, 2);
	assert_string_equal(job->nodes[0].name, "node1");
	assert_string_equal(el_job_record_node(job, "node2")->capture, el_test_fmt("%s/node-node2.12.0.lock", dir));
	assert_int_equal(el_lock_read_file(&b, el_job_record_node(job, "node2")->capture), EL_OK);
	assert_string_equal(el_job_record_node(job, "node2")->fingerprint, el_lock_stored_fingerprint(b));
	assert_int_equal(el_job_record_node(job, "node2")->drift_refused, 7);
	assert_null(el_job_record_node(job, "node3"));
	el_lock_free(b);
	el_job_record_free(job);
}

/* A job record lies where the job could write: what it names stays in its directory, and its shape is checked. */
static void test_read_refusals(void **state)
{
	const char *dir = *state;
	static const char rank0[] = "{\"rank\":0,\"node\":null,\"localId\":null,\"devices\":null,\"record\":\"%s\","
				    "\"lock\":null,\"exitStatus\":0,\"driftRefused\":0,\"driftWarned\":0,\"outputs\":[]}";
	static const char doc[] = "{\"job\":\"1\",\"step\":\"0\",\"tasks\":1,\"lock\":%s,\"profile\":null,"
				  "\"ranks\":[%s],\"nodes\":{%s},\"nodesAlike\":true,\"agree\":true,\"disagreements\":[]}";
	static const struct {
		const char *lock, *ranks, *nodes, *message;
	} cases[] = {
		{ "null", "R:../run.json", "", "ranks[0].record: expected a file name of the job record's directory" },
		{ "null", "R:run.json", "\"n\":{\"ranks\":[0],\"capture\":\"/etc/passwd\",\"fingerprint\":null,"
					 "\"findings\":null,\"driftRefused\":0}",
		  "nodes.n.capture: expected a file name of the job record's directory, or null" },
		{ "\"env.lock\"", "R:run.json", "",
		  "lock: expected null or an object of two strings, path and fingerprint" },
		{ "null", "R:run.json,R:run.json", "", "ranks: rank 0 is listed after rank 0" },
	};
	el_job_record *job = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char ranks[1024] = "";
		const char *item = cases[i].ranks;

		while (item && *item) {
			const char *next = strchr(item, ',');
			char name[64];

			snprintf(name, sizeof(name), "%.*s", next ? (int)(next - item - 2) : (int)strlen(item + 2), item + 2);
			snprintf(ranks + strlen(ranks), sizeof(ranks) - strlen(ranks), "%s%s", *ranks ? "," : "",
				 el_test_fmt(rank0, name));
			item = next ? next + 1 : NULL;
		}
		el_test_write(dir, "job.json", el_test_fmt(doc, cases[i].lock, ranks, cases[i].nodes));
		el_test_assert_error(el_job_record_read(&job, el_test_fmt("%s/job.json", dir)), EL_EINVAL,
				     el_test_fmt("%s/job.json: %s", dir, cases[i].message));
		assert_null(job);
	}
	el_test_write(dir, "job.json", "{\"ranks\": []}");
	el_test_assert_error(el_job_record_read(&job, el_test_fmt("%s/job.json", dir)), EL_EINVAL,
			     el_test_fmt("%s/job.json: not a job record (srun --envlock-record writes them)", dir));
	el_test_write(dir, "job.json", "{\"job\": \"1\", \"ranks\": []}");
	el_test_assert_error(el_job_record_read(&job, el_test_fmt("%s/job.json", dir)), EL_EINVAL,
			     el_test_fmt("%s/job.json: step is missing", dir));
	el_test_assert_error(el_job_record_read(&job, el_test_fmt("%s/none.json", dir)), EL_ENOTFOUND,
			     el_test_fmt("%s/none.json: No such file or directory", dir));
}

static void test_planted_link_not_followed(void **state)
{
	const char *dir = *state;
	job_summary s;
	char error[256];
	struct stat st;

	fixture_lock(dir, "a.lock", "env.lock");
	rank_record(dir, "run-0.json", "0", "0", "node1", LOCK_A, 0, NULL);
	el_test_write(dir, "target", "keep");
	assert_int_equal(symlink(el_test_fmt("%s/target", dir), el_test_fmt("%s/job-12.0.json", dir)), 0);
	assert_int_equal(write_job(dir, 1, NULL, &s, error), 0);
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

	assert_int_equal(write_job(el_test_fmt("%s/none", dir), 1, NULL, &s, error), -1);
	assert_string_equal(error, el_test_fmt("%s/none: No such file or directory", dir));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_agree, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_disagree, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_node_captures, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_nodes_unlike_but_allowed, el_test_setup_tmpdir,
						el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_unreadable, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_read_back, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_read_refusals, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_planted_link_not_followed, el_test_setup_tmpdir,
						el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_missing_directory, el_test_setup_tmpdir, el_test_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
