/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_RANDOM_H
#define EL_UTIL_RANDOM_H

#include <stddef.h>

/*
 * envlock's one source of random bytes: the kernel's generator,
 * getrandom(2), which blocks only until it is seeded early at boot. It
 * names temporary files and run records and makes a run's invocation id,
 * none of which may repeat or be guessed; nothing needs a generator of
 * its own.
 */

/* Fill buf with n random bytes. EL_ERROR (message set, errno kept) when the kernel gives none. */
int el__random(void *buf, size_t n);

/* nbytes random bytes as 2 * nbytes lowercase hex digits and a NUL, into out. Fails as el__random. */
int el__random_hex(char *out, size_t nbytes);

#endif
