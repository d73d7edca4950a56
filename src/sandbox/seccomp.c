/*
 * The seccomp filter, compiled by libseccomp into two programs that the
 * kernel runs one after the other (the stricter answer wins):
 *
 *   known: a system call numbered above the highest libseccomp knows for
 *          this architecture returns ENOSYS, so that a C library trying a
 *          call newer than the filter falls back instead of failing with
 *          EPERM; calls from another architecture or the x32 ABI kill the
 *          process.
 *   deny:  the plan's denials with EPERM, ioctl TIOCSTI/TIOCLINUX compared
 *          on the request's low 32 bits (the kernel ignores the rest), and
 *          clone with a namespace flag. clone3 returns ENOSYS: its flags
 *          are in memory a filter cannot read.
 *
 * Two programs because one cannot say both: libseccomp lets an
 * unconditional "allow ioctl" win over a conditional "deny ioctl TIOCSTI".
 * They are compiled in the sandbox's PID 1 (while envlock checks drift) and
 * installed by the command's process just before execve.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/setup.h"

/* The highest system call number looked up in libseccomp's table. */
#define MAX_SYSCALL_NR 1024

static const unsigned long long namespace_flags[] = {
	CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP,
};

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

static scmp_filter_ctx new_filter(uint32_t default_action)
{
	scmp_filter_ctx ctx = seccomp_init(default_action);

	if (!ctx)
		return NULL;
	/* Kill the whole process, not just the thread, for a foreign architecture. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) != 0 ||
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

/*
 * The "known" program, written out by hand: libseccomp compares system
 * call numbers for equality only, so saying "above the highest number
 * I know" would take one rule per known call (hundreds, milliseconds to
 * compile on every run). runc does the same for the same reason. Which
 * numbers are known still comes from libseccomp's table.
 */
static int compile_known(el__setup *s)
{
	const uint32_t arch = seccomp_arch_native();
	const int highest = highest_known_syscall();
	struct sock_filter program[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* x32 calls carry this bit under the x86-64 architecture value. */
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, arch == SCMP_ARCH_X86_64 ? 0x40000000U : 0U, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)highest, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};

	if (highest < 0)
		return el__setup_fail(s, "seccomp: libseccomp knows no system call of this architecture");
	s->seccomp.known.filter = malloc(sizeof(program));
	if (!s->seccomp.known.filter)
		return el__setup_fail(s, "seccomp: out of memory");
	memcpy(s->seccomp.known.filter, program, sizeof(program));
	s->seccomp.known.len = sizeof(program) / sizeof(program[0]);
	return 0;
}

/*
 * No file made set-user-ID or set-group-ID. When root runs envlock, the
 * sandbox's user is root on the host: a set-user-ID file it leaves in the
 * working directory would be a root shell for whoever can reach it there.
 * Each rule names the argument holding the mode (and, for open, the
 * O_CREAT that makes the mode count). openat2 keeps its mode in memory a
 * filter cannot read: ENOSYS, and the C library's open() does not use it.
 */
static int deny_setid_files(scmp_filter_ctx ctx)
{
	static const struct {
		const char *name;
		unsigned mode_arg;  /* which argument holds the mode */
		int flags_arg;      /* the open flags' argument, or -1 */
	} calls[] = {
		{ "chmod", 1, -1 }, { "fchmod", 1, -1 }, { "fchmodat", 2, -1 }, { "fchmodat2", 2, -1 },
		{ "creat", 1, -1 }, { "mknod", 1, -1 },  { "mknodat", 2, -1 },  { "open", 2, 1 },
		{ "openat", 3, 2 },
	};
	/* O_CREAT, or O_TMPFILE's own bit: either makes the mode count. */
	static const scmp_datum_t creating[] = { O_CREAT, __O_TMPFILE };
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	int rc = 0;

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]) && rc == 0; i++) {
		int nr = seccomp_syscall_resolve_name(calls[i].name);

		/* Unknown to this libseccomp: the known program answers ENOSYS. */
		if (nr == __NR_SCMP_ERROR)
			continue;
		for (scmp_datum_t bit = S_ISGID; bit <= S_ISUID && rc == 0; bit <<= 1) {
			struct scmp_arg_cmp mode = { calls[i].mode_arg, SCMP_CMP_MASKED_EQ, bit, bit };

			if (calls[i].flags_arg < 0) {
				rc = seccomp_rule_add_array(ctx, eperm, nr, 1, &mode);
				continue;
			}
			for (size_t c = 0; c < sizeof(creating) / sizeof(creating[0]) && rc == 0; c++) {
				struct scmp_arg_cmp both[2] = {
					{ (unsigned)calls[i].flags_arg, SCMP_CMP_MASKED_EQ, creating[c], creating[c] }, mode,
				};

				rc = seccomp_rule_add_array(ctx, eperm, nr, 2, both);
			}
		}
	}
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
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
		rc = seccomp_rule_add(ctx, eperm, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, TIOCSTI));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, eperm, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffULL, TIOCLINUX));
	for (size_t i = 0; plan->deny_clone_namespaces && rc == 0 && i < sizeof(namespace_flags) / sizeof(namespace_flags[0]); i++)
		rc = seccomp_rule_add(ctx, eperm, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i], namespace_flags[i]));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	if (rc == 0)
		rc = deny_setid_files(ctx);
	ret = rc ? el__setup_fail(s, "seccomp: %s", strerror(-rc)) : export_program(s, ctx, &s->seccomp.deny, "deny");
	seccomp_release(ctx);
	return ret;
}

int el__seccomp_compile(el__setup *s)
{
	if (compile_known(s) != 0)
		return -1;
	return compile_deny(s);
}

int el__seccomp_install(const el__seccomp_programs *programs)
{
	/* no_new_privs is set already: no capability is needed to install a filter. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &programs->known) != 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &programs->deny);
}
