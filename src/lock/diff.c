/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "envlock/diff.h"
#include "lock/lock_internal.h"
#include "lock/path.h"
#include "util/error.h"

/*
 * Top-level members that describe the lock rather than the machine. "code"
 * is a schema-1 lock's: the code's commit, which schema 2 keeps in meta,
 * since a lock committed beside the code must not go stale by that commit.
 */
static const char *const not_compared[] = { "envlock", "fingerprint", "meta", "code", NULL };

struct differ {
	el_diff *diff;
	size_t cap;
	const char *section;
	el__buf path;
	int ret;
};

/* A value as a finding holds it (diff.h); NULL for NULL, and when out of memory. */
static char *value_text(const json_t *v)
{
	return v ? json_dumps(v, EL__FINDING_VALUE_FLAGS) : NULL;
}

json_t *el__finding_value(const char *text)
{
	return text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
}

static void add(struct differ *d, el_drift_kind kind, json_t *old_value, json_t *new_value)
{
	el_finding *f;

	if (d->ret != EL_OK)
		return;
	if (d->diff->count == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		void *p = realloc(d->diff->findings, cap * sizeof(*d->diff->findings));

		if (!p) {
			d->ret = el__error_oom();
			return;
		}
		d->diff->findings = p;
		d->cap = cap;
	}
	f = &d->diff->findings[d->diff->count];
	*f = (el_finding){ .path = strdup(d->path.data), .section = strdup(d->section), .kind = kind,
			   .old_value = value_text(old_value), .new_value = value_text(new_value) };
	d->diff->count++;
	if (!f->path || !f->section || (old_value && !f->old_value) || (new_value && !f->new_value) ||
	    el__buf_failed(&d->path))
		d->ret = el__error_oom();
}

static void compare(struct differ *d, json_t *a, json_t *b);

/* Every leaf under v, reported as added (v new) or removed (v old). */
static void one_side(struct differ *d, json_t *v, el_drift_kind kind)
{
	size_t mark = d->path.len;
	const char *key;
	json_t *child;

	if (json_is_object(v) && json_object_size(v)) {
		json_object_foreach(v, key, child) {
			el__path_key(&d->path, key);
			one_side(d, child, kind);
			el__buf_truncate(&d->path, mark);
		}
	} else if (json_is_array(v) && json_array_size(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			el__path_index(&d->path, i);
			one_side(d, json_array_get(v, i), kind);
			el__buf_truncate(&d->path, mark);
		}
	} else {
		add(d, kind, kind == EL_DRIFT_REMOVED ? v : NULL, kind == EL_DRIFT_ADDED ? v : NULL);
	}
}

/* x and y at the same path, either of them missing (NULL). */
static void compare_present(struct differ *d, json_t *x, json_t *y)
{
	if (!x)
		one_side(d, y, EL_DRIFT_ADDED);
	else if (!y)
		one_side(d, x, EL_DRIFT_REMOVED);
	else
		compare(d, x, y);
}

static int by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The union of both objects' keys, sorted; NULL on allocation failure. */
static const char **union_keys(json_t *a, json_t *b, size_t *n)
{
	size_t cap = json_object_size(a) + json_object_size(b), count = 0;
	const char **keys = malloc((cap ? cap : 1) * sizeof(*keys));
	const char *key;
	json_t *v;

	if (!keys)
		return NULL;
	json_object_foreach(a, key, v)
		keys[count++] = key;
	json_object_foreach(b, key, v)
		if (!json_object_get(a, key))
			keys[count++] = key;
	if (count > 1)
		qsort(keys, count, sizeof(*keys), by_key);
	*n = count;
	return keys;
}

/* Member by member; at the top level each member is a section. */
static void compare_objects(struct differ *d, json_t *a, json_t *b)
{
	size_t n = 0, mark = d->path.len;
	const char **keys = union_keys(a, b, &n);

	if (!keys) {
		d->ret = el__error_oom();
		return;
	}
	for (size_t i = 0; i < n && d->ret == EL_OK; i++) {
		if (mark == 0)
			d->section = keys[i];
		el__path_key(&d->path, keys[i]);
		compare_present(d, json_object_get(a, keys[i]), json_object_get(b, keys[i]));
		el__buf_truncate(&d->path, mark);
	}
	free(keys);
}

static bool contains(json_t *array, json_t *v)
{
	for (size_t i = 0; i < json_array_size(array); i++)
		if (json_equal(json_array_get(array, i), v))
			return true;
	return false;
}

/* A set such as cpu.flags: each member gained or lost, at the set's path. */
static void compare_sets(struct differ *d, json_t *a, json_t *b)
{
	for (size_t i = 0; i < json_array_size(a); i++)
		if (!contains(b, json_array_get(a, i)))
			add(d, EL_DRIFT_REMOVED, json_array_get(a, i), NULL);
	for (size_t i = 0; i < json_array_size(b); i++)
		if (!contains(a, json_array_get(b, i)))
			add(d, EL_DRIFT_ADDED, NULL, json_array_get(b, i));
}

/* Item by item; json_array_get gives NULL past the end of the shorter one. */
static void compare_arrays(struct differ *d, json_t *a, json_t *b)
{
	size_t na = json_array_size(a), nb = json_array_size(b), mark = d->path.len;

	for (size_t i = 0; (i < na || i < nb) && d->ret == EL_OK; i++) {
		el__path_index(&d->path, i);
		compare_present(d, json_array_get(a, i), json_array_get(b, i));
		el__buf_truncate(&d->path, mark);
	}
}

static void compare(struct differ *d, json_t *a, json_t *b)
{
	if (d->ret != EL_OK || json_equal(a, b))
		return;
	if (json_is_object(a) && json_is_object(b))
		compare_objects(d, a, b);
	else if (json_is_array(a) && json_is_array(b) && strcmp(d->path.data, "cpu.flags") == 0)
		compare_sets(d, a, b);
	else if (json_is_array(a) && json_is_array(b))
		compare_arrays(d, a, b);
	else
		add(d, EL_DRIFT_CHANGED, a, b);
}

static bool compared(const char *key)
{
	for (const char *const *k = not_compared; *k; k++)
		if (strcmp(*k, key) == 0)
			return false;
	return true;
}

int el_lock_diff(el_diff **out, const el_lock *old_lock, const el_lock *new_lock)
{
	struct differ d = { .ret = EL_OK };
	json_t *a = json_object(), *b = json_object(), *seen;
	const char *key;
	json_t *v;
	el__buf left_out;
	int schema;

	*out = NULL;
	d.diff = calloc(1, sizeof(*d.diff));
	if (!d.diff || !a || !b) {
		d.ret = el__error_oom();
		goto done;
	}
	/*
	 * The compared sections of each side, so that sections line up by
	 * name, without what the older side's schema did not have.
	 */
	schema = old_lock->schema < new_lock->schema ? old_lock->schema : new_lock->schema;
	el__buf_init(&left_out);
	json_object_foreach(old_lock->doc, key, v)
		if (compared(key) && d.ret == EL_OK &&
		    (d.ret = el__lock_compared_section(&seen, key, v, schema, old_lock->doc, &left_out)) == EL_OK && seen)
			json_object_set_new(a, key, seen);
	json_object_foreach(new_lock->doc, key, v)
		if (compared(key) && d.ret == EL_OK &&
		    (d.ret = el__lock_compared_section(&seen, key, v, schema, new_lock->doc, &left_out)) == EL_OK && seen)
			json_object_set_new(b, key, seen);
	if (d.ret == EL_OK && left_out.len) {
		d.diff->older_schema = schema;
		d.diff->older_is_new = new_lock->schema < old_lock->schema;
		if (!(d.diff->not_compared = el__buf_detach(&left_out, NULL)))
			d.ret = el__error_oom();
	}
	el__buf_free(&left_out);
	if (d.ret != EL_OK)
		goto done;
	el__buf_init(&d.path);
	compare_objects(&d, a, b);
	el__buf_free(&d.path);
done:
	json_decref(a);
	json_decref(b);
	if (d.ret != EL_OK) {
		el_diff_free(d.diff);
		return d.ret;
	}
	*out = d.diff;
	return EL_OK;
}

void el_diff_free(el_diff *diff)
{
	if (!diff)
		return;
	for (size_t i = 0; i < diff->count; i++) {
		free(diff->findings[i].path);
		free(diff->findings[i].section);
		free(diff->findings[i].old_value);
		free(diff->findings[i].new_value);
	}
	free(diff->findings);
	free(diff->not_compared);
	free(diff);
}
