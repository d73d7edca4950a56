/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A lock in a few lines for people (envlock show): where and when it was
 * captured, its thread count, and each section, with large members
 * counted rather than listed (the lock itself has them). Every key and
 * value goes through the printable forms: a lock is anyone's to write.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lock/lock_internal.h"
#include "envlock/profile.h"
#include "util/error.h"
#include "util/printable.h"

/* Objects with more scalar members than this are counted, not listed (python.packages). */
#define LIST_MAX 16

static bool is_scalar(const json_t *v)
{
	return !json_is_object(v) && !json_is_array(v);
}

static void put_key_padded(el__buf *out, const char *key, int width)
{
	char *text = el__printable_text(key);

	el__buf_printf(out, "%-*s", width, text ? text : "?");
	free(text);
}

static void put_key(el__buf *out, const char *key)
{
	put_key_padded(out, key, 0);
}

static void put_value(el__buf *out, const json_t *v)
{
	char *text = el__printable_value(v);

	el__buf_puts(out, text ? text : "?");
	free(text);
}

/* An item's scalar members on one line: "name=NVIDIA H100, memory_mib=81559". */
static void put_members(el__buf *out, const json_t *item)
{
	const char *key;
	json_t *v;
	bool first = true;

	if (is_scalar(item)) {
		put_value(out, item);
		return;
	}
	if (json_is_array(item)) {
		el__buf_printf(out, "%zu items", json_array_size(item));
		return;
	}
	json_object_foreach((json_t *)(uintptr_t)item, key, v) {
		el__buf_puts(out, first ? "" : ", ");
		put_key(out, key);
		el__buf_putc(out, '=');
		if (is_scalar(v))
			put_value(out, v);
		else
			el__buf_printf(out, "(%zu)", json_is_array(v) ? json_array_size(v) : json_object_size(v));
		first = false;
	}
}

static bool all_scalar(const json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		if (!is_scalar(v))
			return false;
	}
	return true;
}

/*
 * One member of a section on its line: a value, a small object's members
 * (a library: path, sha256, version), or a count with one line per item
 * below it (GPU devices). Large flat objects and lists are counted only
 * (python.packages, cpu.flags).
 */
static void put_member(el__buf *out, const char *key, const json_t *v, int width)
{
	size_t i;
	const char *k;
	json_t *item;

	el__buf_puts(out, "  ");
	put_key_padded(out, key, width);
	el__buf_puts(out, "  ");
	if (is_scalar(v) || (json_is_object(v) && all_scalar(v) && json_object_size(v) <= LIST_MAX)) {
		put_members(out, v);
		el__buf_putc(out, '\n');
		return;
	}
	if (json_is_array(v)) {
		bool scalars = true;

		json_array_foreach(v, i, item)
			scalars &= is_scalar(item);
		el__buf_printf(out, "%zu\n", json_array_size(v));
		if (scalars)
			return;
		json_array_foreach(v, i, item) {
			el__buf_printf(out, "    [%zu] ", i);
			put_members(out, item);
			el__buf_putc(out, '\n');
		}
		return;
	}
	el__buf_printf(out, "%zu\n", json_object_size(v));
	if (all_scalar(v))
		return;
	json_object_foreach((json_t *)(uintptr_t)v, k, item) {
		el__buf_puts(out, "    ");
		put_key(out, k);
		el__buf_puts(out, "  ");
		put_members(out, item);
		el__buf_putc(out, '\n');
	}
}

static void put_section(el__buf *out, const char *name, const json_t *section)
{
	const char *key;
	json_t *v;
	int width = 0;

	el__buf_printf(out, "\n%s\n", name);
	if (!json_is_object(section)) {
		put_member(out, "", section, 0);
		return;
	}
	json_object_foreach((json_t *)(uintptr_t)section, key, v) {
		if ((int)strlen(key) > width)
			width = (int)strlen(key);
	}
	if (width > 32)
		width = 32;
	json_object_foreach((json_t *)(uintptr_t)section, key, v)
		put_member(out, key, v, width);
}

static void put_meta(el__buf *out, const json_t *meta, const char *key, const char *label)
{
	const json_t *v = json_object_get(meta, key);

	if (!v)
		return;
	el__buf_printf(out, "%-12s ", label);
	put_value(out, v);
	el__buf_putc(out, '\n');
}

/* The commit the lock was captured at: informational, not fingerprinted. */
static void put_code(el__buf *out, const el_lock *lock)
{
	const char *commit = el_lock_git_commit(lock);
	int dirty = el_lock_git_dirty(lock);

	if (!commit)
		return;
	el__buf_printf(out, "%-12s %s%s\n", "at commit", commit,
		       dirty == 1 ? " (with uncommitted changes)" : dirty == 0 ? "" : " (clean or not: unknown)");
}

/*
 * The thread count with the variables env pins to it:
 * "threads      8 (OMP, MKL, OpenBLAS pinned)". A setenv in the profile
 * may have pinned one of them to something else; env shows that.
 */
static void put_threads(el__buf *out, const json_t *doc)
{
	const json_t *count = json_object_get(doc, "threads"), *env = json_object_get(doc, "env");
	char text[32];
	int listed = 0;

	if (!count)
		return;
	snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(count));
	el__buf_printf(out, "%-12s %s (", "threads", text);
	for (size_t i = 0; i < el_thread_var_count; i++) {
		const char *pinned = json_string_value(json_object_get(env, el_thread_vars[i].name));

		if (pinned && strcmp(pinned, text) == 0)
			el__buf_printf(out, "%s%s", listed++ ? ", " : "", el_thread_vars[i].label);
	}
	el__buf_printf(out, "%s)\n", listed ? " pinned" : "nothing pinned to it");
}

int el_lock_describe(char **out, size_t *len, const el_lock *lock)
{
	const json_t *meta = json_object_get(lock->doc, "meta");
	const char *key;
	json_t *section;
	el__buf b;

	el__buf_init(&b);
	put_meta(&b, meta, "captured_at", "captured at");
	put_meta(&b, meta, "hostname", "on host");
	put_meta(&b, meta, "profile", "profile");
	put_meta(&b, meta, "envlock_version", "by envlock");
	put_code(&b, lock);
	put_threads(&b, lock->doc);
	json_object_foreach(lock->doc, key, section) {
		if (strcmp(key, "envlock") != 0 && strcmp(key, "fingerprint") != 0 && strcmp(key, "meta") != 0 &&
		    strcmp(key, "threads") != 0)
			put_section(&b, key, section);
	}
	if (el__buf_failed(&b)) {
		el__buf_free(&b);
		*out = NULL;
		return el__error_oom();
	}
	*out = el__buf_detach(&b, len);
	return *out ? EL_OK : el__error_oom();
}
