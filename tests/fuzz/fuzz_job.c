/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the job record reader: whatever the bytes,
 * el_job_record_parse either refuses them with EL_EINVAL (or EL_ENOMEM)
 * and a one-line message naming the file, or returns a record whose ranks
 * rise, and every file of which lies in the job record's own directory.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/error.h"
#include "envlock/record.h"

#define DIR "/runs/"
#define PATH DIR "job-1.0.json"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* DIR followed by a plain file name: nothing the record says reaches elsewhere. */
static void in_directory(const char *path)
{
	const char *name = path + strlen(DIR);

	if (strncmp(path, DIR, strlen(DIR)) != 0 || !*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	el_job_record *job = NULL;
	int ret = el_job_record_parse(&job, (const char *)data, size, PATH);

	if (ret != EL_OK) {
		if ((ret != EL_EINVAL && ret != EL_ENOMEM) || job)
			abort();
		if (strncmp(el_error_last(), PATH, strlen(PATH)) != 0 || strchr(el_error_last(), '\n'))
			abort();
		return 0;
	}
	if (!job->job || !job->step || job->tasks < 0 || (job->profile && !job->lock_path))
		abort();
	for (size_t i = 0; i < job->rank_count; i++) {
		if (job->ranks[i].rank < 0 || (i && job->ranks[i].rank <= job->ranks[i - 1].rank))
			abort();
		if (job->ranks[i].exit_status < 0 || job->ranks[i].exit_status > 255)
			abort();
		in_directory(job->ranks[i].record);
	}
	for (size_t i = 0; i < job->node_count; i++) {
		if (i && strcmp(job->nodes[i - 1].name, job->nodes[i].name) >= 0)
			abort();
		if (job->nodes[i].capture)
			in_directory(job->nodes[i].capture);
		else if (job->nodes[i].fingerprint)
			abort();
		if (el_job_record_node(job, job->nodes[i].name) != &job->nodes[i])
			abort();
	}
	el_job_record_free(job);
	return 0;
}
