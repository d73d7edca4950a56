/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the DSSE envelope reader, with two trusted keys
 * (P-256 and Ed25519, fixed: the seed corpus holds envelopes they signed,
 * so the fuzzer starts past the signature check). Whatever the bytes,
 * el_dsse_verify either refuses them with EL_EINVAL or EL_EUNTRUSTED and
 * a one-line message naming the envelope, or returns the payload a
 * trusted key signed; that payload signed again verifies to the same
 * bytes and type.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envlock/error.h"
#include "envlock/sign.h"

/* Test keys, published here on purpose: they sign nothing but this corpus. */
static const char p256_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9OSypZj0V9LvCfHP\n"
	"rAUBk8UecceBUeq1+VT5TmqFCYyhRANCAAR1FwJFmImiLigDzBTQInZRx4MwKN22\n"
	"yJpLkzWPvQQeMyRkjpFeGvq+KxbSeYgtQ9vMcLDpDOdMxhVb9AAZFTHz\n"
	"-----END PRIVATE KEY-----\n";
static const char ed25519_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIHlG/q66XE1yLR/q1009o/AQ7VLWixgFWwvnba2EmUbl\n"
	"-----END PRIVATE KEY-----\n";

static el_key *trusted[2];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The keys are read the way envlock reads them: from a 0600 file. */
static el_key *load(const char *pem)
{
	char path[] = "/tmp/envlock-fuzz-key.XXXXXX";
	el_key *key = NULL;
	int fd = mkstemp(path);

	if (fd < 0 || write(fd, pem, strlen(pem)) != (ssize_t)strlen(pem) || close(fd) != 0 ||
	    el_key_load_private(&key, path) != EL_OK) {
		fprintf(stderr, "fuzz_dsse: cannot load a test key: %s\n", el_error_last());
		abort();
	}
	unlink(path);
	return key;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	trusted[0] = load(p256_pem);
	trusted[1] = load(ed25519_pem);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	el_verified *v = NULL, *again = NULL;
	char *env;
	size_t len;
	int ret;

	ret = el_dsse_verify(&v, (const char *)data, size, "fuzz.sig", trusted, 2);
	if (ret != EL_OK) {
		if ((ret != EL_EINVAL && ret != EL_EUNTRUSTED && ret != EL_ENOMEM) || v)
			abort();
		if (strncmp(el_error_last(), "fuzz.sig", 8) != 0 || strchr(el_error_last(), '\n'))
			abort();
		return 0;
	}
	if (v->payload[v->payload_len] != '\0' ||
	    (strcmp(v->keyid, el_key_id(trusted[0])) != 0 && strcmp(v->keyid, el_key_id(trusted[1])) != 0))
		abort();
	/* A type with a NUL cannot be signed again; the reader never returns one (jansson refuses \u0000). */
	if (el_dsse_sign(&env, &len, trusted[1], v->payload_type, v->payload, v->payload_len) != EL_OK)
		abort();
	if (el_dsse_verify(&again, env, len, "again", trusted, 2) != EL_OK || again->payload_len != v->payload_len ||
	    memcmp(again->payload, v->payload, v->payload_len) != 0 || strcmp(again->payload_type, v->payload_type) != 0 ||
	    strcmp(again->keyid, el_key_id(trusted[1])) != 0)
		abort();
	free(env);
	el_verified_free(again);
	el_verified_free(v);
	return 0;
}
