#include "util/text.h"

#include <string.h>

#include "util/error.h"

/* As Python's codec decodes it, which is also what a JSON reader accepts. */
bool el__utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + len;

	while (s < end) {
		unsigned c = *s;
		size_t n;
		unsigned cp;

		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		if ((size_t)(end - s) <= n)
			return false;
		for (size_t i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

int el__json_set_text(json_t *obj, const char *key, const char *value)
{
	json_t *s;

	if (!el__utf8_valid(key, strlen(key)) || !el__utf8_valid(value, strlen(value)))
		return el__error(EL_EINVAL, "not UTF-8");
	s = json_string(value);
	if (!s || json_object_set_new(obj, key, s) != 0)
		return el__error_oom();
	return EL_OK;
}

int el__strcmp_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void el__hex(char *out, const unsigned char *bytes, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 15];
	}
	out[2 * n] = '\0';
}

bool el__lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool el__lower_hex_str(const char *s, size_t n)
{
	/* s[n] is read only when the n before it were digits, so not past a shorter string's NUL. */
	return el__lower_hex(s, n) && s[n] == '\0';
}

static char printable_char(char c)
{
	return (unsigned char)c >= 0x20 && (unsigned char)c < 0x7f ? c : '?';
}

void el__printable(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s[i] = printable_char(s[i]);
}

void el__printable_copy(char *dst, size_t size, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 4 < size; i++)
		dst[i] = printable_char(src[i]);
	if (i < len) {
		memcpy(dst + i, "...", 4);
		return;
	}
	dst[i] = '\0';
}
