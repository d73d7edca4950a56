/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENVLOCK_CAPTURE_H
#define ENVLOCK_CAPTURE_H

#include <stdbool.h>

#include "envlock/api.h"
#include "envlock/data.h"
#include "envlock/lock.h"
#include "envlock/profile.h"

/*
 * Called once per non-fatal problem found while probing (a garbled file, a
 * library whose version cannot be read): the field concerned is left out of
 * the lock and the message says why. section names the lock section.
 */
typedef void (*el_warn_fn)(void *data, const char *section, const char *message);

typedef struct el_capture_options {
	/*
	 * Directory that stands for "/" when reading files (/proc, /etc,
	 * ld.so.cache, site-packages...). NULL or "/" for this machine; tests
	 * point it at fixture trees.
	 */
	const char *root;
	/* Interpreter to describe; NULL means python3 on PATH. */
	const char *python;
	/*
	 * The directory being locked, as a path inside root: its git checkout
	 * goes into "code", and pyenv's .python-version is looked up from it.
	 * NULL means the current directory.
	 */
	const char *workdir;
	/*
	 * Where the stat cache lives. NULL selects $ENVLOCK_CACHE_DIR, then
	 * $XDG_CACHE_HOME/envlock, then $HOME/.cache/envlock, as env sets
	 * them; "" disables it.
	 */
	const char *cache_dir;
	/*
	 * The environment capture reads, and the one the programs it asks
	 * (the interpreter, compilers, git) get: "NAME=value" strings,
	 * NULL-terminated, as in environ(7); NULL is an empty one. Capture
	 * never reads the process's own: a lock is a function of these
	 * options. From it: PATH (python3, compilers and git are looked up
	 * on it), HOME, XDG_CACHE_HOME and ENVLOCK_CACHE_DIR (the cache),
	 * PYENV_ROOT, PYENV_VERSION and PYENV_DIR (pyenv shims), SUDO_UID
	 * (whose repository root may read), and what changes an
	 * interpreter's sys.path (PYTHONPATH, VIRTUAL_ENV...). The env
	 * section never takes values from it (see the README).
	 */
	const char *const *env;
	/*
	 * With a root other than "/": whether the tree's own programs
	 * (compilers, the interpreter, git) may be run and its libraries
	 * loaded to ask their versions. Off by default: a mounted image is
	 * data, and envlock may run as root. Facts only they can tell are
	 * then left out.
	 */
	bool trust_root;
	/*
	 * Its name goes into meta.profile and its pins (setenv) into env. NULL
	 * loads the profile called "default".
	 */
	const struct el_profile *profile;
	/*
	 * Files and directory trees to hash into the lock's data section
	 * (--data), besides the profile's "data" directives. Keys are the
	 * paths as given, without trailing slashes. One that does not exist
	 * fails the capture (EL_ENOTFOUND).
	 */
	const char *const *data;
	size_t data_count;
	/*
	 * The lock this capture is to be compared with (check, exec, replay),
	 * or NULL for a plain capture. With it:
	 *  - its data entries are hashed too, relative to workdir (the lock's
	 *    directory), and one that no longer exists is left out of the new
	 *    lock (drift: removed) instead of failing the capture;
	 *  - the interpreter described is its python.executable when python is
	 *    NULL; when that is not on this machine, the new lock has its
	 *    python section without the executable (one finding), never
	 *    another interpreter's; when python is given, it stands for the
	 *    lock's (its executable is recorded as the lock's);
	 *  - under "threads auto" the thread pins in env take its "threads"
	 *    count, not this machine's, so that they do not drift between
	 *    machines with different numbers of CPUs; and "threads" records
	 *    that count when a run here may use that many CPUs, else the
	 *    smaller number it may use (drift at "threads"). A lock without
	 *    "threads" (an older envlock's) gets this machine's count. A
	 *    profile's "threads N" pins N either way;
	 *  - the libraries it marks "observed" are hashed again at their
	 *    paths (see observed below), so that they are compared, not
	 *    reported as removed.
	 */
	const el_lock *checking;
	/*
	 * Shared objects a run was seen to load (capture --observe; absolute
	 * host paths): each becomes an entry of libraries, {path, sha256,
	 * observed: true}, keyed by its file name (by its path when another
	 * file has that name); one that a library entry already describes
	 * (the same file) marks that entry observed instead. A path that is
	 * not a regular file here is left out.
	 */
	const char *const *observed;
	size_t observed_count;
	/*
	 * exec: the sandbox the command will run in. With a lock to check,
	 * the capture keeps a state record in the cache directory (the
	 * README's "The state record") and takes the lock's sections from it
	 * while nothing they were found from has changed; a record in a
	 * directory this sandbox shows is neither read nor written, since
	 * its job could write one there.
	 */
	const struct el_sandbox_plan *sandbox;
	el_warn_fn warn;
	void *warn_data;
	/* Progress of hashing the data section's files, or NULL (el_data_options.progress). */
	el_data_progress_fn progress;
	void *progress_data;
} el_capture_options;

/*
 * The interpreter python names as capture finds it: a path (a relative one
 * from the current directory), or a name looked up on env's PATH; a pyenv
 * shim is resolved the way pyenv does (its .python-version looked up from
 * workdir, which may be NULL; PYENV_* from env), without running pyenv.
 * env is as in el_capture_options. Links are kept (a venv's python is the
 * venv's). *out is an absolute path for free(); EL_ENOTFOUND when there is
 * none, with the reason in el_error_last().
 */
EL_API int el_python_find(char **out, const char *python, const char *workdir, const char *const *env);

/*
 * Probe this machine and build a lock with its fingerprint set.
 * On success *out is a new lock for the caller to el_lock_free().
 * A probe that cannot read its source warns and leaves its fields out; only
 * failures that make the whole lock meaningless fail here: out of memory,
 * a root or python asked for that does not exist (EL_ENOTFOUND) or cannot
 * be used (EL_EINVAL), or the default profile that cannot be loaded.
 */
EL_API int el_capture(el_lock **out, const el_capture_options *opts);

#endif
