/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the lock reader: whatever the bytes, el_lock_parse
 * either refuses them with EL_EINVAL and a one-line message naming the
 * origin, or returns a lock that serializes, and whose serialization reads
 * back to the same fingerprint.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/error.h"
#include "envlock/lock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char first[EL_FINGERPRINT_SIZE], second[EL_FINGERPRINT_SIZE];
	el_lock *lock = NULL, *again = NULL;
	char *text;
	size_t len;
	int ret;

	ret = el_lock_parse(&lock, (const char *)data, size, "fuzz.lock");
	if (ret != EL_OK) {
		if ((ret != EL_EINVAL && ret != EL_ENOMEM) || lock)
			abort();
		if (strncmp(el_error_last(), "fuzz.lock", 9) != 0 || strchr(el_error_last(), '\n'))
			abort();
		return 0;
	}
	if (el_lock_serialize(&text, &len, lock) != EL_OK)
		abort();
	if (el_lock_parse(&again, text, len, "again") != EL_OK)
		abort();
	if (el_lock_fingerprint(first, lock) != EL_OK || el_lock_fingerprint(second, again) != EL_OK ||
	    strcmp(first, second) != 0)
		abort();
	free(text);
	el_lock_free(lock);
	el_lock_free(again);
	return 0;
}
