/* SPDX-License-Identifier: Apache-2.0 */
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

/* Every byte as its two hex digits: one load per byte, as manifests of a million lines want. */
static const char hex_pairs[] =
	"000102030405060708090a0b0c0d0e0f"
	"101112131415161718191a1b1c1d1e1f"
	"202122232425262728292a2b2c2d2e2f"
	"303132333435363738393a3b3c3d3e3f"
	"404142434445464748494a4b4c4d4e4f"
	"505152535455565758595a5b5c5d5e5f"
	"606162636465666768696a6b6c6d6e6f"
	"707172737475767778797a7b7c7d7e7f"
	"808182838485868788898a8b8c8d8e8f"
	"909192939495969798999a9b9c9d9e9f"
	"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
	"b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	"c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	"d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	"e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

void el__hex(char *out, const unsigned char *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		memcpy(out + 2 * i, hex_pairs + 2 * bytes[i], 2);
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

size_t el__u64_dec(char out[EL_U64_DEC], unsigned long long v)
{
	char digits[EL_U64_DEC];
	size_t n = 0;

	do {
		digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(out, digits + sizeof(digits) - n, n);
	out[n] = '\0';
	return n;
}
