/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_CLI_EXEC_RECORD_H
#define EL_CLI_EXEC_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "envlock/envlock.h"
#include "envlock/record.h"
#include "envlock/sign.h"

#include "cli/exec_run.h"

/*
 * Where --record PATH goes, opened before the command runs: the command
 * may write the directory the record goes to (the working directory), and
 * must not be able to send envlock's write (perhaps root's) elsewhere by
 * planting a link there meanwhile.
 */
typedef struct exec_record_target {
	int dirfd;        /* the directory the record is written in */
	char *name;       /* the file's name there; NULL: a new file in the directory */
	const char *path; /* as given, for messages */
	/*
	 * What the command must not change, absolute, for the sandbox's
	 * protect list: a record directory (protect[0] when name is NULL), or
	 * the named record and its .sig.
	 */
	char *protect[3];
	size_t protect_count;
} exec_record_target;

/*
 * Whether an --output path names something inside the working directory:
 * relative, without "." or ".." names. Prints why not (exit 125) for the
 * command (exec, replay) and what (the option or the record's field).
 */
bool exec_output_path_ok(const char *command, const char *what, const char *path);

/* Open it; prints the error (exit 125) on failure. */
bool exec_record_target_open(exec_record_target *t, const char *path);
void exec_record_target_close(exec_record_target *t);

/* What a run record is made of. */
typedef struct exec_record_input {
	char *const *argv;
	const char *workdir;       /* absolute host path */
	int workdir_fd;            /* outputs are resolved beneath it */
	const char *lock_path;     /* absolute; NULL without a lock */
	const el_lock *lock;
	const el_profile *profile;
	const char *seed;
	const char *python;        /* --python, or NULL */
	el_severity on_drift;
	const el_mount *mounts;    /* the command line's */
	size_t mount_count;
	const el_sandbox_plan *plan;
	bool trace;                /* exec --trace: run->observed holds what the run opened too */
	const char *const *outputs;
	size_t output_count;
	const exec_run *run;       /* its results (run->observed: the objects it loaded, or NULL) */
	int status;                /* exec's exit status */
	const el_key *sign_key;    /* signs the record (RECORD.sig beside it); NULL: not signed */
} exec_record_input;

/*
 * The digest of a run's output, the way a record keeps it: hex, "" when the
 * output does not exist. Resolved beneath workdir_fd with no link on the
 * way (the command wrote it). False with the error printed when it cannot
 * be hashed.
 */
bool exec_output_digest(char hex[EL_RECORD_SHA256_SIZE], int workdir_fd, const char *output);

/* Build the record, write it and sign it (sign_key); prints what went wrong. */
bool exec_record_write(const exec_record_target *t, const exec_record_input *in);

#endif
