/* SPDX-License-Identifier: Apache-2.0 */
/* The drift verdict: each finding's severity under a profile, the outcome, and its JSON. */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "envlock/envlock.h"
#include "lock/lock_internal.h"
#include "record/record_internal.h"

static el_lock *lock_of(const char *json)
{
	json_t *doc = json_loads(json, 0, NULL);

	assert_non_null(doc);
	return el__lock_wrap(doc);
}

static el_profile *profile_of(const char *text)
{
	el_profile *p = NULL;

	if (el_profile_parse(&p, "t", "t", text, strlen(text)) != EL_OK)
		fail_msg("profile refused: %s", el_error_last());
	return p;
}

#define OLD "{\"host\":{\"kernel\":\"6.1.0\",\"os\":\"debian 12\"},\"cpu\":{\"microcode\":\"0x1\"}}"

/* The verdict of OLD -> new_json under rules, kept with what it points into. */
struct judged {
	el_lock *a, *b;
	el_diff *diff;
	el_profile *profile;
	el_verdict *verdict;
};

static void judge(struct judged *j, const char *new_json, const char *rules, unsigned flags)
{
	j->a = lock_of(OLD);
	j->b = lock_of(new_json);
	j->profile = profile_of(rules);
	assert_int_equal(el_lock_diff(&j->diff, j->a, j->b), EL_OK);
	assert_int_equal(el_drift_verdict(&j->verdict, j->diff, j->profile, flags), EL_OK);
}

static void release(struct judged *j)
{
	el_verdict_free(j->verdict);
	el_diff_free(j->diff);
	el_profile_free(j->profile);
	el_lock_free(j->a);
	el_lock_free(j->b);
}

static void test_no_drift_is_clean(void **state)
{
	struct judged j;
	size_t count = 1;
	(void)state;

	judge(&j, OLD, "", 0);
	assert_int_equal(el_verdict_outcome(j.verdict), EL_OUTCOME_CLEAN);
	el_verdict_findings(j.verdict, &count);
	assert_int_equal(count, 0);
	assert_int_equal(el_verdict_count(j.verdict, EL_SEVERITY_REFUSE), 0);
	assert_string_equal(el_verdict_profile(j.verdict), "t");
	release(&j);
}

/* Ignored drift is counted, and clean; a warning warns; anything no rule names refuses. */
static void test_severity_by_rule(void **state)
{
	const char *rules = "drift ignore cpu.microcode\ndrift warn host.kernel\n";
	struct judged j;
	const el_verdict_finding *f;
	size_t count;
	(void)state;

	judge(&j, "{\"host\":{\"kernel\":\"6.1.0\",\"os\":\"debian 12\"},\"cpu\":{\"microcode\":\"0x2\"}}", rules, 0);
	assert_int_equal(el_verdict_outcome(j.verdict), EL_OUTCOME_CLEAN);
	assert_int_equal(el_verdict_count(j.verdict, EL_SEVERITY_IGNORE), 1);
	release(&j);

	judge(&j, "{\"host\":{\"kernel\":\"6.8.0\",\"os\":\"debian 12\"},\"cpu\":{\"microcode\":\"0x2\"}}", rules, 0);
	assert_int_equal(el_verdict_outcome(j.verdict), EL_OUTCOME_WARN);
	f = el_verdict_findings(j.verdict, &count);
	assert_int_equal(count, 2);
	assert_string_equal(f[0].finding->path, "cpu.microcode");
	assert_int_equal(f[0].severity, EL_SEVERITY_IGNORE);
	assert_string_equal(f[1].finding->path, "host.kernel");
	assert_int_equal(f[1].severity, EL_SEVERITY_WARN);
	assert_false(f[1].fails);
	assert_null(f[1].files);
	release(&j);

	judge(&j, "{\"host\":{\"kernel\":\"6.8.0\",\"os\":\"debian 13\"},\"cpu\":{\"microcode\":\"0x1\"}}", rules, 0);
	assert_int_equal(el_verdict_outcome(j.verdict), EL_OUTCOME_REFUSE);
	f = el_verdict_findings(j.verdict, &count);
	assert_int_equal(f[1].severity, EL_SEVERITY_REFUSE);
	assert_true(f[1].fails);
	assert_int_equal(el_verdict_count(j.verdict, EL_SEVERITY_REFUSE), 1);
	assert_int_equal(el_verdict_count(j.verdict, EL_SEVERITY_WARN), 1);
	release(&j);
}

/* Under strict, a warning fails; ignored drift still does not. */
static void test_strict(void **state)
{
	struct judged j;
	size_t count;
	(void)state;

	judge(&j, "{\"host\":{\"kernel\":\"6.8.0\",\"os\":\"debian 12\"},\"cpu\":{\"microcode\":\"0x2\"}}",
	      "drift ignore cpu.microcode\ndrift warn host.kernel\n", EL_VERDICT_STRICT);
	assert_true(el_verdict_strict(j.verdict));
	assert_int_equal(el_verdict_outcome(j.verdict), EL_OUTCOME_REFUSE);
	assert_false(el_verdict_findings(j.verdict, &count)[0].fails);
	assert_true(el_verdict_findings(j.verdict, &count)[1].fails);
	assert_int_equal(el_verdict_count(j.verdict, EL_SEVERITY_REFUSE), 0);
	release(&j);
}

static void test_json_document(void **state)
{
	struct judged j;
	char *text = NULL;
	size_t len = 0;
	(void)state;

	judge(&j, "{\"host\":{\"kernel\":\"6.8.0\",\"os\":\"debian 12\"},\"cpu\":{}}", "drift warn host.*\n", 0);
	assert_int_equal(el_verdict_json(&text, &len, j.verdict, "env.lock", "this machine", NULL), EL_OK);
	assert_int_equal(len, strlen(text));
	assert_string_equal(text,
			    "{\n"
			    "  \"drift\": true,\n"
			    "  \"old\": \"env.lock\",\n"
			    "  \"new\": \"this machine\",\n"
			    "  \"profile\": \"t\",\n"
			    "  \"strict\": false,\n"
			    "  \"counts\": {\n"
			    "    \"refuse\": 1,\n"
			    "    \"warn\": 1,\n"
			    "    \"ignore\": 0\n"
			    "  },\n"
			    "  \"findings\": [\n"
			    "    {\n"
			    "      \"path\": \"cpu.microcode\",\n"
			    "      \"section\": \"cpu\",\n"
			    "      \"change\": \"removed\",\n"
			    "      \"severity\": \"refuse\",\n"
			    "      \"old\": \"0x1\",\n"
			    "      \"new\": null\n"
			    "    },\n"
			    "    {\n"
			    "      \"path\": \"host.kernel\",\n"
			    "      \"section\": \"host\",\n"
			    "      \"change\": \"changed\",\n"
			    "      \"severity\": \"warn\",\n"
			    "      \"old\": \"6.1.0\",\n"
			    "      \"new\": \"6.8.0\"\n"
			    "    }\n"
			    "  ]\n"
			    "}\n");
	free(text);
	release(&j);

	/* An unmet requirement fails the document whatever the findings; a label need not be UTF-8. */
	judge(&j, OLD, "", 0);
	assert_int_equal(el_verdict_json(&text, NULL, j.verdict, "caf\xe9.lock", "this machine", "tree is dirty"),
			 EL_OK);
	assert_non_null(strstr(text, "\"drift\": true,\n  \"old\": \"(not UTF-8)\",\n"));
	assert_non_null(strstr(text, "\"findings\": [],\n  \"unmet\": [\n    \"tree is dirty\"\n  ]\n}\n"));
	free(text);
	release(&j);
}

/* A record keeps the findings as the JSON document lists them. */
static void test_record_drift(void **state)
{
	struct judged j;
	el_record *r = el_record_new();
	(void)state;

	judge(&j, "{\"host\":{\"kernel\":\"6.8.0\",\"os\":\"debian 12\"},\"cpu\":{\"microcode\":\"0x1\"}}",
	      "drift warn host.kernel\n", 0);
	assert_int_equal(el_record_set_drift(r, j.verdict), EL_OK);
	assert_string_equal(el_test_json(r->drift->findings),
			    "[{\"change\":\"changed\",\"new\":\"6.8.0\",\"old\":\"6.1.0\",\"path\":\"host.kernel\","
			    "\"section\":\"host\",\"severity\":\"warn\"}]");
	el_record_free(r);
	release(&j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_drift_is_clean),
		cmocka_unit_test(test_severity_by_rule),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_json_document),
		cmocka_unit_test(test_record_drift),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
