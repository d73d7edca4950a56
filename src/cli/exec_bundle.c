/* SPDX-License-Identifier: Apache-2.0 */
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

bool exec_bundle_check_data(const exec_bundle *eb, const el_mount *mounts, size_t count, const char *name)
{
	for (size_t i = 0; i < eb->bundle->data_count; i++) {
		const el_bundle_data *d = &eb->bundle->data[i];
		const el_mount *m = NULL;
		el_data_options opts = { 0 };
		el_data_tree *tree = NULL;
		bool same;

		if (d->carried)
			continue;
		for (size_t k = 0; k < count && !m; k++) {
			const char *dest = mounts[k].dest ? mounts[k].dest : mounts[k].source;

			if (mounts[k].kind != EL_MOUNT_TMPFS && strcmp(dest, d->path) == 0)
				m = &mounts[k];
		}
		if (!m) {
			cli_error("%s: --bundle: it does not carry its data %s (packed with --no-data): bind it there, "
				  "--ro-bind SRC:%s, to be checked against %s", name, d->path, d->path, d->digest);
			return false;
		}
		if (el_data_hash(&tree, m->source, &opts) != EL_OK) {
			cli_error("%s: --bundle: data %s: %s", name, d->path, el_error_last());
			return false;
		}
		same = strcmp(tree->digest, d->digest) == 0;
		if (!same)
			cli_error("%s: --bundle: data %s: %s is not what the run read (%s, the run's %s)", name, d->path,
				  m->source, tree->digest, d->digest);
		el_data_tree_free(tree);
		if (!same)
			return false;
	}
	return true;
}

bool exec_bundle_mounts(el_mount **out, size_t *out_count, const exec_bundle *eb, const el_mount *user, size_t count,
			const char *name)
{
	el_mount *m = calloc(eb->bundle->data_count + count + 1, sizeof(*m));
	size_t n = 0;

	*out = m;
	*out_count = 0;
	if (!m) {
		cli_error("%s: out of memory", name);
		return false;
	}
	for (size_t i = 0; i < eb->bundle->data_count; i++) {
		if (!eb->bundle->data[i].carried)
			continue;
		m[n].kind = EL_MOUNT_RO_BIND;
		if (el_bundle_data_source(&m[n].source, eb->bundle, i) != EL_OK ||
		    !(m[n].dest = strdup(eb->bundle->data[i].path))) {
			cli_error("%s: --bundle: %s", name, m[n].source ? "out of memory" : el_error_last());
			*out_count = n + 1;
			return false;
		}
		n++;
	}
	for (size_t i = 0; i < count; i++, n++) {
		m[n].kind = user[i].kind;
		m[n].source = user[i].source ? strdup(user[i].source) : NULL;
		m[n].dest = user[i].dest ? strdup(user[i].dest) : NULL;
		if ((user[i].source && !m[n].source) || (user[i].dest && !m[n].dest)) {
			cli_error("%s: out of memory", name);
			*out_count = n + 1;
			return false;
		}
	}
	*out_count = n;
	return true;
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
