/* SPDX-License-Identifier: Apache-2.0 */
#include "lock/path.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/error.h"
#include "util/error.h"

static bool bare_char(char c, bool glob)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '+' || (glob && (c == '*' || c == '?'));
}

/* A quoted key from just after its opening quote; *p ends after the closing '"]'. */
static int quoted_key(el__buf *key, const char **p)
{
	const char *s = *p;

	for (;;) {
		if (*s == '\0')
			return -1;
		if (*s == '"')
			break;
		if (*s != '\\') {
			el__buf_putc(key, *s++);
			continue;
		}
		s++;
		if (*s == '"' || *s == '\\') {
			el__buf_putc(key, *s++);
		} else if (s[0] == 'u' && s[1] == '0' && s[2] == '0' && isxdigit((unsigned char)s[3]) &&
			   isxdigit((unsigned char)s[4])) {
			char hex[3] = { s[3], s[4], '\0' };
			long v = strtol(hex, NULL, 16);

			if (v == 0)
				return -1; /* a key is a C string */
			if (v < 0x80) {
				el__buf_putc(key, (char)v);
			} else { /* U+0080-U+00FF, in UTF-8 as the key holds it */
				el__buf_putc(key, (char)(0xc0 | (v >> 6)));
				el__buf_putc(key, (char)(0x80 | (v & 0x3f)));
			}
			s += 5;
		} else {
			return -1;
		}
	}
	if (s[1] != ']')
		return -1;
	*p = s + 2;
	return 0;
}

static int push_seg(el__path_seg **segs, size_t *count, size_t *cap, el__buf *text, bool index)
{
	if (el__buf_failed(text))
		return -1;
	if (*count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		el__path_seg *n = realloc(*segs, ncap * sizeof(*n));

		if (!n)
			return -1;
		*segs = n;
		*cap = ncap;
	}
	(*segs)[*count].text = el__buf_detach(text, NULL);
	(*segs)[(*count)++].index = index;
	return 0;
}

int el__path_split(const char *path, bool glob, el__path_seg **segs, size_t *count)
{
	const char *p = path;
	size_t cap = 0;
	el__buf text;
	int bad;

	*segs = NULL;
	*count = 0;
	el__buf_init(&text);
	for (;;) {
		bool index = false;

		bad = -1;
		if (*p == '[' && p[1] == '"') {
			p += 2;
			if (quoted_key(&text, &p) != 0)
				break;
		} else if (*p == '[') {
			p++;
			while (isdigit((unsigned char)*p) || (glob && (*p == '*' || *p == '?')))
				el__buf_putc(&text, *p++);
			if (!text.len || *p++ != ']')
				break;
			index = true;
		} else {
			if (*count) {
				if (*p != '.')
					break;
				p++;
			}
			while (bare_char(*p, glob))
				el__buf_putc(&text, *p++);
			if (!text.len)
				break;
		}
		if (push_seg(segs, count, &cap, &text, index) != 0) {
			bad = -2;
			break;
		}
		bad = 0;
		if (*p == '\0')
			break;
	}
	el__buf_free(&text);
	if (bad == 0)
		return EL_OK;
	el__path_segs_free(*segs, *count);
	*segs = NULL;
	*count = 0;
	if (bad == -2)
		return el__error_oom();
	return el__error(EL_EINVAL, "'%s' is not a leaf path (column %zu)", path, (size_t)(p - path) + 1);
}

void el__path_segs_free(el__path_seg *segs, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(segs[i].text);
	free(segs);
}
