/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A replay must never overwrite what the recorded run made: the command
 * runs on an overlay of the working directory whose writes stay in the
 * sandbox, and its outputs are hashed from the overlay's view, which the
 * sandbox hands over (see el_sandbox_workdir_open). Where the kernel has
 * no overlay for us, a copy of the working directory stands in for it.
 */
#include "cli/replay_run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/exec_record.h"
#include "cli/exec_run.h"

static el_mount *record_mounts(const el_record *r)
{
	el_mount *m = calloc(r->mount_count ? r->mount_count : 1, sizeof(*m));

	for (size_t i = 0; m && i < r->mount_count; i++) {
		const el_record_mount *rm = &r->mounts[i];

		m[i].kind = rm->kind;
		/* Borrowed from the record: only read. */
		m[i].source = rm->source;
		m[i].dest = rm->dest;
	}
	return m;
}

/* The recorded run in a sandbox, the working directory as an overlay or from copy; the run holds the sandbox. */
static int run_once(const replay_run *r, exec_run *run, el_sandbox_plan **plan, const char *copy)
{
	const el_record *rec = r->record;
	el_sandbox_options sopts = {
		.profile = r->profile, .lock = r->lock, .lock_path = rec->lock_path, .workdir = rec->workdir,
		.python = rec->python, .seed = rec->seed, .argv = rec->argv, .host_uid = geteuid(),
		.host_gid = getegid(), .workdir_overlay = !copy, .workdir_copy = copy, .message_prefix = "envlock: replay: ",
	};
	el_mount *mounts = record_mounts(rec);

	/* Where the command started (src/ of the repository), as the record's sandbox says. */
	if (el_record_sandbox_cwd(&sopts.cwd, rec) != EL_OK)
		el_error_clear();
	*run = (exec_run){ .profile = r->profile, .lock_path = rec->lock_path, .hold = true };
	sopts.mounts = mounts;
	sopts.mount_count = rec->mount_count;
	if (!mounts || el_sandbox_plan_new(plan, &sopts) != EL_OK) {
		cli_error("replay: %s: %s", r->file, mounts ? el_error_last() : "out of memory");
		free(mounts);
		return EXEC_FAILED;
	}
	free(mounts);
	run->command = "replay";
	run->plan = *plan;
	fflush(NULL);
	return exec_run_sandbox(run);
}

/* The outputs' digests, as the command left them in the view (workdir_fd). */
static void write_digests(const replay_run *r, FILE *results, int workdir_fd)
{
	for (size_t i = 0; i < r->record->output_count; i++) {
		char now[EL_RECORD_SHA256_SIZE] = "";

		if (exec_output_digest(now, workdir_fd, r->record->outputs[i].path))
			fprintf(results, "%s\n", now);
		else
			fputs("!\n", results);
	}
}

/* --keep: the outputs, from the view, into keep_fd/keep_sub. */
static void keep_outputs(const replay_run *r, FILE *results, int workdir_fd)
{
	size_t kept = 0;
	bool failed = false;
	int dir = r->keep_fd;

	if (*r->keep_sub) {
		if (mkdirat(r->keep_fd, r->keep_sub, 0755) != 0 && errno != EEXIST)
			dir = -1;
		else
			dir = openat(r->keep_fd, r->keep_sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dir < 0) {
			cli_error("replay: %s: --keep: %s: %s", r->file, r->keep_sub, strerror(errno));
			failed = true;
		}
	}
	for (size_t i = 0; i < r->record->output_count && !failed; i++) {
		el_sandbox_files *f = NULL;
		int ret = el_sandbox_keep_path(&f, workdir_fd, r->record->outputs[i].path, dir);

		if (ret != EL_OK && ret != EL_ENOTFOUND) {
			cli_error("replay: %s: --keep: %s", r->file, el_error_last());
			failed = true;
		} else if (f && (f->too_many || f->too_deep)) {
			cli_error("replay: %s: --keep: %s: more than %d entries or %d directories deep: not all kept",
				  r->file, r->record->outputs[i].path, EL_SANDBOX_FILES_MAX_ENTRIES,
				  EL_SANDBOX_FILES_MAX_DEPTH);
			failed = true;
		}
		kept += f ? f->kept : 0;
		el_sandbox_files_free(f);
	}
	if (dir >= 0 && dir != r->keep_fd)
		close(dir);
	if (failed)
		fputs("kept!\n", results);
	else
		fprintf(results, "kept %zu\n", kept);
}

int replay_run_record(const replay_run *r)
{
	const char *forced = getenv("ENVLOCK_REPLAY_NO_OVERLAY"), *tmpdir = getenv("TMPDIR");
	el_sandbox_plan *plan = NULL;
	exec_run run = { 0 };
	char *copy = NULL, reason[300];
	int status, view = -1;
	FILE *results = fdopen(r->results_fd, "w");

	if (!results) {
		cli_error("replay: %s: %s", r->file, strerror(errno));
		return EXEC_FAILED;
	}
	if (forced && strcmp(forced, "1") == 0) {
		snprintf(reason, sizeof(reason), "ENVLOCK_REPLAY_NO_OVERLAY=1");
		status = EXEC_FAILED;
	} else {
		status = run_once(r, &run, &plan, NULL);
		snprintf(reason, sizeof(reason), "%s", run.overlay_reason);
	}
	if ((forced && strcmp(forced, "1") == 0) || run.overlay_refused) {
		fprintf(results, "overlay %s\n", reason);
		el_sandbox_plan_free(plan);
		plan = NULL;
		if (el_sandbox_workdir_copy(&copy, r->record->workdir, tmpdir && *tmpdir ? tmpdir : "/var/tmp") != EL_OK) {
			cli_error("replay: %s: %s", r->file, el_error_last());
			status = EXEC_FAILED;
		} else {
			status = run_once(r, &run, &plan, copy);
		}
	}
	/* The view the outputs are read from: the overlay's, or the copy's. */
	if (run.sandbox)
		view = copy ? open(copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : el_sandbox_workdir_open(run.sandbox);
	if (run.sandbox && view < 0)
		cli_error("replay: %s: %s", r->file, copy ? strerror(errno) : el_error_last());
	if (view >= 0) {
		write_digests(r, results, view);
		if (r->keep_fd >= 0)
			keep_outputs(r, results, view);
		close(view);
	}
	el_sandbox_free(run.sandbox);
	if (copy && el_sandbox_workdir_copy_remove(copy) != EL_OK)
		cli_print_warning(NULL, "replay", el_error_last());
	free(copy);
	el_sandbox_plan_free(plan);
	if (fclose(results) != 0 && status == 0)
		status = EXEC_FAILED;
	return status;
}
