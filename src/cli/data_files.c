#include "cli/data_files.h"

#include <stdlib.h>
#include <string.h>

int data_files_collect(data_files_list *out, const el_diff *diff, const char *cache_dir)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < diff->count; i++) {
		const el_finding *f = &diff->findings[i];
		data_files item = { .finding = f };
		data_files *grown;

		if (strcmp(f->section, "data") != 0 || !json_is_string(f->old_value) || !json_is_string(f->new_value))
			continue;
		if (el_data_store_load(&item.old, json_string_value(f->old_value), cache_dir) != EL_OK ||
		    el_data_store_load(&item.now, json_string_value(f->new_value), cache_dir) != EL_OK) {
			el_data_tree_free(item.old);
			el_error_clear();
			continue;
		}
		grown = realloc(out->items, (out->count + 1) * sizeof(*grown));
		if (!grown || el_data_compare(&item.changes, &item.count, item.old, item.now) != EL_OK) {
			if (grown)
				out->items = grown;
			el_data_tree_free(item.old);
			el_data_tree_free(item.now);
			data_files_free(out);
			return EL_ENOMEM;
		}
		out->items = grown;
		out->items[out->count++] = item;
	}
	return EL_OK;
}

const data_files *data_files_for(const data_files_list *list, const el_finding *finding)
{
	for (size_t i = 0; list && i < list->count; i++)
		if (list->items[i].finding == finding)
			return &list->items[i];
	return NULL;
}

void data_files_free(data_files_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].changes);
		el_data_tree_free(list->items[i].old);
		el_data_tree_free(list->items[i].now);
	}
	free(list->items);
	memset(list, 0, sizeof(*list));
}
