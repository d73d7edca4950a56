/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Signatures beside the files they sign: FILE.sig holds FILE's bytes
 * whole, so verification compares bytes, not a digest of them, and a
 * reader of FILE.sig alone sees what was signed.
 */
#include "sign/sign_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "util/atomic_file.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/text.h"

const char *el_dsse_type_of(const void *text, size_t len)
{
	const char *type = NULL;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);

	if (json_is_object(doc)) {
		if (json_object_get(doc, "_type"))
			type = EL_DSSE_TYPE_RECORD;
		else if (json_object_get(doc, "envlock"))
			type = EL_DSSE_TYPE_LOCK;
	}
	json_decref(doc);
	return type;
}

int el_sign_write_at(int dirfd, const char *name, const char *display, const el_key *key, const char *type,
		     const void *text, size_t len)
{
	char *envelope = NULL, *sig_name = NULL, *sig_display = NULL;
	size_t envelope_len;
	int ret;

	if (asprintf(&sig_name, "%s.sig", name) < 0 || asprintf(&sig_display, "%s.sig", display) < 0) {
		free(sig_name);
		return el__error_oom();
	}
	ret = el_dsse_sign(&envelope, &envelope_len, key, type, text, len);
	if (ret != EL_OK)
		el__error_prefix(display);
	else
		ret = el__atomic_write_at(dirfd, sig_name, sig_display, envelope, envelope_len, 0644);
	free(envelope);
	free(sig_name);
	free(sig_display);
	return ret;
}

/* The regular file name beneath dirfd, at most EL__SIGN_MAX_BYTES, into text. */
static int read_beneath(el__buf *text, int dirfd, const char *name, const char *path)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	long n = 0;
	int ret = EL_OK;

	if (fd < 0)
		return el__error_errno(errno == ENOENT ? EL_ENOTFOUND : EL_ERROR, "%s", path);
	if (fstat(fd, &st) != 0)
		ret = el__error_errno(EL_ERROR, "%s", path);
	else if (!S_ISREG(st.st_mode))
		ret = el__error(EL_EINVAL, "%s: not a regular file", path);
	while (ret == EL_OK && (n = el__buf_read(text, fd, 65536)) > 0)
		if (text->len > EL__SIGN_MAX_BYTES)
			ret = el__error(EL_EINVAL, "%s: larger than %u bytes", path, EL__SIGN_MAX_BYTES);
	if (ret == EL_OK && (n < 0 || el__buf_failed(text)))
		ret = n < 0 ? el__error_errno(EL_ERROR, "%s", path) : el__error_oom();
	close(fd);
	return ret;
}

int el_sign_file(const char *path, const el_key *key)
{
	const char *base = el__basename(path), *type = NULL;
	char *dir;
	el__buf text;
	int dirfd, ret;

	if (!*base)
		return el__error(EL_EINVAL, "%s: not a file", path);
	/* The directory first, the file beneath it: FILE.sig goes beside the very bytes that were signed. */
	dir = base == path ? strdup(".") : strndup(path, (size_t)(base - path));
	if (!dir)
		return el__error_oom();
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (dirfd < 0)
		return el__error_errno(errno == ENOENT ? EL_ENOTFOUND : EL_ERROR, "%s", path);
	el__buf_init(&text);
	ret = read_beneath(&text, dirfd, base, path);
	if (ret == EL_OK && !(type = el_dsse_type_of(text.data, text.len)))
		ret = el__error(EL_EINVAL, "%s: neither a lock nor a run record", path);
	if (ret == EL_OK)
		ret = el_sign_write_at(dirfd, base, path, key, type, text.data, text.len);
	close(dirfd);
	el__buf_free(&text);
	return ret;
}

int el_verify_file(const char *path, const void *text, size_t len, const char *expected_type,
		   el_key *const *trusted, size_t trusted_count, char keyid[EL_KEYID_SIZE])
{
	el_verified *v = NULL;
	char *sig_path = NULL;
	el__buf envelope;
	int ret;

	if (asprintf(&sig_path, "%s.sig", path) < 0)
		return el__error_oom();
	el__buf_init(&envelope);
	ret = el__read_file(&envelope, sig_path, EL_DSSE_MAX_SIZE, false);
	if (ret == EL_ENOTFOUND)
		ret = el__error(EL_ENOTFOUND, "%s: not signed (no %s)", path, sig_path);
	if (ret == EL_OK)
		ret = el_dsse_verify(&v, envelope.data, envelope.len, sig_path, trusted, trusted_count);
	if (ret != EL_OK)
		goto done;
	/* The type is signed too (it is in the PAE): a lock's signature does not pass for a record's. */
	if (expected_type && strcmp(v->payload_type, expected_type) != 0) {
		char type[64];

		snprintf(type, sizeof(type), "%s", v->payload_type);
		el__printable(type, strlen(type));
		ret = el__error(EL_EUNTRUSTED, "%s: signs a payload of type %s, not %s", sig_path, type, expected_type);
		goto done;
	}
	if (v->payload_len != len || memcmp(v->payload, text, len) != 0) {
		ret = el__error(EL_EUNTRUSTED, "%s: signs other content than %s", sig_path, path);
		goto done;
	}
	if (keyid)
		memcpy(keyid, v->keyid, EL_KEYID_SIZE);
done:
	el_verified_free(v);
	el__buf_free(&envelope);
	free(sig_path);
	return ret;
}
