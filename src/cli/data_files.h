#ifndef EL_CLI_DATA_FILES_H
#define EL_CLI_DATA_FILES_H

#include <stddef.h>

#include "envlock/envlock.h"

/*
 * Which files of a data tree changed, for the drift report: for each data
 * finding whose old and new addresses are both trees with a manifest in
 * the store (the capture just stored the new one; the old one is there
 * when this machine captured it, or hashed it since).
 */
typedef struct data_files {
	const el_finding *finding;
	el_data_tree *old, *now;
	el_data_change *changes; /* paths borrowed from old and now */
	size_t count;
} data_files;

typedef struct data_files_list {
	data_files *items;
	size_t count;
} data_files_list;

/* Collect them for diff (cache_dir as in el_capture_options). Out of memory only fails. */
int data_files_collect(data_files_list *out, const el_diff *diff, const char *cache_dir);

/* The changes for a finding, or NULL when none are known. */
const data_files *data_files_for(const data_files_list *list, const el_finding *finding);

void data_files_free(data_files_list *list);

#endif
