/*
 * The re-lock hint check and exec print under refused drift: the capture
 * that locks this machine as the lock was made (its profile, interpreter
 * and data), run where the lock lies, writing the same file.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

/*
 * Whether the lock holds libraries a command was seen to load (capture
 * --observe -- CMD): a re-lock without the command would drop them. The
 * command itself is not in the lock, and the hint never takes one from
 * it (a lock is anyone's to write: a hint must not suggest running what a
 * lock says).
 */
static bool has_observed(const el_lock *lock)
{
	const char *name;
	json_t *entry;

	json_object_foreach(json_object_get(el_lock_json(lock), "libraries"), name, entry)
		if (json_is_true(json_object_get(entry, "observed")))
			return true;
	return false;
}

char *cli_relock_hint(const el_profile *profile, const el_lock *lock, const char *lock_path, const char *python)
{
	char *command = NULL, *text = NULL;

	if (el_lock_capture_command(&command, lock, profile, python, lock_path) == EL_OK &&
	    asprintf(&text, "If the change is intended, re-lock: %s%s", command,
		     has_observed(lock) ? " --observe -- CMD (the command you observed when you locked: without it, "
					  "the libraries it loaded are dropped from the lock)"
					: "") < 0)
		text = NULL;
	free(command);
	return text;
}
