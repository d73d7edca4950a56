/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a Slurm step's job record (the plugin's src/slurm/job_record.c
 * writes it): its shape checked as data (util/json_shape.h), then the
 * ranks and nodes that replay --launcher srun and diff --job use. The file
 * lies in a directory the job could write, so the names it holds must be
 * plain file names of that directory: nothing it says reaches elsewhere.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "envlock/record.h"
#include "record/record_internal.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json_shape.h"
#include "util/text.h"

static bool digits(const json_t *v)
{
	const char *s = json_string_value(v);

	return *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 10;
}

static bool not_negative(const json_t *v)
{
	return json_integer_value(v) >= 0;
}

static bool exit_status(const json_t *v)
{
	return json_integer_value(v) >= 0 && json_integer_value(v) <= 255;
}

static bool string_or_null(const json_t *v)
{
	return json_is_string(v) || json_is_null(v);
}

/* A file of the job record's own directory. */
static bool plain_name(const json_t *v)
{
	const char *s = json_string_value(v);

	return s && *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static bool plain_name_or_null(const json_t *v)
{
	return json_is_null(v) || plain_name(v);
}

static bool array_or_null(const json_t *v)
{
	return json_is_array(v) || json_is_null(v);
}

static const el__json_shape any_text = { .type = EL__JSON_STRING };
static const el__json_shape id = { EL__JSON_STRING, .valid = digits, .what = "a string of digits" };
static const el__json_shape count = { EL__JSON_INTEGER, .valid = not_negative, .what = "an integer, 0 or more" };
static const el__json_shape status = { EL__JSON_INTEGER, .valid = exit_status, .what = "an exit status, 0 to 255" };
static const el__json_shape flag = { .type = EL__JSON_BOOLEAN };
static const el__json_shape optional_text = { EL__JSON_ANY, .valid = string_or_null, .what = "a string or null" };
static const el__json_shape file = { EL__JSON_STRING, .valid = plain_name,
				     .what = "a file name of the job record's directory" };
static const el__json_shape optional_file = { EL__JSON_ANY, .valid = plain_name_or_null,
					      .what = "a file name of the job record's directory, or null" };
static const el__json_shape texts = { EL__JSON_ARRAY, .item = &any_text };
static const el__json_shape counts = { EL__JSON_ARRAY, .item = &count };
static const el__json_shape findings = { EL__JSON_ANY, .valid = array_or_null, .what = "an array or null" };

static const el__json_member output_members[] = {
	{ "path", &any_text, true },
	{ "sha256", &optional_text, true },
	{ NULL, NULL, false },
};
static const el__json_shape output = { EL__JSON_OBJECT, .members = output_members };
static const el__json_shape outputs = { EL__JSON_ARRAY, .item = &output };

static const el__json_member rank_members[] = {
	{ "rank", &count, true },
	{ "node", &optional_text, true },
	{ "localId", &optional_text, true },
	{ "devices", &optional_text, true },
	{ "record", &file, true },
	{ "lock", &optional_text, true },
	{ "exitStatus", &status, true },
	{ "driftRefused", &count, true },
	{ "driftWarned", &count, true },
	{ "outputs", &outputs, true },
	{ NULL, NULL, false },
};
static const el__json_shape rank = { EL__JSON_OBJECT, .members = rank_members };

/* Ranks in rising order, each once: a replay launches rank i as task i. */
static int ranks_in_order(el__json_walk *w, const json_t *v)
{
	json_int_t last = -1;
	size_t i;
	json_t *r;

	json_array_foreach(v, i, r) {
		json_int_t n = json_integer_value(json_object_get(r, "rank"));

		if (json_is_integer(json_object_get(r, "rank")) && n <= last)
			return el__json_fail(w, "rank %lld is listed after rank %lld", (long long)n, (long long)last);
		last = n;
	}
	return EL_OK;
}

static const el__json_shape ranks = { EL__JSON_ARRAY, .item = &rank, .check = ranks_in_order };

static const el__json_member node_members[] = {
	{ "ranks", &counts, true },
	{ "capture", &optional_file, true },
	{ "fingerprint", &optional_text, true },
	{ "findings", &findings, true },
	{ "driftRefused", &count, true },
	{ NULL, NULL, false },
};
static const el__json_shape node_shape = { EL__JSON_OBJECT, .members = node_members };
static const el__json_shape nodes = { EL__JSON_OBJECT, .item = &node_shape };

/* The lock the nodes were judged by: {"path", "fingerprint"}, or null when there was none. */
static int lock_or_null(el__json_walk *w, const json_t *v)
{
	if (json_is_null(v))
		return EL_OK;
	if (!json_is_object(v) || json_object_size(v) != 2 || !json_is_string(json_object_get(v, "path")) ||
	    !json_is_string(json_object_get(v, "fingerprint")))
		return el__json_fail(w, "expected null or an object of two strings, path and fingerprint");
	return EL_OK;
}

static const el__json_shape lock = { EL__JSON_ANY, .check = lock_or_null };

static const el__json_member job_members[] = {
	{ "job", &id, true },
	{ "step", &id, true },
	{ "tasks", &count, true },
	{ "lock", &lock, true },
	{ "profile", &optional_text, true },
	{ "ranks", &ranks, true },
	{ "nodes", &nodes, true },
	{ "nodesAlike", &flag, true },
	{ "agree", &flag, true },
	{ "disagreements", &texts, true },
	{ NULL, NULL, false },
};
static const el__json_shape job_shape = { EL__JSON_OBJECT, .members = job_members };

struct reader {
	const char *display;
};

static int report(el__json_walk *w, const el__json_fault *f)
{
	const char *display = ((const struct reader *)w->data)->display, *at = w->path.len ? w->path.data : "(top level)";

	switch (f->kind) {
	case EL__JSON_MISSING:
		return el__error(EL_EINVAL, "%s: %s is missing", display, at);
	case EL__JSON_UNKNOWN:
		return el__error(EL_EINVAL, "%s: %s: not part of a job record", display, at);
	case EL__JSON_OTHER:
		return el__error(EL_EINVAL, "%s: %s: %s", display, at, f->text);
	case EL__JSON_WRONG_TYPE:
	case EL__JSON_INVALID:
		break;
	}
	return el__error(EL_EINVAL, "%s: %s: expected %s", display, at,
			 f->shape->what ? f->shape->what : el__json_type_name(f->shape->type));
}

/* The directory of path, with its '/', or "" for a bare name. */
static char *directory_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) + 1 : 0;
	char *dir = malloc(n + 1);

	if (dir) {
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	return dir;
}

static char *join(const char *dir, const char *name)
{
	char *out;

	return asprintf(&out, "%s%s", dir, name) < 0 ? NULL : out;
}

static char *dup_or_null(const json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const el_job_node *)a)->name, ((const el_job_node *)b)->name);
}

/* The checked document into job: every string copied, every file joined with dir. */
static int fill(el_job_record *job, const json_t *doc, const char *dir)
{
	const json_t *judged_by = json_object_get(doc, "lock"), *list = json_object_get(doc, "ranks"), *v;
	const char *name;
	json_t *n, *all_nodes = json_object_get(doc, "nodes");
	size_t i;

	job->job = dup_or_null(json_object_get(doc, "job"));
	job->step = dup_or_null(json_object_get(doc, "step"));
	job->tasks = (long)json_integer_value(json_object_get(doc, "tasks"));
	job->lock_path = dup_or_null(json_object_get(judged_by, "path"));
	job->lock_fingerprint = dup_or_null(json_object_get(judged_by, "fingerprint"));
	job->profile = job->lock_path ? dup_or_null(json_object_get(doc, "profile")) : NULL;
	job->nodes_alike = json_is_true(json_object_get(doc, "nodesAlike"));
	job->agree = json_is_true(json_object_get(doc, "agree"));
	job->ranks = calloc(json_array_size(list) + 1, sizeof(*job->ranks));
	job->nodes = calloc(json_object_size(json_object_get(doc, "nodes")) + 1, sizeof(*job->nodes));
	if (!job->job || !job->step || !job->ranks || !job->nodes)
		return el__error(EL_ENOMEM, "out of memory");
	json_array_foreach(list, i, v) {
		el_job_rank *r = &job->ranks[job->rank_count++];

		r->rank = (long)json_integer_value(json_object_get(v, "rank"));
		r->node = dup_or_null(json_object_get(v, "node"));
		r->record = join(dir, json_string_value(json_object_get(v, "record")));
		r->exit_status = (int)json_integer_value(json_object_get(v, "exitStatus"));
		if (!r->record)
			return el__error(EL_ENOMEM, "out of memory");
	}
	json_object_foreach(all_nodes, name, n) {
		el_job_node *node = &job->nodes[job->node_count++];
		const json_t *capture = json_object_get(n, "capture");

		node->name = strdup(name);
		node->capture = json_is_string(capture) ? join(dir, json_string_value(capture)) : NULL;
		node->fingerprint = node->capture ? dup_or_null(json_object_get(n, "fingerprint")) : NULL;
		node->drift_refused = (long)json_integer_value(json_object_get(n, "driftRefused"));
		if (!node->name || (json_is_string(capture) && !node->capture))
			return el__error(EL_ENOMEM, "out of memory");
	}
	qsort(job->nodes, job->node_count, sizeof(*job->nodes), by_name);
	return EL_OK;
}

int el_job_record_parse(el_job_record **out, const char *text, size_t len, const char *path)
{
	struct reader reader = { path };
	el__json_walk walk = { .report = report, .data = &reader };
	el_job_record *job = NULL;
	json_error_t err;
	json_t *doc;
	char *dir = NULL;
	int ret;

	*out = NULL;
	if (!(doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err))) {
		el__printable(err.text, strlen(err.text));
		return el__error(EL_EINVAL, "%s:%d:%d: invalid JSON: %s", path, err.line, err.column, err.text);
	}
	/* Another kind of file (a lock, a run record) gets one line that says so, not its first member. */
	if (!json_is_object(doc) || !json_object_get(doc, "job") || !json_object_get(doc, "ranks")) {
		ret = el__error(EL_EINVAL, "%s: not a job record (srun --envlock-record writes them)", path);
		goto done;
	}
	el__buf_init(&walk.path);
	ret = el__json_check(&walk, doc, &job_shape);
	el__buf_free(&walk.path);
	if (ret != EL_OK)
		goto done;
	if (!(job = calloc(1, sizeof(*job))) || !(dir = directory_of(path))) {
		ret = el__error(EL_ENOMEM, "out of memory");
		goto done;
	}
	ret = fill(job, doc, dir);
done:
	if (ret == EL_OK)
		*out = job;
	else
		el_job_record_free(job);
	free(dir);
	json_decref(doc);
	return ret;
}

int el_job_record_read(el_job_record **out, const char *path)
{
	el__buf content;
	int ret;

	*out = NULL;
	el__buf_init(&content);
	ret = el__read_file(&content, path, EL__RECORD_MAX_BYTES, false);
	if (ret == EL_OK)
		ret = el_job_record_parse(out, content.data, content.len, path);
	el__buf_free(&content);
	return ret;
}

const el_job_node *el_job_record_node(const el_job_record *job, const char *name)
{
	for (size_t i = 0; job && i < job->node_count; i++)
		if (strcmp(job->nodes[i].name, name) == 0)
			return &job->nodes[i];
	return NULL;
}

void el_job_record_free(el_job_record *job)
{
	if (!job)
		return;
	for (size_t i = 0; i < job->rank_count; i++) {
		free(job->ranks[i].node);
		free(job->ranks[i].record);
	}
	for (size_t i = 0; i < job->node_count; i++) {
		free(job->nodes[i].name);
		free(job->nodes[i].capture);
		free(job->nodes[i].fingerprint);
	}
	free(job->ranks);
	free(job->nodes);
	free(job->job);
	free(job->step);
	free(job->lock_path);
	free(job->lock_fingerprint);
	free(job->profile);
	free(job);
}
