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

/*
 * Prefix the last message with "<prefix>: " (a path, say) and return the
 * last code. For callers that add context to a lower layer's failure.
 */
int el__error_prefix(const char *prefix);

/*
 * Raise the last failure again as code, before (NULL: nothing) written in
 * front of its message as it is, and return code: for a caller that
 * reports a lower layer's failure under a code of its own
 * (`return el__error_reraise(EL_ENOTFOUND, "--python ");`). The message
 * is rewritten in place, so no copy of it is needed in between.
 */
int el__error_reraise(int code, const char *before);

/* EL_ENOMEM with a fixed message. */
int el__error_oom(void);

#endif
