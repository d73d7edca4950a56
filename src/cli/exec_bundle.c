#include "cli/exec_bundle.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

bool exec_bundle_open(exec_bundle *eb, const char *name, const char *file)
{
	el_image_options opts = { .env = cli_environment() };
	const char *tmpdir = getenv("TMPDIR");

	memset(eb, 0, sizeof(*eb));
	if (el_bundle_open(&eb->bundle, file, &opts) != EL_OK || el_record_read(&eb->record, eb->bundle->record) != EL_OK) {
		cli_error("%s: --bundle: %s", name, el_error_last());
		return false;
	}
	if (strcmp(eb->record->workdir, eb->bundle->workdir) != 0) {
		cli_error("%s: --bundle %s: its index and its record name different working directories", name, file);
		return false;
	}
	if (el_record_sandbox_cwd(&eb->cwd, eb->record) != EL_OK)
		el_error_clear();
	/* Outside the cache: what the run writes there goes with the copy. */
	if (el_sandbox_workdir_copy(&eb->copy, eb->bundle->code, tmpdir && *tmpdir ? tmpdir : "/var/tmp") != EL_OK) {
		cli_error("%s: --bundle: a copy of its code: %s", name, el_error_last());
		return false;
	}
	return true;
}

bool exec_bundle_profile(el_profile **out, const exec_bundle *eb, const char *name)
{
	if (el_profile_parse(out, eb->record->profile, eb->bundle->profile, eb->bundle->profile_text,
			     eb->bundle->profile_len) == EL_OK)
		return true;
	cli_error("%s: --bundle: its profile: %s", name, el_error_last());
	return false;
}

void exec_bundle_close(exec_bundle *eb)
{
	if (eb->copy && el_sandbox_workdir_copy_remove(eb->copy) != EL_OK)
		cli_error("--bundle: %s", el_error_last());
	free(eb->copy);
	el_record_free(eb->record);
	el_bundle_free(eb->bundle);
	memset(eb, 0, sizeof(*eb));
}
