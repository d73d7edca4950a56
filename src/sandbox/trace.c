/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exec --trace: the supervisor thread (trace.h). Every notification is
 * answered with SECCOMP_USER_NOTIF_FLAG_CONTINUE, whatever happens while
 * reading its path: a process of the run must never stay blocked on
 * envlock, and a path that cannot be read is only a line less.
 *
 * What the thread writes is no more trusted than what the LD_AUDIT
 * observer writes: the process can change the path after it was read,
 * and any path it names is checked on the host afterwards. Reading the
 * path of the command's very first execve fails for an unprivileged
 * envlock (that process shares the memory of the sandbox's PID 1, which
 * is not dumpable); the command's process writes the names it tries
 * itself (setup.c).
 */
#include "sandbox/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/error.h"

const struct el__trace_call el__trace_calls[] = {
	{ "open", 0, -1, -1, false },       { "openat", 1, 0, -1, false },     { "execve", 0, -1, -1, true },
	{ "execveat", 1, 0, -1, true },     { "stat", 0, -1, -1, false },      { "lstat", 0, -1, -1, false },
	{ "newfstatat", 1, 0, 3, false },   { "statx", 1, 0, 2, false },       { "access", 0, -1, -1, false },
	{ "faccessat", 1, 0, -1, false },   { "faccessat2", 1, 0, -1, false }, { "readlink", 0, -1, -1, false },
	{ "readlinkat", 1, 0, -1, false },  { NULL, 0, 0, 0, false },
};

/* Distinct lines remembered, so that a file opened a thousand times is written once. */
#define SEEN_SLOTS (1u << 16)

struct el__tracer {
	pthread_t thread;
	int status_fd;   /* until the listener comes */
	int listener;
	int out_fd;
	int stop[2];     /* a byte on stop[1]: the run is over */
	unsigned long answered;
	/* The last process whose memory was opened, and its /proc/PID/mem. */
	pid_t mem_pid;
	int mem_fd;
	char **seen;     /* SEEN_SLOTS slots, open addressing; full: lines are written unchecked */
	size_t seen_count;
	/* el__trace_calls by system call number, as this libseccomp knows them */
	int nrs[sizeof(el__trace_calls) / sizeof(el__trace_calls[0])];
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Whether line was written before; remembers it if not (while there is room). */
static bool seen_before(el__tracer *t, const char *line)
{
	size_t i = (size_t)fnv1a(line) & (SEEN_SLOTS - 1);

	if (!t->seen || t->seen_count >= SEEN_SLOTS / 2)
		return false;
	for (; t->seen[i]; i = (i + 1) & (SEEN_SLOTS - 1))
		if (strcmp(t->seen[i], line) == 0)
			return true;
	if ((t->seen[i] = strdup(line)))
		t->seen_count++;
	return false;
}

/*
 * The NUL-terminated string at addr in pid's memory, read a page at a
 * time (the string may end just before an unmapped page). false when it
 * cannot be read or is longer than size - 1.
 */
static bool read_string_once(el__tracer *t, pid_t pid, uint64_t addr, char *buf, size_t size)
{
	size_t done = 0;

	if (pid != t->mem_pid || t->mem_fd < 0) {
		char proc[64];

		if (t->mem_fd >= 0)
			close(t->mem_fd);
		snprintf(proc, sizeof(proc), "/proc/%d/mem", (int)pid);
		t->mem_fd = open(proc, O_RDONLY | O_CLOEXEC);
		t->mem_pid = pid;
		if (t->mem_fd < 0)
			return false;
	}
	while (done < size - 1) {
		uint64_t at = addr + done;
		size_t want = 4096 - (size_t)(at & 4095);
		ssize_t n;
		char *nul;

		if (want > size - 1 - done)
			want = size - 1 - done;
		n = pread(t->mem_fd, buf + done, want, (off_t)at);
		if (n <= 0)
			return false;
		if ((nul = memchr(buf + done, '\0', (size_t)n)))
			return true;
		done += (size_t)n;
	}
	return false;
}

/*
 * Through the kept /proc/PID/mem, and when that fails, once more through a
 * new one: the kept one reads the memory the process had when it was
 * opened, which an execve (by any of its threads) has replaced since.
 */
static bool read_string(el__tracer *t, pid_t pid, uint64_t addr, char *buf, size_t size)
{
	bool kept = t->mem_fd >= 0 && t->mem_pid == pid;

	if (read_string_once(t, pid, addr, buf, size))
		return true;
	if (t->mem_fd >= 0) {
		close(t->mem_fd);
		t->mem_fd = -1;
	}
	return kept && read_string_once(t, pid, addr, buf, size);
}

/* The directory a relative path starts from: the process's working directory, or its descriptor dirfd. */
static bool base_dir(pid_t pid, int dirfd, char *buf, size_t size)
{
	char proc[64];
	ssize_t n;

	if (dirfd == AT_FDCWD)
		snprintf(proc, sizeof(proc), "/proc/%d/cwd", (int)pid);
	else
		snprintf(proc, sizeof(proc), "/proc/%d/fd/%d", (int)pid, dirfd);
	n = readlink(proc, buf, size - 1);
	if (n <= 0 || buf[0] != '/')
		return false;
	buf[n] = '\0';
	return true;
}

/* Write the path the notification names, once. */
static void record_path(el__tracer *t, const struct seccomp_notif *req, const struct el__trace_call *call)
{
	const int dirfd = call->dirfd_arg < 0 ? AT_FDCWD : (int)(int32_t)req->data.args[call->dirfd_arg];
	char path[PATH_MAX], line[2 * PATH_MAX + 2];
	size_t len;

	if (!read_string(t, req->pid, req->data.args[call->path_arg], path, sizeof(path)))
		return;
	/* The path was read from a process that may have been replaced since: only a live notification's counts. */
	if (seccomp_notify_id_valid(t->listener, req->id) != 0)
		return;
	if (path[0] == '/') {
		len = (size_t)snprintf(line, sizeof(line), "%s\n", path);
	} else {
		char base[PATH_MAX];

		/* execveat(fd, "", AT_EMPTY_PATH): the descriptor's own file. */
		if (!base_dir(req->pid, dirfd, base, sizeof(base)))
			return;
		if (path[0] == '\0')
			len = (size_t)snprintf(line, sizeof(line), "%s\n", base);
		else
			len = (size_t)snprintf(line, sizeof(line), "%s%s%s\n", base,
					       base[strlen(base) - 1] == '/' ? "" : "/", path);
	}
	if (len >= sizeof(line))
		return;
	line[len - 1] = '\0';
	if (seen_before(t, line))
		return;
	line[len - 1] = '\n';
	/* One write a line on an O_APPEND file: lines from envlock and from the observer never interleave. */
	while (write(t->out_fd, line, len) < 0 && errno == EINTR)
		;
}

static void record(el__tracer *t, const struct seccomp_notif *req)
{
	const struct el__trace_call *call = NULL;

	for (size_t i = 0; el__trace_calls[i].name && !call; i++)
		if (t->nrs[i] == req->data.nr)
			call = &el__trace_calls[i];
	if (!call)
		return;
	record_path(t, req, call);
	/* A process that executes another program gets new memory: its /proc/PID/mem will no longer read it. */
	if (call->replaces && t->mem_fd >= 0) {
		close(t->mem_fd);
		t->mem_fd = -1;
	}
}

/* Receive the listener ("T" with one descriptor); false when the socket closed first. */
static bool receive_listener(el__tracer *t)
{
	char message[8], control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = message, .iov_len = sizeof(message) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct pollfd p[2] = { { .fd = t->status_fd, .events = POLLIN }, { .fd = t->stop[0], .events = POLLIN } };
	ssize_t n;

	while (poll(p, 2, -1) < 0)
		if (errno != EINTR)
			return false;
	if (p[1].revents)
		return false;
	do
		n = recvmsg(t->status_fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&t->listener, CMSG_DATA(c), sizeof(int));
	}
	return n == 1 && message[0] == 'T' && t->listener >= 0;
}

static void *tracer_main(void *arg)
{
	el__tracer *t = arg;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;

	if (!receive_listener(t) || seccomp_notify_alloc(&req, &resp) != 0)
		goto done;
	for (;;) {
		struct pollfd p[2] = { { .fd = t->listener, .events = POLLIN }, { .fd = t->stop[0], .events = POLLIN } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* Hung up: every process under the filter has ended. */
		if (p[1].revents || (p[0].revents & (POLLHUP | POLLERR | POLLNVAL)))
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		memset(req, 0, sizeof(*req));
		/* ENOENT: the caller died (a signal) between the poll and here. */
		if (seccomp_notify_receive(t->listener, req) != 0)
			continue;
		record(t, req);
		memset(resp, 0, sizeof(*resp));
		resp->id = req->id;
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		if (seccomp_notify_respond(t->listener, resp) == 0)
			t->answered++;
	}
done:
	seccomp_notify_free(req, resp);
	return NULL;
}

int el__tracer_start(el__tracer **out, int status_fd, int out_fd)
{
	el__tracer *t = calloc(1, sizeof(*t));
	int rc;

	*out = NULL;
	if (!t) {
		close(status_fd);
		return el__error_oom();
	}
	t->status_fd = status_fd;
	t->out_fd = out_fd;
	t->listener = t->mem_fd = -1;
	t->seen = calloc(SEEN_SLOTS, sizeof(*t->seen));
	for (size_t i = 0; el__trace_calls[i].name; i++)
		t->nrs[i] = seccomp_syscall_resolve_name(el__trace_calls[i].name);
	if (pipe2(t->stop, O_CLOEXEC) != 0) {
		int err = errno;

		close(status_fd);
		free(t->seen);
		free(t);
		errno = err;
		return el__error_errno(EL_ERROR, "trace: a pipe");
	}
	rc = pthread_create(&t->thread, NULL, tracer_main, t);
	if (rc != 0) {
		close(t->stop[0]);
		close(t->stop[1]);
		close(status_fd);
		free(t->seen);
		free(t);
		errno = rc;
		return el__error_errno(EL_ERROR, "trace: starting its thread");
	}
	*out = t;
	return EL_OK;
}

void el__tracer_stop(el__tracer *t)
{
	if (!t)
		return;
	while (write(t->stop[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(t->thread, NULL);
	close(t->stop[0]);
	close(t->stop[1]);
	close(t->status_fd);
	if (t->listener >= 0)
		close(t->listener);
	if (t->mem_fd >= 0)
		close(t->mem_fd);
	for (size_t i = 0; t->seen && i < SEEN_SLOTS; i++)
		free(t->seen[i]);
	free(t->seen);
	free(t);
}

unsigned long el__tracer_answered(const el__tracer *t)
{
	return t ? t->answered : 0;
}
