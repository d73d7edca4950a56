/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/profile.h"
#include "lock/lock_internal.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/json_shape.h"
#include "util/text.h"

#define LOCK_MAX_BYTES (64u << 20)
#define EL__STR2(x) #x
#define EL__STR(x) EL__STR2(x)

/*
 * The shape of a lock, as data (util/json_shape.h): reading checks a
 * document against it, so that everything after (diff, check, show) may
 * rely on every value having its type.
 */
static bool whole_number(const json_t *v)
{
	return json_integer_value(v) >= 0;
}

/* As "threads N" takes it. */
static bool thread_count(const json_t *v)
{
	return json_integer_value(v) >= 1 && json_integer_value(v) <= EL_THREADS_MAX;
}

static bool sha256_hex(const json_t *v)
{
	return el__lower_hex_str(json_string_value(v), 64);
}

static bool sha256_digest(const json_t *v)
{
	const char *text = json_string_value(v);

	return el__startswith(text, "sha256:") && el__lower_hex_str(text + 7, 64);
}

/* SHA-1 or SHA-256 repositories. */
static bool git_oid(const json_t *v)
{
	return el__lower_hex_str(json_string_value(v), 40) || el__lower_hex_str(json_string_value(v), 64);
}

/* A value of a framework's build facts, as Python gives them. */
static bool pyliteral(const json_t *v)
{
	if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)))
				return false;
		return true;
	}
	return json_is_string(v) || json_is_boolean(v) || json_is_integer(v);
}

static const el__json_shape string = { .type = EL__JSON_STRING };
static const el__json_shape integer = {
	.type = EL__JSON_INTEGER, .valid = whole_number, .what = "a whole number of at least 0",
};
static const el__json_shape threads = {
	.type = EL__JSON_INTEGER, .valid = thread_count, .what = "a whole number from 1 to " EL__STR(EL_THREADS_MAX),
};
static const el__json_shape boolean = { .type = EL__JSON_BOOLEAN };
static const el__json_shape sha256 = {
	.type = EL__JSON_STRING, .valid = sha256_hex, .what = "64 lowercase hex digits",
};
static const el__json_shape digest = {
	.type = EL__JSON_STRING, .valid = sha256_digest, .what = "\"sha256:\" and 64 lowercase hex digits",
};
static const el__json_shape git_commit = {
	.type = EL__JSON_STRING, .valid = git_oid, .what = "a git commit id (40 or 64 lowercase hex digits)",
};
static const el__json_shape build_value = {
	.type = EL__JSON_ANY, .valid = pyliteral,
	.what = "a string, true or false, a whole number, or an array of strings",
};
static const el__json_shape strings = { .type = EL__JSON_OBJECT, .item = &string };
static const el__json_shape string_list = { .type = EL__JSON_ARRAY, .item = &string };
static const el__json_shape integers = { .type = EL__JSON_OBJECT, .item = &integer };
/* meta: not fingerprinted, not compared, not checked. */
static const el__json_shape meta = { .type = EL__JSON_OBJECT };

static const el__json_member host_members[] = {
	{ "arch", &string, false }, { "os", &string, false },
	{ "kernel", &string, false }, { "glibc", &string, false }, { NULL, NULL, false },
};
static const el__json_member topology_members[] = {
	{ "sockets", &integer, false }, { "cores_per_socket", &integer, false },
	{ "threads_per_core", &integer, false }, { "numa_nodes", &integer, false },
	{ "cache_kib", &integers, false }, { NULL, NULL, false },
};
static const el__json_shape topology = { .type = EL__JSON_OBJECT, .members = topology_members };
static const el__json_member cpu_members[] = {
	{ "vendor", &string, false }, { "model", &string, false },
	{ "family", &integer, false }, { "model_id", &integer, false },
	{ "stepping", &integer, false }, { "flags", &string_list, false },
	{ "microcode", &string, false }, { "logical_cpus", &integer, false },
	/* Since schema 3 (schema.c). */
	{ "topology", &topology, false }, { NULL, NULL, false },
};
static const el__json_member library_members[] = {
	{ "path", &string, true }, { "version", &string, false },
	{ "sha256", &sha256, false },
	/* Since schema 3 (schema.c). */
	{ "observed", &boolean, false }, { NULL, NULL, false },
};
static const el__json_shape library = { .type = EL__JSON_OBJECT, .members = library_members };
static const el__json_member install_members[] = {
	{ "url", &string, true }, { "vcs", &string, false },
	{ "commit_id", &string, false }, { "editable", &boolean, false },
	{ "tree", &digest, false }, { NULL, NULL, false },
};
static const el__json_shape install = { .type = EL__JSON_OBJECT, .members = install_members };
static const el__json_shape installs = { .type = EL__JSON_OBJECT, .item = &install };
static const el__json_member python_build_members[] = {
	{ "version", &string, false }, { "compiler", &string, false },
	{ "config_args", &string, false }, { NULL, NULL, false },
};
static const el__json_shape python_build = { .type = EL__JSON_OBJECT, .members = python_build_members };
static const el__json_member python_members[] = {
	{ "executable", &string, false }, { "version", &string, false },
	{ "packages", &strings, false },
	/* Since schema 3 (schema.c). */
	{ "installs", &installs, false }, { "build", &python_build, false },
	{ NULL, NULL, false },
};
static const el__json_member device_members[] = {
	{ "name", &string, false }, { "compute_capability", &string, false },
	{ "memory_mib", &integer, false }, { NULL, NULL, false },
};
static const el__json_shape device = { .type = EL__JSON_OBJECT, .members = device_members };
static const el__json_member gpu_system_members[] = {
	{ "cuda_runtime", &string, false }, { "cudnn", &string, false },
	{ "nccl", &string, false }, { "cublas", &string, false }, { NULL, NULL, false },
};
static const el__json_shape gpu_system = { .type = EL__JSON_OBJECT, .members = gpu_system_members };
/* The frameworks section (schema 3): see README.md, "What a lock holds". */
static const el__json_member bundled_members[] = {
	{ "sha256", &sha256, true }, { NULL, NULL, false },
};
static const el__json_shape bundled = { .type = EL__JSON_OBJECT, .members = bundled_members };
static const el__json_shape bundled_map = { .type = EL__JSON_OBJECT, .item = &bundled };
static const el__json_shape build_info = { .type = EL__JSON_OBJECT, .item = &build_value };
static const el__json_member torch_members[] = {
	{ "version", &string, false }, { "cuda", &string, false }, { "hip", &string, false },
	{ "git_version", &string, false }, { "debug", &boolean, false },
	{ "libraries", &bundled_map, false }, { NULL, NULL, false },
};
static const el__json_member tensorflow_members[] = {
	{ "version", &string, false }, { "build_info", &build_info, false },
	{ "libraries", &bundled_map, false }, { NULL, NULL, false },
};
static const el__json_member jax_members[] = {
	{ "version", &string, false }, { "jaxlib", &string, false },
	{ "plugins", &strings, false }, { "libraries", &bundled_map, false }, { NULL, NULL, false },
};
static const el__json_member wheel_members[] = {
	{ "version", &string, false }, { "libraries", &bundled_map, false }, { NULL, NULL, false },
};
static const el__json_shape wheel = { .type = EL__JSON_OBJECT, .members = wheel_members };
static const el__json_shape wheels = { .type = EL__JSON_OBJECT, .item = &wheel };
static const el__json_shape torch = { .type = EL__JSON_OBJECT, .members = torch_members };
static const el__json_shape tensorflow = { .type = EL__JSON_OBJECT, .members = tensorflow_members };
static const el__json_shape jax = { .type = EL__JSON_OBJECT, .members = jax_members };
static const el__json_member frameworks_members[] = {
	{ "torch", &torch, false }, { "tensorflow", &tensorflow, false }, { "jax", &jax, false },
	{ "nvidia", &wheels, false }, { NULL, NULL, false },
};
static const el__json_shape frameworks = { .type = EL__JSON_OBJECT, .members = frameworks_members };
static const el__json_shape devices = { .type = EL__JSON_ARRAY, .item = &device };
static const el__json_member gpu_members[] = {
	{ "driver", &string, false }, { "cuda_driver", &string, false },
	{ "cuda_runtime", &string, false }, { "cudnn", &string, false },
	{ "nccl", &string, false }, { "cublas", &string, false },
	{ "devices", &devices, false },
	/* Since schema 3 (schema.c). */
	{ "system", &gpu_system, false }, { NULL, NULL, false },
};
static const el__json_member code_members[] = {
	{ "git_commit", &git_commit, false }, { "git_dirty", &boolean, false }, { NULL, NULL, false },
};
static const el__json_shape host = { .type = EL__JSON_OBJECT, .members = host_members };
static const el__json_shape cpu = { .type = EL__JSON_OBJECT, .members = cpu_members };
static const el__json_shape libraries = { .type = EL__JSON_OBJECT, .item = &library };
static const el__json_shape python = { .type = EL__JSON_OBJECT, .members = python_members };
static const el__json_shape gpu = { .type = EL__JSON_OBJECT, .members = gpu_members };
static const el__json_shape data = { .type = EL__JSON_OBJECT, .item = &digest };
static const el__json_shape code = { .type = EL__JSON_OBJECT, .members = code_members };

static const el__json_member lock_members[] = {
	{ "envlock", &integer, true },
	{ "fingerprint", &digest, true },
	{ "meta", &meta, false },
	{ "host", &host, false },
	{ "cpu", &cpu, false },
	{ "toolchain", &strings, false },
	{ "libraries", &libraries, false },
	{ "python", &python, false },
	/* Since schema 3 (schema.c). */
	{ "frameworks", &frameworks, false },
	{ "gpu", &gpu, false },
	{ "env", &strings, false },
	{ "threads", &threads, false },
	{ "data", &data, false },
	/* Until schema 1 (removals below). */
	{ "code", &code, false },
	{ NULL, NULL, false },
};
static const el__json_shape lock_shape = { .type = EL__JSON_OBJECT, .members = lock_members };

/* What a later schema took out of the fingerprinted body, and the last schema that had it. */
static const struct removal {
	const char *section; /* "": the lock's top level */
	const char *member;
	int until;
} removals[] = {
	/* Schema 2 keeps the code's identity out of the fingerprint (meta.code). */
	{ "", "code", 1 },
};

struct reader {
	const char *origin;
	int schema;
};

/* A member belongs to the lock's schema: not one a later schema added (schema.c), nor one it took out. */
static bool admits(el__json_walk *w, const el__json_member *m)
{
	const struct reader *r = w->data;

	for (size_t i = 0; i < sizeof(removals) / sizeof(removals[0]); i++)
		if (r->schema > removals[i].until && strcmp(removals[i].section, w->path.data) == 0 &&
		    strcmp(removals[i].member, m->name) == 0)
			return false;
	return el__schema_since(w->path.data, m->name) <= r->schema;
}

static int report(el__json_walk *w, const el__json_fault *f)
{
	const struct reader *r = w->data;
	const char *at = w->path.len ? w->path.data : "(top level)";

	switch (f->kind) {
	case EL__JSON_MISSING:
		return el__error(EL_EINVAL, "%s: %s is missing", r->origin, at);
	case EL__JSON_UNKNOWN:
		return el__error(EL_EINVAL, "%s: %s: not part of schema %d", r->origin, at, r->schema);
	case EL__JSON_OTHER:
		return el__error(EL_EINVAL, "%s: %s: %s", r->origin, at, f->text);
	case EL__JSON_WRONG_TYPE:
	case EL__JSON_INVALID:
		break;
	}
	return el__error(EL_EINVAL, "%s: %s: expected %s", r->origin, at,
			 f->shape->what ? f->shape->what : el__json_type_name(f->shape->type));
}

/* The schema number first: a lock from a future envlock gets its own message. */
static int check_schema(const char *origin, const json_t *doc)
{
	const json_t *schema = json_object_get(doc, "envlock");

	if (!json_is_integer(schema))
		return el__error(EL_EINVAL, "%s: not an envlock lock (no \"envlock\" schema number)", origin);
	if (json_integer_value(schema) > EL_LOCK_SCHEMA)
		return el__error(EL_EINVAL, "%s: written for lock schema %lld, newer than this envlock reads (%d): "
				 "upgrade envlock", origin, (long long)json_integer_value(schema), EL_LOCK_SCHEMA);
	if (json_integer_value(schema) < 1)
		return el__error(EL_EINVAL, "%s: lock schema %lld does not exist", origin,
				 (long long)json_integer_value(schema));
	return EL_OK;
}

static int check_fingerprint(const char *origin, const el_lock *lock)
{
	char want[EL_FINGERPRINT_SIZE];
	int ret = el_lock_fingerprint(want, lock);

	if (ret == EL_EINVAL)
		return el__error_prefix(origin);
	if (ret != EL_OK)
		return ret;
	if (strcmp(want, el_lock_stored_fingerprint(lock)) != 0) {
		el__buf command;

		el__buf_init(&command);
		ret = el__lock_capture_command(&command, lock->doc, NULL, NULL, origin);
		if (ret == EL_OK)
			ret = el__error(EL_EINVAL, "%s: the fingerprint does not match the content (edited by hand, or a "
					"merge resolved badly?); re-lock with: %s", origin, command.data);
		el__buf_free(&command);
		return ret;
	}
	return EL_OK;
}

/*
 * A schema-1 lock fingerprinted its "code" section, so committing the lock
 * made it stale. It is read as written (its fingerprint covers it) and the
 * diff never compares it (see diff.c); the caller gets a note to say so.
 */
static int note_schema1_code(el_lock *lock, const char *origin)
{
	if (!json_object_get(lock->doc, "code"))
		return EL_OK;
	if (asprintf(&lock->note, "%s: a schema-1 lock: its code section is not compared (since schema 2 the "
		     "code is not part of the environment); re-lock to update the file", origin) < 0) {
		lock->note = NULL;
		return el__error_oom();
	}
	return EL_OK;
}

int el_lock_parse(el_lock **out, const char *text, size_t len, const char *origin)
{
	struct reader r = { .origin = origin };
	el__json_walk walk = { .report = report, .admits = admits, .data = &r };
	json_error_t jerr;
	json_t *doc;
	el_lock *lock;
	int ret;

	*out = NULL;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		/* jansson quotes the input near the fault, raw: a hostile lock could put a newline in our line. */
		el__printable(jerr.text, strlen(jerr.text));
		return el__error(EL_EINVAL, "%s:%d:%d: invalid JSON: %s", origin, jerr.line, jerr.column, jerr.text);
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		return el__error(EL_EINVAL, "%s: not an envlock lock (not a JSON object)", origin);
	}
	ret = check_schema(origin, doc);
	if (ret == EL_OK) {
		r.schema = (int)json_integer_value(json_object_get(doc, "envlock"));
		ret = el__json_check(&walk, doc, &lock_shape);
	}
	if (ret != EL_OK) {
		json_decref(doc);
		return ret;
	}
	lock = el__lock_wrap(doc);
	if (!lock)
		return el__error_oom();
	lock->schema = r.schema;
	/* Kept: a signature is checked over the very bytes this lock came from. */
	if (!(lock->text = malloc(len + 1))) {
		el_lock_free(lock);
		return el__error_oom();
	}
	memcpy(lock->text, text, len);
	lock->text[len] = '\0';
	lock->text_len = len;
	ret = check_fingerprint(origin, lock);
	lock->fingerprint_checked = ret == EL_OK;
	if (ret == EL_OK && r.schema == 1)
		ret = note_schema1_code(lock, origin);
	if (ret != EL_OK) {
		el_lock_free(lock);
		return ret;
	}
	*out = lock;
	return EL_OK;
}

int el_lock_read_file(el_lock **out, const char *path)
{
	el__buf text;
	int ret;

	*out = NULL;
	el__buf_init(&text);
	ret = el__read_file(&text, path, LOCK_MAX_BYTES, false);
	if (ret == EL_OK)
		ret = el_lock_parse(out, text.data, text.len, path);
	el__buf_free(&text);
	return ret;
}
