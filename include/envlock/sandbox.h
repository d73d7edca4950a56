/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENVLOCK_SANDBOX_H
#define ENVLOCK_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "envlock/api.h"
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
	/*
	 * Host paths the command must not change when they lie in the working
	 * directory (the run records' directory): bound read-only, and the
	 * directories on the way to them pinned, so that they cannot be renamed
	 * or swapped (the lock and its .sig get the same).
	 */
	const char *const *protect;
	size_t protect_count;
	const char *workdir;        /* host directory bound writable; NULL: the current one */
	const char *cwd;            /* where the command starts, when inside workdir (absolute); NULL: workdir */
	const char *python;         /* the interpreter (--python): leads PATH instead of the lock's; NULL: the lock's */
	const el_mount *mounts;     /* --bind, --ro-bind, --tmpfs: after the profile's, in order */
	size_t mount_count;
	const char *seed;           /* --seed N: PYTHONHASHSEED and ENVLOCK_SEED; NULL: none */
	char *const *argv;          /* the command; argv[0] looked up on the sandbox's PATH */
	char *const *host_env;      /* where keepenv reads from; NULL: environ */
	const char *host_root;      /* where the host is inspected (tests); NULL: "/" */
	/*
	 * exec --image: a root file system (el_image_root()) whose top-level
	 * directories and links the sandbox shows, read-only, in place of the
	 * host's system directories (its proc, dev, sys, tmp, run, home and
	 * root are the sandbox's own, as always); no interpreter of the host
	 * is bound. NULL: the host's.
	 */
	const char *image_root;
	uid_t host_uid;             /* who the sandbox's user is on the host */
	gid_t host_gid;
	/*
	 * Replay: the working directory read-only under an overlay whose upper
	 * layer is a tmpfs, so that nothing the command writes reaches the host
	 * (el_sandbox_workdir_open() gives the view it wrote); or, where the
	 * kernel refuses the overlay, workdir_copy (a host directory, see
	 * el_sandbox_workdir_copy()) bound writable at the working directory's
	 * path. At most one of the two.
	 */
	bool workdir_overlay;
	const char *workdir_copy;
	/*
	 * Observe the shared objects the run maps: envlock's LD_AUDIT library
	 * is written read-only at /run/envlock/audit.so, and LD_AUDIT and
	 * ENVLOCK_AUDIT_FD=3 are set in the command's environment; the command
	 * gets one more descriptor, 3, an anonymous file opened O_APPEND that
	 * the library writes one line "PATH\n" to per object mapped, in every
	 * process of the run. el_sandbox_observed() reads it after the run.
	 */
	bool observe;
	/*
	 * Trace the files the run opens or executes (needs observe): the
	 * command runs under one more seccomp filter, which notifies envlock
	 * of every open, openat, execve and execveat; envlock reads the path,
	 * adds it to the observer's lines, and lets the call go on unchanged.
	 * el_sandbox_observed() then reports those files too, and the
	 * symbolic links on the way to each (el_sandbox_objects.links).
	 */
	bool trace;
	/*
	 * What the sandbox writes before a message of its own on the command's
	 * standard error (see el_sandbox_wait()): the caller's name and
	 * command, such as "envlock: exec: ", since the library names no tool.
	 * NULL: nothing.
	 */
	const char *message_prefix;
} el_sandbox_options;

typedef struct el_sandbox_plan el_sandbox_plan;

/* Decide the sandbox. On success *out is for el_sandbox_plan_free(). */
EL_API int el_sandbox_plan_new(el_sandbox_plan **out, const el_sandbox_options *options);
EL_API void el_sandbox_plan_free(el_sandbox_plan *plan);

/* The plan as text: namespaces, mounts in order, environment, seccomp rules. */
EL_API int el_sandbox_plan_write(const el_sandbox_plan *plan, FILE *out);

/*
 * Whether the sandbox shows the host file path (absolute, links resolved):
 * the source of the plan's first bind (the working directory, a system
 * directory, a data input, a --bind...) that holds it where nothing
 * mounted after it (a --tmpfs over it) covers it, borrowed from the plan;
 * NULL when none does. What must stay secret from the command (the
 * signing key) is checked with it.
 */
EL_API const char *el_sandbox_plan_shows(const el_sandbox_plan *plan, const char *path);

/* The command's environment: "NAME=value", sorted by name, NULL-terminated. Borrowed from the plan. */
EL_API char *const *el_sandbox_plan_env(const el_sandbox_plan *plan);

typedef struct el_sandbox el_sandbox;

/*
 * Create the namespaces and start setting the sandbox up. The plan must
 * stay until el_sandbox_free(). Returns once the first process exists; it waits for el_sandbox_go() before running the
 * command. When the kernel refuses an unprivileged user namespace, the
 * message names the setting to change. Call it from a single-threaded
 * process: the new process allocates and runs libseccomp before it execs.
 */
EL_API int el_sandbox_start(el_sandbox **out, const el_sandbox_plan *plan);

/*
 * Wait until the sandbox is set up; its failure is the error (exit 125).
 * EL_ENOTSUP when the kernel refused the working directory's overlay
 * (workdir_overlay), the message its reason (such as "fsconfig: Operation
 * not permitted"): the caller may start again with a copy instead.
 */
EL_API int el_sandbox_ready(el_sandbox *sandbox);

/* Run the command (after el_sandbox_ready()). */
EL_API int el_sandbox_go(el_sandbox *sandbox);

/*
 * Wait for the sandbox to end. Interrupted waits are resumed. *status is
 * that of the sandbox's PID 1, which ends with the command:
 *
 *   N      the command exited with status N;
 *   128+N  the command died of signal N;
 *   125    the sandbox failed after el_sandbox_go(), before the command
 *          ran (its session, its descriptors, dropping capabilities,
 *          no_new_privs and the seccomp filter, starting it); or it was
 *          never told to go (the caller gave up or died);
 *   126    the command was found but could not be executed (execve(2)
 *          refused it: its permissions, its format);
 *   127    the command was not found on the sandbox's PATH.
 *
 * For 125 after el_sandbox_go(), 126 and 127, the sandbox writes one line
 * to the command's standard error (the caller's when it started the
 * sandbox): el_sandbox_options.message_prefix, what failed, ": " and why
 * ("./train: command not found"). A failure before the sandbox was ready
 * is el_sandbox_ready()'s error instead, and nothing is written. A command
 * that exits 125, 126 or 127 itself is not told apart.
 */
EL_API int el_sandbox_wait(el_sandbox *sandbox, int *status);

/*
 * The signals the sandbox's PID 1 passes on to the command (INT, TERM,
 * HUP, QUIT, USR1, USR2); *count gets their number. A caller forwards
 * these to el_sandbox_pid().
 */
EL_API const int *el_sandbox_forwarded_signals(size_t *count);

/*
 * Something the caller should tell the user, or NULL. Started by root, the
 * sandbox's user runs as an unprivileged host user and reaches the
 * working directory and binds through idmapped mounts; where a file system
 * cannot idmap, it is root on the host instead, and this says so.
 */
EL_API const char *el_sandbox_warning(const el_sandbox *sandbox);

/* The host PID of the sandbox's PID 1: signals sent to it reach the command. */
EL_API pid_t el_sandbox_pid(const el_sandbox *sandbox);

/*
 * What a run with observe reported: the shared objects its processes
 * mapped, as host files with their SHA-256. The lines the run wrote are
 * untrusted (the command can write anything to its descriptor 3): each
 * must be an absolute path of at most EL_SANDBOX_OBSERVED_MAX_PATH bytes
 * without control characters, or it is refused; at most
 * EL_SANDBOX_OBSERVED_MAX distinct paths are taken. Each path is resolved
 * on the host (links followed) and kept only when the sandbox showed the
 * host's file there (a system directory, the working directory, a bind:
 * not a tmpfs of the sandbox) and it is a regular file; started by root,
 * only a file every user may read. So a forged line can at most add the
 * digest of a host file the command could read.
 */
#define EL_SANDBOX_OBSERVED_MAX 10000
#define EL_SANDBOX_OBSERVED_MAX_PATH 4095

typedef struct el_sandbox_object {
	char *path;                 /* absolute host path, links resolved */
	char sha256[65];            /* lowercase hex */
} el_sandbox_object;

typedef struct el_sandbox_link {
	char *path;                 /* absolute host path of the link, the links before it resolved */
	char *target;               /* its text, as readlink gave it */
} el_sandbox_link;

typedef struct el_sandbox_objects {
	el_sandbox_object *items;   /* sorted by path (bytewise), paths unique */
	size_t count;
	/*
	 * With trace: each symbolic link met on the way to a kept object
	 * (/lib -> usr/lib, python3 -> python3.11), where the sandbox showed
	 * it, sorted by path, paths unique; none without trace.
	 */
	el_sandbox_link *links;
	size_t link_count;
	size_t reported;            /* valid distinct paths the run reported; 0: nothing observable
				       (a static or set-id program) */
	size_t refused;             /* lines that were not a valid path */
	size_t skipped;             /* valid paths that are not a host file the sandbox showed */
	bool too_many;              /* more than EL_SANDBOX_OBSERVED_MAX paths: the rest not looked at */
} el_sandbox_objects;

/*
 * After el_sandbox_wait() of a sandbox planned with observe: the objects
 * the run mapped, hashed through the stat cache in cache_dir (NULL: the
 * default, "": none). *out is for el_sandbox_objects_free(). EL_EINVAL
 * when the plan did not observe.
 */
EL_API int el_sandbox_observed(el_sandbox_objects **out, const el_sandbox *sandbox, const char *cache_dir);

/* Accepts NULL. */
EL_API void el_sandbox_objects_free(el_sandbox_objects *objects);

/* Kill the sandbox if it still runs, reap it, free. Accepts NULL; el_error_last() is left as it was. */
EL_API void el_sandbox_free(el_sandbox *sandbox);

/*
 * The files a run leaves. The sandbox's scratch mounts (/tmp, /var/tmp,
 * /run, $HOME, /dev/shm and the profile's and options' tmpfs mounts, as
 * --dry-run marks them) go with the sandbox; PID 1 hands envlock a
 * descriptor of each before the command starts, so that once it ended
 * (el_sandbox_wait()) what the command left there can be listed or copied
 * out, with envlock's own credentials. envlock's own files (under
 * /run/envlock) and the set-up's mount points are left out.
 *
 * The walks are bounded: EL_SANDBOX_FILES_MAX_ENTRIES entries (directories
 * included) over all the mounts, EL_SANDBOX_FILES_MAX_DEPTH directories
 * down; past a bound the rest is not looked at, and the result says so.
 */
#define EL_SANDBOX_FILES_MAX_ENTRIES 100000
#define EL_SANDBOX_FILES_MAX_DEPTH 64

typedef struct el_sandbox_files {
	size_t count;      /* files: every entry but directories (regular files, links, others) */
	size_t kept;       /* el_sandbox_scratch_keep: regular files and symbolic links copied */
	size_t skipped;    /* el_sandbox_scratch_keep: others (FIFOs, sockets), not copied */
	char **paths;      /* el_sandbox_scratch_list: the first path_count paths in the sandbox, bytewise */
	size_t path_count;
	bool too_many;     /* the walk stopped at EL_SANDBOX_FILES_MAX_ENTRIES */
	char *too_deep;    /* the first directory at EL_SANDBOX_FILES_MAX_DEPTH, not looked into, or NULL */
} el_sandbox_files;

/*
 * After el_sandbox_wait(): count the files the command left in the
 * scratch mounts and name the first max_paths of them (sorted bytewise).
 * On success *out is for el_sandbox_files_free(); on an error (a directory
 * that cannot be read) the message names the path.
 */
EL_API int el_sandbox_scratch_list(el_sandbox_files **out, const el_sandbox *sandbox, size_t max_paths);

/*
 * After el_sandbox_wait(): copy those files into the directory dirfd, each
 * at its sandbox path without the leading slash (directories made 0755,
 * only where a file goes). Nothing is followed: a symbolic link is copied
 * as a link, a regular file with its permission bits less set-user-ID and
 * set-group-ID, other types are counted in skipped; names are opened and
 * made relative to descriptors (O_NOFOLLOW, O_EXCL), and an existing
 * non-directory in the way is replaced, never written through. On the
 * first failure the error names the path; *out is for
 * el_sandbox_files_free() either way (NULL when out of memory).
 */
EL_API int el_sandbox_scratch_keep(el_sandbox_files **out, const el_sandbox *sandbox, int dirfd);

/*
 * Copy path (relative, "a/b/out.bin") from the directory from_dirfd into
 * to_dirfd at the same relative path, with el_sandbox_scratch_keep()'s
 * rules and bounds (a directory with what is below it). No component of
 * path is followed if it is a link. EL_ENOTFOUND (no message) when there
 * is nothing at path; *out as above.
 */
EL_API int el_sandbox_keep_path(el_sandbox_files **out, int from_dirfd, const char *path, int to_dirfd);

EL_API void el_sandbox_files_free(el_sandbox_files *files);

/*
 * After el_sandbox_wait(), with workdir_overlay: the working directory as
 * the command left it (the overlay's merged view), a new descriptor
 * (O_RDONLY | O_DIRECTORY) for the caller to close; -1 with the error set
 * when there is none.
 */
EL_API int el_sandbox_workdir_open(const el_sandbox *sandbox);

/*
 * Where no overlay can be had: a copy of the working directory workdir in
 * a new private directory (mkdtemp) under tmpdir, made without following
 * any link (links copied as links), directory modes kept, its top-level
 * .git left out (the sandbox binds the host's read-only). *out is the
 * copy's path for el_sandbox_workdir_copy_remove() and free(). On an
 * error nothing is left behind.
 */
EL_API int el_sandbox_workdir_copy(char **out, const char *workdir, const char *tmpdir);

/* Remove the copy (never following a link the command made in it). */
EL_API int el_sandbox_workdir_copy_remove(const char *copy);

#endif
