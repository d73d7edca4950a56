/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a run record may hold, as data (util/json_shape.h): every member
 * of the Statement record.c describes, its type and the values it may
 * take, and which entry of resolvedDependencies and of byproducts is
 * which. A document that passes has the record's shape; what a table
 * cannot say (one member repeating another, outputs against subjects,
 * digests) is for statement_read.c. Refusals read "DISPLAY: MEMBER: what
 * is wrong"; what a shape's words say is the "what".
 */
#include "record/record_internal.h"

#include <string.h>

#include "util/error.h"
#include "util/json_shape.h"
#include "util/text.h"

/* What the walk's report and picks need. */
struct check {
	const char *display;
	const el__statement_layout *layout;
};

static bool sha256_hex(const json_t *v)
{
	return el__lower_hex_str(json_string_value(v), 64);
}

/* SHA-1 or SHA-256 repositories. */
static bool git_commit_hex(const json_t *v)
{
	return el__lower_hex_str(json_string_value(v), 40) || el__lower_hex_str(json_string_value(v), 64);
}

_Static_assert(EL_RECORD_ID_SIZE == 33, "the invocation id's message says 32 digits");

static bool invocation_id(const json_t *v)
{
	return el__lower_hex_str(json_string_value(v), EL_RECORD_ID_SIZE - 1);
}

static bool absolute(const json_t *v)
{
	return json_string_value(v)[0] == '/';
}

/* A word of the one table (policy/names.c); a refused word's message is the report's. */
static bool severity(const json_t *v)
{
	el_severity parsed;

	return el_severity_parse(&parsed, json_string_value(v)) == EL_OK;
}

static bool mount_kind(const json_t *v)
{
	el_mount_kind parsed;

	return el_mount_kind_parse(&parsed, json_string_value(v)) == EL_OK;
}

static bool rfc3339(const json_t *v)
{
	struct timespec ts;

	return el__record_time_parse(&ts, json_string_value(v));
}

static bool not_empty(const json_t *v)
{
	return json_array_size(v) > 0;
}

static bool exit_status(const json_t *v)
{
	return json_integer_value(v) >= 0 && json_integer_value(v) <= 255;
}

static bool not_negative(const json_t *v)
{
	return json_integer_value(v) >= 0;
}

/* CPU seconds, kept to the microsecond in a timeval. */
static bool cpu_seconds(const json_t *v)
{
	double d = json_number_value(v);

	return d >= 0 && d < 1e15;
}

static bool is_true(const json_t *v)
{
	return json_is_true(v);
}

/* A byproduct list: the drift check's (when one was made), then the run's. */
static int byproduct_count(el__json_walk *w, const json_t *v)
{
	size_t n = json_array_size(v);

	if (n == 0 || n > 2)
		return el__json_fail(w, "%zu entries where the drift byproduct (when checked) and the run byproduct were expected", n);
	return EL_OK;
}

static const el__json_shape *dependency(el__json_walk *w, const json_t *deps, size_t i);
static const el__json_shape *byproduct(el__json_walk *w, const json_t *list, size_t i);

/* what: the words of a refusal (the report puts them after the member). */
static const el__json_shape string = { .type = EL__JSON_STRING };
static const el__json_shape boolean = { .type = EL__JSON_BOOLEAN };
static const el__json_shape any = { .type = EL__JSON_ANY };
static const el__json_shape strings = { .type = EL__JSON_ARRAY, .item = &string };
static const el__json_shape absolute_path = { .type = EL__JSON_STRING, .valid = absolute, .what = "not an absolute path" };
static const el__json_shape sha256 = { .type = EL__JSON_STRING, .valid = sha256_hex, .what = "not 64 lowercase hex digits" };
static const el__json_shape git_commit = {
	.type = EL__JSON_STRING, .valid = git_commit_hex, .what = "not 40 or 64 lowercase hex digits",
};
static const el__json_shape on_drift = { .type = EL__JSON_STRING, .valid = severity, .what = "not refuse, warn or ignore" };
static const el__json_shape time_text = {
	.type = EL__JSON_STRING, .valid = rfc3339,
	.what = "not an RFC 3339 UTC time with nanoseconds (YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ)",
};

/* A DigestSet of the one algorithm. */
static const el__json_member sha256_set_members[] = { { "sha256", &sha256, true }, { NULL, NULL, false } };
static const el__json_shape sha256_set = { .type = EL__JSON_OBJECT, .members = sha256_set_members };
static const el__json_member git_set_members[] = { { "gitCommit", &git_commit, true }, { NULL, NULL, false } };
static const el__json_shape git_set = { .type = EL__JSON_OBJECT, .members = git_set_members };

/* A ResourceDescriptor: a subject, the lock's and a data entry's dependency. */
static const el__json_member named_members[] = {
	{ "name", &string, true }, { "digest", &sha256_set, true }, { NULL, NULL, false },
};
static const el__json_shape named = { .type = EL__JSON_OBJECT, .members = named_members };
static const el__json_shape subjects = { .type = EL__JSON_ARRAY, .item = &named };

/* predicate.buildDefinition */
static const el__json_shape argv = {
	.type = EL__JSON_ARRAY, .item = &string, .valid = not_empty, .what = "empty",
};
static const el__json_member lock_members[] = {
	{ "path", &string, true }, { "digest", &sha256_set, true }, { NULL, NULL, false },
};
static const el__json_shape lock = { .type = EL__JSON_OBJECT, .members = lock_members };
static const el__json_shape env = { .type = EL__JSON_OBJECT, .item = &string };
static const el__json_shape kind = { .type = EL__JSON_STRING, .valid = mount_kind, .what = "not bind, ro-bind or tmpfs" };
/* A source or none (a tmpfs) is checked on reading. */
static const el__json_member mount_members[] = {
	{ "kind", &kind, true }, { "source", &string, false }, { "dest", &string, true }, { NULL, NULL, false },
};
static const el__json_shape mount = { .type = EL__JSON_OBJECT, .members = mount_members };
static const el__json_shape mounts = { .type = EL__JSON_ARRAY, .item = &mount };
static const el__json_shape observed_true = { .type = EL__JSON_BOOLEAN, .valid = is_true, .what = "not true" };
static const el__json_member external_members[] = {
	{ "argv", &argv, true },
	{ "workdir", &absolute_path, true },
	{ "lock", &lock, false },
	{ "env", &env, true },
	{ "seed", &string, false },
	{ "python", &string, false },
	{ "onDrift", &on_drift, true },
	{ "mounts", &mounts, true },
	{ "outputs", &strings, true },
	{ "trace", &observed_true, false },
	{ "launcher", &env, false },
	{ NULL, NULL, false },
};
static const el__json_shape external = { .type = EL__JSON_OBJECT, .members = external_members };
/* The sandbox's settings are passed through as they are. */
static const el__json_shape sandbox = { .type = EL__JSON_OBJECT };
static const el__json_member internal_members[] = {
	{ "profile", &string, true }, { "sandbox", &sandbox, false }, { "envlockVersion", &string, true },
	{ NULL, NULL, false },
};
static const el__json_shape internal = { .type = EL__JSON_OBJECT, .members = internal_members };
static const el__json_shape code_name = { .type = EL__JSON_STRING, .equals = "code" };
static const el__json_member code_annotation_members[] = { { "dirty", &boolean, true }, { NULL, NULL, false } };
static const el__json_shape code_annotations = { .type = EL__JSON_OBJECT, .members = code_annotation_members };
static const el__json_member code_members[] = {
	{ "name", &code_name, true }, { "digest", &git_set, true }, { "annotations", &code_annotations, false },
	{ NULL, NULL, false },
};
static const el__json_shape code = { .type = EL__JSON_OBJECT, .members = code_members };
/* A symbolic link's text: not empty, no NUL (JSON strings may hold one), at most a path's length. */
static bool is_link_text(const json_t *v)
{
	size_t len = json_string_length(v);

	return len > 0 && len <= 4095 && strlen(json_string_value(v)) == len;
}
static const el__json_shape link_target = { .type = EL__JSON_STRING, .valid = is_link_text, .what = "not a link's text" };
static const el__json_member observed_annotation_members[] = {
	{ "observed", &observed_true, true }, { "linkTarget", &link_target, false }, { NULL, NULL, false },
};
static const el__json_shape observed_annotations = { .type = EL__JSON_OBJECT, .members = observed_annotation_members };
/* A shared object the run loaded: its annotation tells it from a data entry. */
static const el__json_member observed_members[] = {
	{ "annotations", &observed_annotations, true }, { "name", &absolute_path, true },
	{ "digest", &sha256_set, true }, { NULL, NULL, false },
};
static const el__json_shape observed = { .type = EL__JSON_OBJECT, .members = observed_members };
static const el__json_shape dependencies = { .type = EL__JSON_ARRAY, .pick = dependency };
static const el__json_shape build_type = { .type = EL__JSON_STRING, .equals = EL__RECORD_BUILD_TYPE };
static const el__json_member build_definition_members[] = {
	{ "buildType", &build_type, true },
	{ "externalParameters", &external, true },
	{ "internalParameters", &internal, true },
	{ "resolvedDependencies", &dependencies, true },
	{ NULL, NULL, false },
};
static const el__json_shape build_definition = { .type = EL__JSON_OBJECT, .members = build_definition_members };

/* predicate.runDetails */
static const el__json_shape builder_id = { .type = EL__JSON_STRING, .equals = EL__RECORD_BUILDER_ID };
static const el__json_member version_members[] = { { "envlock", &string, true }, { NULL, NULL, false } };
static const el__json_shape version = { .type = EL__JSON_OBJECT, .members = version_members };
static const el__json_member builder_members[] = {
	{ "id", &builder_id, true }, { "version", &version, true }, { NULL, NULL, false },
};
static const el__json_shape builder = { .type = EL__JSON_OBJECT, .members = builder_members };
static const el__json_shape invocation = {
	.type = EL__JSON_STRING, .valid = invocation_id, .what = "not 32 lowercase hex digits",
};
static const el__json_member metadata_members[] = {
	{ "invocationId", &invocation, true }, { "startedOn", &time_text, true }, { "finishedOn", &time_text, true },
	{ NULL, NULL, false },
};
static const el__json_shape metadata = { .type = EL__JSON_OBJECT, .members = metadata_members };
/* Findings carry what check --format json gives; path and severity are what a record relies on. */
static const el__json_member finding_members[] = {
	{ "path", &string, true }, { "severity", &on_drift, true }, { NULL, NULL, false },
};
static const el__json_shape finding = { .type = EL__JSON_OBJECT, .members = finding_members, .item = &any };
static const el__json_shape findings = { .type = EL__JSON_ARRAY, .item = &finding };
static const el__json_member drift_annotation_members[] = { { "findings", &findings, true }, { NULL, NULL, false } };
static const el__json_shape drift_annotations = { .type = EL__JSON_OBJECT, .members = drift_annotation_members };
static const el__json_shape status = { .type = EL__JSON_INTEGER, .valid = exit_status, .what = "not from 0 to 255" };
static const el__json_shape seconds = {
	.type = EL__JSON_NUMBER, .valid = cpu_seconds, .what = "not a number of seconds from 0 to 10^15",
};
static const el__json_shape kib = { .type = EL__JSON_INTEGER, .valid = not_negative, .what = "negative" };
static const el__json_member rusage_members[] = {
	{ "userSeconds", &seconds, true }, { "systemSeconds", &seconds, true }, { "maxRssKiB", &kib, true },
	{ NULL, NULL, false },
};
static const el__json_shape rusage = { .type = EL__JSON_OBJECT, .members = rusage_members };
static const el__json_member run_annotation_members[] = {
	{ "exitStatus", &status, true }, { "missingOutputs", &strings, true }, { "rusage", &rusage, true },
	{ NULL, NULL, false },
};
static const el__json_shape run_annotations = { .type = EL__JSON_OBJECT, .members = run_annotation_members };
/* The digest and mediaType: both, or neither in a record written before they were (checked on reading). */
static const el__json_shape media_type = { .type = EL__JSON_STRING, .equals = EL__RECORD_BYPRODUCT_MEDIA_TYPE };
static const el__json_shape drift_name = { .type = EL__JSON_STRING, .equals = "drift" };
static const el__json_member drift_byproduct_members[] = {
	{ "name", &drift_name, true }, { "annotations", &drift_annotations, true },
	{ "digest", &sha256_set, false }, { "mediaType", &media_type, false }, { NULL, NULL, false },
};
static const el__json_shape drift_byproduct = { .type = EL__JSON_OBJECT, .members = drift_byproduct_members };
static const el__json_shape run_name = { .type = EL__JSON_STRING, .equals = "run" };
static const el__json_member run_byproduct_members[] = {
	{ "name", &run_name, true }, { "annotations", &run_annotations, true },
	{ "digest", &sha256_set, false }, { "mediaType", &media_type, false }, { NULL, NULL, false },
};
static const el__json_shape run_byproduct = { .type = EL__JSON_OBJECT, .members = run_byproduct_members };
static const el__json_shape byproducts = { .type = EL__JSON_ARRAY, .check = byproduct_count, .pick = byproduct };
static const el__json_member run_details_members[] = {
	{ "builder", &builder, true }, { "metadata", &metadata, true }, { "byproducts", &byproducts, true },
	{ NULL, NULL, false },
};
static const el__json_shape run_details = { .type = EL__JSON_OBJECT, .members = run_details_members };

/* The Statement */
static const el__json_member predicate_members[] = {
	{ "buildDefinition", &build_definition, true }, { "runDetails", &run_details, true }, { NULL, NULL, false },
};
static const el__json_shape predicate = { .type = EL__JSON_OBJECT, .members = predicate_members };
static const el__json_member statement_members[] = {
	{ "_type", &string, true },
	{ "subject", &subjects, true },
	{ "predicateType", &string, true },
	{ "predicate", &predicate, true },
	{ NULL, NULL, false },
};
static const el__json_shape statement = { .type = EL__JSON_OBJECT, .members = statement_members };

/* The lock's entry (when there is a lock), the code's (when known), the data entries, then the observed objects. */
static const el__json_shape *dependency(el__json_walk *w, const json_t *deps, size_t i)
{
	const el__statement_layout *l = ((const struct check *)w->data)->layout;

	(void)deps;
	if (l->lock_entry && i == 0)
		return &named;
	if (l->code_entry && i + 1 == l->data_from)
		return &code;
	return i < l->observed_from ? &named : &observed;
}

static const el__json_shape *byproduct(el__json_walk *w, const json_t *list, size_t i)
{
	(void)w;
	return json_array_size(list) == 2 && i == 0 ? &drift_byproduct : &run_byproduct;
}

static bool is_code(const json_t *dep)
{
	return json_object_get(json_object_get(dep, "digest"), "gitCommit") != NULL;
}

static bool is_observed(const json_t *dep)
{
	return json_object_get(dep, "annotations") != NULL;
}

void el__statement_layout_of(el__statement_layout *out, const json_t *doc)
{
	const json_t *bd = json_object_get(json_object_get(doc, "predicate"), "buildDefinition");
	const json_t *deps = json_object_get(bd, "resolvedDependencies");
	size_t i = 0, n = json_array_size(deps);

	out->lock_entry = json_object_get(json_object_get(bd, "externalParameters"), "lock") != NULL && n > 0;
	if (out->lock_entry)
		i++;
	out->code_entry = i < n && is_code(json_array_get(deps, i));
	if (out->code_entry)
		i++;
	out->data_from = i;
	/* The observed objects come last: a data entry after them is taken for one of them, and refused as one. */
	while (i < n && !is_observed(json_array_get(deps, i)))
		i++;
	out->observed_from = i;
}

static int report(el__json_walk *w, const el__json_fault *f)
{
	const struct check *c = w->data;
	const char *member = w->path.data;
	char seen[48];

	switch (f->kind) {
	case EL__JSON_MISSING:
		return el__record_refuse(c->display, member, "missing");
	case EL__JSON_WRONG_TYPE:
		return el__record_refuse(c->display, member, "not %s", el__json_type_name(f->shape->type));
	case EL__JSON_INVALID:
		if (f->shape->equals)
			return el__record_refuse(c->display, member, "\"%s\" where \"%s\" was expected",
						 el__record_shown(seen, json_string_value(f->value)), f->shape->equals);
		return el__record_refuse(c->display, member, "%s", f->shape->what);
	case EL__JSON_UNKNOWN:
		return el__record_refuse(c->display, member, "not part of a run record");
	case EL__JSON_OTHER:
		break;
	}
	return el__record_refuse(c->display, member, "%s", f->text);
}

int el__statement_check(const json_t *doc, const el__statement_layout *layout, const char *display)
{
	struct check c = { .display = display, .layout = layout };
	el__json_walk walk = { .report = report, .data = &c };

	return el__json_check(&walk, doc, &statement);
}
