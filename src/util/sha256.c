/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For el__sha256 (and el__sha256_hex): OpenSSL's SHA256_* calls,
 * deprecated in 3.0 in favour of EVP but kept, reach the same assembly
 * without a provider.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "util/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "util/error.h"
#include "util/parallel.h"
#include "util/text.h"

#define READ_CHUNK (1 << 20)

/*
 * SHA-256, fetched from OpenSSL's default provider once per process.
 *
 * EVP_sha256() would work too, but every EVP_DigestInit_ex on it repeats
 * the implicit fetch and consults the legacy ENGINE tables, the first one
 * loads openssl.cnf, and the first fetch copies every legacy cipher and
 * digest name into the provider name map: together about a third of a warm
 * capture's instructions. An explicitly fetched digest, with the legacy
 * name tables left empty (nothing here looks an algorithm up by its old
 * name), skips all of it. A capture needs nothing from the configuration
 * file: the algorithm is fixed, and this is an integrity digest, not a
 * security policy decision.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
	OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
			    OPENSSL_INIT_NO_ADD_ALL_DIGESTS, NULL);
	sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

static const EVP_MD *sha256(void)
{
	pthread_once(&sha256_once, fetch_sha256);
	return sha256_md;
}

void el__sha256_prepare(void)
{
	sha256();
}

/*
 * Blocks of memory (a lock's canonical form, a cache key) are small, and
 * the first digest fetched from a provider costs more than hashing them:
 * OpenSSL builds its method store for every digest it has, about a tenth
 * of a warm check's instructions, before exec may start its sandbox. The
 * SHA256_* calls skip the provider and run the same code.
 */
int el__sha256(unsigned char md[32], const void *data, size_t len)
{
#ifndef OPENSSL_NO_DEPRECATED_3_0
	SHA256_CTX c;

	if (!SHA256_Init(&c) || !SHA256_Update(&c, data, len) || !SHA256_Final(md, &c))
		return el__error(EL_ERROR, "SHA-256 failed");
#else
	unsigned int mdlen = 0;

	if (!sha256() || !EVP_Digest(data, len, md, &mdlen, sha256(), NULL) || mdlen != 32)
		return el__error(EL_ERROR, "SHA-256 failed");
#endif
	return EL_OK;
}

/* The context is OpenSSL's own, behind a name of ours. */
el__sha256_ctx *el__sha256_begin(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx) {
		el__error_oom();
		return NULL;
	}
	if (!sha256() || !EVP_DigestInit_ex(ctx, sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		el__error(EL_ERROR, "SHA-256 init failed");
		return NULL;
	}
	return (el__sha256_ctx *)ctx;
}

void el__sha256_add(el__sha256_ctx *ctx, const void *data, size_t len)
{
	EVP_DigestUpdate((EVP_MD_CTX *)ctx, data, len);
}

int el__sha256_end(el__sha256_ctx *ctx, char hex[EL_SHA256_HEX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int ok = EVP_DigestFinal_ex((EVP_MD_CTX *)ctx, md, &mdlen) && mdlen == 32;

	EVP_MD_CTX_free((EVP_MD_CTX *)ctx);
	if (!ok)
		return el__error(EL_ERROR, "SHA-256 failed");
	el__hex(hex, md, 32);
	return EL_OK;
}

void el__sha256_free(el__sha256_ctx *ctx)
{
	EVP_MD_CTX_free((EVP_MD_CTX *)ctx);
}

int el__sha256_hex(char hex[EL_SHA256_HEX], const void *data, size_t len)
{
	unsigned char md[32];
	int ret = el__sha256(md, data, len);

	if (ret == EL_OK)
		el__hex(hex, md, 32);
	return ret;
}

int el__sha256_fd(char hex[EL_SHA256_HEX], int fd, const char *path)
{
	return el__sha256_fd_counting(hex, fd, path, NULL, NULL);
}

int el__sha256_fd_counting(char hex[EL_SHA256_HEX], int fd, const char *path, void (*read_bytes)(void *, size_t),
			   void *data)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *chunk = malloc(READ_CHUNK);
	int ret = EL_OK;

	if (!ctx || !chunk) {
		ret = el__error_oom();
		goto done;
	}
	if (!sha256() || !EVP_DigestInit_ex(ctx, sha256(), NULL)) {
		ret = el__error(EL_ERROR, "%s: SHA-256 init failed", path);
		goto done;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = el__error_errno(EL_ERROR, "%s", path);
			goto done;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(ctx, chunk, (size_t)n);
		if (read_bytes)
			read_bytes(data, (size_t)n);
	}
	if (!EVP_DigestFinal_ex(ctx, md, &mdlen)) {
		ret = el__error(EL_ERROR, "%s: SHA-256 failed", path);
		goto done;
	}
	el__hex(hex, md, 32);
done:
	EVP_MD_CTX_free(ctx);
	free(chunk);
	return ret;
}

int el__sha256_file(char hex[EL_SHA256_HEX], struct stat *st, const char *path)
{
	struct stat after;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return el__error_errno(errno == ENOENT ? EL_ENOTFOUND : EL_ERROR, "%s", path);
	if (fstat(fd, st) != 0) {
		ret = el__error_errno(EL_ERROR, "%s", path);
		goto done;
	}
	if (!S_ISREG(st->st_mode)) {
		ret = el__error(EL_EINVAL, "%s: not a regular file", path);
		goto done;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	ret = el__sha256_fd(hex, fd, path);
	if (ret == EL_OK && fstat(fd, &after) == 0 &&
	    (after.st_size != st->st_size || after.st_mtim.tv_sec != st->st_mtim.tv_sec ||
	     after.st_mtim.tv_nsec != st->st_mtim.tv_nsec || after.st_ctim.tv_sec != st->st_ctim.tv_sec ||
	     after.st_ctim.tv_nsec != st->st_ctim.tv_nsec))
		ret = el__error(EL_ERROR, "%s: changed while it was being hashed", path);
done:
	close(fd);
	return ret;
}

static void hash_one(void *data, size_t i)
{
	el__hash_job *job = &((el__hash_job *)data)[i];

	job->rc = el__sha256_file(job->hex, &job->st, job->path);
	if (job->rc != EL_OK)
		snprintf(job->error, sizeof(job->error), "%s", el_error_last());
}

void el__sha256_files(el__hash_job *jobs, size_t n, unsigned threads)
{
	el__parallel_for(n, threads, hash_one, jobs);
}
