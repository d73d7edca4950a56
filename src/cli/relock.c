/*
 * The re-lock hint check and exec print under refused drift: the capture
 * that locks this machine as the lock was made (its profile, interpreter
 * and data), run where the lock lies, writing the same file.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

char *cli_relock_hint(const el_profile *profile, const el_lock *lock, const char *lock_path, const char *python)
{
	char *command = NULL, *text = NULL;

	if (el_lock_capture_command(&command, lock, profile, python, lock_path) == EL_OK &&
	    asprintf(&text, "If the change is intended, re-lock: %s", command) < 0)
		text = NULL;
	free(command);
	return text;
}
