/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the git index reader. A job can write the index of
 * a .git it creates in its working directory, so the reader takes hostile
 * bytes: whatever they are, it either fails with EL_EINVAL (a message set,
 * no suspects left) or gives a state, and every suspect it lists names a
 * path inside the worktree. The worktree is a directory that does not
 * exist, so entries are compared with nothing. Build with
 * -DENVLOCK_FUZZ=ON (clang), then
 *   build-fuzz/tests/fuzz/fuzz_gitindex tests/fuzz/corpus/gitindex
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe/git/gitindex.h"
#include "util/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	el__git_index_result result;
	/* The first byte picks the hash: SHA-1 or SHA-256 repositories. */
	size_t hash_size = size && (data[0] & 1) ? 32 : 20;
	int ret;

	if (size) {
		data++;
		size--;
	}
	ret = el__git_index_check_image(&result, data, size, 0, "/nonexistent/worktree", hash_size);
	if (ret != EL_OK) {
		if (ret != EL_EINVAL && ret != EL_ENOMEM)
			abort();
		if (result.suspects || result.nsuspects || !el_error_last()[0])
			abort();
		return 0;
	}
	if (result.state < EL_GIT_STAT_CLEAN || result.state > EL_GIT_STAT_CHANGED)
		abort();
	/* Nothing exists under the worktree, so no entry can be a suspect. */
	if (result.nsuspects)
		abort();
	el__git_index_result_free(&result);
	return 0;
}
