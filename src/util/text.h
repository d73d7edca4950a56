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

#endif
