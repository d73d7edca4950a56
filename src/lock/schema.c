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
static const char *const gpu_stack[] = { "cuda_runtime", "cudnn", "nccl", "cublas", NULL };

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
	{ "gpu", "system", 3, gpu_stack },
	/* A library a run was seen to load (capture --observe), in any entry of libraries. */
	{ "libraries.*", "observed", 3, NULL },
	{ NULL, NULL, 0, NULL },
};

/* copy's keys a moves back from its member (see gpu_stack). */
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

int el__lock_compared_section(json_t **out, const char *section, json_t *value, int schema, el__buf *left_out)
{
	json_t *copy = NULL;

	*out = NULL;
	for (const struct el__schema_addition *a = el__schema_additions; a->section; a++) {
		if (a->since <= schema)
			continue;
		/* A whole section a later schema added: left out. */
		if (!*a->section && strcmp(a->member, section) == 0) {
			el__buf_printf(left_out, "%s%s", left_out->len ? ", " : "", section);
			return el__buf_failed(left_out) ? el__error_oom() : EL_OK;
		}
		if (strcmp(a->section, section) != 0 || !json_is_object(value) || !json_object_get(value, a->member))
			continue;
		/* A copy: the lock itself keeps what it holds. */
		if (!copy && !(copy = json_copy(value)))
			return el__error_oom();
		if (a->moved && move_back(copy, a) != EL_OK) {
			json_decref(copy);
			return EL_ENOMEM;
		}
		json_object_del(copy, a->member);
		el__buf_printf(left_out, "%s%s.%s", left_out->len ? ", " : "", a->section, a->member);
	}
	*out = copy ? copy : json_incref(value);
	return el__buf_failed(left_out) ? el__error_oom() : EL_OK;
}
