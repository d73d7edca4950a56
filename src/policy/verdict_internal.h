/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_POLICY_VERDICT_INTERNAL_H
#define EL_POLICY_VERDICT_INTERNAL_H

#include <jansson.h>

#include "envlock/verdict.h"

struct el_verdict {
	el_verdict_finding *findings; /* one per finding of the diff */
	size_t count;
	size_t counts[3];             /* by el_severity */
	el_outcome outcome;
	unsigned flags;
	char *profile;                /* the profile's name */
	el_data_tree **trees;         /* what the findings' files point into (verdict_data.c) */
	size_t tree_count;
};

/*
 * The findings as a JSON array, each {path, section, change, severity,
 * old, new} and, with files, the files behind a data finding: the shape
 * check --format json prints and a run record's drift byproduct keeps.
 * A new array; NULL when out of memory (the error set).
 */
json_t *el__verdict_findings_json(const el_verdict *verdict, bool files);

/* Drop every finding's files and the trees they point into. */
void el__verdict_forget_files(el_verdict *verdict);

#endif
