/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_BUNDLE_PACK_CODE_H
#define EL_BUNDLE_PACK_CODE_H

#include "bundle/pack_write.h"
#include "envlock/record.h"

/*
 * The run's code into the bundle, under code/: in a git checkout, the
 * files git tracks at the recorded commit (git archive, read back with
 * libarchive, so the bundle's metadata stays its own); with no git, the
 * files the trace saw the run open in its working directory, and the
 * links on the way to them. EL_OK, or an error naming what failed (git's
 * own first line when git refused, such as a repository it does not trust).
 */
int el__pack_code(el__pack_writer *w, const el_record *record);

#endif
