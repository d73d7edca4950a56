/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_CLI_CLI_H
#define EL_CLI_CLI_H

#include <stdbool.h>

#include "envlock/envlock.h"

/*
 * The envlock command-line tool. It uses libenvlock's public headers only
 * and is the one place that turns library results into exit statuses.
 */

/* Exit statuses (see README.md). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,    /* capture, show, profiles: a runtime failure */
	CLI_EXIT_DRIFT = 1,      /* check, diff: drift that fails */
	CLI_EXIT_UNVERIFIED = 1, /* verify: unsigned, changed, or signed by no trusted key */
	CLI_EXIT_USAGE = 2,      /* bad usage or bad input */
};

/* One command: cmd_<name>() gets argv with argv[0] = "<name>". */
int cmd_capture(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_profiles(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_sign(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_unpack(int argc, char **argv);

/*
 * Load the profile named on the command line, or else by the lock
 * (meta.profile), or else "default". Prints the error; false on failure,
 * which is bad input (exit 2).
 */
bool cli_load_profile(el_profile **out, const char *named, const el_lock *lock);

/*
 * "If the change is intended, re-lock: [cd DIR && ]envlock capture ... -o
 * LOCK": the capture that locks this machine with the same profile,
 * interpreter (python, else the lock's) and data entries, words quoted
 * for a POSIX shell. NULL when out of memory; free() it.
 */
char *cli_relock_hint(const el_profile *profile, const el_lock *lock, const char *lock_path, const char *python);

/* --color WHEN (auto, always, never) into *color; false for another word. */
bool cli_parse_color(const char *when, bool *color);

/*
 * The lock when none was named: env.lock in the current directory or the
 * nearest one above it, up to the repository root (a directory with .git)
 * or "/". *out is the path relative to the current directory ("../env.lock"),
 * for free(). Prints the error, naming command and ending with otherwise
 * (", or ..."); false when there is none.
 */
bool cli_find_lock(char **out, const char *command, const char *otherwise);

/*
 * The tool's own environment, as capture takes it (el_capture_options.env):
 * the library reads none on its own, the tool hands over what it was given.
 */
const char *const *cli_environment(void);

/*
 * --bind SRC[:DEST], --ro-bind SRC[:DEST] (kind) or --tmpfs DEST (arg),
 * appended to *mounts: SRC made absolute, DEST NULL when not given. false
 * when out of memory or arg is not a mount; free with cli_mounts_free().
 */
bool cli_mount_add(el_mount **mounts, size_t *count, el_mount_kind kind, const char *arg);
void cli_mounts_free(el_mount *mounts, size_t count);

/* path made absolute against the current directory (not resolved), for free(); NULL when out of memory. */
char *cli_absolute_path(const char *path);

/* Whether dir holds a .git: the root of a repository (or of a worktree). */
bool cli_repository_root(const char *dir);

/* The absolute directory that holds lock_path, for free(); NULL after printing why. */
char *cli_lock_dir(const char *lock_path);

/*
 * mkdir -p: path and its parents, mode 0755 (less the umask), as mkdir(1)
 * makes them; one that exists is fine. False with errno set.
 */
bool cli_make_dirs(const char *path);

/* Read a lock file, printing the error; false on failure (exit 2). */
bool cli_read_lock(el_lock **out, const char *path);

/* "envlock: warning: SECTION: MESSAGE" on stderr: capture's warnings. */
void cli_print_warning(void *data, const char *section, const char *message);

/* "envlock: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* From now on cli_error also prints each error as a GitHub ::error on stdout (--format github). */
void cli_errors_as_github(void);

/* The usage error every command gives: the message, then a pointer to --help. */
int cli_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The unknown option getopt_long() just refused, as the user wrote it ("-x", "--frob"). */
const char *cli_bad_option(char **argv);

/*
 * "Did you mean" (suggest.c). cli_closest: the name of names nearest to
 * typed when near enough to be a typo, else NULL. cli_unknown_option:
 * after getopt_long refused an option, "unknown option '--recrod'; did you
 * mean '--record'?" (or without the question), in a static buffer.
 */
const char *cli_closest(const char *typed, const char *const *names, size_t count);
struct option;
const char *cli_unknown_option(char **argv, const struct option *longopts);

/* Flush stdout and report a failed write (a full disk, a closed pipe). */
int cli_finish_stdout(int status);

#endif
