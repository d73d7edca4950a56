/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_SANDBOX_SETUP_H
#define EL_SANDBOX_SETUP_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sandbox/plan.h"

/*
 * The sandbox's side: the process that clone() started in the new
 * namespaces carries the plan out, becomes PID 1, and starts the command.
 * It cannot return errors to envlock's code: a failure is written to the
 * status pipe as text and the process exits 125. After the go, a failure
 * is one line on the command's standard error, the plan's message_prefix
 * first, and the exit status says which (el_sandbox_wait() in
 * envlock/sandbox.h).
 *
 * The steps below answer 0, or -1 with errno or after el__setup_fail(),
 * not EL_* codes (util/error.h): no one here reads the last error.
 */

/*
 * The capability state the sandbox applies: made by envlock before the
 * clone (el__caps_prepare: EL_OK, or EL_ENOMEM), freed by it after, and
 * applied in the sandbox by el__caps_drop (0, or -1 with errno), which
 * allocates nothing, so the command's process may call it.
 */
typedef struct el__caps el__caps;
int el__caps_prepare(el__caps **out);
void el__caps_free(el__caps *caps);
int el__caps_drop(const el__caps *caps);

/* The seccomp programs, compiled before the command is started. */
typedef struct el__seccomp_programs {
	struct sock_fprog known; /* ENOSYS for what the filter does not know; other architectures killed */
	struct sock_fprog deny;  /* the plan's denials */
	struct sock_fprog trace; /* with trace: notify on open, openat, execve, execveat; else empty */
} el__seccomp_programs;

typedef struct el__setup {
	const el_sandbox_plan *plan;
	int status_fd; /* to envlock, see the messages below */
	int go_fd;     /* from envlock: a byte to run, end of file to give up */
	int oldfd, newfd;
	const el__caps *caps; /* what dropping every capability applies */
	el__seccomp_programs seccomp;
	/*
	 * Started by root with idmapped binds: per mount step, the detached
	 * idmapped tree envlock made for it, or -1 (NULL: none at all); and
	 * envlock writes the user namespace's maps, then sends "M" on go_fd.
	 */
	int *idmap_fds;
	bool parent_maps;
	int sigfd; /* PID 1's signalfd, closed in the command */
	/* With observe: the anonymous file the observer writes to, the command's EL__AUDIT_FD; else -1. */
	int audit_fd;
	/*
	 * The mounts of the steps el__step_sent() names, in plan order, for
	 * envlock: a descriptor keeps a tmpfs (and what the command leaves in
	 * it) alive after the sandbox is gone, so envlock can look at it with
	 * its own credentials.
	 */
	int *sent_fds;
	size_t sent_count;
} el__setup;

/*
 * The status socket's messages (SOCK_SEQPACKET: one write, one message):
 * "F" with descriptors (SCM_RIGHTS), then "R" ready; or "E<message>" the
 * set-up failed; or "O<reason>" the kernel refused the overlay, which a
 * caller may retry without.
 */
#define EL__SENT_PER_MESSAGE 64

/* Write "E<message>" to the status socket; returns -1 for `return el__setup_fail(...)`. */
int el__setup_fail(el__setup *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same with another message type ("O": the overlay was refused). */
int el__setup_fail_as(el__setup *s, char type, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The sandbox process's whole life; never returns. */
__attribute__((noreturn)) void el__sandbox_main(el__setup *s);

/* The mount flags (MOUNT_ATTR_*) of a bind step, besides nosuid. */
unsigned long long el__bind_attrs(el__mount_op op);

/*
 * A detached, private copy of source for a bind step of type op, its flags
 * set (idmapped through idmap_userns when that is >= 0): source is opened
 * in rootfd's tree (AT_FDCWD: the caller's) following no symbolic link,
 * since the plan resolved it. The tree's descriptor, or -1 with errno
 * (ELOOP: a link appeared on the way; see el__bind_reason).
 */
int el__bind_tree(int rootfd, const char *source, el__mount_op op, int idmap_userns);

/* Why a bind failed, for errno from el__bind_tree. */
const char *el__bind_reason(int err);

/* mkdir -p path under the root rootfd, following no link out of it: the open directory (O_PATH), or -1 with errno. */
int el__make_dirs(int rootfd, const char *path);

/* Keep fd for envlock, in plan order (see sent_fds); closed once sent. */
void el__setup_send(el__setup *s, int fd);

/* move_mount of the detached mount mntfd onto destfd. */
int el__attach(int mntfd, int destfd);

/* The detached tree a bind-like step m mounts: envlock's premade one, or a new one; -1 after el__setup_fail(). */
int el__step_tree(el__setup *s, const struct el__mount_step *m);

/* Steps, each 0 or -1 after el__setup_fail(). */
int el__overlay_step(el__setup *s, const struct el__mount_step *m);
int el__setup_mounts(el__setup *s);
int el__seccomp_compile(el__setup *s);
int el__seccomp_install(const el__seccomp_programs *programs);

/*
 * With trace, in the command's process: install the trace program with a
 * listener (allowed by the capabilities the process still holds in its
 * namespace, or by no_new_privs). The listener, or -1 with errno.
 */
int el__seccomp_trace_listener(const el__seccomp_programs *programs);

#endif
