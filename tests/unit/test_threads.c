/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The thread count (src/probe/system/threads.c) and its pins in env
 * (src/probe/system/env.c), on fixture roots: what a capture records, and what
 * the re-capture of check and exec records against a lock.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/error.h"
#include "envlock/lock.h"
#include "envlock/profile.h"
#include "lock/lock_internal.h"

struct result {
	char threads[32]; /* the recorded count, or "absent" */
	unsigned pinned;  /* ctx->threads */
	char env[1024];
	char warnings[1024];
};

/* A root whose runs may use list's CPUs. */
static void cpus(const char *root, const char *list)
{
	char text[256];

	snprintf(text, sizeof(text), "Name:\tenvlock\nCpus_allowed_list:\t%s\n", list);
	el_test_write(root, "proc/self/status", text);
}

static el_lock *lock_of(const char *json)
{
	json_error_t jerr;
	json_t *doc = json_loads(json, 0, &jerr);

	if (!doc)
		fail_msg("bad test JSON: %s", jerr.text);
	return el__lock_wrap(doc);
}

/* Run the threads probe, then env, as capture does: with profile_text and (JSON or NULL) the lock checked. */
static void run(struct result *r, const char *root, const char *profile_text, const char *checked)
{
	el_profile *profile = NULL;
	el_lock *lock = checked ? lock_of(checked) : NULL;
	el__probe_ctx ctx;
	json_t *threads = NULL, *env = NULL;
	int rc;

	if (el_profile_parse(&profile, "t", "t", profile_text, strlen(profile_text)) != EL_OK)
		fail_msg("profile refused: %s", el_error_last());
	el_test_ctx_init(&ctx, root);
	ctx.profile = profile;
	ctx.checking = lock;
	rc = el__probe_threads(&ctx, &threads);
	if (rc == EL__PROBE_ABSENT) {
		assert_null(threads);
		snprintf(r->threads, sizeof(r->threads), "absent");
	} else {
		assert_int_equal(rc, EL_OK);
		snprintf(r->threads, sizeof(r->threads), "%s", el_test_json(threads));
	}
	r->pinned = ctx.threads;
	assert_int_equal(el__probe_env(&ctx, &env), EL_OK);
	snprintf(r->env, sizeof(r->env), "%s", el_test_json(env));
	snprintf(r->warnings, sizeof(r->warnings), "%s", el_test_warnings(&ctx));
	json_decref(threads);
	json_decref(env);
	el_test_ctx_release(&ctx);
	el_lock_free(lock);
	el_profile_free(profile);
}

#define PINS(n) "\"MKL_NUM_THREADS\":\"" n "\",\"OMP_NUM_THREADS\":\"" n "\",\"OPENBLAS_NUM_THREADS\":\"" n "\""

/* auto: the CPUs a run may use, recorded and pinned. */
static void test_auto(void **state)
{
	const char *root = *state;
	struct result r;

	cpus(root, "0-7");
	run(&r, root, "threads auto\nsetenv TZ UTC\n", NULL);
	assert_string_equal(r.threads, "8");
	assert_int_equal(r.pinned, 8);
	assert_string_equal(r.env, "{" PINS("8") ",\"TZ\":\"UTC\"}");
	assert_string_equal(r.warnings, "");
	/* With a quota and cpus N: the smallest. */
	el_test_write(root, "proc/self/cgroup", "0::/job\n");
	el_test_write(root, "sys/fs/cgroup/job/cpu.max", "600000 100000\n");
	run(&r, root, "", NULL);
	assert_string_equal(r.threads, "6");
	assert_string_equal(r.env, "{" PINS("6") "}");
	run(&r, root, "cpus 2\n", NULL);
	assert_string_equal(r.threads, "2");
	assert_string_equal(r.env, "{" PINS("2") "}");
}

/* setenv wins over the count (and is locked as written); keepenv takes the variable out of env. */
static void test_setenv_and_keepenv_win(void **state)
{
	const char *root = *state;
	struct result r;

	cpus(root, "0-3");
	run(&r, root, "setenv MKL_NUM_THREADS 1\nkeepenv OPENBLAS_NUM_THREADS\n", NULL);
	assert_string_equal(r.threads, "4");
	assert_string_equal(r.env, "{\"MKL_NUM_THREADS\":\"1\",\"OMP_NUM_THREADS\":\"4\"}");
}

/* threads N pins N; more than a run here may use is said, not refused. */
static void test_fixed(void **state)
{
	const char *root = *state;
	struct result r;

	cpus(root, "0-3");
	run(&r, root, "threads 2\n", NULL);
	assert_string_equal(r.threads, "2");
	assert_string_equal(r.env, "{" PINS("2") "}");
	assert_string_equal(r.warnings, "");
	run(&r, root, "threads 16\n", NULL);
	assert_string_equal(r.threads, "16");
	assert_string_equal(r.env, "{" PINS("16") "}");
	assert_string_equal(r.warnings, "threads: threads 16: a run here may use 4 CPUs, which the 16 threads will share\n");
}

/*
 * Checking a lock under auto: its count is pinned, whatever this machine
 * has, so env does not drift; the count recorded is the lock's where a
 * run here may use that many CPUs, else this machine's smaller number.
 */
static void test_checked_lock(void **state)
{
	const char *root = *state;
	struct result r;

	cpus(root, "0-3");
	run(&r, root, "", "{\"envlock\":1,\"threads\":2}");
	assert_string_equal(r.threads, "2");
	assert_string_equal(r.env, "{" PINS("2") "}");
	run(&r, root, "", "{\"envlock\":1,\"threads\":4}");
	assert_string_equal(r.threads, "4");
	assert_string_equal(r.env, "{" PINS("4") "}");
	run(&r, root, "", "{\"envlock\":1,\"threads\":64}");
	assert_string_equal(r.threads, "4");
	assert_int_equal(r.pinned, 64);
	assert_string_equal(r.env, "{" PINS("64") "}");
	assert_string_equal(r.warnings, "");
}

/* A lock without a count (an older envlock's) is checked with this machine's. */
static void test_checked_lock_without_threads(void **state)
{
	const char *root = *state;
	struct result r;

	cpus(root, "0-3");
	run(&r, root, "", "{\"envlock\":1,\"env\":{\"OMP_NUM_THREADS\":\"1\"}}");
	assert_string_equal(r.threads, "4");
	assert_string_equal(r.env, "{" PINS("4") "}");
}

/* The profile's threads N is its own word: pinned even against a lock with another count. */
static void test_checked_lock_fixed_profile(void **state)
{
	const char *root = *state;
	struct result r;

	cpus(root, "0-3");
	run(&r, root, "threads 2\n", "{\"envlock\":1,\"threads\":64}");
	assert_string_equal(r.threads, "2");
	assert_string_equal(r.env, "{" PINS("2") "}");
	run(&r, root, "threads 8\n", "{\"envlock\":1,\"threads\":8}");
	assert_string_equal(r.threads, "4");
	assert_string_equal(r.env, "{" PINS("8") "}");
	assert_string_equal(r.warnings, "");
}

/*
 * A tree that does not tell its CPUs: auto pins nothing and says so; a
 * count from the profile or the lock is pinned all the same.
 */
static void test_unknown_cpus(void **state)
{
	const char *root = *state;
	const char *why = el_test_fmt("%s/proc/self/status: No such file or directory", root);
	struct result r;

	run(&r, root, "setenv TZ UTC\n", NULL);
	assert_string_equal(r.threads, "absent");
	assert_int_equal(r.pinned, 0);
	assert_string_equal(r.env, "{\"TZ\":\"UTC\"}");
	assert_string_equal(r.warnings, el_test_fmt("threads: cannot tell how many CPUs a run may use (%s), so "
						    "OMP_NUM_THREADS, MKL_NUM_THREADS and OPENBLAS_NUM_THREADS are "
						    "left unpinned\n", why));
	run(&r, root, "", "{\"envlock\":1,\"threads\":8}");
	assert_string_equal(r.threads, "8");
	assert_string_equal(r.env, "{" PINS("8") "}");
	assert_string_equal(r.warnings, el_test_fmt("threads: cannot tell how many CPUs a run may use (%s); 8 "
						    "threads pinned all the same\n", why));
	run(&r, root, "threads 3\n", NULL);
	assert_string_equal(r.threads, "3");
	assert_string_equal(r.env, "{" PINS("3") "}");
}

/* A lock's count outside what "threads N" takes (a lock built in memory) is no count. */
static void test_checked_lock_out_of_range(void **state)
{
	const char *root = *state;
	struct result r;

	cpus(root, "0-3");
	run(&r, root, "", "{\"envlock\":1,\"threads\":0}");
	assert_string_equal(r.threads, "4");
	run(&r, root, "", "{\"envlock\":1,\"threads\":4097}");
	assert_string_equal(r.threads, "4");
	run(&r, root, "", "{\"envlock\":1,\"threads\":\"8\"}");
	assert_string_equal(r.threads, "4");
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, el_test_setup_tmpdir, el_test_teardown_tmpdir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_auto),
		TEST(test_setenv_and_keepenv_win),
		TEST(test_fixed),
		TEST(test_checked_lock),
		TEST(test_checked_lock_without_threads),
		TEST(test_checked_lock_fixed_profile),
		TEST(test_unknown_cpus),
		TEST(test_checked_lock_out_of_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
