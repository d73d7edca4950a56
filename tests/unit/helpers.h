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

/*
 * A probe context on root with a memory-only cache. Warnings are collected,
 * one per line "section: message", in el_test_warnings(ctx).
 */
void el_test_ctx_init(el__probe_ctx *ctx, const char *root);
void el_test_ctx_release(el__probe_ctx *ctx);
const char *el_test_warnings(el__probe_ctx *ctx);

/* The JSON of v, compact with sorted keys, in a static buffer (for asserts). */
const char *el_test_json(const json_t *v);

/* Exit status 77 (skipped) with a reason, for ctest's SKIP_RETURN_CODE. */
void el_test_skip(const char *reason) __attribute__((noreturn));

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
