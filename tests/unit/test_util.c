/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/util: buffers, file helpers, atomic writes, SHA-256, the stat cache,
 * error messages and running programs.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/atomic_file.h"
#include "util/buf.h"
#include "util/cache.h"
#include "util/direct_url.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/random.h"
#include "util/run.h"
#include "util/sha256.h"
#include "util/text.h"

#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


/* ---- buf.c ---- */

static void test_buf_init_is_empty_string(void **state)
{
	el__buf b;

	el__buf_init(&b);
	assert_non_null(b.data);
	assert_string_equal(b.data, "");
	assert_int_equal(b.len, 0);
	assert_false(el__buf_failed(&b));
	el__buf_free(&b);
}

static void test_buf_growth_keeps_bytes_and_terminator(void **state)
{
	el__buf b;
	char expect[10000];

	el__buf_init(&b);
	for (size_t i = 0; i < sizeof(expect); i++) {
		expect[i] = (char)('a' + i % 26);
		el__buf_putc(&b, expect[i]);
		assert_int_equal(b.len, i + 1);
		assert_int_equal(b.data[b.len], '\0');
		assert_true(b.cap > b.len);
	}
	assert_memory_equal(b.data, expect, sizeof(expect));
	/* Embedded NUL bytes are data, not terminators. */
	el__buf_add(&b, "x\0y", 3);
	assert_int_equal(b.len, sizeof(expect) + 3);
	assert_memory_equal(b.data + sizeof(expect), "x\0y", 4);
	el__buf_free(&b);
	assert_string_equal(b.data, "");
	assert_int_equal(b.len, 0);
}

static void test_buf_printf_appends(void **state)
{
	el__buf b;
	char big[300];

	el__buf_init(&b);
	el__buf_puts(&b, "n=");
	el__buf_printf(&b, "%d, s=%s", 42, "x");
	assert_string_equal(b.data, "n=42, s=x");
	assert_int_equal(b.len, 9);
	/* Longer than the first allocation: printf itself has to grow. */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	el__buf_printf(&b, "[%s]", big);
	assert_int_equal(b.len, 9 + 2 + 299);
	assert_int_equal(b.data[9], '[');
	assert_int_equal(b.data[9 + 1 + 298], 'z');
	assert_int_equal(b.data[b.len - 1], ']');
	assert_int_equal(b.data[b.len], '\0');
	el__buf_printf(&b, "%s", "");
	assert_int_equal(b.len, 310);
	el__buf_free(&b);
}

static void test_buf_reset_keeps_buffer_usable(void **state)
{
	el__buf b;

	el__buf_init(&b);
	el__buf_puts(&b, "abc");
	el__buf_reset(&b);
	assert_string_equal(b.data, "");
	assert_int_equal(b.len, 0);
	el__buf_puts(&b, "de");
	assert_string_equal(b.data, "de");
	el__buf_free(&b);
	/* Reset of a never-allocated buffer must not write to shared storage. */
	el__buf_reset(&b);
	assert_string_equal(b.data, "");
}

static void test_buf_detach(void **state)
{
	el__buf b;
	size_t len = 99;
	char *s;

	el__buf_init(&b);
	el__buf_puts(&b, "hello");
	s = el__buf_detach(&b, &len);
	assert_string_equal(s, "hello");
	assert_int_equal(len, 5);
	/* The buffer is empty again and no longer owns s. */
	assert_string_equal(b.data, "");
	assert_int_equal(b.len, 0);
	el__buf_puts(&b, "other");
	assert_string_equal(s, "hello");
	free(s);
	el__buf_free(&b);

	/* An empty buffer detaches to a freeable "". */
	el__buf_init(&b);
	s = el__buf_detach(&b, &len);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
	s = el__buf_detach(&b, NULL);
	free(s);
}

static void test_buf_failed_is_sticky(void **state)
{
	el__buf b;
	char dummy = 'q';

	el__buf_init(&b);
	el__buf_puts(&b, "keep");
	/* A length no allocation can satisfy marks the buffer failed... */
	el__buf_add(&b, &dummy, (size_t)-1 / 2 + 1);
	assert_true(el__buf_failed(&b));
	assert_string_equal(b.data, "keep");
	assert_int_equal(b.len, 4);
	/* ...and every later append is ignored, so callers check once. */
	el__buf_puts(&b, "more");
	el__buf_putc(&b, 'c');
	el__buf_printf(&b, "%d", 7);
	el__buf_add(&b, "xy", 2);
	assert_true(el__buf_failed(&b));
	assert_string_equal(b.data, "keep");
	assert_int_equal(b.len, 4);
	/* Freeing leaves an empty, reusable buffer that has not failed. */
	el__buf_free(&b);
	assert_false(el__buf_failed(&b));
	el__buf_puts(&b, "ok");
	assert_string_equal(b.data, "ok");
	/* Reset starts over too. */
	el__buf_add(&b, &dummy, (size_t)-1);
	assert_true(el__buf_failed(&b));
	el__buf_reset(&b);
	assert_false(el__buf_failed(&b));
	el__buf_puts(&b, "again");
	assert_string_equal(b.data, "again");
	el__buf_free(&b);
}

/* ---- fs.c ---- */

static void test_read_file_exact_bytes(void **state)
{
	const char *dir = *state;
	char *path = el_test_path(dir, "data");
	el__buf b;

	el_test_write_bytes(dir, "data", "a\0b\nc", 5);
	el__buf_init(&b);
	el__buf_puts(&b, "old content that must go");
	assert_int_equal(el__read_file(&b, path, 100, false), EL_OK);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "a\0b\nc", 6);
	/* An empty file reads as "". */
	el_test_write(dir, "empty", "");
	free(path);
	path = el_test_path(dir, "empty");
	assert_int_equal(el__read_file(&b, path, 100, true), EL_OK);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	el__buf_free(&b);
	free(path);
}

static void test_read_file_missing(void **state)
{
	const char *dir = *state;
	char *path = el_test_path(dir, "missing");
	char *under_file = el_test_path(dir, "file/x");
	el__buf b;

	el__buf_init(&b);
	el_test_assert_error(el__read_file(&b, path, 100, false), EL_ENOTFOUND,
		     el_test_fmt("%s: No such file or directory", path));
	/* A path through a regular file is "not found" too. */
	el_test_write(dir, "file", "x");
	el_test_assert_error(el__read_file(&b, under_file, 100, false), EL_ENOTFOUND,
		     el_test_fmt("%s: Not a directory", under_file));
	el__buf_free(&b);
	free(path);
	free(under_file);
}

static void test_read_file_max_size(void **state)
{
	const char *dir = *state;
	char *path = el_test_path(dir, "ten");
	el__buf b;

	el_test_write(dir, "ten", "0123456789");
	el__buf_init(&b);
	assert_int_equal(el__read_file(&b, path, 10, false), EL_OK);
	assert_string_equal(b.data, "0123456789");
	el_test_assert_error(el__read_file(&b, path, 9, false), EL_EINVAL, el_test_fmt("%s: larger than 9 bytes", path));
	el__buf_free(&b);
	free(path);
}

/* Larger than any one read; and a /proc file, which says size 0 and comes a page at a time. */
static void test_read_file_large_and_proc(void **state)
{
	const char *dir = *state;
	char *path = el_test_path(dir, "big");
	size_t size = 200000;
	char *text = malloc(size + 1);
	el__buf b;

	for (size_t i = 0; i < size; i++)
		text[i] = (char)('a' + i % 26);
	text[size] = '\0';
	el_test_write(dir, "big", text);
	el__buf_init(&b);
	assert_int_equal(el__read_file(&b, path, size, false), EL_OK);
	assert_int_equal(b.len, size);
	assert_memory_equal(b.data, text, size);
	el_test_assert_error(el__read_file(&b, path, size - 1, false), EL_EINVAL,
		     el_test_fmt("%s: larger than %zu bytes", path, size - 1));

	assert_int_equal(el__read_file(&b, "/proc/self/smaps", 1 << 24, false), EL_OK);
	assert_true(b.len > 8192);
	assert_int_equal(b.data[b.len - 1], '\n');
	assert_non_null(strstr(b.data, "[stack]"));
	el__buf_free(&b);
	free(text);
	free(path);
}

static void test_read_file_nofollow(void **state)
{
	const char *dir = *state;
	char *link = el_test_path(dir, "link");
	el__buf b;

	el_test_write(dir, "target", "through the link");
	el_test_symlink(dir, "link", "target");
	el__buf_init(&b);
	el_test_assert_error(el__read_file(&b, link, 100, true), EL_ERROR,
		     el_test_fmt("%s: Too many levels of symbolic links", link));
	assert_int_equal(el__read_file(&b, link, 100, false), EL_OK);
	assert_string_equal(b.data, "through the link");
	el__buf_free(&b);
	free(link);
}

/* A FIFO or a directory where a file was expected: refused at once, never read. */
static void test_read_file_not_regular(void **state)
{
	const char *dir = *state;
	char *fifo = el_test_path(dir, "fifo");
	el__buf b;

	assert_int_equal(mkfifo(fifo, 0600), 0);
	el__buf_init(&b);
	/* Nobody writes to the FIFO: a blocking open would hang here forever. */
	el_test_assert_error(el__read_file(&b, fifo, 100, false), EL_EINVAL, el_test_fmt("%s: not a regular file", fifo));
	el_test_assert_error(el__read_file(&b, dir, 100, false), EL_EINVAL, el_test_fmt("%s: not a regular file", dir));
	el__buf_free(&b);
	free(fifo);
}

static void test_root_path(void **state)
{
	el__buf b;

	el__buf_init(&b);
	el__root_path(&b, "", "/etc/ld.so.cache");
	assert_string_equal(b.data, "/etc/ld.so.cache");
	el__root_path(&b, NULL, "/etc/ld.so.cache");
	assert_string_equal(b.data, "/etc/ld.so.cache");
	el__root_path(&b, "/", "/etc/ld.so.cache");
	assert_string_equal(b.data, "/etc/ld.so.cache");
	el__root_path(&b, "/tmp/x", "/etc/ld.so.cache");
	assert_string_equal(b.data, "/tmp/x/etc/ld.so.cache");
	el__root_path(&b, "/tmp/x/", "/etc/ld.so.cache");
	assert_string_equal(b.data, "/tmp/x/etc/ld.so.cache");
	el__root_path(&b, "/tmp/x//", "/");
	assert_string_equal(b.data, "/tmp/x/");
	assert_int_equal(b.len, strlen("/tmp/x/"));
	el__buf_free(&b);
}

/*
 * A fixture tree with usrmerge-style links:
 *   lib -> /usr/lib (absolute), usr/lib/libfoo.so -> libfoo.so.1 (relative),
 *   usr/lib/libfoo.so.1 a file, etc/os-release a file,
 *   usr/lib/up -> ../../../../../etc/os-release (climbs above the root).
 */
static void make_resolve_tree(const char *root)
{
	el_test_write(root, "usr/lib/libfoo.so.1", "elf");
	el_test_write(root, "etc/os-release", "ID=x\n");
	el_test_symlink(root, "lib", "/usr/lib");
	el_test_symlink(root, "usr/lib/libfoo.so", "libfoo.so.1");
	el_test_symlink(root, "usr/lib/up", "../../../../../etc/os-release");
	el_test_symlink(root, "usr/lib/passwd", "/etc/passwd");
}

static void test_resolve_in_root_links_stay_inside(void **state)
{
	const char *root = *state;
	char *root_slash = el_test_path(root, "");
	el__buf b;

	make_resolve_tree(root);
	el__buf_init(&b);
	assert_int_equal(el__resolve_in_root(&b, root, "/usr/lib/libfoo.so"), EL_OK);
	assert_string_equal(b.data, "/usr/lib/libfoo.so.1");
	/* The absolute link /lib -> /usr/lib is taken inside the root. */
	assert_int_equal(el__resolve_in_root(&b, root, "/lib/libfoo.so"), EL_OK);
	assert_string_equal(b.data, "/usr/lib/libfoo.so.1");
	assert_int_equal(el__resolve_in_root(&b, root_slash, "/lib/libfoo.so"), EL_OK);
	assert_string_equal(b.data, "/usr/lib/libfoo.so.1");
	/* ".." cannot climb above the root, as under chroot. */
	assert_int_equal(el__resolve_in_root(&b, root, "/usr/lib/up"), EL_OK);
	assert_string_equal(b.data, "/etc/os-release");
	assert_int_equal(el__resolve_in_root(&b, root, "/../../usr/./lib//../lib/libfoo.so.1"), EL_OK);
	assert_string_equal(b.data, "/usr/lib/libfoo.so.1");
	assert_int_equal(el__resolve_in_root(&b, root, "/usr/lib/"), EL_OK);
	assert_string_equal(b.data, "/usr/lib");
	assert_int_equal(el__resolve_in_root(&b, root, "/"), EL_OK);
	assert_string_equal(b.data, "/");
	/* ".." after a link applies to the link's target, as the kernel does. */
	el_test_assert_error(el__resolve_in_root(&b, root, "/lib/../etc/os-release"), EL_ENOTFOUND,
		     el_test_fmt("%s/usr/etc: No such file or directory", root));
	/* An absolute link to a file the host has but the root lacks. */
	el_test_assert_error(el__resolve_in_root(&b, root, "/usr/lib/passwd"), EL_ENOTFOUND,
		     el_test_fmt("%s/etc/passwd: No such file or directory", root));
	el__buf_free(&b);
	free(root_slash);
}

static void test_resolve_in_root_errors(void **state)
{
	const char *root = *state;
	el__buf b;

	make_resolve_tree(root);
	el_test_symlink(root, "loop/a", "b");
	el_test_symlink(root, "loop/b", "/loop/a");
	el_test_symlink(root, "self", "self");
	el__buf_init(&b);
	el_test_assert_error(el__resolve_in_root(&b, root, "/loop/a"), EL_EINVAL,
		     "/loop/a: too many levels of symbolic links");
	el_test_assert_error(el__resolve_in_root(&b, root, "/self/x"), EL_EINVAL,
		     "/self/x: too many levels of symbolic links");
	el_test_assert_error(el__resolve_in_root(&b, root, "/usr/nope/libfoo.so"), EL_ENOTFOUND,
		     el_test_fmt("%s/usr/nope: No such file or directory", root));
	/* A file used as a directory. */
	el_test_assert_error(el__resolve_in_root(&b, root, "/etc/os-release/x"), EL_ENOTFOUND,
		     el_test_fmt("%s/etc/os-release/x: Not a directory", root));
	el__buf_free(&b);
}

static void test_resolve_in_root_host(void **state)
{
	const char *root = *state;
	char *real = realpath(root, NULL);
	char *path = el_test_path(real, "usr/lib/libfoo.so");
	el__buf b;

	make_resolve_tree(root);
	el__buf_init(&b);
	/* Root "" is this machine: the path resolves as the kernel would. */
	assert_int_equal(el__resolve_in_root(&b, "", path), EL_OK);
	assert_string_equal(b.data, el_test_fmt("%s/usr/lib/libfoo.so.1", real));
	el__buf_free(&b);
	free(path);
	free(real);
}

static void test_strtrim(void **state)
{
	char a[] = " \t\r\n value with  inner spaces \n\r\t ";
	char b[] = "none";
	char c[] = " \n\t ";
	char d[] = "";
	char *r;

	r = el__strtrim(a);
	assert_string_equal(r, "value with  inner spaces");
	assert_ptr_equal(r, a + 5);
	assert_ptr_equal(el__strtrim(b), b);
	assert_string_equal(b, "none");
	assert_string_equal(el__strtrim(c), "");
	assert_string_equal(el__strtrim(d), "");
}

static void test_basename_and_startswith(void **state)
{
	const char *p = "/usr/lib/libc.so.6";

	assert_ptr_equal(el__basename(p), p + 9);
	assert_string_equal(el__basename("libc.so.6"), "libc.so.6");
	assert_string_equal(el__basename("/usr/lib/"), "");
	assert_string_equal(el__basename("/"), "");
	assert_true(el__startswith("gitdir: x", "gitdir:"));
	assert_true(el__startswith("abc", ""));
	assert_false(el__startswith("git", "gitdir:"));
}

/* As os.path.normpath: names only, ".." stops at the root. */
static void test_path_lexical(void **state)
{
	static const char *const cases[][2] = {
		{ "/", "/" },
		{ "/a/b", "/a/b" },
		{ "//a//b/", "/a/b" },
		{ "/a/./b/../c", "/a/c" },
		{ "/opt/eggs/../../src/relpkg", "/src/relpkg" },
		{ "/..", "/" },
		{ "/../../a", "/a" },
		{ "/a/..", "/" },
		{ "/a/b/..", "/a" },
		{ "/a/.../b", "/a/.../b" },
		{ "/a/..b/.c", "/a/..b/.c" },
	};
	el__buf out;

	(void)state;
	el__buf_init(&out);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		assert_int_equal(el__path_lexical(&out, cases[i][0]), EL_OK);
		assert_string_equal(out.data, cases[i][1]);
	}
	el__buf_free(&out);
}

/* ---- direct_url.c ---- */

/* A file URL as pathlib.as_uri() writes it, and back. */
static void test_file_url(void **state)
{
	static const char *const cases[][2] = {
		{ "/src/mylib", "file:///src/mylib" },
		{ "/home/u/my lib", "file:///home/u/my%20lib" },
		{ "/a/b~c-d_e.f", "file:///a/b~c-d_e.f" },
		{ "/a/%/#/?", "file:///a/%25/%23/%3F" },
		{ "/caf\xc3\xa9", "file:///caf%C3%A9" },
	};
	el__buf out;

	(void)state;
	el__buf_init(&out);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *back;

		assert_int_equal(el__file_url(&out, cases[i][0]), EL_OK);
		assert_string_equal(out.data, cases[i][1]);
		back = el__file_url_path(out.data);
		assert_non_null(back);
		assert_string_equal(back, cases[i][0]);
		free(back);
	}
	el__buf_free(&out);
}

/* ---- atomic_file.c ---- */

static void test_atomic_write_exact_bytes(void **state)
{
	const char *dir = *state;
	char *path = el_test_path(dir, "out.bin");
	static const char data[] = "line 1\n\0binary\xff\n";
	struct stat st;
	mode_t old = umask(022);
	size_t len;
	char *got;

	assert_int_equal(el__atomic_write(path, data, sizeof(data) - 1, 0666), EL_OK);
	umask(old);
	got = el_test_read(path, NULL, &len);
	assert_non_null(got);
	assert_int_equal(len, sizeof(data) - 1);
	assert_memory_equal(got, data, len);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* Nothing else in the directory: no temporary file left over. */
	assert_int_equal(el_test_count_entries(dir), 1);
	free(got);
	/* Zero bytes is a valid, empty file. */
	assert_int_equal(el__atomic_write(path, "", 0, 0600), EL_OK);
	got = el_test_read(path, NULL, &len);
	assert_int_equal(len, 0);
	free(got);
	free(path);
}

static void test_atomic_write_replaces_by_rename(void **state)
{
	const char *dir = *state;
	char *path = el_test_path(dir, "file");
	char *old_link = el_test_path(dir, "old-link");
	char *got;

	el_test_write(dir, "file", "old content, longer than the new one");
	assert_int_equal(link(path, old_link), 0);
	assert_int_equal(el__atomic_write(path, "new", 3, 0644), EL_OK);
	got = el_test_read(path, NULL, NULL);
	assert_string_equal(got, "new");
	free(got);
	/* The old inode was not written in place: a reader holding it saw no torn file. */
	got = el_test_read(old_link, NULL, NULL);
	assert_string_equal(got, "old content, longer than the new one");
	free(got);
	assert_int_equal(el_test_count_entries(dir), 2);
	free(path);
	free(old_link);
}

static void test_atomic_write_replaces_symlink(void **state)
{
	const char *dir = *state;
	char *path = el_test_path(dir, "lock");
	char *dangling = el_test_path(dir, "dangling");
	char *victim_path = el_test_path(dir, "victim");
	struct stat st;
	char *got;

	el_test_write(dir, "victim", "precious");
	el_test_symlink(dir, "lock", victim_path);
	assert_int_equal(el__atomic_write(path, "written", 7, 0644), EL_OK);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	got = el_test_read(path, NULL, NULL);
	assert_string_equal(got, "written");
	free(got);
	got = el_test_read(victim_path, NULL, NULL);
	assert_string_equal(got, "precious");
	free(got);

	/* A dangling link is replaced too; its target is not created. */
	el_test_symlink(dir, "dangling", "created-through-link");
	assert_int_equal(el__atomic_write(dangling, "x", 1, 0644), EL_OK);
	assert_int_equal(lstat(dangling, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(access(el_test_fmt("%s/created-through-link", dir), F_OK), -1);
	assert_int_equal(el_test_count_entries(dir), 3);
	free(path);
	free(dangling);
	free(victim_path);
}

static void test_atomic_write_failures_leave_nothing(void **state)
{
	const char *dir = *state;
	char *missing = el_test_path(dir, "nodir/file");
	char *under_file = el_test_path(dir, "regular/file");
	char *onto_dir = el_test_path(dir, "sub");
	char *slash = el_test_path(dir, "sub/");
	char *got;

	el_test_assert_error(el__atomic_write(missing, "x", 1, 0644), EL_ERROR,
		     el_test_fmt("%s: cannot open its directory: No such file or directory", missing));
	el_test_write(dir, "regular", "keep");
	el_test_assert_error(el__atomic_write(under_file, "x", 1, 0644), EL_ERROR,
		     el_test_fmt("%s: cannot open its directory: Not a directory", under_file));
	got = el_test_read(dir, "regular", NULL);
	assert_string_equal(got, "keep");
	free(got);
	/* The rename fails after the temporary file was written: it must go. */
	el_test_write(dir, "sub/inside", "y");
	el_test_assert_error(el__atomic_write(onto_dir, "x", 1, 0644), EL_ERROR, el_test_fmt("%s: Is a directory", onto_dir));
	assert_int_equal(el_test_count_entries(dir), 2);
	assert_int_equal(el_test_count_entries(onto_dir), 1);
	el_test_assert_error(el__atomic_write(slash, "x", 1, 0644), EL_ERROR, el_test_fmt("%s: is a directory", slash));
	assert_int_equal(el_test_count_entries(onto_dir), 1);
	free(missing);
	free(under_file);
	free(onto_dir);
	free(slash);
}

static void test_atomic_write_at_and_relative(void **state)
{
	const char *dir = *state;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	char cwd[4096];
	char *got;

	assert_true(dirfd >= 0);
	assert_int_equal(el__atomic_write_at(dirfd, "a", "shown", "1", 1, 0644), EL_OK);
	got = el_test_read(dir, "a", NULL);
	assert_string_equal(got, "1");
	free(got);
	/* The display name, else the name, is what messages say. */
	el_test_write(dir, "d/x", "");
	el_test_assert_error(el__atomic_write_at(dirfd, "d", "shown", "1", 1, 0644), EL_ERROR, "shown: Is a directory");
	el_test_assert_error(el__atomic_write_at(dirfd, "d", NULL, "1", 1, 0644), EL_ERROR, "d: Is a directory");
	close(dirfd);

	/* A bare name is written in the working directory. */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(el__atomic_write("rel", "2", 1, 0644), EL_OK);
	assert_int_equal(chdir(cwd), 0);
	got = el_test_read(dir, "rel", NULL);
	assert_string_equal(got, "2");
	free(got);
	assert_int_equal(el_test_count_entries(dir), 3);
}

/* ---- text.c: hex and decimal ---- */

static void test_hex_every_byte(void **state)
{
	unsigned char bytes[256];
	char out[2 * 256 + 2], want[2 * 256 + 2];

	(void)state;
	for (int i = 0; i < 256; i++) {
		bytes[i] = (unsigned char)i;
		snprintf(want + 2 * i, 3, "%02x", i);
	}
	memset(out, 'Z', sizeof(out));
	el__hex(out, bytes, 256);
	assert_string_equal(out, want);
	/* Exactly 2n digits and a NUL: nothing written past them. */
	assert_int_equal(out[2 * 256 + 1], 'Z');
	memset(out, 'Z', sizeof(out));
	el__hex(out, bytes, 0);
	assert_int_equal(out[0], '\0');
	assert_int_equal(out[1], 'Z');
	el__hex(out, (const unsigned char *)"\xde\xad\x00\xbe\xef", 5);
	assert_string_equal(out, "dead00beef");
}

static void test_u64_dec(void **state)
{
	unsigned long long cases[64] = { 0, 1, 9, 18446744073709551615ULL, 18446744073709551614ULL };
	size_t n = 5;
	char out[EL_U64_DEC + 1], want[32];

	(void)state;
	/* Every power of ten, and its neighbours: each width and each carry. */
	for (unsigned long long p = 10; n + 3 <= 64; p *= 10) {
		cases[n++] = p - 1;
		cases[n++] = p;
		cases[n++] = p + 1;
		if (p > 18446744073709551615ULL / 10)
			break;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len;

		memset(out, 'Z', sizeof(out));
		len = el__u64_dec(out, cases[i]);
		snprintf(want, sizeof(want), "%llu", cases[i]);
		assert_string_equal(out, want);
		assert_int_equal(len, strlen(want));
		assert_int_equal(out[EL_U64_DEC], 'Z');
	}
}

/* ---- sha256.c ---- */

static void test_sha256_vectors(void **state)
{
	char hex[EL_SHA256_HEX];

	assert_int_equal(el__sha256_hex(hex, "", 0), EL_OK);
	assert_string_equal(hex, SHA256_EMPTY);
	assert_int_equal(el__sha256_hex(hex, "abc", 3), EL_OK);
	assert_string_equal(hex, SHA256_ABC);
	assert_int_equal(el__sha256_hex(hex, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56), EL_OK);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256_file_matches_memory(void **state)
{
	const char *dir = *state;
	size_t len = 3 * 1024 * 1024 + 17; /* several read chunks */
	unsigned char *data = malloc(len);
	char *path = el_test_path(dir, "big");
	char hex[EL_SHA256_HEX], want[EL_SHA256_HEX];
	struct stat st, check;

	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 2654435761u >> 13);
	el_test_write_bytes(dir, "big", data, len);
	assert_int_equal(el__sha256_hex(want, data, len), EL_OK);
	assert_int_equal(el__sha256_file(hex, &st, path), EL_OK);
	assert_string_equal(hex, want);
	assert_int_equal(stat(path, &check), 0);
	assert_int_equal(st.st_size, (off_t)len);
	assert_int_equal(st.st_ino, check.st_ino);
	assert_true(S_ISREG(st.st_mode));
	free(path);
	free(data);

	el_test_write(dir, "empty", "");
	path = el_test_path(dir, "empty");
	assert_int_equal(el__sha256_file(hex, &st, path), EL_OK);
	assert_string_equal(hex, SHA256_EMPTY);
	free(path);
}

static void test_sha256_file_refuses_non_regular(void **state)
{
	const char *dir = *state;
	char *fifo = el_test_path(dir, "fifo");
	char *link = el_test_path(dir, "link");
	char *missing = el_test_path(dir, "missing");
	char hex[EL_SHA256_HEX];
	struct stat st;

	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* A FIFO without a writer must not block the hasher. */
	el_test_assert_error(el__sha256_file(hex, &st, fifo), EL_EINVAL, el_test_fmt("%s: not a regular file", fifo));
	el_test_assert_error(el__sha256_file(hex, &st, dir), EL_EINVAL, el_test_fmt("%s: not a regular file", dir));
	el_test_write(dir, "target", "abc");
	el_test_symlink(dir, "link", "target");
	el_test_assert_error(el__sha256_file(hex, &st, link), EL_ERROR, el_test_fmt("%s: Too many levels of symbolic links", link));
	el_test_assert_error(el__sha256_file(hex, &st, missing), EL_ENOTFOUND, el_test_fmt("%s: No such file or directory", missing));
	free(fifo);
	free(link);
	free(missing);
}

static void test_sha256_files_pool(void **state)
{
	const char *dir = *state;
	enum { N = 23 };
	static const unsigned threads[] = { 0, 1, 4, 100 };
	el__hash_job jobs[N + 2];
	char *paths[N + 2], want[N][EL_SHA256_HEX];

	for (int i = 0; i < N; i++) {
		char name[32], content[64];

		snprintf(name, sizeof(name), "f%02d", i);
		snprintf(content, sizeof(content), "content of file %d", i);
		el_test_write(dir, name, content);
		paths[i] = el_test_path(dir, name);
		assert_int_equal(el__sha256_hex(want[i], content, strlen(content)), EL_OK);
	}
	paths[N] = el_test_path(dir, "missing");
	paths[N + 1] = strdup(dir);

	/* No jobs at all is fine whatever the thread count. */
	for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++)
		el__sha256_files(NULL, 0, threads[t]);

	for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
		/* One job, then all of them, including two that fail. */
		size_t counts[] = { 1, N + 2 };

		for (size_t c = 0; c < 2; c++) {
			memset(jobs, 0, sizeof(jobs));
			for (size_t i = 0; i < counts[c]; i++) {
				jobs[i].path = paths[i];
				jobs[i].rc = 12345;
			}
			el__sha256_files(jobs, counts[c], threads[t]);
			for (size_t i = 0; i < counts[c] && i < N; i++) {
				assert_int_equal(jobs[i].rc, EL_OK);
				assert_string_equal(jobs[i].hex, want[i]);
				assert_true(S_ISREG(jobs[i].st.st_mode));
			}
			if (counts[c] == N + 2) {
				assert_int_equal(jobs[N].rc, EL_ENOTFOUND);
				assert_string_equal(jobs[N].error, el_test_fmt("%s: No such file or directory", paths[N]));
				assert_int_equal(jobs[N + 1].rc, EL_EINVAL);
				assert_string_equal(jobs[N + 1].error, el_test_fmt("%s: not a regular file", dir));
			}
		}
	}
	for (int i = 0; i < N + 2; i++)
		free(paths[i]);
}

/* ---- cache.c ---- */

/* A stat buffer for a file last changed age_s seconds ago. */
static struct stat fake_stat(long age_s)
{
	struct stat st;
	struct timespec now;

	memset(&st, 0, sizeof(st));
	clock_gettime(CLOCK_REALTIME, &now);
	st.st_dev = 0x801;
	st.st_ino = 123456;
	st.st_size = 4096;
	st.st_mtim.tv_sec = now.tv_sec - age_s;
	st.st_mtim.tv_nsec = 111;
	st.st_ctim.tv_sec = now.tv_sec - age_s;
	st.st_ctim.tv_nsec = 222;
	return st;
}

static el__cache *open_cache(const char *dir, const char *expect_warning)
{
	el__cache *c = NULL;
	const char *warning = "unset";

	assert_int_equal(el__cache_open(&c, dir, &warning), EL_OK);
	assert_non_null(c);
	if (expect_warning)
		assert_string_equal(warning, expect_warning);
	else
		assert_null(warning);
	return c;
}

static void test_cache_memory_put_get(void **state)
{
	el__cache *c = open_cache(NULL, NULL);
	el__cache *empty_dir = open_cache("", NULL);

	assert_null(el__cache_get(c, "kind", "key", NULL));
	el__cache_put(c, "kind", "key", NULL, json_string("value"));
	assert_string_equal(el_test_json(el__cache_get(c, "kind", "key", NULL)), "\"value\"");
	assert_null(el__cache_get(c, "kind", "other", NULL));
	assert_null(el__cache_get(c, "other", "key", NULL));
	/* kind and key are kept apart even when one contains the other's text. */
	assert_null(el__cache_get(c, "kind\tkey", "", NULL));
	/* A second put replaces the fact. */
	el__cache_put(c, "kind", "key", NULL, json_pack("{s:i}", "n", 2));
	assert_string_equal(el_test_json(el__cache_get(c, "kind", "key", NULL)), "{\"n\":2}");
	/* Saving a memory-only cache writes nothing and succeeds. */
	assert_int_equal(el__cache_save(c), EL_OK);
	assert_null(el__cache_get(NULL, "kind", "key", NULL));
	el__cache_put(NULL, "kind", "key", NULL, json_string("dropped"));
	el__cache_free(c);
	el__cache_free(empty_dir);
	el__cache_free(NULL);
}

static void test_cache_identity(void **state)
{
	el__cache *c = open_cache(NULL, NULL);
	struct stat st = fake_stat(100), other;

	el__cache_put(c, "sha256", "/lib/x.so", &st, json_string("abc"));
	assert_string_equal(el_test_json(el__cache_get(c, "sha256", "/lib/x.so", &st)), "\"abc\"");
	other = st;
	other.st_size++;
	assert_null(el__cache_get(c, "sha256", "/lib/x.so", &other));
	other = st;
	other.st_mtim.tv_nsec++;
	assert_null(el__cache_get(c, "sha256", "/lib/x.so", &other));
	other = st;
	other.st_ctim.tv_sec++;
	assert_null(el__cache_get(c, "sha256", "/lib/x.so", &other));
	other = st;
	other.st_ino++;
	assert_null(el__cache_get(c, "sha256", "/lib/x.so", &other));
	other = st;
	other.st_dev++;
	assert_null(el__cache_get(c, "sha256", "/lib/x.so", &other));
	/* An entry stored with an identity is not answered without one... */
	assert_null(el__cache_get(c, "sha256", "/lib/x.so", NULL));
	/* ...nor one stored without an identity when an identity is asked for. */
	el__cache_put(c, "k", "plain", NULL, json_true());
	assert_null(el__cache_get(c, "k", "plain", &st));
	assert_non_null(el__cache_get(c, "k", "plain", NULL));
	el__cache_free(c);
}

static void test_cache_racy_entries_not_stored(void **state)
{
	el__cache *c = open_cache(NULL, NULL);
	struct stat fresh = fake_stat(1), old_mtime = fake_stat(100), future = fake_stat(-60), ok = fake_stat(3);

	el__cache_put(c, "k", "fresh", &fresh, json_string("v"));
	assert_null(el__cache_get(c, "k", "fresh", &fresh));
	/* ctime alone inside the window is enough to refuse (a chmod, a rename). */
	old_mtime.st_ctim = fresh.st_ctim;
	el__cache_put(c, "k", "ctime", &old_mtime, json_string("v"));
	assert_null(el__cache_get(c, "k", "ctime", &old_mtime));
	el__cache_put(c, "k", "future", &future, json_string("v"));
	assert_null(el__cache_get(c, "k", "future", &future));
	/* Three seconds old is outside the window. */
	el__cache_put(c, "k", "ok", &ok, json_string("v"));
	assert_string_equal(el_test_json(el__cache_get(c, "k", "ok", &ok)), "\"v\"");
	el__cache_free(c);
}

static void test_cache_persists(void **state)
{
	const char *dir = *state;
	char *cache_dir = el_test_path(dir, "a/b/cache");
	char *cache_file = el_test_path(cache_dir, "cache-v2.bin");
	struct stat st = fake_stat(1000), fst;
	el__cache *c;

	c = open_cache(cache_dir, NULL);
	/* Nothing changed: saving writes no file. */
	assert_int_equal(el__cache_save(c), EL_OK);
	assert_int_equal(access(cache_file, F_OK), -1);
	el__cache_put(c, "sha256", "/usr/lib/libm.so.6", &st, json_string("deadbeef"));
	el__cache_put(c, "python", "sys.path", NULL, json_pack("[ss]", "/a", "/b"));
	assert_int_equal(el__cache_save(c), EL_OK);
	el__cache_free(c);

	assert_int_equal(stat(cache_file, &fst), 0);
	assert_true(S_ISREG(fst.st_mode));
	assert_int_equal(fst.st_mode & 07777, 0600);
	assert_int_equal(stat(cache_dir, &fst), 0);
	assert_int_equal(fst.st_mode & 07777, 0700);
	assert_int_equal(stat(el_test_fmt("%s/a/b", dir), &fst), 0);
	assert_int_equal(fst.st_mode & 07777, 0700);
	assert_int_equal(el_test_count_entries(cache_dir), 1);

	c = open_cache(cache_dir, NULL);
	assert_string_equal(el_test_json(el__cache_get(c, "sha256", "/usr/lib/libm.so.6", &st)), "\"deadbeef\"");
	assert_string_equal(el_test_json(el__cache_get(c, "python", "sys.path", NULL)), "[\"/a\",\"/b\"]");
	st.st_size++;
	assert_null(el__cache_get(c, "sha256", "/usr/lib/libm.so.6", &st));
	el__cache_free(c);
	free(cache_dir);
	free(cache_file);
}

/*
 * Many facts, read back one by one from the file (found by binary search,
 * parsed when asked for); one put again replaces the file's, and the rest
 * stay when the cache is saved again.
 */
static void test_cache_many_facts(void **state)
{
	char *cache_dir = el_test_path(*state, "cache");
	struct stat st = fake_stat(1000);
	el__cache *c = open_cache(cache_dir, NULL);

	for (int i = 0; i < 300; i++) {
		st.st_ino = (ino_t)i;
		el__cache_put(c, i % 3 ? "sha256" : "toolchain", el_test_fmt("/lib/%03d.so", 299 - i), &st,
			      json_pack("{s:i}", "n", i));
	}
	el__cache_put(c, "python", "sys.path", NULL, json_string("no identity"));
	assert_int_equal(el__cache_save(c), EL_OK);
	el__cache_free(c);

	c = open_cache(cache_dir, NULL);
	for (int i = 0; i < 300; i++) {
		st.st_ino = (ino_t)i;
		assert_string_equal(el_test_json(el__cache_get(c, i % 3 ? "sha256" : "toolchain",
							       el_test_fmt("/lib/%03d.so", 299 - i), &st)),
				    el_test_fmt("{\"n\":%d}", i));
	}
	/* Another identity, another kind, no identity where one was kept: nothing. */
	st.st_ino = 1000;
	assert_null(el__cache_get(c, "sha256", "/lib/298.so", &st));
	assert_null(el__cache_get(c, "toolchain", "/lib/298.so", NULL));
	assert_null(el__cache_get(c, "python", "sys.path", &st));
	assert_string_equal(el_test_json(el__cache_get(c, "python", "sys.path", NULL)), "\"no identity\"");
	st.st_ino = 1;
	el__cache_put(c, "sha256", "/lib/298.so", &st, json_string("again"));
	assert_string_equal(el_test_json(el__cache_get(c, "sha256", "/lib/298.so", &st)), "\"again\"");
	assert_int_equal(el__cache_save(c), EL_OK);
	el__cache_free(c);

	c = open_cache(cache_dir, NULL);
	assert_string_equal(el_test_json(el__cache_get(c, "sha256", "/lib/298.so", &st)), "\"again\"");
	st.st_ino = 2;
	assert_string_equal(el_test_json(el__cache_get(c, "sha256", "/lib/297.so", &st)), "{\"n\":2}");
	assert_string_equal(el_test_json(el__cache_get(c, "python", "sys.path", NULL)), "\"no identity\"");
	el__cache_free(c);
	free(cache_dir);
}

/* A cache directory holding one saved fact, ("k", "key") = "stored". */
static char *make_saved_cache(const char *dir, const char *name)
{
	char *cache_dir = el_test_path(dir, name);
	el__cache *c = open_cache(cache_dir, NULL);

	el__cache_put(c, "k", "key", NULL, json_string("stored"));
	assert_int_equal(el__cache_save(c), EL_OK);
	el__cache_free(c);
	c = open_cache(cache_dir, NULL);
	assert_string_equal(el_test_json(el__cache_get(c, "k", "key", NULL)), "\"stored\"");
	el__cache_free(c);
	return cache_dir;
}

static void test_cache_corrupt_file_is_empty(void **state)
{
	const char *dir = *state;
	char *cache_dir = make_saved_cache(dir, "cache");
	static const char garbage[] = "\x89garbage\x00\x01 not json";
	size_t len, cut;
	char *good = el_test_read(cache_dir, "cache-v2.bin", &len);
	char *flipped = malloc(len);
	/* Garbage, an older cache's JSON, nothing, a byte flipped, the end cut off. */
	const struct {
		const char *bytes;
		size_t len;
	} bad[] = {
		{ garbage, sizeof(garbage) - 1 },
		{ "{\"version\":1,\"entries\":{\"k\\tkey\":{\"v\":\"stored\"}}}", 48 },
		{ "", 0 },
		{ flipped, len },
		{ good, len - 3 },
	};
	el__cache *c;
	char *text;

	assert_non_null(flipped);
	memcpy(flipped, good, len);
	cut = len / 2;
	flipped[cut] ^= 0x01;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		el_test_write_bytes(cache_dir, "cache-v2.bin", bad[i].bytes, bad[i].len);
		el_error_clear();
		c = open_cache(cache_dir, NULL);
		assert_int_equal(el_error_last_code(), EL_OK);
		assert_null(el__cache_get(c, "k", "key", NULL));
		/* It still works, and the next save replaces the bad file. */
		el__cache_put(c, "k", "key2", NULL, json_string("new"));
		assert_int_equal(el__cache_save(c), EL_OK);
		el__cache_free(c);
		c = open_cache(cache_dir, NULL);
		assert_string_equal(el_test_json(el__cache_get(c, "k", "key2", NULL)), "\"new\"");
		el__cache_free(c);
	}
	/* The file written holds the fact (so the above could fail). */
	text = el_test_read(cache_dir, "cache-v2.bin", &len);
	assert_memory_equal(text, "ELCACHE2\x01\0\0\0", 12);
	assert_non_null(memmem(text, len, "k\tkey2", 7));
	assert_non_null(memmem(text, len, "\"new\"", 5));
	free(text);
	free(good);
	free(flipped);
	free(cache_dir);
}

static void test_cache_shared_dir_refused(void **state)
{
	const char *dir = *state;
	char *cache_dir = make_saved_cache(dir, "cache");
	static const mode_t modes[] = { 0777, 0720, 0702 };
	el__cache *c;
	char *before, *after;
	size_t before_len, after_len;

	before = el_test_read(cache_dir, "cache-v2.bin", &before_len);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		assert_int_equal(chmod(cache_dir, modes[i]), 0);
		c = open_cache(cache_dir, "the cache directory is not owned by this user or is writable by others");
		/* In memory only: the file there is neither trusted nor written. */
		assert_null(el__cache_get(c, "k", "key", NULL));
		el__cache_put(c, "k", "other", NULL, json_string("x"));
		assert_int_equal(el__cache_save(c), EL_OK);
		assert_string_equal(el_test_json(el__cache_get(c, "k", "other", NULL)), "\"x\"");
		el__cache_free(c);
	}
	after = el_test_read(cache_dir, "cache-v2.bin", &after_len);
	assert_int_equal(after_len, before_len);
	assert_memory_equal(after, before, before_len);
	assert_int_equal(el_test_count_entries(cache_dir), 1);

	/* A cache file others could have written is not read either. */
	assert_int_equal(chmod(cache_dir, 0700), 0);
	{
		char *file = el_test_path(cache_dir, "cache-v2.bin");

		assert_int_equal(chmod(file, 0666), 0);
		c = open_cache(cache_dir, NULL);
		assert_null(el__cache_get(c, "k", "key", NULL));
		el__cache_free(c);
		assert_int_equal(chmod(file, 0600), 0);
		c = open_cache(cache_dir, NULL);
		assert_non_null(el__cache_get(c, "k", "key", NULL));
		el__cache_free(c);
		free(file);
	}

	/* Owned by someone else (needs root to arrange). */
	if (geteuid() == 0) {
		assert_int_equal(chown(cache_dir, 65534, 65534), 0);
		c = open_cache(cache_dir, "the cache directory is not owned by this user or is writable by others");
		assert_null(el__cache_get(c, "k", "key", NULL));
		el__cache_free(c);
	} else {
		el_test_skip_part("giving a directory to another user needs root: the foreign cache directory check");
	}
	free(before);
	free(after);
	free(cache_dir);
}

static void test_cache_symlinks_refused(void **state)
{
	const char *dir = *state;
	char *cache_dir = make_saved_cache(dir, "real");
	char *link_dir = el_test_path(dir, "link");
	char *elsewhere = make_saved_cache(dir, "elsewhere");
	char *elsewhere_file = el_test_path(elsewhere, "cache-v2.bin");
	struct stat st;
	el__cache *c;
	char *text, *elsewhere_before;
	size_t len, elsewhere_len;

	elsewhere_before = el_test_read(elsewhere_file, NULL, &elsewhere_len);
	/* A symlink at the directory path is not followed. */
	el_test_symlink(dir, "link", cache_dir);
	c = open_cache(link_dir, "the cache directory cannot be opened");
	assert_null(el__cache_get(c, "k", "key", NULL));
	el__cache_put(c, "k", "other", NULL, json_string("x"));
	assert_int_equal(el__cache_save(c), EL_OK);
	el__cache_free(c);
	assert_int_equal(el_test_count_entries(cache_dir), 1);
	text = el_test_read(cache_dir, "cache-v2.bin", &len);
	assert_null(memmem(text, len, "other", 5));
	free(text);

	/* Nor a symlink at the file: it is not read, and saving replaces it. */
	assert_int_equal(unlink(el_test_fmt("%s/cache-v2.bin", cache_dir)), 0);
	el_test_symlink(cache_dir, "cache-v2.bin", elsewhere_file);
	c = open_cache(cache_dir, NULL);
	assert_null(el__cache_get(c, "k", "key", NULL));
	el__cache_put(c, "k", "mine", NULL, json_string("y"));
	assert_int_equal(el__cache_save(c), EL_OK);
	el__cache_free(c);
	assert_int_equal(lstat(el_test_fmt("%s/cache-v2.bin", cache_dir), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	text = el_test_read(elsewhere_file, NULL, &len);
	assert_int_equal(len, elsewhere_len);
	assert_memory_equal(text, elsewhere_before, len);
	free(text);
	free(elsewhere_before);
	free(cache_dir);
	free(link_dir);
	free(elsewhere);
	free(elsewhere_file);
}

static void test_cache_default_dir(void **state)
{
	char *saved_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	char *d;

	setenv("ENVLOCK_CACHE_DIR", "/custom", 1);
	setenv("XDG_CACHE_HOME", "/xdg", 1);
	setenv("HOME", "/home/u", 1);
	d = el__cache_default_dir();
	assert_string_equal(d, "/custom");
	free(d);
	unsetenv("ENVLOCK_CACHE_DIR");
	d = el__cache_default_dir();
	assert_string_equal(d, "/xdg/envlock");
	free(d);
	/* A relative XDG_CACHE_HOME is ignored, as the XDG spec says. */
	setenv("XDG_CACHE_HOME", "rel", 1);
	d = el__cache_default_dir();
	assert_string_equal(d, "/home/u/.cache/envlock");
	free(d);
	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	assert_null(el__cache_default_dir());
	if (saved_home)
		setenv("HOME", saved_home, 1);
	free(saved_home);
}

/* ---- text.c ---- */

static void test_lower_hex(void **state)
{
	static const char digits[] = "0123456789abcdef";

	assert_true(el__lower_hex(digits, 16));
	assert_true(el__lower_hex_str(digits, 16));
	assert_true(el__lower_hex("", 0));
	assert_true(el__lower_hex_str("", 0));
	/* Only lowercase: a digest has one spelling. */
	assert_false(el__lower_hex("0123456789ABCDEF", 16));
	assert_false(el__lower_hex("abcdeF", 6));
	assert_false(el__lower_hex("g", 1));
	assert_false(el__lower_hex("12 4", 4));
	/* The n bytes only: what follows is the caller's. */
	assert_true(el__lower_hex("abcd model.pt", 4));
	assert_false(el__lower_hex_str("abcd model.pt", 4));
	/* Exactly n: shorter stops at the NUL (never read past it), longer is refused. */
	assert_false(el__lower_hex("abc", 4));
	assert_false(el__lower_hex_str("abc", 4));
	assert_false(el__lower_hex_str("abcde", 4));
	assert_true(el__lower_hex_str("abcd", 4));
}

static void test_printable(void **state)
{
	char s[] = "a\nb\x1b[31mc\x7f\xc2\x9b\xff~ ";
	char out[16];

	el__printable(s, strlen(s));
	assert_string_equal(s, "a?b?[31mc????~ ");
	/* The n bytes only, a NUL among them too. */
	memcpy(s, "x\0\ty", 4);
	el__printable(s, 3);
	assert_memory_equal(s, "x??y", 4);

	/* Fits: copied whole. */
	el__printable_copy(out, sizeof(out), "key\tid", 6);
	assert_string_equal(out, "key?id");
	el__printable_copy(out, sizeof(out), "", 0);
	assert_string_equal(out, "");
	/* size - 4 bytes at most, then "...": size 16 keeps 12. */
	el__printable_copy(out, sizeof(out), "0123456789abcdef", 16);
	assert_string_equal(out, "0123456789ab...");
	el__printable_copy(out, sizeof(out), "0123456789ab", 12);
	assert_string_equal(out, "0123456789ab");
	el__printable_copy(out, sizeof(out), "0123456789abc", 13);
	assert_string_equal(out, "0123456789ab...");
	/* len counts, not a NUL: an embedded one is shown as '?'. */
	el__printable_copy(out, sizeof(out), "a\0b", 3);
	assert_string_equal(out, "a?b");
	el__printable_copy(out, 4, "abc", 3);
	assert_string_equal(out, "...");
}

/* ---- random.c ---- */

static void test_random(void **state)
{
	unsigned char a[600], b[600], zero[600] = { 0 };
	char hex[2 * 40 + 1], other[2 * 40 + 1];

	/* More than getrandom(2) promises whole in one call. */
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	assert_int_equal(el__random(a, sizeof(a)), EL_OK);
	assert_int_equal(el__random(b, sizeof(b)), EL_OK);
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(el__random(a, 0), EL_OK);

	/* Past the 32-byte chunks it is made in: every digit written, lowercase, NUL-terminated. */
	memset(hex, 'x', sizeof(hex));
	assert_int_equal(el__random_hex(hex, 40), EL_OK);
	assert_int_equal(strlen(hex), 80);
	assert_true(el__lower_hex_str(hex, 80));
	assert_int_equal(el__random_hex(other, 40), EL_OK);
	assert_string_not_equal(hex, other);
	assert_int_equal(el__random_hex(hex, 0), EL_OK);
	assert_string_equal(hex, "");
}

/* ---- error.c ---- */

static void test_error_formats(void **state)
{
	el_error_clear();
	assert_int_equal(el_error_last_code(), EL_OK);
	assert_string_equal(el_error_last(), "no error");
	el_test_assert_error(el__error(EL_EINVAL, "%s: line %d", "f.lock", 3), EL_EINVAL, "f.lock: line 3");
	el_test_assert_error(el__error_oom(), EL_ENOMEM, "out of memory");
	el_error_clear();
	assert_int_equal(el_error_last_code(), EL_OK);
	assert_string_equal(el_error_last(), "no error");
}

static void test_error_errno(void **state)
{
	errno = ENOENT;
	el_test_assert_error(el__error_errno(EL_ENOTFOUND, "%s", "/x"), EL_ENOTFOUND, "/x: No such file or directory");
	/* errno survives, for callers that look at it after reporting. */
	assert_int_equal(errno, ENOENT);
	errno = EACCES;
	el_test_assert_error(el__error_errno(EL_ERROR, "open %s", "y"), EL_ERROR, "open y: Permission denied");
}

static void test_error_prefix(void **state)
{
	el__error(EL_EINVAL, "entry 0 is truncated");
	assert_int_equal(el__error_prefix("/repo/.git/index"), EL_EINVAL);
	assert_string_equal(el_error_last(), "/repo/.git/index: entry 0 is truncated");
	assert_int_equal(el_error_last_code(), EL_EINVAL);
}

static void test_error_reraise(void **state)
{
	el__error(EL_ENOTFOUND, "/usr/bin/python9: no such executable file");
	el_test_assert_error(el__error_reraise(EL_EINVAL, "--python "), EL_EINVAL,
			     "--python /usr/bin/python9: no such executable file");
	/* Only the code changes without a text in front. */
	el_test_assert_error(el__error_reraise(EL_ERROR, NULL), EL_ERROR,
			     "--python /usr/bin/python9: no such executable file");
	el_test_assert_error(el__error_reraise(EL_ERROR, ""), EL_ERROR,
			     "--python /usr/bin/python9: no such executable file");
}

/* An answer that is not a failure never becomes the last error's code: it is recorded as EL_ERROR. */
static void test_error_answers_not_recorded(void **state)
{
	static const int answers[] = { EL_OK, EL__PROBE_ABSENT, EL__PYMETA_MORE, EL__IDMAP_UNSUPPORTED };

	for (size_t i = 0; i < sizeof(answers) / sizeof(answers[0]); i++) {
		assert_true(answers[i] >= EL_OK);
		for (size_t k = 0; k < i; k++)
			assert_int_not_equal(answers[i], answers[k]);
		el_test_assert_error(el__error(answers[i], "answer %d", answers[i]), EL_ERROR,
				     el_test_fmt("answer %d", answers[i]));
		errno = EIO;
		el_test_assert_error(el__error_errno(answers[i], "read"), EL_ERROR, "read: Input/output error");
		el__error(EL_EINVAL, "bad");
		el_test_assert_error(el__error_reraise(answers[i], "again: "), EL_ERROR, "again: bad");
	}
	/* Every public code is kept as it is. */
	for (int code = EL_EUNTRUSTED; code < EL_OK; code++)
		el_test_assert_error(el__error(code, "code %d", code), code, el_test_fmt("code %d", code));
}

static void test_error_truncation(void **state)
{
	char long_text[2001];

	memset(long_text, 'm', 2000);
	long_text[2000] = '\0';
	long_text[0] = 'A';
	long_text[1022] = 'Z';

	/* Messages are cut at 1023 bytes, never overflowing. */
	el__error(EL_ERROR, "%s", long_text);
	assert_int_equal(strlen(el_error_last()), 1023);
	assert_memory_equal(el_error_last(), long_text, 1023);
	errno = ENOENT;
	el__error_errno(EL_ERROR, "%s", long_text);
	assert_int_equal(strlen(el_error_last()), 1023);
	assert_memory_equal(el_error_last(), long_text, 1023);

	/* A prefix on a full message keeps the start of the old one. */
	el__error(EL_EINVAL, "%s", long_text);
	assert_int_equal(el__error_prefix("p"), EL_EINVAL);
	assert_int_equal(strlen(el_error_last()), 1023);
	assert_memory_equal(el_error_last(), "p: A", 4);
	assert_memory_equal(el_error_last() + 3, long_text, 1020);

	/* A prefix longer than the buffer is itself cut. */
	el__error(EL_EINVAL, "short");
	assert_int_equal(el__error_prefix(long_text), EL_EINVAL);
	assert_int_equal(strlen(el_error_last()), 1023);
	assert_memory_equal(el_error_last(), long_text, 1023);

	/* A text in front of a full message is kept, the message cut. */
	el__error(EL_EINVAL, "%s", long_text);
	assert_int_equal(el__error_reraise(EL_ERROR, "before: "), EL_ERROR);
	assert_int_equal(strlen(el_error_last()), 1023);
	assert_memory_equal(el_error_last(), "before: A", 9);

	/* A prefix that just fits leaves room for nothing but ": ". */
	long_text[1021] = '\0';
	el__error(EL_EINVAL, "lost");
	el__error_prefix(long_text);
	assert_int_equal(strlen(el_error_last()), 1023);
	assert_string_equal(el_error_last() + 1021, ": ");
}

static void *error_in_thread(void *arg)
{
	el__error(EL_ERROR, "from the thread");
	return NULL;
}

static void test_error_is_per_thread(void **state)
{
	pthread_t t;

	el__error(EL_EINVAL, "from main");
	assert_int_equal(pthread_create(&t, NULL, error_in_thread, NULL), 0);
	pthread_join(t, NULL);
	el_test_assert_error(EL_EINVAL, EL_EINVAL, "from main");
}

/* ---- run.c ---- */

static long long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_run_captures_stdout(void **state)
{
	char *argv[] = { "/bin/echo", "hello", "  world", NULL };
	el__buf out;
	int status = 12345;

	el__buf_init(&out);
	el__buf_puts(&out, "stale");
	assert_int_equal(el__run_capture(&out, &status, argv, NULL, 5000), EL_OK);
	assert_string_equal(out.data, "hello   world\n");
	assert_int_equal(out.len, 14);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	el__buf_free(&out);
}

static void test_run_exit_status_and_streams(void **state)
{
	char *exit3[] = { "/bin/sh", "-c", "echo partial; exit 3", NULL };
	char *streams[] = { "/bin/sh", "-c",
			    "echo to-stderr >&2; readlink /proc/self/fd/0; readlink /proc/self/fd/2; cat; echo end",
			    NULL };
	char *env[] = { "/bin/sh", "-c", "echo \"[$EL_RUN_A][$EL_RUN_B]\"", NULL };
	char *envp[] = { "EL_RUN_A=given", NULL };
	el__buf out;
	int status;

	el__buf_init(&out);
	assert_int_equal(el__run_capture(&out, &status, exit3, NULL, 5000), EL_OK);
	assert_string_equal(out.data, "partial\n");
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);

	/* stdin and stderr are /dev/null: cat sees EOF at once, stderr is dropped. */
	assert_int_equal(el__run_capture(&out, &status, streams, NULL, 5000), EL_OK);
	assert_string_equal(out.data, "/dev/null\n/dev/null\nend\n");
	assert_int_equal(WEXITSTATUS(status), 0);

	/* envp replaces the environment; NULL passes ours. */
	setenv("EL_RUN_B", "inherited", 1);
	assert_int_equal(el__run_capture(&out, &status, env, envp, 5000), EL_OK);
	assert_string_equal(out.data, "[given][]\n");
	assert_int_equal(el__run_capture(&out, &status, env, NULL, 5000), EL_OK);
	assert_string_equal(out.data, "[][inherited]\n");
	unsetenv("EL_RUN_B");
	el__buf_free(&out);
}

static void test_run_missing_program(void **state)
{
	char *argv[] = { "/nonexistent/envlock-test-prog", "--version", NULL };
	el__buf out;
	int status = 0;

	el__buf_init(&out);
	el_test_assert_error(el__run_capture(&out, &status, argv, NULL, 5000), EL_ENOTFOUND,
		     "/nonexistent/envlock-test-prog: No such file or directory");
	assert_int_equal(status, -1);
	assert_int_equal(out.len, 0);
	el__buf_free(&out);
}

static void test_run_not_executable(void **state)
{
	char *path = el_test_path(*state, "plain");
	char *argv[] = { path, NULL };
	el__buf out;
	int status = 0;

	el_test_write(*state, "plain", "#!/bin/sh\necho should not run\n");
	el__buf_init(&out);
	el_test_assert_error(el__run_capture(&out, &status, argv, NULL, 5000), EL_ERROR,
		     el_test_fmt("%s: Permission denied", path));
	assert_int_equal(status, -1);
	el__buf_free(&out);
	free(path);
}

static void test_run_timeout_kills(void **state)
{
	char *argv[] = { "/bin/sleep", "10", NULL };
	el__buf out;
	int status;
	long long start, elapsed;

	el__buf_init(&out);
	start = monotonic_ms();
	el_test_assert_error(el__run_capture(&out, &status, argv, NULL, 300), EL_ERROR, "/bin/sleep: timed out after 300 ms");
	elapsed = monotonic_ms() - start;
	assert_true(elapsed >= 300);
	assert_true(elapsed < 2000);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	el__buf_free(&out);
}

/* A daemon left holding stdout does not keep the caller waiting. */
static void test_run_background_child_does_not_block(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "sleep 5 & echo answer", NULL };
	el__buf out;
	int status;
	long long start, elapsed;

	el__buf_init(&out);
	start = monotonic_ms();
	assert_int_equal(el__run_capture(&out, &status, argv, NULL, 4000), EL_OK);
	elapsed = monotonic_ms() - start;
	assert_string_equal(out.data, "answer\n");
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(elapsed < 1000);
	el__buf_free(&out);
}

/* Closing stdout early does not escape the time limit. */
static void test_run_timeout_after_closing_stdout(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "echo early; exec >&-; sleep 10", NULL };
	el__buf out;
	int status;
	long long start, elapsed;

	el__buf_init(&out);
	start = monotonic_ms();
	el_test_assert_error(el__run_capture(&out, &status, argv, NULL, 300), EL_ERROR, "/bin/sh: timed out after 300 ms");
	elapsed = monotonic_ms() - start;
	assert_true(elapsed >= 300);
	assert_true(elapsed < 2000);
	assert_true(WIFSIGNALED(status));
	el__buf_free(&out);
}

static void test_run_output_limit(void **state)
{
	char *argv[] = { "/bin/sh", "-c", "head -c 300000 /dev/zero", NULL };
	el__buf out;
	int status;

	el__buf_init(&out);
	el_test_assert_error(el__run_capture(&out, &status, argv, NULL, 5000), EL_EINVAL,
		     "/bin/sh: printed more than 262144 bytes");
	assert_true(out.len <= 262144);
	el__buf_free(&out);
}

#define T(name) cmocka_unit_test_setup_teardown(name, el_test_setup_tmpdir, el_test_teardown_tmpdir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_buf_init_is_empty_string),
		T(test_buf_growth_keeps_bytes_and_terminator),
		T(test_buf_printf_appends),
		T(test_buf_reset_keeps_buffer_usable),
		T(test_buf_detach),
		T(test_buf_failed_is_sticky),
		T(test_read_file_exact_bytes),
		T(test_read_file_missing),
		T(test_read_file_max_size),
		T(test_read_file_large_and_proc),
		T(test_read_file_nofollow),
		T(test_read_file_not_regular),
		T(test_root_path),
		T(test_resolve_in_root_links_stay_inside),
		T(test_resolve_in_root_errors),
		T(test_resolve_in_root_host),
		T(test_strtrim),
		T(test_basename_and_startswith),
		T(test_path_lexical),
		T(test_file_url),
		T(test_atomic_write_exact_bytes),
		T(test_atomic_write_replaces_by_rename),
		T(test_atomic_write_replaces_symlink),
		T(test_atomic_write_failures_leave_nothing),
		T(test_atomic_write_at_and_relative),
		T(test_hex_every_byte),
		T(test_u64_dec),
		T(test_sha256_vectors),
		T(test_sha256_file_matches_memory),
		T(test_sha256_file_refuses_non_regular),
		T(test_sha256_files_pool),
		T(test_cache_memory_put_get),
		T(test_cache_identity),
		T(test_cache_racy_entries_not_stored),
		T(test_cache_persists),
		T(test_cache_many_facts),
		T(test_cache_corrupt_file_is_empty),
		T(test_cache_shared_dir_refused),
		T(test_cache_symlinks_refused),
		T(test_cache_default_dir),
		T(test_lower_hex),
		T(test_printable),
		T(test_random),
		T(test_error_formats),
		T(test_error_errno),
		T(test_error_prefix),
		T(test_error_reraise),
		T(test_error_answers_not_recorded),
		T(test_error_truncation),
		T(test_error_is_per_thread),
		T(test_run_captures_stdout),
		T(test_run_exit_status_and_streams),
		T(test_run_missing_program),
		T(test_run_not_executable),
		T(test_run_timeout_kills),
		T(test_run_background_child_does_not_block),
		T(test_run_timeout_after_closing_stdout),
		T(test_run_output_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
		
