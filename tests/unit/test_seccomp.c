/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp filter does what --dry-run says it does. The seccomp lines
 * of a printed plan are read back into rules; the plan's filter, compiled
 * as the sandbox compiles it, then answers
 *
 *   - every call a printed rule names, with and without its condition,
 *     made for real in a child that installed the filter;
 *   - every system call number (and other architectures', and x32's),
 *     under argument values taken from the filter itself, run through the
 *     filter's programs here: a rule compiled but not printed shows up
 *     as a call the text allows and the filter does not.
 *
 * Where the call's arguments are (the mode of chmod is its second) comes
 * from the kernel's ABI, written down here, not from envlock's table.
 */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envlock/sandbox.h"
#include "sandbox/plan.h"
#include "sandbox/setup.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define NARGS 6
#define X32_BIT 0x40000000U
#define ALL_ONES (~(uint64_t)0)
/* Where the action column of a seccomp line ends and a reason line begins. */
#define INDENT "             "

/* ---- what the printed text says ---- */

enum test_kind {
	HAS_BITS, /* "its mode has S_ISUID or ...": (argument & value) == value */
	LOW32_IS  /* "its request (low 32 bits) is TIOCSTI or ...": low half == value */
};

struct clause {
	unsigned arg;
	enum test_kind kind;
	uint64_t values[16];
	size_t count;
};

/* One call of one printed rule. */
struct call_rule {
	char name[32];
	int nr;
	uint32_t verdict; /* SECCOMP_RET_* as the kernel returns it */
	struct clause clauses[2];
	size_t clause_count;
};

struct model {
	struct call_rule calls[128];
	size_t call_count;
	bool unknown, foreign; /* the lines for numbers the filter does not know, for other ABIs */
	uint32_t unknown_verdict, foreign_verdict;
	int highest; /* the highest number libseccomp knows here */
};

/*
 * Where each call keeps what the conditions speak of (x86-64 ABI), and the
 * value it has in a probe where the condition does not hold. clone's
 * CLONE_THREAD without CLONE_SIGHAND makes the kernel refuse the call
 * (EINVAL) should the filter let it through.
 */
static const struct {
	const char *call, *what;
	unsigned arg;
	uint64_t base;
} abi[] = {
	{ "ioctl", "its request (low 32 bits) is", 1, 0 },
	{ "clone", "its flags have", 0, CLONE_THREAD },
	{ "chmod", "its mode has", 1, 0 },
	{ "fchmod", "its mode has", 1, 0 },
	{ "fchmodat", "its mode has", 2, 0 },
	{ "fchmodat2", "its mode has", 2, 0 },
	{ "creat", "its mode has", 1, 0 },
	{ "mknod", "its mode has", 1, 0 },
	{ "mknodat", "its mode has", 2, 0 },
	{ "open", "its flags have", 1, 0 },
	{ "open", "its mode has", 2, 0 },
	{ "openat", "its flags have", 2, 0 },
	{ "openat", "its mode has", 3, 0 },
};

static const struct {
	const char *name;
	uint64_t value;
} constants[] = {
	{ "TIOCSTI", TIOCSTI },
	{ "TIOCLINUX", TIOCLINUX },
	{ "CLONE_NEWNS", CLONE_NEWNS },
	{ "CLONE_NEWUTS", CLONE_NEWUTS },
	{ "CLONE_NEWIPC", CLONE_NEWIPC },
	{ "CLONE_NEWUSER", CLONE_NEWUSER },
	{ "CLONE_NEWPID", CLONE_NEWPID },
	{ "CLONE_NEWNET", CLONE_NEWNET },
	{ "CLONE_NEWCGROUP", CLONE_NEWCGROUP },
	{ "S_ISUID", S_ISUID },
	{ "S_ISGID", S_ISGID },
	{ "O_CREAT", O_CREAT },
	{ "O_TMPFILE", O_TMPFILE },
};

#define UNKNOWN_TEXT "system calls the filter does not know"
#define FOREIGN_TEXT "calls from other architectures and x32"

static uint32_t action_verdict(const char *action, size_t line)
{
	if (strcmp(action, "EPERM") == 0)
		return SECCOMP_RET_ERRNO | EPERM;
	if (strcmp(action, "ENOSYS") == 0)
		return SECCOMP_RET_ERRNO | ENOSYS;
	if (strcmp(action, "kill") == 0)
		return SECCOMP_RET_KILL_PROCESS;
	fail_msg("seccomp line %zu: no action \"%s\"", line, action);
	return 0;
}

static int highest_known(void)
{
	for (int nr = 1023; nr >= 0; nr--) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (name) {
			free(name);
			return nr;
		}
	}
	return -1;
}

/* s cut in place at each sep; the pieces in parts; how many. */
static size_t split(char *s, const char *sep, char **parts, size_t max)
{
	size_t n = 0;

	for (;;) {
		char *end = strstr(s, sep);

		assert_true(n < max);
		parts[n++] = s;
		if (!end)
			return n;
		*end = '\0';
		s = end + strlen(sep);
	}
}

/* "A, B or C" into its names. */
static size_t split_names(char *s, char **parts, size_t max)
{
	for (char *or = strstr(s, " or "); or; or = strstr(or, " or ")) {
		memcpy(or, ",   ", 4);
		memmove(or + 2, or + 4, strlen(or + 4) + 1);
	}
	return split(s, ", ", parts, max);
}

static void parse_clause(struct call_rule *c, char *text, size_t line)
{
	struct clause *cl = &c->clauses[c->clause_count];
	char *names = text, *parts[16];
	size_t i, n;

	/* The words up to the first name in capitals. */
	while ((names = strchr(names, ' ')) && !(names[1] >= 'A' && names[1] <= 'Z'))
		names++;
	if (!names)
		fail_msg("seccomp line %zu: no names in the condition \"%s\"", line, text);
	*names++ = '\0';
	for (i = 0; i < COUNT(abi); i++)
		if (strcmp(abi[i].call, c->name) == 0 && strcmp(abi[i].what, text) == 0)
			break;
	if (i == COUNT(abi))
		fail_msg("seccomp line %zu: where %s keeps \"%s\" is not known to this test", line, c->name, text);
	cl->arg = abi[i].arg;
	if (strstr(text, "(low 32 bits) is"))
		cl->kind = LOW32_IS;
	else if (strstr(text, " has") || strstr(text, " have"))
		cl->kind = HAS_BITS;
	else
		fail_msg("seccomp line %zu: no comparison in \"%s\"", line, text);
	n = split_names(names, parts, COUNT(parts));
	for (size_t p = 0; p < n; p++) {
		for (i = 0; i < COUNT(constants) && strcmp(constants[i].name, parts[p]) != 0; i++)
			;
		if (i == COUNT(constants))
			fail_msg("seccomp line %zu: no value for %s", line, parts[p]);
		cl->values[cl->count++] = constants[i].value;
	}
	c->clause_count++;
}

static struct call_rule *add_call(struct model *m, const char *name, uint32_t verdict, size_t line)
{
	struct call_rule *c = &m->calls[m->call_count];
	int nr = seccomp_syscall_resolve_name(name);

	assert_true(m->call_count < COUNT(m->calls));
	if (nr == __NR_SCMP_ERROR)
		fail_msg("seccomp line %zu: %s printed as a rule, but libseccomp does not know it", line, name);
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->nr = nr;
	c->verdict = verdict;
	m->call_count++;
	return c;
}

/* "ACTION     calls[ if condition[ and condition]]", or a line for numbers. */
static void parse_rule(struct model *m, uint32_t verdict, char *text, size_t line)
{
	char *cond = strstr(text, " if "), *names[16], *clauses[2];
	size_t n, k = 0;

	if (strncmp(text, UNKNOWN_TEXT, strlen(UNKNOWN_TEXT)) == 0) {
		char *rest = text + strlen(UNKNOWN_TEXT), *end;

		m->unknown = true;
		m->unknown_verdict = verdict;
		if (!*rest)
			return;
		/* Calls a rule names that libseccomp does not know: answered as unknown numbers. */
		end = strstr(rest, " among them)");
		if (strncmp(rest, " (", 2) != 0 || !end || end[strlen(" among them)")])
			fail_msg("seccomp line %zu: \"%s\"", line, text);
		*end = '\0';
		n = split(rest + 2, ", ", names, COUNT(names));
		for (size_t i = 0; i < n; i++)
			if (seccomp_syscall_resolve_name(names[i]) != __NR_SCMP_ERROR)
				fail_msg("seccomp line %zu: libseccomp knows %s", line, names[i]);
		return;
	}
	if (strcmp(text, FOREIGN_TEXT) == 0) {
		m->foreign = true;
		m->foreign_verdict = verdict;
		return;
	}
	if (cond) {
		*cond = '\0';
		cond += strlen(" if ");
		k = split(cond, " and ", clauses, COUNT(clauses));
	}
	n = split(text, ", ", names, COUNT(names));
	for (size_t i = 0; i < n; i++) {
		struct call_rule *c = add_call(m, names[i], verdict, line);

		for (size_t j = 0; j < k; j++) {
			/* Each call parses its own copy: the cuts are made in place. */
			char copy[512];

			snprintf(copy, sizeof(copy), "%s", clauses[j]);
			parse_clause(c, copy, line);
		}
	}
}

/*
 * The seccomp section of a printed plan: the profile's denials on the
 * first line, then each built-in rule on a line of its own followed by
 * its reason. A line of any other shape fails.
 */
static void parse_plan(struct model *m, const char *printed)
{
	const char *start = strstr(printed, "\nseccomp:\n");
	char *text, *end, *lines[64], *names[128];
	size_t n, count, line;

	if (!start || !(text = strdup(start + strlen("\nseccomp:\n"))))
		fail_msg("no seccomp section in the plan");
	if (!(end = strstr(text, "\ncommand:")))
		fail_msg("no command after the seccomp section");
	*end = '\0';
	count = split(text, "\n", lines, COUNT(lines));
	memset(m, 0, sizeof(*m));
	m->highest = highest_known();
	assert_true(m->highest > 0);

	assert_true(strncmp(lines[0], "  EPERM      ", 13) == 0);
	n = split(lines[0] + 13, " ", names, COUNT(names));
	for (size_t i = 0; i < n; i++)
		/* A name libseccomp does not know gets no rule: the profile's business, not the table's. */
		if (*names[i] && seccomp_syscall_resolve_name(names[i]) != __NR_SCMP_ERROR)
			add_call(m, names[i], SECCOMP_RET_ERRNO | EPERM, 1);

	for (line = 1; line < count; line += 2) {
		char action[16];
		size_t len = strlen(lines[line]);

		if (len < 14 || strncmp(lines[line], "  ", 2) != 0 || lines[line][2] == ' ' || lines[line][12] != ' ')
			fail_msg("seccomp line %zu is not a rule: \"%s\"", line + 1, lines[line]);
		if (line + 1 >= count || strncmp(lines[line + 1], INDENT "(", strlen(INDENT) + 1) != 0 ||
		    lines[line + 1][strlen(lines[line + 1]) - 1] != ')')
			fail_msg("seccomp line %zu has no reason after it", line + 1);
		snprintf(action, sizeof(action), "%.10s", lines[line] + 2);
		*strchrnul(action, ' ') = '\0';
		parse_rule(m, action_verdict(action, line + 1), lines[line] + 13, line + 1);
	}
	free(text);
}

static bool clause_holds(const struct clause *cl, const uint64_t args[NARGS])
{
	for (size_t i = 0; i < cl->count; i++)
		if (cl->kind == HAS_BITS ? (args[cl->arg] & cl->values[i]) == cl->values[i]
					 : (args[cl->arg] & 0xffffffffU) == cl->values[i])
			return true;
	return false;
}

/* What the printed text says the kernel answers. */
static uint32_t model_verdict(const struct model *m, uint32_t arch, uint32_t nr, const uint64_t args[NARGS])
{
	if (arch != AUDIT_ARCH_X86_64 || (nr & X32_BIT))
		return m->foreign ? m->foreign_verdict : SECCOMP_RET_ALLOW;
	if (nr > (uint32_t)m->highest)
		return m->unknown ? m->unknown_verdict : SECCOMP_RET_ALLOW;
	for (size_t i = 0; i < m->call_count; i++) {
		const struct call_rule *c = &m->calls[i];
		bool holds = c->nr == (int)nr;

		for (size_t j = 0; holds && j < c->clause_count; j++)
			holds = clause_holds(&c->clauses[j], args);
		if (holds)
			return c->verdict;
	}
	return SECCOMP_RET_ALLOW;
}

/* ---- what the filter answers ---- */

/* A classic BPF program over seccomp_data, as the kernel runs it. */
static uint32_t bpf_run(const struct sock_fprog *prog, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };

	for (size_t pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *f = &prog->filter[pc];

		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(f->k % 4 == 0 && f->k < sizeof(*d));
			memcpy(&a, (const char *)d + f->k, sizeof(a));
			break;
		case BPF_LD | BPF_W | BPF_LEN: a = sizeof(*d); break;
		case BPF_LD | BPF_IMM: a = f->k; break;
		case BPF_LD | BPF_MEM: a = mem[f->k % BPF_MEMWORDS]; break;
		case BPF_LDX | BPF_MEM: x = mem[f->k % BPF_MEMWORDS]; break;
		case BPF_LDX | BPF_IMM: x = f->k; break;
		case BPF_ST: mem[f->k % BPF_MEMWORDS] = a; break;
		case BPF_STX: mem[f->k % BPF_MEMWORDS] = x; break;
		case BPF_ALU | BPF_AND | BPF_K: a &= f->k; break;
		case BPF_ALU | BPF_OR | BPF_K: a |= f->k; break;
		case BPF_MISC | BPF_TAX: x = a; break;
		case BPF_MISC | BPF_TXA: a = x; break;
		case BPF_JMP | BPF_JA: pc += f->k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += a == f->k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: pc += a > f->k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: pc += a >= f->k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: pc += (a & f->k) ? f->jt : f->jf; break;
		case BPF_RET | BPF_K: return f->k;
		case BPF_RET | BPF_A: return a;
		default: fail_msg("BPF instruction %#x at %zu: not known to this test", f->code, pc);
		}
	}
	fail_msg("BPF program ran past its end");
	return 0;
}

/* The kernel runs the program installed last first, and keeps the first of the most restrictive answers. */
static uint32_t filter_verdict(const el__seccomp_programs *p, uint32_t arch, uint32_t nr, const uint64_t args[NARGS])
{
	struct seccomp_data d = { .nr = (int)nr, .arch = arch };
	uint32_t deny, known;

	memcpy(d.args, args, sizeof(d.args));
	deny = bpf_run(&p->deny, &d);
	known = bpf_run(&p->known, &d);
	return (int32_t)(known & SECCOMP_RET_ACTION_FULL) < (int32_t)(deny & SECCOMP_RET_ACTION_FULL) ? known : deny;
}

static const char *verdict_text(uint32_t v)
{
	switch (v & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW: return "allow";
	case SECCOMP_RET_KILL_PROCESS: return "kill the process";
	case SECCOMP_RET_ERRNO: return el_test_fmt("fail with %s", strerrorname_np((int)(v & SECCOMP_RET_DATA)));
	}
	return el_test_fmt("%#x", v);
}

/* ---- calls made for real ---- */

/* How a call ended in a child: killed by signal sig, or returned (err: its errno, 0 on success). */
struct outcome {
	int sig, err;
};

/* getpid through the i386 entry: a call from another architecture. */
static long i386_getpid(void)
{
	long ret = -ENOSYS;

#if defined(__x86_64__)
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
#endif
	return (int)ret;
}

static struct outcome run_call(const el__seccomp_programs *filter, bool i386, long nr, const uint64_t args[NARGS])
{
	struct outcome o = { 0, 0 };
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		long r;

		if (filter && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || el__seccomp_install(filter) != 0))
			_exit(255);
		if (i386) {
			r = i386_getpid();
			_exit(r < 0 ? (int)-r : 0);
		}
		r = syscall(nr, args[0], args[1], args[2], args[3], args[4], args[5]);
		_exit(r == -1 ? errno : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status)) {
		o.sig = WTERMSIG(status);
	} else {
		assert_int_not_equal(WEXITSTATUS(status), 255);
		o.err = WEXITSTATUS(status);
	}
	return o;
}

static const char *outcome_text(struct outcome o)
{
	if (o.sig)
		return el_test_fmt("died of %s", sigabbrev_np(o.sig));
	return o.err ? el_test_fmt("failed with %s", strerrorname_np(o.err)) : "succeeded";
}

struct run {
	struct model model;
	el__seccomp_programs programs;
	size_t calls_made, verdicts_compared;
};

static const char *describe(const char *name, const uint64_t args[NARGS])
{
	return el_test_fmt("%s(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx)", name, (unsigned long long)args[0],
			   (unsigned long long)args[1], (unsigned long long)args[2], (unsigned long long)args[3],
			   (unsigned long long)args[4], (unsigned long long)args[5]);
}

/* The call made in a child under the filter ends as the printed text says. */
static void expect_call(struct run *run, const char *what, bool i386, uint32_t nr, const uint64_t args[NARGS])
{
	uint32_t want = i386 ? model_verdict(&run->model, AUDIT_ARCH_I386, 20, args)
			     : model_verdict(&run->model, AUDIT_ARCH_X86_64, nr, args);
	struct outcome got = run_call(&run->programs, i386, nr, args), plain;
	bool ok;

	run->calls_made++;
	switch (want & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS:
		ok = got.sig == SIGSYS;
		break;
	case SECCOMP_RET_ERRNO:
		ok = got.sig == 0 && got.err == (int)(want & SECCOMP_RET_DATA);
		break;
	case SECCOMP_RET_ALLOW:
		plain = run_call(NULL, i386, nr, args);
		ok = got.sig == plain.sig && got.err == plain.err;
		break;
	default:
		ok = false;
	}
	if (!ok)
		fail_msg("%s: the plan says %s; in a child it %s", what, verdict_text(want), outcome_text(got));
	/* The interpreter below is held to the kernel: on the same call, the same answer. */
	if (!i386)
		assert_int_equal(filter_verdict(&run->programs, AUDIT_ARCH_X86_64, nr, args), want);
}

static void base_args(const struct call_rule *c, uint64_t args[NARGS])
{
	/* A bad descriptor, a bad address: whatever the filter lets through, the kernel refuses. */
	for (size_t i = 0; i < NARGS; i++)
		args[i] = ALL_ONES;
	for (size_t j = 0; j < c->clause_count; j++)
		for (size_t i = 0; i < COUNT(abi); i++)
			if (strcmp(abi[i].call, c->name) == 0 && abi[i].arg == c->clauses[j].arg)
				args[abi[i].arg] = abi[i].base;
}

static void set_value(const struct clause *cl, uint64_t args[NARGS], uint64_t value, bool high_bits)
{
	if (cl->kind == HAS_BITS)
		args[cl->arg] |= value;
	else
		args[cl->arg] = value | (high_bits ? 0xffffffff00000000ULL : 0);
}

/*
 * Each printed call under its condition: every choice of one value per
 * clause (an equality also with the upper half set, which the kernel
 * does not read), then each clause alone not holding.
 */
static void try_printed_calls(struct run *run)
{
	for (size_t i = 0; i < run->model.call_count; i++) {
		const struct call_rule *c = &run->model.calls[i];
		size_t pick[2] = { 0, 0 }, highs = 0;
		uint64_t base[NARGS], args[NARGS];

		base_args(c, base);
		for (size_t j = 0; j < c->clause_count; j++)
			highs += c->clauses[j].kind == LOW32_IS;
		for (;;) {
			size_t j;

			for (int high = 0; high < (highs ? 2 : 1); high++) {
				memcpy(args, base, sizeof(args));
				for (j = 0; j < c->clause_count; j++)
					set_value(&c->clauses[j], args, c->clauses[j].values[pick[j]], high);
				expect_call(run, describe(c->name, args), false, (uint32_t)c->nr, args);
				assert_int_equal(model_verdict(&run->model, AUDIT_ARCH_X86_64, (uint32_t)c->nr, args),
						 c->verdict);
			}
			for (j = 0; j < c->clause_count && ++pick[j] == c->clauses[j].count; j++)
				pick[j] = 0;
			if (j == c->clause_count)
				break;
		}
		for (size_t off = 0; off < c->clause_count; off++) {
			memcpy(args, base, sizeof(args));
			for (size_t j = 0; j < c->clause_count; j++)
				if (j != off)
					set_value(&c->clauses[j], args, c->clauses[j].values[0], false);
			expect_call(run, describe(c->name, args), false, (uint32_t)c->nr, args);
		}
	}
}

/* Calls a command makes every day, the boundaries of the known numbers, other ABIs. */
static void try_other_calls(struct run *run)
{
	uint64_t args[NARGS] = { ALL_ONES, FIONREAD, ALL_ONES, ALL_ONES, ALL_ONES, ALL_ONES };
	uint64_t zero[NARGS] = { 0 };
	struct outcome plain;

	expect_call(run, "getpid()", false, SYS_getpid, zero);
	expect_call(run, "ioctl(-1, FIONREAD)", false, SYS_ioctl, args);
	args[0] = CLONE_NEWUSER | CLONE_THREAD;
	expect_call(run, "clone(CLONE_NEWUSER | CLONE_THREAD)", false, SYS_clone, args);
	args[0] = ALL_ONES;
	args[1] = 0755;
	expect_call(run, "chmod(bad address, 0755)", false, SYS_chmod, args);
	args[1] = O_CREAT;
	args[2] = 0644;
	expect_call(run, "open(bad address, O_CREAT, 0644)", false, SYS_open, args);
	for (size_t i = 0; i < NARGS; i++)
		args[i] = ALL_ONES;
	expect_call(run, "the highest number libseccomp knows", false, (uint32_t)run->model.highest, args);
	expect_call(run, "the number after it", false, (uint32_t)run->model.highest + 1, args);
	expect_call(run, "getpid as x32", false, X32_BIT | SYS_getpid, zero);
	/* Without the i386 entry (ia32_emulation=0) the kernel answers int 0x80 itself, before any filter. */
	plain = run_call(NULL, true, 0, zero);
	if (plain.sig == 0 && plain.err == 0)
		expect_call(run, "getpid from i386", true, 0, zero);
	else
		print_message("(no i386 entry here: a call from another architecture was not made)\n");
}

static void compare_foreign(struct run *run, const char *abi_name, uint32_t arch, uint32_t nr)
{
	static const uint64_t zero[NARGS] = { 0 };
	uint32_t want = model_verdict(&run->model, arch, nr, zero);
	uint32_t got = filter_verdict(&run->programs, arch, nr, zero);

	if (got != want)
		fail_msg("%s call %#x: the plan says %s, the filter %s", abi_name, nr, verdict_text(want),
			 verdict_text(got));
	run->verdicts_compared++;
}

/*
 * Every number, under argument values that reach every comparison the
 * filter makes: none, all bits, and each constant the programs compare
 * with in every argument (the upper halves clear or set).
 */
static void compare_every_number(struct run *run)
{
	uint32_t k[512];
	size_t nk = 0, np = 0;
	static uint64_t patterns[2 + 2 * COUNT(k)][NARGS];
	const struct sock_fprog *progs[] = { &run->programs.known, &run->programs.deny };

	for (size_t p = 0; p < COUNT(progs); p++)
		for (size_t i = 0; i < progs[p]->len; i++) {
			const struct sock_filter *f = &progs[p]->filter[i];
			size_t j;

			if (BPF_CLASS(f->code) != BPF_JMP || BPF_OP(f->code) == BPF_JA)
				continue;
			for (j = 0; j < nk && k[j] != f->k; j++)
				;
			if (j == nk) {
				assert_true(nk < COUNT(k));
				k[nk++] = f->k;
			}
		}
	for (size_t a = 0; a < NARGS; a++) {
		patterns[0][a] = 0;
		patterns[1][a] = ALL_ONES;
	}
	np = 2;
	for (size_t j = 0; j < nk; j++, np += 2)
		for (size_t a = 0; a < NARGS; a++) {
			patterns[np][a] = k[j];
			patterns[np + 1][a] = 0xffffffff00000000ULL | k[j];
		}

	for (uint32_t nr = 0; nr <= (uint32_t)run->model.highest + 64; nr++) {
		for (size_t p = 0; p < np; p++) {
			uint32_t want = model_verdict(&run->model, AUDIT_ARCH_X86_64, nr, patterns[p]);
			uint32_t got = filter_verdict(&run->programs, AUDIT_ARCH_X86_64, nr, patterns[p]);

			if (got != want) {
				char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)nr);

				fail_msg("call %u (%s), every argument %#llx: the plan says %s, the filter %s", nr,
					 name ? name : "unknown", (unsigned long long)patterns[p][0],
					 verdict_text(want), verdict_text(got));
			}
			run->verdicts_compared++;
		}
		compare_foreign(run, "x32", AUDIT_ARCH_X86_64, nr | X32_BIT);
		compare_foreign(run, "i386", AUDIT_ARCH_I386, nr);
	}
}

/* ---- the plans ---- */

static void compile(el__seccomp_programs *programs, const el_sandbox_plan *plan)
{
	int fds[2];
	el__setup s = { .plan = plan, .status_fd = -1, .audit_fd = -1, .sigfd = -1 };
	char message[1024] = "";

	assert_int_equal(pipe(fds), 0);
	s.status_fd = fds[1];
	if (el__seccomp_compile(&s) != 0) {
		ssize_t n = read(fds[0], message, sizeof(message) - 1);

		message[n > 0 ? n : 0] = '\0';
		fail_msg("compiling the filter: %s", message);
	}
	close(fds[0]);
	close(fds[1]);
	*programs = s.seccomp;
}

static void check_plan(const char *const *extra_deny, bool deny_clone_namespaces)
{
	char *argv[] = { "true", NULL };
	char *deny[128];
	size_t n = 0;
	el_sandbox_plan plan = {
		.profile_name = "test",
		.namespaces = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID,
		.hostname = "envlock",
		.cwd = "/",
		.argv = argv,
		.umask = 022,
		.seccomp_deny = deny,
		.deny_clone_namespaces = deny_clone_namespaces,
	};
	struct run *run = calloc(1, sizeof(*run));
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	assert_non_null(run);
	for (const char *const *d = el__seccomp_default_deny; *d; d++)
		assert_non_null(deny[n++] = strdup(*d));
	for (const char *const *d = extra_deny; *d; d++)
		assert_non_null(deny[n++] = strdup(*d));
	deny[n] = NULL;
	plan.seccomp_deny_count = n;

	out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(el_sandbox_plan_write(&plan, out), 0);
	assert_int_equal(fclose(out), 0);
	parse_plan(&run->model, text);
	compile(&run->programs, &plan);
	try_printed_calls(run);
	try_other_calls(run);
	compare_every_number(run);
	print_message("%zu calls made under the filter, %zu verdicts compared with the plan's\n", run->calls_made,
		      run->verdicts_compared);

	free(run->programs.known.filter);
	free(run->programs.deny.filter);
	free(run);
	free(text);
	for (size_t i = 0; i < n; i++)
		free(deny[i]);
}

/* The default profile's filter. */
static void test_default_plan(void **state)
{
	static const char *const none[] = { NULL };

	check_plan(none, true);
}

/* "seccomp allow unshare": no rule for clone's namespace flags, printed or compiled. */
static void test_nested_namespaces_allowed(void **state)
{
	static const char *const none[] = { NULL };

	check_plan(none, false);
}

/* A profile's own denial next to the built-in ones. */
static void test_profile_denial(void **state)
{
	static const char *const uname[] = { "uname", NULL };

	check_plan(uname, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_plan),
		cmocka_unit_test(test_nested_namespaces_allowed),
		cmocka_unit_test(test_profile_denial),
	};

#if !defined(__x86_64__) || defined(__ILP32__)
	el_test_skip("the calls and argument positions here are the x86-64 ABI's");
#endif
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
		el_test_skip("this kernel has no seccomp");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
