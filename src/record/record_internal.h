/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_RECORD_INTERNAL_H
#define EL_RECORD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "envlock/record.h"
#include "util/sha256.h"

/* The URIs a record is recognized by; see the format in record.c. */
#define EL__STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define EL__PROVENANCE_TYPE "https://slsa.dev/provenance/v1"
#define EL__RECORD_BUILD_TYPE "urn:envlock:exec:v1"
#define EL__RECORD_BUILDER_ID "urn:envlock:exec"

/* Records larger than this are refused unread. */
#define EL__RECORD_MAX_BYTES (16u << 20)

/* The subjects that stand in for outputs when no output has a digest. */
#define EL__RECORD_SUBJECT_LOCK "envlock:lock"
#define EL__RECORD_SUBJECT_ARGV "envlock:argv"

/* The media type of a byproduct's digested annotations. */
#define EL__RECORD_BYPRODUCT_MEDIA_TYPE "application/json"

/* "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" and a NUL. */
#define EL__RECORD_TIME_SIZE 31

/*
 * ts as RFC 3339 UTC with nanoseconds. EL_EINVAL (message "not a time
 * between the years 0 and 9999") when it has no such form.
 */
int el__record_time_format(char out[EL__RECORD_TIME_SIZE], const struct timespec *ts);

/* The reverse, for exactly the form above; false for anything else. */
bool el__record_time_parse(struct timespec *ts, const char *text);

/*
 * The digest of the envlock:argv subject: SHA-256 of the argc words, each
 * followed by one NUL byte, as lowercase hex. EL_EINVAL for a NULL word.
 */
int el__record_argv_digest(char hex[EL_SHA256_HEX], char *const *argv, size_t argc);

/*
 * The digest of a byproduct: SHA-256 of its annotations (an object) as
 * serialized with keys sorted and no whitespace (jansson's JSON_COMPACT |
 * JSON_SORT_KEYS, reals to 15 significant digits), as lowercase hex.
 */
int el__record_annotations_digest(char hex[EL_SHA256_HEX], const json_t *annotations);

/*
 * The annotations of the drift byproduct (drift true) or the run byproduct
 * as the writer makes them from r: a new object for json_decref(); NULL
 * when r cannot be written (the writer names why) or out of memory. The
 * reader rebuilds them from what it read to check a byproduct's digest,
 * so that numbers written differently but equal (12 and 12.0) agree.
 */
json_t *el__record_byproduct_annotations(const el_record *r, bool drift);

/* The parts of a record kept as the document has them; record.h keeps them opaque. */
struct el_record_drift {
	json_t *findings; /* an array of objects */
};
struct el_record_sandbox {
	json_t *settings; /* an object */
};

/* Wrap a value (reference stolen); NULL, the value released, for a NULL value or when out of memory. */
el_record_drift *el__record_drift_wrap(json_t *findings);
el_record_sandbox *el__record_sandbox_wrap(json_t *settings);

/*
 * The record as an in-toto Statement: a new JSON object for the caller to
 * json_decref(). When record->invocation_id is "", the document gets a
 * fresh random one (the record itself is left as it is, so two calls give
 * two ids). The document is checked as el_record_parse() checks a file
 * (el_record_serialize() says how it fails).
 */
int el__record_to_json(json_t **out, const el_record *record);

/* A refusal of a record, "DISPLAY: MEMBER: what" (member "": the whole document); returns EL_EINVAL. */
int el__record_refuse(const char *display, const char *member, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Text from a record, for a message: printable ASCII only (a record could
 * carry a newline or a terminal escape into the one line), 40 characters
 * at most, then "..."; returns out.
 */
const char *el__record_shown(char out[48], const char *s);

/*
 * Which entry of a Statement's resolvedDependencies is which, from the
 * document as it is (unchecked): the lock's entry first when
 * externalParameters has a lock, then the code's when its digest is a
 * gitCommit, then the data entries, then the objects the run loaded from
 * the first entry with annotations on.
 */
typedef struct el__statement_layout {
	bool lock_entry, code_entry;
	size_t data_from, observed_from;
} el__statement_layout;

void el__statement_layout_of(el__statement_layout *out, const json_t *doc);

/*
 * Check doc, whose _type and predicateType are a record's, against the
 * record's shape (statement_shape.c): every member, its type and the
 * values it may take. EL_OK; EL_EINVAL with the refusal (display starts
 * it); EL_ENOMEM.
 */
int el__statement_check(const json_t *doc, const el__statement_layout *layout, const char *display);

/*
 * The record a Statement describes, checked as el_record_parse() checks a
 * file (display starts every message). *out is for el_record_free().
 */
int el__record_from_json(el_record **out, const json_t *doc, const char *display);

/*
 * Rename dirfd/from to dirfd/to unless to exists: 0, or -1 with errno
 * (EEXIST when to is taken; from is then still there). Where the file
 * system cannot rename without replacing, a hard link and an unlink of
 * from do the same.
 */
int el__rename_noreplace(int dirfd, const char *from, const char *to);

/* The hard-link way alone (exposed for tests). */
int el__link_noreplace(int dirfd, const char *from, const char *to);

#endif
