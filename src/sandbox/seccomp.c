/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp filter, compiled from the rules of seccomp_rules.c (and the
 * plan's denials) into two programs that the kernel runs one after the
 * other (the stricter answer wins):
 *
 *   known: the rules on numbers, not names: a system call numbered above
 *          the highest libseccomp knows for this architecture, calls from
 *          another architecture or the x32 ABI.
 *   deny:  the plan's denials with EPERM, and the rules that name calls.
 *
 * Two programs because one cannot say both: libseccomp lets an
 * unconditional "allow ioctl" win over a conditional "deny ioctl TIOCSTI".
 * They are compiled in the sandbox's PID 1 (while envlock checks drift) and
 * installed by the command's process just before execve.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/seccomp_rules.h"
#include "sandbox/setup.h"
#include "sandbox/trace.h"

/* The highest system call number looked up in libseccomp's table. */
#define MAX_SYSCALL_NR 1024

/* The most instructions one rule takes in the known program. */
#define KNOWN_RULE_INSNS 6
#define ARCH_OFFSET offsetof(struct seccomp_data, arch)
#define NR_OFFSET offsetof(struct seccomp_data, nr)

/* Compile ctx into prog (memory from the heap) through a memfd: libseccomp 2.5 exports to fds only. */
static int export_program(el__setup *s, scmp_filter_ctx ctx, struct sock_fprog *prog, const char *what)
{
	int fd = memfd_create("envlock-seccomp", MFD_CLOEXEC);
	off_t size;
	int rc;

	if (fd < 0)
		return el__setup_fail(s, "seccomp: memfd: %s", strerror(errno));
	rc = seccomp_export_bpf(ctx, fd);
	size = lseek(fd, 0, SEEK_CUR);
	if (rc != 0 || size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		close(fd);
		return el__setup_fail(s, "seccomp: compiling the %s filter: %s", what,
				      rc ? strerror(-rc) : "unexpected size");
	}
	prog->filter = malloc((size_t)size);
	prog->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
	if (!prog->filter || pread(fd, prog->filter, (size_t)size, 0) != size) {
		close(fd);
		return el__setup_fail(s, "seccomp: reading the %s filter back", what);
	}
	close(fd);
	return 0;
}

/* The filter's answer for an action: libseccomp's SCMP_ACT_* values are the kernel's SECCOMP_RET_*. */
static uint32_t action_value(el__seccomp_action action)
{
	switch (action) {
	case EL__SECCOMP_EPERM: return SCMP_ACT_ERRNO(EPERM);
	case EL__SECCOMP_ENOSYS: return SCMP_ACT_ERRNO(ENOSYS);
	case EL__SECCOMP_KILL: return SCMP_ACT_KILL_PROCESS;
	}
	return SCMP_ACT_KILL_PROCESS;
}

/*
 * libseccomp's program tests the architecture too, with an answer of its
 * own: the known program's for foreign calls, so that the two agree.
 */
static uint32_t foreign_action(void)
{
	for (size_t i = 0; i < el__seccomp_rule_count; i++)
		if (el__seccomp_rules[i].match == EL__SECCOMP_FOREIGN)
			return action_value(el__seccomp_rules[i].action);
	return SCMP_ACT_KILL_PROCESS;
}

static scmp_filter_ctx new_filter(uint32_t default_action)
{
	scmp_filter_ctx ctx = seccomp_init(default_action);

	if (!ctx)
		return NULL;
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, foreign_action()) != 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) != 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * The highest system call number libseccomp knows for this architecture.
 * Searched from the top down: every lookup scans libseccomp's whole table,
 * and the first number found ends the search.
 */
static int highest_known_syscall(void)
{
	for (int nr = MAX_SYSCALL_NR - 1; nr >= 0; nr--) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (name) {
			free(name);
			return nr;
		}
	}
	return -1;
}

static size_t emit_foreign(struct sock_filter *p, size_t n, uint32_t arch, uint32_t action)
{
	const struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARCH_OFFSET),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFFSET),
		/* x32 calls carry this bit under the x86-64 architecture value. */
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, arch == SCMP_ARCH_X86_64 ? 0x40000000U : 0U, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
	};

	memcpy(p + n, insns, sizeof(insns));
	return n + sizeof(insns) / sizeof(insns[0]);
}

/* After a foreign rule the accumulator holds the number already. */
static size_t emit_unknown(struct sock_filter *p, size_t n, bool nr_loaded, int highest, uint32_t action)
{
	if (!nr_loaded)
		p[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFFSET);
	p[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)highest, 0, 1);
	p[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action);
	return n;
}

/*
 * The "known" program, written out by hand: libseccomp compares system
 * call numbers for equality only, so saying "above the highest number
 * I know" would take one rule per known call (hundreds, milliseconds to
 * compile on every run). runc does the same for the same reason. Which
 * numbers are known still comes from libseccomp's table.
 */
static int compile_known(el__setup *s)
{
	/* The architecture first, whatever the table's order: the other tests read its numbers. */
	static const el__seccomp_match order[] = { EL__SECCOMP_FOREIGN, EL__SECCOMP_UNKNOWN };
	const uint32_t arch = seccomp_arch_native();
	const int highest = highest_known_syscall();
	struct sock_filter *p;
	size_t n = 0;
	bool nr_loaded = false;

	if (highest < 0)
		return el__setup_fail(s, "seccomp: libseccomp knows no system call of this architecture");
	p = malloc((el__seccomp_rule_count * KNOWN_RULE_INSNS + 1) * sizeof(*p));
	if (!p)
		return el__setup_fail(s, "seccomp: out of memory");
	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
		for (size_t i = 0; i < el__seccomp_rule_count; i++) {
			const struct el__seccomp_rule *r = &el__seccomp_rules[i];
			const uint32_t action = action_value(r->action);

			if (r->match != order[o] || !el__seccomp_rule_applies(r, s->plan))
				continue;
			if (r->match == EL__SECCOMP_FOREIGN)
				n = emit_foreign(p, n, arch, action);
			else
				n = emit_unknown(p, n, nr_loaded, highest, action);
			nr_loaded = true;
		}
	}
	p[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	s->seccomp.known.filter = p;
	s->seccomp.known.len = (unsigned short)n;
	return 0;
}

/*
 * Every choice of one value per clause is one libseccomp rule: the
 * comparisons of a rule must all hold, and any of the rules may.
 */
static int add_call(scmp_filter_ctx ctx, const struct el__seccomp_rule *r, const struct el__seccomp_call *call,
		    int nr)
{
	size_t clauses = 0, pick[EL__SECCOMP_MAX_CLAUSES] = { 0 };

	while (clauses < EL__SECCOMP_MAX_CLAUSES && r->clauses[clauses].count)
		clauses++;
	for (;;) {
		struct scmp_arg_cmp cmp[EL__SECCOMP_MAX_CLAUSES];
		size_t i;
		int rc;

		for (i = 0; i < clauses; i++) {
			const struct el__seccomp_value *v = &r->clauses[i].any_of[pick[i]];

			cmp[i] = (struct scmp_arg_cmp){ call->arg[i], SCMP_CMP_MASKED_EQ, v->mask, v->value };
		}
		rc = seccomp_rule_add_array(ctx, action_value(r->action), nr, (unsigned)clauses, cmp);
		if (rc != 0)
			return rc;
		for (i = 0; i < clauses && ++pick[i] == r->clauses[i].count; i++)
			pick[i] = 0;
		if (i == clauses)
			return 0;
	}
}

static int add_rules(scmp_filter_ctx ctx, const el_sandbox_plan *plan)
{
	int rc = 0;

	for (size_t i = 0; i < el__seccomp_rule_count && rc == 0; i++) {
		const struct el__seccomp_rule *r = &el__seccomp_rules[i];

		if (r->match != EL__SECCOMP_CALLS || !el__seccomp_rule_applies(r, plan))
			continue;
		for (const struct el__seccomp_call *c = r->calls; c->name && rc == 0; c++) {
			int nr = seccomp_syscall_resolve_name(c->name);

			/* Unknown to this libseccomp: the known program answers ENOSYS. */
			if (nr != __NR_SCMP_ERROR)
				rc = add_call(ctx, r, c, nr);
		}
	}
	return rc;
}

static int compile_deny(el__setup *s)
{
	const el_sandbox_plan *plan = s->plan;
	scmp_filter_ctx ctx = new_filter(SCMP_ACT_ALLOW);
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	int rc = 0, ret;

	if (!ctx)
		return el__setup_fail(s, "seccomp: cannot create a filter");
	for (size_t i = 0; i < plan->seccomp_deny_count && rc == 0; i++) {
		int nr = seccomp_syscall_resolve_name(plan->seccomp_deny[i]);

		/* A name this libseccomp does not know is ENOSYS already (the known filter). */
		if (nr != __NR_SCMP_ERROR)
			rc = seccomp_rule_add(ctx, eperm, nr, 0);
	}
	if (rc == 0)
		rc = add_rules(ctx, plan);
	ret = rc ? el__setup_fail(s, "seccomp: %s", strerror(-rc)) : export_program(s, ctx, &s->seccomp.deny, "deny");
	seccomp_release(ctx);
	return ret;
}

/*
 * The trace's program: the calls that name a file to open, execute or
 * look at, answered by envlock (trace.c; el__trace_calls lists them). A
 * file only looked at counts: Python finds its standard library by a
 * stat of os.py and checks a module's source before its cached .pyc. A
 * stat of a descriptor (fstat is fstatat(fd, "", AT_EMPTY_PATH) in glibc)
 * names no file and is not notified. Its own program, installed before
 * the others: a denial of theirs still wins over the notification, since
 * the kernel takes the strictest answer of all the filters.
 */
static int compile_trace(el__setup *s)
{
	scmp_filter_ctx ctx = new_filter(SCMP_ACT_ALLOW);
	int rc = 0, ret;

	if (!ctx)
		return el__setup_fail(s, "seccomp: cannot create a filter");
	for (const struct el__trace_call *c = el__trace_calls; c->name && rc == 0; c++) {
		int nr = seccomp_syscall_resolve_name(c->name);

		if (nr == __NR_SCMP_ERROR)
			continue;
		if (c->flags_arg < 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
		else
			rc = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 1,
					      SCMP_CMP((unsigned)c->flags_arg, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, 0));
	}
	ret = rc ? el__setup_fail(s, "seccomp: %s", strerror(-rc)) : export_program(s, ctx, &s->seccomp.trace, "trace");
	seccomp_release(ctx);
	return ret;
}

int el__seccomp_compile(el__setup *s)
{
	if (compile_known(s) != 0 || compile_deny(s) != 0)
		return -1;
	return s->plan->trace ? compile_trace(s) : 0;
}

int el__seccomp_trace_listener(const el__seccomp_programs *programs)
{
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &programs->trace);
}

int el__seccomp_install(const el__seccomp_programs *programs)
{
	/* no_new_privs is set already: no capability is needed to install a filter. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &programs->known) != 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &programs->deny);
}
