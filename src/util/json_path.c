/* SPDX-License-Identifier: Apache-2.0 */
#include "util/json_path.h"

#include <ctype.h>
#include <stdbool.h>

/*
 * A key goes bare only when it is a plain word (letters, digits, '_', '-',
 * '+': numpy, CUDA_VISIBLE_DEVICES, c++); anything else, a dot above all,
 * goes in brackets and quotes, so that a path reads back unambiguously.
 */
static bool needs_quotes(const char *key)
{
	if (!*key)
		return true;
	for (const char *c = key; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '+')
			return true;
	return false;
}

void el__path_key(el__buf *path, const char *key)
{
	if (!needs_quotes(key)) {
		if (path->len)
			el__buf_putc(path, '.');
		el__buf_puts(path, key);
		return;
	}
	el__buf_puts(path, "[\"");
	for (const char *c = key; *c; c++) {
		unsigned char u = (unsigned char)*c;

		/* As JSON escapes them: a path is one printable line, whatever the key (C1 controls too). */
		if (*c == '"' || *c == '\\')
			el__buf_printf(path, "\\%c", *c);
		else if (u < 0x20 || u == 0x7f)
			el__buf_printf(path, "\\u%04x", u);
		else if (u == 0xc2 && (unsigned char)c[1] >= 0x80 && (unsigned char)c[1] <= 0x9f)
			el__buf_printf(path, "\\u%04x", (unsigned char)*++c); /* C1 controls: U+0080-U+009F */
		else
			el__buf_putc(path, *c);
	}
	el__buf_puts(path, "\"]");
}

/* By hand: the lock reader names every array item it checks, and printf was 7% of reading a lock. */
void el__path_index(el__buf *path, size_t i)
{
	char digits[24], *p = digits + sizeof(digits);

	*--p = ']';
	do
		*--p = (char)('0' + i % 10);
	while ((i /= 10) != 0);
	*--p = '[';
	el__buf_add(path, p, (size_t)(digits + sizeof(digits) - p));
}
