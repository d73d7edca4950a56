/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENVLOCK_DIFF_H
#define ENVLOCK_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "envlock/api.h"
#include "envlock/lock.h"

/*
 * What differs between two locks, leaf by leaf. "meta", "fingerprint", the
 * schema number and a schema-1 lock's "code" are not compared. A section or leaf present on one
 * side only is added or removed: a component that appears or disappears
 * is drift. cpu.flags is compared as a set; other arrays item by item.
 */
typedef enum el_drift_kind {
	EL_DRIFT_ADDED,   /* only in the new lock */
	EL_DRIFT_REMOVED, /* only in the old lock */
	EL_DRIFT_CHANGED, /* in both, different */
} el_drift_kind;

typedef struct el_finding {
	char *path;          /* leaf path: python.packages.numpy, libraries["libc.so.6"].version */
	char *section;       /* the top-level key it belongs to: "python" */
	el_drift_kind kind;
	/*
	 * The values as JSON text: compact, ASCII only (other characters as
	 * \u escapes), object members in the lock's order: "\"2.1.0\"", "8",
	 * "true". A leaf is usually a scalar, but a member whose type changed
	 * (an object become a string) is reported whole. el_printable_json()
	 * shows one on a line. NULL on the side it is absent from (old when
	 * added, new when removed); owned by the diff.
	 */
	char *old_value;
	char *new_value;
} el_finding;

typedef struct el_diff {
	el_finding *findings; /* in document order: sections and keys sorted, array items by index */
	size_t count;
	/*
	 * What was left out because one side's schema is older and did not
	 * have it ("cpu.topology, ..."), or NULL: the older side is schema
	 * older_schema, the new lock when older_is_new, else the old one.
	 */
	char *not_compared;
	int older_schema;
	bool older_is_new;
} el_diff;

/*
 * Compare old_lock with new_lock. On success *out is a new diff (maybe
 * with no findings) for the caller to el_diff_free().
 */
EL_API int el_lock_diff(el_diff **out, const el_lock *old_lock, const el_lock *new_lock);

EL_API void el_diff_free(el_diff *diff);

#endif
