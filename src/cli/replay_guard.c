/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What replay takes from a record, held to what replay would choose
 * itself (see replay_guard.h): a job cannot steer the next replay by
 * editing the record of an earlier run.
 */
#include "cli/replay_guard.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "envlock/envlock.h"

#include "cli/cli.h"

#define EXT "predicate.buildDefinition.externalParameters."
#define INT "predicate.buildDefinition.internalParameters."

bool replay_allow_mount(replay_allow *allow, el_mount_kind kind, const char *arg)
{
	char **grown = realloc(allow->binds, (allow->bind_count + 1) * sizeof(*allow->binds));
	const char *colon = strchr(arg, ':');
	char *source = NULL, *abs = NULL;
	int n;

	if (!grown)
		return false;
	allow->binds = grown;
	if (kind == EL_MOUNT_TMPFS) {
		n = asprintf(&grown[allow->bind_count], "tmpfs %s", arg);
	} else {
		source = colon ? strndup(arg, (size_t)(colon - arg)) : strdup(arg);
		abs = source ? cli_absolute_path(source) : NULL;
		n = abs ? asprintf(&grown[allow->bind_count], "%s %s:%s", el_mount_kind_name(kind), abs,
				   colon ? colon + 1 : abs)
			: -1;
	}
	free(source);
	free(abs);
	if (n < 0)
		return false;
	allow->bind_count++;
	return true;
}

void replay_allow_free(replay_allow *allow)
{
	for (size_t i = 0; i < allow->bind_count; i++)
		free(allow->binds[i]);
	free(allow->binds);
	allow->binds = NULL;
	allow->bind_count = 0;
}

__attribute__((format(printf, 3, 4))) static bool refuse(const char *file, const char *member, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "envlock: replay: %s: %s: ", file, member);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

static bool same_real_path(const char *a, const char *b)
{
	char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
	bool same = ra && rb && strcmp(ra, rb) == 0;

	free(ra);
	free(rb);
	return same;
}

/* dir's parent, in place ("/a/b" -> "/a", "/a" -> "/"). */
static void parent(char *dir)
{
	char *slash = strrchr(dir, '/');

	slash[slash == dir ? 1 : 0] = '\0';
}

/*
 * The working directories replay accepts without --workdir: the record's
 * own directory, and the repository's root nearest above it when that
 * holds an env.lock (where exec makes the root the working directory). A
 * record cannot widen the run to $HOME or /root by naming it, also where
 * $HOME is a repository of its own (dotfiles): no env.lock there.
 */
static bool workdir_expected(const char *file, const char *workdir)
{
	const char *base = strrchr(file, '/');
	char *given = base ? strndup(file, (size_t)(base - file) + (base == file)) : strdup(".");
	char *dir = given ? realpath(given, NULL) : NULL, *real = realpath(workdir, NULL), *lock = NULL;
	bool found = dir && real && strcmp(dir, real) == 0;

	free(given);
	while (dir && real && !found && !cli_repository_root(dir) && strcmp(dir, "/") != 0)
		parent(dir);
	if (dir && real && !found && cli_repository_root(dir) && strcmp(dir, real) == 0 &&
	    asprintf(&lock, "%s/env.lock", strcmp(dir, "/") ? dir : "") >= 0)
		found = access(lock, F_OK) == 0;
	free(lock);
	free(dir);
	free(real);
	return found;
}

static bool check_workdir(const char *file, const el_record *r, const replay_allow *allow)
{
	if (r->workdir[0] != '/')
		return refuse(file, EXT "workdir", "%s: not an absolute path", r->workdir);
	if (allow->workdir) {
		if (!same_real_path(allow->workdir, r->workdir))
			return refuse(file, EXT "workdir", "%s, not the directory --workdir %s names", r->workdir,
				      allow->workdir);
		return true;
	}
	if (!workdir_expected(file, r->workdir))
		return refuse(file, EXT "workdir",
			      "%s is neither the record's directory nor its repository's root (with an env.lock); "
			      "to replay there, confirm it with --workdir %s", r->workdir, r->workdir);
	return true;
}

static bool check_outputs(const char *file, const el_record *r)
{
	char member[96];

	for (size_t i = 0; i < r->output_count; i++) {
		snprintf(member, sizeof(member), EXT "outputs[%zu]", i);
		if (!el_record_output_path_valid(r->outputs[i].path))
			return refuse(file, member, "%s: not a path inside the working directory", r->outputs[i].path);
	}
	return true;
}

/* Where the command started: the working directory or below it. */
static bool check_cwd(const char *file, const el_record *r)
{
	const char *path;
	size_t n = strlen(r->workdir);

	if (el_record_sandbox_cwd(&path, r) == EL_ENOTFOUND) {
		el_error_clear();
		return true;
	}
	if (path && (strcmp(path, r->workdir) == 0 ||
		     (strncmp(path, r->workdir, n) == 0 && path[n] == '/' && el_record_output_path_valid(path + n + 1))))
		return true;
	return refuse(file, INT "sandbox.cwd", "%s: not inside the working directory %s", path ? path : "(not a string)",
		      r->workdir);
}

static bool check_mounts(const char *file, const el_record *r, const replay_allow *allow)
{
	char member[96], *want;

	for (size_t i = 0; i < r->mount_count; i++) {
		const el_record_mount *m = &r->mounts[i];
		bool given = false;
		const char *kind = el_mount_kind_name(m->kind);
		int n = m->source ? asprintf(&want, "%s %s:%s", kind, m->source, m->dest)
				  : asprintf(&want, "%s %s", kind, m->dest);

		if (n < 0) {
			cli_error("out of memory");
			return false;
		}
		for (size_t k = 0; k < allow->bind_count && !given; k++)
			given = strcmp(allow->binds[k], want) == 0;
		free(want);
		if (given)
			continue;
		snprintf(member, sizeof(member), EXT "mounts[%zu]", i);
		if (m->source)
			return refuse(file, member, "a record cannot add mounts of its own; to allow it, give it again: --%s %s:%s",
				      kind, m->source, m->dest);
		return refuse(file, member, "a record cannot add mounts of its own; to allow it, give it again: --tmpfs %s",
			      m->dest);
	}
	return true;
}

/* What a signed record may name itself: the lock (verified too) and the interpreter; never a profile file. */
static bool check_chosen(const char *file, const el_record *r, const replay_allow *allow)
{
	char *expected = NULL;
	bool ok;

	/* Signed or not: the signature covers the file's name, not what it says now. */
	if (!el_profile_name_valid(r->profile) && !(allow->profile && strcmp(allow->profile, r->profile) == 0))
		return refuse(file, INT "profile",
			      "%s is a file, not a profile's name: a record cannot choose the file its binds come "
			      "from; to allow it: --profile %s", r->profile, r->profile);
	if (allow->signed_record)
		return true;
	if (r->python && !(allow->python && strcmp(allow->python, r->python) == 0))
		return refuse(file, EXT "python",
			      "%s: a record cannot choose the interpreter the drift check runs on this machine; "
			      "to allow it: --python %s", r->python, r->python);
	if (!r->lock_path)
		return true;
	if (allow->lock)
		ok = same_real_path(allow->lock, r->lock_path);
	else
		ok = asprintf(&expected, "%s/env.lock", strcmp(r->workdir, "/") ? r->workdir : "") >= 0 &&
		     same_real_path(expected, r->lock_path);
	free(expected);
	if (!ok && allow->lock)
		return refuse(file, EXT "lock.path", "%s, not the lock --lock %s names", r->lock_path, allow->lock);
	if (!ok)
		return refuse(file, EXT "lock.path",
			      "%s is not the working directory's env.lock: a record cannot choose the lock (and the "
			      "interpreter) it is checked against; to allow it: --lock %s", r->lock_path, r->lock_path);
	return true;
}

bool replay_guard_check(const char *file, const el_record *record, const replay_allow *allow)
{
	return check_workdir(file, record, allow) && check_outputs(file, record) && check_cwd(file, record) &&
	       check_mounts(file, record, allow) && check_chosen(file, record, allow);
}
