/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the ld.so.cache parser: whatever the bytes, parsing
 * either fails with EL_EINVAL or yields entries whose strings all end inside
 * the image. Build with -DENVLOCK_FUZZ=ON (clang), then
 *   build-fuzz/tests/fuzz/fuzz_ldcache tests/fuzz/corpus/ldcache
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/libraries/ldcache.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keeps the strlen() calls from being optimized away. */
static volatile size_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	el__ldcache *cache = NULL;
	size_t total = 0;
	int ret;

	ret = el__ldcache_parse(&cache, data, size, "fuzz");
	if (ret != EL_OK) {
		if (ret != EL_EINVAL && ret != EL_ENOMEM)
			abort();
		if (cache || !el_error_last()[0])
			abort();
		return 0;
	}
	/* Read every byte of every string, so ASan sees any that escapes the copy. */
	for (size_t i = 0; i < el__ldcache_count(cache); i++) {
		const el__ldcache_entry *e = el__ldcache_entry_at(cache, i);

		total += strlen(e->soname) + strlen(e->path);
		/* A baseline native entry must be what lookup finds for its name. */
		if (e->flags == el__ldcache_native_flags() && e->hwcap == 0 &&
		    !el__ldcache_lookup(cache, e->soname))
			abort();
	}
	sink = total;
	el__ldcache_free(cache);
	return 0;
}
