/*
 * A Statement back into a record: the shape record.c describes and
 * build.c writes, checked member by member. Each refusal is one line,
 * "DISPLAY: MEMBER: what is wrong", naming the member by its path in the
 * document (predicate.buildDefinition.externalParameters.argv[2]).
 */
#include "record/record_internal.h"

#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/buf.h"
#include "util/fs.h"

struct reader {
	const char *display;
	int ret; /* the first failure; every step after it does nothing */
};

__attribute__((format(printf, 3, 4)))
static void bad(struct reader *rd, const char *member, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	if (rd->ret)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	rd->ret = el__error(EL_EINVAL, "%s: %s%s%s", rd->display, member, *member ? ": " : "", what);
}

/* Member paths, cut short if ever longer than the buffer (they name, they do not address). */
__attribute__((format(printf, 3, 4)))
static void name_of(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, size, fmt, ap);
	va_end(ap);
}

static void oom(struct reader *rd)
{
	if (!rd->ret)
		rd->ret = el__error_oom();
}

/* parent[key], which must be of the type check tells; NULL (and a refusal unless optional) when not. */
static json_t *member(struct reader *rd, const json_t *parent, const char *path, const char *key,
		      int (*check)(const json_t *), const char *type, bool optional)
{
	char name[256];
	json_t *v;

	if (rd->ret || !parent)
		return NULL;
	v = json_object_get(parent, key);
	name_of(name, sizeof(name), "%s%s%s", path, *path ? "." : "", key);
	if (!v) {
		if (!optional)
			bad(rd, name, "missing");
		return NULL;
	}
	if (!check(v)) {
		bad(rd, name, "not %s", type);
		return NULL;
	}
	return v;
}

static int is_object(const json_t *v) { return json_is_object(v); }
static int is_array(const json_t *v) { return json_is_array(v); }
static int is_string(const json_t *v) { return json_is_string(v); }
static int is_integer(const json_t *v) { return json_is_integer(v); }
static int is_number(const json_t *v) { return json_is_number(v); }
static int is_boolean(const json_t *v) { return json_is_boolean(v); }

#define OBJECT(rd, p, path, key) member(rd, p, path, key, is_object, "an object", false)
#define ARRAY(rd, p, path, key) member(rd, p, path, key, is_array, "an array", false)
#define STRING(rd, p, path, key) member(rd, p, path, key, is_string, "a string", false)

/* Members other than those named are refused: nothing is read past. */
static void only(struct reader *rd, const json_t *obj, const char *path, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		bool known = false;

		for (const char *const *a = allowed; *a && !known; a++)
			known = strcmp(*a, key) == 0;
		if (!known)
			bad(rd, path, "unexpected member \"%s\"", key);
	}
}

static char *copy(struct reader *rd, const json_t *s)
{
	char *c;

	if (rd->ret || !s)
		return NULL;
	if (!(c = strdup(json_string_value(s))))
		oom(rd);
	return c;
}

static void expect_text(struct reader *rd, const json_t *v, const char *path, const char *want, const char *what)
{
	if (v && strcmp(json_string_value(v), want) != 0)
		bad(rd, "", "not %s (%s is \"%s\")", what, path, json_string_value(v));
}

/* {sha256: 64 lowercase hex} (or gitCommit: 40 or 64 hex); the hex, or NULL. */
static const char *digest_hex(struct reader *rd, const json_t *obj, const char *path, const char *algorithm)
{
	const json_t *digest = OBJECT(rd, obj, path, "digest");
	char dpath[256];
	const json_t *hex;
	const char *text;
	size_t len;

	name_of(dpath, sizeof(dpath), "%s%sdigest", path, *path ? "." : "");
	hex = STRING(rd, digest, dpath, algorithm);
	if (!hex)
		return NULL;
	text = json_string_value(hex);
	len = strlen(text);
	if (strcmp(algorithm, "gitCommit") == 0 ? !((len == 40 || len == 64) && el__record_lower_hex(text, len))
						: !el__record_lower_hex(text, 64)) {
		bad(rd, dpath, "%s: not %s lowercase hex digits", algorithm, strcmp(algorithm, "gitCommit") ? "64" : "40 or 64");
		return NULL;
	}
	return text;
}

static char **strings(struct reader *rd, const json_t *arr, const char *path, size_t *n)
{
	char **out = calloc(json_array_size(arr) + 1, sizeof(*out));
	char name[256];

	*n = 0;
	if (!out) {
		oom(rd);
		return NULL;
	}
	for (size_t i = 0; i < json_array_size(arr) && !rd->ret; i++) {
		const json_t *s = json_array_get(arr, i);

		name_of(name, sizeof(name), "%s[%zu]", path, i);
		if (!json_is_string(s))
			bad(rd, name, "not a string");
		else if ((out[i] = copy(rd, s)))
			(*n)++;
	}
	return out;
}

#define EXT "predicate.buildDefinition.externalParameters"

static void read_lock(struct reader *rd, el_record *r, const json_t *ext)
{
	const json_t *lock = member(rd, ext, EXT, "lock", is_object, "an object", true);
	const char *hex;

	if (!lock)
		return;
	only(rd, lock, EXT ".lock", (const char *const[]){ "path", "digest", NULL });
	r->lock_path = copy(rd, STRING(rd, lock, EXT ".lock", "path"));
	hex = digest_hex(rd, lock, EXT ".lock", "sha256");
	if (hex && asprintf(&r->lock_fingerprint, "sha256:%s", hex) < 0) {
		r->lock_fingerprint = NULL;
		oom(rd);
	}
}

static void read_env(struct reader *rd, el_record *r, const json_t *env)
{
	const char *key;
	json_t *v;
	char name[300];

	if (!env)
		return;
	if (!(r->env = calloc(json_object_size(env) + 1, sizeof(*r->env)))) {
		oom(rd);
		return;
	}
	/* JSON_SORT_KEYS wrote them in strcmp order; jansson keeps the order read. */
	json_object_foreach((json_t *)(uintptr_t)env, key, v) {
		name_of(name, sizeof(name), EXT ".env.%s", key);
		if (!json_is_string(v)) {
			bad(rd, name, "not a string");
			return;
		}
		r->env[r->env_count].name = strdup(key);
		r->env[r->env_count].value = copy(rd, v);
		if (!r->env[r->env_count].name || !r->env[r->env_count].value) {
			free(r->env[r->env_count].name);
			free(r->env[r->env_count].value);
			oom(rd);
			return;
		}
		r->env_count++;
	}
}

static void read_mounts(struct reader *rd, el_record *r, const json_t *mounts)
{
	char name[256];

	if (!mounts)
		return;
	if (!(r->mounts = calloc(json_array_size(mounts) + 1, sizeof(*r->mounts)))) {
		oom(rd);
		return;
	}
	for (size_t i = 0; i < json_array_size(mounts) && !rd->ret; i++) {
		const json_t *m = json_array_get(mounts, i);
		el_record_mount *out = &r->mounts[r->mount_count];
		const json_t *kind;

		name_of(name, sizeof(name), EXT ".mounts[%zu]", i);
		if (!json_is_object(m)) {
			bad(rd, name, "not an object");
			return;
		}
		only(rd, m, name, (const char *const[]){ "kind", "source", "dest", NULL });
		kind = STRING(rd, m, name, "kind");
		if (kind && !el__record_mount_kind_valid(json_string_value(kind)))
			bad(rd, name, "kind: not bind, ro-bind or tmpfs");
		out->kind = copy(rd, kind);
		out->source = copy(rd, member(rd, m, name, "source", is_string, "a string",
					       kind && strcmp(json_string_value(kind), "tmpfs") == 0));
		if (kind && strcmp(json_string_value(kind), "tmpfs") == 0 && json_object_get(m, "source"))
			bad(rd, name, "source: a tmpfs has none");
		out->dest = copy(rd, STRING(rd, m, name, "dest"));
		r->mount_count++;
	}
}

static void read_external(struct reader *rd, el_record *r, const json_t *ext)
{
	const json_t *argv, *workdir, *on_drift;

	only(rd, ext, EXT, (const char *const[]){ "argv", "workdir", "lock", "env", "seed", "python", "onDrift", "mounts", "outputs", NULL });
	argv = ARRAY(rd, ext, EXT, "argv");
	if (argv && json_array_size(argv) == 0)
		bad(rd, EXT ".argv", "empty");
	if (argv)
		r->argv = strings(rd, argv, EXT ".argv", &r->argc);
	workdir = STRING(rd, ext, EXT, "workdir");
	if (workdir && json_string_value(workdir)[0] != '/')
		bad(rd, EXT ".workdir", "not an absolute path");
	r->workdir = copy(rd, workdir);
	read_lock(rd, r, ext);
	read_env(rd, r, OBJECT(rd, ext, EXT, "env"));
	r->seed = copy(rd, member(rd, ext, EXT, "seed", is_string, "a string", true));
	r->python = copy(rd, member(rd, ext, EXT, "python", is_string, "a string", true));
	on_drift = STRING(rd, ext, EXT, "onDrift");
	if (on_drift && !el__record_on_drift_valid(json_string_value(on_drift)))
		bad(rd, EXT ".onDrift", "not refuse, warn or ignore");
	r->on_drift = copy(rd, on_drift);
	read_mounts(rd, r, ARRAY(rd, ext, EXT, "mounts"));
}

/* The outputs asked for; their digests come from the subjects. */
static void read_outputs(struct reader *rd, el_record *r, const json_t *ext, const json_t *subject)
{
	const json_t *outputs = ARRAY(rd, ext, EXT, "outputs");
	char name[256];

	if (!outputs || !subject)
		return;
	if (!(r->outputs = calloc(json_array_size(outputs) + 1, sizeof(*r->outputs)))) {
		oom(rd);
		return;
	}
	for (size_t i = 0; i < json_array_size(outputs) && !rd->ret; i++) {
		const json_t *p = json_array_get(outputs, i);

		name_of(name, sizeof(name), EXT ".outputs[%zu]", i);
		if (!json_is_string(p)) {
			bad(rd, name, "not a string");
			return;
		}
		for (size_t k = 0; k < r->output_count; k++)
			if (strcmp(r->outputs[k].path, json_string_value(p)) == 0)
				bad(rd, name, "\"%s\" given twice", json_string_value(p));
		if ((r->outputs[r->output_count].path = copy(rd, p)))
			r->output_count++;
	}
	for (size_t i = 0; i < json_array_size(subject) && !rd->ret; i++) {
		const json_t *s = json_array_get(subject, i);
		const json_t *sname;
		const char *hex;
		size_t k;

		name_of(name, sizeof(name), "subject[%zu]", i);
		if (!json_is_object(s)) {
			bad(rd, name, "not an object");
			return;
		}
		only(rd, s, name, (const char *const[]){ "name", "digest", NULL });
		sname = STRING(rd, s, name, "name");
		hex = digest_hex(rd, s, name, "sha256");
		if (!sname || !hex)
			return;
		for (k = 0; k < r->output_count && strcmp(r->outputs[k].path, json_string_value(sname)) != 0; k++)
			;
		if (k == r->output_count)
			bad(rd, name, "name: \"%s\" is not one of the outputs", json_string_value(sname));
		else if (r->outputs[k].sha256[0])
			bad(rd, name, "name: \"%s\" is a subject twice", json_string_value(sname));
		else
			memcpy(r->outputs[k].sha256, hex, 65);
	}
}

static void read_internal(struct reader *rd, el_record *r, const json_t *in)
{
	const char *path = "predicate.buildDefinition.internalParameters";
	const json_t *sandbox;

	only(rd, in, path, (const char *const[]){ "profile", "sandbox", "envlockVersion", NULL });
	r->profile = copy(rd, STRING(rd, in, path, "profile"));
	sandbox = member(rd, in, path, "sandbox", is_object, "an object", true);
	if (sandbox && !rd->ret && !(r->sandbox = json_deep_copy(sandbox)))
		oom(rd);
	r->envlock_version = copy(rd, STRING(rd, in, path, "envlockVersion"));
}

/* The lock (when there is one), the code (when known), then the data entries. */
static void read_dependencies(struct reader *rd, el_record *r, const json_t *deps)
{
	const char *path = "predicate.buildDefinition.resolvedDependencies";
	size_t i = 0, n = json_array_size(deps);
	char name[256];

	if (!deps)
		return;
	if (r->lock_path) {
		const json_t *lock = json_array_get(deps, 0);
		const json_t *lname = json_is_object(lock) ? json_object_get(lock, "name") : NULL;
		const char *hex;

		name_of(name, sizeof(name), "%s[0]", path);
		hex = lock ? digest_hex(rd, lock, name, "sha256") : NULL;
		if (!rd->ret && (!json_is_string(lname) || strcmp(json_string_value(lname), r->lock_path) != 0 || !hex ||
				 strcmp(hex, r->lock_fingerprint + 7) != 0))
			bad(rd, name, "not the lock of externalParameters.lock");
		i = 1;
	}
	if (i < n && json_is_object(json_array_get(deps, i)) &&
	    json_is_object(json_object_get(json_array_get(deps, i), "digest")) &&
	    json_object_get(json_object_get(json_array_get(deps, i), "digest"), "gitCommit")) {
		const json_t *code = json_array_get(deps, i), *annotations;

		name_of(name, sizeof(name), "%s[%zu]", path, i);
		only(rd, code, name, (const char *const[]){ "name", "digest", "annotations", NULL });
		expect_text(rd, STRING(rd, code, name, "name"), "name", "code", "the code");
		r->git_commit = copy(rd, json_object_get(json_object_get(code, "digest"), "gitCommit"));
		digest_hex(rd, code, name, "gitCommit");
		annotations = member(rd, code, name, "annotations", is_object, "an object", true);
		if (annotations) {
			char apath[300];
			const json_t *dirty;

			name_of(apath, sizeof(apath), "%s.annotations", name);
			dirty = member(rd, annotations, apath, "dirty", is_boolean, "true or false", false);
			if (dirty)
				r->git_dirty = json_is_true(dirty);
		}
		i++;
	}
	if (!(r->data = calloc(n - i + 1, sizeof(*r->data)))) {
		oom(rd);
		return;
	}
	for (; i < n && !rd->ret; i++) {
		const json_t *d = json_array_get(deps, i);
		const char *hex;

		name_of(name, sizeof(name), "%s[%zu]", path, i);
		if (!json_is_object(d)) {
			bad(rd, name, "not an object");
			return;
		}
		only(rd, d, name, (const char *const[]){ "name", "digest", NULL });
		r->data[r->data_count].name = copy(rd, STRING(rd, d, name, "name"));
		hex = digest_hex(rd, d, name, "sha256");
		if (!rd->ret && asprintf(&r->data[r->data_count].value, "sha256:%s", hex) < 0) {
			r->data[r->data_count].value = NULL;
			oom(rd);
		}
		r->data_count++;
	}
}

#define RUN "predicate.runDetails"

static void read_time(struct reader *rd, struct timespec *ts, const json_t *meta, const char *key)
{
	const json_t *t = STRING(rd, meta, RUN ".metadata", key);

	if (t && !el__record_time_parse(ts, json_string_value(t)))
		bad(rd, RUN ".metadata", "%s: not an RFC 3339 UTC time with nanoseconds", key);
}

static void read_metadata(struct reader *rd, el_record *r, const json_t *meta)
{
	const json_t *id;

	only(rd, meta, RUN ".metadata", (const char *const[]){ "invocationId", "startedOn", "finishedOn", NULL });
	id = STRING(rd, meta, RUN ".metadata", "invocationId");
	if (id && !el__record_lower_hex(json_string_value(id), EL_RECORD_ID_SIZE - 1))
		bad(rd, RUN ".metadata.invocationId", "not %d lowercase hex digits", EL_RECORD_ID_SIZE - 1);
	else if (id)
		memcpy(r->invocation_id, json_string_value(id), EL_RECORD_ID_SIZE);
	read_time(rd, &r->started, meta, "startedOn");
	read_time(rd, &r->finished, meta, "finishedOn");
}

static void read_builder(struct reader *rd, const el_record *r, const json_t *builder)
{
	const json_t *version;

	only(rd, builder, RUN ".builder", (const char *const[]){ "id", "version", NULL });
	expect_text(rd, STRING(rd, builder, RUN ".builder", "id"), RUN ".builder.id", EL__RECORD_BUILDER_ID,
		    "a record of envlock exec");
	version = OBJECT(rd, builder, RUN ".builder", "version");
	if (version && r->envlock_version)
		expect_text(rd, STRING(rd, version, RUN ".builder.version", "envlock"), RUN ".builder.version.envlock",
			    r->envlock_version, "the envlockVersion of internalParameters");
}

/* Seconds (a JSON number) as a timeval, to the microsecond. */
static void read_seconds(struct reader *rd, struct timeval *tv, const json_t *v, const char *path, const char *key)
{
	double d;
	long long usec;

	if (!v)
		return;
	d = json_number_value(v);
	if (!(d >= 0 && d < 1e15)) {
		bad(rd, path, "%s: not a number of seconds", key);
		return;
	}
	usec = (long long)(d * 1e6 + 0.5);
	tv->tv_sec = (time_t)(usec / 1000000);
	tv->tv_usec = (suseconds_t)(usec % 1000000);
}

static void read_run(struct reader *rd, el_record *r, const json_t *run, const char *path)
{
	char apath[256];
	const json_t *a, *status, *missing, *usage, *v;

	name_of(apath, sizeof(apath), "%s.annotations", path);
	a = OBJECT(rd, run, path, "annotations");
	only(rd, a, apath, (const char *const[]){ "exitStatus", "missingOutputs", "rusage", NULL });
	status = member(rd, a, apath, "exitStatus", is_integer, "an integer", false);
	if (status && (json_integer_value(status) < 0 || json_integer_value(status) > 255))
		bad(rd, apath, "exitStatus: not from 0 to 255");
	else if (status)
		r->exit_status = (int)json_integer_value(status);
	missing = ARRAY(rd, a, apath, "missingOutputs");
	for (size_t i = 0; missing && i < json_array_size(missing) && !rd->ret; i++) {
		const json_t *m = json_array_get(missing, i);
		size_t k;

		for (k = 0; json_is_string(m) && k < r->output_count && strcmp(r->outputs[k].path, json_string_value(m)); k++)
			;
		if (!json_is_string(m) || k == r->output_count || r->outputs[k].sha256[0])
			bad(rd, apath, "missingOutputs[%zu]: not an output without a subject", i);
	}
	/* Every output is a subject or missing, never neither. */
	for (size_t k = 0; missing && k < r->output_count && !rd->ret; k++) {
		bool listed = r->outputs[k].sha256[0] != '\0';

		for (size_t i = 0; !listed && i < json_array_size(missing); i++)
			listed = strcmp(json_string_value(json_array_get(missing, i)), r->outputs[k].path) == 0;
		if (!listed)
			bad(rd, apath, "missingOutputs: \"%s\" is neither a subject nor missing", r->outputs[k].path);
	}
	usage = member(rd, a, apath, "rusage", is_object, "an object", false);
	name_of(apath + strlen(apath), sizeof(apath) - strlen(apath), "%s", ".rusage");
	only(rd, usage, apath, (const char *const[]){ "userSeconds", "systemSeconds", "maxRssKiB", NULL });
	read_seconds(rd, &r->usage.ru_utime, member(rd, usage, apath, "userSeconds", is_number, "a number", false),
		     apath, "userSeconds");
	read_seconds(rd, &r->usage.ru_stime, member(rd, usage, apath, "systemSeconds", is_number, "a number", false),
		     apath, "systemSeconds");
	v = member(rd, usage, apath, "maxRssKiB", is_integer, "an integer", false);
	if (v && json_integer_value(v) < 0)
		bad(rd, apath, "maxRssKiB: negative");
	else if (v)
		r->usage.ru_maxrss = (long)json_integer_value(v);
}

static void read_drift(struct reader *rd, el_record *r, const json_t *drift, const char *path)
{
	char apath[256];
	const json_t *a, *findings;

	name_of(apath, sizeof(apath), "%s.annotations", path);
	a = OBJECT(rd, drift, path, "annotations");
	only(rd, a, apath, (const char *const[]){ "findings", NULL });
	findings = ARRAY(rd, a, apath, "findings");
	for (size_t i = 0; findings && i < json_array_size(findings) && !rd->ret; i++) {
		const json_t *f = json_array_get(findings, i), *sev;
		char fpath[300];

		name_of(fpath, sizeof(fpath), "%s.findings[%zu]", apath, i);
		if (!json_is_object(f)) {
			bad(rd, fpath, "not an object");
			return;
		}
		STRING(rd, f, fpath, "path");
		sev = STRING(rd, f, fpath, "severity");
		if (sev && strcmp(json_string_value(sev), "refuse") && strcmp(json_string_value(sev), "warn") &&
		    strcmp(json_string_value(sev), "ignore"))
			bad(rd, fpath, "severity: not refuse, warn or ignore");
	}
	if (findings && !rd->ret && !(r->drift = json_deep_copy(findings)))
		oom(rd);
}

/* The drift byproduct (when a check was made), then the run's. */
static void read_byproducts(struct reader *rd, el_record *r, const json_t *list)
{
	const char *path = RUN ".byproducts";
	size_t i = 0, n = json_array_size(list);
	char name[256];

	for (; list && i < n && !rd->ret; i++) {
		const json_t *b = json_array_get(list, i);
		const json_t *bname;

		name_of(name, sizeof(name), "%s[%zu]", path, i);
		if (!json_is_object(b)) {
			bad(rd, name, "not an object");
			return;
		}
		only(rd, b, name, (const char *const[]){ "name", "annotations", NULL });
		bname = STRING(rd, b, name, "name");
		if (!bname)
			return;
		if (strcmp(json_string_value(bname), "drift") == 0 && i == 0 && n == 2)
			read_drift(rd, r, b, name);
		else if (strcmp(json_string_value(bname), "run") == 0 && i == n - 1)
			read_run(rd, r, b, name);
		else
			bad(rd, name, "name: \"%s\" where %s was expected", json_string_value(bname),
			    i == n - 1 ? "\"run\"" : "\"drift\"");
	}
	if (list && n == 0)
		bad(rd, path, "empty (the run's byproduct is missing)");
}

int el__record_from_json(el_record **out, const json_t *doc, const char *display)
{
	struct reader rd = { .display = display };
	el_record *r = el_record_new();
	const json_t *type, *subject, *ptype, *predicate, *bd, *ext, *details;

	*out = NULL;
	if (!r)
		return el__error_oom();
	if (!json_is_object(doc))
		bad(&rd, "", "not a JSON object");
	only(&rd, doc, "", (const char *const[]){ "_type", "subject", "predicateType", "predicate", NULL });
	type = STRING(&rd, doc, "", "_type");
	expect_text(&rd, type, "_type", EL__STATEMENT_TYPE, "an in-toto Statement v1");
	subject = ARRAY(&rd, doc, "", "subject");
	ptype = STRING(&rd, doc, "", "predicateType");
	expect_text(&rd, ptype, "predicateType", EL__PROVENANCE_TYPE, "SLSA Provenance v1");
	predicate = OBJECT(&rd, doc, "", "predicate");
	only(&rd, predicate, "predicate", (const char *const[]){ "buildDefinition", "runDetails", NULL });
	bd = OBJECT(&rd, predicate, "predicate", "buildDefinition");
	only(&rd, bd, "predicate.buildDefinition",
	     (const char *const[]){ "buildType", "externalParameters", "internalParameters", "resolvedDependencies", NULL });
	expect_text(&rd, STRING(&rd, bd, "predicate.buildDefinition", "buildType"), "predicate.buildDefinition.buildType",
		    EL__RECORD_BUILD_TYPE, "a record of envlock exec");
	ext = OBJECT(&rd, bd, "predicate.buildDefinition", "externalParameters");
	if (ext)
		read_external(&rd, r, ext);
	read_outputs(&rd, r, ext, subject);
	read_internal(&rd, r, OBJECT(&rd, bd, "predicate.buildDefinition", "internalParameters"));
	read_dependencies(&rd, r, ARRAY(&rd, bd, "predicate.buildDefinition", "resolvedDependencies"));
	details = OBJECT(&rd, predicate, "predicate", "runDetails");
	only(&rd, details, RUN, (const char *const[]){ "builder", "metadata", "byproducts", NULL });
	read_builder(&rd, r, OBJECT(&rd, details, RUN, "builder"));
	read_metadata(&rd, r, OBJECT(&rd, details, RUN, "metadata"));
	read_byproducts(&rd, r, ARRAY(&rd, details, RUN, "byproducts"));
	if (rd.ret != EL_OK) {
		el_record_free(r);
		return rd.ret;
	}
	*out = r;
	return EL_OK;
}

int el_record_parse(el_record **out, const char *text, size_t len, const char *display)
{
	json_error_t err;
	json_t *doc;
	int ret;

	*out = NULL;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!doc)
		return el__error(EL_EINVAL, "%s:%d:%d: invalid JSON: %s", display, err.line, err.column, err.text);
	ret = el__record_from_json(out, doc, display);
	json_decref(doc);
	return ret;
}

int el_record_read(el_record **out, const char *path)
{
	el__buf text;
	int ret;

	*out = NULL;
	el__buf_init(&text);
	ret = el__read_file(&text, path, EL__RECORD_MAX_BYTES, false);
	if (ret == EL_OK)
		ret = el_record_parse(out, text.len ? text.data : "", text.len, path);
	el__buf_free(&text);
	return ret;
}
