/*
 * What others ask of a plan: the environment the command got, the
 * sandbox's settings in a few JSON members (for the run record), and
 * whether it shows a host file.
 */
#include <sched.h>
#include <string.h>

#include "sandbox/plan.h"
#include "util/error.h"

const char *el_sandbox_plan_shows(const el_sandbox_plan *plan, const char *path)
{
	for (size_t i = 0; i < plan->mount_count; i++) {
		const struct el__mount_step *m = &plan->mounts[i];
		size_t n = m->source ? strlen(m->source) : 0;

		if ((m->op != EL__MOUNT_BIND && m->op != EL__MOUNT_RO_BIND && m->op != EL__MOUNT_OVERLAY) || !m->source)
			continue;
		if (strcmp(m->source, "/") == 0 || (strncmp(path, m->source, n) == 0 && (path[n] == '/' || path[n] == '\0')))
			return m->source;
	}
	return NULL;
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

int el_sandbox_plan_summary(json_t **out, const el_sandbox_plan *plan)
{
	*out = json_pack("{s:o,s:s,s:s?,s:i,s:b,s:I,s:I,s:o,s:s?}", "namespaces", namespaces(plan->namespaces), "net",
			 (plan->namespaces & CLONE_NEWNET) ? "none" : "host", "hostname", plan->hostname, "cpus",
			 (int)plan->cpus, "aslr", plan->aslr, "uid", (json_int_t)plan->uid, "gid", (json_int_t)plan->gid,
			 "seccompDeny", strings(plan->seccomp_deny, plan->seccomp_deny_count), "cwd", plan->cwd);
	return *out ? EL_OK : el__error_oom();
}
