/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_CLI_EXEC_RUN_H
#define EL_CLI_EXEC_RUN_H

#include <stdbool.h>
#include <sys/resource.h>
#include <time.h>

#include "envlock/envlock.h"

/* exec's own status; otherwise it exits with the command's. */
#define EXEC_FAILED 125 /* envlock failed or refused to run the command */

/* One run of a planned sandbox, with or without the drift check. */
typedef struct exec_run {
	/* in */
	const char *command;       /* the command its messages name ("replay", "capture"); NULL: "exec" */
	const el_sandbox_plan *plan;
	const el_lock *lock;       /* NULL: no drift check */
	const char *lock_path;     /* for messages and the re-lock hint */
	const char *lock_dir;      /* the lock's directory: its data paths are relative to it */
	const el_profile *profile;
	const char *python;        /* --python for the check, or NULL */
	bool no_check;             /* the lock's pins without the check (exec --no-check: the caller checked) */
	bool quiet;                /* --quiet: no progress line while the check hashes data */
	el_severity on_drift;      /* --on-drift: refuse, warn (run despite refused drift) or ignore (no report) */
	/*
	 * exec --bundle or --image: the tree carries the system files and the
	 * interpreter (a bundle the code too), so only what it cannot carry is
	 * judged (the kernel, the CPU, the GPU driver and devices); the rest
	 * is said to be skipped. "bundle" or "image"; NULL: the host's tree.
	 */
	const char *carried_by;
	/* Say what the command left outside the working directory (exec), or keep it in keep_scratch. */
	bool scratch;
	const char *keep_scratch;  /* --keep-scratch DIR, or NULL */
	int keep_scratch_fd;       /* DIR opened (exec_keep_dir_open) */
	/* Leave the ended sandbox in run->sandbox, for the caller to read (replay) and free. */
	bool hold;
	/* The plan observes (el_sandbox_options.observe): read what the run loaded into observed. */
	bool observe;
	/* out */
	el_sandbox *sandbox;       /* with hold: the sandbox once it ended, or NULL */
	bool overlay_refused;      /* the kernel refused the working directory's overlay; nothing ran */
	char overlay_reason[256];  /* why, for the message */
	el_diff *diff;             /* the drift check's: this machine against the lock; NULL when none was made */
	el_verdict *verdict;       /* diff judged under the profile; NULL when none was made */
	el_lock *now;              /* the check's capture of this machine (its code: el_lock_git_commit()); NULL when none */
	struct timespec started, finished; /* CLOCK_REALTIME, around the whole run */
	struct rusage usage;       /* the sandbox's, once it ended */
	el_sandbox_objects *observed; /* with observe: what the run loaded, for el_sandbox_objects_free(); NULL when unknown */
} exec_run;

/*
 * Start the sandbox, check drift while it sets itself up (when run->lock
 * is set), then run the command and wait for it (and with run->scratch,
 * list or keep what it left, see exec_scratch.h). Returns exec's exit
 * status: the command's, 128+N when it died of signal N, EXEC_FAILED when
 * envlock failed or refused (the reason on stderr, except for a refused
 * overlay, which sets overlay_refused for the caller to say). Signals to envlock
 * meanwhile are passed on to the command. Call it from a single-threaded
 * process. Free what it found with exec_run_release(), and run->observed
 * with el_sandbox_objects_free().
 */
int exec_run_sandbox(exec_run *run);

/* Free the drift check's results (now, diff, verdict); the run may be released twice. */
void exec_run_release(exec_run *run);

#endif
