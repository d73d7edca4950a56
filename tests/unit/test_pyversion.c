/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/probe/python/pyversion.c and pymetadata.c: names, versions and METADATA
 * headers spelled the way pip spells them. The expected versions were
 * generated with str(pip._vendor.packaging.version.parse(v)) from pip 23.2.1
 * (packaging 21.3); tests/integration/python_pip.sh cross-checks many more.
 */
#include "helpers.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envlock/error.h"
#include "probe/python/pymetadata.h"
#include "probe/python/pyversion.h"

static const struct {
	const char *in, *out;
	bool valid;
} versions[] = {
	{ "1.0", "1.0", true },
	{ "1.0.0", "1.0.0", true },
	{ "v1.0", "1.0", true },
	{ "V2", "2", true },
	{ " 1.0 ", "1.0", true },
	{ "\t1.0\n", "1.0", true },
	{ "1.01", "1.1", true },
	{ "01.002.0003", "1.2.3", true },
	{ "0!1.0", "1.0", true },
	{ "1!2.0", "1!2.0", true },
	{ "01!1.0", "1!1.0", true },
	{ "1.0a1", "1.0a1", true },
	{ "1.0A1", "1.0a1", true },
	{ "1.0alpha1", "1.0a1", true },
	{ "1.0-alpha.1", "1.0a1", true },
	{ "1.0_a_1", "1.0a1", true },
	{ "1.0a", "1.0a0", true },
	{ "1.0a.", "1.0a0", true },
	{ "1.0b2", "1.0b2", true },
	{ "1.0beta", "1.0b0", true },
	{ "1.0c1", "1.0rc1", true },
	{ "1.0pre1", "1.0rc1", true },
	{ "1.0preview2", "1.0rc2", true },
	{ "1.0rc1", "1.0rc1", true },
	{ "1.0RC01", "1.0rc1", true },
	{ "1.0-rc-1", "1.0rc1", true },
	{ "1.0-1", "1.0.post1", true },
	{ "1.0-0", "1.0.post0", true },
	{ "1.0post", "1.0.post0", true },
	{ "1.0.post1", "1.0.post1", true },
	{ "1.0-post-2", "1.0.post2", true },
	{ "1.0_rev3", "1.0.post3", true },
	{ "1.0r", "1.0.post0", true },
	{ "1.0-r2", "1.0.post2", true },
	{ "1.0.r.4", "1.0.post4", true },
	{ "1.0.dev", "1.0.dev0", true },
	{ "1.0dev1", "1.0.dev1", true },
	{ "1.0-dev-02", "1.0.dev2", true },
	{ "1.0.DEV3", "1.0.dev3", true },
	{ "1.0a1.dev2", "1.0a1.dev2", true },
	{ "1.0rc1.post2.dev3", "1.0rc1.post2.dev3", true },
	{ "1.0-beta1", "1.0b1", true },
	{ "1.0.0-beta1", "1.0.0b1", true },
	{ "1.0+local", "1.0+local", true },
	{ "1.0+UB_1", "1.0+ub.1", true },
	{ "1.0+abc-001.x", "1.0+abc.1.x", true },
	{ "1.0+001", "1.0+1", true },
	{ "1.0a1-1", "1.0a1.post1", true },
	{ "1.0c", "1.0rc0", true },
	{ "2013.10.15", "2013.10.15", true },
	{ "1.0.0.0.0.0", "1.0.0.0.0.0", true },
	{ "123456789012345678901234567890.1", "123456789012345678901234567890.1", true },
	{ "1.0+", "1.0+", false },
	{ "1.0+.a", "1.0+.a", false },
	{ "1.0-", "1.0-", false },
	{ "1.0--1", "1.0--1", false },
	{ "1..0", "1..0", false },
	{ "1.0.", "1.0.", false },
	{ ".1", ".1", false },
	{ "1.0 foo", "1.0 foo", false },
	{ "foo", "foo", false },
	{ "", "", false },
	{ "1.0b1 ", "1.0b1", true },
	{ "1.0\xc2\xa0", "1.0", true },     /* U+00A0: Python's \s is Unicode */
	{ "\xe2\x80\x83" "1.0", "1.0", true }, /* U+2003 */
	{ "vv1.0", "vv1.0", false },
	{ "1.0aa", "1.0aa", false },
	{ "1.0-a-", "1.0a0", true },
	{ "1.0post-", "1.0.post0", true },
	{ "1!", "1!", false },
	{ "!1.0", "!1.0", false },
	{ "1.0+a+b", "1.0+a+b", false },
	{ "1.0a1b2", "1.0a1b2", false },
	{ "2.0.dev0+abc.5", "2.0.dev0+abc.5", true },
	{ "      1.0\n.1", "      1.0\n.1", false }, /* a Version header with a continuation line */
};

static void test_pep440(void **state)
{
	el__buf out;

	el__buf_init(&out);
	for (size_t i = 0; i < sizeof(versions) / sizeof(*versions); i++) {
		bool valid = el__pep440_normalize(&out, versions[i].in);

		if (strcmp(out.data, versions[i].out) != 0 || valid != versions[i].valid)
			fail_msg("\"%s\": got \"%s\" (%s), want \"%s\" (%s)", versions[i].in, out.data,
				 valid ? "valid" : "legacy", versions[i].out, versions[i].valid ? "valid" : "legacy");
	}
	el__buf_free(&out);
}

static void test_pep503(void **state)
{
	static const char *const names[][2] = {
		{ "Foo", "foo" },
		{ "Foo.Bar__baz", "foo-bar-baz" },
		{ "a-_.-b", "a-b" },
		{ "_leading", "-leading" },
		{ "trailing.", "trailing-" },
		{ "zope.interface", "zope-interface" },
		{ "Tiny_Pkg.Example", "tiny-pkg-example" },
		{ "a  b", "a  b" },
		{ "", "" },
	};
	el__buf out;

	el__buf_init(&out);
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		el__pep503_normalize(&out, names[i][0]);
		assert_string_equal(out.data, names[i][1]);
	}
	el__buf_free(&out);
}

/* Parse a complete text; "name|version" with "-" for an absent header. */
static const char *parse(const char *text)
{
	static char got[512];
	el__pymeta m;

	assert_int_equal(el__pymeta_parse(&m, text, strlen(text), true), EL_OK);
	snprintf(got, sizeof(got), "%s|%s", m.name ? m.name : "-", m.version ? m.version : "-");
	el__pymeta_free(&m);
	return got;
}

/* Expected values checked against importlib.metadata (Python 3.11). */
static void test_metadata_headers(void **state)
{
	assert_string_equal(parse("Metadata-Version: 2.1\nName: numpy\nVersion: 1.26.4\n\nName: body\n"),
			    "numpy|1.26.4");
	assert_string_equal(parse("name:   Spaced  \nVERSION:\t 2.0 \n"), "Spaced  |2.0 ");
	assert_string_equal(parse("Name: a\r\nVersion: 2.0\r\nName: b\r\n"), "a|2.0");
	assert_string_equal(parse("Name: a\rVersion: 1.0\rName: b\r"), "a|1.0");
	assert_string_equal(parse("Name: first\nName: second\nVersion: 1\n"), "first|1");
	/* The block ends at the first line that is no header. */
	assert_string_equal(parse("Summary: x\ngarbage line\nName: a\nVersion: 1\n"), "-|-");
	assert_string_equal(parse("Name : a\nVersion: 1\n"), "-|-");
	assert_string_equal(parse("\xef\xbb\xbfName: a\nVersion: 1\n"), "-|-");
	/* Continuations, re-indented as importlib does. */
	assert_string_equal(parse("Name: a\nVersion: 1.0\n  .1\n"), "a|      1.0\n.1");
	assert_string_equal(parse("Name: a\nVersion:\n 1.0\n"), "a|\n1.0");
	assert_string_equal(parse(" orphan\nName: a\nVersion: 1\n"), "a|1");
	/* "From " lines and ":value" lines are skipped, and end the header before them. */
	assert_string_equal(parse("From someone\nName: a\nVersion: 1\n"), "a|1");
	assert_string_equal(parse("Name: a\nFrom x: y\n more\nVersion: 1\n"), "a|1");
	assert_string_equal(parse("Name: a\n:odd\n more\nVersion: 1"), "a|1");
	assert_string_equal(parse("Name:\nVersion:"), "|");
	assert_string_equal(parse(""), "-|-");
}

static void test_metadata_more(void **state)
{
	const char *text = "Name: a\nVersion: 1.0\nSummary: x\n";
	el__pymeta m;

	/* A value may go on in the next line: not known before that line starts. */
	assert_int_equal(el__pymeta_parse(&m, text, strlen("Name: a\nVersion: 1.0\n"), false), EL__PYMETA_MORE);
	assert_null(m.name);
	assert_int_equal(el__pymeta_parse(&m, text, strlen("Name: a\nVersion: 1.0\nS"), false), EL_OK);
	assert_string_equal(m.version, "1.0");
	el__pymeta_free(&m);
	/* "\r" at the end may be the start of "\r\n". */
	assert_int_equal(el__pymeta_parse(&m, "Name: a\r", 8, false), EL__PYMETA_MORE);
}

static void test_metadata_invalid(void **state)
{
	el__pymeta m;

	assert_int_equal(el__pymeta_parse(&m, "Name: a\nVersion: 1\xff\n", 19, true), EL_EINVAL);
	assert_string_equal(el_error_last(), "not valid UTF-8");
	assert_null(m.name);
	/* Overlong and surrogate encodings are refused as Python refuses them. */
	assert_int_equal(el__pymeta_parse(&m, "Name: \xc0\xaf\n", 9, true), EL_EINVAL);
	assert_int_equal(el__pymeta_parse(&m, "Name: \xed\xa0\x80\n", 10, true), EL_EINVAL);
	assert_int_equal(el__pymeta_parse(&m, "Name: a\0b\n", 10, true), EL_EINVAL);
	assert_string_equal(el_error_last(), "a header line holds a NUL byte");
	/* Junk after the header block is not read. */
	assert_int_equal(el__pymeta_parse(&m, "Name: \xc3\xa9\nVersion: 1\n\n\xff\xfe", 19, true), EL_OK);
	assert_string_equal(m.name, "\xc3\xa9");
	el__pymeta_free(&m);
}

static void test_metadata_files(void **state)
{
	char *dir = el_test_mkdtemp(), *big;
	size_t n = 3 * 1024 * 1024;
	el__pymeta m;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	el_test_write(dir, "crlf", "Metadata-Version: 2.1\r\nName: x\r\nVersion: 3\r\n\r\nbody");
	assert_int_equal(el__pymeta_read_at(&m, fd, "crlf", "crlf"), EL_OK);
	assert_string_equal(m.name, "x");
	assert_string_equal(m.version, "3");
	el__pymeta_free(&m);

	/* Missing, empty, a directory, a FIFO: importlib goes on to the next file. */
	el_test_write(dir, "empty", "");
	assert_int_equal(mkdirat(fd, "adir", 0755), 0);
	assert_int_equal(mkfifoat(fd, "fifo", 0644), 0);
	assert_int_equal(el__pymeta_read_at(&m, fd, "missing", "missing"), EL_ENOTFOUND);
	assert_int_equal(el__pymeta_read_at(&m, fd, "empty", "empty"), EL_ENOTFOUND);
	assert_int_equal(el__pymeta_read_at(&m, fd, "adir", "adir"), EL_ENOTFOUND);
	assert_int_equal(el__pymeta_read_at(&m, fd, "fifo", "fifo"), EL_ENOTFOUND);

	/* Name and Version early in a huge file: only the start is read. */
	big = malloc(n);
	memset(big, 'x', n);
	memcpy(big, "Name: big\nVersion: 1\n\n", 22);
	el_test_write_bytes(dir, "big", big, n);
	assert_int_equal(el__pymeta_read_at(&m, fd, "big", "big"), EL_OK);
	assert_string_equal(m.name, "big");
	el__pymeta_free(&m);

	/* A header block that never ends within the limit. */
	for (size_t i = 0; i + 8 < n; i += 8)
		memcpy(big + i, "X-A: b\n ", 8);
	el_test_write_bytes(dir, "huge", big, n);
	assert_int_equal(el__pymeta_read_at(&m, fd, "huge", "dist/METADATA"), EL_EINVAL);
	assert_string_equal(el_error_last(), "dist/METADATA: header block larger than 1048576 bytes");

	el_test_write_bytes(dir, "binary", "\x7f" "ELF\x02\x01\x01\0\0\0", 10);
	assert_int_equal(el__pymeta_read_at(&m, fd, "binary", "binary"), EL_OK);
	assert_null(m.name);
	el_test_write_bytes(dir, "latin1", "Name: caf\xe9\n", 11);
	assert_int_equal(el__pymeta_read_at(&m, fd, "latin1", "x/METADATA"), EL_EINVAL);
	assert_string_equal(el_error_last(), "x/METADATA: not valid UTF-8");

	free(big);
	close(fd);
	el_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pep440),
		cmocka_unit_test(test_pep503),
		cmocka_unit_test(test_metadata_headers),
		cmocka_unit_test(test_metadata_more),
		cmocka_unit_test(test_metadata_invalid),
		cmocka_unit_test(test_metadata_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
