/*
 * A Statement back into a record: the shape record.c describes and
 * build.c writes, checked member by member, nothing read past. Each
 * refusal is one line, "DISPLAY: MEMBER: what is wrong", the member named
 * by its path in the document
 * (predicate.buildDefinition.externalParameters.argv[2]), so that a
 * hand-edited or damaged record says where it went wrong.
 */
#include "record/record_internal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lock/path.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/text.h"

struct reader {
	const char *display;
	el__buf path;          /* the member being read */
	int ret;               /* the first failure; every step after it does nothing */
	el_record *r;          /* what has been read so far */
	const json_t *subject; /* the subjects, checked; their digests go to r->outputs */
};

enum type { T_OBJECT, T_ARRAY, T_STRING, T_INTEGER, T_NUMBER, T_BOOLEAN };

typedef void read_fn(struct reader *rd, const json_t *v);

#define EXT "predicate.buildDefinition.externalParameters"

__attribute__((format(printf, 3, 0)))
static void vbad(struct reader *rd, const char *member, const char *fmt, va_list ap)
{
	char what[512];

	if (rd->ret)
		return;
	vsnprintf(what, sizeof(what), fmt, ap);
	rd->ret = el__error(EL_EINVAL, "%s: %s%s%s", rd->display, member, *member ? ": " : "", what);
}

/* Refuse the member being read. */
__attribute__((format(printf, 2, 3)))
static void bad(struct reader *rd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbad(rd, rd->path.data, fmt, ap);
	va_end(ap);
}

/* Refuse a member named in full, for the checks that compare two places. */
__attribute__((format(printf, 3, 4)))
static void bad_named(struct reader *rd, const char *member, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vbad(rd, member, fmt, ap);
	va_end(ap);
}

static size_t enter(struct reader *rd, const char *key)
{
	size_t mark = rd->path.len;

	el__path_key(&rd->path, key);
	return mark;
}

static size_t enter_index(struct reader *rd, size_t i)
{
	size_t mark = rd->path.len;

	el__path_index(&rd->path, i);
	return mark;
}

static void leave(struct reader *rd, size_t mark)
{
	el__buf_truncate(&rd->path, mark);
}

/* Refuse parent.key (the member key of the one being read). */
__attribute__((format(printf, 3, 4)))
static void bad_at(struct reader *rd, const char *key, const char *fmt, ...)
{
	size_t mark = enter(rd, key);
	va_list ap;

	va_start(ap, fmt);
	vbad(rd, rd->path.data, fmt, ap);
	va_end(ap);
	leave(rd, mark);
}

static void oom(struct reader *rd)
{
	if (!rd->ret)
		rd->ret = el__error_oom();
}

/*
 * Text from the file, for a message: printable ASCII only (a record could
 * carry a newline or a terminal escape into our one line) and cut short.
 */
static const char *shown(char out[48], const char *s)
{
	/* 40 characters at most, then "...". */
	el__printable_copy(out, 44, s, strlen(s));
	return out;
}

static const char *type_name(enum type t)
{
	switch (t) {
	case T_OBJECT: return "an object";
	case T_ARRAY: return "an array";
	case T_STRING: return "a string";
	case T_INTEGER: return "an integer";
	case T_NUMBER: return "a number";
	case T_BOOLEAN: return "true or false";
	}
	return "a value";
}

static bool has_type(const json_t *v, enum type t)
{
	switch (t) {
	case T_OBJECT: return json_is_object(v);
	case T_ARRAY: return json_is_array(v);
	case T_STRING: return json_is_string(v);
	case T_INTEGER: return json_is_integer(v);
	case T_NUMBER: return json_is_number(v);
	case T_BOOLEAN: return json_is_boolean(v);
	}
	return false;
}

/* v, the member being read, checked to be of type t; NULL (refused) when it is not. */
static const json_t *typed(struct reader *rd, const json_t *v, enum type t)
{
	if (rd->ret)
		return NULL;
	if (!v)
		bad(rd, "missing");
	else if (!has_type(v, t))
		bad(rd, "not %s", type_name(t));
	return rd->ret ? NULL : v;
}

/* parent[key] of type t; NULL when absent (refused unless optional) or refused. */
static const json_t *get(struct reader *rd, const json_t *parent, const char *key, enum type t, bool optional)
{
	const json_t *v;
	size_t mark;

	if (rd->ret || !parent)
		return NULL;
	v = json_object_get(parent, key);
	if (!v && optional)
		return NULL;
	mark = enter(rd, key);
	v = typed(rd, v, t);
	leave(rd, mark);
	return v;
}

/* Read parent[key] with fn, its path entered. */
static void descend(struct reader *rd, const json_t *parent, const char *key, enum type t, bool optional, read_fn *fn)
{
	const json_t *v = get(rd, parent, key, t, optional);
	size_t mark;

	if (!v)
		return;
	mark = enter(rd, key);
	fn(rd, v);
	leave(rd, mark);
}

/* Read each item of the array being read with fn, which gets objects only. */
static void each(struct reader *rd, const json_t *arr, read_fn *fn)
{
	for (size_t i = 0; i < json_array_size(arr) && !rd->ret; i++) {
		size_t mark = enter_index(rd, i);

		if (typed(rd, json_array_get(arr, i), T_OBJECT))
			fn(rd, json_array_get(arr, i));
		leave(rd, mark);
	}
}

/* Members other than those named are refused. */
static void only(struct reader *rd, const json_t *obj, const char *const *allowed)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		const char *const *a = allowed;

		while (*a && strcmp(*a, key) != 0)
			a++;
		if (!*a) {
			bad_at(rd, key, "not part of a run record");
			return;
		}
	}
}

#define ONLY(rd, obj, ...) only(rd, obj, (const char *const[]){ __VA_ARGS__, NULL })

static char *dup(struct reader *rd, const json_t *s)
{
	char *c;

	if (rd->ret || !s)
		return NULL;
	if (!(c = strdup(json_string_value(s))))
		oom(rd);
	return c;
}

/* A copy of the string parent[key]; NULL when absent (and optional) or refused. */
static char *take(struct reader *rd, const json_t *parent, const char *key, bool optional)
{
	return dup(rd, get(rd, parent, key, T_STRING, optional));
}

/* The string parent[key] must be want; what is refused names what the document is not. */
static void expect(struct reader *rd, const json_t *parent, const char *key, const char *want)
{
	const json_t *v = get(rd, parent, key, T_STRING, false);
	char seen[48];

	if (v && strcmp(json_string_value(v), want) != 0)
		bad_at(rd, key, "\"%s\" where \"%s\" was expected", shown(seen, json_string_value(v)), want);
}

/* "sha256:" and hex, malloc'd. */
static char *prefixed(struct reader *rd, const char *hex)
{
	char *s;

	if (rd->ret || !hex)
		return NULL;
	if (asprintf(&s, "sha256:%s", hex) < 0) {
		oom(rd);
		return NULL;
	}
	return s;
}

/* parent.digest, a DigestSet of the one algorithm: its lowercase hex, borrowed; NULL when refused. */
static const char *digest(struct reader *rd, const json_t *parent, const char *algorithm)
{
	const json_t *set = get(rd, parent, "digest", T_OBJECT, false), *hex;
	bool git = strcmp(algorithm, "gitCommit") == 0;
	const char *text = NULL;
	size_t mark;

	if (!set)
		return NULL;
	mark = enter(rd, "digest");
	only(rd, set, (const char *const[]){ algorithm, NULL });
	if ((hex = get(rd, set, algorithm, T_STRING, false))) {
		text = json_string_value(hex);
		if (git ? !el__lower_hex_str(text, 40) && !el__lower_hex_str(text, 64) : !el__lower_hex_str(text, 64))
			bad_at(rd, algorithm, "not %s lowercase hex digits", git ? "40 or 64" : "64");
	}
	leave(rd, mark);
	return rd->ret ? NULL : text;
}

/* The strings of an array (the member being read), copied; *n of them. */
static char **strings(struct reader *rd, const json_t *arr, size_t *n)
{
	char **out = calloc(json_array_size(arr) + 1, sizeof(*out));

	*n = 0;
	if (!out) {
		oom(rd);
		return NULL;
	}
	for (size_t i = 0; i < json_array_size(arr) && !rd->ret; i++) {
		size_t mark = enter_index(rd, i);

		if ((out[*n] = dup(rd, typed(rd, json_array_get(arr, i), T_STRING))))
			(*n)++;
		leave(rd, mark);
	}
	return out;
}

/* ---- subject ---- */

static void read_subject(struct reader *rd, const json_t *s)
{
	ONLY(rd, s, "name", "digest");
	get(rd, s, "name", T_STRING, false);
	digest(rd, s, "sha256");
}

/* ---- predicate.buildDefinition ---- */

static void read_argv(struct reader *rd, const json_t *argv)
{
	if (json_array_size(argv) == 0)
		bad(rd, "empty");
	else
		rd->r->argv = strings(rd, argv, &rd->r->argc);
}

static void read_lock(struct reader *rd, const json_t *lock)
{
	ONLY(rd, lock, "path", "digest");
	rd->r->lock_path = take(rd, lock, "path", false);
	rd->r->lock_fingerprint = prefixed(rd, digest(rd, lock, "sha256"));
}

static void read_env(struct reader *rd, const json_t *env)
{
	el_record *r = rd->r;
	const char *key;
	json_t *v;

	if (!(r->env = calloc(json_object_size(env) + 1, sizeof(*r->env)))) {
		oom(rd);
		return;
	}
	/* Written with sorted keys; jansson keeps the order it read. */
	json_object_foreach((json_t *)(uintptr_t)env, key, v) {
		el_record_pair *p = &r->env[r->env_count];
		size_t mark = enter(rd, key);

		p->value = dup(rd, typed(rd, v, T_STRING));
		leave(rd, mark);
		if (rd->ret)
			return;
		r->env_count++;
		if (!(p->name = strdup(key))) {
			oom(rd);
			return;
		}
	}
}

static void read_mount(struct reader *rd, const json_t *m)
{
	el_record_mount *out = &rd->r->mounts[rd->r->mount_count++];
	const json_t *kind;
	bool tmpfs = false;

	ONLY(rd, m, "kind", "source", "dest");
	kind = get(rd, m, "kind", T_STRING, false);
	if (kind && el_mount_kind_parse(&out->kind, json_string_value(kind)) != EL_OK)
		bad_at(rd, "kind", "not bind, ro-bind or tmpfs");
	else if (kind)
		tmpfs = out->kind == EL_MOUNT_TMPFS;
	if (tmpfs && json_object_get(m, "source"))
		bad_at(rd, "source", "a tmpfs has none");
	out->source = take(rd, m, "source", tmpfs);
	out->dest = take(rd, m, "dest", false);
}

static void read_mounts(struct reader *rd, const json_t *mounts)
{
	if (!(rd->r->mounts = calloc(json_array_size(mounts) + 1, sizeof(*rd->r->mounts))))
		oom(rd);
	else
		each(rd, mounts, read_mount);
}

/* The paths asked for; their digests come from the subjects (see match_outputs). */
static void read_outputs(struct reader *rd, const json_t *outputs)
{
	el_record *r = rd->r;
	size_t n = json_array_size(outputs);

	if (!(r->outputs = calloc(n + 1, sizeof(*r->outputs)))) {
		oom(rd);
		return;
	}
	for (size_t i = 0; i < n && !rd->ret; i++) {
		size_t mark = enter_index(rd, i);

		if ((r->outputs[i].path = dup(rd, typed(rd, json_array_get(outputs, i), T_STRING))))
			r->output_count++;
		for (size_t k = 0; k < i && !rd->ret; k++)
			if (strcmp(r->outputs[k].path, r->outputs[i].path) == 0)
				bad(rd, "the same as outputs[%zu]", k);
		leave(rd, mark);
	}
}

static void read_external(struct reader *rd, const json_t *ext)
{
	el_record *r = rd->r;
	const json_t *on_drift;

	ONLY(rd, ext, "argv", "workdir", "lock", "env", "seed", "python", "onDrift", "mounts", "outputs");
	descend(rd, ext, "argv", T_ARRAY, false, read_argv);
	r->workdir = take(rd, ext, "workdir", false);
	if (r->workdir && r->workdir[0] != '/')
		bad_at(rd, "workdir", "not an absolute path");
	descend(rd, ext, "lock", T_OBJECT, true, read_lock);
	descend(rd, ext, "env", T_OBJECT, false, read_env);
	r->seed = take(rd, ext, "seed", true);
	r->python = take(rd, ext, "python", true);
	on_drift = get(rd, ext, "onDrift", T_STRING, false);
	if (on_drift && el_severity_parse(&r->on_drift, json_string_value(on_drift)) != EL_OK)
		bad_at(rd, "onDrift", "not refuse, warn or ignore");
	descend(rd, ext, "mounts", T_ARRAY, false, read_mounts);
	descend(rd, ext, "outputs", T_ARRAY, false, read_outputs);
}

static void read_internal(struct reader *rd, const json_t *in)
{
	const json_t *sandbox;

	ONLY(rd, in, "profile", "sandbox", "envlockVersion");
	rd->r->profile = take(rd, in, "profile", false);
	sandbox = get(rd, in, "sandbox", T_OBJECT, true);
	if (sandbox && !(rd->r->sandbox = el__record_sandbox_wrap(json_deep_copy(sandbox))))
		oom(rd);
	rd->r->envlock_version = take(rd, in, "envlockVersion", false);
}

/* The lock's entry must repeat externalParameters.lock. */
static void read_lock_dependency(struct reader *rd, const json_t *dep)
{
	const el_record *r = rd->r;
	const json_t *name;
	const char *hex;

	ONLY(rd, dep, "name", "digest");
	name = get(rd, dep, "name", T_STRING, false);
	hex = digest(rd, dep, "sha256");
	if (name && hex && (strcmp(json_string_value(name), r->lock_path) != 0 || strcmp(hex, r->lock_fingerprint + 7) != 0))
		bad(rd, "not the lock of " EXT ".lock");
}

static bool is_code(const json_t *dep)
{
	return json_object_get(json_object_get(dep, "digest"), "gitCommit") != NULL;
}

static void read_code_annotations(struct reader *rd, const json_t *a)
{
	const json_t *dirty;

	ONLY(rd, a, "dirty");
	if ((dirty = get(rd, a, "dirty", T_BOOLEAN, false)))
		rd->r->git_dirty = json_is_true(dirty);
}

static void read_code(struct reader *rd, const json_t *dep)
{
	const char *commit;

	ONLY(rd, dep, "name", "digest", "annotations");
	expect(rd, dep, "name", "code");
	commit = digest(rd, dep, "gitCommit");
	if (commit && !(rd->r->git_commit = strdup(commit)))
		oom(rd);
	descend(rd, dep, "annotations", T_OBJECT, true, read_code_annotations);
}

static void read_data(struct reader *rd, const json_t *dep)
{
	el_record_pair *p = &rd->r->data[rd->r->data_count++];

	ONLY(rd, dep, "name", "digest");
	p->name = take(rd, dep, "name", false);
	p->value = prefixed(rd, digest(rd, dep, "sha256"));
}

static bool is_observed(const json_t *dep)
{
	return json_object_get(dep, "annotations") != NULL;
}

static void read_observed_annotations(struct reader *rd, const json_t *a)
{
	const json_t *observed;

	ONLY(rd, a, "observed");
	if ((observed = get(rd, a, "observed", T_BOOLEAN, false)) && !json_is_true(observed))
		bad_at(rd, "observed", "not true");
}

/* A shared object the run loaded: an absolute path, after the one before it. */
static void read_observed(struct reader *rd, const json_t *dep)
{
	el_record *r = rd->r;
	el_record_pair *p = &r->observed[r->observed_count];

	ONLY(rd, dep, "name", "digest", "annotations");
	descend(rd, dep, "annotations", T_OBJECT, false, read_observed_annotations);
	p->name = take(rd, dep, "name", false);
	p->value = prefixed(rd, digest(rd, dep, "sha256"));
	if (p->name || p->value)
		r->observed_count++;
	if (rd->ret)
		return;
	if (p->name[0] != '/')
		bad_at(rd, "name", "not an absolute path");
	else if (r->observed_count > 1 && strcmp(r->observed[r->observed_count - 2].name, p->name) >= 0)
		bad_at(rd, "name", "not after the observed object before it (sorted by path, each once)");
}

/* One entry, its index entered. */
static void read_entry(struct reader *rd, const json_t *deps, size_t i, read_fn *fn)
{
	size_t mark = enter_index(rd, i);

	if (typed(rd, json_array_get(deps, i), T_OBJECT))
		fn(rd, json_array_get(deps, i));
	leave(rd, mark);
}

/* The lock (when there is one), the code (when known), the data entries, then the observed objects. */
static void read_dependencies(struct reader *rd, const json_t *deps)
{
	size_t i = 0, n = json_array_size(deps);

	if (rd->r->lock_path) {
		if (n == 0) {
			bad(rd, "no entry for the lock of " EXT ".lock");
			return;
		}
		read_entry(rd, deps, i++, read_lock_dependency);
	}
	if (i < n && is_code(json_array_get(deps, i)))
		read_entry(rd, deps, i++, read_code);
	if (!(rd->r->data = calloc(n - i + 1, sizeof(*rd->r->data))) ||
	    !(rd->r->observed = calloc(n - i + 1, sizeof(*rd->r->observed)))) {
		oom(rd);
		return;
	}
	while (i < n && !rd->ret && !is_observed(json_array_get(deps, i)))
		read_entry(rd, deps, i++, read_data);
	/* The observed objects come last: a data entry after them is refused as one of them. */
	while (i < n && !rd->ret)
		read_entry(rd, deps, i++, read_observed);
}

static void read_build_definition(struct reader *rd, const json_t *bd)
{
	ONLY(rd, bd, "buildType", "externalParameters", "internalParameters", "resolvedDependencies");
	expect(rd, bd, "buildType", EL__RECORD_BUILD_TYPE);
	descend(rd, bd, "externalParameters", T_OBJECT, false, read_external);
	descend(rd, bd, "internalParameters", T_OBJECT, false, read_internal);
	descend(rd, bd, "resolvedDependencies", T_ARRAY, false, read_dependencies);
}

/* ---- predicate.runDetails ---- */

static void read_version(struct reader *rd, const json_t *version)
{
	const json_t *v;

	ONLY(rd, version, "envlock");
	v = get(rd, version, "envlock", T_STRING, false);
	if (v && strcmp(json_string_value(v), rd->r->envlock_version) != 0)
		bad_at(rd, "envlock", "not the envlockVersion of predicate.buildDefinition.internalParameters");
}

static void read_builder(struct reader *rd, const json_t *builder)
{
	ONLY(rd, builder, "id", "version");
	expect(rd, builder, "id", EL__RECORD_BUILDER_ID);
	descend(rd, builder, "version", T_OBJECT, false, read_version);
}

static void read_time(struct reader *rd, const json_t *meta, const char *key, struct timespec *ts)
{
	const json_t *t = get(rd, meta, key, T_STRING, false);

	if (t && !el__record_time_parse(ts, json_string_value(t)))
		bad_at(rd, key, "not an RFC 3339 UTC time with nanoseconds (YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ)");
}

static void read_metadata(struct reader *rd, const json_t *meta)
{
	const json_t *id;

	ONLY(rd, meta, "invocationId", "startedOn", "finishedOn");
	id = get(rd, meta, "invocationId", T_STRING, false);
	if (id && !el__lower_hex_str(json_string_value(id), EL_RECORD_ID_SIZE - 1))
		bad_at(rd, "invocationId", "not %d lowercase hex digits", EL_RECORD_ID_SIZE - 1);
	else if (id)
		memcpy(rd->r->invocation_id, json_string_value(id), EL_RECORD_ID_SIZE);
	read_time(rd, meta, "startedOn", &rd->r->started);
	read_time(rd, meta, "finishedOn", &rd->r->finished);
}

static void read_finding(struct reader *rd, const json_t *f)
{
	const json_t *severity;
	el_severity parsed;

	/* Findings carry what check --format json gives; path and severity are what a record relies on. */
	get(rd, f, "path", T_STRING, false);
	severity = get(rd, f, "severity", T_STRING, false);
	if (severity && el_severity_parse(&parsed, json_string_value(severity)) != EL_OK)
		bad_at(rd, "severity", "not refuse, warn or ignore");
}

static void read_findings(struct reader *rd, const json_t *findings)
{
	each(rd, findings, read_finding);
	if (!rd->ret && !(rd->r->drift = el__record_drift_wrap(json_deep_copy(findings))))
		oom(rd);
}

static void read_drift(struct reader *rd, const json_t *a)
{
	ONLY(rd, a, "findings");
	descend(rd, a, "findings", T_ARRAY, false, read_findings);
}

/* CPU seconds (a JSON number) into a timeval, to the microsecond. */
static void read_seconds(struct reader *rd, const json_t *usage, const char *key, struct timeval *tv)
{
	const json_t *v = get(rd, usage, key, T_NUMBER, false);
	long long usec;
	double d;

	if (!v)
		return;
	d = json_number_value(v);
	if (!(d >= 0 && d < 1e15)) {
		bad_at(rd, key, "not a number of seconds from 0 to 10^15");
		return;
	}
	usec = (long long)(d * 1e6 + 0.5);
	tv->tv_sec = (time_t)(usec / 1000000);
	tv->tv_usec = (suseconds_t)(usec % 1000000);
}

static void read_rusage(struct reader *rd, const json_t *usage)
{
	const json_t *rss;

	ONLY(rd, usage, "userSeconds", "systemSeconds", "maxRssKiB");
	read_seconds(rd, usage, "userSeconds", &rd->r->usage.ru_utime);
	read_seconds(rd, usage, "systemSeconds", &rd->r->usage.ru_stime);
	rss = get(rd, usage, "maxRssKiB", T_INTEGER, false);
	if (rss && json_integer_value(rss) < 0)
		bad_at(rd, "maxRssKiB", "negative");
	else if (rss)
		rd->r->usage.ru_maxrss = (long)json_integer_value(rss);
}

static const char *subject_name(const json_t *subject, size_t j)
{
	return json_string_value(json_object_get(json_array_get(subject, j), "name"));
}

/* subject[k] must be the stand-in named want_name, with the digest want_hex. */
static void standin(struct reader *rd, size_t k, const char *want_name, const char *want_hex, const char *what)
{
	const json_t *s = json_array_get(rd->subject, k);
	const char *name = json_string_value(json_object_get(s, "name"));
	const char *hex = json_string_value(json_object_get(json_object_get(s, "digest"), "sha256"));
	char member[48], seen[48];

	if (strcmp(name, want_name) != 0) {
		snprintf(member, sizeof(member), "subject[%zu].name", k);
		bad_named(rd, member, "\"%s\" where \"%s\" was expected", shown(seen, name), want_name);
	} else if (strcmp(hex, want_hex) != 0) {
		snprintf(member, sizeof(member), "subject[%zu]", k);
		bad_named(rd, member, "%s", what);
	}
}

/*
 * No output has a digest: the subjects are the lock's stand-in (when there
 * is a lock) and the command's, or none at all in a record written before
 * stand-ins were.
 */
static void read_standins(struct reader *rd)
{
	const el_record *r = rd->r;
	size_t ns = json_array_size(rd->subject), k = 0;
	char hex[EL_SHA256_HEX];

	if (ns == 0 || rd->ret)
		return;
	if (ns != (r->lock_fingerprint ? 2u : 1u)) {
		bad_named(rd, "subject", "%zu entries where %s expected (no output has a digest)", ns,
			  r->lock_fingerprint ? "the stand-ins " EL__RECORD_SUBJECT_LOCK " and " EL__RECORD_SUBJECT_ARGV " were"
					      : "the stand-in " EL__RECORD_SUBJECT_ARGV " was");
		return;
	}
	if (r->lock_fingerprint)
		standin(rd, k++, EL__RECORD_SUBJECT_LOCK, r->lock_fingerprint + 7,
			"not the fingerprint of " EXT ".lock");
	if (rd->ret)
		return;
	if (el__record_argv_digest(hex, r->argv, r->argc) != EL_OK) {
		rd->ret = el_error_last_code();
		return;
	}
	standin(rd, k, EL__RECORD_SUBJECT_ARGV, hex,
		"not the sha256 of " EXT ".argv (each word followed by a NUL byte)");
}

/*
 * Each output, in order, is either the next subject (which gives its
 * digest) or the next of missingOutputs (the member being read): what the
 * writer makes, and nothing else, reads. When every output is missing and
 * the subjects are none or start with a stand-in, they are the stand-ins:
 * an output named "envlock:argv" that exists is a subject like any other.
 */
static void match_outputs(struct reader *rd, const json_t *missing)
{
	size_t ns = json_array_size(rd->subject), nm = json_array_size(missing), j = 0, m = 0;
	el_record *r = rd->r;
	bool standins = nm == r->output_count &&
			(ns == 0 || strncmp(subject_name(rd->subject, 0), "envlock:", 8) == 0);
	char name[96];

	if (standins)
		ns = 0;

	for (size_t i = 0; i < r->output_count && !rd->ret; i++) {
		const char *path = r->outputs[i].path;

		if (j < ns && strcmp(subject_name(rd->subject, j), path) == 0) {
			memcpy(r->outputs[i].sha256, json_string_value(json_object_get(json_object_get(
				json_array_get(rd->subject, j++), "digest"), "sha256")), EL_RECORD_SHA256_SIZE);
		} else if (m < nm && strcmp(json_string_value(json_array_get(missing, m)), path) == 0) {
			m++;
		} else {
			snprintf(name, sizeof(name), EXT ".outputs[%zu]", i);
			bad_named(rd, name, "neither the next subject nor the next of %s", rd->path.data);
		}
	}
	if (j < ns) {
		snprintf(name, sizeof(name), "subject[%zu]", j);
		bad_named(rd, name, "matches no remaining output of " EXT ".outputs (each is one subject or one missing output, in order)");
	} else if (m < nm) {
		size_t mark = enter_index(rd, m);

		bad(rd, "matches no remaining output of " EXT ".outputs (each is one subject or one missing output, in order)");
		leave(rd, mark);
	}
	if (standins)
		read_standins(rd);
}

static void read_missing(struct reader *rd, const json_t *missing)
{
	for (size_t i = 0; i < json_array_size(missing) && !rd->ret; i++) {
		size_t mark = enter_index(rd, i);

		typed(rd, json_array_get(missing, i), T_STRING);
		leave(rd, mark);
	}
	match_outputs(rd, missing);
}

static void read_run(struct reader *rd, const json_t *a)
{
	const json_t *status;

	ONLY(rd, a, "exitStatus", "missingOutputs", "rusage");
	status = get(rd, a, "exitStatus", T_INTEGER, false);
	if (status && (json_integer_value(status) < 0 || json_integer_value(status) > 255))
		bad_at(rd, "exitStatus", "not from 0 to 255");
	else if (status)
		rd->r->exit_status = (int)json_integer_value(status);
	descend(rd, a, "missingOutputs", T_ARRAY, false, read_missing);
	descend(rd, a, "rusage", T_OBJECT, false, read_rusage);
}

/*
 * A byproduct's digest and mediaType: both, or neither in a record written
 * before they were. The digest is checked against the annotations the
 * writer would make from what was read.
 */
static void read_byproduct_digest(struct reader *rd, const json_t *b, bool drift)
{
	char want[EL_SHA256_HEX];
	const char *hex;
	json_t *annotations;
	size_t mark;

	if (rd->ret || (!json_object_get(b, "digest") && !json_object_get(b, "mediaType")))
		return;
	hex = digest(rd, b, "sha256");
	expect(rd, b, "mediaType", EL__RECORD_BYPRODUCT_MEDIA_TYPE);
	if (rd->ret)
		return;
	if (!(annotations = el__record_byproduct_annotations(rd->r, drift))) {
		oom(rd);
		return;
	}
	if (el__record_annotations_digest(want, annotations) != EL_OK)
		rd->ret = el_error_last_code();
	json_decref(annotations);
	if (rd->ret || strcmp(hex, want) == 0)
		return;
	mark = enter(rd, "digest");
	bad_at(rd, "sha256", "not the sha256 of the annotations (keys sorted, no whitespace)");
	leave(rd, mark);
}

/* The drift byproduct when a check was made, then always the run's. */
static void read_byproducts(struct reader *rd, const json_t *list)
{
	size_t n = json_array_size(list);

	if (n == 0 || n > 2) {
		bad(rd, "%zu entries where the drift byproduct (when checked) and the run byproduct were expected", n);
		return;
	}
	for (size_t i = 0; i < n && !rd->ret; i++) {
		const json_t *b = json_array_get(list, i);
		bool drift = n == 2 && i == 0;
		size_t mark = enter_index(rd, i);

		if (typed(rd, b, T_OBJECT)) {
			ONLY(rd, b, "name", "digest", "mediaType", "annotations");
			expect(rd, b, "name", drift ? "drift" : "run");
			descend(rd, b, "annotations", T_OBJECT, false, drift ? read_drift : read_run);
			read_byproduct_digest(rd, b, drift);
		}
		leave(rd, mark);
	}
}

static void read_run_details(struct reader *rd, const json_t *details)
{
	ONLY(rd, details, "builder", "metadata", "byproducts");
	descend(rd, details, "builder", T_OBJECT, false, read_builder);
	descend(rd, details, "metadata", T_OBJECT, false, read_metadata);
	descend(rd, details, "byproducts", T_ARRAY, false, read_byproducts);
}

/* ---- the Statement ---- */

static void read_predicate(struct reader *rd, const json_t *predicate)
{
	ONLY(rd, predicate, "buildDefinition", "runDetails");
	descend(rd, predicate, "buildDefinition", T_OBJECT, false, read_build_definition);
	descend(rd, predicate, "runDetails", T_OBJECT, false, read_run_details);
}

/* _type and predicateType first: a document of another kind gets one message that says so. */
static void read_kind(struct reader *rd, const json_t *doc, const char *key, const char *want, const char *kind)
{
	const json_t *v = json_object_get(doc, key);
	char seen[48];

	if (!v)
		bad(rd, "not %s (no %s)", kind, key);
	else if (!json_is_string(v))
		bad(rd, "not %s (%s is not a string)", kind, key);
	else if (strcmp(json_string_value(v), want) != 0)
		bad(rd, "not %s (%s is \"%s\")", kind, key, shown(seen, json_string_value(v)));
}

static void read_statement(struct reader *rd, const json_t *doc)
{
	if (!json_is_object(doc)) {
		bad(rd, "not an in-toto Statement v1 (not a JSON object)");
		return;
	}
	read_kind(rd, doc, "_type", EL__STATEMENT_TYPE, "an in-toto Statement v1");
	read_kind(rd, doc, "predicateType", EL__PROVENANCE_TYPE, "SLSA Provenance v1");
	ONLY(rd, doc, "_type", "subject", "predicateType", "predicate");
	rd->subject = get(rd, doc, "subject", T_ARRAY, false);
	if (rd->subject) {
		size_t mark = enter(rd, "subject");

		each(rd, rd->subject, read_subject);
		leave(rd, mark);
	}
	descend(rd, doc, "predicate", T_OBJECT, false, read_predicate);
}

int el__record_from_json(el_record **out, const json_t *doc, const char *display)
{
	struct reader rd = { .display = display };

	*out = NULL;
	el__buf_init(&rd.path);
	if (!(rd.r = el_record_new()))
		oom(&rd);
	else
		read_statement(&rd, doc);
	if (el__buf_failed(&rd.path))
		oom(&rd);
	el__buf_free(&rd.path);
	if (rd.ret != EL_OK) {
		el_record_free(rd.r);
		return rd.ret;
	}
	*out = rd.r;
	return EL_OK;
}

int el_record_parse(el_record **out, const char *text, size_t len, const char *display)
{
	json_error_t err;
	json_t *doc;
	int ret;

	*out = NULL;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!doc) {
		/* jansson quotes the input near the fault, raw: only printable ASCII goes into our line. */
		el__printable(err.text, strlen(err.text));
		return el__error(EL_EINVAL, "%s:%d:%d: invalid JSON: %s", display, err.line, err.column, err.text);
	}
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
		ret = el_record_parse(out, text.data, text.len, path);
	el__buf_free(&text);
	return ret;
}
