/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The observer's lines (sandbox/observe.c): untrusted text from the run,
 * parsed into distinct absolute paths; everything else refused and counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envlock/error.h"
#include "envlock/sandbox.h"
#include "sandbox/observe.h"

/* Parse a copy of text (len bytes). *copy is freed by the caller, after the paths. */
static void parse(el__observe_lines *out, char **copy, const char *text, size_t len)
{
	*copy = malloc(len + 1);
	assert_non_null(*copy);
	memcpy(*copy, text, len);
	(*copy)[len] = '\0';
	assert_int_equal(el__observe_parse(out, *copy, len), EL_OK);
}

static void test_sorted_unique(void **state)
{
	static const char text[] = "/usr/lib/libz.so.1\n/usr/bin/python3.11\n/usr/lib/libz.so.1\n/a b/c.so\n";
	el__observe_lines l;
	char *copy;
	(void)state;

	parse(&l, &copy, text, sizeof(text) - 1);
	assert_int_equal(l.count, 3);
	assert_string_equal(l.paths[0], "/a b/c.so");
	assert_string_equal(l.paths[1], "/usr/bin/python3.11");
	assert_string_equal(l.paths[2], "/usr/lib/libz.so.1");
	assert_int_equal(l.refused, 0);
	assert_false(l.too_many);
	free(l.paths);
	free(copy);
}

static void test_refused_lines(void **state)
{
	/* Relative, empty, control characters, DEL, not UTF-8, a NUL inside, a last line cut short. */
	static const char text[] = "linux-vdso.so.1\n\n/ok.so\n/tab\there\n/esc\033[31m\n/del\177\n/bad\xff\xfe\n"
				   "/nul\0inside\n/cut";
	el__observe_lines l;
	char *copy;
	(void)state;

	parse(&l, &copy, text, sizeof(text) - 1);
	assert_int_equal(l.count, 1);
	assert_string_equal(l.paths[0], "/ok.so");
	assert_int_equal(l.refused, 8);
	free(l.paths);
	free(copy);
}

static void test_length_bound(void **state)
{
	size_t n = EL_SANDBOX_OBSERVED_MAX_PATH;
	char *text = malloc(2 * (n + 2) + 1), *copy;
	el__observe_lines l;
	(void)state;

	/* One path of exactly the bound, one a byte longer. */
	memset(text, 'a', n + 1);
	text[0] = '/';
	text[n] = '\n';
	memset(text + n + 1, 'b', n + 2);
	text[n + 1] = '/';
	text[2 * n + 2] = '\n';
	parse(&l, &copy, text, 2 * n + 3);
	assert_int_equal(l.count, 1);
	assert_int_equal(strlen(l.paths[0]), n);
	assert_int_equal(l.refused, 1);
	free(l.paths);
	free(copy);
	free(text);
}

static void test_count_bound(void **state)
{
	size_t total = EL_SANDBOX_OBSERVED_MAX + 5, len = 0;
	char *text = malloc(total * 32 + 1), *copy;
	el__observe_lines l;
	(void)state;

	/* Repeats do not count towards the bound; distinct paths do. */
	for (size_t i = 0; i < total; i++) {
		len += (size_t)sprintf(text + len, "/l/%08zu\n", i);
		len += (size_t)sprintf(text + len, "/l/%08zu\n", 0UL);
	}
	parse(&l, &copy, text, len);
	assert_int_equal(l.count, EL_SANDBOX_OBSERVED_MAX);
	assert_true(l.too_many);
	assert_string_equal(l.paths[0], "/l/00000000");
	free(l.paths);
	free(copy);
	free(text);
}

static void test_empty(void **state)
{
	el__observe_lines l;
	char *copy;
	(void)state;

	parse(&l, &copy, "", 0);
	assert_int_equal(l.count, 0);
	assert_int_equal(l.refused, 0);
	free(l.paths);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted_unique),
		cmocka_unit_test(test_refused_lines),
		cmocka_unit_test(test_length_bound),
		cmocka_unit_test(test_count_bound),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
