/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Slurm plugin's one-line summary of a node's drift (src/slurm/
 * node_check.c): what it names, what it leaves out, that it stays one
 * printable line whatever the report holds, and what it refuses.
 */
#include "helpers.h"

#include <string.h>

#include "slurm/node_check.h"

static const char *summary(const char *json, const char *lock)
{
	static char message[512];

	assert_int_equal(node_check_summary(message, sizeof(message), json, "node2", lock), 0);
	return message;
}

static void test_one_finding(void **state)
{
	(void)state;
	assert_string_equal(
		summary("{\"old\": \"env.lock\", \"findings\": [{\"path\": \"data.in\", \"severity\": \"refuse\", "
			"\"old\": \"sha256:4355a46b19d348dc2f57\", \"new\": \"sha256:53c234e5e8472b\"}]}",
			NULL),
		"node node2 has drifted from env.lock: data.in (sha256:4355a46b\u2026 \u2192 sha256:53c234e5\u2026)");
}

static void test_short_values_whole(void **state)
{
	(void)state;
	assert_string_equal(summary("{\"findings\": [{\"path\": \"python.version\", \"severity\": \"refuse\", "
				    "\"old\": \"3.11.2\", \"new\": \"3.12.1\"}]}",
				    "/w/env.lock"),
			    "node node2 has drifted from /w/env.lock: python.version (3.11.2 \u2192 3.12.1)");
}

static void test_added_and_removed(void **state)
{
	(void)state;
	assert_string_equal(summary("{\"old\": \"env.lock\", \"findings\": ["
				    "{\"path\": \"a\", \"severity\": \"refuse\", \"old\": null, \"new\": \"1\"},"
				    "{\"path\": \"b\", \"severity\": \"refuse\", \"old\": \"2\"}]}",
				    NULL),
			    "node node2 has drifted from env.lock: a (absent \u2192 1), b (2 \u2192 absent)");
}

static void test_warnings_left_out_and_more_counted(void **state)
{
	(void)state;
	assert_string_equal(summary("{\"old\": \"env.lock\", \"findings\": ["
				    "{\"path\": \"w\", \"severity\": \"warn\", \"old\": \"1\", \"new\": \"2\"},"
				    "{\"path\": \"a\", \"severity\": \"refuse\", \"old\": \"1\", \"new\": \"2\"},"
				    "{\"path\": \"b\", \"severity\": \"refuse\", \"old\": \"1\", \"new\": \"2\"},"
				    "{\"path\": \"i\", \"severity\": \"ignore\", \"old\": \"1\", \"new\": \"2\"},"
				    "{\"path\": \"c\", \"severity\": \"refuse\", \"old\": \"1\", \"new\": \"2\"},"
				    "{\"path\": \"d\", \"severity\": \"refuse\", \"old\": \"1\", \"new\": \"2\"},"
				    "{\"path\": \"e\", \"severity\": \"refuse\", \"old\": \"1\", \"new\": \"2\"}]}",
				    NULL),
			    "node node2 has drifted from env.lock: a (1 \u2192 2), b (1 \u2192 2), c (1 \u2192 2), and 2 more");
}

static void test_one_printable_line(void **state)
{
	(void)state;
	assert_string_equal(summary("{\"old\": \"env.lock\", \"findings\": [{\"path\": \"data.x\\ny\", "
				    "\"severity\": \"refuse\", \"old\": \"a\\rb\", \"new\": \"c\\u001bd\"}]}",
				    NULL),
			    "node node2 has drifted from env.lock: data.x?y (a?b \u2192 c?d)");
}

static void test_requirement_only(void **state)
{
	(void)state;
	assert_string_equal(summary("{\"old\": \"env.lock\", \"findings\": []}", NULL),
			    "node node2 has drifted from env.lock: what changed is refused by the profile's requirements");
}

static void test_long_message_cut(void **state)
{
	char message[48];
	const char *json = "{\"old\": \"env.lock\", \"findings\": [{\"path\": \"data.a-very-long-path-name-indeed\", "
			   "\"severity\": \"refuse\", \"old\": \"1\", \"new\": \"2\"}]}";

	(void)state;
	assert_int_equal(node_check_summary(message, sizeof(message), json, "node2", NULL), 0);
	assert_int_equal(strlen(message), sizeof(message) - 1);
	assert_true(strncmp(message, "node node2 has drifted from env.lock: data.a-ve", sizeof(message) - 1) == 0);
}

static void test_not_a_report(void **state)
{
	char message[128];

	(void)state;
	assert_int_equal(node_check_summary(message, sizeof(message), "not json", "node2", NULL), -1);
	assert_int_equal(node_check_summary(message, sizeof(message), "{\"findings\": 3}", "node2", NULL), -1);
	assert_int_equal(node_check_summary(message, sizeof(message), "[]", "node2", NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_finding),
		cmocka_unit_test(test_short_values_whole),
		cmocka_unit_test(test_added_and_removed),
		cmocka_unit_test(test_warnings_left_out_and_more_counted),
		cmocka_unit_test(test_one_printable_line),
		cmocka_unit_test(test_requirement_only),
		cmocka_unit_test(test_long_message_cut),
		cmocka_unit_test(test_not_a_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
