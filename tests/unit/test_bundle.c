/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/bundle: the checks on an archive's entry names, the set of names
 * unpacked, and el_unpack on archives made here (the hostile ones at
 * length: tests/integration/unpack.sh).
 */
#include "helpers.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/unpack_names.h"
#include "envlock/bundle.h"
#include "util/error.h"

static void expect_name(const char *raw, el__name_status want, const char *want_name)
{
	char *name = (char *)"untouched";
	el__name_status got = el__name_normalize(&name, raw);

	assert_int_equal(got, want);
	if (want_name) {
		assert_non_null(name);
		assert_string_equal(name, want_name);
		free(name);
	} else {
		assert_null(name);
	}
}

static void test_normalize(void **state)
{
	char *long_name = malloc(PATH_MAX + 1);

	(void)state;
	expect_name("a", EL__NAME_OK, "a");
	expect_name("a/b/c", EL__NAME_OK, "a/b/c");
	expect_name("./a//b/./c/", EL__NAME_OK, "a/b/c");
	expect_name("././a", EL__NAME_OK, "a");
	expect_name("a/", EL__NAME_OK, "a");
	expect_name("...", EL__NAME_OK, "...");
	expect_name("a/..b/c..", EL__NAME_OK, "a/..b/c..");
	expect_name(".", EL__NAME_TOP, NULL);
	expect_name("./", EL__NAME_TOP, NULL);
	expect_name(".//./", EL__NAME_TOP, NULL);
	expect_name("", EL__NAME_EMPTY, NULL);
	expect_name("/etc/passwd", EL__NAME_ABSOLUTE, NULL);
	expect_name("//x", EL__NAME_ABSOLUTE, NULL);
	expect_name("..", EL__NAME_DOTDOT, NULL);
	expect_name("../x", EL__NAME_DOTDOT, NULL);
	expect_name("a/../b", EL__NAME_DOTDOT, NULL);
	expect_name("a/..", EL__NAME_DOTDOT, NULL);
	expect_name("./..", EL__NAME_DOTDOT, NULL);
	assert_non_null(long_name);
	memset(long_name, 'a', PATH_MAX);
	long_name[PATH_MAX] = '\0';
	expect_name(long_name, EL__NAME_TOO_LONG, NULL);
	long_name[PATH_MAX - 1] = '\0';
	expect_name(long_name, EL__NAME_OK, long_name);
	free(long_name);
}

static void test_split(void **state)
{
	char *dir = NULL, *base = NULL;

	(void)state;
	assert_string_equal(el__name_split("a/b/c", &dir), "c");
	assert_string_equal(dir, "a/b");
	free(dir);
	assert_string_equal(el__name_split("top", &dir), "top");
	assert_string_equal(dir, "");
	free(dir);
	assert_int_equal(el__name_split_path("out", &dir, &base), EL_OK);
	assert_string_equal(dir, ".");
	assert_string_equal(base, "out");
	free(dir);
	free(base);
	assert_int_equal(el__name_split_path("/tmp/x/out//", &dir, &base), EL_OK);
	assert_string_equal(dir, "/tmp/x");
	assert_string_equal(base, "out");
	free(dir);
	free(base);
	assert_int_equal(el__name_split_path("/out", &dir, &base), EL_OK);
	assert_string_equal(dir, "/");
	assert_string_equal(base, "out");
	free(dir);
	free(base);
}

static void test_link_stays_inside(void **state)
{
	(void)state;
	assert_true(el__link_stays_inside("l", "x"));
	assert_true(el__link_stays_inside("l", "/etc/passwd")); /* read as inside the tree once it is a root */
	assert_true(el__link_stays_inside("a/l", "../b"));
	assert_true(el__link_stays_inside("a/b/l", "../../c"));
	assert_true(el__link_stays_inside("a/l", "./../b/./c"));
	assert_true(el__link_stays_inside("a/l", "b/../../c"));
	assert_true(el__link_stays_inside("l", "."));
	assert_false(el__link_stays_inside("l", ".."));
	assert_false(el__link_stays_inside("l", "../x"));
	assert_false(el__link_stays_inside("a/l", "../../x"));
	assert_false(el__link_stays_inside("a/l", "b/../../../x"));
	/* Climbing out and back in is still out: the path through the top's parent is what the kernel walks. */
	assert_false(el__link_stays_inside("a/l", "../../a/x"));
	assert_false(el__link_stays_inside("a/b/l", "../..//../x"));
}

static void test_name_set(void **state)
{
	el__name_set set = { 0 };
	char name[32];

	(void)state;
	assert_int_equal(el__name_find(&set, "a"), EL__NAME_NONE);
	/* Enough names to grow the table several times over. */
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "d%d/f%d", i % 97, i);
		assert_int_equal(el__name_add(&set, name, i % 2 ? EL__NAME_FILE : EL__NAME_LINK), EL_OK);
	}
	assert_int_equal(set.count, 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "d%d/f%d", i % 97, i);
		assert_int_equal(el__name_find(&set, name), i % 2 ? EL__NAME_FILE : EL__NAME_LINK);
	}
	assert_int_equal(el__name_find(&set, "d1/f0"), EL__NAME_NONE);
	/* Adding a name again sets its kind: an implied directory given its own entry. */
	assert_int_equal(el__name_add(&set, "dir", EL__NAME_IMPLIED_DIR), EL_OK);
	assert_int_equal(el__name_add(&set, "dir", EL__NAME_DIR), EL_OK);
	assert_int_equal(el__name_find(&set, "dir"), EL__NAME_DIR);
	assert_int_equal(set.count, 5001);
	el__name_set_free(&set);
	assert_int_equal(el__name_find(&set, "dir"), EL__NAME_NONE);
}

/* tar -cf of a tree made here; the archive's path (malloc'd). */
static char *make_tar(const char *dir, const char *name, const char *tar_args)
{
	char *archive = el_test_path(dir, name), cmd[8192];

	snprintf(cmd, sizeof(cmd), "tar -C '%s/src' %s -cf '%s' . 2>/dev/null", dir, tar_args, archive);
	assert_int_equal(system(cmd), 0);
	return archive;
}

static void test_unpack_tree(void **state)
{
	const char *dir = *state;
	char *archive, *out = el_test_path(dir, "out"), *file = el_test_path(dir, "out/a/b/f");
	char *link = el_test_path(dir, "out/a/l"), target[64];
	struct stat st;
	ssize_t n;

	el_test_write(dir, "src/a/b/f", "hello");
	assert_int_equal(chmod(el_test_path(dir, "src/a/b/f"), 0640), 0);
	assert_int_equal(symlink("../b", el_test_path(dir, "src/a/l")), 0);
	archive = make_tar(dir, "t.tar", "");
	assert_int_equal(el_unpack(archive, out, NULL), EL_OK);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, 5);
	n = readlink(link, target, sizeof(target) - 1);
	assert_int_equal(n, 4);
	target[n] = '\0';
	assert_string_equal(target, "../b");
	/* Into an existing, non-empty directory: refused, and it is left alone. */
	assert_int_equal(el_unpack(archive, out, NULL), EL_EINVAL);
	{
		char want[4200];

		snprintf(want, sizeof(want), "%s: exists and is not empty", out);
		assert_string_equal(el_error_last(), want);
	}
	assert_int_equal(el_test_count_entries(dir), 3); /* src, t.tar, out: nothing beside them */
	free(link);
	free(file);
	free(out);
	free(archive);
}

static void test_unpack_limits(void **state)
{
	const char *dir = *state;
	char *archive, *out = el_test_path(dir, "out"), want[4200];
	el_unpack_limits limits = { .max_entries = 3 };

	el_test_write(dir, "src/a", "1");
	el_test_write(dir, "src/b", "2");
	el_test_write(dir, "src/c", "3");
	archive = make_tar(dir, "t.tar", "");
	/* ".", a, b, c: four entries. */
	assert_int_equal(el_unpack(archive, out, &limits), EL_EINVAL);
	snprintf(want, sizeof(want), "%s: more than 3 entries (--max-entries 3)", archive);
	assert_string_equal(el_error_last(), want);
	limits.max_entries = 4;
	limits.max_bytes = 2;
	assert_int_equal(el_unpack(archive, out, &limits), EL_EINVAL);
	snprintf(want, sizeof(want), "%s: more than 2 bytes unpacked (--max-bytes 2)", archive);
	assert_string_equal(el_error_last(), want);
	/* Nothing left of either attempt. */
	assert_int_equal(el_test_count_entries(dir), 2);
	limits.max_bytes = 3;
	assert_int_equal(el_unpack(archive, out, &limits), EL_OK);
	free(out);
	free(archive);
}

/* A name deeper than 256 directories is refused; a partial tree of that depth could not be removed. */
static void test_unpack_depth(void **state)
{
	const char *dir = *state;
	char cmd[8192], *archive, *out = el_test_path(dir, "out");
	int n = snprintf(cmd, sizeof(cmd), "mkdir -p '%s/src", dir);

	for (int i = 0; i < 257; i++)
		n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, "/a");
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, "'");
	assert_int_equal(system(cmd), 0);
	archive = make_tar(dir, "t.tar", "");
	assert_int_equal(el_unpack(archive, out, NULL), EL_EINVAL);
	assert_non_null(strstr(el_error_last(), "': deeper than 256 directories"));
	assert_null(strchr(el_error_last(), '\n'));
	/* src, t.tar: nothing beside them. */
	assert_int_equal(el_test_count_entries(dir), 2);
	free(out);
	free(archive);
}

/* Directories made as parents count as entries: twenty deep names are not thousands of free directories. */
static void test_unpack_parents_count(void **state)
{
	const char *dir = *state;
	char path[1024], *archive, *out = el_test_path(dir, "out");
	el_unpack_limits limits = { .max_entries = 100 };
	int n = snprintf(path, sizeof(path), "src");

	for (int i = 0; i < 200; i++)
		n += snprintf(path + n, sizeof(path) - (size_t)n, "/d");
	snprintf(path + n, sizeof(path) - (size_t)n, "/f");
	el_test_write(dir, path, "x");
	/* Only the file in the archive: its 200 parents are made by the unpacker. */
	snprintf(path, sizeof(path), "tar -C '%s/src' -cf '%s/t.tar' --no-recursion $(cd '%s/src' && find . -type f)", dir,
		 dir, dir);
	assert_int_equal(system(path), 0);
	archive = el_test_path(dir, "t.tar");
	assert_int_equal(el_unpack(archive, out, &limits), EL_EINVAL);
	snprintf(path, sizeof(path), "%s: more than 100 entries (--max-entries 100)", archive);
	assert_string_equal(el_error_last(), path);
	free(out);
	free(archive);
}

static void test_unpack_missing_archive(void **state)
{
	const char *dir = *state;
	char *archive = el_test_path(dir, "nope.tar"), *out = el_test_path(dir, "out"), want[4200];

	assert_int_equal(el_unpack(archive, out, NULL), EL_ENOTFOUND);
	snprintf(want, sizeof(want), "%s: No such file or directory", archive);
	assert_string_equal(el_error_last(), want);
	assert_int_equal(el_test_count_entries(dir), 0);
	free(out);
	free(archive);
}

#define T(name) cmocka_unit_test_setup_teardown(name, el_test_setup_tmpdir, el_test_teardown_tmpdir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalize),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_link_stays_inside),
		cmocka_unit_test(test_name_set),
		T(test_unpack_tree),
		T(test_unpack_limits),
		T(test_unpack_missing_archive),
		T(test_unpack_depth),
		T(test_unpack_parents_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
