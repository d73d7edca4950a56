/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The job record of a step: the ranks' run records and the nodes'
 * captures, read with libenvlock, gathered into one file that says where
 * each rank ran, what each node and rank found and made, and whether the
 * ranks agree. Written by srun (the plugin's exit in its local context),
 * once every task has ended and written its record.
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
#include <sys/stat.h>
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

/* dir/file, whether or not dir ends in '/' (--envlock-record's does). */
static void join(char *path, size_t size, const char *dir, const char *file)
{
	size_t n = strlen(dir);

	snprintf(path, size, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", file);
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

/* A record's lock as a path from here: as given, within the record's working directory. */
static char *record_lock_path(const el_record *r)
{
	char *path;

	if (!r->lock_path)
		return NULL;
	if (r->lock_path[0] == '/' || !r->workdir)
		return strdup(r->lock_path);
	return asprintf(&path, "%s/%s", r->workdir, r->lock_path) < 0 ? NULL : path;
}

/* The step's ranks, sorted by rank, from the records in dir; *lock_path: the first one's lock. */
static json_t *gather_ranks(const char *dir, const char *job, const char *step, json_t *disagreements,
			    job_summary *summary, char **lock_path)
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
		join(path, sizeof(path), dir, e->d_name);
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
			if (!*lock_path)
				*lock_path = record_lock_path(r);
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

/* The node an entry of nodes{} names, made when missing. */
static json_t *node_entry(json_t *nodes, const char *name)
{
	json_t *node = json_object_get(nodes, name);

	if (!node) {
		node = json_pack("{s:[],s:n,s:n,s:n,s:I}", "ranks", "capture", "fingerprint", "findings", "driftRefused",
				 (json_int_t)0);
		json_object_set_new(nodes, name, node);
	}
	return node;
}

/* Each node of the ranks: its ranks and the most drift any of them found refused. */
static json_t *nodes_of_ranks(json_t *ranks)
{
	json_t *nodes = json_object(), *rank;
	size_t i;

	json_array_foreach(ranks, i, rank) {
		const char *name = json_string_value(json_object_get(rank, "node"));
		json_t *node = node_entry(nodes, name ? name : "(unnamed)");
		json_int_t refused = json_integer_value(json_object_get(rank, "driftRefused"));

		json_array_append(json_object_get(node, "ranks"), json_object_get(rank, "rank"));
		if (refused > json_integer_value(json_object_get(node, "driftRefused")))
			json_object_set_new(node, "driftRefused", json_integer(refused));
	}
	return nodes;
}

/* "node-NAME.JOB.STEP.lock": NAME into name, when file is such a capture of this step. */
static bool capture_of_step(const char *file, const char *job, const char *step, char *name, size_t size)
{
	char suffix[96];
	size_t len = strlen(file), tail;

	snprintf(suffix, sizeof(suffix), ".%s.%s.lock", job, step);
	tail = strlen(suffix);
	if (strncmp(file, "node-", 5) != 0 || len <= 5 + tail || strcmp(file + len - tail, suffix) != 0 ||
	    len - 5 - tail >= size)
		return false;
	memcpy(name, file + 5, len - 5 - tail);
	name[len - 5 - tail] = '\0';
	return true;
}

/* A finding's value as check --format json shows it: the value itself, null when absent. */
static json_t *value_or_null(const char *json_text)
{
	json_t *value = json_text ? json_loads(json_text, JSON_DECODE_ANY, NULL) : NULL;

	return value ? value : json_null();
}

/* The node's capture compared with the lock under the profile: its findings, and how many are refused. */
static json_t *node_findings(const el_lock *lock, const el_profile *profile, const el_lock *capture,
			     json_int_t *refused, char *error, size_t size)
{
	el_diff *diff = NULL;
	el_verdict *verdict = NULL;
	const el_verdict_finding *judged;
	json_t *findings = NULL;
	size_t count;

	if (el_lock_diff(&diff, lock, capture) != EL_OK || el_drift_verdict(&verdict, diff, profile, 0) != EL_OK) {
		snprintf(error, size, "%s", el_error_last());
		goto done;
	}
	judged = el_verdict_findings(verdict, &count);
	findings = json_array();
	for (size_t i = 0; i < count; i++)
		json_array_append_new(findings,
				      json_pack("{s:s,s:o,s:o,s:s}", "path", judged[i].finding->path, "old",
						value_or_null(judged[i].finding->old_value), "new",
						value_or_null(judged[i].finding->new_value), "severity",
						el_severity_name(judged[i].severity)));
	*refused = (json_int_t)el_verdict_count(verdict, EL_SEVERITY_REFUSE);
done:
	el_verdict_free(verdict);
	el_diff_free(diff);
	return findings;
}

/* The paths of the first few refused findings, for a disagreement: "data.in, libraries.libc". */
static void refused_paths(json_t *findings, char *out, size_t size)
{
	json_t *f;
	size_t i, named = 0;

	out[0] = '\0';
	json_array_foreach(findings, i, f) {
		size_t used = strlen(out);

		if (strcmp(json_string_value(json_object_get(f, "severity")), "refuse") != 0)
			continue;
		if (++named > 3) {
			snprintf(out + used, size - used, ", ...");
			return;
		}
		snprintf(out + used, size - used, "%s%s", named > 1 ? ", " : "",
			 json_string_value(json_object_get(f, "path")));
	}
}

/*
 * One node's capture: its fingerprint and, with a lock, its findings. A
 * node that cannot be judged, or that drifted where the profile refuses,
 * disagrees.
 */
static void judge_node(json_t *node, const char *name, const char *dir, const char *file, const el_lock *lock,
		       const el_profile *profile, json_t *disagreements, job_summary *summary)
{
	char path[4096], error[512], paths[512];
	el_lock *capture = NULL;
	json_t *findings;
	json_int_t refused = 0;

	join(path, sizeof(path), dir, file);
	if (el_lock_read_file(&capture, path) != EL_OK) {
		disagree(disagreements, summary, "node %s: its capture cannot be read: %s", name, el_error_last());
		el_error_clear();
		return;
	}
	json_object_set_new(node, "fingerprint", json_string(el_lock_stored_fingerprint(capture)));
	if (lock && profile) {
		if (!(findings = node_findings(lock, profile, capture, &refused, error, sizeof(error)))) {
			disagree(disagreements, summary, "node %s: its capture cannot be compared: %s", name, error);
		} else {
			json_object_set_new(node, "findings", findings);
			json_object_set_new(node, "driftRefused", json_integer(refused));
			refused_paths(findings, paths, sizeof(paths));
			if (refused > 0)
				disagree(disagreements, summary, "node %s has drifted from the lock: %s", name, paths);
		}
	}
	el_lock_free(capture);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of nodes{}, sorted (NULL when out of memory): the file's order, for messages in that order too. */
static const char **sorted_names(json_t *nodes)
{
	size_t i = 0;
	const char **names = calloc(json_object_size(nodes) + 1, sizeof(*names)), *name;
	json_t *node;

	if (!names)
		return NULL;
	json_object_foreach(nodes, name, node)
		names[i++] = name;
	qsort(names, i, sizeof(*names), by_name);
	return names;
}

/* Two nodes, in name order, whose captures' fingerprints differ; none when every node is alike. */
static void note_unlike(json_t *nodes, const char **names, job_summary *summary)
{
	const char *first = NULL, *first_fingerprint = NULL;

	for (size_t i = 0; names[i]; i++) {
		const char *fingerprint = json_string_value(json_object_get(json_object_get(nodes, names[i]), "fingerprint"));

		if (!fingerprint)
			continue;
		if (!first) {
			first = names[i];
			first_fingerprint = fingerprint;
		} else if (strcmp(fingerprint, first_fingerprint) != 0) {
			snprintf(summary->unlike[0], sizeof(summary->unlike[0]), "%s", first);
			snprintf(summary->unlike[1], sizeof(summary->unlike[1]), "%s", names[i]);
			return;
		}
	}
}

/* The nodes of the step: those of the ranks, and those that saved a capture (a refused one ran no rank). */
static json_t *gather_nodes(const job_step *step, json_t *ranks, const el_lock *lock, const el_profile *profile,
			    json_t *disagreements, job_summary *summary)
{
	json_t *nodes = nodes_of_ranks(ranks);
	DIR *d = opendir(step->dir);
	struct dirent *e;
	char node_name[256];
	const char **names;

	while (d && (e = readdir(d)))
		if (capture_of_step(e->d_name, step->job, step->step, node_name, sizeof(node_name)))
			json_object_set_new(node_entry(nodes, node_name), "capture", json_string(e->d_name));
	if (d)
		closedir(d);
	if (!(names = sorted_names(nodes)))
		return nodes;
	for (size_t i = 0; names[i]; i++) {
		json_t *node = json_object_get(nodes, names[i]);
		const char *capture = json_string_value(json_object_get(node, "capture"));

		/* Each node's check saves one before its tasks start: a node that ran ranks without is not known. */
		if (capture)
			judge_node(node, names[i], step->dir, capture, lock, profile, disagreements, summary);
		else
			disagree(disagreements, summary, "node %s saved no capture", names[i]);
	}
	note_unlike(nodes, names, summary);
	free(names);
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
	char tmp[256], shown[4096];
	bool ok;

	if (dirfd < 0) {
		snprintf(error, size, "%s: %s", dir, strerror(errno));
		return -1;
	}
	join(shown, sizeof(shown), dir, name);
	for (unsigned attempt = 0; fd < 0 && attempt < 16; attempt++) {
		snprintf(tmp, sizeof(tmp), ".%s.%ld.%u", name, (long)getpid(), attempt);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		snprintf(error, size, "%s: %s", shown, strerror(errno));
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
		snprintf(error, size, "%s: %s", shown, strerror(saved));
		unlinkat(dirfd, tmp, 0);
	}
	close(dirfd);
	return ok ? 0 : -1;
}

/* env.lock from here upward, as envlock exec finds it: up to a repository's root or "/". */
static char *find_lock_upward(void)
{
	char dir[4096], *path;
	struct stat st;

	if (!getcwd(dir, sizeof(dir)))
		return NULL;
	for (;;) {
		char *slash;

		if (asprintf(&path, "%s/env.lock", strcmp(dir, "/") ? dir : "") < 0)
			return NULL;
		if (stat(path, &st) == 0)
			return path;
		free(path);
		if (asprintf(&path, "%s/.git", strcmp(dir, "/") ? dir : "") < 0)
			return NULL;
		if (lstat(path, &st) == 0 || strcmp(dir, "/") == 0) {
			free(path);
			return NULL;
		}
		free(path);
		slash = strrchr(dir, '/');
		slash[slash == dir] = '\0';
	}
}

/*
 * The lock and profile the nodes are judged by: the step's, else those the
 * ranks ran with, else what envlock exec would find. NULL lock (and no
 * error) when there is none to find.
 */
static int load_judge(const job_step *step, const char *rank_lock, el_lock **lock, el_profile **profile, char **lock_path,
		      char *error, size_t size)
{
	const char *name = step->profile;
	char cwd[4096];

	*lock_path = step->lock ? strdup(step->lock) : rank_lock ? strdup(rank_lock) : find_lock_upward();
	if (!*lock_path)
		return 0;
	/* Whole, so that the job record names it from anywhere (diff --job). */
	if (**lock_path != '/' && getcwd(cwd, sizeof(cwd))) {
		char *whole;

		if (asprintf(&whole, "%s/%s", cwd, *lock_path) >= 0) {
			free(*lock_path);
			*lock_path = whole;
		}
	}
	if (el_lock_read_file(lock, *lock_path) != EL_OK) {
		snprintf(error, size, "%s", el_error_last());
		return -1;
	}
	if (!name && el_lock_profile_name(&name, *lock) != EL_OK)
		name = NULL;
	el_error_clear();
	if (el_profile_load(profile, name ? name : "default") != EL_OK) {
		snprintf(error, size, "%s", el_error_last());
		return -1;
	}
	return 0;
}

int job_record_write(const job_step *step, job_summary *summary, char *error, size_t error_size)
{
	json_t *disagreements = json_array(), *ranks, *nodes, *doc = NULL;
	char name[128], *text = NULL, *rank_lock = NULL, *lock_path = NULL;
	el_lock *lock = NULL;
	el_profile *profile = NULL;
	int rc = -1;

	memset(summary, 0, sizeof(*summary));
	summary->agree = true;
	ranks = gather_ranks(step->dir, step->job, step->step, disagreements, summary, &rank_lock);
	/* Without the lock, the nodes' captures are kept but not judged. */
	if (load_judge(step, rank_lock, &lock, &profile, &lock_path, error, error_size) != 0) {
		disagree(disagreements, summary, "the nodes cannot be compared with the lock: %s", error);
		el_lock_free(lock);
		lock = NULL;
	}
	/* The nodes first: a node that drifted is why its ranks left no record. */
	nodes = gather_nodes(step, ranks, lock, profile, disagreements, summary);
	judge(ranks, step->tasks, disagreements, summary);
	summary->ranks = json_array_size(ranks);
	summary->nodes = json_object_size(nodes);
	doc = json_pack("{s:s,s:s,s:I,s:o,s:o,s:o,s:o,s:b,s:b,s:o}", "job", step->job, "step", step->step, "tasks",
			(json_int_t)step->tasks, "lock",
			lock ? json_pack("{s:s,s:s}", "path", lock_path, "fingerprint", el_lock_stored_fingerprint(lock))
			     : json_null(),
			"profile", lock && profile ? json_string(profile->name) : json_null(), "nodes", nodes, "ranks",
			ranks, "nodesAlike", !summary->unlike[0][0], "agree", summary->agree, "disagreements",
			disagreements);
	disagreements = NULL;
	text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	if (!text) {
		snprintf(error, error_size, "%s", "out of memory");
		goto done;
	}
	snprintf(name, sizeof(name), "job-%s.%s.json", step->job, step->step);
	rc = write_beside(step->dir, name, text, error, error_size);
done:
	json_decref(disagreements);
	json_decref(doc);
	free(text);
	free(rank_lock);
	free(lock_path);
	el_lock_free(lock);
	el_profile_free(profile);
	return rc;
}
