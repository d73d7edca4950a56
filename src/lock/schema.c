/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What each lock schema added to the fingerprinted body. A lock written
 * before a member existed has none of it; comparing it with a capture
 * that does would make every existing lock drift the day envlock learns
 * to look further. So a comparison leaves out what the older side's
 * schema did not have, and says so (el_diff.not_compared); a lock that
 * claims an older schema may not carry a newer member.
 */
#include "lock/lock_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/error.h"

/*
 * Schema 2 recorded the system toolkit at gpu.cuda_runtime, cudnn, nccl and
 * cublas; schema 3 moves it to gpu.system where a framework loads its own
 * stack or none. Compared with a schema-2 lock, a capture is seen as
 * schema 2 would have recorded it, so that upgrading envlock makes no
 * drift there.
 */
const char *const el__gpu_stack_keys[] = { "cuda_runtime", "cudnn", "nccl", "cublas", NULL };

/* A section of its own is listed with section "" (the lock's top level). */
const struct el__schema_addition el__schema_additions[] = {
	/* Sockets, cores, threads per core, NUMA nodes and cache sizes (sysfs). */
	{ "cpu", "topology", 3, NULL },
	/* The frameworks of the lock's interpreter and their bundled libraries and CUDA wheels. */
	{ "", "frameworks", 3, NULL },
	/* Editable, VCS and URL installs' identities (PEP 610 direct_url.json). */
	{ "python", "installs", 3, NULL },
	/* The interpreter's build: sys.version in full, compiler, CONFIG_ARGS. */
	{ "python", "build", 3, NULL },
	/* The system CUDA toolkit when gpu.* describes the stack a framework loads instead. */
	{ "gpu", "system", 3, el__gpu_stack_keys },
	/* A library a run was seen to load (capture --observe), in any entry of libraries. */
	{ "libraries.*", "observed", 3, NULL },
	{ NULL, NULL, 0, NULL },
};

/* copy's keys a moves back from its member (see el__gpu_stack_keys). */
static int move_back(json_t *copy, const struct el__schema_addition *a)
{
	json_t *member = json_object_get(copy, a->member);

	for (const char *const *k = a->moved; *k; k++) {
		json_t *v = json_object_get(member, *k);

		json_object_del(copy, *k);
		if (v && json_object_set(copy, *k, v))
			return el__error_oom();
	}
	return EL_OK;
}

/* section matches pattern: equal, or "S.*" and any one entry of S (S.key or S["key"]). */
static bool section_matches(const char *pattern, const char *section)
{
	size_t n = strlen(pattern);

	if (n < 2 || strcmp(pattern + n - 2, ".*") != 0)
		return strcmp(pattern, section) == 0;
	n -= 2;
	if (strncmp(pattern, section, n) != 0)
		return false;
	if (section[n] == '.')
		return section[n + 1] && !strpbrk(section + n + 1, ".[");
	/* S["key"]: the quoted key is the path's last part. */
	return section[n] == '[' && strlen(section + n) >= 4 && strcmp(section + strlen(section) - 2, "\"]") == 0;
}

int el__schema_since(const char *section, const char *member)
{
	for (const struct el__schema_addition *a = el__schema_additions; a->section; a++)
		if (section_matches(a->section, section) && strcmp(a->member, member) == 0)
			return a->since;
	return 0;
}

void el__gpu_stack_kind(const json_t *frameworks, bool *framework, bool *cuda, bool *wheels)
{
	const json_t *nvidia = json_object_get(frameworks, "nvidia");
	const json_t *tf_info = json_object_get(json_object_get(frameworks, "tensorflow"), "build_info");

	*framework = json_object_get(frameworks, "torch") || json_object_get(frameworks, "tensorflow") ||
		     json_object_get(frameworks, "jax");
	*wheels = false;
	for (const char *const *k = el__gpu_stack_keys; *k; k++)
		*wheels |= json_is_string(json_object_get(json_object_get(nvidia, *k), "version"));
	*cuda = json_is_string(json_object_get(json_object_get(frameworks, "torch"), "cuda")) ||
		json_is_true(json_object_get(tf_info, "is_cuda_build")) ||
		json_object_size(json_object_get(json_object_get(frameworks, "jax"), "plugins")) > 0;
}

bool el__gpu_stack_switched(const json_t *doc)
{
	bool framework, cuda, wheels;

	el__gpu_stack_kind(json_object_get(doc, "frameworks"), &framework, &cuda, &wheels);
	/* A CUDA build without wheels loads the system's toolkit, left at gpu.* as schema 2 had it. */
	return framework && !(cuda && !wheels);
}

/* "libraries.*": a member of every entry of the section; the entries that have it, copied without it. */
static int strip_from_entries(json_t **copy, json_t *value, const char *member, bool *stripped)
{
	const char *key;
	json_t *entry;

	json_object_foreach(value, key, entry) {
		json_t *e;

		if (!json_is_object(entry) || !json_object_get(entry, member))
			continue;
		if (!*copy && !(*copy = json_copy(value)))
			return el__error_oom();
		if (!(e = json_copy(entry)) || json_object_del(e, member) || json_object_set_new(*copy, key, e))
			return el__error_oom();
		*stripped = true;
	}
	return EL_OK;
}

int el__lock_compared_section(json_t **out, const char *section, json_t *value, int schema, const json_t *doc,
			      el__buf *left_out)
{
	json_t *copy = NULL;
	size_t n = strlen(section);

	*out = NULL;
	for (const struct el__schema_addition *a = el__schema_additions; a->section; a++) {
		bool stripped = false;

		if (a->since <= schema)
			continue;
		/* A whole section a later schema added: left out. */
		if (!*a->section && strcmp(a->member, section) == 0) {
			el__buf_printf(left_out, "%s%s", left_out->len ? ", " : "", section);
			return el__buf_failed(left_out) ? el__error_oom() : EL_OK;
		}
		if (!json_is_object(value))
			continue;
		if (strncmp(a->section, section, n) == 0 && strcmp(a->section + n, ".*") == 0) {
			if (strip_from_entries(&copy, value, a->member, &stripped) != EL_OK) {
				json_decref(copy);
				return EL_ENOMEM;
			}
			if (stripped)
				el__buf_printf(left_out, "%s%s.%s", left_out->len ? ", " : "", a->section, a->member);
			continue;
		}
		if (strcmp(a->section, section) != 0)
			continue;
		/*
		 * gpu.system: where the switch happened, gpu.* as schema 2 recorded
		 * it (the system's values, none when there is no system toolkit),
		 * also when there is no gpu.system to move back.
		 */
		if (!json_object_get(value, a->member) && !(a->moved && el__gpu_stack_switched(doc)))
			continue;
		/* A copy: the lock itself keeps what it holds. */
		if (!copy && !(copy = json_copy(value)))
			return el__error_oom();
		if (a->moved && move_back(copy, a) != EL_OK) {
			json_decref(copy);
			return EL_ENOMEM;
		}
		if (json_object_get(copy, a->member)) {
			json_object_del(copy, a->member);
			el__buf_printf(left_out, "%s%s.%s", left_out->len ? ", " : "", a->section, a->member);
		}
	}
	/* A gpu section that held only the wheels' stack: as schema 2 would have it, absent. */
	if (copy && json_object_size(copy) == 0) {
		json_decref(copy);
		return el__buf_failed(left_out) ? el__error_oom() : EL_OK;
	}
	*out = copy ? copy : json_incref(value);
	return el__buf_failed(left_out) ? el__error_oom() : EL_OK;
}
