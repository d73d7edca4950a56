/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay --launcher srun: a Slurm step's job record replayed through srun,
 * each rank on its node, each task replaying its own rank's run record.
 * The job record says where each rank ran; srun's arbitrary distribution
 * puts task i on the node listed i-th, so rank i runs where it ran.
 */
#include "cli/replay_launch.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envlock/envlock.h"
#include "envlock/record.h"

#include "cli/cli.h"

/* A job record every rank of which left a record, with its node: one that can be launched again. */
static bool replayable(const el_job_record *job, const char *job_path)
{
	if (job->tasks < 1) {
		cli_error("replay: %s: the step had no task", job_path);
		return false;
	}
	for (long i = 0; i < job->tasks; i++) {
		if ((size_t)i >= job->rank_count || job->ranks[i].rank != i) {
			cli_error("replay: %s: rank %ld left no record; a step is replayed whole", job_path, i);
			return false;
		}
		if (!job->ranks[i].node) {
			cli_error("replay: %s: rank %ld's record does not say its node", job_path, i);
			return false;
		}
	}
	if ((size_t)job->tasks != job->rank_count) {
		cli_error("replay: %s: %zu ranks recorded for a step of %ld tasks", job_path, job->rank_count,
			  job->tasks);
		return false;
	}
	return true;
}

/* "node1,node2,node1": each rank's node, in rank order, for srun --nodelist. */
static char *node_list(const el_job_record *job)
{
	size_t len = 1;
	char *list;

	for (size_t i = 0; i < job->rank_count; i++)
		len += strlen(job->ranks[i].node) + 1;
	if (!(list = calloc(1, len)))
		return NULL;
	for (size_t i = 0; i < job->rank_count; i++) {
		if (i)
			strcat(list, ",");
		strcat(list, job->ranks[i].node);
	}
	return list;
}

static size_t distinct_nodes(const el_job_record *job)
{
	size_t n = 0;

	for (size_t i = 0; i < job->rank_count; i++) {
		size_t j = 0;

		while (j < i && strcmp(job->ranks[j].node, job->ranks[i].node) != 0)
			j++;
		n += j == i;
	}
	return n;
}

/* srun's exit status, after it ran argv; 2 when it could not be started. */
static int run_srun(char **argv)
{
	struct sigaction ignore = { .sa_handler = SIG_IGN }, old_int, old_quit;
	int status;
	pid_t pid;

	fflush(NULL);
	/* As a shell does for a foreground job: srun handles ^C (it cancels the step), not us. */
	sigaction(SIGINT, &ignore, &old_int);
	sigaction(SIGQUIT, &ignore, &old_quit);
	pid = fork();
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		execvp(argv[0], argv);
		fprintf(stderr, "envlock: replay: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		cli_error("replay: cannot start srun: %s", strerror(errno));
		status = -1;
	} else {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	if (pid < 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 127))
		return CLI_EXIT_USAGE;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 1;
}

int replay_launch_srun(const char *job_path, char *const *options, size_t option_count)
{
	el_job_record *job = NULL;
	char self[PATH_MAX], *whole = NULL, *nodes = NULL, *tasks = NULL, *nodelist = NULL, **argv = NULL;
	ssize_t len;
	size_t n = 0;
	int status = CLI_EXIT_USAGE;

	if (el_job_record_read(&job, job_path) != EL_OK) {
		cli_error("replay: %s", el_error_last());
		goto done;
	}
	if (!replayable(job, job_path))
		goto done;
	/* The tasks run this very envlock (the same path on every node, as Slurm installs go). */
	if ((len = readlink("/proc/self/exe", self, sizeof(self) - 1)) < 0) {
		cli_error("replay: /proc/self/exe: %s", strerror(errno));
		goto done;
	}
	self[len] = '\0';
	if (!(whole = cli_absolute_path(job_path)) || !(nodes = node_list(job)) ||
	    asprintf(&tasks, "--ntasks=%ld", job->tasks) < 0 || asprintf(&nodelist, "--nodelist=%s", nodes) < 0 ||
	    !(argv = calloc(option_count + 16, sizeof(*argv)))) {
		cli_error("out of memory");
		goto done;
	}
	argv[n++] = "srun";
	argv[n++] = "--label";
	argv[n++] = tasks;
	argv[n++] = nodelist;
	argv[n++] = "--distribution=arbitrary";
	argv[n++] = "--kill-on-bad-exit=0";
	argv[n++] = "--";
	argv[n++] = self;
	argv[n++] = "replay";
	for (size_t i = 0; i < option_count; i++)
		argv[n++] = options[i];
	argv[n++] = "--job-rank";
	argv[n++] = whole;
	argv[n] = NULL;
	status = run_srun(argv);
	if (status == 0)
		printf("replay: %s: %ld rank%s on %zu node%s reproduced\n", job_path, job->tasks, job->tasks == 1 ? "" : "s",
		       distinct_nodes(job), distinct_nodes(job) == 1 ? "" : "s");
	else
		printf("replay: %s: not every rank reproduced (srun exited %d)\n", job_path, status);
	status = cli_finish_stdout(status);
done:
	free(argv);
	free(whole);
	free(nodes);
	free(tasks);
	free(nodelist);
	el_job_record_free(job);
	return status;
}

char *replay_job_rank(const char *job_path)
{
	const char *procid = getenv("SLURM_PROCID"), *here = getenv("SLURMD_NODENAME");
	el_job_record *job = NULL;
	char *end, *record = NULL;
	long rank;

	if (!procid || !*procid) {
		cli_error("replay: --job-rank is what each task of replay --launcher srun runs (SLURM_PROCID is not set)");
		return NULL;
	}
	errno = 0;
	rank = strtol(procid, &end, 10);
	if (errno || *end || rank < 0) {
		cli_error("replay: SLURM_PROCID '%s' is not a rank", procid);
		return NULL;
	}
	if (el_job_record_read(&job, job_path) != EL_OK) {
		cli_error("replay: %s", el_error_last());
		return NULL;
	}
	bool found = false;

	for (size_t i = 0; i < job->rank_count && !found; i++) {
		if (job->ranks[i].rank != rank)
			continue;
		found = true;
		/* srun placed it: only a step launched otherwise lands elsewhere. */
		if (here && job->ranks[i].node && strcmp(here, job->ranks[i].node) != 0)
			fprintf(stderr, "envlock: replay: rank %ld ran on %s, is replayed on %s\n", rank, job->ranks[i].node,
				here);
		if (!(record = strdup(job->ranks[i].record)))
			cli_error("out of memory");
	}
	if (!found)
		cli_error("replay: %s: no rank %ld", job_path, rank);
	el_job_record_free(job);
	return record;
}
