#ifndef EL_UTIL_ERROR_H
#define EL_UTIL_ERROR_H

#include "envlock/error.h"

/*
 * Record a failure for el_error_last() and return code, so that a caller can
 * write `return el__error(EL_EINVAL, "%s: truncated", path);`.
 */
int el__error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Same, with ": strerror(errno)" appended. errno is read before anything else. */
int el__error_errno(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* EL_ENOMEM with a fixed message. */
int el__error_oom(void);

#endif
