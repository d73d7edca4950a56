/* SPDX-License-Identifier: Apache-2.0 */
#include "util/json_shape.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"
#include "util/json_path.h"

const char *el__json_type_name(el__json_type type)
{
	switch (type) {
	case EL__JSON_STRING: return "a string";
	case EL__JSON_INTEGER: return "an integer";
	case EL__JSON_NUMBER: return "a number";
	case EL__JSON_BOOLEAN: return "true or false";
	case EL__JSON_OBJECT: return "an object";
	case EL__JSON_ARRAY: return "an array";
	case EL__JSON_ANY: break;
	}
	return "a value";
}

static bool has_type(const json_t *v, el__json_type type)
{
	switch (type) {
	case EL__JSON_ANY: return true;
	case EL__JSON_STRING: return json_is_string(v);
	case EL__JSON_INTEGER: return json_is_integer(v);
	case EL__JSON_NUMBER: return json_is_number(v);
	case EL__JSON_BOOLEAN: return json_is_boolean(v);
	case EL__JSON_OBJECT: return json_is_object(v);
	case EL__JSON_ARRAY: return json_is_array(v);
	}
	return false;
}

static int fault(el__json_walk *w, el__json_fault_kind kind, const el__json_shape *shape, const json_t *value,
		 const char *text)
{
	const el__json_fault f = { .kind = kind, .shape = shape, .value = value, .text = text };

	/* A path cut short by a failed allocation would name the wrong member. */
	if (el__buf_failed(&w->path))
		return el__error_oom();
	return w->report(w, &f);
}

int el__json_fail(el__json_walk *w, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return fault(w, EL__JSON_OTHER, NULL, NULL, text);
}

static const el__json_member *listed(const el__json_shape *s, const char *key)
{
	for (const el__json_member *m = s->members; m && m->name; m++)
		if (strcmp(m->name, key) == 0)
			return m;
	return NULL;
}

static bool admitted(el__json_walk *w, const el__json_member *m)
{
	return !w->admits || w->admits(w, m);
}

static int check(el__json_walk *w, const json_t *v, const el__json_shape *s);

/* v at the key or index just appended to the path, which is then cut back to mark. */
static int check_at(el__json_walk *w, size_t mark, const json_t *v, const el__json_shape *s)
{
	int ret = s ? check(w, v, s) : EL_OK;

	el__buf_truncate(&w->path, mark);
	return ret;
}

static int check_object(el__json_walk *w, const json_t *obj, const el__json_shape *s)
{
	json_t *o = (json_t *)(uintptr_t)obj; /* json_object_foreach takes no const */
	size_t mark = w->path.len;
	const char *key;
	json_t *value;
	int ret;

	/* What the object does not take first: a stray member is named whatever else is wrong. */
	json_object_foreach(o, key, value) {
		const el__json_member *m = listed(s, key);

		if (m ? admitted(w, m) : s->item || !s->members)
			continue;
		el__path_key(&w->path, key);
		ret = fault(w, EL__JSON_UNKNOWN, NULL, value, NULL);
		el__buf_truncate(&w->path, mark);
		return ret;
	}
	for (const el__json_member *m = s->members; m && m->name; m++) {
		const json_t *v = json_object_get(obj, m->name);

		if ((!v && !m->required) || !admitted(w, m))
			continue;
		el__path_key(&w->path, m->name);
		if (!v) {
			ret = fault(w, EL__JSON_MISSING, m->shape, NULL, NULL);
			el__buf_truncate(&w->path, mark);
		} else {
			ret = check_at(w, mark, v, m->shape);
		}
		if (ret != EL_OK)
			return ret;
	}
	if (!s->item)
		return EL_OK;
	json_object_foreach(o, key, value) {
		if (listed(s, key))
			continue;
		el__path_key(&w->path, key);
		if ((ret = check_at(w, mark, value, s->item)) != EL_OK)
			return ret;
	}
	return EL_OK;
}

static int check_array(el__json_walk *w, const json_t *arr, const el__json_shape *s)
{
	size_t mark = w->path.len;
	int ret;

	for (size_t i = 0; i < json_array_size(arr); i++) {
		const el__json_shape *item = s->pick ? s->pick(w, arr, i) : s->item;

		el__path_index(&w->path, i);
		if ((ret = check_at(w, mark, json_array_get(arr, i), item)) != EL_OK)
			return ret;
	}
	return EL_OK;
}

static int check(el__json_walk *w, const json_t *v, const el__json_shape *s)
{
	int ret;

	if (!has_type(v, s->type))
		return fault(w, EL__JSON_WRONG_TYPE, s, v, NULL);
	if ((s->equals && (!json_is_string(v) || strcmp(json_string_value(v), s->equals) != 0)) ||
	    (s->valid && !s->valid(v)))
		return fault(w, EL__JSON_INVALID, s, v, NULL);
	if (s->check && (ret = s->check(w, v)) != EL_OK)
		return ret;
	if (s->type == EL__JSON_OBJECT)
		return check_object(w, v, s);
	if (s->type == EL__JSON_ARRAY)
		return check_array(w, v, s);
	return EL_OK;
}

int el__json_check(el__json_walk *w, const json_t *v, const el__json_shape *shape)
{
	int ret;

	el__buf_init(&w->path);
	ret = check(w, v, shape);
	if (ret == EL_OK && el__buf_failed(&w->path))
		ret = el__error_oom();
	el__buf_free(&w->path);
	return ret;
}
