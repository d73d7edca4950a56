/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include "lock/lock_internal.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/sha256.h"

el_lock *el__lock_wrap(json_t *doc)
{
	el_lock *lock = calloc(1, sizeof(*lock));

	if (!lock) {
		json_decref(doc);
		return NULL;
	}
	lock->doc = doc;
	lock->schema = EL_LOCK_SCHEMA;
	return lock;
}

int el_lock_schema(const el_lock *lock)
{
	return lock->schema;
}

const char *el_lock_note(const el_lock *lock)
{
	return lock->note;
}

int el_lock_canonical(char **out, size_t *len, const el_lock *lock)
{
	json_t *body = json_copy(lock->doc); /* shallow: members are shared */
	el__buf b;
	int ret;

	*out = NULL;
	if (!body)
		return el__error_oom();
	json_object_del(body, "fingerprint");
	json_object_del(body, "meta");
	el__buf_init(&b);
	ret = el__jcs_append(&b, body);
	json_decref(body);
	if (ret != EL_OK) {
		el__buf_free(&b);
		return ret;
	}
	*out = el__buf_detach(&b, len);
	return *out ? EL_OK : el__error_oom();
}

int el_lock_fingerprint(char out[EL_FINGERPRINT_SIZE], const el_lock *lock)
{
	char hex[EL_SHA256_HEX];
	char *canon;
	size_t len;
	int ret;

	ret = el_lock_canonical(&canon, &len, lock);
	if (ret != EL_OK)
		return ret;
	ret = el__sha256_hex(hex, canon, len);
	free(canon);
	if (ret == EL_OK)
		memcpy(out, "sha256:", 7), memcpy(out + 7, hex, EL_SHA256_HEX);
	return ret;
}

const char *el_lock_stored_fingerprint(const el_lock *lock)
{
	return json_string_value(json_object_get(lock->doc, "fingerprint"));
}

int el_lock_serialize(char **out, size_t *len, const el_lock *lock)
{
	char *text = json_dumps(lock->doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	size_t n;

	*out = NULL;
	if (!text)
		return el__error_oom();
	n = strlen(text);
	*out = realloc(text, n + 2);
	if (!*out) {
		free(text);
		return el__error_oom();
	}
	(*out)[n] = '\n';
	(*out)[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return EL_OK;
}

int el_lock_write_file(const el_lock *lock, const char *path)
{
	char *text;
	size_t len;
	int ret;

	ret = el_lock_serialize(&text, &len, lock);
	if (ret != EL_OK)
		return ret;
	ret = el__output_write(path, text, len, 0666);
	free(text);
	return ret;
}

void el_lock_free(el_lock *lock)
{
	if (!lock)
		return;
	json_decref(lock->doc);
	free(lock->note);
	free(lock->text);
	free(lock);
}

const char *el_lock_text(const el_lock *lock, size_t *len)
{
	*len = lock->text_len;
	return lock->text;
}
