/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_STATE_RECORD_H
#define EL_STATE_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "state/watch.h"
#include "util/buf.h"

/*
 * The state record: what a capture checked against a lock read of this
 * machine (a watch's dependencies), under a key that names everything
 * else the result depends on (envlock's own binary, the lock's
 * fingerprint, the options, the user). While every dependency holds, the
 * capture would find again what it found then.
 *
 * One file per key in the cache directory, state-v1-<hash of the key>:
 * binary, this machine's byte order, a checksum at the end. Written
 * atomically (el__atomic_write_at); read only when it belongs to this user
 * and no one else may write it. A damaged or foreign file is no record.
 */
typedef struct el__record el__record;

/* The file name for key: "state-v1-" and 16 hex digits, into name (at least 32 bytes). */
void el__record_name(char *name, size_t size, const el__buf *key);

/*
 * The record in dirfd/name when it was written for key, else NULL (none,
 * damaged, another key's): EL_OK either way; EL_ENOMEM.
 */
int el__record_load(el__record **out, int dirfd, const char *name, const el__buf *key);
void el__record_free(el__record *r);

/* Whether every dependency still holds (el__dep_holds, env the capture's environment), in order. */
bool el__record_holds(const el__record *r, const char *const *env);

/* The warnings the recorded capture gave, "section\tmessage" each, in order. */
size_t el__record_warning_count(const el__record *r);
const char *el__record_warning(const el__record *r, size_t i);

/* Write w's dependencies and warnings under key to dirfd/name. EL_OK, or an error with a message. */
int el__record_save(int dirfd, const char *name, const el__buf *key, const el__watch *w);

/*
 * Keep at most keep records in dirfd, removing the least recently written
 * first: one is written per lock, working directory and envlock binary,
 * and the old ones are never asked for again.
 */
void el__record_prune(int dirfd, size_t keep);

/* The encoded bytes, for tests: into out. */
int el__record_encode(el__buf *out, const el__buf *key, const el__watch *w);

/* Decode data (not copied: it must outlive the record) for key; NULL as el__record_load. */
int el__record_decode(el__record **out, char *data, size_t len, const el__buf *key);

#endif
