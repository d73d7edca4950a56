/* SPDX-License-Identifier: Apache-2.0 */
#include "util/checksum.h"

#include <string.h>

uint64_t el__checksum64(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ULL, word;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&word, p + i, 8);
		h = (h ^ word) * 1099511628211ULL;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}
