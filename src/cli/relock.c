/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The re-lock hint check and exec print under refused drift: the capture
 * that locks this machine as the lock was made (its profile, interpreter
 * and data), run where the lock lies, writing the same file.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

char *cli_relock_hint(const el_profile *profile, const el_lock *lock, const char *lock_path, const char *python)
{
	char *command = NULL, *text = NULL;
	/*
	 * A re-lock without the command it observed would drop the libraries
	 * that command loaded. The command itself is not in the lock, and the
	 * hint never takes one from it (a lock is anyone's to write: a hint
	 * must not suggest running what a lock says).
	 */
	bool observed = el_lock_has_observed(lock);

	if (el_lock_capture_command(&command, lock, profile, python, lock_path) == EL_OK &&
	    asprintf(&text, "If the change is intended, re-lock: %s%s", command,
		     observed ? " --observe -- CMD (the command you observed when you locked: without it, "
				"the libraries it loaded are dropped from the lock)"
			      : "") < 0)
		text = NULL;
	free(command);
	return text;
}
