/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_LOCK_LOCK_INTERNAL_H
#define EL_LOCK_LOCK_INTERNAL_H

#include <stdbool.h>

#include <jansson.h>

#include "envlock/lock.h"
#include "util/buf.h"

struct el_lock {
	json_t *doc; /* the whole lock document, owned */
	int schema;  /* as read; EL_LOCK_SCHEMA for a capture */
	char *note;  /* how it was read, for el_lock_note(); NULL: nothing to say */
	char *text;  /* the bytes it was read from (NUL added), for el_lock_text(); NULL for a capture */
	size_t text_len;
	bool fingerprint_checked; /* read, and its fingerprint found to match its content */
};

struct el_profile;

/* A member a lock schema added to a section of the fingerprinted body, or a section (section ""): schema.c. */
struct el__schema_addition {
	const char *section; /* "" for a section of the lock's top level; "S.*" any entry of section S */
	const char *member;
	int since; /* the first schema that has it */
	/*
	 * Keys of the section that the member took over (NULL-terminated), or
	 * NULL: an older schema's view of the section has them from the
	 * member, as that schema recorded them, and not the section's own.
	 */
	const char *const *moved;
};

extern const struct el__schema_addition el__schema_additions[];

/* The schema that added section.member, or 0 for a member every schema has. */
int el__schema_since(const char *section, const char *member);

/*
 * section's value as a comparison at schema (the older side's) sees it:
 * without the members a later schema added, whose "section.member" names
 * are appended to left_out (", " between them); doc is the whole lock
 * the section belongs to. *out is a new reference, or NULL when the whole
 * section is one a later schema added (or, for gpu, held only a stack
 * schema 2 would not have recorded).
 */
int el__lock_compared_section(json_t **out, const char *section, json_t *value, int schema, const json_t *doc,
			      el__buf *left_out);

/* The CUDA stack's members of gpu that a framework's wheels may describe instead: NULL-terminated. */
extern const char *const el__gpu_stack_keys[];

/*
 * What a lock's frameworks section says of the CUDA stack a run loads:
 * whether a framework (torch, tensorflow, jax) is installed, whether one is
 * built for CUDA, and whether nvidia-* wheels bring the stack's libraries.
 * probe/gpu/gpu.c decides gpu.* from it, and the schema-2 view undoes that.
 */
void el__gpu_stack_kind(const json_t *frameworks, bool *framework, bool *cuda, bool *wheels);

/*
 * Whether doc's gpu section went through the stack switch (probe/gpu/gpu.c:
 * a framework installed, and not a CUDA build without wheels), so that
 * gpu.* is not what schema 2 recorded there.
 */
bool el__gpu_stack_switched(const json_t *doc);

/*
 * Append "envlock capture [--profile P] [--python EXE] [--data PATH]... -o
 * FILE" for doc to out (see el_lock_capture_command). profile may be NULL:
 * the document's meta.profile is used, if it is a valid name.
 */
int el__lock_capture_command(el__buf *out, const json_t *doc, const struct el_profile *profile,
			     const char *python, const char *lock_file);

/*
 * The lock's document, for the parts of the library that write the schema
 * (the probes comparing with the lock they check) and the lock module's
 * own readers. Borrowed.
 */
const json_t *el__lock_doc(const el_lock *lock);

/* How a finding's value is written as text (diff.h): compact, ASCII only, in the lock's order. */
#define EL__FINDING_VALUE_FLAGS (JSON_ENCODE_ANY | JSON_COMPACT | JSON_ENSURE_ASCII)

/*
 * A finding's value text back as JSON, for the library's own JSON
 * documents (the drift report, a run record): a new reference; NULL for
 * NULL, and when out of memory (the text is always JSON the diff wrote).
 */
json_t *el__finding_value(const char *text);

/* Wrap doc (reference stolen) in a new lock. NULL on allocation failure. */
el_lock *el__lock_wrap(json_t *doc);

/*
 * Append the RFC 8785 (JCS) canonical form of v to out: object members
 * sorted by their UTF-16 code units, no insignificant whitespace, strings
 * escaped as ECMAScript's JSON.stringify does. Numbers must be integers of
 * magnitude at most 2^53 (a lock holds no others); anything else is
 * EL_EINVAL, because its canonical form would depend on float formatting.
 * v is not modified (jansson's iterators just do not take const).
 */
int el__jcs_append(el__buf *out, json_t *v);

#endif
