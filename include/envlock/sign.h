/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENVLOCK_SIGN_H
#define ENVLOCK_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "envlock/api.h"

/*
 * Keys and signatures for locks and run records.
 *
 * A key is an OpenSSL key pair, ECDSA P-256 (the default, which Sigstore's
 * tools verify) or Ed25519, kept as PEM files: the private key as PKCS#8
 * (mode 0600), the public key as SubjectPublicKeyInfo beside it with
 * ".pub" added to the name. A key's id is the SHA-256 of its public key's
 * DER encoding, in lowercase hex.
 *
 * A signature is a DSSE envelope (github.com/secure-systems-lab/dsse), a
 * JSON object written to FILE.sig:
 *
 *   {"payload": BASE64(FILE), "payloadType": TYPE,
 *    "signatures": [{"keyid": KEYID, "sig": BASE64(SIGNATURE)}]}
 *
 * signed over the pre-authentication encoding of the payload,
 *
 *   "DSSEv1" SP LEN(TYPE) SP TYPE SP LEN(FILE) SP FILE
 *
 * (LEN in ASCII decimal): ECDSA P-256 with SHA-256, the signature DER
 * encoded, as `openssl dgst -sha256 -sign` makes it; Ed25519 as
 * `openssl pkeyutl -sign -rawin` makes it. README.md shows the commands
 * that check an envelope without envlock.
 */

/* The payload types: a run record (an in-toto Statement) and a lock. */
#define EL_DSSE_TYPE_RECORD "application/vnd.in-toto+json"
#define EL_DSSE_TYPE_LOCK "application/vnd.envlock.lock+json"

/* 64 lowercase hex digits + NUL. */
#define EL_KEYID_SIZE 65

/* The largest envelope read: a record is at most 16 MiB, base64 makes it 4/3. */
#define EL_DSSE_MAX_SIZE (24u << 20)

typedef enum el_key_type {
	EL_KEY_ECDSA_P256,
	EL_KEY_ED25519,
} el_key_type;

/* A private key (it signs and verifies) or a public key (it verifies). */
typedef struct el_key el_key;

/*
 * Make a new key pair: the private key at private_path, created with
 * O_EXCL and O_NOFOLLOW, mode 0600 whatever the umask, and its public key
 * at private_path + ".pub" (0644, also O_EXCL). Neither file may exist;
 * on failure neither is left behind. EL_EINVAL when one exists (the
 * message names it: "PATH: already exists"; a link counts, dangling or
 * not), EL_ERROR for other failures.
 */
EL_API int el_key_generate(const char *private_path, el_key_type type);

/*
 * Read a PEM private key. EL_ENOTFOUND for a missing file; EL_EINVAL,
 * naming the file, for anything but an ECDSA P-256 or Ed25519 private key,
 * an encrypted key, or a private key file that others can read or write
 * (mode & 077; as ssh refuses it).
 */
EL_API int el_key_load_private(el_key **out, const char *path);

/*
 * Read a PEM public key (a private key file gives its public half).
 * EL_ENOTFOUND for a missing file, EL_EINVAL naming the file otherwise.
 */
EL_API int el_key_load_public(el_key **out, const char *path);

/* The key's id: SHA-256 of its public key's DER, 64 lowercase hex digits. */
EL_API const char *el_key_id(const el_key *key);

/* "ecdsa-p256" or "ed25519". */
EL_API const char *el_key_type_name(const el_key *key);

/* Whether the key can sign (it was read from a private key file). */
EL_API bool el_key_is_private(const el_key *key);

EL_API void el_key_free(el_key *key);

/*
 * Where the signing key is when none is named: $ENVLOCK_KEY when set and
 * not empty, else $XDG_CONFIG_HOME/envlock/signing-key.pem (else
 * ~/.config/envlock/signing-key.pem). For free(); NULL when out of memory
 * or when no home directory is known.
 */
EL_API char *el_key_default_path(void);

/*
 * The DSSE pre-authentication encoding of payload under type: for free(),
 * *len bytes (no NUL added).
 */
EL_API int el_dsse_pae(unsigned char **out, size_t *len, const char *type, const void *payload, size_t payload_len);

/*
 * Sign payload: *envelope becomes the DSSE envelope's text (keys sorted,
 * two-space indent, a newline at the end, NUL-terminated; *len excludes
 * the NUL), for free(). The key must be private.
 */
EL_API int el_dsse_sign(char **envelope, size_t *len, const el_key *key, const char *type, const void *payload,
			size_t payload_len);

/*
 * The payload type a file's text calls for: EL_DSSE_TYPE_RECORD for an
 * in-toto Statement (a JSON object with "_type"), EL_DSSE_TYPE_LOCK for a
 * lock (a JSON object with "envlock"); NULL for anything else.
 */
EL_API const char *el_dsse_type_of(const void *text, size_t len);

/*
 * Write FILE.sig for the file whose bytes are text: the envelope made by
 * el_dsse_sign(), written atomically into the directory dirfd stands for
 * (a temporary file renamed over NAME.sig, so a planted link is replaced,
 * never followed). display names the file in messages.
 */
EL_API int el_sign_write_at(int dirfd, const char *name, const char *display, const el_key *key, const char *type,
			    const void *text, size_t len);

/*
 * The same for a path: reads path (a regular file, at most 16 MiB; its
 * type from el_dsse_type_of(), EL_EINVAL when it is neither a lock nor a
 * record) and writes path + ".sig".
 */
EL_API int el_sign_file(const char *path, const el_key *key);

/* What a verification found. */
typedef struct el_verified {
	char *payload_type;
	unsigned char *payload; /* the signed bytes, NUL-terminated (not counted in payload_len) */
	size_t payload_len;
	char keyid[EL_KEYID_SIZE]; /* the trusted key whose signature verified */
} el_verified;

/*
 * Verify an envelope's text against the trusted public keys. EL_OK when
 * at least one signature verifies with a trusted key (*out for
 * el_verified_free()); a signature that does not verify next to one that
 * does is fine, as DSSE says. EL_EINVAL, "DISPLAY: what is wrong", for a
 * text that is not a DSSE envelope (invalid JSON, duplicate keys, a
 * missing or mistyped member, bad base64, no signatures, larger than
 * EL_DSSE_MAX_SIZE). EL_EUNTRUSTED when no signature verifies with a
 * trusted key; the message names the key ids: "DISPLAY: signed by key
 * KEYID, which is not trusted" or "DISPLAY: the signature by key KEYID
 * does not verify" (a failed signature by a trusted key is named before
 * an untrusted one), or, when no signature names a key, "DISPLAY: no
 * trusted key verifies its signature". A signature's keyid, when not
 * empty, names the one trusted key tried for it; an empty or absent one
 * tries them all.
 */
EL_API int el_dsse_verify(el_verified **out, const char *envelope, size_t len, const char *display,
			  el_key *const *trusted, size_t trusted_count);

/*
 * Verify that path + ".sig" signs exactly the bytes given (the file as the
 * caller read it): as el_dsse_verify(), and EL_EUNTRUSTED "SIG: signs
 * other content than FILE" when the payload differs, EL_ENOTFOUND
 * "FILE: not signed (no FILE.sig)" when there is no signature file.
 * expected_type, when not NULL, must be the envelope's payload type
 * (EL_EUNTRUSTED "SIG: signs a payload of type TYPE, not EXPECTED"
 * otherwise: a valid signature, but not of this file). *keyid (may be
 * NULL) gets the key that verified.
 */
EL_API int el_verify_file(const char *path, const void *text, size_t len, const char *expected_type,
			  el_key *const *trusted, size_t trusted_count, char keyid[EL_KEYID_SIZE]);

EL_API void el_verified_free(el_verified *verified);

#endif
