/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "lock/lock_internal.h"
#include "util/error.h"

#define JCS_MAX_SAFE_INTEGER 9007199254740992LL /* 2^53 */
#define JCS_MAX_DEPTH 64

/*
 * Decode the next UTF-16 code unit of a UTF-8 string, the way ECMAScript
 * sees it. *pending carries the low surrogate of a supplementary character
 * between calls. Invalid UTF-8 cannot reach here: jansson validates it.
 */
static unsigned next_utf16(const unsigned char **s, const unsigned char *end, unsigned *pending)
{
	unsigned cp, c;

	if (*pending) {
		cp = *pending;
		*pending = 0;
		return cp;
	}
	c = *(*s)++;
	if (c < 0x80)
		return c;
	if (c < 0xE0) {
		cp = c & 0x1F;
		cp = (cp << 6) | (*(*s)++ & 0x3F);
	} else if (c < 0xF0) {
		cp = c & 0x0F;
		for (int i = 0; i < 2 && *s < end; i++)
			cp = (cp << 6) | (*(*s)++ & 0x3F);
	} else {
		cp = c & 0x07;
		for (int i = 0; i < 3 && *s < end; i++)
			cp = (cp << 6) | (*(*s)++ & 0x3F);
		cp -= 0x10000;
		*pending = 0xDC00 | (cp & 0x3FF);
		return 0xD800 | (cp >> 10);
	}
	return cp;
}

struct key {
	const char *s;
	size_t len;
	json_t *value;
};

static int compare_keys(const void *pa, const void *pb)
{
	const struct key *a = pa, *b = pb;
	const unsigned char *sa = (const unsigned char *)a->s, *ea = sa + a->len;
	const unsigned char *sb = (const unsigned char *)b->s, *eb = sb + b->len;
	unsigned pa16 = 0, pb16 = 0;

	while ((sa < ea || pa16) && (sb < eb || pb16)) {
		unsigned ca = next_utf16(&sa, ea, &pa16);
		unsigned cb = next_utf16(&sb, eb, &pb16);

		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	if (sa < ea || pa16)
		return 1;
	if (sb < eb || pb16)
		return -1;
	return 0;
}

static void append_string(el__buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t plain = 0;

	el__buf_putc(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Runs that need no escape go in at once: a lock is mostly such text. */
		if (c >= 0x20 && c != '"' && c != '\\') {
			plain++;
			continue;
		}
		el__buf_add(out, s + i - plain, plain);
		plain = 0;
		switch (c) {
		case '"': el__buf_puts(out, "\\\""); break;
		case '\\': el__buf_puts(out, "\\\\"); break;
		case '\b': el__buf_puts(out, "\\b"); break;
		case '\f': el__buf_puts(out, "\\f"); break;
		case '\n': el__buf_puts(out, "\\n"); break;
		case '\r': el__buf_puts(out, "\\r"); break;
		case '\t': el__buf_puts(out, "\\t"); break;
		default: {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			el__buf_add(out, esc, sizeof(esc));
		}
		}
	}
	el__buf_add(out, s + len - plain, plain);
	el__buf_putc(out, '"');
}

static int append_value(el__buf *out, json_t *v, int depth);

static int append_object(el__buf *out, json_t *v, int depth)
{
	size_t n = json_object_size(v), i = 0;
	struct key *keys = n ? calloc(n, sizeof(*keys)) : NULL;
	const char *k;
	json_t *member;
	void *iter;
	int ret = EL_OK;

	if (n && !keys)
		return el__error_oom();
	for (iter = json_object_iter(v); iter; iter = json_object_iter_next(v, iter)) {
		k = json_object_iter_key(iter);
		member = json_object_iter_value(iter);
		keys[i++] = (struct key){ k, json_object_iter_key_len(iter), member };
	}
	if (n > 1)
		qsort(keys, n, sizeof(*keys), compare_keys); /* never qsort(NULL, 0): undefined */
	el__buf_putc(out, '{');
	for (i = 0; i < n && ret == EL_OK; i++) {
		if (i)
			el__buf_putc(out, ',');
		append_string(out, keys[i].s, keys[i].len);
		el__buf_putc(out, ':');
		ret = append_value(out, keys[i].value, depth + 1);
	}
	el__buf_putc(out, '}');
	free(keys);
	return ret;
}

static int append_value(el__buf *out, json_t *v, int depth)
{
	int ret = EL_OK;

	if (depth > JCS_MAX_DEPTH)
		return el__error(EL_EINVAL, "nested deeper than %d levels", JCS_MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return append_object(out, v, depth);
	case JSON_ARRAY:
		el__buf_putc(out, '[');
		for (size_t i = 0; i < json_array_size(v) && ret == EL_OK; i++) {
			if (i)
				el__buf_putc(out, ',');
			ret = append_value(out, json_array_get(v, i), depth + 1);
		}
		el__buf_putc(out, ']');
		return ret;
	case JSON_STRING:
		append_string(out, json_string_value(v), json_string_length(v));
		return EL_OK;
	case JSON_INTEGER: {
		json_int_t n = json_integer_value(v);

		if (n > JCS_MAX_SAFE_INTEGER || n < -JCS_MAX_SAFE_INTEGER)
			return el__error(EL_EINVAL, "integer %lld is beyond 2^53", (long long)n);
		el__buf_printf(out, "%lld", (long long)n);
		return EL_OK;
	}
	case JSON_REAL:
		return el__error(EL_EINVAL, "a lock holds no fractional numbers");
	case JSON_TRUE:
		el__buf_puts(out, "true");
		return EL_OK;
	case JSON_FALSE:
		el__buf_puts(out, "false");
		return EL_OK;
	case JSON_NULL:
		el__buf_puts(out, "null");
		return EL_OK;
	}
	return el__error(EL_EINVAL, "unknown JSON value");
}

int el__jcs_append(el__buf *out, json_t *v)
{
	int ret = append_value(out, v, 0);

	if (ret == EL_OK && el__buf_failed(out))
		ret = el__error_oom();
	return ret;
}
