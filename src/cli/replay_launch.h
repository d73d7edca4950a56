/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_CLI_REPLAY_LAUNCH_H
#define EL_CLI_REPLAY_LAUNCH_H

#include <stddef.h>

/*
 * replay --launcher srun JOB.json: a Slurm step replayed as it ran. srun
 * starts one task per rank of the job record, each on the node the rank
 * ran on (--distribution=arbitrary), and each task replays its own rank's
 * run record (replay --job-rank JOB.json, with the options given here).
 * The ranks meet again as they did (the distributed profile keeps the
 * rendezvous variables), and each compares its outputs with its record.
 * Returns replay's exit status: srun's (the worst of the ranks'), or 2
 * when the job record cannot be replayed.
 */
int replay_launch_srun(const char *job_path, char *const *options, size_t option_count);

/*
 * In a task of that step: the run record of the rank SLURM_PROCID names,
 * malloc'd, or NULL after saying why.
 */
char *replay_job_rank(const char *job_path);

#endif
