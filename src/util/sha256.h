/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_SHA256_H
#define EL_UTIL_SHA256_H

#include <stddef.h>
#include <sys/stat.h>

#define EL_SHA256_HEX 65 /* 64 hex digits + NUL */

/*
 * Fetch the digest from OpenSSL now (it happens once per process, on the
 * first use, and takes about 0.3 ms): a thread with nothing else to do yet
 * can take that off the path of the one that will hash.
 */
void el__sha256_prepare(void);

/* SHA-256 of a memory block, as 32 bytes. */
int el__sha256(unsigned char md[32], const void *data, size_t len);

/*
 * SHA-256 of data given in pieces: begin (NULL, error set, when OpenSSL
 * fails), add any number of times, then end, which writes the hex and
 * frees the context whatever it returns.
 */
typedef struct el__sha256_ctx el__sha256_ctx;
el__sha256_ctx *el__sha256_begin(void);
void el__sha256_add(el__sha256_ctx *ctx, const void *data, size_t len);
int el__sha256_end(el__sha256_ctx *ctx, char hex[EL_SHA256_HEX]);
/* A context given up before its end (a failure on the way); accepts NULL. */
void el__sha256_free(el__sha256_ctx *ctx);

/* SHA-256 of a memory block, as lowercase hex. */
int el__sha256_hex(char hex[EL_SHA256_HEX], const void *data, size_t len);

/*
 * SHA-256 of what is left to read from fd, read in 1 MiB chunks; path
 * names it in error messages.
 */
int el__sha256_fd(char hex[EL_SHA256_HEX], int fd, const char *path);
/* The same, calling read_bytes(data, n) after each chunk of n bytes it read (progress). */
int el__sha256_fd_counting(char hex[EL_SHA256_HEX], int fd, const char *path, void (*read_bytes)(void *, size_t),
			   void *data);

/*
 * SHA-256 of a regular file's content (OpenSSL EVP). The file is opened
 * without following a final symlink. *st receives its fstat taken before
 * hashing; EL_ERROR is returned if the file changed while it was read
 * (size, mtime or ctime moved), so no torn digest is ever cached.
 */
int el__sha256_file(char hex[EL_SHA256_HEX], struct stat *st, const char *path);

/* One file to hash with el__sha256_files(). */
typedef struct el__hash_job {
	const char *path;         /* in */
	char hex[EL_SHA256_HEX];  /* out */
	struct stat st;           /* out */
	int rc;                   /* out: EL_OK or an error code */
	char error[256];          /* out: the message when rc != EL_OK */
} el__hash_job;

/*
 * Hash n files on up to threads threads (0: one per online CPU). Each job's
 * own rc says whether it succeeded. The call itself cannot fail: where no
 * thread can be started, the caller's thread hashes them all.
 */
void el__sha256_files(el__hash_job *jobs, size_t n, unsigned threads);

#endif
