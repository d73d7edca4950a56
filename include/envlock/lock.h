#ifndef ENVLOCK_LOCK_H
#define ENVLOCK_LOCK_H

#include <stddef.h>

#include <jansson.h>

/*
 * A lock: the document that describes one machine's environment.
 *
 * An el_lock is owned by whoever created it (el_capture) and released with
 * el_lock_free(), which accepts NULL.
 */
typedef struct el_lock el_lock;

/*
 * The schema this library writes. It reads every earlier one: schema 1's
 * fingerprinted "code" section is kept as written and never compared
 * (schema 2 has it in meta.code); what a later schema added (schema 3:
 * cpu.topology) is left out of a comparison with an older lock, and
 * el_lock_note() says so.
 */
#define EL_LOCK_SCHEMA 3

/* "sha256:" + 64 hex digits + NUL. */
#define EL_FINGERPRINT_SIZE 72

/*
 * The fingerprint: SHA-256 of the RFC 8785 canonical
 * form of the lock without its "fingerprint" and "meta" members.
 * Writes "sha256:<hex>" into out.
 */
int el_lock_fingerprint(char out[EL_FINGERPRINT_SIZE], const el_lock *lock);

/* The fingerprint stored in the lock, or NULL when it has none. Borrowed. */
const char *el_lock_stored_fingerprint(const el_lock *lock);

/*
 * The lock's JSON document, to read (sections by name, meta.profile).
 * Borrowed; valid as long as the lock.
 */
const json_t *el_lock_json(const el_lock *lock);

/*
 * The lock as its file holds it: UTF-8 JSON, keys sorted, two-space indent,
 * a newline at the end. *out is NUL-terminated and freed by the caller with
 * free(); *len excludes the NUL.
 */
int el_lock_serialize(char **out, size_t *len, const el_lock *lock);

/*
 * The RFC 8785 canonical form of the whole lock minus "fingerprint" and
 * "meta": the bytes the fingerprint hashes. Same ownership as above.
 */
int el_lock_canonical(char **out, size_t *len, const el_lock *lock);

/*
 * Write the serialized lock to path atomically: a new temporary file in the
 * same directory, fsync, rename over path, fsync of the directory. A symlink
 * planted at path is replaced, never followed. On failure nothing is left
 * behind and path is untouched.
 */
int el_lock_write_file(const el_lock *lock, const char *path);

/*
 * Read a lock back. The text must be JSON (duplicate keys refused), carry a
 * schema number this library reads, have every member of the shape its
 * schema gives it, and match its own fingerprint. Any failure is EL_EINVAL with a
 * one-line message that starts with origin (and line:column for bad
 * JSON) and says what is wrong, for example:
 *   env.lock:12:5: invalid JSON: ...
 *   env.lock: written for lock schema 3, newer than this envlock reads (2): upgrade envlock
 *   env.lock: libraries["libc.so.6"].sha256: expected 64 lowercase hex digits
 *   env.lock: the fingerprint does not match the content (...); re-lock with: envlock capture ...
 * On success *out is a new lock for the caller to el_lock_free().
 */
int el_lock_parse(el_lock **out, const char *text, size_t len, const char *origin);

/* The same for a file (at most 64 MiB); a missing file is EL_ENOTFOUND. */
int el_lock_read_file(el_lock **out, const char *path);

/*
 * The bytes a lock was read from (el_lock_parse, el_lock_read_file), *len
 * of them, NUL-terminated; NULL for a lock made by a capture. A signature
 * is checked over exactly these, so nothing changes between the check
 * and the use.
 */
const char *el_lock_text(const el_lock *lock, size_t *len);

struct el_profile;

/*
 * The capture command that locks this machine as lock was made: "envlock
 * capture [--profile P] [--python EXE] [--data PATH]... -o FILE", words
 * quoted for a POSIX shell, after "cd DIR && " when lock_file has a
 * directory (the lock's data paths are relative to where it lies). The
 * profile's own data directives are left out (capture reads them again);
 * python NULL means the lock's interpreter. *out is for free().
 */
int el_lock_capture_command(char **out, const el_lock *lock, const struct el_profile *profile,
			    const char *python, const char *lock_file);

/* The schema number the lock was written with. */
int el_lock_schema(const el_lock *lock);

/*
 * One line about how the lock was read, for the caller to show as a note
 * ("env.lock: a schema-1 lock: its code section is not compared ..."), or
 * NULL. Borrowed; valid as long as the lock.
 */
const char *el_lock_note(const el_lock *lock);

void el_lock_free(el_lock *lock);

#endif
