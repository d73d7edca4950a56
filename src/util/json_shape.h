/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_UTIL_JSON_SHAPE_H
#define EL_UTIL_JSON_SHAPE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/buf.h"

/*
 * What a JSON document may hold, stated as data. A reader describes the
 * members, types and values it takes in tables of el__json_shape;
 * el__json_check() walks a document and its shape together and stops at
 * the first fault, which it hands to the reader's report function while
 * the walk's path names the member at fault (util/json_path.h), so that
 * each reader words its own messages. Whatever reads the document after a
 * check may rely on every value having its shape.
 *
 * The first fault is the first in this order: in an object, the members
 * it does not take (in the document's order), then its listed members in
 * the table's order (a required one missing, or one checked in depth),
 * then the members its item shape takes (in the document's order); in an
 * array, the items in order. A value is checked for its type first, then
 * equals and valid, then check, then its members or items.
 */

typedef enum el__json_type {
	EL__JSON_ANY, /* any value */
	EL__JSON_STRING,
	EL__JSON_INTEGER,
	EL__JSON_NUMBER, /* an integer or a real */
	EL__JSON_BOOLEAN,
	EL__JSON_OBJECT,
	EL__JSON_ARRAY,
} el__json_type;

typedef struct el__json_shape el__json_shape;
typedef struct el__json_walk el__json_walk;

typedef struct el__json_member {
	const char *name; /* NULL ends a list */
	const el__json_shape *shape;
	bool required;
} el__json_member;

struct el__json_shape {
	el__json_type type;
	/*
	 * OBJECT: the members it may have, each of its own shape; a member
	 * not listed has shape item, or without item is not taken (a fault).
	 * Neither members nor item: any members with any values.
	 * ARRAY: every item has shape item (NULL: any value), unless pick is
	 * set.
	 */
	const el__json_member *members;
	const el__json_shape *item;
	/* ARRAY: the shape of item i (NULL: any value), where items differ by place or content. */
	const el__json_shape *(*pick)(el__json_walk *w, const json_t *array, size_t i);
	/* STRING: the one value it may have (a type URI, a fixed name). */
	const char *equals;
	/* A test of a value of the right type: digits, a range, a set of words. */
	bool (*valid)(const json_t *v);
	/*
	 * The reader's own words about this shape, for its report: what a
	 * value must be, or what is wrong with one that is not valid.
	 */
	const char *what;
	/*
	 * A test no table states (how many items, given what they are),
	 * after the type, equals and valid, before any member or item: it
	 * reports with el__json_fail() and returns that, or EL_OK.
	 */
	int (*check)(el__json_walk *w, const json_t *v);
};

typedef enum el__json_fault_kind {
	EL__JSON_MISSING,    /* a required member is absent */
	EL__JSON_WRONG_TYPE, /* the value is not of the shape's type */
	EL__JSON_INVALID,    /* of the type, but not equals, or not valid */
	EL__JSON_UNKNOWN,    /* a member the object does not take */
	EL__JSON_OTHER,      /* a check function's fault, in its words */
} el__json_fault_kind;

typedef struct el__json_fault {
	el__json_fault_kind kind;
	const el__json_shape *shape; /* what was expected; NULL for UNKNOWN and OTHER */
	const json_t *value;         /* what is there; NULL for MISSING */
	const char *text;            /* OTHER: what check said */
} el__json_fault;

struct el__json_walk {
	/* Set by the reader: */
	/* Record the fault's message (el__error) and return its negative code. */
	int (*report)(el__json_walk *w, const el__json_fault *f);
	/*
	 * Optional: whether the listed member m belongs in this document (in
	 * the object at path); a member it does not admit is not taken. For
	 * a format whose versions differ in what they hold.
	 */
	bool (*admits)(el__json_walk *w, const el__json_member *m);
	void *data; /* the reader's own */
	/* Set by the walk, for report, admits, pick and check: the member at hand ("" at the top). */
	el__buf path;
};

/*
 * Check v against shape: EL_OK, or what report returned for the first
 * fault; EL_ENOMEM when out of memory. w->report must be set; w->path is
 * the walk's, from start to end.
 */
int el__json_check(el__json_walk *w, const json_t *v, const el__json_shape *shape);

/* From a check function: report a fault of kind OTHER at w->path, in words of its own. */
int el__json_fail(el__json_walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "a string", "an integer", "a number", "true or false", "an object", "an array", "a value". */
const char *el__json_type_name(el__json_type type);

#endif
