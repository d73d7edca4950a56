#ifndef ENVLOCK_SANDBOX_H
#define ENVLOCK_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>

#include "envlock/lock.h"
#include "envlock/profile.h"

/*
 * The sandbox envlock exec runs a command in: new user, mount, PID, IPC,
 * UTS and cgroup namespaces (and network with "net none"), a root built
 * from read-only binds of the host's system directories, the pinned
 * environment, no capabilities, no_new_privs and a seccomp filter.
 *
 * Two steps. A plan says everything the sandbox will be, decided on the
 * host from the profile, the lock and the options; building it runs
 * nothing, so it can be printed (--dry-run) and unit-tested. Then the plan
 * is started: the sandbox sets itself up while the caller does other work
 * (the drift check), and runs the command only when told to go.
 */

typedef struct el_sandbox_options {
	const el_profile *profile;  /* required */
	const el_lock *lock;        /* its env and Python interpreter; NULL without a lock */
	const char *lock_path;      /* the lock's file: read-only in the sandbox when in the working directory */
	const char *workdir;        /* host directory bound writable; NULL: the current one */
	const char *cwd;            /* where the command starts, when inside workdir (absolute); NULL: workdir */
	const char *python;         /* the interpreter (--python): leads PATH instead of the lock's; NULL: the lock's */
	const el_mount *mounts;     /* --bind, --ro-bind, --tmpfs: after the profile's, in order */
	size_t mount_count;
	const char *seed;           /* --seed N: PYTHONHASHSEED and ENVLOCK_SEED; NULL: none */
	char *const *argv;          /* the command; argv[0] looked up on the sandbox's PATH */
	char *const *host_env;      /* where keepenv reads from; NULL: environ */
	const char *host_root;      /* where the host is inspected (tests); NULL: "/" */
	uid_t host_uid;             /* who the sandbox's user is on the host */
	gid_t host_gid;
} el_sandbox_options;

typedef struct el_sandbox_plan el_sandbox_plan;

/* Decide the sandbox. On success *out is for el_sandbox_plan_free(). */
int el_sandbox_plan_new(el_sandbox_plan **out, const el_sandbox_options *options);
void el_sandbox_plan_free(el_sandbox_plan *plan);

/* The plan as text: namespaces, mounts in order, environment, seccomp rules. */
int el_sandbox_plan_write(const el_sandbox_plan *plan, FILE *out);

/* The command's environment: "NAME=value", sorted by name, NULL-terminated. Borrowed from the plan. */
char *const *el_sandbox_plan_env(const el_sandbox_plan *plan);

/*
 * The sandbox's settings for a run record: namespaces, net, hostname,
 * cpus, aslr, uid, gid, seccompDeny and cwd, in a new JSON object for the
 * caller to json_decref().
 */
int el_sandbox_plan_summary(json_t **out, const el_sandbox_plan *plan);

typedef struct el_sandbox el_sandbox;

/*
 * Create the namespaces and start setting the sandbox up. Returns once the
 * first process exists; it waits for el_sandbox_go() before running the
 * command. When the kernel refuses an unprivileged user namespace, the
 * message names the setting to change. Call it from a single-threaded
 * process: the new process allocates and runs libseccomp before it execs.
 */
int el_sandbox_start(el_sandbox **out, const el_sandbox_plan *plan);

/* Wait until the sandbox is set up; its failure is the error (exit 125). */
int el_sandbox_ready(el_sandbox *sandbox);

/* Run the command (after el_sandbox_ready()). */
int el_sandbox_go(el_sandbox *sandbox);

/*
 * Wait for the sandbox to end. *status is the command's exit status, or
 * 128+N when it died of signal N. Interrupted waits are resumed.
 */
int el_sandbox_wait(el_sandbox *sandbox, int *status);

/*
 * The signals the sandbox's PID 1 passes on to the command (INT, TERM,
 * HUP, QUIT, USR1, USR2); *count gets their number. A caller forwards
 * these to el_sandbox_pid().
 */
const int *el_sandbox_forwarded_signals(size_t *count);

/*
 * Something the caller should tell the user, or NULL. Started by root, the
 * sandbox's user runs as an unprivileged host user and reaches the
 * working directory and binds through idmapped mounts; where a file system
 * cannot idmap, it is root on the host instead, and this says so.
 */
const char *el_sandbox_warning(const el_sandbox *sandbox);

/* The host PID of the sandbox's PID 1: signals sent to it reach the command. */
pid_t el_sandbox_pid(const el_sandbox *sandbox);

/* Kill the sandbox if it still runs, reap it, free. */
void el_sandbox_free(el_sandbox *sandbox);

#endif
