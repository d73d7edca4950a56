/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the manifest reader: whatever the bytes,
 * el_data_manifest_parse either refuses them with EL_EINVAL and one line
 * naming the origin, or returns a tree whose manifest text is exactly the
 * input (the format has one spelling for each tree) and compares equal to
 * itself.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/data.h"
#include "envlock/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	el_data_tree *tree = NULL;
	el_data_change *changes = NULL;
	size_t len = 0, count = 0;
	char *text = NULL;
	int ret = el_data_manifest_parse(&tree, (const char *)data, size, "fuzz.manifest");

	if (ret != EL_OK) {
		if ((ret != EL_EINVAL && ret != EL_ENOMEM) || tree)
			abort();
		if (ret == EL_EINVAL && (strncmp(el_error_last(), "fuzz.manifest:", 14) != 0 || strchr(el_error_last(), '\n')))
			abort();
		return 0;
	}
	if (el_data_manifest(&text, &len, tree) != EL_OK)
		abort();
	if (len != size || memcmp(text, data, size) != 0)
		abort();
	if (el_data_compare(&changes, &count, tree, tree) != EL_OK || count != 0)
		abort();
	free(changes);
	free(text);
	el_data_tree_free(tree);
	return 0;
}
