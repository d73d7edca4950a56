/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_DATA_SECTION_H
#define EL_DATA_SECTION_H

#include <jansson.h>

#include "envlock/capture.h"

/*
 * The data section for a capture: path -> "sha256:<hex>" for opts->data,
 * the profile's data directives and opts->checking's entries. *out
 * is NULL when nothing is declared. A profile's path that is missing fails
 * a capture but not a verification (check, exec): there it is drift.
 */
int el__data_section(json_t **out, const el_capture_options *opts, const el_profile *profile);

#endif
