/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Idmapped binds for a sandbox started by root: see idmap.h. The mapping
 * is a user namespace whose only line maps 0 to EL__ROOT_RUNS_AS (uid and
 * gid), held by a helper cloned into it while envlock writes its maps and
 * opens it; the descriptor keeps the namespace after the helper is gone.
 */
#include "sandbox/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/setup.h"
#include "util/error.h"

static int write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int write_maps(pid_t pid, unsigned inside_uid, unsigned inside_gid)
{
	char map[64];

	snprintf(map, sizeof(map), "%u %u 1\n", inside_uid, EL__ROOT_RUNS_AS);
	if (write_proc(pid, "uid_map", map) != 0)
		return -1;
	/* No setgroups: the one group mapped is all there is. */
	if (write_proc(pid, "setgroups", "deny") != 0 && errno != ENOENT)
		return -1;
	snprintf(map, sizeof(map), "%u %u 1\n", inside_gid, EL__ROOT_RUNS_AS);
	return write_proc(pid, "gid_map", map);
}

int el__idmap_write_maps(pid_t pid, const el_sandbox_plan *plan)
{
	if (write_maps(pid, (unsigned)plan->uid, (unsigned)plan->gid) != 0)
		return el__error_errno(EL_ERROR, "writing the sandbox's user namespace maps");
	return EL_OK;
}

/* The helper's life: wait for end of file on the pipe (arg: its two ends), then go. */
static int hold_namespace(void *arg)
{
	const int *hold = arg;
	char c;

	close(hold[1]); /* its own copy of the writing end */
	while (read(hold[0], &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/*
 * A user namespace mapping 0 to EL__ROOT_RUNS_AS: its file descriptor, or
 * -1. A helper is cloned straight into a new user namespace, sharing this
 * process's memory (a fork of envlock costs milliseconds in page tables
 * and copy-on-write faults), and holds it while envlock writes its maps and
 * opens it. The helper only blocks in read(2) on its own small stack.
 */
static int mapping_namespace(void)
{
	static char stack[16384] __attribute__((aligned(16)));
	int hold[2], fd = -1, err = 0;
	char path[64];
	pid_t pid;

	if (pipe2(hold, O_CLOEXEC) != 0)
		return -1;
	pid = clone(hold_namespace, stack + sizeof(stack), CLONE_VM | CLONE_NEWUSER | SIGCHLD, hold);
	if (pid < 0) {
		err = errno;
	} else {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		if (write_maps(pid, 0, 0) != 0 || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			err = errno;
	}
	close(hold[1]);
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	close(hold[0]);
	errno = err;
	return fd;
}

void el__idmap_close(int *fds, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

int el__idmap_prepare(const el_sandbox_plan *plan, int *fds, char *why, size_t why_size)
{
	int userns, ret = EL_OK;

	for (size_t i = 0; i < plan->mount_count; i++)
		fds[i] = -1;
	userns = mapping_namespace();
	if (userns < 0) {
		snprintf(why, why_size, "cannot make the user namespace for idmapped mounts: %s", strerror(errno));
		return EL__IDMAP_UNSUPPORTED;
	}
	for (size_t i = 0; i < plan->mount_count && ret == EL_OK; i++) {
		const struct el__mount_step *m = &plan->mounts[i];

		if (!m->idmap && !m->premade)
			continue;
		fds[i] = el__bind_tree(AT_FDCWD, m->source, m->op, m->idmap ? userns : -1);
		/* EINVAL: the file system (NFS, FUSE...) cannot idmap; EPERM: not allowed here. */
		if (fds[i] < 0 && m->idmap && (errno == EINVAL || errno == EPERM || errno == EOPNOTSUPP)) {
			snprintf(why, why_size, "%s: no idmapped mount there (%s)", m->source, strerror(errno));
			ret = EL__IDMAP_UNSUPPORTED;
		} else if (fds[i] < 0) {
			ret = el__error(EL_ERROR, "sandbox setup: bind %s: %s", m->source, el__bind_reason(errno));
		}
	}
	close(userns);
	if (ret != EL_OK)
		el__idmap_close(fds, plan->mount_count);
	return ret;
}
