/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_DATA_MANIFEST_H
#define EL_DATA_MANIFEST_H

#include "envlock/data.h"
#include "util/sha256.h"

/*
 * The SHA-256 of el_data_manifest()'s text for tree, as hex, without
 * making the text: lines are hashed as they are written.
 */
int el__data_manifest_digest(char hex[EL_SHA256_HEX], const el_data_tree *tree);

#endif
