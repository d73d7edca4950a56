/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DSSE envelopes (github.com/secure-systems-lab/dsse, protocol v1): the
 * signature covers the pre-authentication encoding, never the JSON, so the
 * envelope's layout can change without touching what was signed, and a
 * payload cannot be passed off under another type. The reader is strict
 * about shape (it is the one part an attacker writes whole) and lenient
 * only where DSSE says so: either base64 alphabet, padding or not, and
 * other signatures that do not verify beside one that does.
 */
#include "sign/sign_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/text.h"

static const char b64_standard[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *el__base64_encode(const void *data, size_t n)
{
	const unsigned char *p = data;
	char *out, *o;
	size_t i;

	if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	out = malloc((n + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	o = out;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		*o++ = b64_standard[v >> 18];
		*o++ = b64_standard[(v >> 12) & 63];
		*o++ = b64_standard[(v >> 6) & 63];
		*o++ = b64_standard[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);

		*o++ = b64_standard[v >> 18];
		*o++ = b64_standard[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64_standard[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* A character's value in the alphabet chosen so far (0: none yet, '+' or '-'), or -1. */
static int b64_value(unsigned char c, char *alphabet)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '/' || c == '-' || c == '_') {
		char which = (c == '+' || c == '/') ? '+' : '-';

		/* One alphabet per string: a mix is no encoding anyone makes. */
		if (*alphabet && *alphabet != which)
			return -1;
		*alphabet = which;
		return c == '+' || c == '-' ? 62 : 63;
	}
	return -1;
}

int el__base64_decode(unsigned char **out, size_t *n, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t data = len, pad = 0, o = 0, i;
	unsigned char *buf;
	char alphabet = 0;
	uint32_t acc = 0;
	int bits = 0;

	*out = NULL;
	*n = 0;
	while (data > 0 && s[data - 1] == '=' && pad < 2) {
		data--;
		pad++;
	}
	/* Padding only ever completes a group of four; unpadded, a group of one is impossible. */
	if ((pad && len % 4 != 0) || data % 4 == 1)
		return el__error(EL_EINVAL, "not base64");
	buf = malloc(data / 4 * 3 + 3);
	if (!buf)
		return el__error_oom();
	for (i = 0; i < data; i++) {
		int v = b64_value(s[i], &alphabet);

		if (v < 0) {
			free(buf);
			return el__error(EL_EINVAL, "not base64");
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Bits past the last byte must be zero: one byte string, one encoding. */
	if (acc != 0 || (pad && pad != (size_t)(data % 4 == 2 ? 2 : data % 4 == 3 ? 1 : 3))) {
		free(buf);
		return el__error(EL_EINVAL, "not base64");
	}
	buf[o] = '\0';
	*out = buf;
	*n = o;
	return EL_OK;
}

/* The PAE for a type of type_len bytes: one from JSON may hold a NUL, and is taken whole. */
static int pae_n(unsigned char **out, size_t *len, const char *type, size_t type_len, const void *payload,
		 size_t payload_len)
{
	el__buf b;

	*out = NULL;
	*len = 0;
	el__buf_init(&b);
	el__buf_printf(&b, "DSSEv1 %zu ", type_len);
	el__buf_add(&b, type, type_len);
	el__buf_printf(&b, " %zu ", payload_len);
	el__buf_add(&b, payload, payload_len);
	if (el__buf_failed(&b)) {
		el__buf_free(&b);
		return el__error_oom();
	}
	*out = (unsigned char *)el__buf_detach(&b, len);
	return EL_OK;
}

int el_dsse_pae(unsigned char **out, size_t *len, const char *type, const void *payload, size_t payload_len)
{
	return pae_n(out, len, type, strlen(type), payload, payload_len);
}

int el_dsse_sign(char **envelope, size_t *len, const el_key *key, const char *type, const void *payload,
		 size_t payload_len)
{
	unsigned char *pae = NULL, *sig = NULL;
	char *payload64 = NULL, *sig64 = NULL, *text = NULL;
	size_t pae_len, sig_len, n;
	json_t *doc = NULL;
	int ret;

	*envelope = NULL;
	*len = 0;
	if (!key->is_private)
		return el__error(EL_EINVAL, "key %s: a public key cannot sign", key->id);
	ret = el_dsse_pae(&pae, &pae_len, type, payload, payload_len);
	if (ret == EL_OK)
		ret = el__key_sign(&sig, &sig_len, key, pae, pae_len);
	if (ret != EL_OK)
		goto done;
	payload64 = el__base64_encode(payload, payload_len);
	sig64 = el__base64_encode(sig, sig_len);
	doc = payload64 && sig64 ? json_pack("{s:s,s:s,s:[{s:s,s:s}]}", "payload", payload64, "payloadType", type,
					     "signatures", "keyid", key->id, "sig", sig64)
				 : NULL;
	text = doc ? json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;
	if (!text) {
		ret = payload64 && sig64 && !doc ? el__error(EL_EINVAL, "payload type is not UTF-8") : el__error_oom();
		goto done;
	}
	n = strlen(text);
	*envelope = realloc(text, n + 2);
	if (!*envelope) {
		free(text);
		ret = el__error_oom();
		goto done;
	}
	(*envelope)[n] = '\n';
	(*envelope)[n + 1] = '\0';
	*len = n + 1;
done:
	json_decref(doc);
	free(pae);
	free(sig);
	free(payload64);
	free(sig64);
	return ret;
}

void el_verified_free(el_verified *verified)
{
	if (!verified)
		return;
	free(verified->payload_type);
	free(verified->payload);
	free(verified);
}

/* A member that must be a string: its value and length, or NULL after the error. */
static const char *member_string(const json_t *obj, const char *name, const char *where, size_t *len,
				 const char *display, int *ret)
{
	const json_t *v = json_object_get(obj, name);

	if (!v) {
		*ret = el__error(EL_EINVAL, "%s: %s%s: missing", display, where, name);
		return NULL;
	}
	if (!json_is_string(v)) {
		*ret = el__error(EL_EINVAL, "%s: %s%s: not a string", display, where, name);
		return NULL;
	}
	*len = json_string_length(v);
	return json_string_value(v);
}

/* How the signatures that did not verify failed, for the message when none did. */
struct failure {
	char bad[EL_KEYID_SIZE + 4];       /* the first signature by a trusted key that does not verify */
	char untrusted[EL_KEYID_SIZE + 4]; /* the first signature by a key not trusted */
	bool anonymous;                    /* a signature without a key id that no trusted key verifies */
};

/* Whether one signature verifies with a trusted key; *keyid gets that key's id. */
static bool check_signature(struct failure *f, char keyid[EL_KEYID_SIZE], const char *hint, size_t hint_len,
			    const unsigned char *sig, size_t sig_len, const unsigned char *pae, size_t pae_len,
			    el_key *const *trusted, size_t trusted_count)
{
	bool named = hint && hint_len > 0;

	for (size_t k = 0; k < trusted_count; k++) {
		/* A key id is a hint, but a binding one: it names the one key to try. */
		if (named && (hint_len != EL_KEYID_SIZE - 1 || memcmp(hint, trusted[k]->id, hint_len) != 0))
			continue;
		if (el__key_verify(trusted[k], pae, pae_len, sig, sig_len)) {
			memcpy(keyid, trusted[k]->id, EL_KEYID_SIZE);
			return true;
		}
		if (named) {
			if (!f->bad[0])
				el__printable_copy(f->bad, sizeof(f->bad), hint, hint_len);
			return false;
		}
	}
	if (!named)
		f->anonymous = true;
	else if (!f->untrusted[0])
		el__printable_copy(f->untrusted, sizeof(f->untrusted), hint, hint_len);
	return false;
}

static int check_members(const json_t *doc, const char *display)
{
	const char *key;
	json_t *v;
	char name[64];

	json_object_foreach((json_t *)(uintptr_t)doc, key, v) {
		if (strcmp(key, "payload") != 0 && strcmp(key, "payloadType") != 0 && strcmp(key, "signatures") != 0) {
			el__printable_copy(name, sizeof(name), key, strlen(key));
			return el__error(EL_EINVAL, "%s: unknown member \"%s\" (not a DSSE envelope)", display, name);
		}
	}
	return EL_OK;
}

int el_dsse_verify(el_verified **out, const char *envelope, size_t len, const char *display,
		   el_key *const *trusted, size_t trusted_count)
{
	struct failure f = { 0 };
	char keyid[EL_KEYID_SIZE] = "";
	const char *payload64, *type, *sig64, *hint;
	size_t payload64_len = 0, type_len = 0, sig64_len = 0, hint_len = 0, payload_len = 0, pae_len = 0, sig_len, i;
	unsigned char *payload = NULL, *pae = NULL, *sig;
	json_t *doc, *sigs, *item;
	json_error_t jerr;
	el_verified *v;
	int ret = EL_OK, rc;

	*out = NULL;
	if (len > EL_DSSE_MAX_SIZE)
		return el__error(EL_EINVAL, "%s: larger than %u bytes", display, EL_DSSE_MAX_SIZE);
	doc = json_loadb(envelope, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		char text[sizeof(jerr.text)];

		el__printable_copy(text, sizeof(text), jerr.text, strlen(jerr.text));
		return el__error(EL_EINVAL, "%s:%d:%d: invalid JSON: %s", display, jerr.line, jerr.column, text);
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		return el__error(EL_EINVAL, "%s: not a DSSE envelope (not a JSON object)", display);
	}
	ret = check_members(doc, display);
	if (ret != EL_OK)
		goto done;
	payload64 = member_string(doc, "payload", "", &payload64_len, display, &ret);
	type = payload64 ? member_string(doc, "payloadType", "", &type_len, display, &ret) : NULL;
	if (!type)
		goto done;
	sigs = json_object_get(doc, "signatures");
	if (!sigs) {
		ret = el__error(EL_EINVAL, "%s: signatures: missing", display);
		goto done;
	}
	if (!json_is_array(sigs)) {
		ret = el__error(EL_EINVAL, "%s: signatures: not an array", display);
		goto done;
	}
	if (json_array_size(sigs) == 0) {
		ret = el__error(EL_EINVAL, "%s: signatures: none (an envelope needs at least one)", display);
		goto done;
	}
	rc = el__base64_decode(&payload, &payload_len, payload64, payload64_len);
	if (rc != EL_OK) {
		ret = rc == EL_ENOMEM ? rc : el__error(EL_EINVAL, "%s: payload: not base64", display);
		goto done;
	}
	/* The whole shape first: a malformed signature is refused even after one that verifies. */
	json_array_foreach(sigs, i, item) {
		char where[48];

		snprintf(where, sizeof(where), "signatures[%zu].", i);
		if (!json_is_object(item)) {
			ret = el__error(EL_EINVAL, "%s: signatures[%zu]: not an object", display, i);
			goto done;
		}
		if (!member_string(item, "sig", where, &sig64_len, display, &ret))
			goto done;
		if (json_object_get(item, "keyid") && !member_string(item, "keyid", where, &hint_len, display, &ret))
			goto done;
	}
	ret = pae_n(&pae, &pae_len, type, type_len, payload, payload_len);
	if (ret != EL_OK)
		goto done;
	json_array_foreach(sigs, i, item) {
		sig64 = json_string_value(json_object_get(item, "sig"));
		sig64_len = json_string_length(json_object_get(item, "sig"));
		hint = json_string_value(json_object_get(item, "keyid"));
		hint_len = hint ? json_string_length(json_object_get(item, "keyid")) : 0;
		rc = el__base64_decode(&sig, &sig_len, sig64, sig64_len);
		if (rc != EL_OK) {
			ret = rc == EL_ENOMEM ? rc : el__error(EL_EINVAL, "%s: signatures[%zu].sig: not base64", display, i);
			goto done;
		}
		/* Every sig is decoded (a malformed one is refused), but checked only until one verifies. */
		if (!keyid[0])
			check_signature(&f, keyid, hint, hint_len, sig, sig_len, pae, pae_len, trusted, trusted_count);
		free(sig);
	}
	if (!keyid[0]) {
		if (f.bad[0])
			ret = el__error(EL_EUNTRUSTED, "%s: the signature by key %s does not verify", display, f.bad);
		else if (f.untrusted[0])
			ret = el__error(EL_EUNTRUSTED, "%s: signed by key %s, which is not trusted", display, f.untrusted);
		else
			ret = el__error(EL_EUNTRUSTED, "%s: no trusted key verifies its signature", display);
		goto done;
	}
	v = calloc(1, sizeof(*v));
	if (!v || !(v->payload_type = strndup(type, type_len))) {
		free(v);
		ret = el__error_oom();
		goto done;
	}
	v->payload = payload;
	v->payload_len = payload_len;
	payload = NULL;
	memcpy(v->keyid, keyid, EL_KEYID_SIZE);
	*out = v;
done:
	free(payload);
	free(pae);
	json_decref(doc);
	return ret;
}
