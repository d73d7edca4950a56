/*
 * The re-lock hint check and exec print under refused drift: the capture
 * command that would lock this machine as it is now, with the same
 * profile, the same declared data and the same output file. A hint that
 * dropped the data would lead the user to a lock that verifies nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* A shell word for s: as it is when it needs no quoting, else in single quotes. */
static void put_word(FILE *out, const char *s)
{
	bool plain = *s != '\0';

	for (const char *p = s; *p && plain; p++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%_+=:,./-", *p) != NULL;
	if (plain) {
		fputs(s, out);
		return;
	}
	fputc('\'', out);
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			fputs("'\\''", out);
		else
			fputc(*p, out);
	}
	fputc('\'', out);
}

/* Whether the profile declares this data path itself (capture hashes it again unasked). */
static bool profile_declares(const el_profile *profile, const char *key)
{
	for (size_t i = 0; i < profile->data_count; i++) {
		size_t len = strlen(profile->data[i]);

		while (len > 1 && profile->data[i][len - 1] == '/')
			len--;
		if (strlen(key) == len && strncmp(profile->data[i], key, len) == 0)
			return true;
	}
	return false;
}

char *cli_relock_hint(const el_profile *profile, const el_lock *lock, const char *lock_path)
{
	const json_t *data = lock ? json_object_get(el_lock_json(lock), "data") : NULL;
	const char *key;
	json_t *value;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	fputs("If the change is intended, re-lock: envlock capture", out);
	if (strcmp(profile->name, "default") != 0) {
		fputs(" --profile ", out);
		put_word(out, profile->name);
	}
	json_object_foreach((json_t *)(uintptr_t)data, key, value) {
		if (profile_declares(profile, key))
			continue;
		fputs(" --data ", out);
		put_word(out, key);
	}
	fputs(" -o ", out);
	put_word(out, lock_path);
	if (fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}
