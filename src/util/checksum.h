/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_CHECKSUM_H
#define EL_UTIL_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * A check against damage, not against someone who could write the file
 * (the cache files it guards are in a directory that is this user's
 * alone): FNV-1a over eight bytes at a time, with a shift folding the
 * high bits back down, so that tens of kilobytes cost a few thousand
 * instructions. The stat cache and the state records both use it; what
 * they wrote with it must read back the same, so it does not change.
 */
uint64_t el__checksum64(const void *data, size_t len);

#endif
