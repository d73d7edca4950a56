/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A program built against the installed library, as a user builds one:
 * `cc consumer.c $(pkg-config --cflags --libs envlock)`. It reads a lock
 * and prints its fingerprint, recomputed, through the public API only.
 */
#include <stdio.h>

#include <envlock/envlock.h>

int main(int argc, char **argv)
{
	char fingerprint[EL_FINGERPRINT_SIZE];
	el_lock *lock = NULL;

	if (argc != 2) {
		fprintf(stderr, "usage: consumer LOCK\n");
		return 2;
	}
	if (el_lock_read_file(&lock, argv[1]) != EL_OK || el_lock_fingerprint(fingerprint, lock) != EL_OK) {
		fprintf(stderr, "consumer: %s\n", el_error_last());
		el_lock_free(lock);
		return 1;
	}
	printf("%s\n", fingerprint);
	el_lock_free(lock);
	return 0;
}
