/* SPDX-License-Identifier: Apache-2.0 */
#include "util/printable.h"

#include <stdlib.h>
#include <string.h>

#include "envlock/text.h"

bool el__printable_plain(const char *s)
{
	if (!*s)
		return false;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			return false;
		/* U+0080-U+009F, C1 controls: 0xC2 0x80-0x9F in UTF-8 (CSI is one of them). */
		if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f)
			return false;
	}
	return true;
}

char *el__printable_text(const char *s)
{
	json_t *v;
	char *text;

	if (el__printable_plain(s))
		return strdup(s);
	v = json_string(s);
	text = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_ENSURE_ASCII) : strdup("(not UTF-8)");
	json_decref(v);
	return text;
}

char *el__printable_value(const json_t *v)
{
	if (json_is_string(v) && el__printable_plain(json_string_value(v)))
		return strdup(json_string_value(v));
	/* jansson escapes C0 controls; C1 controls (U+0080-U+009F) are escaped by ENSURE_ASCII. */
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII);
}

char *el_printable_text(const char *s)
{
	return el__printable_text(s);
}

char *el_printable_json(const char *json)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	char *text = v ? el__printable_value(v) : NULL;

	json_decref(v);
	return text;
}
