/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENVLOCK_ERROR_H
#define ENVLOCK_ERROR_H

#include "envlock/api.h"

/*
 * Error reporting for libenvlock.
 *
 * Functions return 0 on success or one of the negative codes below, and set a
 * one-line, human-readable message that el_error_last() returns until the next
 * failure on the same thread. The library never prints and never exits: the
 * command-line tool alone maps codes to exit statuses. The one exception is
 * the sandbox's own processes (envlock/sandbox.h), which no caller's code
 * runs in: they end with the exit statuses el_sandbox_wait() documents, and
 * a failure after the go is one line on the command's standard error that
 * starts with the caller's el_sandbox_options.message_prefix.
 */

enum el_error_code {
	EL_OK = 0,
	EL_ERROR = -1,    /* a runtime failure (I/O, a system call) */
	EL_ENOMEM = -2,   /* out of memory */
	EL_EINVAL = -3,   /* bad input: a corrupt, truncated or unsupported file */
	EL_ENOTFOUND = -4, /* a file or program that was asked for does not exist */
	EL_ENOTSUP = -5,   /* the kernel refused a feature asked for (an overlay): another way may work */
	EL_EUNTRUSTED = -6 /* a signature that does not verify, or none by a trusted key */
};

/* The message of the last failure on this thread; never NULL. */
EL_API const char *el_error_last(void);

/* The code of the last failure on this thread (EL_OK if none). */
EL_API int el_error_last_code(void);

/* Forget the last failure. */
EL_API void el_error_clear(void);

#endif
