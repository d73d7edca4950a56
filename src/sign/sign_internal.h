#ifndef EL_SIGN_INTERNAL_H
#define EL_SIGN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "envlock/sign.h"

struct el_key {
	EVP_PKEY *pkey;
	el_key_type type;
	bool is_private;
	char id[EL_KEYID_SIZE];
};

/* The largest file signed: a run record's limit (a lock is smaller in practice). */
#define EL__SIGN_MAX_BYTES (16u << 20)

/*
 * Base64 of n bytes, standard alphabet with padding, NUL-terminated; for
 * free(), NULL when out of memory.
 */
char *el__base64_encode(const void *data, size_t n);

/*
 * Decode text (len bytes, no NUL needed) as DSSE allows it: the standard
 * or the URL-safe alphabet (not both), with or without padding. Anything
 * else (whitespace, stray '=', bits set past the end, a length no encoding
 * makes) is refused with -1. *out (for free(), NUL-terminated) gets *n bytes;
 * -2 when out of memory.
 */
int el__base64_decode(unsigned char **out, size_t *n, const char *text, size_t len);

/*
 * Whether sig is key's signature over msg (ECDSA P-256 with SHA-256, the
 * signature DER encoded; Ed25519 over msg itself). OpenSSL's error queue
 * is left empty.
 */
bool el__key_verify(const el_key *key, const void *msg, size_t len, const unsigned char *sig, size_t siglen);

/* Sign msg with a private key: *sig for free(). */
int el__key_sign(unsigned char **sig, size_t *siglen, const el_key *key, const void *msg, size_t len);

#endif
