/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What others read of a lock, member by member. The schema is known here
 * and in the reader, not by the callers: they ask for the interpreter or
 * the data, never for "python"."executable".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lock/lock_internal.h"
#include "envlock/profile.h"
#include "util/error.h"

const json_t *el__lock_doc(const el_lock *lock)
{
	return lock->doc;
}

static const json_t *meta_member(const el_lock *lock, const char *key)
{
	return json_object_get(json_object_get(lock->doc, "meta"), key);
}

bool el_lock_has_section(const el_lock *lock, const char *name)
{
	return json_object_get(lock->doc, name) != NULL;
}

int el_lock_profile_name(const char **name, const el_lock *lock)
{
	const json_t *v = meta_member(lock, "profile");

	*name = NULL;
	if (!v)
		return el__error(EL_ENOTFOUND, "the lock names no profile");
	/* meta is not fingerprinted: anyone can edit it, so it may name a file, or nothing a profile is called. */
	if (!json_is_string(v) || !el_profile_name_valid(json_string_value(v)))
		return el__error(EL_EINVAL, "the lock's meta.profile is not a profile name");
	*name = json_string_value(v);
	return EL_OK;
}

static const json_t *code(const el_lock *lock)
{
	return meta_member(lock, "code");
}

const char *el_lock_git_commit(const el_lock *lock)
{
	return json_string_value(json_object_get(code(lock), "git_commit"));
}

int el_lock_git_dirty(const el_lock *lock)
{
	const json_t *dirty = json_object_get(code(lock), "git_dirty");

	return json_is_boolean(dirty) ? json_is_true(dirty) : -1;
}

const char *el_lock_python_executable(const el_lock *lock)
{
	return json_string_value(json_object_get(json_object_get(lock->doc, "python"), "executable"));
}

/* The string members of section, in the lock's order. */
static int entries(el_lock_entry **out, size_t *count, const el_lock *lock, const char *section)
{
	const json_t *obj = json_object_get(lock->doc, section);
	const char *key;
	json_t *value;
	size_t n = 0;

	*count = 0;
	if (!(*out = calloc(json_object_size(obj) + 1, sizeof(**out))))
		return el__error_oom();
	json_object_foreach((json_t *)(uintptr_t)obj, key, value)
		if (json_is_string(value))
			(*out)[n++] = (el_lock_entry){ key, json_string_value(value) };
	*count = n;
	return EL_OK;
}

int el_lock_data(el_lock_entry **out, size_t *count, const el_lock *lock)
{
	return entries(out, count, lock, "data");
}

int el_lock_env(el_lock_entry **out, size_t *count, const el_lock *lock)
{
	return entries(out, count, lock, "env");
}

bool el_lock_has_observed(const el_lock *lock)
{
	const char *name;
	json_t *entry;

	json_object_foreach(json_object_get(lock->doc, "libraries"), name, entry)
		if (json_is_true(json_object_get(entry, "observed")))
			return true;
	return false;
}
