/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A Statement back into a record: the shape record.c describes and
 * build.c writes, nothing read past. The document is checked first
 * against the record's shape (statement_shape.c): every member, its type
 * and the values it may take. What a table cannot say is checked here,
 * while the record is taken out of it: one member repeating another, the
 * outputs against the subjects, the stand-ins' and byproducts' digests.
 * Each refusal is one line, "DISPLAY: MEMBER: what is wrong", the member
 * named by its path in the document
 * (predicate.buildDefinition.externalParameters.argv[2]), so that a
 * hand-edited or damaged record says where it went wrong.
 */
#include "record/record_internal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/text.h"

#define BD "predicate.buildDefinition"
#define EXT BD ".externalParameters"
#define INT BD ".internalParameters"
#define DEPS BD ".resolvedDependencies"
#define RD "predicate.runDetails"

struct reader {
	const char *display;
	int ret;               /* the first failure; every step after it does nothing */
	el_record *r;          /* what has been read so far */
	const json_t *subject; /* the subjects; their digests go to r->outputs */
	el__statement_layout deps; /* which entry of resolvedDependencies is which */
};

/* Refuse member (its path; "" for the document) with what is wrong, unless a failure came first. */
__attribute__((format(printf, 3, 4)))
static void refuse(struct reader *rd, const char *member, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	if (rd->ret)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	rd->ret = el__record_refuse(rd->display, member, "%s", what);
}

static void oom(struct reader *rd)
{
	if (!rd->ret)
		rd->ret = el__error_oom();
}

/* ---- the record, out of a checked document ---- */

static const json_t *at(const json_t *obj, const char *key)
{
	return json_object_get(obj, key);
}

/* A copy of the string s; NULL when s is NULL (an optional member) or after a failure. */
static char *copy(struct reader *rd, const json_t *s)
{
	char *c;

	if (rd->ret || !s)
		return NULL;
	if (!(c = strdup(json_string_value(s))))
		oom(rd);
	return c;
}

/* A DigestSet's one digest, borrowed. */
static const char *digest_of(const json_t *descriptor, const char *algorithm)
{
	return json_string_value(at(at(descriptor, "digest"), algorithm));
}

/* "sha256:" and hex, malloc'd. */
static char *prefixed(struct reader *rd, const char *hex)
{
	char *s;

	if (rd->ret)
		return NULL;
	if (asprintf(&s, "sha256:%s", hex) < 0) {
		oom(rd);
		return NULL;
	}
	return s;
}

/* The strings of an array, copied; *n of them. */
static char **strings_of(struct reader *rd, const json_t *arr, size_t *n)
{
	char **out = calloc(json_array_size(arr) + 1, sizeof(*out));

	*n = 0;
	if (!out) {
		oom(rd);
		return NULL;
	}
	for (size_t i = 0; i < json_array_size(arr) && !rd->ret; i++)
		if ((out[*n] = copy(rd, json_array_get(arr, i))))
			(*n)++;
	return out;
}

/* Variables, name -> value (env, launcher); an absent object is none. */
static void read_variables(struct reader *rd, const json_t *obj, el_record_pair **pairs, size_t *count)
{
	const char *key;
	json_t *v;

	if (!obj)
		return;
	if (!(*pairs = calloc(json_object_size(obj) + 1, sizeof(**pairs)))) {
		oom(rd);
		return;
	}
	/* Written with sorted keys; jansson keeps the order it read. */
	json_object_foreach((json_t *)(uintptr_t)obj, key, v) {
		el_record_pair *p = &(*pairs)[*count];

		if (!(p->value = copy(rd, v)))
			return;
		(*count)++;
		if (!(p->name = strdup(key))) {
			oom(rd);
			return;
		}
	}
}

/* A tmpfs has no source; a bind has one. */
static void read_mounts(struct reader *rd, const json_t *list)
{
	el_record *r = rd->r;
	char member[96];

	if (!(r->mounts = calloc(json_array_size(list) + 1, sizeof(*r->mounts)))) {
		oom(rd);
		return;
	}
	for (size_t i = 0; i < json_array_size(list) && !rd->ret; i++) {
		const json_t *m = json_array_get(list, i);
		el_record_mount *out = &r->mounts[r->mount_count++];
		bool tmpfs;

		/* The shape took only the words the table names. */
		el_mount_kind_parse(&out->kind, json_string_value(at(m, "kind")));
		tmpfs = out->kind == EL_MOUNT_TMPFS;

		snprintf(member, sizeof(member), EXT ".mounts[%zu].source", i);
		if (tmpfs && at(m, "source"))
			refuse(rd, member, "a tmpfs has none");
		else if (!tmpfs && !at(m, "source"))
			refuse(rd, member, "missing");
		out->source = copy(rd, at(m, "source"));
		out->dest = copy(rd, at(m, "dest"));
	}
}

/* The paths asked for, each once; their digests come from the subjects (see match_outputs). */
static void read_outputs(struct reader *rd, const json_t *list)
{
	el_record *r = rd->r;
	size_t n = json_array_size(list);
	char member[96];

	if (!(r->outputs = calloc(n + 1, sizeof(*r->outputs)))) {
		oom(rd);
		return;
	}
	for (size_t i = 0; i < n && !rd->ret; i++) {
		if ((r->outputs[i].path = copy(rd, json_array_get(list, i))))
			r->output_count++;
		for (size_t k = 0; k < i && !rd->ret; k++) {
			if (strcmp(r->outputs[k].path, r->outputs[i].path) == 0) {
				snprintf(member, sizeof(member), EXT ".outputs[%zu]", i);
				refuse(rd, member, "the same as outputs[%zu]", k);
			}
		}
	}
}

static void read_external(struct reader *rd, const json_t *ext)
{
	el_record *r = rd->r;
	const json_t *lock_obj = at(ext, "lock");

	r->argv = strings_of(rd, at(ext, "argv"), &r->argc);
	r->workdir = copy(rd, at(ext, "workdir"));
	if (lock_obj) {
		r->lock_path = copy(rd, at(lock_obj, "path"));
		r->lock_fingerprint = prefixed(rd, digest_of(lock_obj, "sha256"));
	}
	read_variables(rd, at(ext, "env"), &rd->r->env, &rd->r->env_count);
	if (!rd->ret)
		read_variables(rd, at(ext, "launcher"), &rd->r->launcher, &rd->r->launcher_count);
	r->seed = copy(rd, at(ext, "seed"));
	r->python = copy(rd, at(ext, "python"));
	r->traced = at(ext, "trace") != NULL; /* only true passes the shape */
	el_severity_parse(&r->on_drift, json_string_value(at(ext, "onDrift"))); /* a word the shape took */
	read_mounts(rd, at(ext, "mounts"));
	read_outputs(rd, at(ext, "outputs"));
}

static void read_internal(struct reader *rd, const json_t *in)
{
	const json_t *settings = at(in, "sandbox");

	rd->r->profile = copy(rd, at(in, "profile"));
	if (settings && !rd->ret && !(rd->r->sandbox = el__record_sandbox_wrap(json_deep_copy(settings))))
		oom(rd);
	rd->r->envlock_version = copy(rd, at(in, "envlockVersion"));
}

static void read_pair(struct reader *rd, el_record_pair *p, const json_t *dep)
{
	p->name = copy(rd, at(dep, "name"));
	p->value = prefixed(rd, digest_of(dep, "sha256"));
}

/* The lock's entry repeats externalParameters.lock; the observed objects are sorted by path, each once. */
static void read_dependencies(struct reader *rd, const json_t *deps)
{
	el_record *r = rd->r;
	size_t n = json_array_size(deps);
	char member[96];

	if (rd->ret)
		return;
	if (r->lock_path && n == 0) {
		refuse(rd, DEPS, "no entry for the lock of " EXT ".lock");
		return;
	}
	if (rd->deps.lock_entry) {
		const json_t *dep = json_array_get(deps, 0);

		if (strcmp(json_string_value(at(dep, "name")), r->lock_path) != 0 ||
		    strcmp(digest_of(dep, "sha256"), r->lock_fingerprint + 7) != 0)
			refuse(rd, DEPS "[0]", "not the lock of " EXT ".lock");
	}
	if (rd->deps.code_entry && !rd->ret) {
		const json_t *dep = json_array_get(deps, rd->deps.data_from - 1), *dirty = at(at(dep, "annotations"), "dirty");

		if (!(r->git_commit = strdup(digest_of(dep, "gitCommit"))))
			oom(rd);
		if (dirty)
			r->git_dirty = json_is_true(dirty);
	}
	if (rd->ret)
		return;
	if (!(r->data = calloc(n - rd->deps.data_from + 1, sizeof(*r->data))) ||
	    !(r->observed = calloc(n - rd->deps.data_from + 1, sizeof(*r->observed))) ||
	    !(r->links = calloc(n - rd->deps.data_from + 1, sizeof(*r->links)))) {
		oom(rd);
		return;
	}
	for (size_t i = rd->deps.data_from; i < rd->deps.observed_from && !rd->ret; i++)
		read_pair(rd, &r->data[r->data_count++], json_array_get(deps, i));
	for (size_t i = rd->deps.observed_from, prev = 0; i < n && !rd->ret; prev = i++) {
		const json_t *dep = json_array_get(deps, i), *text = at(at(dep, "annotations"), "linkTarget");

		if (text) {
			el_record_pair *p = &r->links[r->link_count++];
			char hex[EL_SHA256_HEX];

			p->name = copy(rd, at(dep, "name"));
			p->value = copy(rd, text);
			snprintf(member, sizeof(member), DEPS "[%zu]", i);
			if (!rd->ret && !r->traced)
				refuse(rd, member, "a link, in a record of a run without trace");
			else if (!rd->ret && (el__sha256_hex(hex, p->value, strlen(p->value)) != EL_OK ||
					      strcmp(hex, digest_of(dep, "sha256")) != 0))
				refuse(rd, member, "the digest is not that of the link's text");
		} else {
			read_pair(rd, &r->observed[r->observed_count++], dep);
		}
		if (!rd->ret && i > rd->deps.observed_from &&
		    strcmp(json_string_value(at(json_array_get(deps, prev), "name")), json_string_value(at(dep, "name"))) >= 0) {
			snprintf(member, sizeof(member), DEPS "[%zu].name", i);
			refuse(rd, member, "not after the observed object before it (sorted by path, each once)");
		}
	}
}

static const char *subject_name(const json_t *subject, size_t j)
{
	return json_string_value(at(json_array_get(subject, j), "name"));
}

/* subject[k] must be the stand-in named want_name, with the digest want_hex. */
static void standin(struct reader *rd, size_t k, const char *want_name, const char *want_hex, const char *what)
{
	const json_t *s = json_array_get(rd->subject, k);
	const char *name = json_string_value(at(s, "name"));
	char member[48], seen[48];

	if (strcmp(name, want_name) != 0) {
		snprintf(member, sizeof(member), "subject[%zu].name", k);
		refuse(rd, member, "\"%s\" where \"%s\" was expected", el__record_shown(seen, name), want_name);
	} else if (strcmp(digest_of(s, "sha256"), want_hex) != 0) {
		snprintf(member, sizeof(member), "subject[%zu]", k);
		refuse(rd, member, "%s", what);
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
		refuse(rd, "subject", "%zu entries where %s expected (no output has a digest)", ns,
		       r->lock_fingerprint ? "the stand-ins " EL__RECORD_SUBJECT_LOCK " and " EL__RECORD_SUBJECT_ARGV " were"
					   : "the stand-in " EL__RECORD_SUBJECT_ARGV " was");
		return;
	}
	if (r->lock_fingerprint)
		standin(rd, k++, EL__RECORD_SUBJECT_LOCK, r->lock_fingerprint + 7, "not the fingerprint of " EXT ".lock");
	if (rd->ret)
		return;
	if (el__record_argv_digest(hex, r->argv, r->argc) != EL_OK) {
		rd->ret = el_error_last_code();
		return;
	}
	standin(rd, k, EL__RECORD_SUBJECT_ARGV, hex, "not the sha256 of " EXT ".argv (each word followed by a NUL byte)");
}

/*
 * Each output, in order, is either the next subject (which gives its
 * digest) or the next of missingOutputs (named by where): what the writer
 * makes, and nothing else, reads. When every output is missing and the
 * subjects are none or start with a stand-in, they are the stand-ins: an
 * output named "envlock:argv" that exists is a subject like any other.
 */
static void match_outputs(struct reader *rd, const json_t *missing, const char *where)
{
	size_t ns = json_array_size(rd->subject), nm = json_array_size(missing), j = 0, m = 0;
	el_record *r = rd->r;
	bool standins = nm == r->output_count && (ns == 0 || strncmp(subject_name(rd->subject, 0), "envlock:", 8) == 0);
	char member[128];

	if (standins)
		ns = 0;
	for (size_t i = 0; i < r->output_count && !rd->ret; i++) {
		const char *path = r->outputs[i].path;

		if (j < ns && strcmp(subject_name(rd->subject, j), path) == 0) {
			memcpy(r->outputs[i].sha256, digest_of(json_array_get(rd->subject, j++), "sha256"),
			       EL_RECORD_SHA256_SIZE);
		} else if (m < nm && strcmp(json_string_value(json_array_get(missing, m)), path) == 0) {
			m++;
		} else {
			snprintf(member, sizeof(member), EXT ".outputs[%zu]", i);
			refuse(rd, member, "neither the next subject nor the next of %s", where);
		}
	}
	if (j < ns) {
		snprintf(member, sizeof(member), "subject[%zu]", j);
		refuse(rd, member, "matches no remaining output of " EXT ".outputs (each is one subject or one missing output, in order)");
	} else if (m < nm) {
		snprintf(member, sizeof(member), "%s[%zu]", where, m);
		refuse(rd, member, "matches no remaining output of " EXT ".outputs (each is one subject or one missing output, in order)");
	}
	if (standins)
		read_standins(rd);
}

/* CPU seconds (a JSON number) into a timeval, to the microsecond. */
static struct timeval seconds_of(const json_t *v)
{
	long long usec = (long long)(json_number_value(v) * 1e6 + 0.5);

	return (struct timeval){ .tv_sec = (time_t)(usec / 1000000), .tv_usec = (suseconds_t)(usec % 1000000) };
}

static void read_run(struct reader *rd, const json_t *a, size_t index)
{
	const json_t *usage = at(a, "rusage");
	char where[96];

	rd->r->exit_status = (int)json_integer_value(at(a, "exitStatus"));
	snprintf(where, sizeof(where), RD ".byproducts[%zu].annotations.missingOutputs", index);
	match_outputs(rd, at(a, "missingOutputs"), where);
	rd->r->usage.ru_utime = seconds_of(at(usage, "userSeconds"));
	rd->r->usage.ru_stime = seconds_of(at(usage, "systemSeconds"));
	rd->r->usage.ru_maxrss = (long)json_integer_value(at(usage, "maxRssKiB"));
}

/*
 * A byproduct's digest and mediaType: both, or neither in a record written
 * before they were. The digest is checked against the annotations the
 * writer would make from what was read.
 */
static void read_byproduct_digest(struct reader *rd, const json_t *b, size_t index, bool drift)
{
	char want[EL_SHA256_HEX], member[96];
	json_t *annotations;

	if (rd->ret || (!at(b, "digest") && !at(b, "mediaType")))
		return;
	snprintf(member, sizeof(member), RD ".byproducts[%zu].%s", index, at(b, "digest") ? "mediaType" : "digest");
	if (!at(b, "digest") || !at(b, "mediaType")) {
		refuse(rd, member, "missing");
		return;
	}
	if (!(annotations = el__record_byproduct_annotations(rd->r, drift))) {
		oom(rd);
		return;
	}
	if (el__record_annotations_digest(want, annotations) != EL_OK)
		rd->ret = el_error_last_code();
	json_decref(annotations);
	if (rd->ret || strcmp(digest_of(b, "sha256"), want) == 0)
		return;
	snprintf(member, sizeof(member), RD ".byproducts[%zu].digest.sha256", index);
	refuse(rd, member, "not the sha256 of the annotations (keys sorted, no whitespace)");
}

/* The drift byproduct when a check was made, then always the run's. */
static void read_byproducts(struct reader *rd, const json_t *list)
{
	size_t n = json_array_size(list);

	for (size_t i = 0; i < n && !rd->ret; i++) {
		const json_t *b = json_array_get(list, i);
		bool drift = n == 2 && i == 0;

		if (drift && !(rd->r->drift = el__record_drift_wrap(json_deep_copy(at(at(b, "annotations"), "findings")))))
			oom(rd);
		else if (!drift)
			read_run(rd, at(b, "annotations"), i);
		read_byproduct_digest(rd, b, i, drift);
	}
}

static void read_run_details(struct reader *rd, const json_t *details)
{
	const json_t *meta = at(details, "metadata");

	if (rd->ret)
		return;
	if (strcmp(json_string_value(at(at(at(details, "builder"), "version"), "envlock")), rd->r->envlock_version) != 0)
		refuse(rd, RD ".builder.version.envlock", "not the envlockVersion of " INT);
	if (rd->ret)
		return;
	memcpy(rd->r->invocation_id, json_string_value(at(meta, "invocationId")), EL_RECORD_ID_SIZE);
	el__record_time_parse(&rd->r->started, json_string_value(at(meta, "startedOn")));
	el__record_time_parse(&rd->r->finished, json_string_value(at(meta, "finishedOn")));
	read_byproducts(rd, at(details, "byproducts"));
}

/* ---- the Statement ---- */

/* _type and predicateType first: a document of another kind gets one message that says so. */
static void read_kind(struct reader *rd, const json_t *doc, const char *key, const char *want, const char *kind_name)
{
	const json_t *v = at(doc, key);
	char seen[48];

	if (!v)
		refuse(rd, "", "not %s (no %s)", kind_name, key);
	else if (!json_is_string(v))
		refuse(rd, "", "not %s (%s is not a string)", kind_name, key);
	else if (strcmp(json_string_value(v), want) != 0)
		refuse(rd, "", "not %s (%s is \"%s\")", kind_name, key, el__record_shown(seen, json_string_value(v)));
}

static void read_statement(struct reader *rd, const json_t *doc)
{
	const json_t *bd = at(at(doc, "predicate"), "buildDefinition");

	if (!json_is_object(doc)) {
		refuse(rd, "", "not an in-toto Statement v1 (not a JSON object)");
		return;
	}
	read_kind(rd, doc, "_type", EL__STATEMENT_TYPE, "an in-toto Statement v1");
	read_kind(rd, doc, "predicateType", EL__PROVENANCE_TYPE, "SLSA Provenance v1");
	if (rd->ret)
		return;
	el__statement_layout_of(&rd->deps, doc);
	if ((rd->ret = el__statement_check(doc, &rd->deps, rd->display)) != EL_OK)
		return;
	rd->subject = at(doc, "subject");
	read_external(rd, at(bd, "externalParameters"));
	read_internal(rd, at(bd, "internalParameters"));
	read_dependencies(rd, at(bd, "resolvedDependencies"));
	read_run_details(rd, at(at(doc, "predicate"), "runDetails"));
}

int el__record_from_json(el_record **out, const json_t *doc, const char *display)
{
	struct reader rd = { .display = display };

	*out = NULL;
	if (!(rd.r = el_record_new()))
		oom(&rd);
	else
		read_statement(&rd, doc);
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
