/* SPDX-License-Identifier: Apache-2.0 */
/* src/util/cpus.c: the CPUs a run may use, on fixture roots and on this machine. */
#include "helpers.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/error.h"
#include "util/cpus.h"

/* A status file whose mask is list, as the kernel writes it (other lines around). */
static void mask(const char *root, const char *list)
{
	char text[512];

	snprintf(text, sizeof(text), "Name:\tpython3\nCpus_allowed:\tff\nCpus_allowed_list:\t%s\nMems_allowed_list:\t0\n",
		 list);
	el_test_write(root, "proc/self/status", text);
}

static unsigned usable(const char *root, unsigned limit)
{
	unsigned n = 0;
	int rc = el__cpus_usable(&n, root, limit);

	if (rc != EL_OK)
		fail_msg("el__cpus_usable: %s", el_error_last());
	return n;
}

/* Expect failure code with the message "<root>/<rel><suffix>". */
static void expect_error(const char *root, int code, const char *rel, const char *suffix)
{
	unsigned n = 99;

	el_test_assert_error(el__cpus_usable(&n, root, 0), code, el_test_fmt("%s/%s%s", root, rel, suffix));
	assert_int_equal(n, 0);
}

/* The mask alone: ranges and single CPUs counted; no cgroup file is no quota. */
static void test_mask(void **state)
{
	const char *root = *state;

	mask(root, "0-3,8,10-11");
	assert_int_equal(usable(root, 0), 7);
	mask(root, "5");
	assert_int_equal(usable(root, 0), 1);
	mask(root, "0-4095");
	assert_int_equal(usable(root, 0), 4096);
}

/* The profile's cpus N lowers the count, never raises it. */
static void test_limit(void **state)
{
	const char *root = *state;

	mask(root, "0-7");
	assert_int_equal(usable(root, 3), 3);
	assert_int_equal(usable(root, 8), 8);
	assert_int_equal(usable(root, 64), 8);
}

/* A quota on the process's own cgroup: rounded up, 1.5 periods keep two CPUs busy. */
static void test_quota_own_cgroup(void **state)
{
	const char *root = *state;

	mask(root, "0-7");
	el_test_write(root, "proc/self/cgroup", "0::/system.slice/train.service\n");
	el_test_write(root, "sys/fs/cgroup/system.slice/train.service/cpu.max", "150000 100000\n");
	assert_int_equal(usable(root, 0), 2);
	/* cpus N below the quota wins. */
	assert_int_equal(usable(root, 1), 1);
	el_test_write(root, "sys/fs/cgroup/system.slice/train.service/cpu.max", "1000 100000\n");
	assert_int_equal(usable(root, 0), 1);
	/* A quota above the mask leaves the mask. */
	el_test_write(root, "sys/fs/cgroup/system.slice/train.service/cpu.max", "1600000 100000\n");
	assert_int_equal(usable(root, 0), 8);
	el_test_write(root, "sys/fs/cgroup/system.slice/train.service/cpu.max", "max 100000\n");
	assert_int_equal(usable(root, 0), 8);
	/* The kernel ends the line; a fixture written without the newline reads the same. */
	el_test_write(root, "sys/fs/cgroup/system.slice/train.service/cpu.max", "250000 100000");
	assert_int_equal(usable(root, 0), 3);
}

/* A quota on an ancestor binds its children: the tightest one on the way up counts. */
static void test_quota_ancestor(void **state)
{
	const char *root = *state;

	mask(root, "0-15");
	el_test_write(root, "proc/self/cgroup", "0::/kubepods/pod1/ctr\n");
	el_test_write(root, "sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "800000 100000\n");
	el_test_write(root, "sys/fs/cgroup/kubepods/pod1/cpu.max", "400000 100000\n");
	el_test_write(root, "sys/fs/cgroup/kubepods/cpu.max", "max 100000\n");
	assert_int_equal(usable(root, 0), 4);
	/* Inside a cgroup namespace the job's cgroup is "/", and its cpu.max is the mount's own. */
	el_test_write(root, "proc/self/cgroup", "0::/\n");
	el_test_write(root, "sys/fs/cgroup/cpu.max", "300000 100000\n");
	assert_int_equal(usable(root, 0), 3);
}

/*
 * No unified hierarchy (cgroup v1 lines only), or a cgroup outside this
 * namespace's view: no cpu.max of ours to read, so the mask alone.
 */
static void test_no_cgroup_v2(void **state)
{
	const char *root = *state;

	mask(root, "0-7");
	el_test_write(root, "sys/fs/cgroup/cpu.max", "100000 100000\n");
	el_test_write(root, "sys/fs/cgroup/job/cpu.max", "100000 100000\n");
	el_test_write(root, "proc/self/cgroup", "4:cpu,cpuacct:/job\n1:name=systemd:/job\n");
	assert_int_equal(usable(root, 0), 8);
	el_test_write(root, "proc/self/cgroup", "0::/../../job\n");
	assert_int_equal(usable(root, 0), 8);
	el_test_write(root, "proc/self/cgroup", "0::job\n");
	assert_int_equal(usable(root, 0), 8);
	/* The unified line among v1 ones is found. */
	el_test_write(root, "proc/self/cgroup", "4:cpu,cpuacct:/other\n0::/job\n");
	assert_int_equal(usable(root, 0), 1);
}

/* A fixture without proc/self/status, or without the mask in it. */
static void test_mask_missing(void **state)
{
	const char *root = *state;

	expect_error(root, EL_ENOTFOUND, "proc/self/status", ": No such file or directory");
	el_test_write(root, "proc/self/status", "Name:\tpython3\nCpus_allowed:\tff\n");
	expect_error(root, EL_EINVAL, "proc/self/status", ": no Cpus_allowed_list line");
}

/* A list the kernel would not write. */
static void test_mask_garbled(void **state)
{
	static const char *const bad[] = { "", "3-1", "0-", "-1", "0,,1", "0,", ",0", "a", "0-3 x", "0;1",
					   "0-99999999999999999999", "4194305" };
	const char *root = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mask(root, bad[i]);
		expect_error(root, EL_EINVAL, "proc/self/status", ": Cpus_allowed_list is not a list of CPUs");
	}
}

/* A cpu.max that is not "max PERIOD" or "QUOTA PERIOD" names the file. */
static void test_quota_garbled(void **state)
{
	static const char *const bad[] = { "", "\n", "max\n", "max 0\n", "0 100000\n", "150000\n", "150000 0\n",
					   "150000  100000\n", "x 100000\n", "150000 100000 7\n", "150000 100000\n\n",
					   "-1 100000\n", "99999999999999999999 100000\n" };
	const char *root = *state;

	mask(root, "0-7");
	el_test_write(root, "proc/self/cgroup", "0::/job\n");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		el_test_write(root, "sys/fs/cgroup/job/cpu.max", bad[i]);
		expect_error(root, EL_EINVAL, "sys/fs/cgroup/job/cpu.max",
			     ": not a CPU quota ('max PERIOD' or 'QUOTA PERIOD')");
	}
}

/* This machine: the affinity mask sched_getaffinity gives, at most the limit. */
static void test_host(void **state)
{
	cpu_set_t set;
	unsigned n = 0;

	assert_int_equal(sched_getaffinity(0, sizeof(set), &set), 0);
	assert_int_equal(el__cpus_usable(&n, "", 0), EL_OK);
	assert_true(n >= 1);
	assert_true(n <= (unsigned)CPU_COUNT(&set));
	assert_int_equal(el__cpus_usable(&n, "/", 1), EL_OK);
	assert_int_equal(n, 1);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, el_test_setup_tmpdir, el_test_teardown_tmpdir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_mask),
		TEST(test_limit),
		TEST(test_quota_own_cgroup),
		TEST(test_quota_ancestor),
		TEST(test_no_cgroup_v2),
		TEST(test_mask_missing),
		TEST(test_mask_garbled),
		TEST(test_quota_garbled),
		TEST(test_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
