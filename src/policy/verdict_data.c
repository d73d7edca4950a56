/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which files of a data tree changed, for each data finding: both
 * addresses are looked up in the manifest store and compared. A report
 * that says "data.train changed" is not much help with a tree of 10,000
 * files; one that names the three that changed is.
 */
#include "policy/verdict_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lock/lock_internal.h"
#include "util/error.h"

void el__verdict_forget_files(el_verdict *verdict)
{
	for (size_t i = 0; i < verdict->count; i++) {
		free((void *)(uintptr_t)verdict->findings[i].files);
		verdict->findings[i].files = NULL;
		verdict->findings[i].file_count = 0;
	}
	for (size_t i = 0; i < verdict->tree_count; i++)
		el_data_tree_free(verdict->trees[i]);
	free(verdict->trees);
	verdict->trees = NULL;
	verdict->tree_count = 0;
}

/* Keep tree for the verdict's lifetime (taking it); false when out of memory, tree freed. */
static bool hold(el_verdict *v, el_data_tree *tree)
{
	el_data_tree **grown = realloc(v->trees, (v->tree_count + 1) * sizeof(*grown));

	if (!grown) {
		el_data_tree_free(tree);
		return false;
	}
	v->trees = grown;
	v->trees[v->tree_count++] = tree;
	return true;
}

/* The finding's old or new value when it is a string (an address), else NULL. For free(). */
static char *address(const el_finding *f, bool new_side)
{
	json_t *v = el__finding_value(new_side ? f->new_value : f->old_value);
	char *s = json_is_string(v) ? strdup(json_string_value(v)) : NULL;

	json_decref(v);
	return s;
}

int el_verdict_explain_data(el_verdict *verdict, const char *cache_dir)
{
	el__verdict_forget_files(verdict);
	for (size_t i = 0; i < verdict->count; i++) {
		el_verdict_finding *f = &verdict->findings[i];
		char *old_address, *new_address;
		el_data_tree *old = NULL, *now = NULL;
		el_data_change *changes = NULL;
		size_t count = 0;
		bool stored;

		if (strcmp(f->finding->section, "data") != 0 || !f->finding->old_value || !f->finding->new_value)
			continue;
		old_address = address(f->finding, false);
		new_address = address(f->finding, true);
		/* Not stored (never captured here, or a file rather than a tree): no files to name. */
		stored = old_address && new_address && el_data_store_load(&old, old_address, cache_dir) == EL_OK &&
			 el_data_store_load(&now, new_address, cache_dir) == EL_OK;
		free(old_address);
		free(new_address);
		if (!stored) {
			el_data_tree_free(old);
			el_error_clear();
			continue;
		}
		if (!hold(verdict, old)) {
			el_data_tree_free(now);
			goto oom;
		}
		if (!hold(verdict, now) || el_data_compare(&changes, &count, old, now) != EL_OK)
			goto oom;
		f->files = changes;
		f->file_count = count;
	}
	return EL_OK;
oom:
	el__verdict_forget_files(verdict);
	return el__error_oom();
}
