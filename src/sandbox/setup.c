/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sandbox's first process, in order: map the user, name the host,
 * bring up loopback, build the root, pin the CPUs and turn off ASLR,
 * compile the seccomp filter, tell envlock it is ready, wait for the
 * verdict, start the command, and stay as PID 1: reap, forward signals,
 * exit with the command's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/setup.h"

extern char **environ;

/* The signals PID 1 passes on to the command. */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

const int *el_sandbox_forwarded_signals(size_t *count)
{
	*count = sizeof(forwarded) / sizeof(forwarded[0]);
	return forwarded;
}

__attribute__((format(printf, 3, 0))) static int fail_message(el__setup *s, char type, const char *fmt, va_list ap)
{
	char message[1024];
	int n;

	message[0] = type;
	n = vsnprintf(message + 1, sizeof(message) - 1, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(message) - 2)
		n = (int)sizeof(message) - 2;
	if (s->status_fd >= 0) {
		/* One write, one message: envlock reads it whole. */
		(void)!write(s->status_fd, message, (size_t)n + 1);
		close(s->status_fd);
		s->status_fd = -1;
	}
	return -1;
}

int el__setup_fail(el__setup *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_message(s, 'E', fmt, ap);
	va_end(ap);
	return -1;
}

int el__setup_fail_as(el__setup *s, char type, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fail_message(s, type, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Ready: the mounts envlock gets (see setup.h), then "R". They go before
 * the command starts, while nothing in the sandbox is the command's.
 */
static int send_ready(el__setup *s)
{
	for (size_t i = 0; i < s->sent_count; i += EL__SENT_PER_MESSAGE) {
		size_t n = s->sent_count - i < EL__SENT_PER_MESSAGE ? s->sent_count - i : EL__SENT_PER_MESSAGE;
		char control[CMSG_SPACE(EL__SENT_PER_MESSAGE * sizeof(int))] = { 0 };
		struct iovec iov = { .iov_base = "F", .iov_len = 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
				      .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(n * sizeof(int));
		memcpy(CMSG_DATA(c), s->sent_fds + i, n * sizeof(int));
		if (sendmsg(s->status_fd, &msg, 0) != 1)
			return -1;
	}
	for (size_t i = 0; i < s->sent_count; i++)
		close(s->sent_fds[i]);
	s->sent_count = 0;
	return write(s->status_fd, "R", 1) == 1 ? 0 : -1;
}

__attribute__((noreturn)) static void fail_exit(void)
{
	_exit(125);
}

/* src appended to line (n bytes used of size), as much as fits; the new length. */
static size_t put(char *line, size_t size, size_t n, const char *src)
{
	while (*src && n < size)
		line[n++] = *src++;
	return n;
}

/* err in strerror(3)'s words, without its translation machinery, which may allocate. */
static const char *error_text(int err, char buf[32])
{
	const char *known = strerrordesc_np(err);
	char digits[12];
	size_t n = 0, k = 0;
	unsigned v = err < 0 ? 0U - (unsigned)err : (unsigned)err;

	if (known)
		return known;
	do
		digits[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < sizeof(digits));
	n = put(buf, 31, n, err < 0 ? "Unknown error -" : "Unknown error ");
	while (k && n < 31)
		buf[n++] = digits[--k];
	buf[n] = '\0';
	return buf;
}

/*
 * A failure after the go: "<prefix><what>: <why>" on the command's
 * standard error, the caller's prefix naming the tool. It runs in the
 * command's process too, which shares PID 1's memory until execve: no
 * allocation and no printf, only strings copied into a buffer on the
 * stack and one write(2).
 */
static void say(const el__setup *s, const char *what, const char *why)
{
	char line[1024];
	size_t n = 0;

	n = put(line, sizeof(line) - 1, n, s->plan->message_prefix);
	n = put(line, sizeof(line) - 1, n, what);
	n = put(line, sizeof(line) - 1, n, ": ");
	n = put(line, sizeof(line) - 1, n, why);
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, n);
}

/* say() with errno's words, and exit with status (see el_sandbox_wait). */
__attribute__((noreturn)) static void say_exit(const el__setup *s, const char *what, int status)
{
	char buf[32];

	say(s, what, error_text(errno, buf));
	_exit(status);
}

/*
 * Move the pipes to 3 and 4, the observer's file (if any) to 5, the
 * idmapped trees (if any) after them, and close everything above. Every
 * descriptor is first copied above all the targets, so that no move
 * overwrites one still to be moved.
 */
static int keep_only_pipes(el__setup *s)
{
	const size_t count = s->idmap_fds ? s->plan->mount_count : 0;
	int next = s->audit_fd >= 0 ? 6 : 5, above = next + (int)count;
	int status_fd = fcntl(s->status_fd, F_DUPFD_CLOEXEC, above), go_fd = fcntl(s->go_fd, F_DUPFD_CLOEXEC, above);
	int audit_fd = s->audit_fd >= 0 ? fcntl(s->audit_fd, F_DUPFD_CLOEXEC, above) : -1;

	if (status_fd < 0 || go_fd < 0 || (s->audit_fd >= 0 && audit_fd < 0))
		return -1;
	for (size_t i = 0; i < count; i++)
		if (s->idmap_fds[i] >= 0 && (s->idmap_fds[i] = fcntl(s->idmap_fds[i], F_DUPFD_CLOEXEC, above)) < 0)
			return -1;
	if (dup3(status_fd, 3, O_CLOEXEC) != 3 || dup3(go_fd, 4, O_CLOEXEC) != 4)
		return -1;
	if (audit_fd >= 0) {
		if (dup3(audit_fd, 5, O_CLOEXEC) != 5)
			return -1;
		s->audit_fd = 5;
	}
	for (size_t i = 0; i < count; i++) {
		if (s->idmap_fds[i] < 0)
			continue;
		if (dup3(s->idmap_fds[i], next, O_CLOEXEC) != next)
			return -1;
		s->idmap_fds[i] = next++;
	}
	s->status_fd = 3;
	s->go_fd = 4;
	return (int)syscall(SYS_close_range, (unsigned)next, ~0U, 0U);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* envlock died: the status socket's other end is closed (poll says POLLHUP). */
static bool envlock_gone(const el__setup *s)
{
	struct pollfd p = { .fd = s->status_fd, .events = POLLOUT };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

/* One uid and one gid: the invoking user's, seen inside as the plan's. */
static int map_user(el__setup *s)
{
	const el_sandbox_plan *plan = s->plan;
	char map[64], mapped;

	if (s->parent_maps) {
		/*
		 * Root's run: the host ids are not this process's own, so envlock
		 * writes the maps; then this process takes the mapped ids (it was
		 * host root, unmapped here). Inside uid 0 is mapped to nobody, so
		 * the kernel sees no root giving up its uid: the capabilities this
		 * namespace's creator holds stay for the set-up.
		 */
		if (read(s->go_fd, &mapped, 1) != 1 || mapped != 'M')
			return el__setup_fail(s, "user namespace: envlock did not write its maps");
		if (setresgid(plan->gid, plan->gid, plan->gid) != 0 || setresuid(plan->uid, plan->uid, plan->uid) != 0)
			return el__setup_fail(s, "user namespace: taking uid %u: %s", (unsigned)plan->uid, strerror(errno));
		/* A change of ids clears the parent-death signal: set it again, then make sure envlock still lives. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
			return el__setup_fail(s, "PR_SET_PDEATHSIG: %s", strerror(errno));
		if (envlock_gone(s))
			_exit(125);
		return 0;
	}
	if (write_file("/proc/self/setgroups", "deny") != 0 && errno != ENOENT)
		return el__setup_fail(s, "user namespace: setgroups: %s", strerror(errno));
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)plan->uid, (unsigned)plan->host_uid);
	if (write_file("/proc/self/uid_map", map) != 0)
		return el__setup_fail(s, "user namespace: uid_map: %s", strerror(errno));
	snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)plan->gid, (unsigned)plan->host_gid);
	if (write_file("/proc/self/gid_map", map) != 0)
		return el__setup_fail(s, "user namespace: gid_map: %s", strerror(errno));
	return 0;
}

static int loopback_up(el__setup *s)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		return el__setup_fail(s, "loopback: %s", strerror(err));
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) {
		int err = errno;

		close(fd);
		return el__setup_fail(s, "loopback: %s", strerror(err));
	}
	close(fd);
	return 0;
}

/* cpus N: the first N CPUs of those envlock may use. */
static int pin_cpus(el__setup *s)
{
	unsigned want = s->plan->cpus, have = 0;
	cpu_set_t allowed, chosen;

	if (want == 0)
		return 0;
	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		return el__setup_fail(s, "cpus: %s", strerror(errno));
	CPU_ZERO(&chosen);
	for (int cpu = 0; cpu < CPU_SETSIZE && have < want; cpu++) {
		if (CPU_ISSET(cpu, &allowed)) {
			CPU_SET(cpu, &chosen);
			have++;
		}
	}
	if (have < want)
		return el__setup_fail(s, "cpus %u: only %u CPUs are available here", want, have);
	if (sched_setaffinity(0, sizeof(chosen), &chosen) != 0)
		return el__setup_fail(s, "cpus: %s", strerror(errno));
	return 0;
}

static int setup(el__setup *s)
{
	const el_sandbox_plan *plan = s->plan;

	if (map_user(s) != 0)
		return -1;
	/*
	 * Not dumpable: the command runs as the same user, and could otherwise
	 * open PID 1's /proc files (mem, environ) or ptrace it. Only after the
	 * maps: a process that is not dumpable cannot open its own uid_map.
	 */
	if (prctl(PR_SET_DUMPABLE, 0) != 0)
		return el__setup_fail(s, "PR_SET_DUMPABLE: %s", strerror(errno));
	if (sethostname(plan->hostname, strlen(plan->hostname)) != 0)
		return el__setup_fail(s, "hostname: %s", strerror(errno));
	if ((plan->namespaces & CLONE_NEWNET) && loopback_up(s) != 0)
		return -1;
	if (el__setup_mounts(s) != 0 || pin_cpus(s) != 0)
		return -1;
	/* Set either way: a host's setarch -R must not leak in. */
	if (personality(plan->aslr ? PER_LINUX : PER_LINUX | ADDR_NO_RANDOMIZE) == -1)
		return el__setup_fail(s, "personality: %s", strerror(errno));
	return el__seccomp_compile(s);
}

/*
 * With trace: the trace filter on this process (and all it starts), its
 * listener sent to envlock as "T", then closed here. Before the
 * observer's descriptor takes number 3 from the status socket.
 */
static void start_trace(const el__setup *s)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "T", .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	int listener = el__seccomp_trace_listener(&s->seccomp);

	if (listener < 0)
		say_exit(s, "trace: seccomp listener", 125);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &listener, sizeof(int));
	if (sendmsg(s->status_fd, &msg, MSG_NOSIGNAL) != 1)
		say_exit(s, "trace: sending the listener", 125);
	close(listener);
}

/* One line "PATH\n" to the observer's descriptor, written at once; left out when too long. */
static void write_line(const char *a, const char *b, const char *c)
{
	char line[PATH_MAX + 1];
	size_t n = 0;

	n = put(line, sizeof(line) - 1, n, a);
	n = put(line, sizeof(line) - 1, n, b);
	n = put(line, sizeof(line) - 1, n, c);
	if (n < sizeof(line) - 1 && n > 0) {
		line[n++] = '\n';
		(void)!write(EL__AUDIT_FD, line, n);
	}
}

/*
 * With trace: the name execvp will run the command from, as a line for
 * the observer's file: envlock cannot always read it from this process's
 * execve (an unprivileged envlock may not read memory shared with PID 1,
 * which is not dumpable). On PATH, the first entry that holds an
 * executable of that name, as execvp finds it.
 */
static void trace_command_names(const el__setup *s)
{
	const char *name = s->plan->argv[0], *path = NULL;
	char cwd[PATH_MAX];

	if (name[0] == '/') {
		write_line(name, "", "");
		return;
	}
	if (strchr(name, '/')) {
		if (getcwd(cwd, sizeof(cwd)))
			write_line(cwd, "/", name);
		return;
	}
	for (char *const *e = s->plan->env; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		char dir[PATH_MAX];

		if (len > 0 && len + 1 + strlen(name) < sizeof(dir) && path[0] == '/') {
			memcpy(dir, path, len);
			dir[len] = '/';
			strcpy(dir + len + 1, name);
			if (access(dir, X_OK) == 0) {
				write_line(dir, "", "");
				return;
			}
		}
		path = end ? end + 1 : NULL;
	}
}

/*
 * Why a command was not found, in buf. A bare name that is a file of the
 * working directory ("train.py") was meant as that file: execvp looks in
 * PATH only, so say how to run it. Built with put(): nothing is allocated.
 */
static const char *not_found_why(const char *name, char *buf, size_t size)
{
	size_t len = strlen(name), n = 0;
	const char *runner = NULL;

	if (strchr(name, '/') || faccessat(AT_FDCWD, name, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
		return "command not found";
	if (len > 3 && strcmp(name + len - 3, ".py") == 0)
		runner = "python3 ";
	else if (len > 3 && strcmp(name + len - 3, ".sh") == 0)
		runner = "sh ";
	n = put(buf, size - 1, n, "command not found; it is a file here: run it as ");
	if (runner) {
		n = put(buf, size - 1, n, runner);
		n = put(buf, size - 1, n, name);
		n = put(buf, size - 1, n, " or ");
	}
	n = put(buf, size - 1, n, "./");
	n = put(buf, size - 1, n, name);
	buf[n] = '\0';
	return buf;
}

/* In the command's process: the last steps, then execve. Never returns. */
__attribute__((noreturn)) static void run_command(el__setup *s)
{
	const el_sandbox_plan *plan = s->plan;
	sigset_t none;

	/* Every disposition back to default: what PID 1 caught, what envlock's caller ignored. */
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	umask(plan->umask);
	if (setsid() < 0)
		say_exit(s, "setsid", 125);
	if (s->plan->trace)
		start_trace(s);
	/*
	 * Only 0, 1 and 2 cross execve, and with observe the observer's file
	 * as 3 (EL__AUDIT_FD), the one descriptor passed on on purpose.
	 */
	if (s->audit_fd >= 0 && dup2(s->audit_fd, EL__AUDIT_FD) != EL__AUDIT_FD)
		say_exit(s, "the observer's descriptor", 125);
	if (syscall(SYS_close_range, s->audit_fd >= 0 ? EL__AUDIT_FD + 1U : 3U, ~0U, 0U) != 0)
		say_exit(s, "closing file descriptors", 125);
	if (el__caps_drop(s->caps) != 0)
		say_exit(s, "dropping capabilities", 125);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || el__seccomp_install(&s->seccomp) != 0)
		say_exit(s, "seccomp", 125);
	if (plan->trace)
		trace_command_names(s);
	/* execvp searches the PATH of environ: the sandbox's, not envlock's (and allocates nothing). */
	environ = plan->env;
	execvp(plan->argv[0], plan->argv);
	if (errno == ENOENT) {
		char why[512];

		say(s, plan->argv[0], not_found_why(plan->argv[0], why, sizeof(why)));
		_exit(127);
	}
	say_exit(s, plan->argv[0], 126);
}

/* PID 1: reap everything, pass signals on, end with the command. */
__attribute__((noreturn)) static void be_init(pid_t command, int sigfd)
{
	for (;;) {
		struct signalfd_siginfo info;
		ssize_t n = read(sigfd, &info, sizeof(info));
		int status;
		pid_t pid;

		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(info))
			_exit(125);
		if (info.ssi_signo != SIGCHLD) {
			/* Its process group (it is a session leader), as a terminal would; itself if it left it. */
			if (kill(-command, (int)info.ssi_signo) != 0)
				kill(command, (int)info.ssi_signo);
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			/* Only the command's own status counts: an orphan that ends is just reaped. */
			if (pid != command)
				continue;
			if (WIFSIGNALED(status))
				_exit(128 + WTERMSIG(status));
			_exit(WEXITSTATUS(status));
		}
	}
}

static int command_entry(void *arg)
{
	el__setup *s = arg;

	close(s->sigfd); /* this process's copy: the descriptor table is not shared */
	run_command(s);
}

/*
 * Start the command in a process of its own. Like posix_spawn, it shares
 * PID 1's memory until execve (this process waits meanwhile), on a stack
 * of its own: a fork of envlock's memory would cost milliseconds of page
 * tables and copy-on-write faults. What run_command changes is its own:
 * signal dispositions (no CLONE_SIGHAND), descriptors (no CLONE_FILES),
 * credentials, the filter; environ too, which PID 1 no longer reads.
 */
static pid_t start_command(el__setup *s)
{
	const size_t size = 256 * 1024;
	char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	pid_t pid;

	if (stack == MAP_FAILED)
		return -1;
	pid = clone(command_entry, stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, s);
	munmap(stack, size);
	return pid;
}

static void caught(int sig)
{
	(void)sig;
}

__attribute__((noreturn)) void el__sandbox_main(el__setup *s)
{
	struct sigaction sa = { .sa_handler = caught };
	sigset_t set;
	pid_t command;
	char go;
	int sigfd;

	/* If envlock dies, so does the sandbox (PID 1 takes the rest with it). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
		el__setup_fail(s, "PR_SET_PDEATHSIG: %s", strerror(errno));
		fail_exit();
	}
	/*
	 * Nothing envlock inherited stays open here: the command could reach
	 * PID 1's descriptors (a directory of the host's, a socket) through
	 * /proc/1/fd or pidfd_getfd. Only 0-2 and the two pipes remain.
	 */
	if (keep_only_pipes(s) != 0) {
		el__setup_fail(s, "closing inherited file descriptors: %s", strerror(errno));
		fail_exit();
	}
	/*
	 * Its own session: a terminal's ^C reaches envlock, which forwards it
	 * once, instead of reaching this process group directly too.
	 */
	setsid();
	/*
	 * A PID namespace's init gets signals from outside only when it
	 * handles them: handled, blocked, and read from a signalfd.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++) {
		sigaction(forwarded[i], &sa, NULL);
		sigaddset(&set, forwarded[i]);
	}
	sigaction(SIGCHLD, &sa, NULL);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sigfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sigfd < 0) {
		el__setup_fail(s, "signalfd: %s", strerror(errno));
		fail_exit();
	}
	if (setup(s) != 0)
		fail_exit();
	if (send_ready(s) != 0)
		fail_exit();
	/* With trace the command's process sends the listener over it: closed once the command runs. */
	if (!s->plan->trace) {
		close(s->status_fd);
		s->status_fd = -1;
	}
	/* End of file: envlock refused (drift) or died. */
	if (read(s->go_fd, &go, 1) != 1)
		_exit(125);
	close(s->go_fd);
	s->sigfd = sigfd;
	command = start_command(s);
	if (s->status_fd >= 0) {
		close(s->status_fd);
		s->status_fd = -1;
	}
	if (command < 0)
		say_exit(s, "starting the command", 125);
	/* PID 1 needs no privilege from here on, and runs under the command's filter too. */
	if (el__caps_drop(s->caps) != 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    el__seccomp_install(&s->seccomp) != 0) {
		int err = errno;

		kill(command, SIGKILL);
		errno = err;
		say_exit(s, "hardening the sandbox's PID 1", 125);
	}
	be_init(command, sigfd);
}
