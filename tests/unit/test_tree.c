/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Walking and copying a tree someone else controls (util/tree.h): exact
 * counts, what is copied and how (links as links, set-id bits dropped,
 * holes kept), what is never followed on either side, the bounds, and the
 * removal of a copy. Every tree is built at run time.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envlock/sandbox.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/tree.h"

struct fixture {
	char *dir;  /* holds src/, dst/ and outside/ */
	int src, dst;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char *p;

	assert_non_null(fx);
	fx->dir = el_test_mkdtemp();
	el_test_write(fx->dir, "outside/victim", "victim\n");
	p = el_test_path(fx->dir, "src");
	assert_int_equal(mkdir(p, 0755), 0);
	fx->src = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(p);
	p = el_test_path(fx->dir, "dst");
	assert_int_equal(mkdir(p, 0755), 0);
	fx->dst = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(p);
	assert_true(fx->src >= 0 && fx->dst >= 0);
	el_error_clear();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	close(fx->src);
	close(fx->dst);
	el_test_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

static el__tree_walk walker(void)
{
	return (el__tree_walk){ .max_entries = 1000, .max_depth = 16 };
}

/* Every path under dir (relative), one a line, sorted: "/" after a directory, "@target" after a link, "|" after a FIFO. */
static char *listing(const char *dir)
{
	char *cmd, *out = NULL;
	size_t len = 0;
	FILE *p, *m = open_memstream(&out, &len);
	char path[1024], type[8], target[1024];

	/* The test trees have no spaces in their names. */
	assert_true(asprintf(&cmd, "cd '%s' && find . -mindepth 1 -printf '%%P %%y %%l.\\n' | LC_ALL=C sort", dir) > 0);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fscanf(p, "%1023s %7s %1023s", path, type, target) == 3) {
		target[strlen(target) - 1] = '\0'; /* the '.' that keeps an empty target a field */
		fprintf(m, "%s%s%s\n", path, type[0] == 'd' ? "/" : type[0] == 'l' ? "@" : type[0] == 'p' ? "|" : "",
			type[0] == 'l' ? target : "");
	}
	pclose(p);
	fclose(m);
	free(cmd);
	return out;
}

static void assert_listing(const char *dir, const char *rel, const char *expected)
{
	char *path = el_test_path(dir, rel), *got = listing(path);

	assert_string_equal(got, expected);
	free(got);
	free(path);
}

/*
 * Counted: every non-directory; copied: regular files (bytes, mode less
 * set-id) and links (as links, to anywhere); a FIFO counted and skipped;
 * an empty directory not made (nothing goes in it); nothing outside dst.
 */
static void test_copy(void **state)
{
	struct fixture *fx = *state;
	el__tree_walk w = walker();
	char *p, *text;
	struct stat st;
	size_t len;

	el_test_write(fx->dir, "src/a/b/file", "bytes\n");
	p = el_test_path(fx->dir, "src/a/b/file");
	assert_int_equal(chmod(p, 02741), 0);
	free(p);
	el_test_symlink(fx->dir, "src/a/passwd", "/etc/passwd");
	el_test_symlink(fx->dir, "src/a/out", "../../outside");
	p = el_test_path(fx->dir, "src/fifo");
	assert_int_equal(mkfifo(p, 0644), 0);
	free(p);
	p = el_test_path(fx->dir, "src/empty");
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);

	assert_int_equal(el__tree_walk_dir(&w, fx->src, fx->dst, "x/y", "/s"), EL_OK);
	assert_int_equal(w.files, 4);
	assert_int_equal(w.kept, 3);
	assert_int_equal(w.skipped, 1);
	assert_int_equal(w.entries, 7);
	assert_false(w.too_many);
	assert_null(w.too_deep);
	assert_listing(fx->dir, "dst", "x/\nx/y/\nx/y/a/\nx/y/a/b/\nx/y/a/b/file\nx/y/a/out@../../outside\n"
				       "x/y/a/passwd@/etc/passwd\n");
	text = el_test_read(fx->dir, "dst/x/y/a/b/file", &len);
	assert_string_equal(text, "bytes\n");
	free(text);
	p = el_test_path(fx->dir, "dst/x/y/a/b/file");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0741);
	free(p);
	assert_listing(fx->dir, "outside", "victim\n");
}

/* Counting only (to = -1): the found callback sees each non-directory's path; skip leaves a subtree out. */
static int found(void *ctx, const char *path)
{
	el__buf_printf(ctx, "%s\n", path);
	return EL_OK;
}

static bool skip_b(void *ctx, const char *path)
{
	(void)ctx;
	return strcmp(path, "/s/b") == 0;
}

static void test_count_and_skip(void **state)
{
	struct fixture *fx = *state;
	el__buf seen;
	el__tree_walk w = walker();

	el_test_write(fx->dir, "src/a", "");
	el_test_write(fx->dir, "src/b/c", "");
	el_test_symlink(fx->dir, "src/l", "b");
	el__buf_init(&seen);
	w.found = found;
	w.skip = skip_b;
	w.ctx = &seen;
	assert_int_equal(el__tree_walk_dir(&w, fx->src, -1, "", "/s"), EL_OK);
	assert_int_equal(w.files, 2);
	assert_int_equal(w.kept, 0);
	assert_int_equal(w.entries, 3);
	/* readdir's order: compare as a set. */
	assert_true(strcmp(seen.data, "/s/a\n/s/l\n") == 0 || strcmp(seen.data, "/s/l\n/s/a\n") == 0);
	assert_listing(fx->dir, "dst", "");
	el__buf_free(&seen);
}

/* The bounds: entries (directories included) and depth; the first directory too deep is named. */
static void test_bounds(void **state)
{
	struct fixture *fx = *state;
	el__tree_walk w = walker();

	el_test_write(fx->dir, "src/d1/d2/d3/deep", "");
	w.max_depth = 2;
	assert_int_equal(el__tree_walk_dir(&w, fx->src, -1, "", "/s"), EL_OK);
	assert_string_equal(w.too_deep, "/s/d1/d2/d3");
	assert_int_equal(w.files, 0);
	assert_false(w.too_many);
	free(w.too_deep);

	for (int i = 0; i < 10; i++)
		el_test_write(fx->dir, el_test_fmt("src/many/%d", i), "");
	w = walker();
	w.max_entries = 5;
	assert_int_equal(el__tree_walk_dir(&w, fx->src, fx->dst, "", "/s"), EL_OK);
	assert_true(w.too_many);
	assert_int_equal(w.entries, 5);
	free(w.too_deep);
}

/*
 * What is in the way in the copy: a file or a link at a file's name is
 * replaced (its target untouched); a link where a directory goes is
 * refused, never followed.
 */
static void test_in_the_way(void **state)
{
	struct fixture *fx = *state;
	el__tree_walk w = walker();
	char *text;
	size_t len;

	el_test_write(fx->dir, "src/f", "new\n");
	el_test_write(fx->dir, "src/d/g", "new\n");
	el_test_symlink(fx->dir, "dst/f", "../outside/victim");
	el_test_symlink(fx->dir, "dst/d", "../outside");
	assert_int_equal(el__tree_walk_entry(&w, fx->src, "f", fx->dst, "", "/f"), EL_OK);
	text = el_test_read(fx->dir, "dst/f", &len);
	assert_string_equal(text, "new\n");
	free(text);
	el_test_assert_error(el__tree_walk_entry(&w, fx->src, "d", fx->dst, "", "/d"), EL_ERROR,
			     "/d/g: where its directory goes is not a directory (a link is never followed)");
	assert_listing(fx->dir, "outside", "victim\n");
	text = el_test_read(fx->dir, "outside/victim", &len);
	assert_string_equal(text, "victim\n");
	free(text);
	assert_int_equal(el__tree_walk_entry(&w, fx->src, "nosuch", fx->dst, "", "/nosuch"), EL_ENOTFOUND);
}

/*
 * A path from a record never leaves the directories it is taken from or
 * copied into: "..", ".", empty names and absolute paths are refused,
 * and nothing is written (outside/ stays as it was, dst/ stays empty).
 */
static void test_paths_stay_below(void **state)
{
	static const char *const bad[] = { "../outside", "a/../../outside", "/etc", "", "a//b", "./a", "a/.", "a/" };
	struct fixture *fx = *state;
	el_sandbox_files *f = NULL;

	el_test_write(fx->dir, "src/f", "x\n");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(el__path_stays_below(bad[i]));
	assert_true(el__path_stays_below("a"));
	assert_true(el__path_stays_below("a/b.c/..d"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		el__tree_walk w = walker();

		if (!*bad[i])
			continue; /* "" is to itself */
		assert_int_equal(el__tree_walk_entry(&w, fx->src, "f", fx->dst, bad[i], "/f"), EL_EINVAL);
	}
	el_test_assert_error(el_sandbox_keep_path(&f, fx->src, "../outside/victim", fx->dst), EL_EINVAL,
			     "../outside/victim: not a path inside the working directory");
	el_sandbox_files_free(f);
	assert_listing(fx->dir, "outside", "victim\n");
	assert_listing(fx->dir, "dst", "");
}

/* eager_dirs with keep_dir_modes: every directory made, its mode kept (the owner's bits added). */
static void test_eager_dirs(void **state)
{
	struct fixture *fx = *state;
	el__tree_walk w = walker();
	char *p = el_test_path(fx->dir, "src/empty");
	struct stat st;

	assert_int_equal(mkdir(p, 0750), 0);
	assert_int_equal(chmod(p, 0550), 0);
	free(p);
	w.eager_dirs = true;
	w.keep_dir_modes = true;
	assert_int_equal(el__tree_walk_dir(&w, fx->src, fx->dst, "", ""), EL_OK);
	p = el_test_path(fx->dir, "dst/empty");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	free(p);
}

/* A sparse file's copy is as sparse: same size and bytes, hardly any blocks. */
static void test_sparse(void **state)
{
	struct fixture *fx = *state;
	el__tree_walk w = walker();
	char *p = el_test_path(fx->dir, "src/sparse"), *q;
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	struct stat st;
	char c;

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "x", 1, 0), 1);
	assert_int_equal(pwrite(fd, "y", 1, 1L << 33), 1);
	close(fd);
	free(p);
	assert_int_equal(el__tree_walk_dir(&w, fx->src, fx->dst, "", ""), EL_OK);
	q = el_test_path(fx->dir, "dst/sparse");
	assert_int_equal(stat(q, &st), 0);
	assert_int_equal(st.st_size, (1L << 33) + 1);
	assert_true(st.st_blocks < 1024);
	fd = open(q, O_RDONLY | O_CLOEXEC);
	assert_int_equal(pread(fd, &c, 1, 1L << 33), 1);
	assert_int_equal(c, 'y');
	close(fd);
	free(q);
}

/* Removal empties and removes the tree, a link to a directory removed as a link. */
static void test_remove(void **state)
{
	struct fixture *fx = *state;

	el_test_write(fx->dir, "dst/t/a/b/c", "");
	el_test_symlink(fx->dir, "dst/t/a/out", "../../../outside");
	assert_int_equal(el__tree_remove(fx->dst, "t"), EL_OK);
	assert_listing(fx->dir, "dst", "");
	assert_listing(fx->dir, "outside", "victim\n");
	assert_int_equal(el__tree_remove(fx->dst, "t"), EL_OK); /* gone already */
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_copy),   TEST(test_count_and_skip), TEST(test_bounds), TEST(test_in_the_way),
		TEST(test_eager_dirs), TEST(test_sparse),      TEST(test_remove), TEST(test_paths_stay_below),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
