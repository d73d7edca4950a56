/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Key pairs as PEM files. The private key is the one secret envlock keeps,
 * so it is created the way ssh-keygen creates one (mode 0600 whatever the
 * umask, never through a link, never over a file that is there) and read
 * only when nobody else could have read or changed it.
 */
#include "sign/sign_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"

/* A PEM key is a few hundred bytes; anything near this is not one. */
#define KEY_FILE_MAX (64u << 10)

/* Never prompt: a key that needs a passphrase is refused instead. */
static int no_passphrase(char *buf, int size, int rwflag, void *data)
{
	return -1;
}

static int key_fail(const char *path, const char *what)
{
	ERR_clear_error();
	return el__error(EL_EINVAL, "%s: %s", path, what);
}

/* Only the two key types envlock signs with; P-256 by its curve, not by "EC". */
static int check_type(el_key_type *type, EVP_PKEY *pkey, const char *path)
{
	char group[64];
	size_t glen = 0;

	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		*type = EL_KEY_ED25519;
		return EL_OK;
	}
	if (!EVP_PKEY_is_a(pkey, "EC"))
		return el__error(EL_EINVAL, "%s: a %s key (envlock takes ecdsa-p256 and ed25519 keys)", path,
				 EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "unknown");
	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen) ||
	    strcmp(group, "prime256v1") != 0) {
		ERR_clear_error();
		return el__error(EL_EINVAL, "%s: an EC key not on the P-256 curve (envlock takes ecdsa-p256 and ed25519 keys)",
				 path);
	}
	*type = EL_KEY_ECDSA_P256;
	return EL_OK;
}

/* Wrap pkey (taken over, freed on failure) with its type and id. */
static int wrap(el_key **out, EVP_PKEY *pkey, bool is_private, const char *path)
{
	unsigned char *der = NULL, spki[EL__SPKI_MAX];
	size_t spki_len = 0;
	el_key *key;
	el_key_type type = EL_KEY_ECDSA_P256;
	int len, ret;

	ret = check_type(&type, pkey, path);
	if (ret != EL_OK) {
		EVP_PKEY_free(pkey);
		return ret;
	}
	key = calloc(1, sizeof(*key));
	if (key && el__spki_der(spki, &spki_len, pkey, type) == EL_OK) {
		ret = el__sha256_hex(key->id, spki, spki_len);
	} else {
		len = key ? i2d_PUBKEY(pkey, &der) : 0;
		if (!key || len <= 0) {
			ERR_clear_error();
			free(key);
			EVP_PKEY_free(pkey);
			return el__error_oom();
		}
		ret = el__sha256_hex(key->id, der, (size_t)len);
		OPENSSL_free(der);
	}
	if (ret != EL_OK) {
		free(key);
		EVP_PKEY_free(pkey);
		return ret;
	}
	key->pkey = pkey;
	key->type = type;
	key->is_private = is_private;
	*out = key;
	return EL_OK;
}

static bool is_encrypted(const char *text)
{
	return strstr(text, "-----BEGIN ENCRYPTED PRIVATE KEY-----") || strstr(text, "Proc-Type: 4,ENCRYPTED");
}

/*
 * The common case without OpenSSL's decoder framework (see pkcs8.c): one
 * PEM block of the given label, no headers, holding a key of a type
 * envlock takes. NULL for anything else, which the framework then reads
 * (and explains).
 */
static EVP_PKEY *pem_fast(const char *text, size_t len, const char *label,
			  int (*read)(EVP_PKEY **, const unsigned char *, long))
{
	BIO *bio = BIO_new_mem_buf(text, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long n = 0;
	EVP_PKEY *pkey = NULL;

	if (bio && PEM_read_bio(bio, &name, &header, &der, &n) && strcmp(name, label) == 0 && !*header &&
	    read(&pkey, der, n) != EL_OK)
		pkey = NULL;
	if (der)
		OPENSSL_cleanse(der, (size_t)n);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	ERR_clear_error();
	return pkey;
}

/* A private key out of PEM text; the public half only when is_private is false. */
static int parse_private(el_key **out, const char *text, size_t len, bool is_private, const char *path)
{
	EVP_PKEY *pkey, *pub;
	unsigned char *der = NULL;
	const unsigned char *p;
	BIO *bio;
	int n;

	if (is_encrypted(text))
		return el__error(EL_EINVAL, "%s: an encrypted private key (envlock reads unencrypted PKCS#8 keys)", path);
	pkey = is_private ? pem_fast(text, len, "PRIVATE KEY", el__pkcs8_read) : NULL;
	bio = pkey ? NULL : BIO_new_mem_buf(text, (int)len);
	if (!pkey && !bio)
		return el__error_oom();
	if (!pkey)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!pkey)
		return key_fail(path, "not a PEM private key");
	if (is_private)
		return wrap(out, pkey, true, path);
	/* Keep no secret in memory that verification does not need. */
	n = i2d_PUBKEY(pkey, &der);
	EVP_PKEY_free(pkey);
	if (n <= 0) {
		ERR_clear_error();
		return el__error_oom();
	}
	p = der;
	pub = d2i_PUBKEY(NULL, &p, n);
	OPENSSL_free(der);
	if (!pub)
		return key_fail(path, "not a PEM private key");
	return wrap(out, pub, false, path);
}

/*
 * The private key file's text: a regular file of its own (a link is not
 * followed: whoever can plant one chooses what we sign with), that only
 * its owner can read or write.
 */
static int read_private_file(el__buf *text, const char *path)
{
	struct stat st;
	int fd, ret = EL_OK;
	long n;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return el__error_errno(EL_ENOTFOUND, "%s", path);
		if (errno == ELOOP)
			return el__error(EL_EINVAL, "%s: a symbolic link (a private key is read from a file, never through a link)",
					 path);
		return el__error_errno(EL_ERROR, "%s", path);
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return el__error(EL_EINVAL, "%s: not a regular file", path);
	}
	/* As ssh: a key someone else owns could be theirs to change under us. */
	if (st.st_uid != geteuid()) {
		close(fd);
		return el__error(EL_EINVAL, "%s: a private key owned by another user (uid %u)", path, (unsigned)st.st_uid);
	}
	if (st.st_mode & 077) {
		close(fd);
		return el__error(EL_EINVAL, "%s: a private key that others can read or write (mode %04o): chmod 600 it", path,
				 (unsigned)(st.st_mode & 07777));
	}
	do {
		n = el__buf_read(text, fd, 4096);
	} while (n > 0 && text->len <= KEY_FILE_MAX);
	if (n < 0)
		ret = errno == ENOMEM ? el__error_oom() : el__error_errno(EL_ERROR, "%s", path);
	else if (text->len > KEY_FILE_MAX)
		ret = el__error(EL_EINVAL, "%s: not a PEM private key (larger than %u bytes)", path, KEY_FILE_MAX);
	close(fd);
	return ret;
}

int el_key_load_private(el_key **out, const char *path)
{
	el__buf text;
	int ret;

	*out = NULL;
	el__buf_init(&text);
	ret = read_private_file(&text, path);
	if (ret == EL_OK)
		ret = parse_private(out, text.data, text.len, true, path);
	OPENSSL_cleanse(text.data, text.len);
	el__buf_free(&text);
	return ret;
}

int el_key_load_public(el_key **out, const char *path)
{
	EVP_PKEY *pkey;
	el__buf text;
	BIO *bio;
	int ret;

	*out = NULL;
	el__buf_init(&text);
	ret = el__read_file(&text, path, KEY_FILE_MAX, false);
	if (ret == EL_OK && strstr(text.data, "PRIVATE KEY-----")) {
		ret = parse_private(out, text.data, text.len, false, path);
	} else if (ret == EL_OK) {
		pkey = pem_fast(text.data, text.len, "PUBLIC KEY", el__spki_read);
		bio = pkey ? NULL : BIO_new_mem_buf(text.data, (int)text.len);
		if (!pkey && bio)
			pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
		BIO_free(bio);
		if (!pkey && !bio)
			ret = el__error_oom();
		else if (!pkey)
			ret = key_fail(path, "not a PEM public key");
		else
			ret = wrap(out, pkey, false, path);
	}
	OPENSSL_cleanse(text.data, text.len);
	el__buf_free(&text);
	return ret;
}

const char *el_key_id(const el_key *key)
{
	return key->id;
}

const char *el_key_type_name(const el_key *key)
{
	return key->type == EL_KEY_ED25519 ? "ed25519" : "ecdsa-p256";
}

bool el_key_is_private(const el_key *key)
{
	return key->is_private;
}

void el_key_free(el_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

/* A new file with exactly mode (fchmod: the umask does not get a say), or EL_EINVAL when one is there. */
static int create_file(const char *path, mode_t mode, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);

	if (fd < 0)
		return errno == EEXIST ? el__error(EL_EINVAL, "%s: already exists", path)
				       : el__error_errno(EL_ERROR, "%s", path);
	if (fchmod(fd, mode) != 0 || el__write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		el__error_errno(EL_ERROR, "%s: write failed", path);
		close(fd);
		unlink(path);
		return EL_ERROR;
	}
	if (close(fd) != 0) {
		el__error_errno(EL_ERROR, "%s: write failed", path);
		unlink(path);
		return EL_ERROR;
	}
	return EL_OK;
}

/* The PEM text of the private (PKCS#8, unencrypted) or public (SubjectPublicKeyInfo) key. */
static BIO *pem_of(EVP_PKEY *pkey, bool is_private)
{
	BIO *bio = BIO_new(BIO_s_mem());

	if (bio && (is_private ? PEM_write_bio_PKCS8PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)
			       : PEM_write_bio_PUBKEY(bio, pkey)))
		return bio;
	BIO_free(bio);
	return NULL;
}

int el_key_generate(const char *private_path, el_key_type type)
{
	EVP_PKEY *pkey = NULL;
	BIO *priv = NULL, *pub = NULL;
	char *pub_path = NULL, *data;
	struct stat st;
	long len;
	int ret;

	if (asprintf(&pub_path, "%s.pub", private_path) < 0)
		return el__error_oom();
	/* Both names first, so that neither is made when the other would be refused. */
	if (lstat(private_path, &st) == 0 || lstat(pub_path, &st) == 0) {
		ret = el__error(EL_EINVAL, "%s: already exists", lstat(private_path, &st) == 0 ? private_path : pub_path);
		goto done;
	}
	pkey = type == EL_KEY_ED25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
				      : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!pkey || !(priv = pem_of(pkey, true)) || !(pub = pem_of(pkey, false))) {
		ERR_clear_error();
		ret = el__error(EL_ERROR, "%s: cannot make a key pair", private_path);
		goto done;
	}
	len = BIO_get_mem_data(priv, &data);
	ret = create_file(private_path, 0600, data, (size_t)len);
	if (ret != EL_OK)
		goto done;
	len = BIO_get_mem_data(pub, &data);
	ret = create_file(pub_path, 0644, data, (size_t)len);
	if (ret != EL_OK)
		unlink(private_path);
done:
	if (priv) {
		len = BIO_get_mem_data(priv, &data);
		OPENSSL_cleanse(data, (size_t)len);
	}
	BIO_free(priv);
	BIO_free(pub);
	EVP_PKEY_free(pkey);
	free(pub_path);
	return ret;
}

char *el_key_default_path(void)
{
	const char *key = getenv("ENVLOCK_KEY"), *config = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct passwd *pw;
	char *path = NULL;

	if (key && *key)
		return strdup(key);
	/* The XDG spec ignores a relative XDG_CONFIG_HOME. */
	if (config && config[0] == '/')
		return asprintf(&path, "%s/envlock/signing-key.pem", config) < 0 ? NULL : path;
	if (!home || !*home) {
		pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home || !*home)
		return NULL;
	return asprintf(&path, "%s/.config/envlock/signing-key.pem", home) < 0 ? NULL : path;
}

int el__key_sign(unsigned char **sig, size_t *siglen, const el_key *key, const void *msg, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *out = NULL;
	size_t n = 0;

	*sig = NULL;
	*siglen = 0;
	if (!key->is_private)
		return el__error(EL_EINVAL, "key %s: a public key cannot sign", key->id);
	/* ECDSA signs a SHA-256 digest; Ed25519 takes the message whole and no digest. */
	if (!ctx || EVP_DigestSignInit(ctx, NULL, key->type == EL_KEY_ED25519 ? NULL : EVP_sha256(), NULL, key->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &n, msg, len) != 1 || !(out = malloc(n)) ||
	    EVP_DigestSign(ctx, out, &n, msg, len) != 1) {
		ERR_clear_error();
		EVP_MD_CTX_free(ctx);
		free(out);
		return el__error(EL_ERROR, "key %s: signing failed", key->id);
	}
	EVP_MD_CTX_free(ctx);
	*sig = out;
	*siglen = n;
	return EL_OK;
}

bool el__key_verify(const el_key *key, const void *msg, size_t len, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx &&
		  EVP_DigestVerifyInit(ctx, NULL, key->type == EL_KEY_ED25519 ? NULL : EVP_sha256(), NULL, key->pkey) == 1 &&
		  EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;

	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	return ok;
}
