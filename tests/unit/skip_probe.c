/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Not a unit test: a binary that skips on request, for
 * tests/integration/skips.sh to check what the unit tests' skips
 * (helpers.h) make of the exit status, with ENVLOCK_TEST_STRICT and without.
 *
 *   el_skip_probe none|case|part|fail|whole
 */
#include <string.h>

#include "helpers.h"

static const char *mode = "none";

static void test_runs(void **state)
{
	(void)state;
	assert_int_equal(1, 1);
}

static void test_asked(void **state)
{
	(void)state;
	if (strcmp(mode, "case") == 0)
		el_test_skip_case("probe: a case not run");
	if (strcmp(mode, "part") == 0 || strcmp(mode, "fail") == 0)
		el_test_skip_part("probe: a part not run");
	if (strcmp(mode, "fail") == 0)
		fail_msg("probe: a failure after the part");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_asked),
	};

	if (argc > 1)
		mode = argv[1];
	if (strcmp(mode, "whole") == 0)
		el_test_skip("probe: the whole binary not run");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
