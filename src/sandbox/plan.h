/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_SANDBOX_PLAN_H
#define EL_SANDBOX_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "envlock/sandbox.h"
#include "util/buf.h"

/*
 * The plan's insides, shared by the code that builds it (plan.c), prints
 * it and carries it out in the sandbox (setup.c and the steps it calls).
 */

typedef enum el__mount_op {
	EL__MOUNT_RO_BIND, /* source bound recursively, read-only, nosuid, nodev */
	EL__MOUNT_BIND,    /* the same, writable */
	EL__MOUNT_DEV,     /* a device node (or a directory of them) bound writable, devices allowed */
	EL__MOUNT_TMPFS,   /* an empty tmpfs (mode in .mode) */
	EL__MOUNT_PROC,    /* a new procfs for the sandbox's PID namespace */
	EL__MOUNT_DEVPTS,  /* a new devpts instance */
	EL__MOUNT_SYMLINK, /* dest is a symbolic link to source */
	EL__MOUNT_FILE,    /* dest is a file holding content */
	EL__MOUNT_READONLY, /* dest, already mounted, made read-only */
	EL__MOUNT_OVERLAY   /* source (read-only) under a tmpfs that takes the writes, at dest */
} el__mount_op;

struct el__mount_step {
	el__mount_op op;
	char *source;        /* host path, link target, or NULL */
	char *dest;          /* absolute path inside the sandbox */
	unsigned mode;       /* tmpfs and file modes */
	const char *content; /* EL__MOUNT_FILE: static text */
	size_t content_len;
	bool idmap;   /* with root_idmapped: bound through an idmapped mount */
	bool premade; /* with root_idmapped: opened by envlock, not idmapped (see plan.c) */
	/*
	 * A tmpfs whose files the command may leave behind: PID 1 hands envlock
	 * a descriptor of it (as of an overlay's merged view), so what is left
	 * there is listed or kept when the run ends (scratch.c).
	 */
	bool scratch;
};

/* Whether PID 1 sends envlock a descriptor of step m's mount (in plan order). */
static inline bool el__step_sent(const struct el__mount_step *m)
{
	return m->scratch || m->op == EL__MOUNT_OVERLAY;
}

struct el_sandbox_plan {
	char *profile_name;
	int namespaces; /* CLONE_NEW* flags */
	uid_t uid, gid; /* inside */
	uid_t host_uid;
	gid_t host_gid;
	/*
	 * Started by root: the user runs as EL__ROOT_RUNS_AS on the host, not
	 * as root, so root's files elsewhere (/etc/shadow) are not its own;
	 * the binds marked idmap (the working directory, its .git and lock, the
	 * profile's and options' binds) go through idmapped mounts that show
	 * root's files there as the user's, and make what it writes root's.
	 * Where a file system cannot, the user is root on the host after all,
	 * with a warning (see spawn.c).
	 */
	bool root_idmapped;
	char *hostname;
	char *cwd; /* inside */
	struct el__mount_step *mounts;
	size_t mount_count;
	char **env; /* "NAME=value", sorted by name, NULL-terminated */
	size_t env_count;
	char **argv; /* NULL-terminated */
	unsigned cpus;
	bool aslr;
	mode_t umask;
	char **seccomp_deny; /* syscall names denied with EPERM, sorted, NULL-terminated */
	size_t seccomp_deny_count;
	bool deny_clone_namespaces; /* clone() with CLONE_NEW* flags: EPERM */
	/*
	 * el_sandbox_options.observe: the audit library at EL__AUDIT_SO, and
	 * the anonymous file envlock makes at start passed to the command as
	 * EL__AUDIT_FD (the one descriptor besides 0-2 that crosses execve).
	 */
	bool observe;
	/* el_sandbox_options.trace (only with observe): the command's process installs the trace filter. */
	bool trace;
	/* el_sandbox_options.message_prefix ("" for none): the sandbox's own messages start with it. */
	char *message_prefix;
};

/*
 * The sandbox's settings for a run record (el_record_set_sandbox):
 * namespaces, net, hostname, cpus, aslr, uid, gid, seccompDeny and cwd,
 * in a new JSON object for the caller to json_decref().
 */
int el__sandbox_plan_summary(json_t **out, const el_sandbox_plan *plan);

/* The value of NAME in the plan's environment, or NULL. */
const char *el__plan_env_get(const el_sandbox_plan *plan, const char *name);

/*
 * The host file that path (absolute, inside the sandbox) is, as the plan's
 * mounts show it: through the last bind at or above it (SRC for --bind
 * SRC:DEST), following the plan's own links (/lib -> usr/lib). Into host;
 * EL_ENOTFOUND when a tmpfs, procfs or file of the sandbox's shows it, or
 * nothing does. Links inside the bound tree are not followed here.
 */
int el__sandbox_plan_host_path(const el_sandbox_plan *plan, const char *path, el__buf *host);

/* The host uid and gid that a sandbox started by root runs as. */
#define EL__ROOT_RUNS_AS 65534

/* The seccomp filter's built-in denials (NULL-terminated), before the profile's changes. */
extern const char *const el__seccomp_default_deny[];

/* The sitecustomize.py that seeds Python, built into envlock. */
extern const char el__python_hook[];
extern const size_t el__python_hook_len;

/* The LD_AUDIT observer (src/audit/observer.c), built into envlock. */
extern const unsigned char el__audit_so[];
extern const size_t el__audit_so_len;

/* envlock's own directory inside the sandbox, read-only: never the command's, never listed as left behind. */
#define EL__RUN_DIR "/run/envlock"
/* Where the hook lives inside the sandbox. */
#define EL__PYTHON_HOOK_DIR EL__RUN_DIR "/python"
/* python and python3, links to the run's interpreter; on PATH after its own bin directory. */
#define EL__RUN_BIN EL__RUN_DIR "/bin"
/* sys.pycache_prefix, set by the hook: bytecode of writable trees, a tmpfs of the run's. */
#define EL__PYCACHE_DIR EL__RUN_DIR "/pycache"
/* The observer inside the sandbox (read-only, 0555), and the command's descriptor it writes to. */
#define EL__AUDIT_SO EL__RUN_DIR "/audit.so"
#define EL__AUDIT_FD 3
#define EL__AUDIT_FD_TEXT "3"
/* The anonymous file's name: the observer writes only to a descriptor that is this file. */
#define EL__AUDIT_MEMFD_NAME "envlock-observed"

#endif
