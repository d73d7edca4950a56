/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENVLOCK_LOCK_H
#define ENVLOCK_LOCK_H

#include <stdbool.h>
#include <stddef.h>

#include "envlock/api.h"

/*
 * A lock: the document that describes one machine's environment.
 *
 * An el_lock is owned by whoever created it (el_capture) and released with
 * el_lock_free(), which accepts NULL. It is opaque: the accessors below
 * say what it holds, so that only the library knows the schema.
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
EL_API int el_lock_fingerprint(char out[EL_FINGERPRINT_SIZE], const el_lock *lock);

/* The fingerprint stored in the lock, or NULL when it has none. Borrowed. */
EL_API const char *el_lock_stored_fingerprint(const el_lock *lock);

/* Whether the lock has the top-level section name ("gpu", "data"). */
EL_API bool el_lock_has_section(const el_lock *lock, const char *name);

/*
 * The profile the lock was captured with (meta.profile), in *name,
 * borrowed. meta is not fingerprinted: anyone can edit it, so a value that
 * is not a profile's name (el_profile_name_valid(), never a file) is
 * EL_EINVAL; a lock that names none is EL_ENOTFOUND. *name is NULL then.
 */
EL_API int el_lock_profile_name(const char **name, const el_lock *lock);

/*
 * The code the lock was captured at (meta.code; informational, not
 * fingerprinted): the git commit, borrowed, or NULL when it was not a git
 * checkout; and whether tracked files differed from it: 1, 0, or -1 when
 * not known.
 */
EL_API const char *el_lock_git_commit(const el_lock *lock);
EL_API int el_lock_git_dirty(const el_lock *lock);

/* The interpreter the lock describes (python.executable), borrowed; NULL when none. */
EL_API const char *el_lock_python_executable(const el_lock *lock);

/* A name and its value; both borrowed from the lock, valid as long as it. */
typedef struct el_lock_entry {
	const char *name;
	const char *value;
} el_lock_entry;

/*
 * The declared data (path, relative to the lock's directory or absolute ->
 * "sha256:<hex>"), or the pinned variables (name -> value), in the lock's
 * order. *out is an array of *count entries for free() (not the strings
 * in it); EL_ENOMEM is the only failure.
 */
EL_API int el_lock_data(el_lock_entry **out, size_t *count, const el_lock *lock);
EL_API int el_lock_env(el_lock_entry **out, size_t *count, const el_lock *lock);

/*
 * Whether the lock holds libraries a command was seen to load (capture
 * --observe -- CMD), which a capture without that command would drop.
 */
EL_API bool el_lock_has_observed(const el_lock *lock);

/*
 * The lock for people, as envlock show prints it after the file's name,
 * fingerprint and signature: where, when and at which commit it was
 * captured, its thread count, then each section, one member a line
 * (large members counted, not listed). Keys and values that are not plain
 * printable text are shown as JSON strings. *out is NUL-terminated, for
 * free(); *len (may be NULL) excludes the NUL.
 */
EL_API int el_lock_describe(char **out, size_t *len, const el_lock *lock);

/*
 * The lock as its file holds it: UTF-8 JSON, keys sorted, two-space indent,
 * a newline at the end. *out is NUL-terminated and freed by the caller with
 * free(); *len excludes the NUL.
 */
EL_API int el_lock_serialize(char **out, size_t *len, const el_lock *lock);

/*
 * The RFC 8785 canonical form of the whole lock minus "fingerprint" and
 * "meta": the bytes the fingerprint hashes. Same ownership as above.
 */
EL_API int el_lock_canonical(char **out, size_t *len, const el_lock *lock);

/*
 * Write the serialized lock to path atomically: a new temporary file in the
 * same directory, fsync, rename over path, fsync of the directory. A symlink
 * planted at path is replaced, never followed; one that leads to anything
 * but a regular file is refused. A FIFO or character device named directly
 * (/dev/null) is written in place instead, as a shell redirection would. On
 * failure nothing is left behind and path is untouched.
 */
EL_API int el_lock_write_file(const el_lock *lock, const char *path);

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
EL_API int el_lock_parse(el_lock **out, const char *text, size_t len, const char *origin);

/* The same for a file (at most 64 MiB); a missing file is EL_ENOTFOUND. */
EL_API int el_lock_read_file(el_lock **out, const char *path);

/*
 * The bytes a lock was read from (el_lock_parse, el_lock_read_file), *len
 * of them, NUL-terminated; NULL for a lock made by a capture. A signature
 * is checked over exactly these, so nothing changes between the check
 * and the use.
 */
EL_API const char *el_lock_text(const el_lock *lock, size_t *len);

struct el_profile;

/*
 * The capture command that locks this machine as lock was made: "envlock
 * capture [--profile P] [--python EXE] [--data PATH]... -o FILE", words
 * quoted for a POSIX shell, after "cd DIR && " when lock_file has a
 * directory (the lock's data paths are relative to where it lies). The
 * profile's own data directives are left out (capture reads them again);
 * python NULL means the lock's interpreter. *out is for free().
 */
EL_API int el_lock_capture_command(char **out, const el_lock *lock, const struct el_profile *profile,
				   const char *python, const char *lock_file);

/* The schema number the lock was written with. */
EL_API int el_lock_schema(const el_lock *lock);

/*
 * One line about how the lock was read, for the caller to show as a note
 * ("env.lock: a schema-1 lock: its code section is not compared ..."), or
 * NULL. Borrowed; valid as long as the lock.
 */
EL_API const char *el_lock_note(const el_lock *lock);

EL_API void el_lock_free(el_lock *lock);

#endif
