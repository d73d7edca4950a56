/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_SANDBOX_OBSERVE_H
#define EL_SANDBOX_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The observer's lines (src/audit/observer.c), as the run left them in
 * its anonymous file: untrusted text, parsed here and nowhere else.
 */

/* At most this much of the file is read; a run that wrote more is too_many. */
#define EL__OBSERVE_MAX_BYTES (64u << 20)

typedef struct el__observe_lines {
	char **paths;   /* distinct valid paths, sorted bytewise; pointers into the parsed text */
	size_t count;
	size_t refused; /* lines that were not a valid path (a last line without its newline too) */
	bool too_many;  /* more than EL_SANDBOX_OBSERVED_MAX distinct paths: the first ones kept */
} el__observe_lines;

/*
 * Split text (len bytes, changed in place: each newline becomes a NUL)
 * into lines, keep those that are an absolute path of at most
 * EL_SANDBOX_OBSERVED_MAX_PATH bytes of UTF-8 without control characters,
 * sort them and drop repeats. out->paths point into text, which must
 * outlive them; free out->paths alone with free(). EL_OK, or out of memory.
 */
int el__observe_parse(el__observe_lines *out, char *text, size_t len);

#endif
