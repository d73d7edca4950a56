/* SPDX-License-Identifier: Apache-2.0 */
/*
 * el__oci_unpack (src/bundle/oci.h) on the images tests/tools/make_oci.py
 * writes, once for the group: the good ones (an OCI layout of three layers
 * with whiteouts, the same as podman's oci-archive, docker save's tar old
 * and new, docker's media types, a multi-platform index plain and nested)
 * unpack to what the generator says, and their digest is the chosen
 * manifest's; every hostile or broken one is refused with its exact
 * message, and leaves nothing: DIR as it was, nothing beside it, nothing
 * in $TMPDIR.
 *
 * Each case works in its own directory TOP: DIR is TOP/work/out, and
 * $TMPDIR is TOP/tmp while el__oci_unpack runs.
 */
#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bundle/oci.h"
#include "envlock/bundle.h"
#include "util/error.h"
#include "util/sha256.h"

#define MAKE_OCI EL_FIXTURES "/../tools/make_oci.py"

/* The generator's output (TOP/images of a directory of the group's own), and whether it had zstd. */
static char *images_top;
static char *images;
static bool have_zstd;

static int make_images(void **state)
{
	char cmd[8192], *marker;
	struct stat st;

	(void)state;
	if (system("command -v python3 >/dev/null 2>&1") != 0)
		el_test_skip("python3 is not installed: tests/tools/make_oci.py makes the images");
	images_top = el_test_mkdtemp();
	images = el_test_path(images_top, "images");
	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s'", MAKE_OCI, images);
	if (system(cmd) != 0) {
		print_error("%s failed\n", cmd);
		return -1;
	}
	marker = el_test_path(images, "ZSTD-MISSING");
	have_zstd = stat(marker, &st) != 0;
	free(marker);
	return 0;
}

static int remove_images(void **state)
{
	(void)state;
	el_test_rmtree(images_top);
	free(images_top);
	free(images);
	return 0;
}

/* images/rel, malloc'd. */
static char *image_path(const char *rel)
{
	return el_test_path(images, rel);
}

/* A file the generator wrote beside the images (NAME.blob, NAME.digest), malloc'd. */
static char *image_note(const char *rel)
{
	char *text = el_test_read(images, rel, NULL);

	assert_non_null(text);
	return text;
}

/* TOP/work and TOP/tmp made; DIR (TOP/work/out) in a malloc'd string. */
static char *prepare(const char *top)
{
	char *work = el_test_path(top, "work"), *tmp = el_test_path(top, "tmp");

	assert_int_equal(mkdir(work, 0755), 0);
	assert_int_equal(mkdir(tmp, 0755), 0);
	free(tmp);
	free(work);
	return el_test_path(top, "work/out");
}

/* el__oci_unpack with $TMPDIR at TOP/tmp, which it leaves empty. */
static int unpack(const char *top, const char *image, const char *dir, const el_unpack_limits *limits,
		  char digest[72])
{
	char *tmp = el_test_path(top, "tmp"), *old = getenv("TMPDIR");
	int rc;

	if (old)
		old = strdup(old);
	assert_int_equal(setenv("TMPDIR", tmp, 1), 0);
	el_error_clear();
	rc = el__oci_unpack(image, dir, limits, digest);
	if (old)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	if (el_test_count_entries(tmp) != 0)
		print_error("el__oci_unpack left something in $TMPDIR (%s)\n", tmp);
	assert_int_equal(el_test_count_entries(tmp), 0);
	free(old);
	free(tmp);
	return rc;
}

/* The tree's listing: its lines (see below), to sort. */
struct lines {
	char **v;
	size_t n, cap;
};

static void add_line(struct lines *l, char *line)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		assert_non_null(l->v);
	}
	l->v[l->n++] = line;
}

static void walk(const char *top, const char *rel, struct lines *l)
{
	char *path = rel ? el_test_path(top, rel) : strdup(top);
	DIR *d = opendir(path);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char *child, *full, *line, target[4096];
		struct stat st;
		ssize_t n;
		int r;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (rel)
			r = asprintf(&child, "%s/%s", rel, e->d_name);
		else
			r = asprintf(&child, "%s", e->d_name);
		assert_true(r >= 0);
		full = el_test_path(top, child);
		assert_int_equal(lstat(full, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			r = asprintf(&line, "%s|d|%o||", child, (unsigned)(st.st_mode & 07777));
		} else if (S_ISREG(st.st_mode)) {
			r = asprintf(&line, "%s|f|%o|%lld|", child, (unsigned)(st.st_mode & 07777),
				     (long long)st.st_size);
		} else if (S_ISLNK(st.st_mode)) {
			n = readlink(full, target, sizeof(target) - 1);
			assert_true(n >= 0);
			target[n] = '\0';
			r = asprintf(&line, "%s|l|||%s", child, target);
		} else {
			r = asprintf(&line, "%s|?|%o||", child, (unsigned)st.st_mode);
		}
		assert_true(r >= 0);
		add_line(l, line);
		if (S_ISDIR(st.st_mode))
			walk(top, child, l);
		free(full);
		free(child);
	}
	closedir(d);
	free(path);
}

static int by_bytes(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The tree under dir, the top not listed, as make_oci.py's NAME.expected
 * spell it: "PATH|d|MODE||", "PATH|f|MODE|SIZE|", "PATH|l|||TARGET", a
 * line each, sorted bytewise. MODE is mode & 07777 in octal for files too,
 * so that a set-id or sticky bit left on a file shows (none is expected).
 * Malloc'd.
 */
static char *listing(const char *dir)
{
	struct lines l = { 0 };
	size_t len = 1;
	char *text, *p;

	walk(dir, NULL, &l);
	qsort(l.v, l.n, sizeof(*l.v), by_bytes);
	for (size_t i = 0; i < l.n; i++)
		len += strlen(l.v[i]) + 1;
	p = text = malloc(len);
	assert_non_null(text);
	*p = '\0';
	for (size_t i = 0; i < l.n; i++) {
		p += sprintf(p, "%s\n", l.v[i]);
		free(l.v[i]);
	}
	free(l.v);
	return text;
}

static void assert_digest_format(const char *digest)
{
	assert_int_equal(strlen(digest), 71);
	assert_memory_equal(digest, "sha256:", 7);
	for (int i = 7; i < 71; i++)
		assert_non_null(strchr("0123456789abcdef", digest[i]));
}

enum { LAYOUT = 1, NEEDS_ZSTD = 2 };

/*
 * name unpacks, as name_expected says; its digest is what digest_note
 * says (NULL: only its form is checked) and, for a layout, the sha256 of
 * the blob it names. Nothing but DIR is left in TOP/work.
 */
static void check_good(const char *top, const char *name, const char *expected_note, const char *digest_note,
		       int flags)
{
	char *image = image_path(name), *dir, *want, *got, digest[72];
	int rc;

	if ((flags & NEEDS_ZSTD) && !have_zstd)
		el_test_skip_case("%s has a zstd layer, and make_oci.py did not write it: zstd is not installed", name);
	dir = prepare(top);
	memset(digest, 'X', sizeof(digest));
	rc = unpack(top, image, dir, NULL, digest);
	if (rc != EL_OK)
		print_error("%s: %s\n", name, el_error_last());
	assert_int_equal(rc, EL_OK);
	want = image_note(expected_note);
	got = listing(dir);
	assert_string_equal(got, want);
	assert_digest_format(digest);
	if (digest_note) {
		char *note = image_note(digest_note);

		assert_string_equal(digest, note);
		free(note);
	}
	if (flags & LAYOUT) {
		char blob[256], hex[EL_SHA256_HEX];
		struct stat st;
		char *path;

		snprintf(blob, sizeof(blob), "blobs/sha256/%s", digest + 7);
		path = el_test_path(image, blob);
		assert_int_equal(el__sha256_file(hex, &st, path), EL_OK);
		assert_string_equal(hex, digest + 7);
		free(path);
	}
	{
		char *work = el_test_path(top, "work");

		assert_int_equal(el_test_count_entries(work), 1);
		free(work);
	}
	free(got);
	free(want);
	free(dir);
	free(image);
}

/* What the three layers of base leave, beyond the listing. */
static void check_base_contents(const char *top)
{
	char *out = el_test_path(top, "work/out"), *tool, *hl, *text;
	struct stat st;
	char *suid = el_test_path(out, "usr/bin/suid");

	text = el_test_read(out, "replaced", NULL);
	assert_non_null(text);
	assert_string_equal(text, "v2");
	free(text);
	text = el_test_read(out, "dir2file", NULL);
	assert_non_null(text);
	assert_string_equal(text, "now a file\n");
	free(text);
	text = el_test_read(out, "opq/new1", NULL);
	assert_non_null(text);
	assert_string_equal(text, "new1\n");
	free(text);
	/* Its set-user-ID bit cleared, no error. */
	assert_int_equal(lstat(suid, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	free(suid);
	/* The third layer's hard link to the first layer's file: the same bytes. */
	tool = el_test_read(out, "usr/bin/tool", NULL);
	hl = el_test_read(out, "usr/bin/tool-hl", NULL);
	assert_non_null(tool);
	assert_non_null(hl);
	assert_string_equal(hl, tool);
	free(hl);
	free(tool);
	free(out);
}

static void test_base_layout(void **state)
{
	check_good(*state, "base", "base.expected", "base.digest", LAYOUT | NEEDS_ZSTD);
	check_base_contents(*state);
}

static void test_base_oci_archive(void **state)
{
	check_good(*state, "base.oci.tar", "base.expected", "base.digest", NEEDS_ZSTD);
	check_base_contents(*state);
}

static void test_base_docker25(void **state)
{
	check_good(*state, "base.docker25.tar", "base.expected", "base.docker25.digest", 0);
	check_base_contents(*state);
}

static void test_base_docker_legacy(void **state)
{
	/* No manifest: the digest is the config's (docker's image id), as oci.h says. */
	check_good(*state, "base.docker.tar", "base.expected", "base.docker.digest", 0);
	check_base_contents(*state);
}

static void test_docker_media_types(void **state)
{
	check_good(*state, "docker-types", "base.expected", "docker-types.digest", LAYOUT);
	check_base_contents(*state);
}

static void check_amd64(const char *top)
{
	char *text = el_test_read(top, "work/out/arch", NULL);

	assert_non_null(text);
	assert_string_equal(text, "amd64\n");
	free(text);
}

static void test_multiarch(void **state)
{
	check_good(*state, "multiarch", "multiarch.expected", "multiarch.digest", LAYOUT);
	check_amd64(*state);
}

/* A whiteout after the same layer's entry below it, and a layer writing into a lower 0550 directory. */
static void test_whiteout_order_and_read_only_dir(void **state)
{
	check_good(*state, "order", "order.expected", "order.digest", LAYOUT);
}

static void test_multiarch_nested(void **state)
{
	check_good(*state, "multiarch-nested", "multiarch.expected", "multiarch-nested.digest", LAYOUT);
	check_amd64(*state);
}

/* digest_out may be NULL; DIR may be an empty directory. */
static void test_no_digest_empty_dir(void **state)
{
	const char *top = *state;
	char *image = image_path("multiarch"), *dir = prepare(top), *want, *got;
	int rc;

	assert_int_equal(mkdir(dir, 0755), 0);
	rc = unpack(top, image, dir, NULL, NULL);
	if (rc != EL_OK)
		print_error("%s\n", el_error_last());
	assert_int_equal(rc, EL_OK);
	want = image_note("multiarch.expected");
	got = listing(dir);
	assert_string_equal(got, want);
	check_amd64(top);
	free(got);
	free(want);
	free(dir);
	free(image);
}

/*
 * After a refusal: DIR absent (or, existed, still an empty directory),
 * nothing beside it, TOP as it was.
 */
static void check_nothing_left(const char *top, const char *dir, bool dir_existed)
{
	char *work = el_test_path(top, "work");
	struct stat st;

	if (dir_existed) {
		assert_int_equal(lstat(dir, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(el_test_count_entries(dir), 0);
		assert_int_equal(el_test_count_entries(work), 1);
	} else {
		assert_int_equal(lstat(dir, &st), -1);
		assert_int_equal(errno, ENOENT);
		assert_int_equal(el_test_count_entries(work), 0);
	}
	assert_int_equal(el_test_count_entries(top), 2); /* work, tmp */
	free(work);
}

/* name refused with code and exactly message; nothing left. */
static void check_refused(const char *top, const char *name, int code, const char *message)
{
	char *image = image_path(name), *dir = prepare(top), digest[72];

	assert_int_equal(unpack(top, image, dir, NULL, digest), code);
	assert_int_equal(el_error_last_code(), code);
	assert_string_equal(el_error_last(), message);
	check_nothing_left(top, dir, false);
	free(dir);
	free(image);
}

/* The same, for a message of which only the start is fixed, and which must hold needle, on one line. */
static void check_refused_prefix(const char *top, const char *name, const char *needle)
{
	char *image = image_path(name), *dir = prepare(top), prefix[4200];
	const char *msg;

	assert_int_equal(unpack(top, image, dir, NULL, NULL), EL_EINVAL);
	msg = el_error_last();
	snprintf(prefix, sizeof(prefix), "%s: ", image);
	if (strncmp(msg, prefix, strlen(prefix)) != 0 || !strstr(msg + strlen(prefix), needle) || strchr(msg, '\n'))
		print_error("message: %s\nwanted: '%s' first, '%s' in it, one line\n", msg, prefix, needle);
	assert_int_equal(strncmp(msg, prefix, strlen(prefix)), 0);
	assert_non_null(strstr(msg + strlen(prefix), needle));
	assert_null(strchr(msg, '\n'));
	check_nothing_left(top, dir, false);
	free(dir);
	free(image);
}

/* The hex digits of the blob make_oci.py says NAME is about (NAME.blob), in a static buffer. */
static const char *blob_of(const char *name)
{
	static char hex[8][EL_SHA256_HEX];
	static int next;
	char note[256], *text, *b = hex[next++ % 8];

	snprintf(note, sizeof(note), "%s.blob", name);
	text = image_note(note);
	assert_int_equal(strlen(text), 64);
	snprintf(b, EL_SHA256_HEX, "%s", text);
	free(text);
	return b;
}

/* images/name as the messages give it: the argument as given. */
static const char *img(const char *name)
{
	return el_test_fmt("%s/%s", images, name);
}

static void test_bad_digest(void **state)
{
	check_refused(*state, "bad-digest", EL_EINVAL,
		      el_test_fmt("%s: blob sha256:%s: its content does not match its digest", img("bad-digest"),
				  blob_of("bad-digest")));
}

static void test_bad_size(void **state)
{
	const char *hex = blob_of("bad-size");
	char *blob = el_test_path(images, el_test_fmt("bad-size/blobs/sha256/%s", hex));
	struct stat st;

	assert_int_equal(stat(blob, &st), 0);
	check_refused(*state, "bad-size", EL_EINVAL,
		      el_test_fmt("%s: blob sha256:%s: %lld bytes, the descriptor says %lld", img("bad-size"), hex,
				  (long long)st.st_size, (long long)st.st_size + 1));
	free(blob);
}

static void test_missing_blob(void **state)
{
	check_refused(*state, "missing-blob", EL_EINVAL,
		      el_test_fmt("%s: blob sha256:%s: No such file or directory", img("missing-blob"),
				  blob_of("missing-blob")));
}

static void test_digest_traversal(void **state)
{
	check_refused(*state, "digest-traversal", EL_EINVAL,
		      el_test_fmt("%s: 'sha256:../../../../etc/passwd' is not a sha256 digest", img("digest-traversal")));
}

static void test_md5_digest(void **state)
{
	check_refused(*state, "md5-digest", EL_EINVAL,
		      el_test_fmt("%s: 'md5:d41d8cd98f00b204e9800998ecf8427e' is not a sha256 digest",
				  img("md5-digest")));
}

static void test_bad_media_type(void **state)
{
	check_refused(*state, "bad-mediatype", EL_EINVAL,
		      el_test_fmt("%s: layer sha256:%s: media type 'application/vnd.oci.image.layer.v1.tar+bzip9' "
				  "is not a layer envlock can apply",
				  img("bad-mediatype"), blob_of("bad-mediatype")));
}

static void test_layer_dotdot(void **state)
{
	check_refused(*state, "layer-dotdot", EL_EINVAL,
		      el_test_fmt("%s: layer sha256:%s: entry '../escape': a '..' component leaves the directory",
				  img("layer-dotdot"), blob_of("layer-dotdot")));
}

static void test_layer_device(void **state)
{
	check_refused(*state, "layer-device", EL_EINVAL,
		      el_test_fmt("%s: layer sha256:%s: entry 'dev/null': a character device", img("layer-device"),
				  blob_of("layer-device")));
}

static void test_layer_dup(void **state)
{
	check_refused(*state, "layer-dup", EL_EINVAL,
		      el_test_fmt("%s: layer sha256:%s: entry 'twice': appears twice", img("layer-dup"),
				  blob_of("layer-dup")));
}

static void test_arm_only(void **state)
{
	check_refused(*state, "arm-only", EL_EINVAL, el_test_fmt("%s: no manifest for linux/amd64", img("arm-only")));
}

/* linux/arm64 and windows/amd64: neither is linux/amd64. */
static void test_no_linux_amd64(void **state)
{
	check_refused(*state, "no-linux-amd64", EL_EINVAL,
		      el_test_fmt("%s: no manifest for linux/amd64", img("no-linux-amd64")));
}

static void test_bad_json_index(void **state)
{
	check_refused_prefix(*state, "bad-json", "index.json");
}

static void test_bad_json_manifest(void **state)
{
	check_refused_prefix(*state, "bad-json-manifest", el_test_fmt("sha256:%s", blob_of("bad-json-manifest")));
}

static void test_empty_image_dir(void **state)
{
	check_refused(*state, "empty-dir", EL_EINVAL,
		      el_test_fmt("%s: not an OCI image layout or docker save archive (no index.json or manifest.json)",
				  img("empty-dir")));
}

/* A refusal in the second layer, DIR an empty directory: it stays, empty. */
static void test_refused_into_empty_dir(void **state)
{
	const char *top = *state;
	char *image = image_path("layer-dotdot"), *dir = prepare(top);

	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(unpack(top, image, dir, NULL, NULL), EL_EINVAL);
	assert_string_equal(el_error_last(),
			    el_test_fmt("%s: layer sha256:%s: entry '../escape': a '..' component leaves the directory",
					image, blob_of("layer-dotdot")));
	check_nothing_left(top, dir, true);
	free(dir);
	free(image);
}

static void test_dir_not_empty(void **state)
{
	const char *top = *state;
	char *image = image_path("multiarch"), *dir = prepare(top), *work = el_test_path(top, "work");

	el_test_write(dir, "keep", "mine\n");
	el_test_assert_error(unpack(top, image, dir, NULL, NULL), EL_EINVAL,
			     el_test_fmt("%s: exists and is not empty", dir));
	assert_int_equal(el_test_count_entries(dir), 1);
	assert_int_equal(el_test_count_entries(work), 1);
	free(work);
	free(image);
	free(dir);
}

static void test_image_missing(void **state)
{
	const char *top = *state;
	char *image = image_path("no-such-image"), *dir = prepare(top);

	el_test_assert_error(unpack(top, image, dir, NULL, NULL), EL_ENOTFOUND,
			     el_test_fmt("%s: No such file or directory", image));
	check_nothing_left(top, dir, false);
	free(image);
	free(dir);
}

/* The limits hold for layers: base's first layer alone has more than 3 entries. */
static void test_limits(void **state)
{
	el_unpack_limits limits = { .max_entries = 3 };
	const char *top = *state;
	char *image = image_path("base.docker25.tar"), *dir = prepare(top), prefix[4200];
	const char *msg;

	assert_int_equal(unpack(top, image, dir, &limits, NULL), EL_EINVAL);
	msg = el_error_last();
	snprintf(prefix, sizeof(prefix), "%s: ", image);
	if (strncmp(msg, prefix, strlen(prefix)) != 0 || !strstr(msg, "more than 3 entries"))
		print_error("message: %s\n", msg);
	assert_int_equal(strncmp(msg, prefix, strlen(prefix)), 0);
	assert_non_null(strstr(msg, "more than 3 entries"));
	assert_null(strchr(msg, '\n'));
	check_nothing_left(top, dir, false);
	free(image);
	free(dir);
}

#define T(name) cmocka_unit_test_setup_teardown(name, el_test_setup_tmpdir, el_test_teardown_tmpdir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_base_layout),
		T(test_base_oci_archive),
		T(test_base_docker25),
		T(test_base_docker_legacy),
		T(test_docker_media_types),
		T(test_multiarch),
		T(test_whiteout_order_and_read_only_dir),
		T(test_multiarch_nested),
		T(test_no_digest_empty_dir),
		T(test_bad_digest),
		T(test_bad_size),
		T(test_missing_blob),
		T(test_digest_traversal),
		T(test_md5_digest),
		T(test_bad_media_type),
		T(test_layer_dotdot),
		T(test_layer_device),
		T(test_layer_dup),
		T(test_arm_only),
		T(test_no_linux_amd64),
		T(test_bad_json_index),
		T(test_bad_json_manifest),
		T(test_empty_image_dir),
		T(test_refused_into_empty_dir),
		T(test_dir_not_empty),
		T(test_image_missing),
		T(test_limits),
	};

#if !defined(__x86_64__)
	el_test_skip("el__oci_unpack chooses this machine's architecture; these images expect amd64");
#endif
	return cmocka_run_group_tests(tests, make_images, remove_images);
}
