/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The capture command that makes a lock like a given one on this machine:
 * the same profile, interpreter and declared data. What check prints
 * under refused drift, and what a lock whose fingerprint no longer matches
 * points to: a hint that dropped an option would lead the user to a lock
 * for another interpreter, or one that verifies no data.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/lock.h"
#include "envlock/profile.h"
#include "lock/lock_internal.h"
#include "util/buf.h"
#include "util/error.h"

/* The length of a C0 or C1 control character (or DEL) at s, in UTF-8; 0 for anything else. */
static size_t control_len(const unsigned char *s)
{
	if (*s < 0x20 || *s == 0x7f)
		return 1;
	return s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f ? 2 : 0;
}

/*
 * A word for a POSIX shell: as it is when it needs no quoting, else in
 * single quotes. The command is printed in a one-line message or on a
 * terminal, and a lock is anyone's to write: a control character (a
 * newline, an escape sequence) is shown as '?', never written.
 */
static void put_word(el__buf *out, const char *s)
{
	static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%_+=:,./-";

	el__buf_putc(out, ' ');
	if (*s && strspn(s, plain) == strlen(s)) {
		el__buf_puts(out, s);
		return;
	}
	el__buf_putc(out, '\'');
	while (*s) {
		size_t n = control_len((const unsigned char *)s);

		if (n) {
			el__buf_putc(out, '?');
			s += n;
			continue;
		}
		if (*s == '\'')
			el__buf_puts(out, "'\\''");
		else
			el__buf_putc(out, *s);
		s++;
	}
	el__buf_putc(out, '\'');
}

/* Whether the profile declares this data path itself (capture hashes it again unasked). */
static bool profile_declares(const el_profile *profile, const char *key)
{
	for (size_t i = 0; profile && i < profile->data_count; i++) {
		size_t len = strlen(profile->data[i]);

		while (len > 1 && profile->data[i][len - 1] == '/')
			len--;
		if (strlen(key) == len && strncmp(profile->data[i], key, len) == 0)
			return true;
	}
	return false;
}

int el__lock_capture_command(el__buf *out, const json_t *doc, const el_profile *profile, const char *python,
			     const char *lock_file)
{
	const char *name = profile ? profile->name
				   : json_string_value(json_object_get(json_object_get(doc, "meta"), "profile"));
	const char *key;
	json_t *value;

	const char *slash = strrchr(lock_file, '/');

	if (!python)
		python = json_string_value(json_object_get(json_object_get(doc, "python"), "executable"));
	/* The lock's data paths are relative to its directory: the capture runs there. */
	if (slash) {
		char *dir = slash == lock_file ? strdup("/") : strndup(lock_file, (size_t)(slash - lock_file));

		if (!dir)
			return el__error_oom();
		el__buf_puts(out, "cd");
		put_word(out, dir);
		el__buf_puts(out, " && ");
		free(dir);
		lock_file = slash + 1;
	}
	el__buf_puts(out, "envlock capture");
	/* A lock's meta is not fingerprinted: only a real profile name is repeated. */
	if (name && strcmp(name, "default") != 0 && (profile || el_profile_name_valid(name))) {
		el__buf_puts(out, " --profile");
		put_word(out, name);
	}
	if (python && *python) {
		el__buf_puts(out, " --python");
		put_word(out, python);
	}
	json_object_foreach(json_object_get(doc, "data"), key, value) {
		if (profile_declares(profile, key))
			continue;
		el__buf_puts(out, " --data");
		put_word(out, key);
	}
	el__buf_puts(out, " -o");
	put_word(out, lock_file);
	return el__buf_failed(out) ? el__error_oom() : EL_OK;
}

int el_lock_capture_command(char **out, const el_lock *lock, const el_profile *profile, const char *python,
			    const char *lock_file)
{
	el__buf text;
	int ret;

	el__buf_init(&text);
	ret = el__lock_capture_command(&text, lock->doc, profile, python, lock_file);
	*out = ret == EL_OK ? el__buf_detach(&text, NULL) : NULL;
	el__buf_free(&text);
	return ret;
}
