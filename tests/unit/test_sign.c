/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/sign: keys and DSSE envelopes. The PAE is DSSE's to the byte, an
 * envelope verifies with the key that made it and with no other, every
 * change to what was signed is caught, malformed envelopes are refused
 * with their fault named, and private keys are made and read the way a
 * secret must be (0600, never through a link, never over a file).
 */
#include "helpers.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "envlock/error.h"
#include "envlock/sign.h"
#include "sign/sign_internal.h"

#define PAYLOAD "{\"envlock\": 2, \"fingerprint\": \"sha256:00\"}\n"
#define OTHER_KEYID "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"

/* A key pair in dir, name the private key's file name; the loaded private key. */
static el_key *make_key(const char *dir, const char *name, el_key_type type)
{
	char *path = el_test_path(dir, name);
	el_key *key = NULL;

	assert_int_equal(el_key_generate(path, type), EL_OK);
	assert_int_equal(el_key_load_private(&key, path), EL_OK);
	free(path);
	return key;
}

static el_key *load_public(const char *dir, const char *name)
{
	char *path = el_test_path(dir, name);
	el_key *key = NULL;

	assert_int_equal(el_key_load_public(&key, path), EL_OK);
	free(path);
	return key;
}

static char *sign(const el_key *key, const char *payload)
{
	char *env = NULL;
	size_t len = 0;

	assert_int_equal(el_dsse_sign(&env, &len, key, EL_DSSE_TYPE_LOCK, payload, strlen(payload)), EL_OK);
	assert_int_equal(strlen(env), len);
	return env;
}

/* Verify text against one trusted key; the code, with the message left for el_test_assert_error. */
static int verify(const char *text, const el_key *key)
{
	el_key *trusted[1] = { (el_key *)(uintptr_t)key };
	el_verified *v = NULL;
	int ret = el_dsse_verify(&v, text, strlen(text), "env", trusted, key ? 1 : 0);

	assert_true((ret == EL_OK) == (v != NULL));
	el_verified_free(v);
	return ret;
}

/* The envelope as JSON, to change it, and back to text (for free()). */
static json_t *parse(const char *env)
{
	json_t *doc = json_loads(env, 0, NULL);

	assert_non_null(doc);
	return doc;
}

static char *dump(json_t *doc)
{
	char *text = json_dumps(doc, JSON_SORT_KEYS);

	assert_non_null(text);
	json_decref(doc);
	return text;
}

static json_t *first_sig(json_t *doc)
{
	return json_array_get(json_object_get(doc, "signatures"), 0);
}

static void test_pae(void **state)
{
	static const char expected[] = "DSSEv1 29 http://example.com/HelloWorld 11 hello world";
	unsigned char *pae;
	size_t len;

	assert_int_equal(el_dsse_pae(&pae, &len, "http://example.com/HelloWorld", "hello world", 11), EL_OK);
	assert_int_equal(len, sizeof(expected) - 1);
	assert_memory_equal(pae, expected, len);
	free(pae);
	assert_int_equal(el_dsse_pae(&pae, &len, "", "", 0), EL_OK);
	assert_int_equal(len, 12);
	assert_memory_equal(pae, "DSSEv1 0  0 ", 12);
	free(pae);
}

static void round_trip(const char *dir, el_key_type type, const char *type_name)
{
	el_key *key = make_key(dir, "key.pem", type), *pub = load_public(dir, "key.pem.pub");
	el_key *half = load_public(dir, "key.pem");
	el_key *trusted[1] = { pub };
	el_verified *v = NULL;
	char *env = sign(key, PAYLOAD), *b64 = el__base64_encode(PAYLOAD, strlen(PAYLOAD));
	json_t *doc = parse(env);
	size_t len;

	assert_string_equal(el_key_type_name(key), type_name);
	assert_string_equal(el_key_type_name(pub), type_name);
	assert_true(el_key_is_private(key));
	assert_false(el_key_is_private(pub));
	assert_false(el_key_is_private(half));
	assert_string_equal(el_key_id(key), el_key_id(pub));
	assert_string_equal(el_key_id(half), el_key_id(pub));
	assert_int_equal(strlen(el_key_id(key)), 64);
	/* Sorted keys, two-space indent, one newline at the end. */
	assert_true(strncmp(env, el_test_fmt("{\n  \"payload\": \"%s\",\n  \"payloadType\": \"%s\",\n"
					     "  \"signatures\": [\n    {\n      \"keyid\": \"%s\",\n      \"sig\": \"",
					     b64, EL_DSSE_TYPE_LOCK, el_key_id(key)),
			     strlen(el_test_fmt("{\n  \"payload\": \"%s\",\n  \"payloadType\": \"%s\",\n"
						"  \"signatures\": [\n    {\n      \"keyid\": \"%s\",\n      \"sig\": \"",
						b64, EL_DSSE_TYPE_LOCK, el_key_id(key)))) == 0);
	assert_string_equal(env + strlen(env) - 12, "\"\n    }\n  ]\n}\n" + 2);
	assert_int_equal(json_object_size(doc), 3);
	json_decref(doc);

	assert_int_equal(el_dsse_verify(&v, env, strlen(env), "env", trusted, 1), EL_OK);
	assert_string_equal(v->payload_type, EL_DSSE_TYPE_LOCK);
	assert_int_equal(v->payload_len, strlen(PAYLOAD));
	assert_string_equal((char *)v->payload, PAYLOAD);
	assert_string_equal(v->keyid, el_key_id(key));
	el_verified_free(v);
	/* The private key verifies too, and so does the public half read from the private file. */
	assert_int_equal(verify(env, key), EL_OK);
	assert_int_equal(verify(env, half), EL_OK);
	/* A public key cannot sign. */
	free(env);
	el_test_assert_error(el_dsse_sign(&env, &len, pub, EL_DSSE_TYPE_LOCK, "x", 1), EL_EINVAL,
			     el_test_fmt("key %s: a public key cannot sign", el_key_id(pub)));
	assert_null(env);
	free(b64);
	el_key_free(key);
	el_key_free(pub);
	el_key_free(half);
}

static void test_round_trip_p256(void **state)
{
	round_trip(*state, EL_KEY_ECDSA_P256, "ecdsa-p256");
}

static void test_round_trip_ed25519(void **state)
{
	round_trip(*state, EL_KEY_ED25519, "ed25519");
}

static void test_tampering(void **state)
{
	el_key *key = make_key(*state, "key.pem", EL_KEY_ECDSA_P256);
	char *env = sign(key, PAYLOAD), *text, *b64, *sig;
	json_t *doc;
	const char *msg = el_test_fmt("env: the signature by key %s does not verify", el_key_id(key));

	/* The payload changed, the signature not. */
	doc = parse(env);
	b64 = el__base64_encode("{\"envlock\": 3}\n", 15);
	json_object_set_new(doc, "payload", json_string(b64));
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EUNTRUSTED, msg);
	free(text);
	free(b64);
	/* The payload type changed: it is signed too. */
	doc = parse(env);
	json_object_set_new(doc, "payloadType", json_string(EL_DSSE_TYPE_RECORD));
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EUNTRUSTED, msg);
	free(text);
	/* One bit of the signature flipped. */
	doc = parse(env);
	sig = strdup(json_string_value(json_object_get(first_sig(doc), "sig")));
	sig[10] = sig[10] == 'A' ? 'B' : 'A';
	json_object_set_new(first_sig(doc), "sig", json_string(sig));
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EUNTRUSTED, msg);
	free(text);
	free(sig);
	free(env);
	el_key_free(key);
}

static void test_wrong_and_unknown_key(void **state)
{
	el_key *key = make_key(*state, "key.pem", EL_KEY_ED25519), *other = make_key(*state, "other.pem", EL_KEY_ED25519);
	char *env = sign(key, PAYLOAD), *text;
	json_t *doc;

	el_test_assert_error(verify(env, other), EL_EUNTRUSTED,
			     el_test_fmt("env: signed by key %s, which is not trusted", el_key_id(key)));
	el_test_assert_error(verify(env, NULL), EL_EUNTRUSTED,
			     el_test_fmt("env: signed by key %s, which is not trusted", el_key_id(key)));
	/* A key id that names no trusted key: no key is tried, not even the one that would verify. */
	doc = parse(env);
	json_object_set_new(first_sig(doc), "keyid", json_string(OTHER_KEYID));
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EUNTRUSTED, "env: signed by key " OTHER_KEYID ", which is not trusted");
	free(text);
	/* A key id that is not one, quoted harmlessly. */
	doc = parse(env);
	json_object_set_new(first_sig(doc), "keyid", json_string("\x1b[31mred"));
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EUNTRUSTED, "env: signed by key ?[31mred, which is not trusted");
	free(text);
	/* An empty or absent key id: every trusted key is tried. */
	doc = parse(env);
	json_object_set_new(first_sig(doc), "keyid", json_string(""));
	text = dump(doc);
	assert_int_equal(verify(text, key), EL_OK);
	el_test_assert_error(verify(text, other), EL_EUNTRUSTED, "env: no trusted key verifies its signature");
	free(text);
	doc = parse(env);
	json_object_del(first_sig(doc), "keyid");
	text = dump(doc);
	assert_int_equal(verify(text, key), EL_OK);
	free(text);
	free(env);
	el_key_free(key);
	el_key_free(other);
}

/* An envelope with the signatures of env_a and env_b (same payload). */
static char *two_signatures(const char *env_a, const char *env_b)
{
	json_t *a = parse(env_a), *b = parse(env_b);

	json_array_append(json_object_get(a, "signatures"), first_sig(b));
	json_decref(b);
	return dump(a);
}

static void test_two_signatures(void **state)
{
	el_key *key = make_key(*state, "key.pem", EL_KEY_ECDSA_P256), *other = make_key(*state, "o.pem", EL_KEY_ED25519);
	char *a = sign(key, PAYLOAD), *b = sign(other, PAYLOAD), *text, *sig;
	el_key *both[2] = { key, other };
	el_verified *v = NULL;
	json_t *doc;

	/* The first does not verify (its signature damaged), the second does: valid, as DSSE says. */
	doc = parse(a);
	sig = strdup(json_string_value(json_object_get(first_sig(doc), "sig")));
	sig[12] = sig[12] == 'A' ? 'B' : 'A';
	json_object_set_new(first_sig(doc), "sig", json_string(sig));
	free(a);
	a = dump(doc);
	text = two_signatures(a, b);
	assert_int_equal(el_dsse_verify(&v, text, strlen(text), "env", both, 2), EL_OK);
	assert_string_equal(v->keyid, el_key_id(other));
	el_verified_free(v);
	/* Trusting only the damaged one's key: the damage is reported, not the stranger. */
	el_test_assert_error(verify(text, key), EL_EUNTRUSTED,
			     el_test_fmt("env: the signature by key %s does not verify", el_key_id(key)));
	free(text);
	/* Both bad. */
	doc = parse(b);
	json_object_set_new(first_sig(doc), "sig", json_string(sig));
	free(b);
	b = dump(doc);
	text = two_signatures(a, b);
	el_test_assert_error(el_dsse_verify(&v, text, strlen(text), "env", both, 2), EL_EUNTRUSTED,
			     el_test_fmt("env: the signature by key %s does not verify", el_key_id(key)));
	assert_null(v);
	free(text);
	free(sig);
	free(a);
	free(b);
	el_key_free(key);
	el_key_free(other);
}

static void test_malformed(void **state)
{
	el_key *key = make_key(*state, "key.pem", EL_KEY_ED25519);
	char *env = sign(key, PAYLOAD), *text;
	el_key *trusted[1] = { key };
	el_verified *v = NULL;
	json_t *doc;

	/* Truncated. */
	assert_int_equal(el_dsse_verify(&v, env, strlen(env) / 2, "env", trusted, 1), EL_EINVAL);
	assert_true(strncmp(el_error_last(), "env:", 4) == 0);
	assert_non_null(strstr(el_error_last(), "invalid JSON"));
	assert_null(v);
	/* No signatures. */
	doc = parse(env);
	json_object_set_new(doc, "signatures", json_array());
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EINVAL, "env: signatures: none (an envelope needs at least one)");
	free(text);
	/* Duplicate keys. */
	el_test_assert_error(verify("{\"payload\": \"\", \"payload\": \"\", \"payloadType\": \"x\", \"signatures\": []}", key),
			     EL_EINVAL, "env:1:25: invalid JSON: duplicate object key near '\"payload\"'");
	/* Bad base64, in the payload and in a signature. */
	doc = parse(env);
	json_object_set_new(doc, "payload", json_string("e30K!"));
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EINVAL, "env: payload: not base64");
	free(text);
	doc = parse(env);
	json_object_set_new(first_sig(doc), "sig", json_string("AAAA AAAA"));
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EINVAL, "env: signatures[0].sig: not base64");
	free(text);
	/* Members: unknown, missing, mistyped. */
	doc = parse(env);
	json_object_set_new(doc, "extra", json_true());
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EINVAL, "env: unknown member \"extra\" (not a DSSE envelope)");
	free(text);
	doc = parse(env);
	json_object_del(doc, "payloadType");
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EINVAL, "env: payloadType: missing");
	free(text);
	doc = parse(env);
	json_object_set_new(doc, "payload", json_integer(1));
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EINVAL, "env: payload: not a string");
	free(text);
	doc = parse(env);
	json_object_set_new(doc, "signatures", json_object());
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EINVAL, "env: signatures: not an array");
	free(text);
	doc = parse(env);
	json_array_append_new(json_object_get(doc, "signatures"), json_string("x"));
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EINVAL, "env: signatures[1]: not an object");
	free(text);
	doc = parse(env);
	json_object_del(first_sig(doc), "sig");
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EINVAL, "env: signatures[0].sig: missing");
	free(text);
	doc = parse(env);
	json_object_set_new(first_sig(doc), "keyid", json_null());
	text = dump(doc);
	el_test_assert_error(verify(text, key), EL_EINVAL, "env: signatures[0].keyid: not a string");
	free(text);
	el_test_assert_error(verify("[]", key), EL_EINVAL, "env: not a DSSE envelope (not a JSON object)");
	el_test_assert_error(el_dsse_verify(&v, env, EL_DSSE_MAX_SIZE + 1u, "env", trusted, 1), EL_EINVAL,
			     el_test_fmt("env: larger than %u bytes", EL_DSSE_MAX_SIZE));
	free(env);
	el_key_free(key);
}

/* text decodes to expected (NULL: refused). */
static void assert_base64(const char *text, const char *expected)
{
	unsigned char *out = NULL;
	size_t n = 0;
	int rc = el__base64_decode(&out, &n, text, strlen(text));

	if (!expected) {
		el_test_assert_error(rc, EL_EINVAL, "not base64");
		assert_null(out);
		return;
	}
	assert_int_equal(rc, EL_OK);
	assert_int_equal(n, strlen(expected));
	assert_memory_equal(out, expected, n);
	assert_int_equal(out[n], '\0');
	free(out);
}

static void test_base64(void **state)
{
	static const unsigned char bytes[] = { 0xfb, 0xff, 0xfe };
	char *b64;

	assert_base64("", "");
	assert_base64("YQ==", "a");
	assert_base64("YQ", "a");
	assert_base64("YWI=", "ab");
	assert_base64("YWI", "ab");
	assert_base64("YWJj", "abc");
	assert_base64("-__-", "\xfb\xff\xfe");
	assert_base64("+//+", "\xfb\xff\xfe");
	assert_base64("Y", NULL);      /* no encoding ends in one character */
	assert_base64("YQ=", NULL);    /* padding that does not complete the group */
	assert_base64("YQ===", NULL);
	assert_base64("YR==", NULL);   /* bits set past the last byte */
	assert_base64("YWJ=", NULL);
	assert_base64("=YQ=", NULL);
	assert_base64("Y Q=", NULL);
	assert_base64("YQ==\n", NULL);
	assert_base64("+_8=", NULL);   /* two alphabets in one string */
	assert_base64("YQ==YQ==", NULL);
	b64 = el__base64_encode(bytes, 3);
	assert_string_equal(b64, "+//+");
	free(b64);
	b64 = el__base64_encode("ab", 2);
	assert_string_equal(b64, "YWI=");
	free(b64);
}

/* s in the URL-safe alphabet, padding dropped. */
static char *url_safe(const char *s)
{
	char *t = strdup(s);

	for (char *c = t; *c; c++)
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	if (strchr(t, '='))
		*strchr(t, '=') = '\0';
	return t;
}

static void test_url_safe_accepted(void **state)
{
	el_key *key = make_key(*state, "key.pem", EL_KEY_ECDSA_P256);
	/* Bytes that make '+' and '/' in standard base64. */
	char *env = sign(key, "{\"envlock\": \"\xfb\xff\xbf\xfe\"}"), *text, *payload, *sig;
	json_t *doc = parse(env);

	payload = url_safe(json_string_value(json_object_get(doc, "payload")));
	sig = url_safe(json_string_value(json_object_get(first_sig(doc), "sig")));
	assert_non_null(strpbrk(payload, "-_"));
	json_object_set_new(doc, "payload", json_string(payload));
	json_object_set_new(first_sig(doc), "sig", json_string(sig));
	text = dump(doc);
	assert_int_equal(verify(text, key), EL_OK);
	free(text);
	free(payload);
	free(sig);
	free(env);
	el_key_free(key);
}

static void test_key_id_is_sha256_of_der(void **state)
{
	char *pub_path = el_test_path(*state, "key.pem.pub");
	el_key *key = make_key(*state, "key.pem", EL_KEY_ECDSA_P256);
	unsigned char md[SHA256_DIGEST_LENGTH], *der = NULL;
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	FILE *f = fopen(pub_path, "r");
	EVP_PKEY *pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	int len = i2d_PUBKEY(pkey, &der);

	assert_true(len > 0);
	SHA256(der, (size_t)len, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	assert_string_equal(el_key_id(key), hex);
	OPENSSL_free(der);
	EVP_PKEY_free(pkey);
	fclose(f);
	free(pub_path);
	el_key_free(key);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void test_key_files(void **state)
{
	char *path = el_test_path(*state, "key.pem"), *pub = el_test_path(*state, "key.pem.pub");
	char *lone = el_test_path(*state, "lone.pem"), *lone_pub = el_test_path(*state, "lone.pem.pub");
	char *text, *again;
	mode_t old = umask(0);

	/* Whatever the umask: 0600 and 0644. */
	assert_int_equal(el_key_generate(path, EL_KEY_ECDSA_P256), EL_OK);
	umask(old);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(mode_of(pub), 0644);
	text = el_test_read(path, NULL, NULL);
	assert_true(strncmp(text, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	free(text);
	text = el_test_read(pub, NULL, NULL);
	assert_true(strncmp(text, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);
	free(text);
	/* Never over an existing key, nor beside an existing .pub. */
	text = el_test_read(path, NULL, NULL);
	el_test_assert_error(el_key_generate(path, EL_KEY_ED25519), EL_EINVAL, el_test_fmt("%s: already exists", path));
	again = el_test_read(path, NULL, NULL);
	assert_string_equal(again, text);
	free(again);
	free(text);
	el_test_write(*state, "lone.pem.pub", "mine\n");
	el_test_assert_error(el_key_generate(lone, EL_KEY_ED25519), EL_EINVAL, el_test_fmt("%s: already exists", lone_pub));
	assert_int_equal(access(lone, F_OK), -1);
	/* A directory that does not exist: nothing is left behind. */
	free(lone);
	lone = el_test_path(*state, "missing/key.pem");
	assert_int_equal(el_key_generate(lone, EL_KEY_ED25519), EL_ERROR);
	assert_int_equal(el_test_count_entries(*state), 3);
	free(path);
	free(pub);
	free(lone);
	free(lone_pub);
}

static void test_private_key_refusals(void **state)
{
	char *path = el_test_path(*state, "key.pem"), *link = el_test_path(*state, "link.pem");
	char *planted = el_test_path(*state, "planted.pem"), *target = el_test_path(*state, "target.pem");
	char *missing = el_test_path(*state, "missing.pem"), *p384 = el_test_path(*state, "p384.pem");
	el_key *key = NULL;
	EVP_PKEY *pkey;
	FILE *f;

	assert_int_equal(el_key_generate(path, EL_KEY_ED25519), EL_OK);
	assert_int_equal(chmod(path, 0640), 0);
	el_test_assert_error(el_key_load_private(&key, path), EL_EINVAL,
			     el_test_fmt("%s: a private key that others can read or write (mode 0640): chmod 600 it", path));
	assert_null(key);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(el_key_load_private(&key, path), EL_EINVAL);
	/* Its public half is no secret: readable whatever the mode. */
	assert_int_equal(el_key_load_public(&key, path), EL_OK);
	el_key_free(key);
	key = NULL;
	assert_int_equal(chmod(path, 0600), 0);
	/* Owned by someone else (root can make it so; others cannot). */
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, 65534), 0);
		el_test_assert_error(el_key_load_private(&key, path), EL_EINVAL,
				     el_test_fmt("%s: a private key owned by another user (uid 65534)", path));
		assert_int_equal(chown(path, 0, 0), 0);
	} else {
		el_test_skip_part("giving a file to another user needs root: the foreign private key check");
	}
	/* A link at the key's path is not followed, to read nor to write. */
	el_test_symlink(*state, "link.pem", path);
	el_test_assert_error(el_key_load_private(&key, link), EL_EINVAL,
			     el_test_fmt("%s: a symbolic link (a private key is read from a file, never through a link)",
					 link));
	el_test_symlink(*state, "planted.pem", target);
	el_test_assert_error(el_key_generate(planted, EL_KEY_ED25519), EL_EINVAL,
			     el_test_fmt("%s: already exists", planted));
	assert_int_equal(access(target, F_OK), -1);
	el_test_assert_error(el_key_load_private(&key, missing), EL_ENOTFOUND,
			     el_test_fmt("%s: No such file or directory", missing));
	assert_int_equal(el_key_load_public(&key, missing), EL_ENOTFOUND);
	/* Not a key; a key of another curve. */
	el_test_write(*state, "junk.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
	free(target);
	target = el_test_path(*state, "junk.pem");
	el_test_assert_error(el_key_load_public(&key, target), EL_EINVAL, el_test_fmt("%s: not a PEM public key", target));
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	f = fopen(p384, "w");
	assert_int_equal(PEM_write_PUBKEY(f, pkey), 1);
	fclose(f);
	el_test_assert_error(el_key_load_public(&key, p384), EL_EINVAL,
			     el_test_fmt("%s: an EC key not on the P-256 curve (envlock takes ecdsa-p256 and ed25519 keys)",
					 p384));
	EVP_PKEY_free(pkey);
	free(path);
	free(link);
	free(planted);
	free(target);
	free(missing);
	free(p384);
}

/*
 * pkcs8.c reads the two key types without OpenSSL's decoders: the same
 * key as OpenSSL's own reader gives, public half and all, for keys that
 * OpenSSL wrote; anything else is left to OpenSSL (EL_ENOTSUP).
 */
static void check_pkcs8(EVP_PKEY *generated, bool expect_fast)
{
	unsigned char *der = NULL, *spki = NULL, ours[EL__SPKI_MAX];
	int len = i2d_PrivateKey(generated, &der), spki_len;
	EVP_PKEY *fast = NULL, *pub = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(generated);
	unsigned char *p8der = NULL;
	int p8len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &p8der) : -1;
	size_t ours_len = 0;

	assert_true(len > 0);
	assert_true(p8len > 0);
	assert_int_equal(el__pkcs8_read(&fast, p8der, p8len), expect_fast ? EL_OK : EL_ENOTSUP);
	if (expect_fast) {
		assert_non_null(fast);
		assert_int_equal(EVP_PKEY_eq(fast, generated), 1);
		/* The public key OpenSSL would write, byte for byte, and read back by pkcs8.c too. */
		spki_len = i2d_PUBKEY(generated, &spki);
		assert_int_equal(el__spki_der(ours, &ours_len, fast,
					      EVP_PKEY_is_a(generated, "ED25519") ? EL_KEY_ED25519 : EL_KEY_ECDSA_P256),
				 EL_OK);
		assert_int_equal(ours_len, (size_t)spki_len);
		assert_memory_equal(ours, spki, ours_len);
		assert_int_equal(el__spki_read(&pub, spki, spki_len), EL_OK);
		assert_int_equal(EVP_PKEY_eq(pub, generated), 1);
		/* One byte short, or one more: not a key of ours. */
		EVP_PKEY_free(pub);
		pub = NULL;
		assert_int_equal(el__spki_read(&pub, spki, spki_len - 1), EL_ENOTSUP);
		assert_int_equal(el__pkcs8_read(&pub, p8der, p8len - 1), EL_ENOTSUP);
		OPENSSL_free(spki);
	}
	EVP_PKEY_free(fast);
	EVP_PKEY_free(pub);
	OPENSSL_free(der);
	OPENSSL_free(p8der);
	PKCS8_PRIV_KEY_INFO_free(p8);
}

static void test_pkcs8_fast_path(void **state)
{
	static const char *const others[][2] = { { "EC", "P-384" }, { "EC", "secp256k1" }, { "RSA", NULL } };

	for (int i = 0; i < 8; i++) {
		EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

		check_pkcs8(p256, true);
		check_pkcs8(ed, true);
		EVP_PKEY_free(p256);
		EVP_PKEY_free(ed);
	}
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		EVP_PKEY *other = others[i][1] ? EVP_PKEY_Q_keygen(NULL, NULL, others[i][0], others[i][1])
					       : EVP_PKEY_Q_keygen(NULL, NULL, others[i][0], (size_t)1024);

		assert_non_null(other);
		check_pkcs8(other, false);
		EVP_PKEY_free(other);
	}
}

static void test_files(void **state)
{
	const char *dir = *state;
	char *lock = el_test_path(dir, "env.lock"), *sig = el_test_path(dir, "env.lock.sig");
	char *other = el_test_path(dir, "notes.txt");
	el_key *key = make_key(dir, "key.pem", EL_KEY_ECDSA_P256);
	el_key *trusted[1] = { key };
	char keyid[EL_KEYID_SIZE] = "", *text;
	struct stat st;
	const char *record = "{\"_type\": \"https://in-toto.io/Statement/v1\"}\n";

	assert_string_equal(el_dsse_type_of(PAYLOAD, strlen(PAYLOAD)), EL_DSSE_TYPE_LOCK);
	assert_string_equal(el_dsse_type_of(record, strlen(record)), EL_DSSE_TYPE_RECORD);
	assert_null(el_dsse_type_of("[]", 2));
	assert_null(el_dsse_type_of("{\"a\": 1}", 8));

	el_test_write(dir, "env.lock", PAYLOAD);
	el_test_assert_error(el_verify_file(lock, PAYLOAD, strlen(PAYLOAD), NULL, trusted, 1, keyid), EL_ENOTFOUND,
			     el_test_fmt("%s: not signed (no %s)", lock, sig));
	assert_int_equal(el_sign_file(lock, key), EL_OK);
	assert_int_equal(mode_of(sig), 0644);
	assert_int_equal(el_verify_file(lock, PAYLOAD, strlen(PAYLOAD), EL_DSSE_TYPE_LOCK, trusted, 1, keyid), EL_OK);
	assert_string_equal(keyid, el_key_id(key));
	el_test_assert_error(el_verify_file(lock, "{}", 2, NULL, trusted, 1, NULL), EL_EUNTRUSTED,
			     el_test_fmt("%s: signs other content than %s", sig, lock));
	el_test_assert_error(el_verify_file(lock, PAYLOAD, strlen(PAYLOAD), EL_DSSE_TYPE_RECORD, trusted, 1, NULL),
			     EL_EUNTRUSTED,
			     el_test_fmt("%s: signs a payload of type %s, not %s", sig, EL_DSSE_TYPE_LOCK,
					 EL_DSSE_TYPE_RECORD));
	el_test_write(dir, "notes.txt", "hello\n");
	el_test_assert_error(el_sign_file(other, key), EL_EINVAL,
			     el_test_fmt("%s: neither a lock nor a run record", other));
	/* A link planted at NAME.sig is replaced, never written through. */
	assert_int_equal(unlink(sig), 0);
	el_test_symlink(dir, "env.lock.sig", other);
	assert_int_equal(el_sign_file(lock, key), EL_OK);
	assert_int_equal(lstat(sig, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	text = el_test_read(other, NULL, NULL);
	assert_string_equal(text, "hello\n");
	free(text);
	assert_int_equal(el_verify_file(lock, PAYLOAD, strlen(PAYLOAD), NULL, trusted, 1, NULL), EL_OK);
	free(lock);
	free(sig);
	free(other);
	el_key_free(key);
}

static void test_default_path(void **state)
{
	char *path;

	setenv("ENVLOCK_KEY", "/keys/mine.pem", 1);
	path = el_key_default_path();
	assert_string_equal(path, "/keys/mine.pem");
	free(path);
	setenv("ENVLOCK_KEY", "", 1);
	setenv("XDG_CONFIG_HOME", "/cfg", 1);
	path = el_key_default_path();
	assert_string_equal(path, "/cfg/envlock/signing-key.pem");
	free(path);
	setenv("XDG_CONFIG_HOME", "relative", 1);
	setenv("HOME", "/home/me", 1);
	path = el_key_default_path();
	assert_string_equal(path, "/home/me/.config/envlock/signing-key.pem");
	free(path);
	unsetenv("ENVLOCK_KEY");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
	path = el_key_default_path();
	assert_non_null(path);
	assert_non_null(strstr(path, "/.config/envlock/signing-key.pem"));
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pae),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_default_path),
		cmocka_unit_test(test_pkcs8_fast_path),
		cmocka_unit_test_setup_teardown(test_round_trip_p256, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_round_trip_ed25519, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_tampering, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_wrong_and_unknown_key, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_two_signatures, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_malformed, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_url_safe_accepted, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_key_id_is_sha256_of_der, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_key_files, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_private_key_refusals, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_files, el_test_setup_tmpdir, el_test_teardown_tmpdir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
