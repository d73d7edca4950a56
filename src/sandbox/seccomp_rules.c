/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The built-in seccomp rules. Each holds its reason, printed with it, so
 * that --dry-run says why as well as what.
 */
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "sandbox/seccomp_rules.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* A flag the argument has, printed under its own name. */
#define FLAG(f) { #f, f, f }

/* The kernel reads an ioctl request as 32 bits: the upper half of the register must not hide one. */
static const struct el__seccomp_value terminal_input[] = {
	{ "TIOCSTI", 0xffffffffULL, TIOCSTI },
	{ "TIOCLINUX", 0xffffffffULL, TIOCLINUX },
};

static const struct el__seccomp_value new_namespace[] = {
	FLAG(CLONE_NEWNS),  FLAG(CLONE_NEWUTS), FLAG(CLONE_NEWIPC),    FLAG(CLONE_NEWUSER),
	FLAG(CLONE_NEWPID), FLAG(CLONE_NEWNET), FLAG(CLONE_NEWCGROUP),
};

static const struct el__seccomp_value set_id[] = { FLAG(S_ISUID), FLAG(S_ISGID) };

/* O_TMPFILE sets O_DIRECTORY's bit too, which a plain directory open has: only its own bit tells. */
static const struct el__seccomp_value creating[] = {
	FLAG(O_CREAT),
	{ "O_TMPFILE", __O_TMPFILE, __O_TMPFILE },
};

static const struct el__seccomp_call ioctl_call[] = { { "ioctl", { 1 } }, { NULL, { 0 } } };
static const struct el__seccomp_call clone_call[] = { { "clone", { 0 } }, { NULL, { 0 } } };

/*
 * No file made set-user-ID or set-group-ID: when root runs envlock, the
 * sandbox's user is root on the host, and a set-user-ID file it left in
 * the working directory would be a root shell for whoever reaches it
 * there. Where each call keeps the mode:
 */
static const struct el__seccomp_call mode_calls[] = {
	{ "chmod", { 1 } }, { "fchmod", { 1 } }, { "fchmodat", { 2 } }, { "fchmodat2", { 2 } },
	{ "creat", { 1 } }, { "mknod", { 1 } },  { "mknodat", { 2 } },  { NULL, { 0 } },
};

/* The open flags, then the mode, which counts only when the file is created. */
static const struct el__seccomp_call open_calls[] = {
	{ "open", { 1, 2 } }, { "openat", { 2, 3 } }, { NULL, { 0 } },
};

static const struct el__seccomp_call openat2_call[] = { { "openat2", { 0 } }, { NULL, { 0 } } };
static const struct el__seccomp_call clone3_call[] = { { "clone3", { 0 } }, { NULL, { 0 } } };

#define SET_ID_REASON                                                                                    \
	"when root starts the run, a set-id file the command leaves in a bind is set-id for root on the host"

const struct el__seccomp_rule el__seccomp_rules[] = {
	{
		.match = EL__SECCOMP_CALLS,
		.action = EL__SECCOMP_EPERM,
		.calls = ioctl_call,
		.clauses = { { "its request (low 32 bits) is", terminal_input, COUNT(terminal_input) } },
		.reason = "either fakes input on the terminal, which the shell that started envlock reads after "
			  "the run",
	},
	{
		.match = EL__SECCOMP_CALLS,
		.action = EL__SECCOMP_EPERM,
		.calls = clone_call,
		.clauses = { { "its flags have", new_namespace, COUNT(new_namespace) } },
		.reason = "namespaces made inside the sandbox, as with unshare; a profile allows them with "
			  "\"seccomp allow unshare\"",
		.namespaces = true,
	},
	{
		.match = EL__SECCOMP_CALLS,
		.action = EL__SECCOMP_EPERM,
		.calls = mode_calls,
		.clauses = { { "its mode has", set_id, COUNT(set_id) } },
		.reason = SET_ID_REASON,
	},
	{
		.match = EL__SECCOMP_CALLS,
		.action = EL__SECCOMP_EPERM,
		.calls = open_calls,
		.clauses = {
			{ "its flags have", creating, COUNT(creating) },
			{ "its mode has", set_id, COUNT(set_id) },
		},
		.reason = SET_ID_REASON,
	},
	{
		.match = EL__SECCOMP_CALLS,
		.action = EL__SECCOMP_ENOSYS,
		.calls = openat2_call,
		.reason = "its mode is in memory a filter cannot read; the C library's open() does not use it",
	},
	{
		.match = EL__SECCOMP_CALLS,
		.action = EL__SECCOMP_ENOSYS,
		.calls = clone3_call,
		.reason = "its flags are in memory a filter cannot read; the C library falls back to clone",
	},
	{
		.match = EL__SECCOMP_UNKNOWN,
		.action = EL__SECCOMP_ENOSYS,
		.what = "system calls the filter does not know",
		.reason = "a C library trying a call newer than the filter falls back, as on an older kernel",
	},
	{
		.match = EL__SECCOMP_FOREIGN,
		.action = EL__SECCOMP_KILL,
		.what = "calls from other architectures and x32",
		.reason = "the rules are written in this architecture's numbers, which mean other calls there",
	},
};

const size_t el__seccomp_rule_count = COUNT(el__seccomp_rules);

bool el__seccomp_rule_applies(const struct el__seccomp_rule *r, const el_sandbox_plan *plan)
{
	return !r->namespaces || plan->deny_clone_namespaces;
}

bool el__seccomp_call_known(const char *name)
{
	return seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR;
}

const char *el__seccomp_action_name(el__seccomp_action action)
{
	switch (action) {
	case EL__SECCOMP_EPERM: return "EPERM";
	case EL__SECCOMP_ENOSYS: return "ENOSYS";
	case EL__SECCOMP_KILL: return "kill";
	}
	return "?";
}
