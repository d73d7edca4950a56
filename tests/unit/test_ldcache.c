/* SPDX-License-Identifier: Apache-2.0 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ldcache_image.h"
#include "probe/libraries/ldcache.h"
#include "util/error.h"

#define NATIVE el__ldcache_native_flags()

static int32_t foreign_flags(void)
{
	return NATIVE == LDI_I386 ? LDI_X8664 : LDI_I386;
}

/* Four entries like a multilib Debian: a 32-bit libc.so.6 before the native one. */
static size_t std_entries(struct ldi_entry *e)
{
	e[0] = (struct ldi_entry){ NATIVE, "libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1", 0 };
	e[1] = (struct ldi_entry){ NATIVE, "libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", 0 };
	e[2] = (struct ldi_entry){ foreign_flags(), "libc.so.6", "/lib32/libc.so.6", 0 };
	e[3] = (struct ldi_entry){ NATIVE, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", 0 };
	return 4;
}

/* img must be initialized: tests rebuild into the same buffer. */
static void build_std(el__buf *img, enum ldi_format fmt)
{
	struct ldi_entry e[4];

	ldi_build(img, fmt, e, std_entries(e));
}

static el__ldcache *parse_ok(const el__buf *img)
{
	el__ldcache *c = NULL;

	if (el__ldcache_parse(&c, img->data, img->len, "t") != EL_OK)
		fail_msg("parse failed: %s", el_error_last());
	return c;
}

static void assert_refused(const el__buf *img, size_t len, const char *message)
{
	el__ldcache *c = NULL;

	assert_int_equal(el__ldcache_parse(&c, img->data, len, "t"), EL_EINVAL);
	assert_null(c);
	if (message)
		assert_string_equal(el_error_last(), message);
}

static void check_std(el__ldcache *c)
{
	const el__ldcache_entry *e;

	assert_int_equal(el__ldcache_count(c), 4);
	e = el__ldcache_entry_at(c, 1);
	assert_string_equal(e->soname, "libstdc++.so.6");
	assert_string_equal(e->path, "/usr/lib/x86_64-linux-gnu/libstdc++.so.6");
	assert_int_equal(e->flags, NATIVE);
	assert_int_equal(e->hwcap, 0);
	assert_null(el__ldcache_entry_at(c, 4));
	assert_string_equal(el__ldcache_lookup(c, "libc.so.6"), "/lib/x86_64-linux-gnu/libc.so.6");
	assert_string_equal(el__ldcache_lookup(c, "libz.so.1"), "/lib/x86_64-linux-gnu/libz.so.1");
	assert_null(el__ldcache_lookup(c, "libz.so"));
	assert_null(el__ldcache_lookup(c, "libnope.so.1"));
}

static void test_new_format(void **state)
{
	el__buf img;
	el__ldcache *c;

	el__buf_init(&img);
	build_std(&img, LDI_NEW);
	c = parse_ok(&img);
	check_std(c);
	el__ldcache_free(c);
	el__buf_free(&img);
}

static void test_old_format(void **state)
{
	el__buf img;
	el__ldcache *c;

	el__buf_init(&img);
	build_std(&img, LDI_OLD);
	c = parse_ok(&img);
	check_std(c);
	el__ldcache_free(c);
	el__buf_free(&img);
}

static void test_both_formats_read_the_new_part(void **state)
{
	struct ldi_entry e[5];
	size_t n = std_entries(e);
	el__buf img;
	el__ldcache *c;

	/* Only the new part holds hwcap entries: seeing one proves it was read. */
	e[n++] = (struct ldi_entry){ NATIVE, "libm.so.6", "/usr/lib/glibc-hwcaps/x86-64-v3/libm.so.6", 1ULL << 62 };
	el__buf_init(&img);
	ldi_build(&img, LDI_BOTH, e, n);
	assert_int_equal(ldi_new_offset(LDI_BOTH, e, n), LDI_OLD_HEADER + 4 * LDI_OLD_ENTRY);
	c = parse_ok(&img);
	assert_int_equal(el__ldcache_count(c), 5);
	assert_int_equal(el__ldcache_entry_at(c, 4)->hwcap, 1ULL << 62);
	assert_string_equal(el__ldcache_lookup(c, "libc.so.6"), "/lib/x86_64-linux-gnu/libc.so.6");
	el__ldcache_free(c);
	el__buf_free(&img);
}

static void test_both_formats_with_padding(void **state)
{
	struct ldi_entry e[4];
	el__buf img;
	el__ldcache *c;

	std_entries(e);
	el__buf_init(&img);
	ldi_build(&img, LDI_BOTH, e, 3);
	/* 16 + 3 * 12 = 52 bytes of old part, then 4 bytes of padding. */
	assert_int_equal(ldi_new_offset(LDI_BOTH, e, 3), 56);
	c = parse_ok(&img);
	assert_int_equal(el__ldcache_count(c), 3);
	assert_string_equal(el__ldcache_entry_at(c, 2)->path, "/lib32/libc.so.6");
	el__ldcache_free(c);
	el__buf_free(&img);
}

static void test_both_formats_bad_new_magic_reads_old(void **state)
{
	struct ldi_entry e[5];
	size_t n = std_entries(e);
	el__buf img;
	el__ldcache *c;

	e[n++] = (struct ldi_entry){ NATIVE, "libm.so.6", "/usr/lib/glibc-hwcaps/x86-64-v3/libm.so.6", 1ULL << 62 };
	el__buf_init(&img);
	ldi_build(&img, LDI_BOTH, e, n);
	/* The loader then uses the old part alone, which has no hwcap entries. */
	img.data[ldi_new_offset(LDI_BOTH, e, n)] = 'X';
	c = parse_ok(&img);
	check_std(c);
	el__ldcache_free(c);
	el__buf_free(&img);
}

static void test_native_flags(void **state)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	assert_int_equal(el__ldcache_native_flags(), 0x0303);
#elif defined(__aarch64__)
	assert_int_equal(el__ldcache_native_flags(), 0x0a03);
#elif defined(__i386__)
	assert_int_equal(el__ldcache_native_flags(), 0x0003);
#else
	el_test_skip_case("no native ld.so.cache flags known for this architecture");
#endif
}

static void test_foreign_abi_not_chosen(void **state)
{
	struct ldi_entry e[2] = {
		{ foreign_flags(), "libm.so.6", "/lib32/libm.so.6", 0 },
		{ foreign_flags(), "libc.so.6", "/lib32/libc.so.6", 0 },
	};
	el__buf img;
	el__ldcache *c;

	el__buf_init(&img);
	ldi_build(&img, LDI_NEW, e, 2);
	c = parse_ok(&img);
	assert_null(el__ldcache_lookup(c, "libm.so.6"));
	assert_null(el__ldcache_lookup(c, "libc.so.6"));
	el__ldcache_free(c);
	el__buf_free(&img);
}

static void test_hwcap_entries_skipped(void **state)
{
	struct ldi_entry e[3] = {
		{ NATIVE, "libfoo.so.1", "/usr/lib/glibc-hwcaps/x86-64-v3/libfoo.so.1", (1ULL << 62) | 1 },
		{ NATIVE, "libfoo.so.1", "/usr/lib/libfoo.so.1", 0 },
		{ NATIVE, "libbar.so.2", "/usr/lib/glibc-hwcaps/x86-64-v4/libbar.so.2", (1ULL << 62) | 2 },
	};
	el__buf img;
	el__ldcache *c;

	el__buf_init(&img);
	ldi_build(&img, LDI_NEW, e, 3);
	c = parse_ok(&img);
	assert_string_equal(el__ldcache_lookup(c, "libfoo.so.1"), "/usr/lib/libfoo.so.1");
	assert_null(el__ldcache_lookup(c, "libbar.so.2"));
	el__ldcache_free(c);
	el__buf_free(&img);
}

static void test_empty_file(void **state)
{
	el__buf img;

	el__buf_init(&img);
	assert_refused(&img, 0, "t: empty file");
}

static void test_short_header(void **state)
{
	el__buf img;

	el__buf_init(&img);
	build_std(&img, LDI_NEW);
	assert_refused(&img, 10, "t: truncated: header needs 48 bytes, file has 10");
	assert_refused(&img, 30, "t: truncated: header needs 48 bytes, file has 30");
	build_std(&img, LDI_OLD);
	assert_refused(&img, 5, "t: truncated: header needs 16 bytes, file has 5");
	assert_refused(&img, 12, "t: truncated: header needs 16 bytes, file has 12");
	el__buf_free(&img);
}

static void test_bad_magic(void **state)
{
	el__buf img;

	el__buf_init(&img);
	build_std(&img, LDI_NEW);
	img.data[3] = 'X';
	assert_refused(&img, img.len, "t: not an ld.so.cache file (bad magic)");
	assert_refused(&img, 2, "t: truncated: header needs 48 bytes, file has 2");
	el__buf_reset(&img);
	el__buf_puts(&img, "\x7f" "ELF");
	assert_refused(&img, img.len, "t: not an ld.so.cache file (bad magic)");
	el__buf_free(&img);
}

static void test_bad_version(void **state)
{
	el__buf img;

	el__buf_init(&img);
	build_std(&img, LDI_NEW);
	memcpy(img.data + 17, "1.0", 3);
	assert_refused(&img, img.len, "t: unsupported version \"1.0\"");
	memcpy(img.data + 17, "2\n\xff", 3);
	assert_refused(&img, img.len, "t: unsupported version \"2??\"");
	el__buf_free(&img);
}

static void test_nlibs_overflow(void **state)
{
	char message[256];
	el__buf img;

	el__buf_init(&img);
	build_std(&img, LDI_NEW);
	ldi_put_u32(&img, LDI_NEW_NLIBS, 0xffffffffu);
	/* 48 + 0xffffffff * 24: would wrap a 32-bit size. */
	snprintf(message, sizeof(message), "t: truncated: 4294967295 entries need 103079215128 bytes, file has %zu",
		 img.len);
	assert_refused(&img, img.len, message);
	ldi_put_u32(&img, LDI_NEW_NLIBS, 0x0aaaaaabu);
	assert_refused(&img, img.len, NULL);

	build_std(&img, LDI_OLD);
	ldi_put_u32(&img, 12, 0xffffffffu);
	snprintf(message, sizeof(message), "t: truncated: 4294967295 entries need 51539607556 bytes, file has %zu",
		 img.len);
	assert_refused(&img, img.len, message);
	el__buf_free(&img);
}

static void test_truncated_entries(void **state)
{
	el__buf img;

	el__buf_init(&img);
	build_std(&img, LDI_NEW);
	assert_refused(&img, 48 + 24 + 10, "t: truncated: 4 entries need 144 bytes, file has 82");
	build_std(&img, LDI_OLD);
	assert_refused(&img, 20, "t: truncated: 4 entries need 64 bytes, file has 20");
	el__buf_free(&img);
}

/* Every cut of a valid image is refused, none crashes. */
static void test_every_prefix_refused(void **state)
{
	enum ldi_format formats[] = { LDI_NEW, LDI_OLD, LDI_BOTH };
	el__buf img;

	el__buf_init(&img);
	for (size_t f = 0; f < 3; f++) {
		build_std(&img, formats[f]);
		for (size_t len = 0; len < img.len; len++)
			assert_refused(&img, len, NULL);
	}
	el__buf_free(&img);
}

static void test_offset_past_eof(void **state)
{
	el__buf img;

	el__buf_init(&img);
	build_std(&img, LDI_NEW);
	ldi_put_u32(&img, LDI_NEW_HEADER + 4, 0xfffffff0u);
	assert_refused(&img, img.len, "t: entry 0: name at offset 4294967280 is outside the string table");
	build_std(&img, LDI_NEW);
	/* Offset 0 is the header itself: inside the file, but not a string. */
	ldi_put_u32(&img, LDI_NEW_HEADER + 2 * LDI_NEW_ENTRY + 8, 0);
	assert_refused(&img, img.len, "t: entry 2: path at offset 0 is outside the string table");
	build_std(&img, LDI_OLD);
	ldi_put_u32(&img, LDI_OLD_HEADER + LDI_OLD_ENTRY + 8, (uint32_t)img.len);
	assert_refused(&img, img.len, NULL);
	assert_true(strstr(el_error_last(), "t: entry 1: path at offset ") == el_error_last());
	assert_non_null(strstr(el_error_last(), " is outside the file"));
	el__buf_free(&img);
}

static void test_string_without_nul(void **state)
{
	el__buf img;

	el__buf_init(&img);
	build_std(&img, LDI_NEW);
	img.data[img.len - 1] = 'x';
	assert_refused(&img, img.len, "t: entry 3: path runs past the end of the string table");
	build_std(&img, LDI_OLD);
	img.data[img.len - 1] = 'x';
	assert_refused(&img, img.len, "t: entry 3: path runs past the end of the file");
	el__buf_free(&img);
}

static void test_len_strings_lies(void **state)
{
	char message[256];
	el__buf img;
	uint32_t len_strings;

	el__buf_init(&img);
	build_std(&img, LDI_NEW);
	memcpy(&len_strings, img.data + LDI_NEW_LEN_STRINGS, 4);
	ldi_put_u32(&img, LDI_NEW_LEN_STRINGS, len_strings + 1);
	snprintf(message, sizeof(message), "t: truncated: the string table needs %zu bytes, file has %zu",
		 img.len + 1, img.len);
	assert_refused(&img, img.len, message);
	ldi_put_u32(&img, LDI_NEW_LEN_STRINGS, 0xffffffffu);
	assert_refused(&img, img.len, NULL);
	/* Too short: the last path now ends outside the table. */
	ldi_put_u32(&img, LDI_NEW_LEN_STRINGS, len_strings - 1);
	assert_refused(&img, img.len, "t: entry 3: path runs past the end of the string table");
	ldi_put_u32(&img, LDI_NEW_LEN_STRINGS, 0);
	assert_refused(&img, img.len, NULL);
	el__buf_free(&img);
}

static void test_byte_order(void **state)
{
	bool big = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
	el__buf img;
	el__ldcache *c;

	el__buf_init(&img);
	build_std(&img, LDI_NEW);
	img.data[LDI_NEW_FLAGS] = big ? 2 : 3;
	assert_refused(&img, img.len, big ? "t: written for a little-endian machine; this one is big-endian"
					  : "t: written for a big-endian machine; this one is little-endian");
	img.data[LDI_NEW_FLAGS] = 1;
	assert_refused(&img, img.len, "t: invalid byte-order flag");
	/* glibc before 2.33 left the flag unset. */
	img.data[LDI_NEW_FLAGS] = 0;
	c = parse_ok(&img);
	check_std(c);
	el__ldcache_free(c);
	el__buf_free(&img);
}

/* A foreign cache as it really looks: every integer byte-swapped too. */
static void test_foreign_cache_swapped(void **state)
{
	bool big = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
	el__buf img;
	uint32_t nlibs;

	el__buf_init(&img);
	build_std(&img, LDI_NEW);
	memcpy(&nlibs, img.data + LDI_NEW_NLIBS, 4);
	ldi_put_u32(&img, LDI_NEW_NLIBS, __builtin_bswap32(nlibs));
	img.data[LDI_NEW_FLAGS] = big ? 2 : 3;
	assert_refused(&img, img.len, big ? "t: written for a little-endian machine; this one is big-endian"
					  : "t: written for a big-endian machine; this one is little-endian");
	el__buf_free(&img);
}

/* An empty cache is valid (ldconfig with nothing to index writes one). */
static void test_zero_entries(void **state)
{
	enum ldi_format formats[] = { LDI_NEW, LDI_OLD, LDI_BOTH };
	el__buf img;

	el__buf_init(&img);
	for (size_t f = 0; f < 3; f++) {
		el__ldcache *c;

		ldi_build(&img, formats[f], NULL, 0);
		c = parse_ok(&img);
		assert_int_equal(el__ldcache_count(c), 0);
		assert_null(el__ldcache_entry_at(c, 0));
		assert_null(el__ldcache_lookup(c, "libc.so.6"));
		el__ldcache_free(c);
	}
	el__buf_free(&img);
}

static void test_load(void **state)
{
	char *dir = el_test_mkdtemp();
	char *path, *message;
	el__buf img;
	el__ldcache *c = NULL;

	assert_int_equal(asprintf(&path, "%s/ld.so.cache", dir) > 0, true);
	assert_int_equal(el__ldcache_load(&c, path), EL_ENOTFOUND);
	el__buf_init(&img);
	build_std(&img, LDI_NEW);
	el_test_write_bytes(dir, "ld.so.cache", img.data, img.len);
	assert_int_equal(el__ldcache_load(&c, path), EL_OK);
	check_std(c);
	el__ldcache_free(c);
	el_test_write_bytes(dir, "ld.so.cache", img.data, 100);
	assert_int_equal(el__ldcache_load(&c, path), EL_EINVAL);
	assert_null(c);
	assert_int_equal(asprintf(&message, "%s: truncated: 4 entries need 144 bytes, file has 100", path) > 0, true);
	assert_string_equal(el_error_last(), message);
	free(message);
	free(path);
	el__buf_free(&img);
	el_test_rmtree(dir);
	free(dir);
}

static FILE *open_ldconfig(void)
{
	static const char *const candidates[] = { "/sbin/ldconfig", "/usr/sbin/ldconfig" };

	for (size_t i = 0; i < 2; i++) {
		char command[64];

		if (access(candidates[i], X_OK) != 0)
			continue;
		snprintf(command, sizeof(command), "%s -p", candidates[i]);
		return popen(command, "r");
	}
	return NULL;
}

/* "\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6" against entry e. */
static void check_ldconfig_line(char *line, const el__ldcache_entry *e)
{
	char *flags = strstr(line, " (");
	char *arrow = strstr(line, ") => ");

	assert_non_null(flags);
	assert_non_null(arrow);
	*flags = '\0';
	*arrow = '\0';
	line[strcspn(line, "\n")] = '\0';
	arrow[5 + strcspn(arrow + 5, "\n")] = '\0';
	assert_string_equal(line + 1, e->soname);
	assert_string_equal(arrow + 5, e->path);
#if defined(__x86_64__) && !defined(__ILP32__)
	assert_int_equal(strstr(flags + 2, "x86-64") != NULL, e->flags == 0x0303);
#endif
}

/* This machine's own cache: parsed, and entry for entry what ldconfig -p prints. */
static void test_real_cache(void **state)
{
	el__ldcache *c = NULL;
	char line[4096];
	size_t listed = 0, i = 0;
	FILE *p;

	if (access("/etc/ld.so.cache", R_OK) != 0)
		el_test_skip_case("this machine has no readable /etc/ld.so.cache");
	if (el__ldcache_load(&c, "/etc/ld.so.cache") != EL_OK)
		fail_msg("/etc/ld.so.cache: %s", el_error_last());
	assert_true(el__ldcache_count(c) > 0);
	assert_non_null(el__ldcache_lookup(c, "libc.so.6"));
	p = open_ldconfig();
	if (!p) {
		el__ldcache_free(c);
		el_test_skip_case("ldconfig -p cannot be run here");
	}
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(sscanf(line, "%zu libs found", &listed), 1);
	assert_int_equal(listed, el__ldcache_count(c));
	/* glibc >= 2.33 ends with "Cache generated by: ...", untabbed. */
	while (fgets(line, sizeof(line), p) && line[0] == '\t') {
		assert_true(i < el__ldcache_count(c));
		check_ldconfig_line(line, el__ldcache_entry_at(c, i++));
	}
	assert_int_equal(i, listed);
	while (fgets(line, sizeof(line), p))
		continue;
	assert_int_equal(pclose(p), 0);
	el__ldcache_free(c);
}

/* A fixture root with a cache of entries e[0..n) (n 0: no cache file). */
static char *make_root(const struct ldi_entry *e, size_t n)
{
	char *root = el_test_mkdtemp();
	el__buf img;

	if (n) {
		el__buf_init(&img);
		ldi_build(&img, LDI_NEW, e, n);
		el_test_write_bytes(root, "etc/ld.so.cache", img.data, img.len);
		el__buf_free(&img);
	}
	return root;
}

static void free_root(char *root)
{
	el_test_rmtree(root);
	free(root);
}

static void assert_found(el__probe_ctx *ctx, const char *soname, const char *path)
{
	el__buf b;

	el__buf_init(&b);
	if (el__probe_find_library(ctx, soname, &b) != EL_OK)
		fail_msg("%s: %s", soname, el_error_last());
	assert_string_equal(b.data, path);
	el__buf_free(&b);
}

static void assert_not_found(el__probe_ctx *ctx, const char *soname)
{
	el__buf b;

	el__buf_init(&b);
	assert_int_equal(el__probe_find_library(ctx, soname, &b), EL_ENOTFOUND);
	el__buf_free(&b);
}

static void test_find_library(void **state)
{
	struct ldi_entry e[] = {
		{ foreign_flags(), "libc.so.6", "/lib32/libc.so.6", 0 },
		{ NATIVE, "libc.so.6", "/lib/x86_64-linux-gnu/libc.so.6", 0 },
		{ NATIVE, "libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6", 0 },
		{ NATIVE, "libstale.so.2", "/opt/gone/libstale.so.2", 0 },
		{ NATIVE, "libabs.so.1", "/opt/abs/libabs.so.1", 0 },
	};
	char *root = make_root(e, sizeof(e) / sizeof(e[0]));
	el__probe_ctx ctx;

	el_test_write(root, "lib32/libc.so.6", "32-bit libc");
	el_test_write(root, "usr/lib/x86_64-linux-gnu/libc.so.6", "libc");
	el_test_symlink(root, "lib", "usr/lib");
	el_test_write(root, "usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30", "libstdc++");
	el_test_symlink(root, "usr/lib/x86_64-linux-gnu/libstdc++.so.6", "libstdc++.so.6.0.30");
	el_test_write(root, "usr/lib/libstale.so.2", "stale");
	/* Absolute, so resolved against the host it would leave the root. */
	el_test_symlink(root, "opt/abs/libabs.so.1", "/usr/lib/libabs.so.1.2");
	el_test_write(root, "usr/lib/libabs.so.1.2", "abs");
	el_test_ctx_init(&ctx, root);
	assert_found(&ctx, "libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6");
	assert_found(&ctx, "libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30");
	assert_found(&ctx, "libstale.so.2", "/usr/lib/libstale.so.2");
	assert_found(&ctx, "libabs.so.1", "/usr/lib/libabs.so.1.2");
	assert_not_found(&ctx, "libnope.so.1");
	assert_string_equal(el_error_last(), "libnope.so.1: not found by the loader");
	assert_string_equal(el_test_warnings(&ctx), "");
	el_test_ctx_release(&ctx);
	free_root(root);
}

static void test_find_library_without_cache(void **state)
{
	char *root = make_root(NULL, 0);
	el__probe_ctx ctx;

	el_test_write(root, "usr/lib/libfoo.so.1.0.0", "foo");
	el_test_symlink(root, "usr/lib/libfoo.so.1", "libfoo.so.1.0.0");
	el_test_ctx_init(&ctx, root);
	assert_found(&ctx, "libfoo.so.1", "/usr/lib/libfoo.so.1.0.0");
	assert_not_found(&ctx, "libbar.so.1");
	assert_int_equal(ctx.ldcache_rc, EL_ENOTFOUND);
	/* No cache is a normal machine (musl, a slim container): no warning. */
	assert_string_equal(el_test_warnings(&ctx), "");
	el_test_ctx_release(&ctx);
	free_root(root);
}

static void test_corrupt_cache_warns_once(void **state)
{
	char *root = make_root(NULL, 0);
	char *expected;
	el__probe_ctx ctx;

	el_test_write(root, "etc/ld.so.cache", "glibc-ld.so.cache1.1 but cut short");
	el_test_write(root, "usr/lib/libfoo.so.1", "foo");
	el_test_ctx_init(&ctx, root);
	assert_found(&ctx, "libfoo.so.1", "/usr/lib/libfoo.so.1");
	assert_found(&ctx, "libfoo.so.1", "/usr/lib/libfoo.so.1");
	assert_not_found(&ctx, "libbar.so.1");
	assert_int_equal(ctx.ldcache_rc, EL_EINVAL);
	assert_int_equal(asprintf(&expected, "libraries: %s/etc/ld.so.cache: truncated: header needs 48 bytes, "
					     "file has 34; searching the default directories only\n", root) > 0, true);
	assert_string_equal(el_test_warnings(&ctx), expected);
	free(expected);
	el_test_ctx_release(&ctx);
	free_root(root);
}

static void assert_names(el__probe_ctx *ctx, const char *prefix, const char *expected)
{
	el__buf joined;
	char **names;

	el__buf_init(&joined);
	assert_int_equal(el__probe_list_libraries(ctx, prefix, &names), EL_OK);
	assert_non_null(names);
	for (char **p = names; *p; p++)
		el__buf_printf(&joined, "%s%s", p == names ? "" : " ", *p);
	assert_string_equal(joined.data, expected);
	el__strv_free(names);
	el__buf_free(&joined);
}

static void test_list_libraries(void **state)
{
	struct ldi_entry e[] = {
		{ NATIVE, "libcudart.so.13", "/usr/local/cuda-13.0/lib/libcudart.so.13", 0 },
		{ NATIVE, "libcudart.so", "/usr/local/cuda-13.0/lib/libcudart.so", 0 },
		{ NATIVE, "libcudart.so.12", "/usr/local/cuda-12.4/lib64/libcudart.so.12", 0 },
		{ NATIVE, "libcudart.so.13", "/opt/other/libcudart.so.13", 0 },
		{ foreign_flags(), "libcudart.so.11", "/lib32/libcudart.so.11", 0 },
		{ NATIVE, "libcudart.so.14", "/usr/lib/glibc-hwcaps/x86-64-v3/libcudart.so.14", 1ULL << 62 },
		{ NATIVE, "libcudart_static.so.1", "/usr/lib/libcudart_static.so.1", 0 },
	};
	char *root = make_root(e, sizeof(e) / sizeof(e[0]));
	el__probe_ctx ctx;

	el_test_ctx_init(&ctx, root);
	assert_names(&ctx, "libcudart.so.", "libcudart.so.12 libcudart.so.13");
	assert_names(&ctx, "libcudart", "libcudart.so.12 libcudart.so.13 libcudart_static.so.1");
	assert_names(&ctx, "libnccl.so.", "");
	el_test_ctx_release(&ctx);
	free_root(root);
}

static void test_list_libraries_without_cache(void **state)
{
	char *root = make_root(NULL, 0);
	el__probe_ctx ctx;

	el_test_write(root, "usr/lib/libcudart.so.13.0.96", "cudart");
	el_test_symlink(root, "usr/lib/libcudart.so.13", "libcudart.so.13.0.96");
	el_test_symlink(root, "usr/lib/libcudart.so", "libcudart.so.13");
	el_test_write(root, "lib/libcudart.so.13", "cudart, again");
	el_test_write(root, "lib/libcudart.so.12", "cudart 12");
	el_test_ctx_init(&ctx, root);
	assert_names(&ctx, "libcudart.so.", "libcudart.so.12 libcudart.so.13");
	assert_string_equal(el_test_warnings(&ctx), "");
	el_test_ctx_release(&ctx);
	free_root(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_format),
		cmocka_unit_test(test_old_format),
		cmocka_unit_test(test_both_formats_read_the_new_part),
		cmocka_unit_test(test_both_formats_with_padding),
		cmocka_unit_test(test_both_formats_bad_new_magic_reads_old),
		cmocka_unit_test(test_native_flags),
		cmocka_unit_test(test_foreign_abi_not_chosen),
		cmocka_unit_test(test_hwcap_entries_skipped),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_short_header),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_bad_version),
		cmocka_unit_test(test_nlibs_overflow),
		cmocka_unit_test(test_truncated_entries),
		cmocka_unit_test(test_every_prefix_refused),
		cmocka_unit_test(test_offset_past_eof),
		cmocka_unit_test(test_string_without_nul),
		cmocka_unit_test(test_len_strings_lies),
		cmocka_unit_test(test_byte_order),
		cmocka_unit_test(test_foreign_cache_swapped),
		cmocka_unit_test(test_zero_entries),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_real_cache),
		cmocka_unit_test(test_find_library),
		cmocka_unit_test(test_find_library_without_cache),
		cmocka_unit_test(test_corrupt_cache_warns_once),
		cmocka_unit_test(test_list_libraries),
		cmocka_unit_test(test_list_libraries_without_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
