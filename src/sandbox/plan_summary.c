/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What others ask of a plan: the environment the command got, the
 * sandbox's settings in a few JSON members (for the run record), and
 * whether it shows a host file.
 */
#include <sched.h>
#include <string.h>

#include "sandbox/plan.h"
#include "util/error.h"

/* Whether dest is path or a directory above it; the rest of path after it in *rest. */
static bool covers(const char *dest, const char *path, const char **rest)
{
	size_t n = strlen(dest);

	if (strcmp(dest, "/") == 0) {
		*rest = path;
		return true;
	}
	if (strncmp(path, dest, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return false;
	*rest = path + n;
	return true;
}

/* A link's target as an absolute path inside the sandbox, followed by rest. */
static int follow_link(el__buf *out, const struct el__mount_step *m, const char *rest)
{
	el__buf_reset(out);
	if (m->source[0] == '/') {
		el__buf_printf(out, "%s%s", m->source, rest);
	} else {
		const char *slash = strrchr(m->dest, '/');

		el__buf_printf(out, "%.*s/%s%s", (int)(slash - m->dest), m->dest, m->source, rest);
	}
	return el__buf_failed(out) ? el__error_oom() : EL_OK;
}

int el__sandbox_plan_host_path(const el_sandbox_plan *plan, const char *path, el__buf *host)
{
	el__buf inside;
	int ret = EL_ENOTFOUND;

	el__buf_init(&inside);
	el__buf_printf(&inside, "%s", path);
	/* A few links deep, as the sandbox's own (/lib -> usr/lib) chain at most that. */
	for (int depth = 0; depth < 8 && !el__buf_failed(&inside); depth++) {
		const struct el__mount_step *top = NULL;
		const char *rest = NULL, *r;

		/* The last step at or above the path is what the sandbox shows there. */
		for (size_t i = 0; i < plan->mount_count; i++)
			if (covers(plan->mounts[i].dest, inside.data, &r) && plan->mounts[i].op != EL__MOUNT_READONLY) {
				top = &plan->mounts[i];
				rest = r;
			}
		if (!top || !top->source) {
			ret = EL_ENOTFOUND;
			break;
		}
		if (top->op == EL__MOUNT_SYMLINK) {
			el__buf next;

			el__buf_init(&next);
			ret = follow_link(&next, top, rest);
			el__buf_free(&inside);
			inside = next;
			if (ret != EL_OK)
				break;
			ret = EL_ENOTFOUND;
			continue;
		}
		if (top->op != EL__MOUNT_BIND && top->op != EL__MOUNT_RO_BIND && top->op != EL__MOUNT_OVERLAY &&
		    top->op != EL__MOUNT_DEV) {
			ret = EL_ENOTFOUND;
			break;
		}
		el__buf_reset(host);
		el__buf_printf(host, "%s%s", strcmp(top->source, "/") == 0 ? "" : top->source, rest);
		ret = el__buf_failed(host) ? el__error_oom() : EL_OK;
		break;
	}
	if (el__buf_failed(&inside))
		ret = el__error_oom();
	el__buf_free(&inside);
	return ret;
}

/*
 * A bind shows path when its source holds it and nothing mounted later
 * covers the place it has inside (a --tmpfs over a bound directory hides
 * what is below it there).
 */
const char *el_sandbox_plan_shows(const el_sandbox_plan *plan, const char *path)
{
	el__buf inside, back;
	const char *shown = NULL;
	int ret;

	el__buf_init(&inside);
	el__buf_init(&back);
	for (size_t i = 0; i < plan->mount_count && !shown; i++) {
		const struct el__mount_step *m = &plan->mounts[i];
		const char *rest;

		if ((m->op != EL__MOUNT_BIND && m->op != EL__MOUNT_RO_BIND && m->op != EL__MOUNT_OVERLAY) || !m->source ||
		    !covers(m->source, path, &rest))
			continue;
		el__buf_reset(&inside);
		el__buf_printf(&inside, "%s%s", strcmp(m->dest, "/") == 0 ? "" : m->dest, rest);
		if (el__buf_failed(&inside)) {
			shown = m->source; /* out of memory: the answer that refuses */
			break;
		}
		ret = el__sandbox_plan_host_path(plan, inside.data, &back);
		if (ret == EL_ENOMEM || (ret == EL_OK && strcmp(back.data, path) == 0))
			shown = m->source;
	}
	el__buf_free(&inside);
	el__buf_free(&back);
	return shown;
}

char *const *el_sandbox_plan_env(const el_sandbox_plan *plan)
{
	return plan->env;
}

static json_t *namespaces(int flags)
{
	static const struct { int flag; const char *name; } all[] = {
		{ CLONE_NEWUSER, "user" }, { CLONE_NEWNS, "mount" },   { CLONE_NEWPID, "pid" },
		{ CLONE_NEWIPC, "ipc" },   { CLONE_NEWUTS, "uts" },    { CLONE_NEWCGROUP, "cgroup" },
		{ CLONE_NEWNET, "net" },
	};
	json_t *list = json_array();

	for (size_t i = 0; list && i < sizeof(all) / sizeof(all[0]); i++)
		if ((flags & all[i].flag) && json_array_append_new(list, json_string(all[i].name)) != 0) {
			json_decref(list);
			list = NULL;
		}
	return list;
}

static json_t *strings(char *const *v, size_t n)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < n; i++)
		if (json_array_append_new(list, json_string(v[i])) != 0) {
			json_decref(list);
			list = NULL;
		}
	return list;
}

int el__sandbox_plan_summary(json_t **out, const el_sandbox_plan *plan)
{
	*out = json_pack("{s:o,s:s,s:s?,s:i,s:b,s:I,s:I,s:o,s:s?}", "namespaces", namespaces(plan->namespaces), "net",
			 (plan->namespaces & CLONE_NEWNET) ? "none" : "host", "hostname", plan->hostname, "cpus",
			 (int)plan->cpus, "aslr", plan->aslr, "uid", (json_int_t)plan->uid, "gid", (json_int_t)plan->gid,
			 "seccompDeny", strings(plan->seccomp_deny, plan->seccomp_deny_count), "cwd", plan->cwd);
	return *out ? EL_OK : el__error_oom();
}
