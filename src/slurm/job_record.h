#ifndef EL_SLURM_JOB_RECORD_H
#define EL_SLURM_JOB_RECORD_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The job record of a step (srun --envlock-record DIR): DIR/job-J.S.json,
 * gathered when the step ends from the run records its ranks wrote in DIR
 * (those whose externalParameters.launcher names job J, step S):
 *
 *   {"job": "J", "step": "S", "tasks": N,
 *    "ranks": [{"rank": 0, "node": "node1", "localId": "0",
 *               "devices": "0,1" | null, "record": "run-...json",
 *               "lock": "sha256:...", "exitStatus": 0,
 *               "driftRefused": 0, "driftWarned": 0,
 *               "outputs": [{"path": "w.bin", "sha256": "..." | null}]}, ...],
 *    "nodes": {"node1": {"ranks": [0], "driftRefused": 0}, ...},
 *    "agree": true, "disagreements": ["rank 1 (node2) exited 125", ...]}
 *
 * The ranks agree when every rank of the step left a record, all ran under
 * the same lock, none found drift its profile refuses, and all exited 0.
 */
typedef struct job_summary {
	size_t ranks;          /* the records found */
	size_t nodes;
	bool agree;
	char first[256];       /* the first disagreement, "" when they agree */
} job_summary;

/*
 * Write DIR/job-JOB.STEP.json for a step of tasks ranks (replacing one
 * there, never following a link planted at its name). 0, or -1 with why
 * in error.
 */
int job_record_write(const char *dir, const char *job, const char *step, long tasks, job_summary *summary,
		     char *error, size_t error_size);

#endif
