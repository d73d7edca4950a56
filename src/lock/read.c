#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/profile.h"
#include "lock/lock_internal.h"
#include "lock/path.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/text.h"

#define LOCK_MAX_BYTES (64u << 20)
#define EL__STR2(x) #x
#define EL__STR(x) EL__STR2(x)

/*
 * The shape of a schema-1 lock, as data: reading validates a document
 * against it, so that everything after (diff, check, show) may rely on
 * every value having its type.
 */
enum kind {
	K_STRING,
	K_INTEGER,   /* >= 0 */
	K_THREADS,   /* 1 to EL_THREADS_MAX, as "threads N" takes */
	K_BOOLEAN,
	K_SHA256,    /* 64 lowercase hex digits */
	K_DIGEST,    /* "sha256:" + 64 lowercase hex digits */
	K_GIT_OID,   /* 40 or 64 lowercase hex digits */
	K_OBJECT,    /* the listed members only, each optional */
	K_MAP,       /* any member names, every value of one shape */
	K_ARRAY,     /* every item of one shape */
	K_PYLITERAL, /* a string, true or false, a whole number, or an array of strings */
	K_ANY,       /* meta: not fingerprinted, not compared, not checked */
};

struct shape {
	enum kind kind;
	const struct member *members; /* K_OBJECT, NULL-terminated by name */
	const struct shape *item;     /* K_MAP and K_ARRAY */
};

struct member {
	const char *name;
	const struct shape *shape;
	bool required;
	int until; /* the last schema with this member; 0: every schema */
};

static const struct shape string = { K_STRING, NULL, NULL };
static const struct shape integer = { K_INTEGER, NULL, NULL };
static const struct shape threads = { K_THREADS, NULL, NULL };
static const struct shape boolean = { K_BOOLEAN, NULL, NULL };
static const struct shape sha256 = { K_SHA256, NULL, NULL };
static const struct shape digest = { K_DIGEST, NULL, NULL };
static const struct shape git_oid = { K_GIT_OID, NULL, NULL };
static const struct shape any = { K_ANY, NULL, NULL };
static const struct shape pyliteral = { K_PYLITERAL, NULL, NULL };
static const struct shape strings = { K_MAP, NULL, &string };
static const struct shape string_list = { K_ARRAY, NULL, &string };

static const struct member host_members[] = {
	{ "arch", &string, false, 0 }, { "os", &string, false, 0 },
	{ "kernel", &string, false, 0 }, { "glibc", &string, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct shape integers = { K_MAP, NULL, &integer };
static const struct member topology_members[] = {
	{ "sockets", &integer, false, 0 }, { "cores_per_socket", &integer, false, 0 },
	{ "threads_per_core", &integer, false, 0 }, { "numa_nodes", &integer, false, 0 },
	{ "cache_kib", &integers, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct shape topology = { K_OBJECT, topology_members, NULL };
static const struct member cpu_members[] = {
	{ "vendor", &string, false, 0 }, { "model", &string, false, 0 },
	{ "family", &integer, false, 0 }, { "model_id", &integer, false, 0 },
	{ "stepping", &integer, false, 0 }, { "flags", &string_list, false, 0 },
	{ "microcode", &string, false, 0 }, { "logical_cpus", &integer, false, 0 },
	/* Since schema 3 (schema.c). */
	{ "topology", &topology, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct member library_members[] = {
	{ "path", &string, true, 0 }, { "version", &string, false, 0 },
	{ "sha256", &sha256, false, 0 },
	/* Since schema 3 (schema.c). */
	{ "observed", &boolean, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct shape library = { K_OBJECT, library_members, NULL };
static const struct member install_members[] = {
	{ "url", &string, true, 0 }, { "vcs", &string, false, 0 },
	{ "commit_id", &string, false, 0 }, { "editable", &boolean, false, 0 },
	{ "tree", &digest, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct shape install = { K_OBJECT, install_members, NULL };
static const struct shape installs = { K_MAP, NULL, &install };
static const struct member python_build_members[] = {
	{ "version", &string, false, 0 }, { "compiler", &string, false, 0 },
	{ "config_args", &string, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct shape python_build = { K_OBJECT, python_build_members, NULL };
static const struct member python_members[] = {
	{ "executable", &string, false, 0 }, { "version", &string, false, 0 },
	{ "packages", &strings, false, 0 },
	/* Since schema 3 (schema.c). */
	{ "installs", &installs, false, 0 }, { "build", &python_build, false, 0 },
	{ NULL, NULL, false, 0 },
};
static const struct member device_members[] = {
	{ "name", &string, false, 0 }, { "compute_capability", &string, false, 0 },
	{ "memory_mib", &integer, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct shape device = { K_OBJECT, device_members, NULL };
static const struct member gpu_system_members[] = {
	{ "cuda_runtime", &string, false, 0 }, { "cudnn", &string, false, 0 },
	{ "nccl", &string, false, 0 }, { "cublas", &string, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct shape gpu_system = { K_OBJECT, gpu_system_members, NULL };
/* The frameworks section (schema 3): see README.md, "What a lock holds". */
static const struct member bundled_members[] = {
	{ "sha256", &sha256, true, 0 }, { NULL, NULL, false, 0 },
};
static const struct shape bundled = { K_OBJECT, bundled_members, NULL };
static const struct shape bundled_map = { K_MAP, NULL, &bundled };
static const struct shape build_info = { K_MAP, NULL, &pyliteral };
static const struct member torch_members[] = {
	{ "version", &string, false, 0 }, { "cuda", &string, false, 0 }, { "hip", &string, false, 0 },
	{ "git_version", &string, false, 0 }, { "debug", &boolean, false, 0 },
	{ "libraries", &bundled_map, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct member tensorflow_members[] = {
	{ "version", &string, false, 0 }, { "build_info", &build_info, false, 0 },
	{ "libraries", &bundled_map, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct member jax_members[] = {
	{ "version", &string, false, 0 }, { "jaxlib", &string, false, 0 },
	{ "plugins", &strings, false, 0 }, { "libraries", &bundled_map, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct member wheel_members[] = {
	{ "version", &string, false, 0 }, { "libraries", &bundled_map, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct shape wheel = { K_OBJECT, wheel_members, NULL };
static const struct shape wheels = { K_MAP, NULL, &wheel };
static const struct shape torch = { K_OBJECT, torch_members, NULL };
static const struct shape tensorflow = { K_OBJECT, tensorflow_members, NULL };
static const struct shape jax = { K_OBJECT, jax_members, NULL };
static const struct member frameworks_members[] = {
	{ "torch", &torch, false, 0 }, { "tensorflow", &tensorflow, false, 0 }, { "jax", &jax, false, 0 },
	{ "nvidia", &wheels, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct shape frameworks = { K_OBJECT, frameworks_members, NULL };
static const struct shape devices = { K_ARRAY, NULL, &device };
static const struct member gpu_members[] = {
	{ "driver", &string, false, 0 }, { "cuda_driver", &string, false, 0 },
	{ "cuda_runtime", &string, false, 0 }, { "cudnn", &string, false, 0 },
	{ "nccl", &string, false, 0 }, { "cublas", &string, false, 0 },
	{ "devices", &devices, false, 0 },
	/* Since schema 3 (schema.c). */
	{ "system", &gpu_system, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct member code_members[] = {
	{ "git_commit", &git_oid, false, 0 }, { "git_dirty", &boolean, false, 0 }, { NULL, NULL, false, 0 },
};
static const struct shape host = { K_OBJECT, host_members, NULL };
static const struct shape cpu = { K_OBJECT, cpu_members, NULL };
static const struct shape libraries = { K_MAP, NULL, &library };
static const struct shape python = { K_OBJECT, python_members, NULL };
static const struct shape gpu = { K_OBJECT, gpu_members, NULL };
static const struct shape data = { K_MAP, NULL, &digest };
static const struct shape code = { K_OBJECT, code_members, NULL };
static const struct shape meta = { K_OBJECT, NULL, &any };

static const struct member lock_members[] = {
	{ "envlock", &integer, true, 0 },
	{ "fingerprint", &digest, true, 0 },
	{ "meta", &meta, false, 0 },
	{ "host", &host, false, 0 },
	{ "cpu", &cpu, false, 0 },
	{ "toolchain", &strings, false, 0 },
	{ "libraries", &libraries, false, 0 },
	{ "python", &python, false, 0 },
	/* Since schema 3 (schema.c). */
	{ "frameworks", &frameworks, false, 0 },
	{ "gpu", &gpu, false, 0 },
	{ "env", &strings, false, 0 },
	{ "threads", &threads, false, 0 },
	{ "data", &data, false, 0 },
	/* Schema 2 keeps the code's identity out of the fingerprint (meta.code). */
	{ "code", &code, false, 1 },
	{ NULL, NULL, false, 0 },
};
static const struct shape lock_shape = { K_OBJECT, lock_members, NULL };

static const char *expectation(enum kind kind)
{
	switch (kind) {
	case K_STRING: return "a string";
	case K_INTEGER: return "a whole number of at least 0";
	case K_THREADS: return "a whole number from 1 to " EL__STR(EL_THREADS_MAX);
	case K_BOOLEAN: return "true or false";
	case K_SHA256: return "64 lowercase hex digits";
	case K_DIGEST: return "\"sha256:\" and 64 lowercase hex digits";
	case K_GIT_OID: return "a git commit id (40 or 64 lowercase hex digits)";
	case K_OBJECT: case K_MAP: return "an object";
	case K_ARRAY: return "an array";
	case K_PYLITERAL: return "a string, true or false, a whole number, or an array of strings";
	case K_ANY: break;
	}
	return "a value";
}

struct reader {
	const char *origin;
	int schema;
	el__buf path;
};

static int wrong(struct reader *r, enum kind kind)
{
	return el__error(EL_EINVAL, "%s: %s: expected %s", r->origin, r->path.len ? r->path.data : "(top level)",
			 expectation(kind));
}

static int check(struct reader *r, json_t *v, const struct shape *s);

static int check_members(struct reader *r, json_t *obj, const struct shape *s)
{
	size_t mark = r->path.len;
	const char *key;
	json_t *value;
	int ret = EL_OK;

	/* The listed members that must be there. */
	for (const struct member *m = s->members; m && m->name && ret == EL_OK; m++) {
		if (m->required && !json_object_get(obj, m->name)) {
			el__path_key(&r->path, m->name);
			ret = el__error(EL_EINVAL, "%s: %s is missing", r->origin, r->path.data);
		}
		el__buf_truncate(&r->path, mark);
	}
	json_object_foreach(obj, key, value) {
		const struct shape *child = s->item;

		if (ret != EL_OK)
			break;
		if (s->kind == K_OBJECT && s->members) {
			const struct member *m = s->members;

			while (m->name && strcmp(m->name, key) != 0)
				m++;
			child = m->until && r->schema > m->until ? NULL : m->shape;
			/* What a later schema added: a section (top level), or a member of one (its path is r->path). */
			if (child && el__schema_since(mark > 0 ? r->path.data : "", key) > r->schema)
				child = NULL;
		}
		el__path_key(&r->path, key);
		if (!child)
			ret = el__error(EL_EINVAL, "%s: %s: not part of schema %d", r->origin, r->path.data,
					r->schema);
		else
			ret = check(r, value, child);
		el__buf_truncate(&r->path, mark);
	}
	return ret;
}

static int check(struct reader *r, json_t *v, const struct shape *s)
{
	const char *text = json_string_value(v);
	size_t mark = r->path.len;
	int ret = EL_OK;

	switch (s->kind) {
	case K_ANY:
		return EL_OK;
	case K_STRING:
		return text ? EL_OK : wrong(r, s->kind);
	case K_INTEGER:
		return json_is_integer(v) && json_integer_value(v) >= 0 ? EL_OK : wrong(r, s->kind);
	case K_THREADS:
		return json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= EL_THREADS_MAX
			       ? EL_OK
			       : wrong(r, s->kind);
	case K_BOOLEAN:
		return json_is_boolean(v) ? EL_OK : wrong(r, s->kind);
	case K_SHA256:
		return text && el__lower_hex_str(text, 64) ? EL_OK : wrong(r, s->kind);
	case K_DIGEST:
		return text && el__startswith(text, "sha256:") && el__lower_hex_str(text + 7, 64) ? EL_OK : wrong(r, s->kind);
	case K_GIT_OID:
		return text && (el__lower_hex_str(text, 40) || el__lower_hex_str(text, 64)) ? EL_OK : wrong(r, s->kind);
	case K_PYLITERAL:
		if (json_is_array(v)) {
			for (size_t i = 0; i < json_array_size(v); i++)
				if (!json_is_string(json_array_get(v, i)))
					return wrong(r, s->kind);
			return EL_OK;
		}
		return text || json_is_boolean(v) || json_is_integer(v) ? EL_OK : wrong(r, s->kind);
	case K_OBJECT:
	case K_MAP:
		return json_is_object(v) ? check_members(r, v, s) : wrong(r, s->kind);
	case K_ARRAY:
		if (!json_is_array(v))
			return wrong(r, s->kind);
		for (size_t i = 0; i < json_array_size(v) && ret == EL_OK; i++) {
			el__path_index(&r->path, i);
			ret = check(r, json_array_get(v, i), s->item);
			el__buf_truncate(&r->path, mark);
		}
		return ret;
	}
	return wrong(r, s->kind);
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
	el__buf_init(&r.path);
	if (ret == EL_OK) {
		r.schema = (int)json_integer_value(json_object_get(doc, "envlock"));
		ret = check(&r, doc, &lock_shape);
	}
	el__buf_free(&r.path);
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
