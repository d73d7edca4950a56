/* SPDX-License-Identifier: Apache-2.0 */
/* util/json_shape: a document checked against a shape table, and the first fault named by its path. */
#include "helpers.h"

#include <stdio.h>
#include <string.h>

#include "envlock/error.h"
#include "util/error.h"
#include "util/json_shape.h"

/* The report of these tests: "PATH: KIND detail", every kind told apart. */
static int report(el__json_walk *w, const el__json_fault *f)
{
	const char *at = w->path.len ? w->path.data : "(top)";

	switch (f->kind) {
	case EL__JSON_MISSING:
		return el__error(EL_EINVAL, "%s: missing %s", at, el__json_type_name(f->shape->type));
	case EL__JSON_WRONG_TYPE:
		return el__error(EL_EINVAL, "%s: not %s", at, el__json_type_name(f->shape->type));
	case EL__JSON_INVALID:
		return el__error(EL_EINVAL, "%s: invalid (%s)", at,
				 f->shape->equals ? f->shape->equals : f->shape->what);
	case EL__JSON_UNKNOWN:
		return el__error(EL_EINVAL, "%s: unknown", at);
	case EL__JSON_OTHER:
		return el__error(EL_EINVAL, "%s: other: %s", at, f->text);
	}
	return el__error(EL_ERROR, "%s: no such fault", at);
}

static bool small(const json_t *v)
{
	return json_integer_value(v) < 10;
}

static bool lowercase(const json_t *v)
{
	for (const char *c = json_string_value(v); *c; c++)
		if (*c < 'a' || *c > 'z')
			return false;
	return true;
}

/* At most two items, where the table cannot say it. */
static int two_at_most(el__json_walk *w, const json_t *v)
{
	return json_array_size(v) > 2 ? el__json_fail(w, "%zu items", json_array_size(v)) : EL_OK;
}

static const el__json_shape string = { .type = EL__JSON_STRING };
static const el__json_shape number = { .type = EL__JSON_NUMBER };
static const el__json_shape boolean = { .type = EL__JSON_BOOLEAN };
static const el__json_shape any = { .type = EL__JSON_ANY };
static const el__json_shape digit = { .type = EL__JSON_INTEGER, .valid = small, .what = "below 10" };
static const el__json_shape word = { .type = EL__JSON_STRING, .valid = lowercase, .what = "a-z only" };
static const el__json_shape version = { .type = EL__JSON_STRING, .equals = "v1" };
static const el__json_shape words = { .type = EL__JSON_OBJECT, .item = &word };
static const el__json_shape free_form = { .type = EL__JSON_OBJECT };
static const el__json_member point_members[] = {
	{ "x", &digit, true }, { "y", &digit, true }, { "label", &word, false }, { NULL, NULL, false },
};
static const el__json_shape point = { .type = EL__JSON_OBJECT, .members = point_members };
static const el__json_shape points = { .type = EL__JSON_ARRAY, .item = &point, .check = two_at_most };
/* Listed members checked, any others taken as they are. */
static const el__json_member open_members[] = { { "id", &digit, true }, { NULL, NULL, false } };
static const el__json_shape open = { .type = EL__JSON_OBJECT, .members = open_members, .item = &any };

/* A tuple: a string first, then numbers. */
static const el__json_shape *tuple_item(el__json_walk *w, const json_t *array, size_t i)
{
	(void)w;
	(void)array;
	return i == 0 ? &string : &number;
}

static const el__json_shape tuple = { .type = EL__JSON_ARRAY, .pick = tuple_item };
static const el__json_shape list = { .type = EL__JSON_ARRAY };

static const el__json_member doc_members[] = {
	{ "version", &version, true },
	{ "points", &points, true },
	{ "tags", &words, false },
	{ "extra", &free_form, false },
	{ "open", &open, false },
	{ "tuple", &tuple, false },
	{ "list", &list, false },
	{ "flag", &boolean, false },
	{ "new", &string, false },
	{ NULL, NULL, false },
};
static const el__json_shape doc_shape = { .type = EL__JSON_OBJECT, .members = doc_members };

#define GOOD "{\"version\": \"v1\", \"points\": [{\"x\": 1, \"y\": 2, \"label\": \"a\"}, {\"x\": 3, \"y\": 4}]"

/* Whether the member "new" belongs (a later version's, see admits). */
static bool new_admitted;

static bool admits(el__json_walk *w, const el__json_member *m)
{
	(void)w;
	return new_admitted || strcmp(m->name, "new") != 0;
}

/* text (JSON) checked against doc_shape: EL_OK, or the message of the fault. */
static const char *checked(const char *text)
{
	el__json_walk w = { .report = report, .admits = admits };
	json_t *doc = json_loads(text, 0, NULL);
	int rc;

	if (!doc)
		fail_msg("bad test JSON: %s", text);
	rc = el__json_check(&w, doc, &doc_shape);
	json_decref(doc);
	if (rc == EL_OK)
		return "ok";
	assert_int_equal(rc, EL_EINVAL);
	assert_int_equal(el_error_last_code(), EL_EINVAL);
	return el_error_last();
}

static void test_accepts(void **state)
{
	(void)state;
	assert_string_equal(checked(GOOD "}"), "ok");
	assert_string_equal(checked(GOOD ", \"tags\": {}, \"extra\": {\"a\": [1, {}], \"b\": null}}"), "ok");
	assert_string_equal(checked(GOOD ", \"open\": {\"id\": 1, \"anything\": [true]}}"), "ok");
	assert_string_equal(checked(GOOD ", \"tuple\": [\"s\", 1, 2.5], \"list\": [1, \"a\", null]}"), "ok");
	assert_string_equal(checked(GOOD ", \"tuple\": []}"), "ok");
}

static void test_unknown_members(void **state)
{
	(void)state;
	assert_string_equal(checked(GOOD ", \"colour\": \"red\"}"), "colour: unknown");
	/* Named by the path a finding would use: a key that is not a plain word is quoted. */
	assert_string_equal(checked(GOOD ", \"a.b\": 1}"), "[\"a.b\"]: unknown");
	assert_string_equal(checked("{\"version\": \"v1\", \"points\": [{\"x\": 1, \"y\": 2, \"z\": 3}]}"),
			    "points[0].z: unknown");
	/* Taken by the object's item shape, or by any shape when there is none. */
	assert_string_equal(checked(GOOD ", \"open\": {\"id\": 1, \"z\": 3}}"), "ok");
	/* A member the walk's admits refuses is not taken. */
	new_admitted = false;
	assert_string_equal(checked(GOOD ", \"new\": \"x\"}"), "new: unknown");
	new_admitted = true;
	assert_string_equal(checked(GOOD ", \"new\": \"x\"}"), "ok");
	new_admitted = false;
}

static void test_missing_members(void **state)
{
	(void)state;
	assert_string_equal(checked("{\"points\": []}"), "version: missing a string");
	assert_string_equal(checked("{\"version\": \"v1\", \"points\": [{\"x\": 1}]}"), "points[0].y: missing an integer");
	assert_string_equal(checked(GOOD ", \"open\": {}}"), "open.id: missing an integer");
}

static void test_wrong_types(void **state)
{
	(void)state;
	assert_string_equal(checked("[]"), "(top): not an object");
	assert_string_equal(checked("{\"version\": 1, \"points\": []}"), "version: not a string");
	assert_string_equal(checked("{\"version\": \"v1\", \"points\": {}}"), "points: not an array");
	assert_string_equal(checked("{\"version\": \"v1\", \"points\": [7]}"), "points[0]: not an object");
	assert_string_equal(checked("{\"version\": \"v1\", \"points\": [{\"x\": 1.5, \"y\": 2}]}"),
			    "points[0].x: not an integer");
	assert_string_equal(checked(GOOD ", \"flag\": \"yes\"}"), "flag: not true or false");
	assert_string_equal(checked(GOOD ", \"extra\": []}"), "extra: not an object");
	assert_string_equal(checked(GOOD ", \"tags\": {\"k\": null}}"), "tags.k: not a string");
	/* An item shape picked by place. */
	assert_string_equal(checked(GOOD ", \"tuple\": [1]}"), "tuple[0]: not a string");
	assert_string_equal(checked(GOOD ", \"tuple\": [\"s\", 1, \"2\"]}"), "tuple[2]: not a number");
}

static void test_values(void **state)
{
	(void)state;
	assert_string_equal(checked("{\"version\": \"v2\", \"points\": []}"), "version: invalid (v1)");
	assert_string_equal(checked("{\"version\": \"v1\", \"points\": [{\"x\": 10, \"y\": 2}]}"),
			    "points[0].x: invalid (below 10)");
	assert_string_equal(checked(GOOD ", \"tags\": {\"k\": \"A\"}}"), "tags.k: invalid (a-z only)");
	/* A check function's own words, before the items are looked at. */
	assert_string_equal(checked("{\"version\": \"v1\", \"points\": [1, 2, 3]}"), "points: other: 3 items");
}

static void test_order(void **state)
{
	(void)state;
	/* A member the object does not take is named before anything else in it is looked at. */
	assert_string_equal(checked("{\"version\": 1, \"zz\": 0}"), "zz: unknown");
	/* Then the listed members in the table's order, whatever the document's. */
	assert_string_equal(checked("{\"points\": {}, \"version\": 1}"), "version: not a string");
	assert_string_equal(checked("{\"tags\": 1, \"points\": [], \"version\": \"v1\"}"), "tags: not an object");
	/* In depth before the next member; items in order. */
	assert_string_equal(checked("{\"version\": \"v1\", \"points\": [{\"x\": 1, \"y\": 2, \"label\": \"B\"}, {}], "
				    "\"tags\": 1}"),
			    "points[0].label: invalid (a-z only)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_unknown_members),
		cmocka_unit_test(test_missing_members),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
