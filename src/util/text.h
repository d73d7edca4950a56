/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_TEXT_H
#define EL_UTIL_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * A lock is UTF-8 JSON, but what it records comes from file names, /proc,
 * package metadata and programs' output, none of which promises UTF-8.
 * jansson refuses invalid UTF-8 by returning NULL, the same answer it gives
 * when out of memory; these helpers tell the two apart so that bad text
 * costs one field and a warning, never the capture.
 */

/* Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF. */
bool el__utf8_valid(const char *s, size_t len);

/*
 * Set obj[key] to the string value. EL_EINVAL (message: "not UTF-8") when
 * key or value is not valid UTF-8, EL_ENOMEM when allocation fails.
 */
int el__json_set_text(json_t *obj, const char *key, const char *value);

/* qsort comparator for an array of C strings, in strcmp order. */
int el__strcmp_ptr(const void *a, const void *b);

/* n bytes as 2n lowercase hex digits and a NUL, into out (2n + 1 bytes). */
void el__hex(char *out, const unsigned char *bytes, size_t n);

/*
 * Digests and ids are written in lowercase hex, and only that form is read
 * back: "ABC" and "abc" would otherwise be two spellings of one digest.
 * el__lower_hex: the n bytes at s are lowercase hex digits (what follows
 * them is the caller's to check; a NUL among them fails). el__lower_hex_str:
 * s is exactly n of them, then its NUL.
 */
bool el__lower_hex(const char *s, size_t n);
bool el__lower_hex_str(const char *s, size_t n);

/*
 * Text from a file or a program, quoted into a one-line message: only
 * printable ASCII goes through, every other byte becomes '?', so that the
 * text cannot carry a line break or a terminal escape sequence into it.
 * el__printable rewrites the n bytes at s in place. el__printable_copy
 * writes the len bytes at src into dst (size bytes, at least 4), cut
 * short with "..." when they need more than size - 4; dst is always
 * NUL-terminated.
 */
void el__printable(char *s, size_t n);
void el__printable_copy(char *dst, size_t size, const char *src, size_t len);

/* Room for any unsigned long long in decimal, and a NUL. */
#define EL_U64_DEC 21

/* v in decimal, no sign or leading zero ("0" for 0), NUL-terminated; returns the digits written. */
size_t el__u64_dec(char out[EL_U64_DEC], unsigned long long v);

#endif
