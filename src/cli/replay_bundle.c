/* SPDX-License-Identifier: Apache-2.0 */
/* replay --bundle (replay_bundle.h). */
#include "cli/replay_bundle.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/exec_bundle.h"
#include "cli/exec_record.h"
#include "cli/exec_run.h"

/* A bundle's record is the bundle's word: it may not bind this machine's files into the run. */
static bool binds_host(const el_record *r)
{
	for (size_t i = 0; i < r->mount_count; i++)
		if (r->mounts[i].kind != EL_MOUNT_TMPFS)
			return true;
	return false;
}

/* The outputs as the run left them in the copy, against the record: printed, true when all are the same. */
static bool compare(const el_record *r, const char *file, const char *copy, int status)
{
	int dir = open(copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool same = status == r->exit_status && dir >= 0;

	printf("%s: %s\n", file, r->argv[0]);
	if (status != r->exit_status)
		printf("  differs     exit status: recorded %d, now %d\n", r->exit_status, status);
	for (size_t i = 0; i < r->output_count; i++) {
		const el_record_output *o = &r->outputs[i];
		char now[EL_RECORD_SHA256_SIZE] = "", *name = el_printable_text(o->path);

		if (dir < 0 || !exec_output_digest(now, dir, o->path)) {
			printf("  differs     %s: cannot be hashed now\n", name ? name : "?");
			same = false;
		} else if (strcmp(now, o->sha256) == 0) {
			printf("  reproduced  %s  %s%s\n", name ? name : "?", *now ? "sha256:" : "",
			       *now ? now : "(absent, as recorded)");
		} else {
			printf("  differs     %s: recorded %s%s, now %s%s\n", name ? name : "?", *o->sha256 ? "sha256:" : "",
			       *o->sha256 ? o->sha256 : "(absent)", *now ? "sha256:" : "", *now ? now : "(absent)");
			same = false;
		}
		free(name);
	}
	if (dir >= 0)
		close(dir);
	printf("  %s\n", same ? "reproduced bit for bit" : "NOT reproduced");
	return same;
}

int replay_bundle(const char *file, el_severity on_drift, const el_mount *mounts, size_t mount_count)
{
	exec_bundle eb;
	el_sandbox_options sopts = { .host_uid = geteuid(), .host_gid = getegid(), .message_prefix = "envlock: replay: " };
	el_sandbox_plan *plan = NULL;
	el_profile *profile = NULL;
	el_lock *lock = NULL;
	exec_run run = { 0 };
	char *lock_dir = NULL;
	el_mount *all = NULL; /* the bundle's data binds, then mounts */
	size_t all_count = 0;
	int status = CLI_EXIT_USAGE;
	bool same;

	if (!exec_bundle_open(&eb, "replay", file) || !exec_bundle_profile(&profile, &eb, "replay"))
		goto done;
	if (binds_host(eb.record)) {
		cli_error("replay: --bundle %s: its record binds paths of the machine it ran on: not replayed here", file);
		goto done;
	}
	if (!exec_bundle_check_data(&eb, mounts, mount_count, "replay"))
		goto done;
	if (eb.bundle->lock && (!cli_read_lock(&lock, eb.bundle->lock) || !(lock_dir = cli_lock_dir(eb.bundle->lock))))
		goto done;
	if (lock && strcmp(el_lock_stored_fingerprint(lock), eb.record->lock_fingerprint ? eb.record->lock_fingerprint : "") != 0) {
		cli_error("replay: --bundle %s: its lock is not the one its record names", file);
		goto done;
	}
	sopts.profile = profile;
	sopts.lock = lock;
	sopts.workdir = eb.bundle->workdir;
	sopts.workdir_copy = eb.copy;
	sopts.cwd = eb.cwd;
	sopts.image_root = eb.bundle->root;
	sopts.seed = eb.record->seed;
	sopts.argv = eb.record->argv;
	if (!exec_bundle_mounts(&all, &all_count, &eb, mounts, mount_count, "replay"))
		goto done;
	sopts.mounts = all;
	sopts.mount_count = all_count;
	if (el_sandbox_plan_new(&plan, &sopts) != EL_OK) {
		cli_error("replay: --bundle %s: %s", file, el_error_last());
		goto done;
	}
	run = (exec_run){ .command = "replay", .plan = plan, .lock = lock, .lock_path = eb.bundle->lock,
			  .lock_dir = lock_dir, .profile = profile, .on_drift = on_drift, .carried_by = "bundle" };
	fflush(NULL);
	status = exec_run_sandbox(&run);
	same = compare(eb.record, file, eb.copy, status);
	exec_run_release(&run);
	printf("replay: 1 record: %d reproduced, %d not\n", same ? 1 : 0, same ? 0 : 1);
	status = cli_finish_stdout(same ? CLI_EXIT_OK : 1);
done:
	cli_mounts_free(all, all_count);
	el_sandbox_plan_free(plan);
	el_lock_free(lock);
	el_profile_free(profile);
	free(lock_dir);
	exec_bundle_close(&eb);
	return status;
}
