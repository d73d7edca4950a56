/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_SLURM_NODE_CHECK_H
#define EL_SLURM_NODE_CHECK_H

#include <stddef.h>
#include <sys/types.h>

/* Who the step's tasks run as: the check runs as them, never as root. */
typedef struct node_user {
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	int group_count;
} node_user;

typedef struct node_check {
	const char *envlock;       /* the envlock binary */
	const char *lock;          /* --lock, or NULL: found from the current directory */
	const char *profile;       /* --profile, or NULL: the lock's */
	const char *node;          /* this node's name, for the message */
	const char *save_capture;  /* check --save-capture: where this node's capture goes, or NULL */
	char *const *env;          /* the step's environment: PATH, HOME, VIRTUAL_ENV... */
	node_user user;
} node_check;

enum {
	NODE_CLEAN = 0,   /* no drift the profile refuses */
	NODE_DRIFTED = 1, /* the profile refuses what changed: message says what */
	NODE_FAILED = 2   /* the check could not be made (a bad lock, no envlock): message says why */
};

/*
 * Check this node against the lock with `envlock check --format json`, in
 * a child process that becomes the step's user first. On NODE_DRIFTED and
 * NODE_FAILED, message (size bytes) holds one line, without the "envlock:"
 * prefix: "node node2 has drifted from /w/env.lock: data.in.csv
 * (sha256:4355a46b… → sha256:53c234e5…)".
 */
int node_check_run(const node_check *check, char *message, size_t size);

/*
 * The one-line summary of check's JSON report (what node_check_run says
 * on drift), for node and lock; 0, or -1 when json is not such a report.
 * Apart for the tests.
 */
int node_check_summary(char *message, size_t size, const char *json, const char *node, const char *lock);

#endif
