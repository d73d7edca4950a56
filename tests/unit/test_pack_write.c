/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/bundle/pack_write: a bundle written here unpacks with el_unpack to
 * the members given, with the modes and links asked for; the same
 * members give the same bytes twice, in another process and under
 * another locale, and other bytes with another time; GNU tar and zstd
 * read it and see owner 0/0 and the time given; finish's digest and count
 * are those of the file; names, places and links el_unpack would refuse
 * are refused before anything is written, and a file that changed while
 * it was read leaves the bundle unfinished.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bundle/pack_write.h"
#include "envlock/bundle.h"
#include "util/error.h"

#define MTIME 1700000000LL /* 2023-11-14 22:13:20 UTC */
#define BLOB_SIZE (3 * 1024 * 1024 + 12345)

/* A name of about len bytes in directories of 100 (a component may not pass NAME_MAX), ending in tail. */
static char *long_name(size_t len, const char *tail)
{
	char *s = malloc(len + 1);
	size_t n = 0, tail_len = strlen(tail);

	assert_non_null(s);
	while (n + tail_len < len) {
		size_t part = len - tail_len - n > 101 ? 100 : len - tail_len - n - 1;

		memset(s + n, 'd', part);
		n += part;
		s[n++] = '/';
	}
	memcpy(s + n, tail, tail_len + 1);
	return s;
}

/* Pseudo-random bytes (xorshift), the same for the same seed. */
static unsigned char *pseudo_random(size_t len, unsigned seed)
{
	unsigned char *b = malloc(len);
	unsigned long long x = 0x9e3779b97f4a7c15ULL ^ seed;

	assert_non_null(b);
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (unsigned char)(x >> 24);
	}
	return b;
}

/* The members most cases write: every kind, a file from a descriptor, long names, a name in UTF-8. */
static int add_members(el__pack_writer *w, const char *blob_path)
{
	char *name_150 = long_name(150, "f150"), *name_300 = long_name(300, "f300");
	int fd = open(blob_path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return el__error_errno(EL_ERROR, "%s", blob_path);
	if ((ret = el__pack_add_dir(w, "bin")) != EL_OK || (ret = el__pack_add_dir(w, "lib/")) != EL_OK ||
	    (ret = el__pack_add_bytes(w, "README", false, "hello\n", 6)) != EL_OK ||
	    (ret = el__pack_add_file(w, "lib/blob", false, fd, BLOB_SIZE)) != EL_OK ||
	    (ret = el__pack_add_bytes(w, "bin/run", true, "#!/bin/sh\necho run\n", 19)) != EL_OK ||
	    (ret = el__pack_add_bytes(w, "empty", false, NULL, 0)) != EL_OK ||
	    (ret = el__pack_add_symlink(w, "bin/latest", "run")) != EL_OK ||
	    (ret = el__pack_add_symlink(w, "lib/readme", "../README")) != EL_OK ||
	    (ret = el__pack_add_hardlink(w, "bin/run2", "bin/run")) != EL_OK ||
	    (ret = el__pack_add_hardlink(w, "lib/blob2", "lib/blob")) != EL_OK ||
	    (ret = el__pack_add_bytes(w, name_150, false, "150", 3)) != EL_OK ||
	    (ret = el__pack_add_bytes(w, name_300, false, "300", 3)) != EL_OK ||
	    (ret = el__pack_add_bytes(w, "donn\xc3\xa9" "es/caf\xc3\xa9", false, "utf8", 4)) != EL_OK)
		goto done;
	/* A directory's own entry after members in it. */
	ret = el__pack_add_dir(w, "donn\xc3\xa9" "es");
done:
	close(fd);
	free(name_300);
	free(name_150);
	return ret;
}

/*
 * The bundle add writes, at path: EL_OK or the first error. No assert, so
 * that a forked child may call it.
 */
static int pack(const char *path, long long mtime, int (*add)(el__pack_writer *, const char *), const char *arg,
		char hex[EL_SHA256_HEX], unsigned long long *bytes)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), ret;
	el__pack_writer *w = NULL;

	if (fd < 0)
		return el__error_errno(EL_ERROR, "%s", path);
	ret = el__pack_writer_open(&w, fd, mtime);
	if (ret == EL_OK)
		ret = add(w, arg);
	if (ret == EL_OK)
		ret = el__pack_writer_finish(w, hex, bytes);
	el__pack_writer_free(w);
	if (close(fd) != 0 && ret == EL_OK)
		ret = el__error_errno(EL_ERROR, "%s", path);
	return ret;
}

/* dir/blob: BLOB_SIZE pseudo-random bytes, which it returns. */
static unsigned char *make_blob(const char *dir)
{
	unsigned char *blob = pseudo_random(BLOB_SIZE, 1);

	el_test_write_bytes(dir, "blob", blob, BLOB_SIZE);
	return blob;
}

static void pack_members(const char *dir, const char *name, long long mtime, char hex[EL_SHA256_HEX],
			 unsigned long long *bytes)
{
	char *bundle = el_test_path(dir, name), *blob = el_test_path(dir, "blob");
	int ret = pack(bundle, mtime, add_members, blob, hex, bytes);

	if (ret != EL_OK)
		print_error("%s\n", el_error_last());
	assert_int_equal(ret, EL_OK);
	free(blob);
	free(bundle);
}

static void assert_mode(const char *dir, const char *rel, mode_t type, mode_t perm)
{
	char *path = el_test_path(dir, rel);
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & S_IFMT, type);
	assert_int_equal(st.st_mode & 07777, perm);
	free(path);
}

static void assert_content(const char *dir, const char *rel, const void *want, size_t want_len)
{
	size_t len;
	char *got = el_test_read(dir, rel, &len);

	assert_non_null(got);
	assert_int_equal(len, want_len);
	assert_memory_equal(got, want, want_len);
	free(got);
}

static void assert_link(const char *dir, const char *rel, const char *want)
{
	char *path = el_test_path(dir, rel), target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	assert_true(n >= 0);
	target[n] = '\0';
	assert_string_equal(target, want);
	free(path);
}

static void assert_same_inode(const char *dir, const char *a, const char *b)
{
	char *pa = el_test_path(dir, a), *pb = el_test_path(dir, b);
	struct stat sa, sb;

	assert_int_equal(lstat(pa, &sa), 0);
	assert_int_equal(lstat(pb, &sb), 0);
	assert_int_equal(sa.st_ino, sb.st_ino);
	assert_int_equal(sa.st_dev, sb.st_dev);
	free(pb);
	free(pa);
}

static void test_round_trip(void **state)
{
	const char *dir = *state;
	char hex[EL_SHA256_HEX], *bundle = el_test_path(dir, "b.tar.zst"), *out = el_test_path(dir, "out");
	char *name_150 = long_name(150, "f150"), *name_300 = long_name(300, "f300"), *readme;
	unsigned char *blob = make_blob(dir);
	unsigned long long bytes;
	struct stat st;

	pack_members(dir, "b.tar.zst", MTIME, hex, &bytes);
	assert_int_equal(el_unpack(bundle, out, NULL), EL_OK);
	assert_mode(out, "bin", S_IFDIR, 0755);
	assert_mode(out, "lib", S_IFDIR, 0755);
	assert_mode(out, "README", S_IFREG, 0644);
	assert_content(out, "README", "hello\n", 6);
	assert_mode(out, "lib/blob", S_IFREG, 0644);
	assert_content(out, "lib/blob", blob, BLOB_SIZE);
	assert_mode(out, "bin/run", S_IFREG, 0755);
	assert_content(out, "bin/run", "#!/bin/sh\necho run\n", 19);
	assert_mode(out, "empty", S_IFREG, 0644);
	assert_content(out, "empty", "", 0);
	assert_mode(out, "bin/latest", S_IFLNK, 0777);
	assert_link(out, "bin/latest", "run");
	assert_link(out, "lib/readme", "../README");
	assert_same_inode(out, "bin/run", "bin/run2");
	assert_same_inode(out, "lib/blob", "lib/blob2");
	assert_mode(out, "bin/run2", S_IFREG, 0755);
	assert_content(out, name_150, "150", 3);
	assert_content(out, name_300, "300", 3);
	assert_content(out, "donn\xc3\xa9" "es/caf\xc3\xa9", "utf8", 4);
	assert_mode(out, "donn\xc3\xa9" "es", S_IFDIR, 0755);
	/* Every member has the time given. */
	readme = el_test_path(out, "README");
	assert_int_equal(stat(readme, &st), 0);
	assert_int_equal(st.st_mtime, MTIME);
	free(readme);
	readme = el_test_path(out, "bin");
	assert_int_equal(stat(readme, &st), 0);
	assert_int_equal(st.st_mtime, MTIME);
	free(readme);
	free(name_300);
	free(name_150);
	free(blob);
	free(out);
	free(bundle);
}

/* rel below dir holds want: opened from dir, since dir/rel may pass PATH_MAX. */
static void assert_content_at(const char *dir, const char *rel, const char *want)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
	size_t len = strlen(want);
	char *got = malloc(len + 1);

	assert_true(dfd >= 0);
	assert_non_null(got);
	fd = openat(dfd, rel, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, len + 1), len);
	assert_memory_equal(got, want, len);
	close(fd);
	close(dfd);
	free(got);
}

/* Names ustar cannot hold (path in a pax header) and the longest el_unpack takes, from 101 bytes to 4095. */
static void test_long_names(void **state)
{
	static const size_t lengths[] = { 101, 156, 256, 300, 1000, 4095 };
	const char *dir = *state;
	char *bundle = el_test_path(dir, "b.tar.zst"), *out = el_test_path(dir, "out"), hex[EL_SHA256_HEX];
	char *too_long = long_name(4096, "f");
	unsigned long long bytes;
	el__pack_writer *w;
	int fd = open(bundle, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(el__pack_writer_open(&w, fd, MTIME), EL_OK);
	for (size_t i = 0; i < sizeof(lengths) / sizeof(*lengths); i++) {
		char *name = long_name(lengths[i], el_test_fmt("f%zu", lengths[i]));

		assert_int_equal(strlen(name), lengths[i]);
		assert_int_equal(el__pack_add_bytes(w, name, false, name, strlen(name)), EL_OK);
		free(name);
	}
	assert_int_equal(el__pack_add_bytes(w, too_long, false, "x", 1), EL_EINVAL);
	assert_non_null(strstr(el_error_last(), "': longer than 4095 bytes"));
	assert_int_equal(el__pack_writer_finish(w, hex, &bytes), EL_OK);
	el__pack_writer_free(w);
	assert_int_equal(close(fd), 0);
	assert_int_equal(el_unpack(bundle, out, NULL), EL_OK);
	for (size_t i = 0; i < sizeof(lengths) / sizeof(*lengths); i++) {
		char *name = long_name(lengths[i], el_test_fmt("f%zu", lengths[i]));

		assert_content_at(out, name, name);
		free(name);
	}
	free(too_long);
	free(out);
	free(bundle);
}

/* The whole content of dir/rel, which must exist. */
static char *slurp(const char *dir, const char *rel, size_t *len)
{
	char *s = el_test_read(dir, rel, len);

	assert_non_null(s);
	return s;
}

/* Written in a child process (another pid) under C.UTF-8 (another locale than the parent's "C"). */
static void pack_in_child(const char *dir, const char *name)
{
	char hex[EL_SHA256_HEX];
	unsigned long long bytes;
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		char *bundle = el_test_path(dir, name), *blob = el_test_path(dir, "blob");

		if (!setlocale(LC_CTYPE, "C.UTF-8"))
			_exit(3);
		_exit(pack(bundle, MTIME, add_members, blob, hex, &bytes) == EL_OK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_deterministic(void **state)
{
	const char *dir = *state;
	char hex1[EL_SHA256_HEX], hex2[EL_SHA256_HEX], hex3[EL_SHA256_HEX];
	unsigned long long bytes1, bytes2, bytes3;
	char *a, *b, *c, *d;
	size_t la, lb, lc, ld;
	unsigned char *blob = make_blob(dir);

	pack_members(dir, "1.tar.zst", MTIME, hex1, &bytes1);
	pack_members(dir, "2.tar.zst", MTIME, hex2, &bytes2);
	a = slurp(dir, "1.tar.zst", &la);
	b = slurp(dir, "2.tar.zst", &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_string_equal(hex1, hex2);
	assert_int_equal(bytes1, bytes2);
	pack_in_child(dir, "child.tar.zst");
	c = slurp(dir, "child.tar.zst", &lc);
	assert_int_equal(la, lc);
	assert_memory_equal(a, c, la);
	/* One second later: other bytes, and another digest. */
	pack_members(dir, "3.tar.zst", MTIME + 1, hex3, &bytes3);
	d = slurp(dir, "3.tar.zst", &ld);
	assert_true(la != ld || memcmp(a, d, la) != 0);
	assert_string_not_equal(hex1, hex3);
	free(d);
	free(c);
	free(b);
	free(a);
	free(blob);
}

static int add_blob_from_file(el__pack_writer *w, const char *blob_path)
{
	int fd = open(blob_path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return el__error_errno(EL_ERROR, "%s", blob_path);
	ret = el__pack_add_file(w, "blob", true, fd, BLOB_SIZE);
	close(fd);
	return ret;
}

static int add_blob_from_memory(el__pack_writer *w, const char *blob_path)
{
	size_t len;
	char *blob = el_test_read(blob_path, NULL, &len);
	int ret = el__pack_add_bytes(w, "blob", true, blob, len);

	free(blob);
	return ret;
}

/* A file's bytes give the same bundle from a descriptor or from memory. */
static void test_file_same_as_bytes(void **state)
{
	const char *dir = *state;
	char *blob_path = el_test_path(dir, "blob"), *from_file = el_test_path(dir, "f.tar.zst");
	char *from_memory = el_test_path(dir, "m.tar.zst"), hex1[EL_SHA256_HEX], hex2[EL_SHA256_HEX], *a, *b;
	unsigned char *blob = make_blob(dir);
	unsigned long long bytes1, bytes2;
	size_t la, lb;

	assert_int_equal(pack(from_file, MTIME, add_blob_from_file, blob_path, hex1, &bytes1), EL_OK);
	assert_int_equal(pack(from_memory, MTIME, add_blob_from_memory, blob_path, hex2, &bytes2), EL_OK);
	a = slurp(from_file, NULL, &la);
	b = slurp(from_memory, NULL, &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_string_equal(hex1, hex2);
	free(b);
	free(a);
	free(blob);
	free(from_memory);
	free(from_file);
	free(blob_path);
}

/* finish's digest and count are those of the file, as OpenSSL and stat see it. */
static void test_digest(void **state)
{
	const char *dir = *state;
	char hex[EL_SHA256_HEX], want[EL_SHA256_HEX], *content;
	unsigned char md[EVP_MAX_MD_SIZE], *blob = make_blob(dir);
	unsigned int mdlen = 0;
	unsigned long long bytes;
	size_t len;

	pack_members(dir, "b.tar.zst", MTIME, hex, &bytes);
	content = slurp(dir, "b.tar.zst", &len);
	assert_int_equal(bytes, len);
	assert_int_equal(EVP_Digest(content, len, md, &mdlen, EVP_sha256(), NULL), 1);
	assert_int_equal(mdlen, 32);
	for (unsigned i = 0; i < 32; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(hex, want);
	free(content);
	free(blob);
}

/* The whole output of a shell command (stdout and stderr), and its exit status. */
static char *run(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	char *out = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[4096];

	assert_non_null(p);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		memcpy(out + len, chunk, n);
		len += n;
	}
	*status = pclose(p);
	if (!out)
		out = calloc(1, 1);
	else
		out[len] = '\0';
	return out;
}

static void test_gnu_tar_reads_it(void **state)
{
	const char *dir = *state;
	char hex[EL_SHA256_HEX], *bundle = el_test_path(dir, "b.tar.zst"), *listing, *line, *save = NULL;
	unsigned char *blob = make_blob(dir);
	unsigned long long bytes;
	int status, lines = 0;

	if (system("tar --version 2>/dev/null | grep -q 'GNU tar' && command -v zstd >/dev/null") != 0)
		el_test_skip_case("GNU tar or zstd is not installed: the check that they read a bundle");
	pack_members(dir, "b.tar.zst", MTIME, hex, &bytes);
	/* One zstd frame, nothing after it. */
	free(run(el_test_fmt("zstd -tq '%s' 2>&1", bundle), &status));
	assert_int_equal(status, 0);
	listing = run(el_test_fmt("TZ=UTC tar --zstd --full-time -tvf '%s' 2>&1", bundle), &status);
	assert_int_equal(status, 0);
	/* No warning (an unknown pax keyword): every line is a member, owned by 0/0, at the time given. */
	for (line = strtok_r(listing, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, " 0/0 ") || !strstr(line, " 2023-11-14 22:13:20 "))
			fail_msg("unexpected listing line: %s", line);
		lines++;
	}
	assert_int_equal(lines, 14);
	free(listing);
	listing = run(el_test_fmt("TZ=UTC tar --zstd -tvf '%s' 2>&1", bundle), &status);
	assert_non_null(strstr(listing, "-rwxr-xr-x 0/0              19 2023-11-14 22:13 bin/run\n"));
	assert_non_null(strstr(listing, "drwxr-xr-x 0/0               0 2023-11-14 22:13 lib/\n"));
	assert_non_null(strstr(listing, "hrwxr-xr-x 0/0               0 2023-11-14 22:13 bin/run2 link to bin/run\n"));
	assert_non_null(strstr(listing, "lrwxrwxrwx 0/0               0 2023-11-14 22:13 bin/latest -> run\n"));
	assert_non_null(strstr(listing, " donn\xc3\xa9" "es/caf\xc3\xa9\n"));
	free(listing);
	/* The pax header the 300-byte name needs is named without a process id. */
	listing = run(el_test_fmt("zstd -dcq '%s' | grep -ac 'PaxHeader/'", bundle), &status);
	assert_string_not_equal(listing, "0\n");
	free(listing);
	listing = run(el_test_fmt("zstd -dcq '%s' | grep -ac 'PaxHeader\\.'", bundle), &status);
	assert_string_equal(listing, "0\n");
	free(listing);
	free(blob);
	free(bundle);
}

/* dir/f: n bytes; a descriptor on it. */
static int file_of(const char *dir, size_t n)
{
	unsigned char *data = pseudo_random(n, 2);
	char *path = el_test_path(dir, "f");
	int fd;

	el_test_write_bytes(dir, "f", data, n);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	free(path);
	free(data);
	return fd;
}

/* A writer on dir/name; the descriptor in *fd. */
static el__pack_writer *writer_on(const char *dir, const char *name, int *fd)
{
	char *path = el_test_path(dir, name);
	el__pack_writer *w = NULL;

	*fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(*fd >= 0);
	assert_int_equal(el__pack_writer_open(&w, *fd, MTIME), EL_OK);
	free(path);
	return w;
}

/* size is not what the file holds: refused, naming the member, and nothing more can be added. */
static void expect_changed(const char *dir, size_t holds, unsigned long long size, const char *message)
{
	char hex[EL_SHA256_HEX];
	unsigned long long bytes;
	int out, in = file_of(dir, holds);
	el__pack_writer *w = writer_on(dir, "b.tar.zst", &out);
	struct stat before, after;

	el_test_assert_error(el__pack_add_file(w, "lib/data.bin", false, in, size), EL_ERROR, message);
	el_test_assert_error(el__pack_add_bytes(w, "x", false, "x", 1), EL_ERROR,
			     "the bundle was left unfinished by an earlier failure");
	el_test_assert_error(el__pack_writer_finish(w, hex, &bytes), EL_ERROR,
			     "the bundle was left unfinished by an earlier failure");
	/* Freeing it writes nothing more: no end of an archive that is not whole. */
	assert_int_equal(fstat(out, &before), 0);
	el__pack_writer_free(w);
	assert_int_equal(fstat(out, &after), 0);
	assert_int_equal(before.st_size, after.st_size);
	close(out);
	close(in);
}

static void test_file_changed(void **state)
{
	const char *dir = *state;

	expect_changed(dir, 100, 200, "member 'lib/data.bin': holds 100 bytes, not 200: it changed while it was packed");
	expect_changed(dir, 0, 1, "member 'lib/data.bin': holds 0 bytes, not 1: it changed while it was packed");
	expect_changed(dir, 200, 100,
		       "member 'lib/data.bin': holds more than 100 bytes: it changed while it was packed");
	/* Longer by one byte past a whole number of reads. */
	expect_changed(dir, 2 * 1024 * 1024 + 1, 2 * 1024 * 1024,
		       "member 'lib/data.bin': holds more than 2097152 bytes: it changed while it was packed");
	expect_changed(dir, 2 * 1024 * 1024, 2 * 1024 * 1024 + 1,
		       "member 'lib/data.bin': holds 2097152 bytes, not 2097153: it changed while it was packed");
}

static void test_bad_names(void **state)
{
	static const struct {
		const char *name, *message;
	} bad[] = {
		{ "/etc/passwd", "member '/etc/passwd': an absolute name" },
		{ "..", "member '..': a '..' component" },
		{ "a/../b", "member 'a/../b': a '..' component" },
		{ "a/..", "member 'a/..': a '..' component" },
		{ ".", "member '.': a '.' component" },
		{ "./a", "member './a': a '.' component" },
		{ "a//b", "member 'a//b': an empty component" },
		{ "a/", "member 'a/': an empty component" },
		{ "", "member '': an empty name" },
		{ "a\nb", "member 'a?b': a control character" },
		{ "a\x01", "member 'a?': a control character" },
		{ "a\x7f", "member 'a?': a control character" },
		{ "a\xc2\x85", "member 'a?" "?': a control character" },
		{ "a\xff", "member 'a?': not UTF-8" },
		{ "a\xc3", "member 'a?': not UTF-8" },
	};
	const char *dir = *state;
	char hex[EL_SHA256_HEX], *bundle = el_test_path(dir, "b.tar.zst"), *out = el_test_path(dir, "out");
	unsigned long long bytes;
	int fd;
	el__pack_writer *w = writer_on(dir, "b.tar.zst", &fd);

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		el_test_assert_error(el__pack_add_bytes(w, bad[i].name, false, "x", 1), EL_EINVAL, bad[i].message);
		el_test_assert_error(el__pack_add_symlink(w, bad[i].name, "x"), EL_EINVAL, bad[i].message);
		el_test_assert_error(el__pack_add_file(w, bad[i].name, false, -1, 0), EL_EINVAL, bad[i].message);
	}
	el_test_assert_error(el__pack_add_dir(w, "/"), EL_EINVAL, "member '/': an absolute name");
	el_test_assert_error(el__pack_add_dir(w, "a//"), EL_EINVAL, "member 'a/': an empty component");
	/* What el_unpack would refuse. */
	assert_int_equal(el__pack_add_bytes(w, "f", false, "f", 1), EL_OK);
	assert_int_equal(el__pack_add_dir(w, "d"), EL_OK);
	assert_int_equal(el__pack_add_symlink(w, "d/l", "../f"), EL_OK);
	el_test_assert_error(el__pack_add_bytes(w, "f", false, "f", 1), EL_EINVAL, "member 'f': appears twice");
	el_test_assert_error(el__pack_add_dir(w, "d/"), EL_EINVAL, "member 'd': appears twice");
	el_test_assert_error(el__pack_add_bytes(w, "f/g", false, "g", 1), EL_EINVAL,
			     "member 'f/g': 'f' on its path is not a directory");
	el_test_assert_error(el__pack_add_dir(w, "d/l/x"), EL_EINVAL,
			     "member 'd/l/x': 'd/l' on its path is not a directory");
	el_test_assert_error(el__pack_add_symlink(w, "d/up", "../../x"), EL_EINVAL,
			     "member 'd/up': a symbolic link to '../../x' leads out of the directory");
	el_test_assert_error(el__pack_add_symlink(w, "d/none", ""), EL_EINVAL,
			     "member 'd/none': a symbolic link to nothing");
	el_test_assert_error(el__pack_add_symlink(w, "d/ctl", "a\tb"), EL_EINVAL,
			     "member 'd/ctl': a symbolic link's target: a control character");
	el_test_assert_error(el__pack_add_hardlink(w, "h", "g"), EL_EINVAL,
			     "member 'h': a hard link to 'g', which is not a regular file added before");
	el_test_assert_error(el__pack_add_hardlink(w, "h", "d"), EL_EINVAL,
			     "member 'h': a hard link to 'd', which is not a regular file added before");
	el_test_assert_error(el__pack_add_hardlink(w, "h", "d/l"), EL_EINVAL,
			     "member 'h': a hard link to 'd/l', which is not a regular file added before");
	el_test_assert_error(el__pack_add_hardlink(w, "../h", "f"), EL_EINVAL, "member '../h': a '..' component");
	/* A directory after members in it is no duplicate. */
	assert_int_equal(el__pack_add_bytes(w, "e/x", false, "x", 1), EL_OK);
	assert_int_equal(el__pack_add_dir(w, "e"), EL_OK);
	assert_int_equal(el__pack_add_hardlink(w, "h", "f"), EL_OK);
	/* Nothing of the refused ones was written: the bundle is whole, and holds the others alone. */
	assert_int_equal(el__pack_writer_finish(w, hex, &bytes), EL_OK);
	el_test_assert_error(el__pack_add_dir(w, "late"), EL_ERROR, "the bundle is finished");
	el__pack_writer_free(w);
	close(fd);
	assert_int_equal(el_unpack(bundle, out, NULL), EL_OK);
	assert_int_equal(el_test_count_entries(out), 4); /* f, d, e, h */
	assert_same_inode(out, "f", "h");
	assert_link(out, "d/l", "../f");
	free(out);
	free(bundle);
}

static void test_bad_time(void **state)
{
	el__pack_writer *w = (el__pack_writer *)&w;

	(void)state;
	el_test_assert_error(el__pack_writer_open(&w, 1, -1), EL_EINVAL, "a bundle's time -1 is before 1970");
	assert_null(w);
	el__pack_writer_free(NULL);
}

/* A write that fails (a full disk) fails the call that wrote, and everything after it. */
static void test_write_fails(void **state)
{
	char hex[EL_SHA256_HEX];
	unsigned long long bytes;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	el__pack_writer *w;

	(void)state;
	if (fd < 0)
		el_test_skip_case("no /dev/full here: the check on a write that fails");
	assert_int_equal(el__pack_writer_open(&w, fd, MTIME), EL_OK);
	assert_int_equal(el__pack_add_bytes(w, "f", false, "f", 1), EL_OK); /* still in zstd's buffers */
	el_test_assert_error(el__pack_writer_finish(w, hex, &bytes), EL_ERROR,
			     "the bundle's end: write failed: No space left on device");
	el_test_assert_error(el__pack_writer_finish(w, hex, &bytes), EL_ERROR,
			     "the bundle was left unfinished by an earlier failure");
	el__pack_writer_free(w);
	close(fd);
}

#define T(name) cmocka_unit_test_setup_teardown(name, el_test_setup_tmpdir, el_test_teardown_tmpdir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_round_trip),
		T(test_long_names),
		T(test_deterministic),
		T(test_file_same_as_bytes),
		T(test_digest),
		T(test_gnu_tar_reads_it),
		T(test_file_changed),
		T(test_bad_names),
		cmocka_unit_test(test_bad_time),
		cmocka_unit_test(test_write_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
