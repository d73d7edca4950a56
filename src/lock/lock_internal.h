#ifndef EL_LOCK_LOCK_INTERNAL_H
#define EL_LOCK_LOCK_INTERNAL_H

#include <jansson.h>

#include "envlock/lock.h"
#include "util/buf.h"

struct el_lock {
	json_t *doc; /* the whole lock document, owned */
};

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
