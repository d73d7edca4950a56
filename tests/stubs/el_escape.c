/* SPDX-License-Identifier: Apache-2.0 */
/*
 * el_escape: run inside envlock's sandbox, it tries to break out or
 * misbehave and prints one line per attempt, `NAME RESULT`, then a few
 * lines of state, in a fixed order, so that a test can compare the output
 * with tests/stubs/el_escape.expected.
 *
 * RESULT is `ok` (the call succeeded), the errno name (`EPERM`, `ENOSYS`,
 * ..., `errno-N` for one outside the table), or `killed-SIGNAME` for an
 * attempt made in a forked child that died of a signal.
 *
 * seccomp answers before the kernel looks at the arguments, so every call
 * here passes arguments the kernel refuses (NULL pointers, flags with every
 * bit set, fd -1, a bad reboot magic): `EPERM` means the filter stopped it,
 * `EFAULT`, `EINVAL`, `EBADF`... mean it reached the kernel, and nothing
 * happens either way, even for root on the host. Calls that change the
 * calling process when they succeed (ptrace, unshare, clone) run in a
 * forked child. Raw syscall(2) throughout, so that no libc wrapper steps in.
 *
 * No envlock code: libc and the kernel's headers only.
 *
 * Usage: el_escape [--only NAME]...
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif
#ifndef CLONE_NEWNS
#define CLONE_NEWNS 0x00020000
#endif
#ifndef CLONE_NEWNET
#define CLONE_NEWNET 0x40000000
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

/* Numbers of the newer calls on x86-64, where older headers lack them. */
#if defined(__x86_64__)
#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif
#ifndef __NR_move_mount
#define __NR_move_mount 429
#endif
#ifndef __NR_fsopen
#define __NR_fsopen 430
#endif
#ifndef __NR_fsconfig
#define __NR_fsconfig 431
#endif
#ifndef __NR_fsmount
#define __NR_fsmount 432
#endif
#ifndef __NR_fspick
#define __NR_fspick 433
#endif
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif
#endif

/* A number no architecture gives a system call. */
#define UNKNOWN_SYSCALL 1023L

/* An attempt's own return: done, failed with errno, or not built here. */
enum { TRY_OK = 0, TRY_ERR = -1, TRY_SKIP = 1 };

/* struct clone_args up to cgroup (CLONE_ARGS_SIZE_VER2, 88 bytes), spelled out for older headers. */
struct clone_args88 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
	uint64_t stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* A call's raw return: 0 or more is success, -1 keeps errno. */
static int done(long ret)
{
	return ret < 0 ? TRY_ERR : TRY_OK;
}

/* The same for a call that returns a new file descriptor: close it. */
static int done_fd(long ret)
{
	if (ret < 0)
		return TRY_ERR;
	close((int)ret);
	return TRY_OK;
}

/*
 * A clone that returned: the child (0) leaves at once, the parent reaps it.
 * `wait_flags` is __WALL where the child may not signal its exit.
 */
static int done_clone(long ret, int wait_flags)
{
	int status;

	if (ret < 0)
		return TRY_ERR;
	if (ret == 0)
		_exit(0);
	while (waitpid((pid_t)ret, &status, wait_flags) < 0 && errno == EINTR)
		;
	return TRY_OK;
}

static int try_ptrace_traceme(void)
{
	return done(syscall(__NR_ptrace, 0L /* PTRACE_TRACEME */, 0L, NULL, NULL));
}

/* PTRACE_ATTACH to a pid above PID_MAX_LIMIT: ESRCH once past the filter; attaching to a real pid 1 would stop it. */
static int try_ptrace_attach(void)
{
	return done(syscall(__NR_ptrace, 16L /* PTRACE_ATTACH */, 0x7fffffffL, NULL, NULL));
}

/* flags must be 0: EINVAL before anything is read or written. */
static int try_process_vm_readv(void)
{
	return done(syscall(__NR_process_vm_readv, (long)getpid(), NULL, 0UL, NULL, 0UL, ~0UL));
}

static int try_process_vm_writev(void)
{
	return done(syscall(__NR_process_vm_writev, (long)getpid(), NULL, 0UL, NULL, 0UL, ~0UL));
}

/* Unknown flags and too many segments: EINVAL (EPERM without CAP_SYS_BOOT). */
static int try_kexec_load(void)
{
	return done(syscall(__NR_kexec_load, 0UL, 1000UL, NULL, ~0UL));
}

static int try_kexec_file_load(void)
{
#ifdef __NR_kexec_file_load
	return done(syscall(__NR_kexec_file_load, -1L, -1L, 0UL, NULL, ~0UL));
#else
	return TRY_SKIP;
#endif
}

/* A 4 KiB image at NULL: EFAULT when it is copied in. */
static int try_init_module(void)
{
	return done(syscall(__NR_init_module, NULL, 4096UL, NULL));
}

static int try_finit_module(void)
{
	return done(syscall(__NR_finit_module, -1L, NULL, ~0UL));
}

static int try_delete_module(void)
{
	return done(syscall(__NR_delete_module, NULL, 0UL));
}

/* NULL target: EFAULT. */
static int try_mount(void)
{
	return done(syscall(__NR_mount, NULL, NULL, NULL, 0UL, NULL));
}

static int try_umount2(void)
{
	return done(syscall(__NR_umount2, NULL, ~0UL));
}

static int try_pivot_root(void)
{
	return done(syscall(__NR_pivot_root, NULL, NULL));
}

static int try_chroot(void)
{
	return done(syscall(__NR_chroot, NULL));
}

#ifdef __NR_fsopen
static int try_fsopen(void)
{
	return done_fd(syscall(__NR_fsopen, NULL, ~0UL));
}

static int try_fsmount(void)
{
	return done_fd(syscall(__NR_fsmount, -1L, ~0UL, 0UL));
}

/* FSCONFIG_SET_FLAG on fd -1 without a key. */
static int try_fsconfig(void)
{
	return done(syscall(__NR_fsconfig, -1L, 0UL, NULL, NULL, 0L));
}

static int try_fspick(void)
{
	return done_fd(syscall(__NR_fspick, -1L, NULL, ~0UL));
}

static int try_open_tree(void)
{
	return done_fd(syscall(__NR_open_tree, -1L, NULL, ~0UL));
}

static int try_move_mount(void)
{
	return done(syscall(__NR_move_mount, -1L, NULL, -1L, NULL, ~0UL));
}

static int try_mount_setattr(void)
{
	return done(syscall(__NR_mount_setattr, -1L, NULL, ~0UL, NULL, 0UL));
}
#else
#define try_fsopen NULL
#define try_fsmount NULL
#define try_fsconfig NULL
#define try_fspick NULL
#define try_open_tree NULL
#define try_move_mount NULL
#define try_mount_setattr NULL
#endif

/* Unknown swap flags: EINVAL before the path is read. */
static int try_swapon(void)
{
	return done(syscall(__NR_swapon, NULL, ~0UL));
}

static int try_swapoff(void)
{
	return done(syscall(__NR_swapoff, NULL));
}

/* A bad first magic: EINVAL (EPERM without CAP_SYS_BOOT). */
static int try_reboot(void)
{
	return done(syscall(__NR_reboot, 0L, 0L, 0L, NULL));
}

/* An operation that does not exist: EOPNOTSUPP. */
static int try_keyctl(void)
{
	return done(syscall(__NR_keyctl, 9999L, 0L, 0L, 0L, 0L));
}

/* A payload over 1 MiB: EINVAL before the type is read. */
static int try_add_key(void)
{
	return done(syscall(__NR_add_key, NULL, NULL, NULL, ~0UL, 0L));
}

static int try_request_key(void)
{
	return done(syscall(__NR_request_key, NULL, NULL, NULL, 0L));
}

/* An unknown command with no attribute: EINVAL. */
static int try_bpf(void)
{
	return done_fd(syscall(__NR_bpf, -1L, NULL, 0UL));
}

static int try_userfaultfd(void)
{
#ifdef __NR_userfaultfd
	return done_fd(syscall(__NR_userfaultfd, ~0UL));
#else
	return TRY_SKIP;
#endif
}

/* Unknown flags: EINVAL before the attribute is read. */
static int try_perf_event_open(void)
{
	return done_fd(syscall(__NR_perf_event_open, NULL, 0L, -1L, -1L, ~0UL));
}

static int try_open_by_handle_at(void)
{
	return done_fd(syscall(__NR_open_by_handle_at, -1L, NULL, 0L));
}

/* Informational: what the built-in list does with it; unknown flags give EINVAL. */
static int try_name_to_handle_at(void)
{
	return done(syscall(__NR_name_to_handle_at, (long)AT_FDCWD, NULL, NULL, NULL, ~0UL));
}

static int try_unshare_newuser(void)
{
	return done(syscall(__NR_unshare, (long)CLONE_NEWUSER));
}

static int try_unshare_newns(void)
{
	return done(syscall(__NR_unshare, (long)CLONE_NEWNS));
}

static int try_unshare_newnet(void)
{
	return done(syscall(__NR_unshare, (long)CLONE_NEWNET));
}

static int try_setns(void)
{
	return done(syscall(__NR_setns, -1L, 0L));
}

/* clone(flags, stack, parent_tid, child_tid, tls) on x86-64; the stack is shared copy-on-write. */
static long raw_clone(unsigned long flags)
{
	return syscall(__NR_clone, flags, NULL, NULL, NULL, 0UL);
}

static int try_clone_newuser(void)
{
	return done_clone(raw_clone(CLONE_NEWUSER | SIGCHLD), 0);
}

static int try_clone_newns(void)
{
	return done_clone(raw_clone(CLONE_NEWNS | SIGCHLD), 0);
}

static int try_clone_fork(void)
{
	return done_clone(raw_clone(SIGCHLD), 0);
}

static int try_clone3_newuser(void)
{
#ifdef __NR_clone3
	struct clone_args88 args;

	memset(&args, 0, sizeof(args));
	args.flags = CLONE_NEWUSER;
	return done_clone(syscall(__NR_clone3, &args, sizeof(args)), __WALL);
#else
	return TRY_SKIP;
#endif
}

/* fd -1: EBADF once past the filter, where fd 0 could be a terminal that takes the byte. */
static int try_ioctl_tiocsti(void)
{
	char c = '\n';

	return done(syscall(__NR_ioctl, -1L, (unsigned long)TIOCSTI, &c));
}

/* The kernel keeps the low 32 bits of the request; so must the filter. */
static int try_ioctl_tiocsti_high(void)
{
	char c = '\n';

	return done(syscall(__NR_ioctl, -1L, 0x100000000UL | (unsigned long)TIOCSTI, &c));
}

static int try_ioctl_tioclinux(void)
{
	char sub = 6; /* TIOCL_GETSHIFTSTATE */

	return done(syscall(__NR_ioctl, -1L, (unsigned long)TIOCLINUX, &sub));
}

static int try_syscall_1023(void)
{
	return done(syscall(UNKNOWN_SYSCALL));
}

/*
 * A call near the top of the table reaches the kernel: the filter's
 * "unknown" bound is not set too low. futex_waitv (449, Linux 5.16) with
 * no futexes is the kernel's EINVAL.
 */
static int try_futex_waitv(void)
{
	return done(syscall(449L, NULL, 0U, 0U, NULL, 1L));
}

static int try_x32_getpid(void)
{
#if defined(__x86_64__)
	return done(syscall(__X32_SYSCALL_BIT | __NR_getpid));
#else
	return TRY_SKIP;
#endif
}

/* getpid through the i386 entry (eax 20); the kernel zeroes r8-r11 on the way back. */
static int try_i386_getpid(void)
{
#if defined(__x86_64__)
	long ret = 20;

	__asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return TRY_ERR;
	}
	return TRY_OK;
#else
	return TRY_SKIP;
#endif
}

struct attempt {
	const char *name;
	int (*fn)(void);
	bool in_child; /* run in a forked child: it changes the caller, or may kill it */
};

static const struct attempt attempts[] = {
	{ "ptrace_traceme", try_ptrace_traceme, true },
	{ "ptrace_attach", try_ptrace_attach, false },
	{ "process_vm_readv", try_process_vm_readv, false },
	{ "process_vm_writev", try_process_vm_writev, false },
	{ "kexec_load", try_kexec_load, false },
	{ "kexec_file_load", try_kexec_file_load, false },
	{ "init_module", try_init_module, false },
	{ "finit_module", try_finit_module, false },
	{ "delete_module", try_delete_module, false },
	{ "mount", try_mount, false },
	{ "umount2", try_umount2, false },
	{ "pivot_root", try_pivot_root, false },
	{ "chroot", try_chroot, false },
	{ "fsopen", try_fsopen, false },
	{ "fsmount", try_fsmount, false },
	{ "fsconfig", try_fsconfig, false },
	{ "fspick", try_fspick, false },
	{ "open_tree", try_open_tree, false },
	{ "move_mount", try_move_mount, false },
	{ "mount_setattr", try_mount_setattr, false },
	{ "swapon", try_swapon, false },
	{ "swapoff", try_swapoff, false },
	{ "reboot", try_reboot, false },
	{ "keyctl", try_keyctl, false },
	{ "add_key", try_add_key, false },
	{ "request_key", try_request_key, false },
	{ "bpf", try_bpf, false },
	{ "userfaultfd", try_userfaultfd, false },
	{ "perf_event_open", try_perf_event_open, false },
	{ "open_by_handle_at", try_open_by_handle_at, false },
	{ "name_to_handle_at", try_name_to_handle_at, false },
	{ "unshare_newuser", try_unshare_newuser, true },
	{ "unshare_newns", try_unshare_newns, true },
	{ "unshare_newnet", try_unshare_newnet, true },
	{ "setns", try_setns, true },
	{ "clone_newuser", try_clone_newuser, false },
	{ "clone_newns", try_clone_newns, false },
	{ "clone_fork", try_clone_fork, false },
	{ "clone3_newuser", try_clone3_newuser, false },
	{ "ioctl_tiocsti", try_ioctl_tiocsti, false },
	{ "ioctl_tiocsti_high", try_ioctl_tiocsti_high, false },
	{ "ioctl_tioclinux", try_ioctl_tioclinux, false },
	{ "syscall_1023", try_syscall_1023, false },
	{ "futex_waitv", try_futex_waitv, false },
	{ "x32_getpid", try_x32_getpid, true },
	{ "i386_getpid", try_i386_getpid, true },
};

#define NAME(x) { x, #x }

static const struct {
	int value;
	const char *name;
} errno_names[] = {
	NAME(EPERM), NAME(EACCES), NAME(ENOSYS), NAME(EINVAL), NAME(EFAULT),
	NAME(EBADF), NAME(ENOENT), NAME(EROFS), NAME(EEXIST), NAME(ENOTTY),
	NAME(EIO), NAME(EOPNOTSUPP), NAME(ESRCH), NAME(ECHILD), NAME(ENOEXEC),
	NAME(ENOSPC), NAME(EBUSY), NAME(ENODEV), NAME(ENOMEM), NAME(E2BIG),
};

static const struct {
	int value;
	const char *name;
} signal_names[] = {
	NAME(SIGSYS), NAME(SIGSEGV), NAME(SIGKILL), NAME(SIGILL), NAME(SIGBUS),
	NAME(SIGABRT), NAME(SIGTRAP), NAME(SIGTERM), NAME(SIGSTOP),
};

static void print_errno(const char *name, int err)
{
	for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++) {
		if (errno_names[i].value == err) {
			printf("%s %s\n", name, errno_names[i].name);
			return;
		}
	}
	printf("%s errno-%d\n", name, err);
}

static void print_signal(const char *name, int sig)
{
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++) {
		if (signal_names[i].value == sig) {
			printf("%s killed-%s\n", name, signal_names[i].name);
			return;
		}
	}
	printf("%s killed-%d\n", name, sig);
}

/*
 * Runs fn in a forked child that reports through its exit status: 0 for
 * success, the errno otherwise, 255 for a skip. The child makes no core
 * file when a filter kills it.
 */
static void run_in_child(const struct attempt *a)
{
	struct rlimit nocore = { 0, 0 };
	int status, ret;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		print_errno(a->name, errno);
		return;
	}
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &nocore);
		prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L);
		ret = a->fn();
		if (ret == TRY_SKIP)
			_exit(255);
		_exit(ret == TRY_OK ? 0 : (errno > 0 && errno < 255 ? errno : 254));
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			print_errno(a->name, errno);
			return;
		}
	}
	if (WIFSIGNALED(status))
		print_signal(a->name, WTERMSIG(status));
	else if (!WIFEXITED(status))
		printf("%s status-%d\n", a->name, status);
	else if (WEXITSTATUS(status) == 0)
		printf("%s ok\n", a->name);
	else if (WEXITSTATUS(status) == 255)
		printf("%s skipped\n", a->name);
	else
		print_errno(a->name, WEXITSTATUS(status));
}

static void run_attempt(const struct attempt *a)
{
	int ret;

	if (!a->fn) {
		printf("%s skipped\n", a->name);
		return;
	}
	if (a->in_child) {
		run_in_child(a);
		return;
	}
	fflush(stdout); /* the clones' children leave with _exit, but keep them from holding output */
	errno = 0;
	ret = a->fn();
	if (ret == TRY_OK)
		printf("%s ok\n", a->name);
	else if (ret == TRY_SKIP)
		printf("%s skipped\n", a->name);
	else
		print_errno(a->name, errno);
}

/* The value after "Key:" in /proc/self/status, blanks trimmed, or "?". */
static void status_field(const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	char line[256];
	FILE *f;

	snprintf(out, size, "?");
	f = fopen("/proc/self/status", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *v = line + klen + 1;

		if (strncmp(line, key, klen) != 0 || line[klen] != ':')
			continue;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = '\0';
		snprintf(out, size, "%s", v);
		break;
	}
	fclose(f);
}

static void state_caps(void)
{
	static const char *const keys[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
	char value[64];

	printf("caps");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		status_field(keys[i], value, sizeof(value));
		printf(" %s", value);
	}
	printf("\n");
}

static void state_no_new_privs(void)
{
	printf("no_new_privs %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0L, 0L, 0L, 0L));
}

static void state_seccomp(void)
{
	char value[64];

	status_field("Seccomp", value, sizeof(value));
	printf("seccomp %s\n", value);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static void state_fds(void)
{
	int fds[256];
	size_t n = 0;
	struct dirent *e;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d) {
		printf("fds ?\n");
		return;
	}
	while ((e = readdir(d)) && n < sizeof(fds) / sizeof(fds[0])) {
		char *end;
		long fd;

		if (e->d_name[0] == '.')
			continue;
		fd = strtol(e->d_name, &end, 10);
		if (*end || fd == dirfd(d))
			continue;
		fds[n++] = (int)fd;
	}
	closedir(d);
	qsort(fds, n, sizeof(fds[0]), cmp_int);
	printf("fds");
	for (size_t i = 0; i < n; i++)
		printf(" %d", fds[i]);
	printf("\n");
}

static void state_sid_is_self(void)
{
	printf("sid_is_self %s\n", getsid(0) == getpid() ? "yes" : "no");
}

static void state_pid1(void)
{
	char comm[64] = "?";
	FILE *f = fopen("/proc/1/comm", "re");

	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			snprintf(comm, sizeof(comm), "?");
		comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	printf("pid1 %s\n", comm);
}

static void state_uid(void)
{
	printf("uid %u gid %u\n", (unsigned)getuid(), (unsigned)getgid());
}

static void state_hostname(void)
{
	struct utsname u;

	printf("hostname %s\n", uname(&u) == 0 ? u.nodename : "?");
}

static const struct {
	const char *name;
	void (*fn)(void);
} states[] = {
	{ "caps", state_caps },
	{ "no_new_privs", state_no_new_privs },
	{ "seccomp", state_seccomp },
	{ "fds", state_fds },
	{ "sid_is_self", state_sid_is_self },
	{ "pid1", state_pid1 },
	{ "uid", state_uid },
	{ "hostname", state_hostname },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void usage(FILE *out)
{
	fprintf(out, "Usage: el_escape [--only NAME]...\n"
		     "Tries to leave a sandbox; prints `NAME RESULT` per attempt, then the state.\n");
}

static bool known_name(const char *name)
{
	for (size_t i = 0; i < COUNT(attempts); i++)
		if (strcmp(attempts[i].name, name) == 0)
			return true;
	for (size_t i = 0; i < COUNT(states); i++)
		if (strcmp(states[i].name, name) == 0)
			return true;
	return false;
}

static bool selected(const char *name, char **only, int n_only)
{
	if (n_only == 0)
		return true;
	for (int i = 0; i < n_only; i++)
		if (strcmp(only[i], name) == 0)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char **only;
	int n_only = 0, c;

	only = calloc((size_t)argc + 1, sizeof(*only));
	if (!only)
		return 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!known_name(optarg)) {
				fprintf(stderr, "el_escape: unknown name '%s'\n", optarg);
				return 2;
			}
			only[n_only++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	for (size_t i = 0; i < COUNT(attempts); i++)
		if (selected(attempts[i].name, only, n_only))
			run_attempt(&attempts[i]);
	for (size_t i = 0; i < COUNT(states); i++)
		if (selected(states[i].name, only, n_only))
			states[i].fn();
	free(only);
	return fflush(stdout) == 0 ? 0 : 1;
}
