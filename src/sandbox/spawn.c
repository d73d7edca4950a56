/* SPDX-License-Identifier: Apache-2.0 */
/*
 * envlock's side of the sandbox: clone the first process into the new
 * namespaces, learn over a pipe whether its setup worked, tell it when to
 * run the command, and wait for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/idmap.h"
#include "sandbox/sandbox_internal.h"
#include "sandbox/setup.h"
#include "sandbox/trace.h"
#include "util/error.h"

struct el_sandbox {
	const el_sandbox_plan *plan; /* the caller's, kept until el_sandbox_free */
	pid_t pid;
	int status_fd; /* envlock's end of the status socket (setup.h) */
	int go_fd;     /* write end */
	int *fds;      /* the mounts PID 1 sent (el__step_sent steps, in plan order) */
	size_t fd_count;
	bool reaped;
	int status; /* once reaped: PID 1's exit status, or 128+N */
	char *warning; /* for the caller to show, or NULL */
	int audit_fd;  /* with observe: the anonymous file the observer writes to; else -1 */
	el__tracer *tracer; /* with trace, from the go until PID 1 is reaped */
};

static bool sysctl_is(const char *path, const char *value)
{
	char text[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	return strcmp(text, value) == 0;
}

/* Why the kernel refused the namespaces, naming the setting that decides it. */
static int clone_error(int err)
{
	if (err == EPERM || err == ENOSPC || err == EACCES) {
		if (sysctl_is("/proc/sys/kernel/unprivileged_userns_clone", "0"))
			return el__error(EL_ERROR, "this kernel does not allow unprivileged user namespaces: "
				"sysctl kernel.unprivileged_userns_clone is 0 (set it to 1)");
		if (sysctl_is("/proc/sys/user/max_user_namespaces", "0"))
			return el__error(EL_ERROR, "this kernel does not allow user namespaces: "
				"sysctl user.max_user_namespaces is 0 (set it above 0)");
		if (sysctl_is("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1"))
			return el__error(EL_ERROR, "AppArmor restricts unprivileged user namespaces: "
				"sysctl kernel.apparmor_restrict_unprivileged_userns is 1 (set it to 0, or give envlock an AppArmor profile that allows userns)");
		/*
		 * None of those binds root. Root is refused inside a chroot (the
		 * kernel's rule: the root must be its mount namespace's) and by a
		 * seccomp filter or security module that forbids namespaces.
		 */
		if (err == EPERM && geteuid() == 0)
			return el__error(EL_ERROR, "root may not create user namespaces here: the kernel refuses them "
				"inside a chroot, and a seccomp filter or security module can forbid them");
	}
	errno = err;
	return el__error_errno(EL_ERROR, "creating the sandbox's namespaces");
}

/*
 * Root's run: the idmapped trees for PID 1 to attach (*fds, NULL when
 * none), or, where they cannot be made, a warning and the user as root.
 */
static int prepare_idmap(el_sandbox *sb, const el_sandbox_plan *plan, int **fds)
{
	char why[512];
	int rc;

	*fds = NULL;
	if (!plan->root_idmapped)
		return EL_OK;
	/* A plan always has steps (the root made read-only last, at least). */
	if (!(*fds = calloc(plan->mount_count, sizeof(**fds))))
		return el__error_oom();
	rc = el__idmap_prepare(plan, *fds, why, sizeof(why));
	if (rc == EL_OK)
		return EL_OK;
	free(*fds);
	*fds = NULL;
	if (rc != EL__IDMAP_UNSUPPORTED)
		return rc;
	if (asprintf(&sb->warning, "%s: the sandbox's user is root on the host, and root's files are its own", why) < 0)
		sb->warning = NULL;
	return EL_OK;
}

int el_sandbox_start(el_sandbox **out, const el_sandbox_plan *plan)
{
	el_sandbox *sb = calloc(1, sizeof(*sb));
	int status_pipe[2] = { -1, -1 }, go_pipe[2] = { -1, -1 };
	int *idmap_fds = NULL;
	el__caps *caps = NULL;
	long pid;
	int rc;

	*out = NULL;
	if (!sb)
		return el__error_oom();
	/* Made here, where allocating is safe: the sandbox only applies it (setup.h). */
	if (el__caps_prepare(&caps) != EL_OK) {
		free(sb);
		return EL_ENOMEM;
	}
	sb->audit_fd = -1;
	/*
	 * The observer's file: anonymous (nothing on the host to plant or
	 * read), appended to by every process of the run, one line a write.
	 */
	if (plan->observe) {
		sb->audit_fd = memfd_create(EL__AUDIT_MEMFD_NAME, MFD_CLOEXEC);
		if (sb->audit_fd < 0 || fcntl(sb->audit_fd, F_SETFL, O_APPEND) != 0) {
			int err = errno;

			if (sb->audit_fd >= 0)
				close(sb->audit_fd);
			el__caps_free(caps);
			free(sb);
			errno = err;
			return el__error_errno(EL_ERROR, "the observer's file");
		}
	}
	if ((rc = prepare_idmap(sb, plan, &idmap_fds)) != EL_OK) {
		if (sb->audit_fd >= 0)
			close(sb->audit_fd);
		el__caps_free(caps);
		free(sb);
		return rc;
	}
	/* A socket, not a pipe: PID 1 sends descriptors of its mounts over it (setup.h). */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, status_pipe) != 0 || pipe2(go_pipe, O_CLOEXEC) != 0) {
		int err = errno;

		for (int i = 0; i < 2; i++) {
			if (status_pipe[i] >= 0)
				close(status_pipe[i]);
			if (go_pipe[i] >= 0)
				close(go_pipe[i]);
		}
		if (idmap_fds)
			el__idmap_close(idmap_fds, plan->mount_count);
		free(idmap_fds);
		if (sb->audit_fd >= 0)
			close(sb->audit_fd);
		el__caps_free(caps);
		free(sb->warning);
		free(sb);
		errno = err;
		return el__error_errno(EL_ERROR, "the sandbox's status socket");
	}
	fflush(NULL);
	/* fork() with namespaces: the child runs on a copy of this memory, plan included. */
	pid = syscall(SYS_clone, (unsigned long)plan->namespaces | SIGCHLD, NULL, NULL, NULL, 0UL);
	if (pid == 0) {
		el__setup s = {
			.plan = plan, .status_fd = status_pipe[1], .go_fd = go_pipe[0], .oldfd = -1, .newfd = -1,
			.caps = caps, .idmap_fds = idmap_fds, .parent_maps = idmap_fds != NULL, .audit_fd = sb->audit_fd,
		};

		close(status_pipe[0]);
		close(go_pipe[1]);
		el__sandbox_main(&s);
	}
	close(status_pipe[1]);
	close(go_pipe[0]);
	el__caps_free(caps); /* PID 1 has its copy, as it has of all this memory */
	if (idmap_fds)
		el__idmap_close(idmap_fds, plan->mount_count); /* PID 1 has its copies */
	if (pid < 0) {
		int err = errno;

		close(status_pipe[0]);
		close(go_pipe[1]);
		free(idmap_fds);
		if (sb->audit_fd >= 0)
			close(sb->audit_fd);
		free(sb->warning);
		free(sb);
		return clone_error(err);
	}
	sb->plan = plan;
	sb->pid = (pid_t)pid;
	sb->status_fd = status_pipe[0];
	sb->go_fd = go_pipe[1];
	*out = sb;
	if (idmap_fds) {
		/* PID 1 waits for its maps ("M" on the go pipe) before anything else. */
		int ret = el__idmap_write_maps(sb->pid, plan);

		free(idmap_fds);
		if (ret == EL_OK && write(sb->go_fd, "M", 1) != 1)
			ret = el__error_errno(EL_ERROR, "starting the sandbox");
		if (ret != EL_OK) {
			ret = el__error_reraise(EL_ERROR, NULL);
			*out = NULL;
			el_sandbox_free(sb);
			return ret;
		}
	}
	return EL_OK;
}

const char *el_sandbox_warning(const el_sandbox *sb)
{
	return sb->warning;
}

/* Wait for PID 1 once; its status is kept for a second ask. */
static int reap(el_sandbox *sb)
{
	int st;
	pid_t pid;

	if (sb->reaped)
		return EL_OK;
	do
		pid = waitpid(sb->pid, &st, 0);
	while (pid < 0 && errno == EINTR);
	if (pid != sb->pid)
		return el__error_errno(EL_ERROR, "waiting for the sandbox");
	sb->reaped = true;
	sb->status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
	/* No process of the run is left: every line the trace will write is written. */
	el__tracer_stop(sb->tracer);
	sb->tracer = NULL;
	return EL_OK;
}

/* Keep the descriptors a message carried; false when out of memory (they are closed). */
static bool take_fds(el_sandbox *sb, struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *grown, fds[EL__SENT_PER_MESSAGE];

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		memcpy(fds, CMSG_DATA(c), n * sizeof(int));
		grown = realloc(sb->fds, (sb->fd_count + n) * sizeof(*sb->fds));
		if (!grown) {
			for (size_t i = 0; i < n; i++)
				close(fds[i]);
			return false;
		}
		sb->fds = grown;
		memcpy(sb->fds + sb->fd_count, fds, n * sizeof(int));
		sb->fd_count += n;
	}
	return true;
}

/* How many descriptors PID 1 sends for the plan. */
static size_t expected_fds(const el_sandbox_plan *plan)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->mount_count; i++)
		n += el__step_sent(&plan->mounts[i]);
	return n;
}

int el_sandbox_ready(el_sandbox *sb)
{
	char message[1100];
	ssize_t n;

	for (;;) {
		char control[CMSG_SPACE(EL__SENT_PER_MESSAGE * sizeof(int))];
		struct iovec iov = { .iov_base = message, .iov_len = sizeof(message) - 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
				      .msg_controllen = sizeof(control) };

		n = recvmsg(sb->status_fd, &msg, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0 && !take_fds(sb, &msg))
			return el__error_oom();
		if (n <= 0 || message[0] != 'F')
			break;
	}
	message[n > 0 ? n : 0] = '\0';
	if (n > 0 && message[0] == 'R') {
		if (sb->fd_count != expected_fds(sb->plan))
			return el__error(EL_ERROR, "sandbox setup: %zu of the sandbox's mounts came back, not %zu",
					 sb->fd_count, expected_fds(sb->plan));
		return EL_OK;
	}
	if (reap(sb) != EL_OK)
		return EL_ERROR;
	if (n > 1 && message[0] == 'O')
		return el__error(EL_ENOTSUP, "%s", message + 1);
	if (n > 1 && message[0] == 'E')
		return el__error(EL_ERROR, "sandbox setup: %s", message + 1);
	return el__error(EL_ERROR, "sandbox setup: the sandbox ended before it was ready (status %d)", sb->status);
}

int el_sandbox_go(el_sandbox *sb)
{
	struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
	ssize_t n;

	/* The command's process sends the trace's listener over the status socket: the tracer's from here. */
	if (sb->plan->trace) {
		int rc = el__tracer_start(&sb->tracer, sb->status_fd, sb->audit_fd);

		sb->status_fd = -1;
		if (rc != EL_OK)
			return rc;
	}
	/* PID 1 gone since it was ready: EPIPE to report, not a silent SIGPIPE. */
	sigaction(SIGPIPE, &ignore, &old);
	do
		n = write(sb->go_fd, "G", 1);
	while (n < 0 && errno == EINTR);
	sigaction(SIGPIPE, &old, NULL);
	close(sb->go_fd);
	sb->go_fd = -1;
	if (sb->status_fd >= 0)
		close(sb->status_fd);
	sb->status_fd = -1;
	if (n != 1)
		return el__error_errno(EL_ERROR, "starting the command");
	return EL_OK;
}

int el_sandbox_wait(el_sandbox *sb, int *status)
{
	int ret = reap(sb);

	if (ret == EL_OK)
		*status = sb->status;
	return ret;
}

pid_t el_sandbox_pid(const el_sandbox *sb)
{
	return sb->pid;
}

void el_sandbox_free(el_sandbox *sb)
{
	if (!sb)
		return;
	/* Not reap(): freeing after a failure must leave the failure's message as it is. */
	if (!sb->reaped) {
		kill(sb->pid, SIGKILL);
		while (waitpid(sb->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	el__tracer_stop(sb->tracer);
	if (sb->status_fd >= 0)
		close(sb->status_fd);
	if (sb->go_fd >= 0)
		close(sb->go_fd);
	for (size_t i = 0; i < sb->fd_count; i++)
		close(sb->fds[i]);
	if (sb->audit_fd >= 0)
		close(sb->audit_fd);
	free(sb->fds);
	free(sb->warning);
	free(sb);
}

int el__sandbox_fd(const el_sandbox *sb, size_t step)
{
	size_t k = 0;

	for (size_t i = 0; i < step; i++)
		k += el__step_sent(&sb->plan->mounts[i]);
	return el__step_sent(&sb->plan->mounts[step]) && k < sb->fd_count ? sb->fds[k] : -1;
}

const el_sandbox_plan *el__sandbox_plan(const el_sandbox *sb)
{
	return sb->plan;
}

bool el__sandbox_ended(const el_sandbox *sb)
{
	return sb->reaped;
}

int el__sandbox_audit_fd(const el_sandbox *sb)
{
	return sb->audit_fd;
}
