/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The window between the plan and the set-up: a bind source the plan
 * resolved is replaced by a symbolic link before the sandbox starts. The
 * set-up follows no link on a source's path, so it must refuse.
 *
 *   el_plan_race WORKDIR SOURCE TARGET
 *
 * Binds SOURCE (a directory) read-only at /bound with WORKDIR as the
 * working directory, then renames SOURCE away, makes it a link to TARGET
 * and starts the sandbox running /bin/true. Prints "refused: MESSAGE" and
 * exits 0 when the set-up refuses; prints "bound" and exits 1 when the
 * sandbox came up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "envlock/error.h"
#include "envlock/profile.h"
#include "envlock/sandbox.h"

int main(int argc, char **argv)
{
	char *cmd[] = { "/bin/true", NULL };
	char moved[4096];
	el_mount mount = { .kind = EL_MOUNT_RO_BIND, .dest = "/bound" };
	el_sandbox_options opts = { 0 };
	el_sandbox_plan *plan = NULL;
	el_sandbox *sandbox = NULL;
	el_profile *profile = NULL;
	int status = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: el_plan_race WORKDIR SOURCE TARGET\n");
		return 2;
	}
	mount.source = argv[2];
	if (el_profile_load(&profile, "default") != EL_OK) {
		fprintf(stderr, "el_plan_race: %s\n", el_error_last());
		return 2;
	}
	opts.profile = profile;
	opts.workdir = argv[1];
	opts.mounts = &mount;
	opts.mount_count = 1;
	opts.argv = cmd;
	opts.host_uid = geteuid();
	opts.host_gid = getegid();
	if (el_sandbox_plan_new(&plan, &opts) != EL_OK) {
		fprintf(stderr, "el_plan_race: %s\n", el_error_last());
		return 2;
	}
	snprintf(moved, sizeof(moved), "%s.moved", argv[2]);
	if (rename(argv[2], moved) != 0 || symlink(argv[3], argv[2]) != 0) {
		perror("el_plan_race: planting the link");
		return 2;
	}
	if (el_sandbox_start(&sandbox, plan) != EL_OK || el_sandbox_ready(sandbox) != EL_OK) {
		printf("refused: %s\n", el_error_last());
		status = 0;
	} else {
		el_sandbox_go(sandbox);
		el_sandbox_wait(sandbox, &status);
		printf("bound\n");
		status = 1;
	}
	el_sandbox_free(sandbox);
	el_sandbox_plan_free(plan);
	el_profile_free(profile);
	return status;
}
