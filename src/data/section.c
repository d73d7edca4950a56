/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lock's data section: every declared file or tree (--data, the
 * profile's data directives, and for check and exec the lock's own
 * entries) hashed under its path, its manifest kept in the store so that
 * check can later name the files that changed.
 */
#include "data/section.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/data.h"
#include "lock/lock_internal.h"
#include "util/error.h"
#include "util/text.h"

/* The key a path is locked under: as given, without trailing slashes ("/" stays). */
static char *data_key(const char *path)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	return strndup(path, len);
}

/*
 * Hash one path into section; a missing path is skipped when missing_ok.
 * A relative path is relative to base (the lock's directory), else to the
 * current directory; the key stays as given.
 */
static int add_path(json_t *section, const char *path, bool missing_ok, const el_capture_options *capture,
		    const char *base)
{
	const char *cache_dir = capture->cache_dir;
	el_data_options opts = { .cache_dir = cache_dir, .progress = capture->progress,
				 .progress_data = capture->progress_data };
	el_data_tree *tree = NULL;
	char *key = data_key(path), *where = NULL;
	int ret;

	if (!key)
		return el__error_oom();
	if (json_object_get(section, key)) {
		free(key);
		return EL_OK;
	}
	if (!el__utf8_valid(key, strlen(key))) {
		free(key);
		return el__error(EL_EINVAL, "data: a path that is not UTF-8 cannot be a lock key");
	}
	if (base && key[0] != '/' && asprintf(&where, "%s/%s", base, key) < 0) {
		free(key);
		return el__error_oom();
	}
	ret = el_data_hash(&tree, where ? where : key, &opts);
	free(where);
	if (ret == EL_ENOTFOUND && missing_ok) {
		el_error_clear();
		free(key);
		return EL_OK;
	}
	/* Reported under the key: messages and the manifest name what the user wrote. */
	if (ret == EL_OK)
		ret = el__json_set_text(section, key, tree->digest);
	/* Without the store, check still names the entry, only not its files. */
	if (ret == EL_OK)
		el_data_store_save(tree, cache_dir);
	el_data_tree_free(tree);
	free(key);
	return ret == EL_OK ? EL_OK : el__error_prefix("data");
}

int el__data_section(json_t **out, const el_capture_options *opts, const el_profile *profile)
{
	const json_t *verify = opts->checking ? json_object_get(el__lock_doc(opts->checking), "data") : NULL;
	json_t *section = json_object();
	/* Only for check and exec: capture's --data is relative to where the user typed it. */
	const char *base = opts->checking && opts->workdir && opts->workdir[0] == '/' ? opts->workdir : NULL;
	const char *key;
	json_t *value;
	int ret = section ? EL_OK : el__error_oom();

	*out = NULL;
	for (size_t i = 0; ret == EL_OK && i < opts->data_count; i++)
		ret = add_path(section, opts->data[i], false, opts, base);
	for (size_t i = 0; ret == EL_OK && i < profile->data_count; i++)
		ret = add_path(section, profile->data[i], opts->checking != NULL, opts, base);
	json_object_foreach((json_t *)(uintptr_t)verify, key, value) {
		if (ret == EL_OK)
			ret = add_path(section, key, true, opts, base);
	}
	if (ret != EL_OK || json_object_size(section) == 0) {
		json_decref(section);
		return ret;
	}
	*out = section;
	return EL_OK;
}
