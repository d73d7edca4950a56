/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_POLICY_LOOKUP_H
#define EL_POLICY_LOOKUP_H

#include <stdbool.h>

#include "util/buf.h"

/* Where a profile's text came from. */
typedef struct el__profile_source {
	el__buf text;
	char *file; /* the path read, or "(built in)" */
	char *id;   /* one per file whatever the path to it ("dev:ino", "builtin:NAME"): include cycles */
	char *dir;  /* the file's directory, for relative includes; NULL when built in */
} el__profile_source;

#define EL_PROFILE_BUILTIN "(built in)"

void el__profile_source_free(el__profile_source *src);

/*
 * Find the profile called name, skipping the files that skip() says are
 * being read already (a profile that includes its own name gets the next
 * one down the lookup). EL_ENOTFOUND when there is none; *all_skipped then
 * says whether there were only skipped ones (a cycle).
 */
int el__profile_find(el__profile_source *out, const char *name, bool (*skip)(const char *id, const void *data),
		     const void *data, bool *all_skipped);

/* Read the profile at path; a relative path is taken from base_dir when given. */
int el__profile_read_path(el__profile_source *out, const char *path, const char *base_dir);

#endif
