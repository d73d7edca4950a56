/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plan as text, for --dry-run: what the sandbox will be, step by step,
 * in the order the setup carries it out.
 */
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/plan.h"
#include "sandbox/seccomp_rules.h"
#include "util/error.h"

static const char *op_name(el__mount_op op)
{
	switch (op) {
	case EL__MOUNT_RO_BIND: return "ro-bind";
	case EL__MOUNT_BIND: return "bind";
	case EL__MOUNT_DEV: return "dev-bind";
	case EL__MOUNT_TMPFS: return "tmpfs";
	case EL__MOUNT_PROC: return "proc";
	case EL__MOUNT_DEVPTS: return "devpts";
	case EL__MOUNT_SYMLINK: return "symlink";
	case EL__MOUNT_FILE: return "file";
	case EL__MOUNT_READONLY: return "remount-ro";
	case EL__MOUNT_OVERLAY: return "overlay";
	}
	return "?";
}

/* A C0 or DEL byte, or the UTF-8 form of a C1 control (U+0080..U+009F): its length, else 0. */
static size_t control_length(const unsigned char *p)
{
	if (*p < 0x20 || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

/*
 * Text from the host (paths, values, arguments) printed so that no control
 * character reaches the terminal: each byte of one as \xNN. With
 * escape_backslash, a backslash is doubled so the text reads back exactly.
 */
static void put_escaped(FILE *out, const char *s, bool escape_backslash)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		size_t n = control_length(p);

		if (n) {
			for (size_t i = 0; i < n; i++)
				fprintf(out, "\\x%02x", p[i]);
			p += n - 1;
		} else if (*p == '\\' && escape_backslash) {
			fputs("\\\\", out);
		} else {
			fputc(*p, out);
		}
	}
}

static void put_text(FILE *out, const char *s)
{
	put_escaped(out, s, true);
}

static void put_word(FILE *out, const char *s)
{
	/* Shell-like quoting only where needed, so the command reads as typed. */
	if (*s && strcspn(s, " \t\n'\"\\$`*?[]{}();&|<>#~!") == strlen(s)) {
		put_text(out, s);
		return;
	}
	fputc('\'', out);
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, "'");

		/* Between quotes a backslash is itself; control characters are still escaped. */
		char *part = strndup(p, n);

		if (part)
			put_escaped(out, part, false);
		free(part);
		p += n;
		if (*p == '\'') {
			fputs("'\\''", out);
			p++;
		}
	}
	fputc('\'', out);
}

static void print_mounts(const el_sandbox_plan *plan, FILE *out)
{
	fputs("mounts:\n  tmpfs      /  (the new root)\n", out);
	for (size_t i = 0; i < plan->mount_count; i++) {
		const struct el__mount_step *m = &plan->mounts[i];

		fprintf(out, "  %-10s ", op_name(m->op));
		put_text(out, m->dest);
		switch (m->op) {
		case EL__MOUNT_SYMLINK:
			fputs(" -> ", out);
			put_text(out, m->source);
			break;
		case EL__MOUNT_TMPFS:
		case EL__MOUNT_FILE:
			/* Scratch: what the command leaves there is listed when it ends. */
			fprintf(out, "  (mode %04o%s)", m->mode, m->scratch ? ", scratch" : "");
			break;
		case EL__MOUNT_OVERLAY:
			fputs("  (read-only, its writes kept in a tmpfs)", out);
			if (m->idmap && plan->root_idmapped)
				fputs("  (idmapped)", out);
			break;
		case EL__MOUNT_RO_BIND:
		case EL__MOUNT_BIND:
		case EL__MOUNT_DEV:
			if (strcmp(m->source, m->dest) != 0) {
				fputs("  from ", out);
				put_text(out, m->source);
			}
			if (m->idmap && plan->root_idmapped)
				fputs("  (idmapped)", out);
			break;
		default:
			break;
		}
		fputc('\n', out);
	}
}

static size_t count_calls(const struct el__seccomp_rule *r, bool known)
{
	size_t n = 0;

	for (const struct el__seccomp_call *c = r->calls; c->name; c++)
		n += el__seccomp_call_known(c->name) == known;
	return n;
}

/* The names of r's calls that libseccomp knows (or, !known, does not), after *printed names. */
static void put_calls(FILE *out, const struct el__seccomp_rule *r, bool known, size_t *printed)
{
	for (const struct el__seccomp_call *c = r->calls; c->name; c++)
		if (el__seccomp_call_known(c->name) == known)
			fprintf(out, "%s%s", (*printed)++ ? ", " : "", c->name);
}

static void put_condition(FILE *out, const struct el__seccomp_rule *r)
{
	for (size_t i = 0; i < EL__SECCOMP_MAX_CLAUSES && r->clauses[i].count; i++) {
		const struct el__seccomp_clause *c = &r->clauses[i];

		fprintf(out, " %s %s", i ? "and" : "if", c->what);
		for (size_t v = 0; v < c->count; v++)
			fprintf(out, "%s%s", v == 0 ? " " : v + 1 < c->count ? ", " : " or ", c->any_of[v].name);
	}
}

/* A call the rules name but libseccomp does not know has no rule: the filter answers it as unknown. */
static void put_unknown_calls(const el_sandbox_plan *plan, FILE *out)
{
	size_t printed = 0;

	for (size_t i = 0; i < el__seccomp_rule_count; i++) {
		const struct el__seccomp_rule *r = &el__seccomp_rules[i];

		if (r->match != EL__SECCOMP_CALLS || !el__seccomp_rule_applies(r, plan) || count_calls(r, false) == 0)
			continue;
		if (!printed)
			fputs(" (", out);
		put_calls(out, r, false, &printed);
	}
	if (printed)
		fputs(" among them)", out);
}

static void print_seccomp(const el_sandbox_plan *plan, FILE *out)
{
	fprintf(out, "seccomp:\n  %-10s ", el__seccomp_action_name(EL__SECCOMP_EPERM));
	for (size_t i = 0; i < plan->seccomp_deny_count; i++)
		fprintf(out, "%s%s", i ? " " : "", plan->seccomp_deny[i]);
	fputc('\n', out);
	for (size_t i = 0; i < el__seccomp_rule_count; i++) {
		const struct el__seccomp_rule *r = &el__seccomp_rules[i];
		size_t printed = 0;

		if (!el__seccomp_rule_applies(r, plan))
			continue;
		/* Every call unknown to libseccomp: the rule has nothing to compile. */
		if (r->match == EL__SECCOMP_CALLS && count_calls(r, true) == 0)
			continue;
		fprintf(out, "  %-10s ", el__seccomp_action_name(r->action));
		if (r->match == EL__SECCOMP_CALLS) {
			put_calls(out, r, true, &printed);
			put_condition(out, r);
		} else {
			fputs(r->what, out);
			if (r->match == EL__SECCOMP_UNKNOWN)
				put_unknown_calls(plan, out);
		}
		fprintf(out, "\n             (%s)\n", r->reason);
	}
}

int el_sandbox_plan_write(const el_sandbox_plan *plan, FILE *out)
{
	static const struct {
		int flag;
		const char *name;
	} namespaces[] = {
		{ CLONE_NEWUSER, "user" }, { CLONE_NEWNS, "mount" }, { CLONE_NEWPID, "pid" },
		{ CLONE_NEWIPC, "ipc" },   { CLONE_NEWUTS, "uts" },  { CLONE_NEWCGROUP, "cgroup" },
		{ CLONE_NEWNET, "net" },
	};

	fputs("profile: ", out);
	put_text(out, plan->profile_name);
	fputs("\nnamespaces:", out);
	for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++)
		if (plan->namespaces & namespaces[i].flag)
			fprintf(out, " %s", namespaces[i].name);
	if (plan->namespaces & CLONE_NEWNET)
		fputs(" (loopback only)", out);
	if (plan->root_idmapped)
		fprintf(out, "\nuser: uid %u gid %u (uid %u gid %u on the host; in the binds marked idmapped, "
			"root's files are its own and what it writes is root's)\nhostname: %s\n",
			(unsigned)plan->uid, (unsigned)plan->gid, EL__ROOT_RUNS_AS, EL__ROOT_RUNS_AS, plan->hostname);
	else
		fprintf(out, "\nuser: uid %u gid %u (uid %u gid %u on the host)\nhostname: %s\n",
			(unsigned)plan->uid, (unsigned)plan->gid, (unsigned)plan->host_uid,
			(unsigned)plan->host_gid, plan->hostname);
	print_mounts(plan, out);
	fputs("environment:\n", out);
	for (size_t i = 0; i < plan->env_count; i++) {
		fputs("  ", out);
		put_text(out, plan->env[i]);
		fputc('\n', out);
	}
	fputs("working directory: ", out);
	put_text(out, plan->cwd);
	fprintf(out, "\numask: %04o\n", (unsigned)plan->umask);
	if (plan->cpus)
		fprintf(out, "cpus: %u (the first %u this process may use)\n", plan->cpus, plan->cpus);
	else
		fputs("cpus: all this process may use\n", out);
	fprintf(out, "aslr: %s\n", plan->aslr ? "on" : "off");
	fputs("capabilities: none (effective, permitted, inheritable, ambient and bounding sets cleared)\n"
	      "no_new_privs: on\nsession: new (setsid)\nfile descriptors: 0, 1 and 2 only\n", out);
	print_seccomp(plan, out);
	fputs("command:", out);
	for (char **a = plan->argv; *a; a++) {
		fputc(' ', out);
		put_word(out, *a);
	}
	fputc('\n', out);
	if (fflush(out) != 0 || ferror(out))
		return el__error_errno(EL_ERROR, "writing the plan");
	return EL_OK;
}
