/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/data: content addresses of files and trees, the manifest text and
 * its parser, comparison, the digest cache and the manifest store.
 *
 * Expected manifests are built here from what each test wrote, and their
 * digests computed with OpenSSL directly (and once with sha256sum), never
 * with the library's own helpers. Reads are observed with inotify: a file
 * the library opens shows up as an IN_OPEN event on its directory, which
 * is how the cache tests prove that an unchanged file is not read.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <seccomp.h>

#include "data/datacache.h"
#include "data/manifest.h"
#include "envlock/data.h"
#include "envlock/error.h"
#include "util/fs.h"

#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA256_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ONLY_KINDS "cannot be locked as data (only files, directories and symbolic links)"
#define NOBODY 65534

/* What an out-parameter holds before a call that must reset it to NULL. */
static el_data_tree poison;

/* ---- helpers ---- */


/* SHA-256 as lowercase hex, straight from OpenSSL. */
static void sha_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	assert_true(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL));
	assert_int_equal(n, 32);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static const char *sha_of(const char *s)
{
	static char bufs[4][65];
	static int next;
	char *b = bufs[next++ % 4];

	sha_hex(b, s, strlen(s));
	return b;
}

/* The first word sha256sum prints for path. */
static const char *sha256sum(const char *path)
{
	static char out[128];
	char *cmd;
	FILE *p;

	assert_true(asprintf(&cmd, "sha256sum '%s'", path) > 0);
	p = popen(cmd, "r");
	free(cmd);
	assert_non_null(p);
	assert_non_null(fgets(out, sizeof(out), p));
	assert_int_equal(pclose(p), 0);
	out[64] = '\0';
	return out;
}

/* The mode as find -printf %M (the same letters as ls -l) writes it. */
static const char *find_mode(const char *path)
{
	static char out[64];
	char *cmd;
	FILE *p;

	assert_true(asprintf(&cmd, "find '%s' -maxdepth 0 -printf %%M", path) > 0);
	p = popen(cmd, "r");
	free(cmd);
	assert_non_null(p);
	assert_non_null(fgets(out, sizeof(out), p));
	assert_int_equal(pclose(p), 0);
	return out;
}

typedef struct fixture {
	char *tmp;   /* removed afterwards */
	char *tree;  /* tmp/t, empty */
	char *cache; /* tmp/cache: this test's digest cache and manifest store */
	el_data_options opts;
} fixture;

static int setup(void **state)
{
	fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->tmp = el_test_mkdtemp();
	fx->tree = el_test_path(fx->tmp, "t");
	fx->cache = el_test_path(fx->tmp, "cache");
	assert_int_equal(mkdir(fx->tree, 0755), 0);
	fx->opts = (el_data_options){ .cache_dir = fx->cache };
	el_error_clear();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	fixture *fx = *state;
	char *cmd;

	/* Directories a test made unsearchable must not stop the removal. */
	if (asprintf(&cmd, "chmod -R u+rwx '%s' 2>/dev/null", fx->tmp) > 0) {
		if (system(cmd) != 0) {
			/* nothing: rmtree reports nothing either */
		}
		free(cmd);
	}
	el_test_rmtree(fx->tmp);
	free(fx->tmp);
	free(fx->tree);
	free(fx->cache);
	free(fx);
	return 0;
}

static void write_mode(const char *dir, const char *rel, const void *data, size_t len, mode_t mode)
{
	char *path = el_test_path(dir, rel);

	el_test_write_bytes(dir, rel, data, len);
	assert_int_equal(chmod(path, mode), 0);
	free(path);
}

static void make_dir(const char *dir, const char *rel)
{
	char *path = el_test_path(dir, rel);
	char *cmd;

	assert_true(asprintf(&cmd, "mkdir -p '%s'", path) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(path);
}

static long long ns_of(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/*
 * The digest cache only keeps files whose mtime and ctime are more than two
 * seconds old; ctime cannot be set back, so tests that need cached files wait.
 */
static void wait_until_cacheable(void)
{
	struct timespec ts = { 2, 200 * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- expected manifests, built independently ---- */

typedef struct want {
	const char *path; /* raw bytes */
	const char *mode; /* as ls -l writes it */
	const char *data; /* content, or a link's target */
} want;

static void put_escaped(el__buf *b, const char *path)
{
	for (const char *p = path; *p; p++) {
		if (*p == '\\')
			el__buf_puts(b, "\\\\");
		else if (*p == '\n')
			el__buf_puts(b, "\\n");
		else
			el__buf_putc(b, *p);
	}
}

/* The manifest of ws, which the test lists in byte order (checked here). */
static char *manifest_of(const want *ws, size_t n)
{
	el__buf b;

	el__buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(ws[i - 1].path, ws[i].path) >= 0)
			fail_msg("test bug: expected entries out of order at %zu", i);
		el__buf_printf(&b, "%s %zu %s ", sha_of(ws[i].data), strlen(ws[i].data), ws[i].mode);
		put_escaped(&b, ws[i].path);
		el__buf_putc(&b, '\n');
	}
	assert_false(el__buf_failed(&b));
	return el__buf_detach(&b, NULL);
}

static mode_t mode_bits(const char *m)
{
	mode_t v = m[0] == 'l' ? S_IFLNK : S_IFREG;
	static const mode_t bits[9] = { 0400, 0200, 0100, 040, 020, 010, 04, 02, 01 };

	for (int i = 0; i < 9; i++) {
		char c = m[1 + i];

		if (c == 'r' || c == 'w' || c == 'x' || c == 's' || c == 't')
			v |= bits[i];
		if (c == 's' || c == 'S')
			v |= i == 2 ? S_ISUID : S_ISGID;
		if (c == 't' || c == 'T')
			v |= S_ISVTX;
	}
	return v;
}

/* tree is exactly ws: entries field by field, manifest text and digest. */
static void assert_tree(const el_data_tree *tree, const want *ws, size_t n)
{
	char *expect = manifest_of(ws, n), *text = NULL, hex[65];
	size_t len = 0;

	assert_non_null(tree);
	assert_true(tree->directory);
	assert_int_equal(tree->count, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(tree->entries[i].path, ws[i].path);
		assert_int_equal(tree->entries[i].size, strlen(ws[i].data));
		assert_string_equal(tree->entries[i].sha256, sha_of(ws[i].data));
		assert_int_equal(tree->entries[i].mode, mode_bits(ws[i].mode));
	}
	assert_int_equal(el_data_manifest(&text, &len, tree), EL_OK);
	assert_string_equal(text, expect);
	assert_int_equal(len, strlen(expect));
	sha_hex(hex, expect, strlen(expect));
	assert_string_equal(tree->digest, el_test_fmt("sha256:%s", hex));
	free(text);
	free(expect);
}

static el_data_tree *hash_ok(const char *path, const el_data_options *opts)
{
	el_data_tree *tree = NULL;
	int rc = el_data_hash(&tree, path, opts);

	if (rc != EL_OK)
		fail_msg("el_data_hash(%s): %d %s", path, rc, el_error_last());
	assert_non_null(tree);
	return tree;
}

/* A tree with something of everything a manifest has to say. */
static const want rich[] = {
	{ "B-upper", "-rw-r--r--", "upper\n" },
	{ "a.txt", "-rw-r--r--", "hello\n" },
	{ "back\\slash", "-rw-r--r--", "bs\n" },
	{ "caf\xc3\xa9", "-rw-r--r--", "utf8\n" },
	{ "d1/d2/d3/deep.txt", "-rw-------", "deep\n" },
	{ "dangling", "lrwxrwxrwx", "no/such/file" },
	{ "empty", "-rw-r--r--", "" },
	{ "link", "lrwxrwxrwx", "a.txt" },
	{ "new\nline", "-rw-r--r--", "nl\n" },
	{ "run.sh", "-rwxr-xr-x", "#!/bin/sh\necho hi\n" },
	{ "shadow", "lrwxrwxrwx", "/etc/shadow" },
	{ "suid", "-rwsr-xr-x", "setuid\n" },
	{ "with space", "-rw-r--r--", "sp\n" },
	{ "x-b", "-rw-r--r--", "dash\n" },
	{ "x.b", "-rw-r--r--", "dot\n" },
	{ "x/b", "-rw-r--r--", "slash\n" },
	{ "\xff\xfe", "-rw-r--r--", "bytes\n" },
};
#define RICH_COUNT (sizeof(rich) / sizeof(rich[0]))

static void build(const char *dir, const want *ws, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ws[i].mode[0] == 'l')
			el_test_symlink(dir, ws[i].path, ws[i].data);
		else
			write_mode(dir, ws[i].path, ws[i].data, strlen(ws[i].data), mode_bits(ws[i].mode) & 07777);
	}
}

static void build_rich(const char *dir)
{
	build(dir, rich, RICH_COUNT);
	/* Empty directories add nothing. */
	make_dir(dir, "emptydir");
	make_dir(dir, "d1/emptysub/deeper");
	make_dir(dir, "x/emptier");
}

/* ---- inotify: which files of a tree were opened ---- */

typedef struct watch {
	int fd;
	int n;
	int wds[64];
	char *rels[64];
	el__buf opened; /* "rel,rel,..." sorted, files only */
	int events;     /* every event, directories included */
} watch;

static watch *adding;
static size_t adding_root;

static int add_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	int wd;

	if (flag != FTW_D)
		return 0;
	assert_true(adding->n < 64);
	wd = inotify_add_watch(adding->fd, path, IN_OPEN | IN_ACCESS | IN_ONLYDIR | IN_DONT_FOLLOW);
	assert_true(wd >= 0);
	adding->wds[adding->n] = wd;
	adding->rels[adding->n] = strdup(path[adding_root] ? path + adding_root + 1 : "");
	adding->n++;
	return 0;
}

/* Watch every directory of dir (as it is now). */
static void watch_start(watch *w, const char *dir)
{
	memset(w, 0, sizeof(*w));
	el__buf_init(&w->opened);
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(w->fd >= 0);
	adding = w;
	adding_root = strlen(dir);
	assert_int_equal(nftw(dir, add_one, 16, FTW_PHYS), 0);
	adding = NULL;
}

static const char *watch_opened(watch *w);

/* Watch, and forget what the walk that set the watches up caused. */
static void watch_begin(watch *w, const char *dir)
{
	watch_start(w, dir);
	watch_opened(w);
}

static int compare_strs(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files opened since the last call, as "a,sub/b" (sorted, each once). */
static const char *watch_opened(watch *w)
{
	char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
	char *names[4096];
	size_t count = 0;
	ssize_t len;

	w->events = 0;
	while ((len = read(w->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			const char *rel = NULL;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW)
				fail_msg("inotify queue overflow");
			w->events++;
			if (!(ev->mask & IN_OPEN) || (ev->mask & IN_ISDIR) || ev->len == 0)
				continue;
			for (int i = 0; i < w->n; i++)
				if (w->wds[i] == ev->wd)
					rel = w->rels[i];
			assert_non_null(rel);
			assert_true(count < 4096);
			assert_true(asprintf(&names[count], "%s%s%s", rel, *rel ? "/" : "", ev->name) > 0);
			count++;
		}
	}
	assert_true(len < 0 && errno == EAGAIN);
	qsort(names, count, sizeof(names[0]), compare_strs);
	el__buf_reset(&w->opened);
	for (size_t i = 0; i < count; i++) {
		if (i == 0 || strcmp(names[i - 1], names[i]) != 0) {
			if (w->opened.len)
				el__buf_putc(&w->opened, ',');
			el__buf_puts(&w->opened, names[i]);
		}
	}
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	return w->opened.data;
}

static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (len == n && memcmp(p, name, n) == 0)
			return true;
		p += len + (comma ? 1 : 0);
	}
	return false;
}

static void watch_stop(watch *w)
{
	for (int i = 0; i < w->n; i++)
		free(w->rels[i]);
	el__buf_free(&w->opened);
	close(w->fd);
}

/* ---- the digest cache file, as datacache.h documents it ---- */

typedef struct record {
	uint64_t dev, ino, size, mtime_ns, ctime_ns;
	unsigned char sha256[32];
} record;

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

/* The records of cache_dir/data-v1.bin, checked to be well-formed; -1 when there is no file. */
static long read_records(const char *cache_dir, record *out, size_t max)
{
	size_t len = 0;
	char *bytes = el_test_read(cache_dir, "data-v1.bin", &len);
	const unsigned char *b = (const unsigned char *)bytes;
	uint64_t count;

	if (!bytes)
		return -1;
	assert_true(len >= 16);
	assert_memory_equal(b, "ELDATA1\n", 8);
	count = le64(b + 8);
	assert_int_equal(len, 16 + count * 72);
	assert_true(count <= max);
	for (size_t i = 0; i < count; i++) {
		const unsigned char *r = b + 16 + i * 72;

		out[i] = (record){ .dev = le64(r), .ino = le64(r + 8), .size = le64(r + 16),
				   .mtime_ns = le64(r + 24), .ctime_ns = le64(r + 32) };
		memcpy(out[i].sha256, r + 40, 32);
		if (i > 0)
			assert_true(out[i - 1].dev < out[i].dev ||
				    (out[i - 1].dev == out[i].dev && out[i - 1].ino < out[i].ino));
	}
	free(bytes);
	return (long)count;
}

/* The record for dir/rel's inode, or NULL. */
static const record *record_of(const record *rs, long n, const char *dir, const char *rel)
{
	char *path = el_test_path(dir, rel);
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	free(path);
	for (long i = 0; i < n; i++)
		if (rs[i].dev == (uint64_t)st.st_dev && rs[i].ino == (uint64_t)st.st_ino)
			return &rs[i];
	return NULL;
}

static void write_file_at(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* ==== 1. the manifest text ==== */

static void test_manifest_exact_text(void **state)
{
	fixture *fx = *state;
	el_data_tree *tree;
	char *expect, *copy;

	build_rich(fx->tree);
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, rich, RICH_COUNT);

	/* The escapes, spelled out: a backslash is "\\", a newline "\n". */
	expect = manifest_of(rich, RICH_COUNT);
	assert_non_null(strstr(expect, el_test_fmt("%s 3 -rw-r--r-- back\\\\slash\n", sha_of("bs\n"))));
	assert_non_null(strstr(expect, el_test_fmt("%s 3 -rw-r--r-- new\\nline\n", sha_of("nl\n"))));
	/* A link is its target's text: /etc/shadow is never opened. */
	assert_non_null(strstr(expect, el_test_fmt("%s 11 lrwxrwxrwx shadow\n", sha_of("/etc/shadow"))));
	assert_non_null(strstr(expect, el_test_fmt("%s 12 lrwxrwxrwx dangling\n", sha_of("no/such/file"))));

	/* The address is the plain sha256sum of that text. */
	copy = el_test_path(fx->tmp, "manifest.txt");
	el_test_write(fx->tmp, "manifest.txt", expect);
	assert_string_equal(tree->digest, el_test_fmt("sha256:%s", sha256sum(copy)));
	free(copy);
	free(expect);
	el_data_tree_free(tree);
}

static void test_manifest_order_is_bytewise(void **state)
{
	fixture *fx = *state;
	/* Full paths compared byte by byte: '-' 0x2d < '.' 0x2e < '/' 0x2f, 'Z' < '_' < 'a', 0xc3 < 0xff. */
	static const want order[] = {
		{ "A", "-rw-r--r--", "" },
		{ "Z", "-rw-r--r--", "" },
		{ "_", "-rw-r--r--", "" },
		{ "a", "-rw-r--r--", "" },
		{ "a\nb", "-rw-r--r--", "" },
		{ "a b", "-rw-r--r--", "" },
		{ "a-b", "-rw-r--r--", "" },
		{ "a.b", "-rw-r--r--", "" },
		{ "a0", "-rw-r--r--", "" },
		{ "a\\b", "-rw-r--r--", "" },
		{ "ab/c-d", "-rw-r--r--", "" },
		{ "ab/c.d", "-rw-r--r--", "" },
		{ "ab/c/d", "-rw-r--r--", "" },
		{ "ab/c0", "-rw-r--r--", "" },
		{ "ab0", "-rw-r--r--", "" },
		{ "\xc3\xa9", "-rw-r--r--", "" },
		{ "\xff", "-rw-r--r--", "" },
	};
	el_data_tree *tree;
	char *text = NULL;
	size_t len = 0;

	/* Written in reverse, so that creation order cannot pass for sorting. */
	for (size_t i = sizeof(order) / sizeof(order[0]); i-- > 0;)
		build(fx->tree, &order[i], 1);
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, order, sizeof(order) / sizeof(order[0]));
	/* The raw name orders, not its escaped form: "a\nb" (0x0a) before "a b" (0x20). */
	assert_int_equal(el_data_manifest(&text, &len, tree), EL_OK);
	assert_string_equal(text, el_test_fmt("%1$s 0 -rw-r--r-- A\n%1$s 0 -rw-r--r-- Z\n%1$s 0 -rw-r--r-- _\n"
				    "%1$s 0 -rw-r--r-- a\n%1$s 0 -rw-r--r-- a\\nb\n%1$s 0 -rw-r--r-- a b\n"
				    "%1$s 0 -rw-r--r-- a-b\n%1$s 0 -rw-r--r-- a.b\n%1$s 0 -rw-r--r-- a0\n"
				    "%1$s 0 -rw-r--r-- a\\\\b\n%1$s 0 -rw-r--r-- ab/c-d\n%1$s 0 -rw-r--r-- ab/c.d\n"
				    "%1$s 0 -rw-r--r-- ab/c/d\n%1$s 0 -rw-r--r-- ab/c0\n%1$s 0 -rw-r--r-- ab0\n%1$s 0 -rw-r--r-- \xc3\xa9\n"
				    "%1$s 0 -rw-r--r-- \xff\n",
				    SHA256_EMPTY));
	free(text);
	el_data_tree_free(tree);
}

static void test_manifest_mode_letters(void **state)
{
	fixture *fx = *state;
	static const struct {
		const char *name;
		mode_t mode;
		const char *letters;
	} cases[] = {
		{ "m0400", 0400, "-r--------" },
		{ "m0644", 0644, "-rw-r--r--" },
		{ "m0755", 0755, "-rwxr-xr-x" },
		{ "m1644", 01644, "-rw-r--r-T" },
		{ "m1777", 01777, "-rwxrwxrwt" },
		{ "m2640", 02640, "-rw-r-S---" },
		{ "m2755", 02755, "-rwxr-sr-x" },
		{ "m4644", 04644, "-rwSr--r--" },
		{ "m4755", 04755, "-rwsr-xr-x" },
		{ "m6711", 06711, "-rws--s--x" },
		{ "m7400", 07400, "-r-S--S--T" },
		{ "m7777", 07777, "-rwsrwsrwt" },
	};
	const size_t n = sizeof(cases) / sizeof(cases[0]);
	want ws[sizeof(cases) / sizeof(cases[0])];
	el_data_tree *tree;

	for (size_t i = 0; i < n; i++) {
		char *path = el_test_path(fx->tree, cases[i].name);

		write_mode(fx->tree, cases[i].name, "x", 1, cases[i].mode);
		/* The letters are the ones ls -l and find print. */
		assert_string_equal(find_mode(path), cases[i].letters);
		free(path);
		ws[i] = (want){ cases[i].name, cases[i].letters, "x" };
	}
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, ws, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(tree->entries[i].mode, S_IFREG | cases[i].mode);
	el_data_tree_free(tree);
}

static void test_manifest_empty_directories_add_nothing(void **state)
{
	fixture *fx = *state;
	el_data_tree *tree, *with_dirs;
	char *text = NULL;
	size_t len = 1;

	make_dir(fx->tree, "a/b/c");
	make_dir(fx->tree, "d");
	tree = hash_ok(fx->tree, &fx->opts);
	assert_true(tree->directory);
	assert_int_equal(tree->count, 0);
	assert_int_equal(el_data_manifest(&text, &len, tree), EL_OK);
	assert_string_equal(text, "");
	assert_int_equal(len, 0);
	assert_string_equal(tree->digest, "sha256:" SHA256_EMPTY);
	free(text);
	el_data_tree_free(tree);

	/* A file beside empty directories: the same address as the file alone. */
	el_test_write(fx->tmp, "alone/f", "x");
	el_test_write(fx->tree, "f", "x");
	tree = hash_ok(el_test_fmt("%s/alone", fx->tmp), &fx->opts);
	with_dirs = hash_ok(fx->tree, &fx->opts);
	assert_string_equal(with_dirs->digest, tree->digest);
	assert_string_equal(tree->digest, el_test_fmt("sha256:%s", sha_of(el_test_fmt("%s 1 -rw-r--r-- f\n", sha_of("x")))));
	el_data_tree_free(tree);
	el_data_tree_free(with_dirs);
}

static void test_manifest_links_never_followed(void **state)
{
	fixture *fx = *state;
	static const want ws[] = {
		{ "fifo-link", "lrwxrwxrwx", "../outside/fifo" },
		{ "null", "lrwxrwxrwx", "/dev/null" },
		{ "secret", "lrwxrwxrwx", "../outside/secret.txt" },
		{ "shadow", "lrwxrwxrwx", "/etc/shadow" },
	};
	char *outside = el_test_path(fx->tmp, "outside"), *fifo;
	el_data_tree *tree;
	watch w;

	el_test_write(outside, "secret.txt", "do not read\n");
	fifo = el_test_path(outside, "fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	build(fx->tree, ws, 4);
	watch_begin(&w, outside);
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, ws, 4);
	/* Nothing outside the tree was opened: the links were read, not followed. */
	assert_string_equal(watch_opened(&w), "");
	assert_int_equal(w.events, 0);
	watch_stop(&w);
	el_data_tree_free(tree);
	free(fifo);
	free(outside);
}

static void test_manifest_hard_links(void **state)
{
	fixture *fx = *state;
	static const want ws[] = {
		{ "one", "-rw-r--r--", "shared\n" },
		{ "sub/two", "-rw-r--r--", "shared\n" },
	};
	char *one = el_test_path(fx->tree, "one"), *two = el_test_path(fx->tree, "sub/two");
	el_data_tree *tree;

	write_mode(fx->tree, "one", "shared\n", 7, 0644);
	make_dir(fx->tree, "sub");
	assert_int_equal(link(one, two), 0);
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, ws, 2);
	el_data_tree_free(tree);
	free(one);
	free(two);
}

/* ==== 2. single files, the top path, refused kinds ==== */

static void test_single_file_address(void **state)
{
	fixture *fx = *state;
	char *abc = el_test_path(fx->tmp, "abc"), *empty = el_test_path(fx->tmp, "empty");
	char *big = el_test_path(fx->tmp, "big"), hex[65];
	const size_t big_len = (3u << 20) + 17; /* past the 1 MiB read chunks */
	char *data = malloc(big_len);
	el_data_tree *tree;

	write_mode(fx->tmp, "abc", "abc", 3, 0640);
	tree = hash_ok(abc, &fx->opts);
	assert_false(tree->directory);
	assert_int_equal(tree->count, 1);
	assert_string_equal(tree->entries[0].path, "");
	assert_int_equal(tree->entries[0].size, 3);
	assert_int_equal(tree->entries[0].mode, S_IFREG | 0640);
	assert_string_equal(tree->entries[0].sha256, SHA256_ABC);
	assert_string_equal(tree->digest, "sha256:" SHA256_ABC);
	assert_string_equal(tree->digest + 7, sha256sum(abc));
	el_data_tree_free(tree);

	el_test_write(fx->tmp, "empty", "");
	tree = hash_ok(empty, &fx->opts);
	assert_string_equal(tree->digest, "sha256:" SHA256_EMPTY);
	el_data_tree_free(tree);

	assert_non_null(data);
	for (size_t i = 0; i < big_len; i++)
		data[i] = (char)(i * 7 + i / 4096);
	el_test_write_bytes(fx->tmp, "big", data, big_len);
	sha_hex(hex, data, big_len);
	tree = hash_ok(big, &fx->opts);
	assert_string_equal(tree->digest, el_test_fmt("sha256:%s", hex));
	assert_string_equal(hex, sha256sum(big));
	assert_int_equal(tree->entries[0].size, big_len);
	el_data_tree_free(tree);
	free(data);
	free(abc);
	free(empty);
	free(big);
}

static void test_top_symlink_is_followed(void **state)
{
	fixture *fx = *state;
	char *to_file = el_test_path(fx->tmp, "to-file"), *to_dir = el_test_path(fx->tmp, "to-dir");
	char *via = el_test_path(fx->tmp, "via/t/f");
	el_data_tree *tree, *direct;

	el_test_write(fx->tree, "f", "abc");
	el_test_symlink(fx->tmp, "to-file", "t/f");
	el_test_symlink(fx->tmp, "to-dir", fx->tree);
	el_test_symlink(fx->tmp, "via", ".");

	tree = hash_ok(to_file, &fx->opts);
	assert_false(tree->directory);
	assert_string_equal(tree->digest, "sha256:" SHA256_ABC);
	el_data_tree_free(tree);

	/* Links on the way to the top are resolved as any path's. */
	tree = hash_ok(via, &fx->opts);
	assert_string_equal(tree->digest, "sha256:" SHA256_ABC);
	el_data_tree_free(tree);

	tree = hash_ok(to_dir, &fx->opts);
	direct = hash_ok(fx->tree, &fx->opts);
	assert_true(tree->directory);
	assert_int_equal(tree->count, 1);
	assert_string_equal(tree->entries[0].path, "f");
	assert_string_equal(tree->digest, direct->digest);
	el_data_tree_free(tree);
	el_data_tree_free(direct);
	free(to_file);
	free(to_dir);
	free(via);
}

static void test_top_missing_is_not_found(void **state)
{
	fixture *fx = *state;
	char *missing = el_test_path(fx->tree, "nope"), *under_file = el_test_path(fx->tree, "file/x");
	char *dangling = el_test_path(fx->tree, "dangling");
	el_data_tree *tree = &poison;

	el_test_assert_error(el_data_hash(&tree, missing, &fx->opts), EL_ENOTFOUND,
		     el_test_fmt("%s: No such file or directory", missing));
	assert_null(tree);
	el_test_write(fx->tree, "file", "x");
	el_test_assert_error(el_data_hash(&tree, under_file, &fx->opts), EL_ENOTFOUND, el_test_fmt("%s: Not a directory", under_file));
	el_test_symlink(fx->tree, "dangling", "nowhere");
	el_test_assert_error(el_data_hash(&tree, dangling, &fx->opts), EL_ENOTFOUND,
		     el_test_fmt("%s: No such file or directory", dangling));
	assert_null(tree);
	free(missing);
	free(under_file);
	free(dangling);
}

/* A Unix socket bound at path (closed again: the inode stays). */
static void make_socket(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(addr.sun_path));
	strcpy(addr.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	close(fd);
}

static void test_special_files_in_tree_refused(void **state)
{
	fixture *fx = *state;
	char *fifo_tree = el_test_path(fx->tmp, "f"), *sock_tree = el_test_path(fx->tmp, "s");
	char *fifo = el_test_path(fifo_tree, "sub/name"), *sock = el_test_path(sock_tree, "sub/name");
	el_data_tree *tree = &poison;

	el_test_write(fifo_tree, "sub/ok", "x");
	el_test_write(fifo_tree, "ok", "x");
	assert_int_equal(mkfifo(fifo, 0644), 0);
	el_test_assert_error(el_data_hash(&tree, fifo_tree, &fx->opts), EL_EINVAL,
		     el_test_fmt("%s/sub/name: a FIFO " ONLY_KINDS, fifo_tree));
	assert_null(tree);

	el_test_write(sock_tree, "sub/ok", "x");
	make_socket(sock);
	el_test_assert_error(el_data_hash(&tree, sock_tree, &fx->opts), EL_EINVAL,
		     el_test_fmt("%s/sub/name: a socket " ONLY_KINDS, sock_tree));
	assert_null(tree);

	/* Directly below the top. */
	assert_int_equal(unlink(fifo), 0);
	assert_int_equal(mkfifo(el_test_fmt("%s/top", fifo_tree), 0644), 0);
	el_test_assert_error(el_data_hash(&tree, fifo_tree, &fx->opts), EL_EINVAL, el_test_fmt("%s/top: a FIFO " ONLY_KINDS, fifo_tree));
	free(fifo_tree);
	free(sock_tree);
	free(fifo);
	free(sock);
}

static void test_special_files_as_top_refused(void **state)
{
	fixture *fx = *state;
	char *fifo = el_test_path(fx->tmp, "fifo"), *sock = el_test_path(fx->tmp, "sock");
	char *link = el_test_path(fx->tmp, "link-to-fifo");
	el_data_tree *tree = &poison;

	assert_int_equal(mkfifo(fifo, 0644), 0);
	make_socket(sock);
	el_test_symlink(fx->tmp, "link-to-fifo", "fifo");
	/* An opened FIFO with no writer must not block the hash. */
	el_test_assert_error(el_data_hash(&tree, fifo, &fx->opts), EL_EINVAL, el_test_fmt("%s: a FIFO " ONLY_KINDS, fifo));
	assert_null(tree);
	el_test_assert_error(el_data_hash(&tree, sock, &fx->opts), EL_EINVAL, el_test_fmt("%s: a socket " ONLY_KINDS, sock));
	el_test_assert_error(el_data_hash(&tree, "/dev/null", &fx->opts), EL_EINVAL,
		     "/dev/null: a character device " ONLY_KINDS);
	/* Followed, and named as the user named it. */
	el_test_assert_error(el_data_hash(&tree, link, &fx->opts), EL_EINVAL, el_test_fmt("%s: a FIFO " ONLY_KINDS, link));
	assert_null(tree);
	free(fifo);
	free(sock);
	free(link);
}

static void test_devices_in_tree_refused(void **state)
{
	fixture *fx = *state;
	char *null = el_test_path(fx->tree, "sub/null"), *blk = el_test_path(fx->tmp, "b/dev/loop");
	el_data_tree *tree = &poison;

	make_dir(fx->tree, "sub");
	if (mknod(null, S_IFCHR | 0666, makedev(1, 3)) != 0) {
		free(null);
		free(blk);
		if (errno == EPERM)
			el_test_skip_case("making a device node needs CAP_MKNOD: the device in a tree check");
		fail_msg("mknod: %s", strerror(errno));
	}
	el_test_assert_error(el_data_hash(&tree, fx->tree, &fx->opts), EL_EINVAL,
		     el_test_fmt("%s/sub/null: a character device " ONLY_KINDS, fx->tree));
	assert_null(tree);
	make_dir(fx->tmp, "b/dev");
	assert_int_equal(mknod(blk, S_IFBLK | 0600, makedev(7, 0)), 0);
	el_test_assert_error(el_data_hash(&tree, el_test_fmt("%s/b", fx->tmp), &fx->opts), EL_EINVAL,
		     el_test_fmt("%s/b/dev/loop: a block device " ONLY_KINDS, fx->tmp));
	free(null);
	free(blk);
}

/* What el_data_hash said in a child process. */
typedef struct child_result {
	int rc;
	char message[1024];
	char digest[EL_FINGERPRINT_SIZE];
} child_result;

/*
 * Run el_data_hash(path) (no cache) in a child that prepare() set up first:
 * false when prepare cannot do what it should here, or the child cannot
 * reach path.
 */
static bool hash_in_child(const char *path, bool (*prepare)(void), unsigned threads, child_result *res)
{
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	memset(res, 0, sizeof(*res));
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		el_data_options opts = { .cache_dir = "", .threads = threads };
		el_data_tree *tree = NULL;

		close(fds[0]);
		if ((prepare && !prepare()) || access(path, R_OK) != 0)
			_exit(3);
		res->rc = el_data_hash(&tree, path, &opts);
		snprintf(res->message, sizeof(res->message), "%s", el_error_last());
		if (tree)
			snprintf(res->digest, sizeof(res->digest), "%s", tree->digest);
		el_data_tree_free(tree);
		_exit(el__write_all(fds[1], res, sizeof(*res)) == 0 ? 0 : 4);
	}
	close(fds[1]);
	n = read(fds[0], res, sizeof(*res));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 3)
		return false;
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(n, (ssize_t)sizeof(*res));
	return true;
}

/* An unprivileged user (when root). */
static bool become_nobody(void)
{
	return geteuid() != 0 || (setgroups(0, NULL) == 0 && setresgid(NOBODY, NOBODY, NOBODY) == 0 &&
				  setresuid(NOBODY, NOBODY, NOBODY) == 0);
}

/* syscall nr fails with err (for fd arguments below 1000 when fd_only: a tool's own stay usable). */
static bool deny(int nr, int err, bool fd_only)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	bool ok;

	if (!ctx)
		return false;
	ok = (fd_only ? seccomp_rule_add(ctx, SCMP_ACT_ERRNO((unsigned)err), nr, 1, SCMP_A0(SCMP_CMP_LT, 1000))
		      : seccomp_rule_add(ctx, SCMP_ACT_ERRNO((unsigned)err), nr, 0)) == 0 &&
	     prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && seccomp_load(ctx) == 0;
	seccomp_release(ctx);
	return ok;
}

static bool openat2_enosys(void)
{
	return deny(SCMP_SYS(openat2), ENOSYS, false);
}

static bool openat2_eperm(void)
{
	return deny(SCMP_SYS(openat2), EPERM, false);
}

static bool nobody_without_openat2(void)
{
	return become_nobody() && openat2_enosys();
}

static bool reads_fail(void)
{
	return deny(SCMP_SYS(read), EIO, true);
}

static void test_unreadable_entries_fail(void **state)
{
	fixture *fx = *state;
	char *sub = el_test_path(fx->tree, "sub");
	child_result res;

	assert_int_equal(chmod(fx->tmp, 0755), 0);
	for (int i = 0; i < 20; i++)
		el_test_write(fx->tree, el_test_fmt("sub/ok%02d", i), "x");
	write_mode(fx->tree, "sub/locked", "secret", 6, 0000);
	assert_int_equal(chmod(sub, 0755), 0);
	if (!hash_in_child(fx->tree, become_nobody, 4, &res)) {
		free(sub);
		el_test_skip_case("cannot become an unprivileged user here: the unreadable file check");
	}
	assert_int_equal(res.rc, EL_ERROR);
	assert_string_equal(res.message, el_test_fmt("%s/sub/locked: Permission denied", fx->tree));

	assert_int_equal(chmod(sub, 0000), 0);
	assert_true(hash_in_child(fx->tree, become_nobody, 4, &res));
	assert_int_equal(res.rc, EL_ERROR);
	assert_string_equal(res.message, el_test_fmt("%s/sub: Permission denied", fx->tree));
	free(sub);
}

/* A file that cannot be read is named in the message, in a tree as alone. */
static void test_read_error_names_the_file(void **state)
{
	fixture *fx = *state;
	char *file = el_test_path(fx->tree, "sub/f");
	child_result res;

	el_test_write(fx->tree, "sub/f", "content\n");
	if (!hash_in_child(fx->tree, reads_fail, 1, &res)) {
		free(file);
		el_test_skip_case("no seccomp filter can be installed here: the failing read check");
	}
	assert_int_equal(res.rc, EL_ERROR);
	assert_string_equal(res.message, el_test_fmt("%s/sub/f: Input/output error", fx->tree));
	assert_true(hash_in_child(file, reads_fail, 1, &res));
	assert_int_equal(res.rc, EL_ERROR);
	assert_string_equal(res.message, el_test_fmt("%s: Input/output error", file));
	free(file);
}

/* Where openat2 is missing (old kernels, some container filters, valgrind), trees still hash. */
static void test_without_openat2(void **state)
{
	fixture *fx = *state;
	el_data_tree *tree;
	child_result res;

	build_rich(fx->tree);
	fx->opts.cache_dir = "";
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, rich, RICH_COUNT);
	if (!hash_in_child(fx->tree, openat2_enosys, 4, &res)) {
		el_data_tree_free(tree);
		el_test_skip_case("no seccomp filter can be installed here: the hash without openat2");
	}
	assert_int_equal(res.rc, EL_OK);
	assert_string_equal(res.digest, tree->digest);
	assert_true(hash_in_child(fx->tree, openat2_eperm, 4, &res));
	assert_int_equal(res.rc, EL_OK);
	assert_string_equal(res.digest, tree->digest);
	/*
	 * The errors stay the same. d1/d2/d3/deep.txt (0600) is unreadable to
	 * nobody too; of several files that fail, the first in path order is
	 * named, and c-locked comes before it.
	 */
	write_mode(fx->tree, "d1/d2/c-locked", "x", 1, 0000);
	assert_int_equal(chmod(fx->tmp, 0755), 0);
	if (hash_in_child(fx->tree, nobody_without_openat2, 4, &res)) {
		assert_int_equal(res.rc, EL_ERROR);
		assert_string_equal(res.message, el_test_fmt("%s/d1/d2/c-locked: Permission denied", fx->tree));
	}
	el_data_tree_free(tree);
}

/* ==== 3. parsing manifests ==== */

static void test_parse_round_trip(void **state)
{
	fixture *fx = *state;
	el_data_tree *tree, *back = NULL;
	char *text = NULL, *again = NULL;
	size_t len = 0, len2 = 0;

	build_rich(fx->tree);
	write_mode(fx->tree, "modes/all", "m", 1, 07777);
	write_mode(fx->tree, "modes/none", "m", 1, 07400);
	tree = hash_ok(fx->tree, &fx->opts);
	assert_int_equal(el_data_manifest(&text, &len, tree), EL_OK);
	assert_int_equal(el_data_manifest_parse(&back, text, len, "m"), EL_OK);
	assert_non_null(back);
	assert_true(back->directory);
	assert_int_equal(back->count, tree->count);
	assert_int_equal(back->count, RICH_COUNT + 2);
	for (size_t i = 0; i < tree->count; i++) {
		assert_string_equal(back->entries[i].path, tree->entries[i].path);
		assert_int_equal(back->entries[i].mode, tree->entries[i].mode);
		assert_int_equal(back->entries[i].size, tree->entries[i].size);
		assert_string_equal(back->entries[i].sha256, tree->entries[i].sha256);
	}
	assert_int_equal(el_data_manifest(&again, &len2, back), EL_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(again, text, len);
	free(text);
	free(again);
	el_data_tree_free(tree);
	el_data_tree_free(back);
}

static void test_parse_fields(void **state)
{
	const char *text = el_test_fmt("%s 0 -rwSr-Sr-T a\n%s 18446744073709551615 lrwxrwxrwx b\\\\c\\n\n%s 7 ---------- "
			     "name with  spaces \n",
			     SHA256_EMPTY, SHA256_ABC, SHA256_ABC);
	el_data_tree *t = NULL;

	assert_int_equal(el_data_manifest_parse(&t, text, strlen(text), "m"), EL_OK);
	assert_int_equal(t->count, 3);
	assert_string_equal(t->entries[0].path, "a");
	assert_int_equal(t->entries[0].mode, S_IFREG | S_ISUID | S_ISGID | S_ISVTX | 0644);
	assert_int_equal(t->entries[0].size, 0);
	assert_string_equal(t->entries[0].sha256, SHA256_EMPTY);
	assert_string_equal(t->entries[1].path, "b\\c\n");
	assert_int_equal(t->entries[1].mode, S_IFLNK | 0777);
	assert_true(t->entries[1].size == 18446744073709551615ULL);
	assert_string_equal(t->entries[2].path, "name with  spaces ");
	assert_int_equal(t->entries[2].mode, S_IFREG);
	el_data_tree_free(t);

	/* An empty manifest is an empty tree. */
	assert_int_equal(el_data_manifest_parse(&t, "", 0, "m"), EL_OK);
	assert_true(t->directory);
	assert_int_equal(t->count, 0);
	el_data_tree_free(t);
}

static void test_parse_refusals(void **state)
{
	char ok[128];
	char upper[65], bad_hex[65], short_hex[64];
	struct bad {
		char *text;
		int line;
		const char *message;
	} cases[32];
	size_t n = 0;

	snprintf(ok, sizeof(ok), "%s 1 -rw-r--r-- a\n", SHA256_ABC);
	snprintf(upper, sizeof(upper), "%s", SHA256_ABC);
	upper[0] = 'B';
	snprintf(bad_hex, sizeof(bad_hex), "%s", SHA256_ABC);
	bad_hex[10] = 'g';
	memcpy(short_hex, SHA256_ABC, 63);
	short_hex[63] = '\0';
	/* el_test_fmt()'s buffers rotate: each case keeps its own copy. */
#define BAD(text_) (cases[n++] = (struct bad){ strdup(text_), 0, NULL })
#define BAD_AT(text_, line_, msg_) (cases[n++] = (struct bad){ strdup(text_), line_, msg_ })
	BAD(el_test_fmt("%s 1 -rw-r--r-- a\n", bad_hex));
	BAD(el_test_fmt("%s 1 -rw-r--r-- a\n", upper));
	BAD(el_test_fmt("%s 1 -rw-r--r-- a\n", short_hex));
	BAD(el_test_fmt("%s  1 -rw-r--r-- a\n", SHA256_ABC));
	BAD("abc 1 -rw-r--r-- a\n");
	BAD("\n");
	BAD(el_test_fmt("%s\n", SHA256_ABC));
	BAD(el_test_fmt("%s 01 -rw-r--r-- a\n", SHA256_ABC));
	BAD(el_test_fmt("%s 00 -rw-r--r-- a\n", SHA256_ABC));
	BAD(el_test_fmt("%s -1 -rw-r--r-- a\n", SHA256_ABC));
	BAD(el_test_fmt("%s +1 -rw-r--r-- a\n", SHA256_ABC));
	BAD(el_test_fmt("%s 1x -rw-r--r-- a\n", SHA256_ABC));
	BAD(el_test_fmt("%s 18446744073709551616 -rw-r--r-- a\n", SHA256_ABC));
	BAD(el_test_fmt("%s 1 -rw-r--r-z a\n", SHA256_ABC));
	BAD(el_test_fmt("%s 1 -wr-r--r-- a\n", SHA256_ABC));
	BAD(el_test_fmt("%s 1 -rwtr--r-- a\n", SHA256_ABC));
	BAD(el_test_fmt("%s 1 -rw-r--r-s a\n", SHA256_ABC));
	BAD(el_test_fmt("%s 1 drwxr-xr-x a\n", SHA256_ABC));
	BAD(el_test_fmt("%s 1 prw-r--r-- a\n", SHA256_ABC));
	BAD(el_test_fmt("%s 1 crw-r--r-- a\n", SHA256_ABC));
	BAD(el_test_fmt("%s 1 -rw-r--r- a\n", SHA256_ABC));
	BAD(el_test_fmt("%s 1 -rw-r--r-- \n", SHA256_ABC));
	BAD(el_test_fmt("%s 1 -rw-r--r--\n", SHA256_ABC));
	BAD(el_test_fmt("%s 1 -rw-r--r-- a\\\n", SHA256_ABC));
	BAD(el_test_fmt("%s 1 -rw-r--r-- a\\tb\n", SHA256_ABC));
	BAD(el_test_fmt("%s 1 -rw-r--r-- \\\n", SHA256_ABC));
	/* Line numbers count from one, at the line at fault. */
	BAD_AT(el_test_fmt("%s%s 1 -rw-r--r-- b\n%s 1 -rw-r--r-- c\\x\n", ok, SHA256_ABC, SHA256_ABC), 3, NULL);
	BAD_AT(el_test_fmt("%s%s 1 -rw-r--r-- b", ok, SHA256_ABC), 2, "m:2: the last line has no newline (truncated?)");
	BAD_AT(el_test_fmt("%s 1 -rw-r--r-- c\n%s 1 -rw-r--r-- d\n%s 1 -rw-r--r-- b\n", SHA256_ABC, SHA256_ABC, SHA256_ABC), 3,
	       "m:3: paths out of order or repeated");
	BAD_AT(el_test_fmt("%s%s 2 -rw-r--r-- a\n", ok, SHA256_ABC), 2, "m:2: paths out of order or repeated");
	/* The raw path orders: "a b" (0x20) after "a\nb" (0x0a), though "\\n" is 0x5c 0x6e once escaped. */
	BAD_AT(el_test_fmt("%s 1 -rw-r--r-- a b\n%s 1 -rw-r--r-- a\\nb\n", SHA256_ABC, SHA256_ABC), 2,
	       "m:2: paths out of order or repeated");
	assert_true(n <= sizeof(cases) / sizeof(cases[0]));

	for (size_t i = 0; i < n; i++) {
		el_data_tree *t = &poison;
		const char *message = cases[i].message ? cases[i].message : el_test_fmt("m:%d: not a manifest line (SHA256 SIZE MODE PATH)", cases[i].line ? cases[i].line : 1);
		int rc = el_data_manifest_parse(&t, cases[i].text, strlen(cases[i].text), "m");

		if (rc != EL_EINVAL || strcmp(el_error_last(), message) != 0)
			fail_msg("case %zu (%s): %d %s", i, cases[i].text, rc, el_error_last());
		assert_int_equal(el_error_last_code(), EL_EINVAL);
		assert_null(t);
		free(cases[i].text);
	}

	/* A NUL byte inside a path. */
	{
		char nul[128];
		int len = snprintf(nul, sizeof(nul), "%s 1 -rw-r--r-- aXb\n", SHA256_ABC);
		el_data_tree *t = NULL;

		nul[len - 3] = '\0';
		el_test_assert_error(el_data_manifest_parse(&t, nul, (size_t)len, "m"), EL_EINVAL, "m:1: not a manifest line (SHA256 SIZE MODE PATH)");
		assert_null(t);
	}
	/* Every valid line above parses once it stands alone. */
	{
		el_data_tree *t = NULL;

		assert_int_equal(el_data_manifest_parse(&t, ok, strlen(ok), "m"), EL_OK);
		el_data_tree_free(t);
	}
#undef BAD
#undef BAD_AT
}

/* ==== 4. comparing trees ==== */

static el_data_tree *parse_ok(const char *text)
{
	el_data_tree *t = NULL;

	if (el_data_manifest_parse(&t, text, strlen(text), "t") != EL_OK)
		fail_msg("%s", el_error_last());
	return t;
}

static const char *changes_text(const el_data_change *c, size_t n)
{
	static char out[4096];
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s %s\n",
					c[i].kind == EL_DATA_CHANGED ? "changed"
					: c[i].kind == EL_DATA_ADDED ? "added"
					: c[i].kind == EL_DATA_REMOVED ? "removed" : "?",
					c[i].path);
	return out;
}

static void test_compare_kinds_in_path_order(void **state)
{
	const char *a = SHA256_ABC, *e = SHA256_EMPTY;
	el_data_tree *old = parse_ok(el_test_fmt("%1$s 3 -rw-r--r-- content\n%1$s 3 -rw-r--r-- gone\n%1$s 3 -rw-r--r-- mode\n"
				       "%1$s 3 -rw-r--r-- same\n%1$s 3 -rw-r--r-- size\n%1$s 3 -rw-r--r-- sub/b\n"
				       "%1$s 3 -rw-r--r-- type\n",
				       a));
	el_data_tree *now = parse_ok(el_test_fmt("%2$s 0 -rw-r--r-- a-first\n%2$s 3 -rw-r--r-- content\n"
				       "%1$s 3 -rwxr-xr-x mode\n%1$s 3 -rw-r--r-- same\n%1$s 4 -rw-r--r-- size\n"
				       "%1$s 3 -rw-r--r-- sub.b\n%1$s 3 lrwxrwxrwx type\n%1$s 3 -rw-r--r-- z-last\n",
				       a, e));
	el_data_change *c = NULL;
	size_t n = 99;

	assert_int_equal(el_data_compare(&c, &n, old, now), EL_OK);
	assert_string_equal(changes_text(c, n), "added a-first\nchanged content\nremoved gone\nchanged mode\n"
						"changed size\nadded sub.b\nremoved sub/b\nchanged type\nadded z-last\n");
	/* The paths are the trees' own. */
	assert_ptr_equal(c[0].path, now->entries[0].path);
	assert_ptr_equal(c[2].path, old->entries[1].path);
	free(c);

	/* The other way round, every addition is a removal. */
	assert_int_equal(el_data_compare(&c, &n, now, old), EL_OK);
	assert_string_equal(changes_text(c, n), "removed a-first\nchanged content\nadded gone\nchanged mode\n"
						"changed size\nremoved sub.b\nadded sub/b\nchanged type\nremoved z-last\n");
	free(c);

	assert_int_equal(el_data_compare(&c, &n, old, old), EL_OK);
	assert_int_equal(n, 0);
	free(c);
	el_data_tree_free(old);
	el_data_tree_free(now);

	old = parse_ok("");
	now = parse_ok(el_test_fmt("%s 3 -rw-r--r-- x\n", a));
	assert_int_equal(el_data_compare(&c, &n, old, old), EL_OK);
	assert_int_equal(n, 0);
	free(c);
	assert_int_equal(el_data_compare(&c, &n, now, old), EL_OK);
	assert_string_equal(changes_text(c, n), "removed x\n");
	free(c);
	el_data_tree_free(old);
	el_data_tree_free(now);
}

static void test_compare_hashed_trees(void **state)
{
	fixture *fx = *state;
	el_data_tree *old, *now;
	el_data_change *c = NULL;
	size_t n = 0;

	el_test_write(fx->tree, "a", "one");
	el_test_write(fx->tree, "b", "two");
	el_test_write(fx->tree, "c/d", "three");
	el_test_write(fx->tree, "e", "four");
	el_test_symlink(fx->tree, "l", "a");
	old = hash_ok(fx->tree, &fx->opts);
	el_test_write(fx->tree, "a", "ONE");                      /* same size */
	assert_int_equal(chmod(el_test_fmt("%s/b", fx->tree), 0700), 0);   /* mode only */
	assert_int_equal(unlink(el_test_fmt("%s/c/d", fx->tree)), 0);
	el_test_write(fx->tree, "c/d2", "three");
	el_test_symlink(fx->tree, "l", "b");                      /* the target's text */
	now = hash_ok(fx->tree, &fx->opts);
	assert_int_equal(el_data_compare(&c, &n, old, now), EL_OK);
	assert_string_equal(changes_text(c, n), "changed a\nchanged b\nremoved c/d\nadded c/d2\nchanged l\n");
	free(c);
	el_data_tree_free(old);
	el_data_tree_free(now);
}

/* ==== 5. the digest cache ==== */

static void test_cache_second_run_reads_nothing(void **state)
{
	fixture *fx = *state;
	static const want ws[] = {
		{ "a", "-rw-r--r--", "alpha\n" },
		{ "dir/b", "-rw-r--r--", "beta\n" },
		{ "dir/sub/c", "-rwxr-xr-x", "gamma\n" },
		{ "empty", "-rw-r--r--", "" },
		{ "hard", "-rw-r--r--", "alpha\n" },
		{ "link", "lrwxrwxrwx", "a" },
	};
	el_data_tree *tree;
	record rs[16];
	long n;
	watch w;

	build(fx->tree, ws, 6);
	assert_int_equal(unlink(el_test_fmt("%s/hard", fx->tree)), 0);
	assert_int_equal(link(el_test_fmt("%s/a", fx->tree), el_test_fmt("%s/hard", fx->tree)), 0);
	wait_until_cacheable();
	watch_begin(&w, fx->tree);

	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, ws, 6);
	assert_string_equal(watch_opened(&w), "a,dir/b,dir/sub/c,empty,hard");
	el_data_tree_free(tree);

	/* The cache file holds one record per inode, as documented. */
	n = read_records(fx->cache, rs, 16);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < 5; i++) {
		struct stat st;
		const record *r = record_of(rs, n, fx->tree, ws[i].path);
		unsigned char md[32];
		unsigned int mdlen;

		assert_non_null(r);
		assert_int_equal(lstat(el_test_fmt("%s/%s", fx->tree, ws[i].path), &st), 0);
		assert_int_equal(r->size, (uint64_t)st.st_size);
		assert_int_equal(r->mtime_ns, (uint64_t)ns_of(&st.st_mtim));
		assert_int_equal(r->ctime_ns, (uint64_t)ns_of(&st.st_ctim));
		assert_true(EVP_Digest(ws[i].data, strlen(ws[i].data), md, &mdlen, EVP_sha256(), NULL));
		assert_memory_equal(r->sha256, md, 32);
	}

	/* Warm: the same answer, and not one file opened. */
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, ws, 6);
	assert_string_equal(watch_opened(&w), "");
	el_data_tree_free(tree);

	/* Threads do not change that. */
	fx->opts.threads = 4;
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, ws, 6);
	assert_string_equal(watch_opened(&w), "");
	el_data_tree_free(tree);

	/* No cache directory: everything is read, every time. */
	fx->opts.cache_dir = "";
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, ws, 6);
	assert_string_equal(watch_opened(&w), "a,dir/b,dir/sub/c,empty,hard");
	el_data_tree_free(tree);
	watch_stop(&w);
}

static void test_cache_single_file(void **state)
{
	fixture *fx = *state;
	char *path = el_test_path(fx->tmp, "one");
	el_data_tree *tree;
	watch w;
	int reads;

	el_test_write(fx->tmp, "one", "abc");
	wait_until_cacheable();
	/* Watch the file itself: IN_ACCESS is a read of it. */
	w.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	assert_true(w.fd >= 0);
	assert_true(inotify_add_watch(w.fd, path, IN_ACCESS) >= 0);

	tree = hash_ok(path, &fx->opts);
	assert_string_equal(tree->digest, "sha256:" SHA256_ABC);
	el_data_tree_free(tree);
	for (reads = 0;; reads++) {
		struct inotify_event ev;

		if (read(w.fd, &ev, sizeof(ev)) < 0)
			break;
	}
	assert_true(reads > 0);

	tree = hash_ok(path, &fx->opts);
	assert_string_equal(tree->digest, "sha256:" SHA256_ABC);
	el_data_tree_free(tree);
	{
		struct inotify_event ev;

		assert_int_equal(read(w.fd, &ev, sizeof(ev)), -1);
		assert_int_equal(errno, EAGAIN);
	}
	close(w.fd);
	free(path);
}

static void test_cache_invalidation(void **state)
{
	fixture *fx = *state;
	want ws[] = {
		{ "a", "-rw-r--r--", "aaaa\n" },
		{ "b", "-rw-r--r--", "bbbb\n" },
		{ "c", "-rw-r--r--", "cccc\n" },
		{ "d", "-rw-r--r--", "dddd\n" },
		{ "e", "-rw-r--r--", "eeee\n" },
		{ "keep", "-rw-r--r--", "keep\n" },
		{ "sub/keep2", "-rw-r--r--", "keep2\n" },
		{ "z", "-rw-r--r--", "zzzz\n" },
	};
	size_t n = 8;
	struct stat st;
	el_data_tree *tree;
	const char *opened;
	watch w;

	build(fx->tree, ws, n);
	wait_until_cacheable();
	watch_begin(&w, fx->tree);
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, ws, n);
	el_data_tree_free(tree);
	assert_string_equal(watch_opened(&w), "a,b,c,d,e,keep,sub/keep2,z");
	tree = hash_ok(fx->tree, &fx->opts);
	assert_string_equal(watch_opened(&w), "");
	el_data_tree_free(tree);

#define STEP(must)                                                                \
	do {                                                                      \
		tree = hash_ok(fx->tree, &fx->opts);                              \
		assert_tree(tree, ws, n);                                         \
		el_data_tree_free(tree);                                          \
		opened = watch_opened(&w);                                        \
		if (*(must) && !listed(opened, must))                             \
			fail_msg("%s was not re-read (opened: %s)", must, opened); \
		assert_false(listed(opened, "keep"));                             \
		assert_false(listed(opened, "sub/keep2"));                        \
	} while (0)

	/* The content rewritten, same size, the mtime put back: ctime moved. */
	assert_int_equal(stat(el_test_fmt("%s/a", fx->tree), &st), 0);
	el_test_write(fx->tree, "a", "AAAA\n");
	{
		struct timespec times[2] = { st.st_atim, st.st_mtim };
		struct stat now;

		assert_int_equal(utimensat(AT_FDCWD, el_test_fmt("%s/a", fx->tree), times, 0), 0);
		assert_int_equal(stat(el_test_fmt("%s/a", fx->tree), &now), 0);
		assert_int_equal(now.st_size, st.st_size);
		assert_true(ns_of(&now.st_mtim) == ns_of(&st.st_mtim));
		assert_int_equal(now.st_ino, st.st_ino);
	}
	ws[0].data = "AAAA\n";
	STEP("a");

	/* chmod: the mode, and a re-read (ctime moved). */
	assert_int_equal(chmod(el_test_fmt("%s/b", fx->tree), 0600), 0);
	ws[1].mode = "-rw-------";
	STEP("b");

	/* rename: the same inode under another name. */
	assert_int_equal(rename(el_test_fmt("%s/c", fx->tree), el_test_fmt("%s/c2", fx->tree)), 0);
	ws[2].path = "c2";
	STEP("");

	/* add: "d0" sorts between "d" and "e". */
	el_test_write(fx->tree, "d0", "new\n");
	{
		want added[] = { ws[0], ws[1], ws[2], ws[3], { "d0", "-rw-r--r--", "new\n" }, ws[4], ws[5], ws[6], ws[7] };

		tree = hash_ok(fx->tree, &fx->opts);
		assert_tree(tree, added, 9);
		el_data_tree_free(tree);
		opened = watch_opened(&w);
		assert_true(listed(opened, "d0"));
		assert_false(listed(opened, "keep"));
		/* delete "d" */
		assert_int_equal(unlink(el_test_fmt("%s/d", fx->tree)), 0);
		memmove(&added[3], &added[4], 5 * sizeof(added[0]));
		tree = hash_ok(fx->tree, &fx->opts);
		assert_tree(tree, added, 8);
		el_data_tree_free(tree);
		opened = watch_opened(&w);
		assert_false(listed(opened, "keep"));
		assert_false(listed(opened, "sub/keep2"));
		memcpy(ws, added, 8 * sizeof(ws[0]));
	}

	/* Replaced by another file of the same size and mtime (a new inode). */
	assert_string_equal(ws[4].path, "e");
	assert_int_equal(stat(el_test_fmt("%s/e", fx->tree), &st), 0);
	el_test_write(fx->tree, "e.new", "EEEE\n");
	{
		struct timespec times[2] = { st.st_atim, st.st_mtim };

		assert_int_equal(utimensat(AT_FDCWD, el_test_fmt("%s/e.new", fx->tree), times, 0), 0);
	}
	assert_int_equal(rename(el_test_fmt("%s/e.new", fx->tree), el_test_fmt("%s/e", fx->tree)), 0);
	ws[4].data = "EEEE\n";
	STEP("e");

	/* Deleted and made again under the same name, size and mtime (the inode may be reused). */
	assert_string_equal(ws[7].path, "z");
	assert_int_equal(stat(el_test_fmt("%s/z", fx->tree), &st), 0);
	assert_int_equal(unlink(el_test_fmt("%s/z", fx->tree)), 0);
	el_test_write(fx->tree, "z", "ZZZZ\n");
	{
		struct timespec times[2] = { st.st_atim, st.st_mtim };

		assert_int_equal(utimensat(AT_FDCWD, el_test_fmt("%s/z", fx->tree), times, 0), 0);
	}
	ws[7].data = "ZZZZ\n";
	STEP("z");
#undef STEP
	watch_stop(&w);
}

static void test_cache_racy_rewrite(void **state)
{
	fixture *fx = *state;
	want ws[] = {
		{ "old", "-rw-r--r--", "settled\n" },
		{ "racy", "-rw-r--r--", "one\n" },
	};
	char *racy = el_test_path(fx->tree, "racy");
	struct stat before, after;
	el_data_tree *tree;
	record rs[8];
	long n;
	watch w;

	el_test_write(fx->tree, "old", "settled\n");
	wait_until_cacheable();
	el_test_write(fx->tree, "racy", "one\n");
	watch_begin(&w, fx->tree);
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, ws, 2);
	el_data_tree_free(tree);
	assert_string_equal(watch_opened(&w), "old,racy");
	/* Written less than two seconds ago: not kept. */
	n = read_records(fx->cache, rs, 8);
	assert_int_equal(n, 1);
	assert_non_null(record_of(rs, n, fx->tree, "old"));
	assert_null(record_of(rs, n, fx->tree, "racy"));

	/* Rewritten at once, same size, the mtime put back to the nanosecond. */
	assert_int_equal(stat(racy, &before), 0);
	el_test_write(fx->tree, "racy", "two\n");
	{
		struct timespec times[2] = { before.st_atim, before.st_mtim };

		assert_int_equal(utimensat(AT_FDCWD, racy, times, 0), 0);
	}
	assert_int_equal(stat(racy, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	assert_true(ns_of(&after.st_mtim) == ns_of(&before.st_mtim));
	assert_true(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
	ws[1].data = "two\n";
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, ws, 2);
	el_data_tree_free(tree);
	assert_string_equal(watch_opened(&w), "racy");
	watch_stop(&w);
	free(racy);
}

/* The rule itself, without a file system's clock: identities changed in the last 2 s are not kept. */
static void test_datacache_recent_identities_not_kept(void **state)
{
	fixture *fx = *state;
	const unsigned char md[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	unsigned char got[32];
	struct timespec now;
	struct stat old = { .st_dev = 7, .st_ino = 100, .st_size = 5 }, recent_m, recent_c, other;
	el__datacache *c;
	const char *why;
	record rs[4];

	clock_gettime(CLOCK_REALTIME, &now);
	old.st_mtim = (struct timespec){ now.tv_sec - 10, 5 };
	old.st_ctim = (struct timespec){ now.tv_sec - 9, 6 };
	recent_m = old;
	recent_m.st_ino = 101;
	recent_m.st_mtim = (struct timespec){ now.tv_sec - 1, 0 };
	recent_c = old;
	recent_c.st_ino = 102;
	recent_c.st_ctim = now;

	assert_int_equal(el__datacache_open(&c, fx->cache, &why), EL_OK);
	assert_null(why);
	assert_false(el__datacache_get(c, &old, got));
	assert_int_equal(el__datacache_put(c, &old, md), EL_OK);
	assert_int_equal(el__datacache_put(c, &recent_m, md), EL_OK);
	assert_int_equal(el__datacache_put(c, &recent_c, md), EL_OK);
	assert_int_equal(el__datacache_save(c), EL_OK);
	el__datacache_free(c);

	assert_int_equal(read_records(fx->cache, rs, 4), 1);
	assert_int_equal(rs[0].dev, 7);
	assert_int_equal(rs[0].ino, 100);
	assert_int_equal(rs[0].size, 5);
	assert_true(rs[0].mtime_ns == (uint64_t)ns_of(&old.st_mtim));
	assert_true(rs[0].ctime_ns == (uint64_t)ns_of(&old.st_ctim));
	assert_memory_equal(rs[0].sha256, md, 32);

	assert_int_equal(el__datacache_open(&c, fx->cache, &why), EL_OK);
	assert_true(el__datacache_get(c, &old, got));
	assert_memory_equal(got, md, 32);
	assert_false(el__datacache_get(c, &recent_m, got));
	assert_false(el__datacache_get(c, &recent_c, got));
	/* Any part of the identity moved: a miss. */
	other = old;
	other.st_size = 6;
	assert_false(el__datacache_get(c, &other, got));
	other = old;
	other.st_mtim.tv_nsec++;
	assert_false(el__datacache_get(c, &other, got));
	other = old;
	other.st_ctim.tv_nsec++;
	assert_false(el__datacache_get(c, &other, got));
	other = old;
	other.st_dev = 8;
	assert_false(el__datacache_get(c, &other, got));
	el__datacache_free(c);

	/* "" and NULL: in memory only. */
	assert_int_equal(el__datacache_open(&c, "", &why), EL_OK);
	assert_false(el__datacache_get(c, &old, got));
	assert_int_equal(el__datacache_put(c, &old, md), EL_OK);
	assert_int_equal(el__datacache_save(c), EL_OK);
	el__datacache_free(c);
}

static void test_cache_corrupt_file_ignored(void **state)
{
	fixture *fx = *state;
	static const want ws[] = {
		{ "a", "-rw-r--r--", "first\n" },
		{ "b", "-rw-r--r--", "second\n" },
		{ "c", "-rw-r--r--", "third\n" },
	};
	char *file = el_test_path(fx->cache, "data-v1.bin"), *elsewhere = el_test_path(fx->tmp, "lying.bin");
	unsigned char *good, *lying, *v;
	size_t len = 0;
	el_data_tree *tree;
	watch w;

	build(fx->tree, ws, 3);
	wait_until_cacheable();
	tree = hash_ok(fx->tree, &fx->opts);
	el_data_tree_free(tree);
	good = (unsigned char *)el_test_read(file, NULL, &len);
	assert_non_null(good);
	assert_int_equal(len, 16 + 3 * 72);
	/* The same file with every digest wrong: well-formed, it would be believed. */
	lying = malloc(len);
	memcpy(lying, good, len);
	for (int i = 0; i < 3; i++)
		memset(lying + 16 + i * 72 + 40, 0x5a, 32);
	v = malloc(len + 8);
	watch_begin(&w, fx->tree);

	/* The control: a well-formed file is trusted (that is what a cache is for). */
	write_file_at(file, lying, len, 0600);
	tree = hash_ok(fx->tree, &fx->opts);
	assert_string_equal(tree->entries[0].sha256, "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a");
	el_data_tree_free(tree);
	assert_string_equal(watch_opened(&w), "");

	for (int variant = 0; variant < 12; variant++) {
		size_t vlen = len;
		mode_t mode = 0600;

		memcpy(v, lying, len);
		switch (variant) {
		case 0: vlen = len - 1; break;                           /* truncated */
		case 1: vlen = 16; break;                                /* the header alone */
		case 2: vlen = 10; break;                                /* less than a header */
		case 3: vlen = 0; break;                                 /* empty */
		case 4: memcpy(v, "ELDATA2\n", 8); break;                /* wrong magic */
		case 5: put_le64(v + 8, 4); break;                       /* count and size disagree */
		case 6: put_le64(v + 8, 2); break;
		case 7: memset(v + len, 0, 8); vlen = len + 8; break;    /* trailing bytes */
		case 8:                                                  /* records unsorted */
			memcpy(v + 16, lying + 16 + 72, 72);
			memcpy(v + 16 + 72, lying + 16, 72);
			break;
		case 9: memcpy(v + 16 + 72, v + 16, 72); break;          /* a record repeated */
		case 10: mode = 0666; break;                             /* writable by others */
		case 11: mode = 0620; break;                             /* writable by the group */
		}
		write_file_at(file, v, vlen, mode);
		tree = hash_ok(fx->tree, &fx->opts);
		if (strcmp(watch_opened(&w), "a,b,c") != 0)
			fail_msg("variant %d: opened %s", variant, w.opened.data);
		assert_tree(tree, ws, 3);
		el_data_tree_free(tree);
	}

	/* Never through a symlink. */
	write_file_at(elsewhere, lying, len, 0600);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(symlink(elsewhere, file), 0);
	tree = hash_ok(fx->tree, &fx->opts);
	assert_string_equal(watch_opened(&w), "a,b,c");
	assert_tree(tree, ws, 3);
	el_data_tree_free(tree);
	/* ... and the link was replaced, not written through. */
	{
		struct stat st;
		size_t l2 = 0;
		char *still = el_test_read(elsewhere, NULL, &l2);

		assert_int_equal(lstat(file, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(l2, len);
		assert_memory_equal(still, lying, len);
		free(still);
	}
	watch_stop(&w);
	free(good);
	free(lying);
	free(v);
	free(file);
	free(elsewhere);
}

static void test_cache_foreign_file_ignored(void **state)
{
	fixture *fx = *state;
	static const want ws[] = { { "a", "-rw-r--r--", "first\n" } };
	char *file = el_test_path(fx->cache, "data-v1.bin");
	unsigned char *bytes;
	size_t len = 0;
	el_data_tree *tree;
	watch w;

	if (geteuid() != 0)
		el_test_skip_case("giving a file to another user needs root: the foreign cache file check");
	build(fx->tree, ws, 1);
	wait_until_cacheable();
	tree = hash_ok(fx->tree, &fx->opts);
	el_data_tree_free(tree);
	bytes = (unsigned char *)el_test_read(file, NULL, &len);
	assert_int_equal(len, 16 + 72);
	memset(bytes + 16 + 40, 0x5a, 32);
	write_file_at(file, bytes, len, 0600);
	assert_int_equal(chown(file, NOBODY, NOBODY), 0);
	watch_begin(&w, fx->tree);
	tree = hash_ok(fx->tree, &fx->opts);
	assert_string_equal(watch_opened(&w), "a");
	assert_tree(tree, ws, 1);
	el_data_tree_free(tree);
	watch_stop(&w);
	free(bytes);
	free(file);
}

static void test_cache_dir_refused(void **state)
{
	fixture *fx = *state;
	static const want ws[] = { { "a", "-rw-r--r--", "first\n" }, { "b/c", "-rw-r--r--", "second\n" } };
	char *shared = el_test_path(fx->tmp, "shared"), *made = el_test_path(fx->tmp, "x/y/made");
	char *good = el_test_path(fx->tmp, "good"), *via = el_test_path(fx->tmp, "via-link");
	el_data_tree *tree;
	struct stat st;
	watch w;

	build(fx->tree, ws, 2);
	wait_until_cacheable();
	watch_begin(&w, fx->tree);

	/* Writable by others: never used, so never written either. */
	assert_int_equal(mkdir(shared, 0700), 0);
	assert_int_equal(chmod(shared, 0777), 0);
	fx->opts.cache_dir = shared;
	for (int i = 0; i < 2; i++) {
		tree = hash_ok(fx->tree, &fx->opts);
		assert_tree(tree, ws, 2);
		el_data_tree_free(tree);
		assert_string_equal(watch_opened(&w), "a,b/c");
	}
	assert_int_equal(el_test_count_entries(shared), 0);
	assert_int_equal(chmod(shared, 0770), 0);
	tree = hash_ok(fx->tree, &fx->opts);
	el_data_tree_free(tree);
	assert_int_equal(el_test_count_entries(shared), 0);

	/* Reached through a symlink: not used. */
	assert_int_equal(mkdir(good, 0700), 0);
	assert_int_equal(symlink(good, via), 0);
	fx->opts.cache_dir = via;
	for (int i = 0; i < 2; i++) {
		tree = hash_ok(fx->tree, &fx->opts);
		el_data_tree_free(tree);
		assert_string_equal(watch_opened(&w), "a,b/c");
	}
	assert_int_equal(el_test_count_entries(good), 0);

	/* Missing: made, 0700, and used. */
	fx->opts.cache_dir = made;
	tree = hash_ok(fx->tree, &fx->opts);
	el_data_tree_free(tree);
	assert_string_equal(watch_opened(&w), "a,b/c");
	assert_int_equal(stat(made, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, ws, 2);
	el_data_tree_free(tree);
	assert_string_equal(watch_opened(&w), "");

	/* Owned by another user: not used. */
	if (geteuid() == 0) {
		char *foreign = el_test_path(fx->tmp, "foreign");
		record rs[4];

		assert_int_equal(mkdir(foreign, 0700), 0);
		assert_int_equal(chown(foreign, NOBODY, NOBODY), 0);
		fx->opts.cache_dir = foreign;
		for (int i = 0; i < 2; i++) {
			tree = hash_ok(fx->tree, &fx->opts);
			el_data_tree_free(tree);
			assert_string_equal(watch_opened(&w), "a,b/c");
		}
		assert_int_equal(read_records(foreign, rs, 4), -1);
		free(foreign);
	} else {
		el_test_skip_part("giving a directory to another user needs root: the foreign cache directory check");
	}
	watch_stop(&w);
	free(shared);
	free(made);
	free(good);
	free(via);
}

static void test_default_cache_dir(void **state)
{
	fixture *fx = *state;
	char *dir = el_test_path(fx->tmp, "default-cache");
	el_data_tree *tree;
	struct stat st;

	el_test_write(fx->tree, "a", "abc");
	assert_int_equal(setenv("ENVLOCK_CACHE_DIR", dir, 1), 0);
	tree = hash_ok(fx->tree, NULL);
	assert_string_equal(tree->digest, el_test_fmt("sha256:%s", sha_of(el_test_fmt("%s 3 -rw-r--r-- a\n", SHA256_ABC))));
	el_data_tree_free(tree);
	/* options NULL: the default directory (here ENVLOCK_CACHE_DIR), made on first use. */
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* options.cache_dir NULL is the same. */
	assert_int_equal(rmdir(dir), 0);
	fx->opts.cache_dir = NULL;
	tree = hash_ok(fx->tree, &fx->opts);
	el_data_tree_free(tree);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(setenv("ENVLOCK_CACHE_DIR", "", 1), 0);
	free(dir);
}

/* ==== 6. the manifest store ==== */

static void test_store_round_trip(void **state)
{
	fixture *fx = *state;
	el_data_tree *tree, *back = NULL;
	char *text = NULL, *stored, *name;
	size_t len = 0, slen = 0;
	struct stat st, again;

	build_rich(fx->tree);
	tree = hash_ok(fx->tree, &fx->opts);
	assert_int_equal(el_data_store_save(tree, fx->cache), EL_OK);
	name = el_test_path(fx->cache, el_test_fmt("manifests/%s", tree->digest + 7));
	/* The file is the manifest, byte for byte, this user's alone. */
	assert_int_equal(el_data_manifest(&text, &len, tree), EL_OK);
	stored = el_test_read(name, NULL, &slen);
	assert_non_null(stored);
	assert_int_equal(slen, len);
	assert_memory_equal(stored, text, len);
	assert_int_equal(lstat(name, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 077, 0);
	assert_int_equal(stat(el_test_fmt("%s/manifests", fx->cache), &again), 0);
	assert_int_equal(again.st_mode & 07777, 0700);

	assert_int_equal(el_data_store_load(&back, tree->digest, fx->cache), EL_OK);
	assert_non_null(back);
	assert_true(back->directory);
	assert_string_equal(back->digest, tree->digest);
	assert_tree(back, rich, RICH_COUNT);
	el_data_tree_free(back);

	/* Saving again does nothing: the same file stays. */
	assert_int_equal(el_data_store_save(tree, fx->cache), EL_OK);
	assert_int_equal(lstat(name, &again), 0);
	assert_int_equal(again.st_ino, st.st_ino);
	assert_true(ns_of(&again.st_mtim) == ns_of(&st.st_mtim));
	free(text);
	free(stored);
	free(name);
	el_data_tree_free(tree);
}

static void test_store_empty_tree_and_files(void **state)
{
	fixture *fx = *state;
	char *file = el_test_path(fx->tmp, "single");
	el_data_tree *tree, *back = NULL;

	make_dir(fx->tree, "only/empty/dirs");
	tree = hash_ok(fx->tree, &fx->opts);
	assert_int_equal(el_data_store_save(tree, fx->cache), EL_OK);
	assert_int_equal(el_data_store_load(&back, "sha256:" SHA256_EMPTY, fx->cache), EL_OK);
	assert_true(back->directory);
	assert_int_equal(back->count, 0);
	assert_string_equal(back->digest, "sha256:" SHA256_EMPTY);
	el_data_tree_free(back);
	el_data_tree_free(tree);

	/* A single file has no manifest to keep. */
	el_test_write(fx->tmp, "single", "abc");
	tree = hash_ok(file, &fx->opts);
	assert_int_equal(el_data_store_save(tree, fx->cache), EL_OK);
	assert_int_equal(el_test_count_entries(el_test_fmt("%s/manifests", fx->cache)), 1);
	assert_int_equal(el_data_store_load(&back, tree->digest, fx->cache), EL_ENOTFOUND);
	assert_null(back);
	el_data_tree_free(tree);

	/* No cache directory: nothing kept, nothing found. */
	el_test_write(fx->tree, "f", "x");
	tree = hash_ok(fx->tree, &fx->opts);
	assert_int_equal(el_data_store_save(tree, ""), EL_OK);
	assert_int_equal(el_data_store_load(&back, tree->digest, ""), EL_ENOTFOUND);
	assert_int_equal(el_data_store_load(&back, tree->digest, fx->cache), EL_ENOTFOUND);
	el_data_tree_free(tree);
	free(file);
}

static void test_store_altered_not_loaded(void **state)
{
	fixture *fx = *state;
	el_data_tree *tree, *other, *back = &poison;
	char *name, *text;
	size_t len = 0;

	el_test_write(fx->tree, "a", "one\n");
	el_test_write(fx->tree, "b/c", "two\n");
	tree = hash_ok(fx->tree, &fx->opts);
	assert_int_equal(el_data_store_save(tree, fx->cache), EL_OK);
	name = el_test_path(fx->cache, el_test_fmt("manifests/%s", tree->digest + 7));
	text = el_test_read(name, NULL, &len);
	assert_non_null(text);

	/* One hex digit of a file's digest changed: still a well-formed manifest. */
	{
		char first = text[0];

		text[0] = first == '0' ? '1' : '0';
		write_file_at(name, text, len, 0600);
		assert_int_equal(el_data_store_load(&back, tree->digest, fx->cache), EL_ENOTFOUND);
		assert_null(back);
		text[0] = first;
	}

	/* Truncated. */
	write_file_at(name, text, len - 1, 0600);
	assert_int_equal(el_data_store_load(&back, tree->digest, fx->cache), EL_ENOTFOUND);
	/* A longer manifest of another tree under this name. */
	el_test_write(fx->tree, "d", "three\n");
	other = hash_ok(fx->tree, &fx->opts);
	{
		char *otext = NULL;
		size_t olen = 0;

		assert_int_equal(el_data_manifest(&otext, &olen, other), EL_OK);
		write_file_at(name, otext, olen, 0600);
		free(otext);
	}
	assert_int_equal(el_data_store_load(&back, tree->digest, fx->cache), EL_ENOTFOUND);
	/* Restored, it loads again. */
	write_file_at(name, text, len, 0600);
	assert_int_equal(el_data_store_load(&back, tree->digest, fx->cache), EL_OK);
	el_data_tree_free(back);
	/* The store directory itself shared: not used. */
	assert_int_equal(chmod(el_test_fmt("%s/manifests", fx->cache), 0777), 0);
	assert_int_equal(el_data_store_load(&back, tree->digest, fx->cache), EL_ENOTFOUND);
	assert_int_equal(el_data_store_save(other, fx->cache), EL_OK);
	assert_int_equal(access(el_test_fmt("%s/manifests/%s", fx->cache, other->digest + 7), F_OK), -1);
	assert_int_equal(chmod(el_test_fmt("%s/manifests", fx->cache), 0700), 0);
	/* A symlink in the store is not followed. */
	{
		char *elsewhere = el_test_path(fx->tmp, "elsewhere");

		write_file_at(elsewhere, text, len, 0600);
		assert_int_equal(unlink(name), 0);
		assert_int_equal(symlink(elsewhere, name), 0);
		assert_int_equal(el_data_store_load(&back, tree->digest, fx->cache), EL_ENOTFOUND);
		free(elsewhere);
	}
	if (geteuid() == 0) {
		/* Another user's file: not trusted. */
		assert_int_equal(unlink(name), 0);
		write_file_at(name, text, len, 0600);
		assert_int_equal(chown(name, NOBODY, NOBODY), 0);
		assert_int_equal(el_data_store_load(&back, tree->digest, fx->cache), EL_ENOTFOUND);
	} else {
		el_test_skip_part("giving a file to another user needs root: the foreign manifest check");
	}
	assert_null(back);
	free(name);
	free(text);
	el_data_tree_free(tree);
	el_data_tree_free(other);
}

static void test_store_unknown_digest(void **state)
{
	fixture *fx = *state;
	el_data_tree *tree, *back = &poison;
	char upper[80];

	el_test_write(fx->tree, "a", "x");
	tree = hash_ok(fx->tree, &fx->opts);
	/* Before anything is stored (no store directory yet). */
	assert_int_equal(el_data_store_load(&back, tree->digest, fx->cache), EL_ENOTFOUND);
	assert_null(back);
	assert_int_equal(el_data_store_save(tree, fx->cache), EL_OK);
	assert_int_equal(el_data_store_load(&back, "sha256:" SHA256_ABC, fx->cache), EL_ENOTFOUND);
	assert_null(back);
	snprintf(upper, sizeof(upper), "%s", tree->digest);
	for (char *p = upper + 7; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(el_data_store_load(&back, upper, fx->cache), EL_ENOTFOUND);
	assert_int_equal(el_data_store_load(&back, tree->digest + 7, fx->cache), EL_ENOTFOUND);
	assert_int_equal(el_data_store_load(&back, "", fx->cache), EL_ENOTFOUND);
	assert_int_equal(el_data_store_load(&back, "sha256:", fx->cache), EL_ENOTFOUND);
	assert_int_equal(el_data_store_load(&back, el_test_fmt("sha512:%s", tree->digest + 7), fx->cache), EL_ENOTFOUND);
	assert_int_equal(el_data_store_load(&back, el_test_fmt("%.70s", tree->digest), fx->cache), EL_ENOTFOUND);
	assert_int_equal(el_data_store_load(&back, el_test_fmt("%sa", tree->digest), fx->cache), EL_ENOTFOUND);
	assert_null(back);
	/* The real one still loads. */
	assert_int_equal(el_data_store_load(&back, tree->digest, fx->cache), EL_OK);
	el_data_tree_free(back);
	el_data_tree_free(tree);
}

/* A digest is a name in the store, never a path: "../" in one opens nothing outside it. */
static void test_store_digest_is_not_a_path(void **state)
{
	fixture *fx = *state;
	char digest[80], *outside = el_test_path(fx->tmp, "o");
	el_data_tree *tree, *back = &poison;
	watch w;

	el_test_write(fx->tree, "a", "x");
	tree = hash_ok(fx->tree, &fx->opts);
	assert_int_equal(el_data_store_save(tree, fx->cache), EL_OK);
	/* cache/manifests/../../o/<name>: 64 characters after "sha256:". */
	snprintf(digest, sizeof(digest), "sha256:../../o/%s", "0123456789abcdef0123456789abcdef0123456789abcdef01234567");
	assert_int_equal(strlen(digest), 7 + 64);
	el_test_write(outside, digest + 7 + 8, "whatever\n");
	watch_begin(&w, outside);
	assert_int_equal(el_data_store_load(&back, digest, fx->cache), EL_ENOTFOUND);
	assert_null(back);
	assert_string_equal(watch_opened(&w), "");
	watch_stop(&w);
	el_data_tree_free(tree);
	free(outside);
}

/* ==== 7. threads ==== */

static void test_threads_same_digest(void **state)
{
	fixture *fx = *state;
	const size_t n = 2000;
	want *ws = calloc(n, sizeof(*ws));
	char (*paths)[32] = calloc(n, sizeof(*paths)), (*data)[32] = calloc(n, sizeof(*data));
	el_data_tree *one, *four, *all;

	assert_non_null(ws);
	/* Named so that creation order and byte order differ. */
	for (size_t i = 0; i < n; i++) {
		snprintf(paths[i], sizeof(paths[i]), "d%02zu/f%04zu", (i * 7) % 20, i);
		snprintf(data[i], sizeof(data[i]), "file %zu\n", i);
		el_test_write(fx->tree, paths[i], data[i]);
		ws[i] = (want){ paths[i], "-rw-r--r--", data[i] };
	}
	/* The expected list, sorted here. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(ws[j - 1].path, ws[j].path) > 0; j--) {
			want t = ws[j];

			ws[j] = ws[j - 1];
			ws[j - 1] = t;
		}
	fx->opts.cache_dir = "";
	fx->opts.threads = 1;
	one = hash_ok(fx->tree, &fx->opts);
	fx->opts.threads = 4;
	four = hash_ok(fx->tree, &fx->opts);
	fx->opts.threads = 0;
	all = hash_ok(fx->tree, &fx->opts);
	assert_int_equal(one->count, n);
	assert_tree(one, ws, n);
	assert_tree(four, ws, n);
	assert_tree(all, ws, n);
	assert_string_equal(four->digest, one->digest);
	el_data_tree_free(one);
	el_data_tree_free(four);
	el_data_tree_free(all);
	free(ws);
	free(paths);
	free(data);
}

/* ==== 8. hostile trees ==== */

static void test_symlink_loops(void **state)
{
	fixture *fx = *state;
	static const want ws[] = {
		{ "dir/up", "lrwxrwxrwx", ".." },
		{ "loop1", "lrwxrwxrwx", "loop2" },
		{ "loop2", "lrwxrwxrwx", "loop1" },
		{ "self", "lrwxrwxrwx", "self" },
	};
	char *self = el_test_path(fx->tree, "self");
	el_data_tree *tree = NULL;

	build(fx->tree, ws, 4);
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, ws, 4);
	el_data_tree_free(tree);
	/* A loop named as the top cannot be followed. */
	el_test_assert_error(el_data_hash(&tree, self, &fx->opts), EL_ERROR, el_test_fmt("%s: Too many levels of symbolic links", self));
	assert_null(tree);
	free(self);
}

static void test_symlink_to_outside_dir_not_walked(void **state)
{
	fixture *fx = *state;
	char *outside = el_test_path(fx->tmp, "outside");
	want ws[] = {
		{ "abs", "lrwxrwxrwx", outside },
		{ "inside", "-rw-r--r--", "mine\n" },
		{ "rel", "lrwxrwxrwx", "../outside" },
		{ "sub/root", "lrwxrwxrwx", "/" },
	};
	el_data_tree *tree;
	watch w;

	el_test_write(outside, "secret.txt", "not mine\n");
	el_test_write(outside, "deeper/more.txt", "nor this\n");
	build(fx->tree, ws, 4);
	watch_begin(&w, outside);
	tree = hash_ok(fx->tree, &fx->opts);
	/* Only the links themselves: nothing below them. */
	assert_tree(tree, ws, 4);
	el_data_tree_free(tree);
	assert_string_equal(watch_opened(&w), "");
	assert_int_equal(w.events, 0);
	watch_stop(&w);
	free(outside);
}

/* ==== 9. the walk on several threads ==== */

static int compare_wants(const void *a, const void *b)
{
	return strcmp(((const want *)a)->path, ((const want *)b)->path);
}

/* The open descriptors of this process. */
static int open_fds(void)
{
	return el_test_count_entries("/proc/self/fd");
}

/*
 * Directories that sort differently by name than their paths do ("a" and
 * "a.b": "a.b" < "a/..."), a directory of more names than one thread
 * stats at a time, and many small ones: the same entries, in full-path
 * byte order, on any number of threads.
 */
static void test_walk_order_any_threads(void **state)
{
	fixture *fx = *state;
	static const char *const names[] = { "a", "a.b", "a-b", "a0", "a\xff", "A", "a b", "ab" };
	const size_t nn = sizeof(names) / sizeof(names[0]), flat = 300, small = 40;
	size_t n = 0, cap = nn * nn + nn + flat + small;
	want *ws = calloc(cap, sizeof(*ws));
	char (*paths)[64] = calloc(cap, sizeof(*paths));
	static const unsigned threads[] = { 1, 2, 3, 8, 0 };
	el_data_tree *first = NULL;

	assert_non_null(ws);
	assert_non_null(paths);
	/* Each name as a directory holding each name as a file. */
	for (size_t i = 0; i < nn; i++)
		for (size_t j = 0; j < nn; j++) {
			snprintf(paths[n], sizeof(paths[n]), "%s/%s", names[i], names[j]);
			ws[n] = (want){ paths[n], "-rw-r--r--", names[j] };
			n++;
		}
	/* Directories and files side by side: "mix/a.b" (a file) sorts before "mix/a/x". */
	for (size_t i = 0; i < nn; i++) {
		snprintf(paths[n], sizeof(paths[n]), i % 2 ? "mix/%s" : "mix/%s/x", names[i]);
		ws[n] = (want){ paths[n], "-rw-r--r--", names[i] };
		n++;
	}
	/* A flat directory, created in reverse order. */
	for (size_t i = flat; i-- > 0;) {
		snprintf(paths[n], sizeof(paths[n]), "flat/%03zu", (i * 37) % flat);
		ws[n] = (want){ paths[n], i % 5 ? "-rw-r--r--" : "lrwxrwxrwx", i % 5 ? "data" : "../a" };
		n++;
	}
	for (size_t i = 0; i < small; i++) {
		snprintf(paths[n], sizeof(paths[n]), "s/%02zu/deep/%zu", (i * 7) % small, i);
		ws[n] = (want){ paths[n], "-rw-r--r--", "" };
		n++;
	}
	assert_true(n <= cap);
	build(fx->tree, ws, n);
	make_dir(fx->tree, "s/empty");
	qsort(ws, n, sizeof(*ws), compare_wants);
	fx->opts.cache_dir = "";
	for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]); t++) {
		el_data_tree *tree;

		fx->opts.threads = threads[t];
		tree = hash_ok(fx->tree, &fx->opts);
		assert_tree(tree, ws, n);
		if (first)
			assert_string_equal(tree->digest, first->digest);
		else
			first = tree;
		if (tree != first)
			el_data_tree_free(tree);
	}
	el_data_tree_free(first);
	free(ws);
	free(paths);
}

/* Many directories, one of them unreadable: that one is named, on any number of threads. */
static void test_walk_unreadable_directory(void **state)
{
	fixture *fx = *state;
	child_result res;

	assert_int_equal(chmod(fx->tmp, 0755), 0);
	for (int d = 0; d < 30; d++)
		for (int f = 0; f < 20; f++)
			el_test_write(fx->tree, el_test_fmt("d%02d/sub/f%02d", d, f), "x");
	assert_int_equal(chmod(el_test_fmt("%s/d17/sub", fx->tree), 0000), 0);
	for (unsigned threads = 1; threads <= 8; threads *= 2) {
		if (!hash_in_child(fx->tree, become_nobody, threads, &res))
			el_test_skip_case("cannot become an unprivileged user here: the unreadable directory check");
		assert_int_equal(res.rc, EL_ERROR);
		assert_string_equal(res.message, el_test_fmt("%s/d17/sub: Permission denied", fx->tree));
	}
}

/* fstatat(dirfd, name, AT_SYMLINK_NOFOLLOW) answers ENOENT, as for an entry removed after readdir. */
static bool entries_vanish(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	bool ok;

	if (!ctx)
		return false;
	ok = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOENT), SCMP_SYS(newfstatat), 1,
			      SCMP_A3(SCMP_CMP_EQ, AT_SYMLINK_NOFOLLOW)) == 0 &&
	     prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && seccomp_load(ctx) == 0;
	seccomp_release(ctx);
	return ok;
}

/* openat(..., O_DIRECTORY) answers ENOENT, as for a directory removed after its parent's fstatat. */
static bool directories_vanish(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	bool ok;

	if (!ctx)
		return false;
	ok = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOENT), SCMP_SYS(openat), 1,
			      SCMP_A2(SCMP_CMP_MASKED_EQ, O_DIRECTORY, O_DIRECTORY)) == 0 &&
	     prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && seccomp_load(ctx) == 0;
	seccomp_release(ctx);
	return ok;
}

/* What disappears while the walk looks fails the hash, naming it. */
static void test_walk_entry_vanishes(void **state)
{
	fixture *fx = *state;
	char *one = el_test_path(fx->tmp, "one"), *nested = el_test_path(fx->tmp, "nested");
	child_result res;

	el_test_write(one, "gone", "x");
	if (!hash_in_child(one, entries_vanish, 4, &res)) {
		free(one);
		free(nested);
		el_test_skip_case("no seccomp filter can be installed here: the vanishing entry check");
	}
	assert_int_equal(res.rc, EL_ERROR);
	assert_string_equal(res.message, el_test_fmt("%s/gone: No such file or directory", one));
	el_test_write(nested, "sub/f", "x");
	assert_true(hash_in_child(nested, directories_vanish, 4, &res));
	assert_int_equal(res.rc, EL_ERROR);
	assert_string_equal(res.message, el_test_fmt("%s/sub: changed while it was hashed", nested));
	free(one);
	free(nested);
}

/* Links to a directory outside, at every level of a tree wide enough for every thread: recorded, not walked. */
static void test_walk_links_out_not_followed(void **state)
{
	fixture *fx = *state;
	char *outside = el_test_path(fx->tmp, "outside");
	const size_t dirs = 20, files = 50, n = dirs * (files + 2);
	want *ws = calloc(n, sizeof(*ws));
	char (*paths)[48] = calloc(n, sizeof(*paths));
	el_data_tree *tree;
	size_t k = 0;
	watch w;

	assert_non_null(ws);
	assert_non_null(paths);
	el_test_write(outside, "secret.txt", "not mine\n");
	el_test_write(outside, "deeper/more.txt", "nor this\n");
	for (size_t d = 0; d < dirs; d++) {
		for (size_t f = 0; f < files; f++) {
			snprintf(paths[k], sizeof(paths[k]), "d%02zu/f%02zu", d, f);
			ws[k] = (want){ paths[k], "-rw-r--r--", "mine\n" };
			k++;
		}
		snprintf(paths[k], sizeof(paths[k]), "d%02zu/out-abs", d);
		ws[k] = (want){ paths[k], "lrwxrwxrwx", outside };
		k++;
		snprintf(paths[k], sizeof(paths[k]), "d%02zu/out-rel", d);
		ws[k] = (want){ paths[k], "lrwxrwxrwx", "../../outside" };
		k++;
	}
	build(fx->tree, ws, n);
	qsort(ws, n, sizeof(*ws), compare_wants);
	watch_begin(&w, outside);
	fx->opts.threads = 8;
	tree = hash_ok(fx->tree, &fx->opts);
	assert_tree(tree, ws, n);
	el_data_tree_free(tree);
	assert_string_equal(watch_opened(&w), "");
	assert_int_equal(w.events, 0);
	watch_stop(&w);
	free(ws);
	free(paths);
	free(outside);
}

static bool few_descriptors(void)
{
	struct rlimit lim = { 32, 32 };

	return setrlimit(RLIMIT_NOFILE, &lim) == 0;
}

/* A directory's descriptor is held until its subdirectories are opened, not for the whole walk below it. */
static void test_walk_deep_tree_few_descriptors(void **state)
{
	fixture *fx = *state;
	el__buf rel;
	el_data_tree *tree;
	child_result res;

	el__buf_init(&rel);
	for (int i = 0; i < 200; i++)
		el__buf_puts(&rel, i ? "/d" : "d");
	el_test_write(fx->tree, el_test_fmt("%s/leaf", rel.data), "bottom\n");
	el_test_write(fx->tree, "top", "top\n");
	fx->opts.cache_dir = "";
	tree = hash_ok(fx->tree, &fx->opts);
	assert_int_equal(tree->count, 2);
	assert_string_equal(tree->entries[0].path, el_test_fmt("%s/leaf", rel.data));
	for (unsigned threads = 1; threads <= 4; threads *= 2) {
		assert_true(hash_in_child(fx->tree, few_descriptors, threads, &res));
		assert_int_equal(res.rc, EL_OK);
		assert_string_equal(res.digest, tree->digest);
	}
	el_data_tree_free(tree);
	el__buf_free(&rel);
}

/* Success or failure, on many threads, every descriptor and thread the walk took is given back. */
static void test_walk_leaves_nothing_open(void **state)
{
	fixture *fx = *state;
	int before = open_fds();
	el_data_tree *tree = &poison;

	for (int d = 0; d < 40; d++)
		for (int f = 0; f < 70; f++)
			el_test_write(fx->tree, el_test_fmt("d%02d/e/f%02d", d, f), "x");
	fx->opts.cache_dir = "";
	fx->opts.threads = 8;
	tree = hash_ok(fx->tree, &fx->opts);
	assert_int_equal(tree->count, 40 * 70);
	el_data_tree_free(tree);
	assert_int_equal(open_fds(), before);
	/* A refusal deep in one directory stops the others midway. */
	assert_int_equal(mkfifo(el_test_fmt("%s/d23/e/pipe", fx->tree), 0600), 0);
	for (int i = 0; i < 5; i++) {
		el_test_assert_error(el_data_hash(&tree, fx->tree, &fx->opts), EL_EINVAL,
				     el_test_fmt("%s/d23/e/pipe: a FIFO " ONLY_KINDS, fx->tree));
		assert_null(tree);
		assert_int_equal(open_fds(), before);
	}
}

/* max_entries counts files and links across every thread. */
static void test_walk_max_entries(void **state)
{
	fixture *fx = *state;
	el_data_tree *tree = &poison;

	for (int d = 0; d < 10; d++)
		for (int f = 0; f < 50; f++)
			el_test_write(fx->tree, el_test_fmt("d%d/f%02d", d, f), "x");
	fx->opts.cache_dir = "";
	fx->opts.threads = 4;
	fx->opts.max_entries = 499;
	el_test_assert_error(el_data_hash(&tree, fx->tree, &fx->opts), EL_ERROR,
			     el_test_fmt("%s: more than 499 files, not hashed", fx->tree));
	assert_null(tree);
	fx->opts.max_entries = 500;
	tree = hash_ok(fx->tree, &fx->opts);
	assert_int_equal(tree->count, 500);
	el_data_tree_free(tree);
}

/* Sizes of every width and escapes at every position, as the format spells them. */
static void test_manifest_sizes_and_escapes(void **state)
{
	static const struct {
		const char *path;
		unsigned long long size;
		const char *line_tail; /* after the digest and a space */
	} cases[] = {
		{ "\n", 0, "0 -rw-r--r-- \\n\n" },
		{ "\n\n", 9, "9 -rw-r--r-- \\n\\n\n" },
		{ "\\", 10, "10 -rw-r--r-- \\\\\n" },
		{ "\\n", 99, "99 -rw-r--r-- \\\\n\n" },
		{ "a\\", 100, "100 -rw-r--r-- a\\\\\n" },
		{ "b\n\\c", 4294967296ULL, "4294967296 -rw-r--r-- b\\n\\\\c\n" },
		{ "plain", 18446744073709551615ULL, "18446744073709551615 -rw-r--r-- plain\n" },
	};
	const size_t n = sizeof(cases) / sizeof(cases[0]);
	el_data_tree tree = { .directory = true, .count = n };
	el_data_entry entries[sizeof(cases) / sizeof(cases[0])];
	el__buf want_text;
	char *text = NULL;
	size_t len = 0;

	(void)state;
	el__buf_init(&want_text);
	for (size_t i = 0; i < n; i++) {
		entries[i] = (el_data_entry){ .path = (char *)(uintptr_t)cases[i].path, .mode = S_IFREG | 0644,
					      .size = cases[i].size };
		snprintf(entries[i].sha256, sizeof(entries[i].sha256), "%s", sha_of(cases[i].path));
		el__buf_printf(&want_text, "%s %s", entries[i].sha256, cases[i].line_tail);
	}
	tree.entries = entries;
	assert_int_equal(el_data_manifest(&text, &len, &tree), EL_OK);
	assert_string_equal(text, want_text.data);
	assert_int_equal(len, want_text.len);
	free(text);
	/* No entries: "", not NULL. */
	tree.count = 0;
	assert_int_equal(el_data_manifest(&text, &len, &tree), EL_OK);
	assert_non_null(text);
	assert_string_equal(text, "");
	assert_int_equal(len, 0);
	free(text);
	el__buf_free(&want_text);
}

/* The address is hashed as lines are written: the same as the text's, across buffer ends and long lines. */
static void test_manifest_digest_without_text(void **state)
{
	const size_t n = 3000, long_len = 150000;
	el_data_entry *entries = calloc(n, sizeof(*entries));
	el_data_tree tree = { .directory = true, .entries = entries, .count = n };
	char *text = NULL, expect[65], got[EL_SHA256_HEX];
	size_t len = 0;

	(void)state;
	assert_non_null(entries);
	for (size_t i = 0; i < n; i++) {
		entries[i].mode = S_IFREG | 0600;
		entries[i].size = i * 1000003ULL;
		snprintf(entries[i].sha256, sizeof(entries[i].sha256), "%s", sha_of(el_test_fmt("%zu", i)));
		if (i == n / 2) {
			/* Longer than the buffer, escapes inside. */
			entries[i].path = malloc(long_len + 1);
			assert_non_null(entries[i].path);
			for (size_t c = 0; c < long_len; c++)
				entries[i].path[c] = c % 997 == 0 ? '\n' : c % 1009 == 0 ? '\\' : (char)('a' + c % 26);
			entries[i].path[long_len] = '\0';
		} else {
			assert_true(asprintf(&entries[i].path, "dir%03zu/file\\%zu", i / 100, i) > 0);
		}
	}
	assert_int_equal(el_data_manifest(&text, &len, &tree), EL_OK);
	assert_true(len > 2 * 65536);
	sha_hex(expect, text, len);
	assert_int_equal(el__data_manifest_digest(got, &tree), EL_OK);
	assert_string_equal(got, expect);
	free(text);
	tree.count = 0;
	assert_int_equal(el__data_manifest_digest(got, &tree), EL_OK);
	assert_string_equal(got, SHA256_EMPTY);
	for (size_t i = 0; i < n; i++)
		free(entries[i].path);
	free(entries);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_manifest_exact_text),
		T(test_manifest_order_is_bytewise),
		T(test_manifest_mode_letters),
		T(test_manifest_empty_directories_add_nothing),
		T(test_manifest_links_never_followed),
		T(test_manifest_hard_links),
		T(test_single_file_address),
		T(test_top_symlink_is_followed),
		T(test_top_missing_is_not_found),
		T(test_special_files_in_tree_refused),
		T(test_special_files_as_top_refused),
		T(test_devices_in_tree_refused),
		T(test_unreadable_entries_fail),
		T(test_read_error_names_the_file),
		T(test_without_openat2),
		T(test_parse_round_trip),
		T(test_parse_fields),
		T(test_parse_refusals),
		T(test_compare_kinds_in_path_order),
		T(test_compare_hashed_trees),
		T(test_cache_second_run_reads_nothing),
		T(test_cache_single_file),
		T(test_cache_invalidation),
		T(test_cache_racy_rewrite),
		T(test_datacache_recent_identities_not_kept),
		T(test_cache_corrupt_file_ignored),
		T(test_cache_foreign_file_ignored),
		T(test_cache_dir_refused),
		T(test_default_cache_dir),
		T(test_store_round_trip),
		T(test_store_empty_tree_and_files),
		T(test_store_altered_not_loaded),
		T(test_store_unknown_digest),
		T(test_store_digest_is_not_a_path),
		T(test_threads_same_digest),
		T(test_symlink_loops),
		T(test_symlink_to_outside_dir_not_walked),
		T(test_walk_order_any_threads),
		T(test_walk_unreadable_directory),
		T(test_walk_entry_vanishes),
		T(test_walk_links_out_not_followed),
		T(test_walk_deep_tree_few_descriptors),
		T(test_walk_leaves_nothing_open),
		T(test_walk_max_entries),
		T(test_manifest_sizes_and_escapes),
		T(test_manifest_digest_without_text),
	};

	/* Nothing here may touch the user's own cache: the default is "none" unless a test says. */
	setenv("ENVLOCK_CACHE_DIR", "", 1);
	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
