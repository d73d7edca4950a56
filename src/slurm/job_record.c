/*
 * The job record of a step: the ranks' run records, read with libenvlock,
 * gathered into one file that says where each rank ran, what it found and
 * made, and whether the ranks agree. Written by srun (the plugin's exit in
 * its local context), once every task has ended and written its record.
 */
#include "slurm/job_record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envlock/envlock.h"

static const char *launcher_value(const el_record *r, const char *name)
{
	for (size_t i = 0; i < r->launcher_count; i++)
		if (strcmp(r->launcher[i].name, name) == 0)
			return r->launcher[i].value;
	return NULL;
}

/* A record of this step: its launcher names the job and the step. */
static bool of_step(const el_record *r, const char *job, const char *step)
{
	const char *j = launcher_value(r, "SLURM_JOB_ID"), *s = launcher_value(r, "SLURM_STEP_ID");

	return j && s && strcmp(j, job) == 0 && strcmp(s, step) == 0 && launcher_value(r, "SLURM_PROCID");
}

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *rank_entry(const el_record *r, const char *file, long rank)
{
	json_t *outputs = json_array();

	for (size_t i = 0; i < r->output_count; i++)
		json_array_append_new(outputs, json_pack("{s:s,s:o}", "path", r->outputs[i].path, "sha256",
							 string_or_null(r->outputs[i].sha256[0] ? r->outputs[i].sha256 : NULL)));
	return json_pack("{s:I,s:o,s:o,s:o,s:s,s:o,s:i,s:I,s:I,s:o}", "rank", (json_int_t)rank, "node",
			 string_or_null(launcher_value(r, "SLURMD_NODENAME")), "localId",
			 string_or_null(launcher_value(r, "SLURM_LOCALID")), "devices",
			 string_or_null(launcher_value(r, "CUDA_VISIBLE_DEVICES")), "record", file, "lock",
			 string_or_null(r->lock_fingerprint), "exitStatus", r->exit_status, "driftRefused",
			 (json_int_t)el_record_drift_count(r, EL_SEVERITY_REFUSE), "driftWarned",
			 (json_int_t)el_record_drift_count(r, EL_SEVERITY_WARN), "outputs", outputs);
}

static void disagree(json_t *list, job_summary *summary, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void disagree(json_t *list, job_summary *summary, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (summary->agree)
		snprintf(summary->first, sizeof(summary->first), "%s", line);
	summary->agree = false;
	json_array_append_new(list, json_string(line));
}

static int by_rank(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "rank"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "rank"));

	return (x > y) - (x < y);
}

/* The step's ranks, sorted by rank, from the records in dir. */
static json_t *gather_ranks(const char *dir, const char *job, const char *step, json_t *disagreements,
			    job_summary *summary)
{
	json_t *ranks = json_array(), **sorted;
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n;

	if (!d)
		return ranks;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char path[4096];
		el_record *r = NULL;
		char *end;
		long rank;

		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0 || strncmp(e->d_name, "job-", 4) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (el_record_read(&r, path) != EL_OK) {
			el_error_clear();
			continue; /* not a run record: another file of the directory's */
		}
		if (of_step(r, job, step)) {
			rank = strtol(launcher_value(r, "SLURM_PROCID"), &end, 10);
			if (*end || rank < 0)
				disagree(disagreements, summary, "%s: SLURM_PROCID is not a rank", e->d_name);
			else
				json_array_append_new(ranks, rank_entry(r, e->d_name, rank));
		}
		el_record_free(r);
	}
	closedir(d);
	/* Sorted by rank, so that the file is the same whatever order the directory lists. */
	n = json_array_size(ranks);
	if (n > 1 && (sorted = calloc(n, sizeof(*sorted)))) {
		for (size_t i = 0; i < n; i++)
			sorted[i] = json_incref(json_array_get(ranks, i));
		qsort(sorted, n, sizeof(*sorted), by_rank);
		json_array_clear(ranks);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(ranks, sorted[i]);
		free(sorted);
	}
	return ranks;
}

/* Each node: its ranks and the most drift any of them found refused. */
static json_t *gather_nodes(json_t *ranks)
{
	json_t *nodes = json_object(), *rank;
	size_t i;

	json_array_foreach(ranks, i, rank) {
		const char *name = json_string_value(json_object_get(rank, "node"));
		json_t *node;
		json_int_t refused = json_integer_value(json_object_get(rank, "driftRefused"));

		if (!name)
			name = "(unnamed)";
		if (!(node = json_object_get(nodes, name))) {
			node = json_pack("{s:[],s:I}", "ranks", "driftRefused", (json_int_t)0);
			json_object_set_new(nodes, name, node);
		}
		json_array_append(json_object_get(node, "ranks"), json_object_get(rank, "rank"));
		if (refused > json_integer_value(json_object_get(node, "driftRefused")))
			json_object_set_new(node, "driftRefused", json_integer(refused));
	}
	return nodes;
}

static void judge(json_t *ranks, long tasks, json_t *disagreements, job_summary *summary)
{
	const char *lock = NULL;
	json_t *rank;
	size_t i;
	long expected = 0;

	json_array_foreach(ranks, i, rank) {
		json_int_t number = json_integer_value(json_object_get(rank, "rank"));
		const char *node = json_string_value(json_object_get(rank, "node"));
		const char *fingerprint = json_string_value(json_object_get(rank, "lock"));
		json_int_t refused = json_integer_value(json_object_get(rank, "driftRefused"));
		int status = (int)json_integer_value(json_object_get(rank, "exitStatus"));

		for (; expected < number; expected++)
			disagree(disagreements, summary, "rank %ld left no record", expected);
		if (expected == number)
			expected++;
		else
			disagree(disagreements, summary, "rank %lld left two records", (long long)number);
		if (!lock)
			lock = fingerprint ? fingerprint : "";
		if (!fingerprint || strcmp(fingerprint, lock) != 0)
			disagree(disagreements, summary, "rank %lld (%s) ran under another lock", (long long)number,
				 node ? node : "?");
		if (refused > 0)
			disagree(disagreements, summary, "rank %lld (%s) found %lld finding%s refused", (long long)number,
				 node ? node : "?", (long long)refused, refused == 1 ? "" : "s");
		if (status != 0)
			disagree(disagreements, summary, "rank %lld (%s) exited %d", (long long)number, node ? node : "?",
				 status);
	}
	for (; expected < tasks; expected++)
		disagree(disagreements, summary, "rank %ld left no record", expected);
}

static bool write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/*
 * dir/name holding text and the newline a text file ends with, replaced
 * atomically: a temporary beside it (O_EXCL, no link followed), then renamed.
 */
static int write_beside(const char *dir, const char *name, const char *text, char *error, size_t size)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd = -1, saved;
	char tmp[256];
	bool ok;

	if (dirfd < 0) {
		snprintf(error, size, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (unsigned attempt = 0; fd < 0 && attempt < 16; attempt++) {
		snprintf(tmp, sizeof(tmp), ".%s.%ld.%u", name, (long)getpid(), attempt);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		snprintf(error, size, "%s/%s: %s", dir, name, strerror(errno));
		close(dirfd);
		return -1;
	}
	ok = write_all(fd, text, strlen(text)) && write_all(fd, "\n", 1) && fsync(fd) == 0;
	saved = errno;
	if (close(fd) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (ok && renameat(dirfd, tmp, dirfd, name) != 0) {
		ok = false;
		saved = errno;
	}
	if (!ok) {
		snprintf(error, size, "%s/%s: %s", dir, name, strerror(saved));
		unlinkat(dirfd, tmp, 0);
	}
	close(dirfd);
	return ok ? 0 : -1;
}

int job_record_write(const char *dir, const char *job, const char *step, long tasks, job_summary *summary,
		     char *error, size_t error_size)
{
	json_t *disagreements = json_array(), *ranks, *doc;
	char name[128], *text;
	int rc;

	memset(summary, 0, sizeof(*summary));
	summary->agree = true;
	ranks = gather_ranks(dir, job, step, disagreements, summary);
	judge(ranks, tasks, disagreements, summary);
	summary->ranks = json_array_size(ranks);
	doc = json_pack("{s:s,s:s,s:I,s:o,s:o,s:b,s:o}", "job", job, "step", step, "tasks", (json_int_t)tasks, "nodes",
			gather_nodes(ranks), "ranks", ranks, "agree", summary->agree, "disagreements", disagreements);
	summary->nodes = json_object_size(json_object_get(doc, "nodes"));
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(doc);
	if (!text) {
		snprintf(error, error_size, "%s", "out of memory");
		return -1;
	}
	snprintf(name, sizeof(name), "job-%s.%s.json", job, step);
	rc = write_beside(dir, name, text, error, error_size);
	free(text);
	return rc;
}
