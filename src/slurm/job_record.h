/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_SLURM_JOB_RECORD_H
#define EL_SLURM_JOB_RECORD_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The job record of a step (srun --envlock-record DIR): DIR/job-J.S.json,
 * gathered when the step ends from what the step left in DIR: the run
 * records of its ranks (those whose externalParameters.launcher names job
 * J, step S) and each node's capture, saved by its check before any task
 * started (node-NAME.J.S.lock):
 *
 *   {"job": "J", "step": "S", "tasks": N,
 *    "lock": {"path": "/w/env.lock", "fingerprint": "sha256:..."} | null,
 *    "profile": "distributed",
 *    "ranks": [{"rank": 0, "node": "node1", "localId": "0",
 *               "devices": "0,1" | null, "record": "run-...json",
 *               "lock": "sha256:...", "exitStatus": 0,
 *               "driftRefused": 0, "driftWarned": 0,
 *               "outputs": [{"path": "w.bin", "sha256": "..." | null}]}, ...],
 *    "nodes": {"node1": {"ranks": [0], "capture": "node-node1.J.S.lock" | null,
 *                        "fingerprint": "sha256:..." | null,
 *                        "findings": [{"path", "old", "new", "severity"}] | null,
 *                        "driftRefused": 0}, ...},
 *    "nodesAlike": true,
 *    "agree": true, "disagreements": ["rank 1 (node2) exited 125", ...]}
 *
 * A node's findings are its capture compared with the lock under the
 * profile; nodesAlike says whether every node's capture has the same
 * fingerprint. The ranks agree when every node saved its capture, every
 * rank of the step left a record, all ran under the same lock, no node
 * and no rank found drift the profile refuses, and all exited 0. Nodes that differ only in what the
 * profile allows still agree, but not alike.
 */
typedef struct job_summary {
	size_t ranks;          /* the records found */
	size_t nodes;
	bool agree;
	char first[256];       /* the first disagreement, "" when they agree */
	char unlike[2][128];   /* two nodes whose captures differ, when not every node's is alike */
} job_summary;

typedef struct job_step {
	const char *dir;       /* where the records are, and the job record goes */
	const char *job, *step;
	long tasks;
	const char *lock;      /* the step's lock (--envlock=LOCK), or NULL: the ranks', else env.lock found from here */
	const char *profile;   /* the step's profile, or NULL: the lock's */
} job_step;

/*
 * Write DIR/job-JOB.STEP.json (replacing one there, never following a link
 * planted at its name). 0, or -1 with why in error.
 */
int job_record_write(const job_step *step, job_summary *summary, char *error, size_t error_size);

#endif
