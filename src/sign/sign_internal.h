/* SPDX-License-Identifier: Apache-2.0 */
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

/* Room for the SubjectPublicKeyInfo DER of either key type. */
#define EL__SPKI_MAX 128

/*
 * The SubjectPublicKeyInfo DER of pkey, a key of type (pkcs8.c): what the
 * key id hashes. EL_ENOTSUP when pkey does not give its public key in the
 * form expected (the caller asks OpenSSL's encoder instead).
 */
int el__spki_der(unsigned char out[EL__SPKI_MAX], size_t *len, const EVP_PKEY *pkey, el_key_type type);

/*
 * A PKCS#8 PrivateKeyInfo (DER, exactly len bytes) holding an Ed25519 or
 * P-256 key, as *out. EL_ENOTSUP for anything else: the caller hands the
 * PEM to OpenSSL's generic reader, which also says what is wrong.
 */
int el__pkcs8_read(EVP_PKEY **out, const unsigned char *der, long len);

/* The same for a SubjectPublicKeyInfo of either type. */
int el__spki_read(EVP_PKEY **out, const unsigned char *der, long len);

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
 * makes) is EL_EINVAL, its message "not base64" for the caller to put in
 * context. *out (for free(), NUL-terminated) gets *n bytes; EL_ENOMEM
 * when out of memory.
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
