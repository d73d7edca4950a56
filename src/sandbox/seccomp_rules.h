/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_SANDBOX_SECCOMP_RULES_H
#define EL_SANDBOX_SECCOMP_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sandbox/plan.h"

/*
 * The seccomp filter's built-in rules, as data: seccomp.c compiles them,
 * plan_print.c prints them for --dry-run, and nothing else decides what
 * they are. The profile's own denials are the plan's (seccomp_deny).
 */

typedef enum el__seccomp_action {
	EL__SECCOMP_EPERM,  /* the call fails with EPERM */
	EL__SECCOMP_ENOSYS, /* the call fails with ENOSYS */
	EL__SECCOMP_KILL    /* the whole process is killed (SIGSYS) */
} el__seccomp_action;

typedef enum el__seccomp_match {
	EL__SECCOMP_CALLS,   /* the calls named in .calls, where every clause holds */
	EL__SECCOMP_UNKNOWN, /* numbers above the highest libseccomp knows for this architecture */
	EL__SECCOMP_FOREIGN  /* calls from another architecture, and x32 calls */
} el__seccomp_match;

#define EL__SECCOMP_MAX_CLAUSES 2

/* (argument & mask) == value, under the name printed for it. */
struct el__seccomp_value {
	const char *name;
	uint64_t mask, value;
};

/* One of any_of holds for the argument the call names for this clause. */
struct el__seccomp_clause {
	const char *what; /* printed before the names: "its mode has" */
	const struct el__seccomp_value *any_of;
	size_t count; /* 0: an unused clause */
};

struct el__seccomp_call {
	const char *name;
	unsigned arg[EL__SECCOMP_MAX_CLAUSES]; /* the argument each of the rule's clauses tests */
};

struct el__seccomp_rule {
	el__seccomp_match match;
	el__seccomp_action action;
	const struct el__seccomp_call *calls; /* EL__SECCOMP_CALLS: ended by a NULL name */
	struct el__seccomp_clause clauses[EL__SECCOMP_MAX_CLAUSES];
	const char *what; /* other matches: the calls, as printed */
	const char *reason;
	/* Keeps the command from making namespaces: left out where the plan allows nested ones. */
	bool namespaces;
};

extern const struct el__seccomp_rule el__seccomp_rules[];
extern const size_t el__seccomp_rule_count;

/* Whether rule r is part of plan's filter. */
bool el__seccomp_rule_applies(const struct el__seccomp_rule *r, const el_sandbox_plan *plan);

/*
 * Whether this libseccomp knows the call by name. One it does not know
 * gets no rule of its own: the filter answers it as a number it does not
 * know (EL__SECCOMP_UNKNOWN).
 */
bool el__seccomp_call_known(const char *name);

/* The action as --dry-run prints it: "EPERM", "ENOSYS", "kill". */
const char *el__seccomp_action_name(el__seccomp_action action);

#endif
