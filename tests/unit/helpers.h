/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_TEST_HELPERS_H
#define EL_TEST_HELPERS_H

/* Shared by the unit tests; include after <cmocka.h>'s prerequisites. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>

#include "probe/probe.h"
#include "util/buf.h"

/* A fresh directory under $TMPDIR (or /tmp); malloc'd path. Removed by el_test_rmtree. */
char *el_test_mkdtemp(void);
void el_test_rmtree(const char *path);

/*
 * cmocka setup and teardown: *state becomes a fresh temporary directory
 * (and the last error is cleared), removed again afterwards.
 */
int el_test_setup_tmpdir(void **state);
int el_test_teardown_tmpdir(void **state);

/* Write content to dir/rel, creating parent directories. */
void el_test_write(const char *dir, const char *rel, const char *content);
void el_test_write_bytes(const char *dir, const char *rel, const void *data, size_t len);
/* Create a symlink dir/rel -> target (parents created). */
void el_test_symlink(const char *dir, const char *rel, const char *target);
/* Create an executable shell script dir/rel with the given body. */
void el_test_script(const char *dir, const char *rel, const char *body);

/* The process's environment now, for a capture's (el_capture_options.env). */
const char *const *el_test_environ(void);

/*
 * A probe context on root with a memory-only cache. Warnings are collected,
 * one per line "section: message", in el_test_warnings(ctx). Its
 * environment is the process's as it is now: a test that calls setenv
 * afterwards sets ctx->env = el_test_environ() again (setenv may move the
 * array).
 */
void el_test_ctx_init(el__probe_ctx *ctx, const char *root);
void el_test_ctx_release(el__probe_ctx *ctx);
const char *el_test_warnings(el__probe_ctx *ctx);

/* The JSON of v, compact with sorted keys, in a static buffer (for asserts). */
const char *el_test_json(const json_t *v);

/*
 * A test that cannot do what it is meant to here says why, and the binary
 * exits 77 (ctest's SKIP_RETURN_CODE) instead of 0: a pass would claim
 * checks that did not run. Under ENVLOCK_TEST_STRICT (set, not empty, not
 * 0: .ci/run exports it) each of these is a failure instead, with the
 * reason: the CI machine (Debian 12 after packaging/install-deps.sh, as
 * root) has what every unit test needs.
 *
 * el_test_skip: the whole binary, which exits at once.
 * el_test_skip_case: the rest of this case (cmocka's skip(), counted).
 * el_test_skip_part: a part of this case; the case goes on.
 */
void el_test_skip(const char *reason) __attribute__((noreturn));
#define el_test_skip_case(...) el__test_skip_case(__FILE__, __LINE__, __VA_ARGS__)
#define el_test_skip_part(...) el__test_skip_part(__FILE__, __LINE__, __VA_ARGS__)
void el__test_skip_case(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));
void el__test_skip_part(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The exit status of a binary whose cmocka run counted failed cases:
 * 1 when any failed (the count itself could wrap to 0, or read as 77),
 * else 77 when anything was skipped, else 0. cmocka_run_group_tests is
 * redefined to return it, so that no main can forget the skips.
 */
int el_test_result(int failed);

#undef cmocka_run_group_tests
#define cmocka_run_group_tests(group_tests, group_setup, group_teardown)                                \
	el_test_result(_cmocka_run_group_tests(#group_tests, group_tests,                                 \
					       sizeof(group_tests) / sizeof((group_tests)[0]), group_setup, \
					       group_teardown))

/* cmocka's own skip() gives no reason and is not counted: el_test_skip_case(REASON). */
#undef skip
#define skip() el_test_skip_case_takes_a_reason

/*
 * printf into one of 8 rotating static buffers (8 KiB each): expected
 * messages, several in one assertion.
 */
const char *el_test_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* rc is code, and the thread's last error says exactly message. */
void el_test_assert_error(int rc, int code, const char *message);

/* dir/rel in a malloc'd string. */
char *el_test_path(const char *dir, const char *rel);

/*
 * The whole content of dir/rel (rel NULL: dir is the path), malloc'd and
 * NUL-terminated; *len (if not NULL) excludes the NUL. NULL when the file
 * cannot be read.
 */
char *el_test_read(const char *dir, const char *rel, size_t *len);

/* The number of entries in dir, "." and ".." not counted; -1 if unreadable. */
int el_test_count_entries(const char *dir);

#endif
