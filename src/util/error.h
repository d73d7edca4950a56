/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_ERROR_H
#define EL_UTIL_ERROR_H

#include "envlock/error.h"

/*
 * The library's one convention: a function that can fail returns EL_OK or
 * a negative code of enum el_error_code (envlock/error.h) and records the
 * message with el__error() or its siblings below; a caller passes the code
 * up, or adds context with el__error_prefix() or el__error_reraise().
 *
 * Three kinds of function answer otherwise, and say so where they are
 * declared:
 *  - thin wrappers of a system call, answering as the call does (a
 *    descriptor or a count, or -1 with errno), where callers branch on
 *    errno or run where no message is wanted: el__write_all (forked
 *    children use it), el__buf_read, el__cache_open_dir, el__bind_tree,
 *    el__make_dirs, el__rename_noreplace and el__link_noreplace;
 *  - the steps of the sandbox's own processes after clone (sandbox/setup.h):
 *    nothing there reads this thread's last error, so a step reports on
 *    the status socket and returns -1;
 *  - answers that are not failures: the values of enum el__answer.
 */

/*
 * Answers inside the library that are not failures, each from one kind of
 * function. They are positive, so that a test for `< 0` never takes one
 * for a failure, and distinct, so that one passed up by another function
 * cannot be taken for that function's own. They never leave the library:
 * no public function returns one, and el__error() never records one, so
 * el_error_last_code() never returns one.
 */
enum el__answer {
	EL__PROBE_ABSENT = 1,      /* a probe's section does not apply here (probe/probe.h) */
	EL__PYMETA_MORE = 2,       /* METADATA text ends before the headers do (probe/pymetadata.h) */
	EL__IDMAP_UNSUPPORTED = 3, /* a file system or the kernel cannot idmap (sandbox/idmap.h) */
};

/*
 * Record a failure for el_error_last() and return code, so that a caller can
 * write `return el__error(EL_EINVAL, "%s: truncated", path);`. code is one
 * of enum el_error_code below EL_OK; anything else (EL_OK, an el__answer)
 * is recorded and returned as EL_ERROR, so that no answer that is not a
 * failure reaches el_error_last_code(). The same holds for every function
 * below that takes a code.
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
