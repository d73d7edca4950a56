/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The two key types envlock signs with, in and out of their DER forms
 * without OpenSSL 3's encoder and decoder framework: its first use builds
 * a table of every encoder or decoder the providers offer, which costs
 * milliseconds, and exec signs a record on every run (DESIGN.md: signing
 * adds under 2 ms). The ASN.1 is still OpenSSL's (d2i_PKCS8_PRIV_KEY_INFO,
 * d2i_ASN1_SEQUENCE_ANY); what is done here is picking the fields of the
 * two structures out of what it parsed, and writing the public key's
 * SubjectPublicKeyInfo, a fixed prefix before the key's bytes. Anything
 * else is left to the framework (EL_ENOTSUP). test_sign.c checks both
 * against OpenSSL's own i2d/d2i.
 */
#include "sign/sign_internal.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "util/error.h"

/* SubjectPublicKeyInfo up to the key's bytes (RFC 5480 for P-256 uncompressed, RFC 8410 for Ed25519). */
static const unsigned char p256_prefix[] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
	0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};
static const unsigned char ed25519_prefix[] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
};

#define P256_POINT_SIZE 65 /* 0x04 || X || Y */
#define P256_SCALAR_SIZE 32
#define ED25519_KEY_SIZE 32

int el__spki_der(unsigned char out[EL__SPKI_MAX], size_t *len, const EVP_PKEY *pkey, el_key_type type)
{
	const unsigned char *prefix = type == EL_KEY_ED25519 ? ed25519_prefix : p256_prefix;
	size_t n = type == EL_KEY_ED25519 ? sizeof(ed25519_prefix) : sizeof(p256_prefix);
	size_t want = type == EL_KEY_ED25519 ? ED25519_KEY_SIZE : P256_POINT_SIZE, got = 0;

	memcpy(out, prefix, n);
	got = EL__SPKI_MAX - n;
	/* Ed25519's key manager has no encoded form: its raw key is the encoding. */
	if (!(type == EL_KEY_ED25519 ? EVP_PKEY_get_raw_public_key(pkey, out + n, &got)
				     : EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out + n,
								       EL__SPKI_MAX - n, &got)) ||
	    got != want || (type == EL_KEY_ECDSA_P256 && out[n] != 0x04)) {
		ERR_clear_error();
		return EL_ENOTSUP;
	}
	*len = n + got;
	return EL_OK;
}

/* An Ed25519 key: its CurvePrivateKey is an OCTET STRING of 32 bytes (RFC 8410). */
static EVP_PKEY *ed25519_key(const unsigned char *p, int len)
{
	ASN1_OCTET_STRING *raw = d2i_ASN1_OCTET_STRING(NULL, &p, len);
	EVP_PKEY *pkey = NULL;

	if (raw && ASN1_STRING_length(raw) == ED25519_KEY_SIZE)
		pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "ED25519", NULL, ASN1_STRING_get0_data(raw),
						       ED25519_KEY_SIZE);
	ASN1_OCTET_STRING_free(raw);
	return pkey;
}

/* The private scalar of an ECPrivateKey (RFC 5915: version 1, privateKey, optional fields after). */
static BIGNUM *ec_scalar(const unsigned char *p, int len)
{
	STACK_OF(ASN1_TYPE) *seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, len);
	const ASN1_TYPE *version, *priv;
	BIGNUM *scalar = NULL;

	if (seq && sk_ASN1_TYPE_num(seq) >= 2) {
		version = sk_ASN1_TYPE_value(seq, 0);
		priv = sk_ASN1_TYPE_value(seq, 1);
		if (version->type == V_ASN1_INTEGER && ASN1_INTEGER_get(version->value.integer) == 1 &&
		    priv->type == V_ASN1_OCTET_STRING && ASN1_STRING_length(priv->value.octet_string) == P256_SCALAR_SIZE)
			scalar = BN_bin2bn(ASN1_STRING_get0_data(priv->value.octet_string), P256_SCALAR_SIZE, NULL);
	}
	sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
	return scalar;
}

/*
 * A P-256 key from its scalar: the public point is computed from it (the
 * file's copy, optional in RFC 5915, is not trusted to match), and both
 * are handed to the EC key manager.
 */
static EVP_PKEY *p256_key(const unsigned char *p, int len)
{
	EC_GROUP *group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
	BIGNUM *scalar = ec_scalar(p, len);
	EC_POINT *point = group ? EC_POINT_new(group) : NULL;
	unsigned char pub[P256_POINT_SIZE];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (!group || !scalar || !point || !bld || BN_is_zero(scalar) ||
	    BN_cmp(scalar, EC_GROUP_get0_order(group)) >= 0 ||
	    !EC_POINT_mul(group, point, scalar, NULL, NULL, NULL) ||
	    EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof(pub), NULL) != sizeof(pub))
		goto done;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, scalar) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)) ||
	    !(params = OSSL_PARAM_BLD_to_param(bld)))
		goto done;
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
		pkey = NULL;
done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EC_POINT_free(point);
	BN_clear_free(scalar);
	EC_GROUP_free(group);
	return pkey;
}

int el__pkcs8_read(EVP_PKEY **out, const unsigned char *der, long len)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, len);
	const ASN1_OBJECT *algorithm = NULL, *curve;
	const X509_ALGOR *alg = NULL;
	const unsigned char *key = NULL;
	const void *param = NULL;
	int keylen = 0, ptype = V_ASN1_UNDEF, nid;

	*out = NULL;
	if (!p8 || p != der + len || !PKCS8_pkey_get0(&algorithm, &key, &keylen, &alg, p8)) {
		PKCS8_PRIV_KEY_INFO_free(p8);
		ERR_clear_error();
		return EL_ENOTSUP;
	}
	nid = OBJ_obj2nid(algorithm);
	X509_ALGOR_get0(NULL, &ptype, &param, alg);
	if (nid == NID_ED25519 && ptype == V_ASN1_UNDEF) {
		*out = ed25519_key(key, keylen);
	} else if (nid == NID_X9_62_id_ecPublicKey && ptype == V_ASN1_OBJECT) {
		curve = param;
		if (OBJ_obj2nid(curve) == NID_X9_62_prime256v1)
			*out = p256_key(key, keylen);
	}
	PKCS8_PRIV_KEY_INFO_free(p8);
	ERR_clear_error();
	return *out ? EL_OK : EL_ENOTSUP;
}

int el__spki_read(EVP_PKEY **out, const unsigned char *der, long len)
{
	OSSL_PARAM params[3];
	unsigned char point[P256_POINT_SIZE];
	char group[] = SN_X9_62_prime256v1;
	EVP_PKEY_CTX *ctx;

	*out = NULL;
	if (len == (long)(sizeof(ed25519_prefix) + ED25519_KEY_SIZE) &&
	    memcmp(der, ed25519_prefix, sizeof(ed25519_prefix)) == 0) {
		*out = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, der + sizeof(ed25519_prefix), ED25519_KEY_SIZE);
	} else if (len == (long)(sizeof(p256_prefix) + P256_POINT_SIZE) &&
		   memcmp(der, p256_prefix, sizeof(p256_prefix)) == 0) {
		/* The key manager checks that the point is on the curve. */
		memcpy(point, der + sizeof(p256_prefix), sizeof(point));
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
		params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
		params[2] = OSSL_PARAM_construct_end();
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) <= 0)
			*out = NULL;
		EVP_PKEY_CTX_free(ctx);
	}
	ERR_clear_error();
	return *out ? EL_OK : EL_ENOTSUP;
}
