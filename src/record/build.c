/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A record into its Statement. The builder turns C values into JSON and
 * catches only what JSON cannot say (text that is not UTF-8, a digest
 * without its "sha256:" prefix, a repeated variable); every other rule is
 * the reader's, applied to the finished document, so that the two cannot
 * drift apart: what is written is what reads back.
 */
#include "record/record_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/random.h"
#include "util/sha256.h"
#include "util/text.h"

struct builder {
	int ret; /* the first failure; every step after it does nothing */
};

__attribute__((format(printf, 2, 3)))
static void refuse(struct builder *b, const char *fmt, ...)
{
	char field[256];
	va_list ap;

	if (b->ret)
		return;
	va_start(ap, fmt);
	vsnprintf(field, sizeof(field), fmt, ap);
	va_end(ap);
	b->ret = el__error(EL_EINVAL, "run record: %s", field);
}

static json_t *checked(struct builder *b, json_t *v)
{
	if (!v && !b->ret)
		b->ret = el__error_oom();
	return v;
}

/* s as a JSON string; NULL for a NULL s (left out), or after a failure. */
static json_t *text(struct builder *b, const char *s, const char *field)
{
	if (b->ret || !s)
		return NULL;
	if (!el__utf8_valid(s, strlen(s))) {
		refuse(b, "%s: not UTF-8", field);
		return NULL;
	}
	return checked(b, json_string(s));
}

/* obj[key] = v, taking v; a NULL v leaves the member out. */
static void set(struct builder *b, json_t *obj, const char *key, json_t *v)
{
	if (!v)
		return;
	if (b->ret || !obj || json_object_set_new(obj, key, v) != 0) {
		json_decref(v);
		checked(b, NULL);
	}
}

/* Append v, taking it; a NULL v becomes null, which the reader refuses by name. */
static void push(struct builder *b, json_t *arr, json_t *v)
{
	if (b->ret || !arr) {
		json_decref(v);
		checked(b, NULL);
		return;
	}
	if (json_array_append_new(arr, v ? v : json_null()) != 0)
		checked(b, NULL);
}

static json_t *object(struct builder *b)
{
	return b->ret ? NULL : checked(b, json_object());
}

static json_t *array(struct builder *b)
{
	return b->ret ? NULL : checked(b, json_array());
}

/* The hex of a "sha256:<hex>" value, which the document writes without the prefix. */
static const char *sha256_hex(struct builder *b, const char *value, const char *field)
{
	if (!value)
		return NULL;
	if (strncmp(value, "sha256:", 7) != 0) {
		refuse(b, "%s: not \"sha256:\" and 64 lowercase hex digits", field);
		return NULL;
	}
	return value + 7;
}

/* {name, digest: {algorithm: hex}} */
static json_t *descriptor(struct builder *b, const char *name, const char *algorithm, const char *hex,
			  const char *field)
{
	json_t *rd = object(b), *digest = object(b);

	set(b, rd, "name", text(b, name, field));
	set(b, digest, algorithm, text(b, hex, field));
	set(b, rd, "digest", digest);
	return rd;
}

static json_t *string_array(struct builder *b, char *const *items, size_t n, const char *field)
{
	json_t *arr = array(b);
	char name[64];

	for (size_t i = 0; i < n && !b->ret; i++) {
		snprintf(name, sizeof(name), "%s[%zu]", field, i);
		push(b, arr, text(b, items[i], name));
	}
	return arr;
}

/* Variables, name -> value (env, launcher): what is called "what"[i] in messages. */
static json_t *variables_object(struct builder *b, const el_record_pair *pairs, size_t count, const char *what)
{
	json_t *env = object(b);
	char field[64];

	for (size_t i = 0; i < count && !b->ret; i++) {
		const char *name = pairs[i].name;

		snprintf(field, sizeof(field), "%s[%zu].name", what, i);
		if (!name || !el__utf8_valid(name, strlen(name)))
			refuse(b, "%s: %s", field, name ? "not UTF-8" : "NULL");
		else if (json_object_get(env, name))
			refuse(b, "%s: %s given twice", field, name);
		snprintf(field, sizeof(field), "%s[%zu].value", what, i);
		set(b, env, name, text(b, pairs[i].value, field));
		/* A NULL value would be left out: the reader should see it missing. */
		if (!pairs[i].value && !b->ret)
			set(b, env, name, checked(b, json_null()));
	}
	return env;
}

static json_t *mounts_array(struct builder *b, const el_record *r)
{
	json_t *mounts = array(b);
	char field[64];

	for (size_t i = 0; i < r->mount_count && !b->ret; i++) {
		const el_record_mount *m = &r->mounts[i];
		json_t *mount = object(b);

		snprintf(field, sizeof(field), "mounts[%zu]", i);
		if (!el_mount_kind_name(m->kind))
			refuse(b, "%s.kind: not bind, ro-bind or tmpfs", field);
		set(b, mount, "kind", text(b, el_mount_kind_name(m->kind), field));
		set(b, mount, "source", text(b, m->source, field));
		set(b, mount, "dest", text(b, m->dest, field));
		push(b, mounts, mount);
	}
	return mounts;
}

static json_t *outputs_array(struct builder *b, const el_record *r)
{
	json_t *outputs = array(b);
	char field[64];

	for (size_t i = 0; i < r->output_count && !b->ret; i++) {
		snprintf(field, sizeof(field), "outputs[%zu].path", i);
		push(b, outputs, text(b, r->outputs[i].path, field));
	}
	return outputs;
}

static json_t *lock_object(struct builder *b, const el_record *r)
{
	json_t *lock, *digest;

	if (!r->lock_path && !r->lock_fingerprint)
		return NULL;
	lock = object(b);
	digest = object(b);
	set(b, lock, "path", text(b, r->lock_path, "lock_path"));
	set(b, digest, "sha256", text(b, sha256_hex(b, r->lock_fingerprint, "lock_fingerprint"), "lock_fingerprint"));
	/* A lock with no fingerprint keeps an empty digest, so the reader names what is missing. */
	set(b, lock, "digest", digest);
	return lock;
}

static json_t *external_parameters(struct builder *b, const el_record *r)
{
	json_t *ext = object(b);

	set(b, ext, "argv", string_array(b, r->argv, r->argc, "argv"));
	set(b, ext, "workdir", text(b, r->workdir, "workdir"));
	set(b, ext, "lock", lock_object(b, r));
	set(b, ext, "env", variables_object(b, r->env, r->env_count, "env"));
	set(b, ext, "seed", text(b, r->seed, "seed"));
	set(b, ext, "python", text(b, r->python, "python"));
	if (!el_severity_name(r->on_drift))
		refuse(b, "on_drift: not refuse, warn or ignore");
	set(b, ext, "onDrift", text(b, el_severity_name(r->on_drift), "on_drift"));
	set(b, ext, "mounts", mounts_array(b, r));
	set(b, ext, "outputs", outputs_array(b, r));
	if (r->traced)
		set(b, ext, "trace", checked(b, json_true()));
	if (r->launcher_count)
		set(b, ext, "launcher", variables_object(b, r->launcher, r->launcher_count, "launcher"));
	return ext;
}

static json_t *internal_parameters(struct builder *b, const el_record *r)
{
	json_t *in = object(b);

	set(b, in, "profile", text(b, r->profile, "profile"));
	if (r->sandbox)
		set(b, in, "sandbox", checked(b, json_deep_copy(r->sandbox->settings)));
	set(b, in, "envlockVersion", text(b, r->envlock_version, "envlock_version"));
	return in;
}

static json_t *code_dependency(struct builder *b, const el_record *r)
{
	json_t *code, *annotations;

	if (r->git_dirty < -1 || r->git_dirty > 1)
		refuse(b, "git_dirty: not 1, 0 or -1");
	if (!r->git_commit) {
		if (r->git_dirty != -1)
			refuse(b, "git_dirty: known without a git_commit");
		return NULL;
	}
	code = descriptor(b, "code", "gitCommit", r->git_commit, "git_commit");
	if (r->git_dirty != -1) {
		annotations = object(b);
		set(b, annotations, "dirty", checked(b, json_boolean(r->git_dirty == 1)));
		set(b, code, "annotations", annotations);
	}
	return code;
}

static json_t *resolved_dependencies(struct builder *b, const el_record *r)
{
	json_t *deps = array(b);
	char field[64];

	if (r->lock_path || r->lock_fingerprint)
		push(b, deps, descriptor(b, r->lock_path, "sha256", sha256_hex(b, r->lock_fingerprint, "lock_fingerprint"),
					 "lock_path"));
	if (r->git_commit || r->git_dirty != -1)
		push(b, deps, code_dependency(b, r));
	for (size_t i = 0; i < r->data_count && !b->ret; i++) {
		snprintf(field, sizeof(field), "data[%zu]", i);
		push(b, deps, descriptor(b, r->data[i].name, "sha256", sha256_hex(b, r->data[i].value, field), field));
	}
	/* The observed objects and the links, merged in one order by name. */
	for (size_t i = 0, k = 0; (i < r->observed_count || k < r->link_count) && !b->ret;) {
		bool link = k < r->link_count &&
			    (i == r->observed_count || strcmp(r->links[k].name, r->observed[i].name) < 0);
		json_t *dep, *annotations = object(b);

		if (link) {
			char hex[EL_SHA256_HEX] = "";

			snprintf(field, sizeof(field), "links[%zu]", k);
			if (!r->links[k].value || el__sha256_hex(hex, r->links[k].value, strlen(r->links[k].value)) != EL_OK)
				refuse(b, "%s: no link text", field);
			dep = descriptor(b, r->links[k].name, "sha256", hex, field);
			set(b, annotations, "observed", checked(b, json_true()));
			set(b, annotations, "linkTarget", text(b, r->links[k].value, field));
			k++;
		} else {
			snprintf(field, sizeof(field), "observed[%zu]", i);
			dep = descriptor(b, r->observed[i].name, "sha256", sha256_hex(b, r->observed[i].value, field),
					 field);
			set(b, annotations, "observed", checked(b, json_true()));
			i++;
		}
		set(b, dep, "annotations", annotations);
		push(b, deps, dep);
	}
	return deps;
}

static json_t *build_definition(struct builder *b, const el_record *r)
{
	json_t *bd = object(b);

	set(b, bd, "buildType", checked(b, json_string(EL__RECORD_BUILD_TYPE)));
	set(b, bd, "externalParameters", external_parameters(b, r));
	set(b, bd, "internalParameters", internal_parameters(b, r));
	set(b, bd, "resolvedDependencies", resolved_dependencies(b, r));
	return bd;
}

static json_t *time_text(struct builder *b, const struct timespec *ts, const char *field)
{
	char when[EL__RECORD_TIME_SIZE];

	if (b->ret)
		return NULL;
	if (el__record_time_format(when, ts) != EL_OK) {
		refuse(b, "%s: not a time between the years 0 and 9999", field);
		return NULL;
	}
	return checked(b, json_string(when));
}

static json_t *metadata(struct builder *b, const el_record *r)
{
	char id[EL_RECORD_ID_SIZE] = "";
	json_t *meta = object(b);

	/* A record that was never given an id gets a fresh one each time it is written. */
	if (strnlen(r->invocation_id, sizeof(r->invocation_id)) == sizeof(r->invocation_id))
		refuse(b, "invocation_id: not NUL-terminated");
	else if (r->invocation_id[0])
		memcpy(id, r->invocation_id, sizeof(id));
	else if (!b->ret)
		b->ret = el__random_hex(id, (sizeof(id) - 1) / 2);
	set(b, meta, "invocationId", text(b, id, "invocation_id"));
	set(b, meta, "startedOn", time_text(b, &r->started, "started"));
	set(b, meta, "finishedOn", time_text(b, &r->finished, "finished"));
	return meta;
}

static json_t *builder_object(struct builder *b, const el_record *r)
{
	json_t *builder = object(b), *version = object(b);

	set(b, builder, "id", checked(b, json_string(EL__RECORD_BUILDER_ID)));
	set(b, version, "envlock", text(b, r->envlock_version, "envlock_version"));
	set(b, builder, "version", version);
	return builder;
}

/* CPU time as seconds; JSON_REAL_PRECISION(15) prints it back to the microsecond. */
static json_t *seconds(struct builder *b, const struct timeval *tv)
{
	return checked(b, json_real((double)tv->tv_sec + (double)tv->tv_usec / 1e6));
}

static json_t *run_annotations(struct builder *b, const el_record *r)
{
	json_t *annotations = object(b), *missing = array(b), *usage = object(b);
	char field[64];

	for (size_t i = 0; i < r->output_count && !b->ret; i++) {
		snprintf(field, sizeof(field), "outputs[%zu].path", i);
		if (r->outputs[i].sha256[0] == '\0')
			push(b, missing, text(b, r->outputs[i].path, field));
	}
	set(b, usage, "userSeconds", seconds(b, &r->usage.ru_utime));
	set(b, usage, "systemSeconds", seconds(b, &r->usage.ru_stime));
	set(b, usage, "maxRssKiB", checked(b, json_integer(r->usage.ru_maxrss)));
	set(b, annotations, "exitStatus", checked(b, json_integer(r->exit_status)));
	set(b, annotations, "missingOutputs", missing);
	set(b, annotations, "rusage", usage);
	return annotations;
}

static json_t *drift_annotations(struct builder *b, const el_record *r)
{
	json_t *annotations = object(b);

	set(b, annotations, "findings", checked(b, json_deep_copy(r->drift->findings)));
	return annotations;
}

/*
 * {name, digest, mediaType, annotations}: the annotations are what the
 * byproduct is, and a ResourceDescriptor needs a digest (or a uri, or
 * content), so the digest is that of their canonical text.
 */
static json_t *byproduct(struct builder *b, const char *name, json_t *annotations)
{
	char hex[EL_SHA256_HEX];
	json_t *bp = object(b), *digest = object(b);

	if (!b->ret && annotations)
		b->ret = el__record_annotations_digest(hex, annotations);
	set(b, bp, "name", checked(b, json_string(name)));
	set(b, digest, "sha256", b->ret ? NULL : checked(b, json_string(hex)));
	set(b, bp, "digest", digest);
	set(b, bp, "mediaType", checked(b, json_string(EL__RECORD_BYPRODUCT_MEDIA_TYPE)));
	set(b, bp, "annotations", annotations);
	return bp;
}

json_t *el__record_byproduct_annotations(const el_record *r, bool drift)
{
	struct builder b = { EL_OK };
	json_t *annotations = drift ? drift_annotations(&b, r) : run_annotations(&b, r);

	if (b.ret) {
		json_decref(annotations);
		return NULL;
	}
	return annotations;
}

static json_t *run_details(struct builder *b, const el_record *r)
{
	json_t *rd = object(b), *byproducts = array(b);

	if (r->drift)
		push(b, byproducts, byproduct(b, "drift", drift_annotations(b, r)));
	push(b, byproducts, byproduct(b, "run", run_annotations(b, r)));
	set(b, rd, "builder", builder_object(b, r));
	set(b, rd, "metadata", metadata(b, r));
	set(b, rd, "byproducts", byproducts);
	return rd;
}

/*
 * A Statement needs a subject: without an output that has a digest, the
 * lock and the command stand in. A NULL argv word is left for the reader
 * to name (as argv[N]), and so is a missing argv stand-in.
 */
static void standins(struct builder *b, const el_record *r, json_t *subject)
{
	char hex[EL_SHA256_HEX];

	if (r->lock_fingerprint)
		push(b, subject, descriptor(b, EL__RECORD_SUBJECT_LOCK, "sha256",
					    sha256_hex(b, r->lock_fingerprint, "lock_fingerprint"), "lock_fingerprint"));
	for (size_t i = 0; i < r->argc; i++)
		if (!r->argv || !r->argv[i])
			return;
	if (b->ret || r->argc == 0)
		return;
	if ((b->ret = el__record_argv_digest(hex, r->argv, r->argc)) == EL_OK)
		push(b, subject, descriptor(b, EL__RECORD_SUBJECT_ARGV, "sha256", hex, "argv"));
}

static json_t *subjects(struct builder *b, const el_record *r)
{
	json_t *subject = array(b);
	char field[64];

	for (size_t i = 0; i < r->output_count && !b->ret; i++) {
		const el_record_output *o = &r->outputs[i];

		snprintf(field, sizeof(field), "outputs[%zu]", i);
		if (strnlen(o->sha256, sizeof(o->sha256)) == sizeof(o->sha256))
			refuse(b, "%s.sha256: not NUL-terminated", field);
		else if (o->sha256[0])
			push(b, subject, descriptor(b, o->path, "sha256", o->sha256, field));
	}
	if (!b->ret && subject && json_array_size(subject) == 0)
		standins(b, r, subject);
	return subject;
}

static json_t *statement(struct builder *b, const el_record *r)
{
	json_t *doc = object(b), *predicate = object(b);

	set(b, doc, "_type", checked(b, json_string(EL__STATEMENT_TYPE)));
	set(b, doc, "subject", subjects(b, r));
	set(b, doc, "predicateType", checked(b, json_string(EL__PROVENANCE_TYPE)));
	set(b, predicate, "buildDefinition", build_definition(b, r));
	set(b, predicate, "runDetails", run_details(b, r));
	set(b, doc, "predicate", predicate);
	return doc;
}

int el__record_to_json(json_t **out, const el_record *record)
{
	struct builder b = { EL_OK };
	el_record *back = NULL;
	json_t *doc;

	*out = NULL;
	doc = statement(&b, record);
	if (b.ret == EL_OK)
		b.ret = el__record_from_json(&back, doc, "run record");
	el_record_free(back);
	if (b.ret != EL_OK) {
		json_decref(doc);
		return b.ret;
	}
	*out = doc;
	return EL_OK;
}

int el_record_serialize(char **text_out, size_t *len, const el_record *record)
{
	json_t *doc;
	char *dumped;
	size_t n;
	int ret;

	*text_out = NULL;
	ret = el__record_to_json(&doc, record);
	if (ret != EL_OK)
		return ret;
	dumped = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	json_decref(doc);
	if (!dumped)
		return el__error_oom();
	n = strlen(dumped);
	*text_out = realloc(dumped, n + 2);
	if (!*text_out) {
		free(dumped);
		return el__error_oom();
	}
	(*text_out)[n] = '\n';
	(*text_out)[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return EL_OK;
}
