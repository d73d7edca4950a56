/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The working directory of a replay, which must never write to the host's:
 * the overlay's merged view that PID 1 sent (what the command wrote, for
 * hashing and keeping its outputs), or, where the kernel has no overlay
 * for us, a private copy bound in its place and removed afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envlock/sandbox.h"
#include "sandbox/sandbox_internal.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/tree.h"

/* A copy of the user's own working directory: bounds far above any project's, still bounds. */
#define COPY_MAX_ENTRIES 10000000
#define COPY_MAX_DEPTH 256

int el_sandbox_workdir_open(const el_sandbox *sb)
{
	const el_sandbox_plan *plan = el__sandbox_plan(sb);
	int fd;

	if (!el__sandbox_ended(sb))
		return el__error(EL_ERROR, "the working directory's overlay: the sandbox has not ended");
	for (size_t i = 0; i < plan->mount_count; i++) {
		if (plan->mounts[i].op != EL__MOUNT_OVERLAY || (fd = el__sandbox_fd(sb, i)) < 0)
			continue;
		fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return el__error_errno(EL_ERROR, "the working directory's overlay");
		return fd;
	}
	return el__error(EL_ENOTFOUND, "the sandbox has no overlay of the working directory");
}

int el_sandbox_keep_path(el_sandbox_files **out, int from_dirfd, const char *path, int to_dirfd)
{
	el__tree_walk w = { .max_entries = EL_SANDBOX_FILES_MAX_ENTRIES, .max_depth = EL_SANDBOX_FILES_MAX_DEPTH };
	el_sandbox_files *f = calloc(1, sizeof(*f));
	char *parent = strdup(path), *name;
	int dir = -1, ret = EL_OK;

	*out = f;
	if (!f || !parent) {
		free(parent);
		return el__error_oom();
	}
	/* A record says which path: it must not lead out of either directory. */
	if (!el__path_stays_below(path)) {
		free(parent);
		return el__error(EL_EINVAL, "%s: not a path inside the working directory", path);
	}
	name = strrchr(parent, '/');
	if (name)
		*name++ = '\0';
	else
		name = parent;
	dir = fcntl(from_dirfd, F_DUPFD_CLOEXEC, 0);
	if (dir < 0)
		ret = el__error_errno(EL_ERROR, "%s", path);
	/* Down to its directory one name at a time, no link followed. */
	for (char *p = name == parent ? NULL : strtok(parent, "/"); p && ret == EL_OK; p = strtok(NULL, "/")) {
		int next = openat(dir, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		close(dir);
		dir = next;
		if (dir < 0)
			ret = errno == ENOENT ? EL_ENOTFOUND : el__error_errno(EL_ERROR, "%s", path);
	}
	/* strtok cut parent into its names: the directories under to_dirfd are path's own. */
	if (ret == EL_OK) {
		char *sub = strdup(path), *slash = sub ? strrchr(sub, '/') : NULL;

		if (!sub)
			ret = el__error_oom();
		else {
			if (slash)
				*slash = '\0';
			else
				sub[0] = '\0';
			ret = el__tree_walk_entry(&w, dir, name, to_dirfd, sub, path);
		}
		free(sub);
	}
	if (dir >= 0)
		close(dir);
	free(parent);
	f->count = w.files;
	f->kept = w.kept;
	f->skipped = w.skipped;
	f->too_many = w.too_many;
	f->too_deep = w.too_deep;
	return ret;
}

/* The copy's top-level .git directory: the sandbox binds the host's read-only over it (a .git file is copied). */
static bool skip_git(void *arg, const char *path)
{
	const bool *git_dir = arg;

	return *git_dir && strcmp(path, "/.git") == 0;
}

/* Whether path is dir or below it, both resolved. */
static bool inside(const char *path, const char *dir)
{
	char *p = realpath(path, NULL), *d = realpath(dir, NULL);
	size_t n = d ? strlen(d) : 0;
	bool in = p && d && strncmp(p, d, n) == 0 && (p[n] == '/' || p[n] == '\0' || strcmp(d, "/") == 0);

	free(p);
	free(d);
	return in;
}

int el_sandbox_workdir_copy(char **out, const char *workdir, const char *tmpdir)
{
	bool git_dir = false;
	el__tree_walk w = { .max_entries = COPY_MAX_ENTRIES, .max_depth = COPY_MAX_DEPTH, .eager_dirs = true,
			    .keep_dir_modes = true, .skip = skip_git, .ctx = &git_dir };
	char *copy = NULL;
	struct stat st, git;
	int from = -1, to = -1, ret = EL_OK;

	*out = NULL;
	if (asprintf(&copy, "%s/envlock-replay.XXXXXX", tmpdir) < 0)
		return el__error_oom();
	if (!mkdtemp(copy)) {
		ret = el__error_errno(EL_ERROR, "a copy of the working directory in %s", tmpdir);
		free(copy);
		return ret;
	}
	from = open(workdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	to = open(copy, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (from < 0 || to < 0 || fstat(from, &st) != 0)
		ret = el__error_errno(EL_ERROR, "copying %s to %s", workdir, copy);
	/* A copy inside what it copies would copy itself until a bound stopped it. */
	if (ret == EL_OK && inside(copy, workdir))
		ret = el__error(EL_EINVAL, "copying %s: %s is inside it (set TMPDIR elsewhere)", workdir, tmpdir);
	git_dir = ret == EL_OK && fstatat(from, ".git", &git, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(git.st_mode);
	/*
	 * Its top stays 0700, as mkdtemp made it: the working directory's own
	 * mode (0755) would show files to every local user that the
	 * directories above it (a 0700 home) kept private. The sandbox's user
	 * owns it there, so the run sees no difference but the mode bits.
	 */
	if (ret == EL_OK && (ret = el__tree_walk_dir(&w, from, to, "", "")) != EL_OK)
		el__error_prefix(workdir);
	if (ret == EL_OK && (w.too_many || w.too_deep))
		ret = el__error(EL_ERROR, "copying %s: more than %d entries or %d directories deep", workdir,
				COPY_MAX_ENTRIES, COPY_MAX_DEPTH);
	free(w.too_deep);
	if (from >= 0)
		close(from);
	if (to >= 0)
		close(to);
	if (ret != EL_OK) {
		el_sandbox_workdir_copy_remove(copy);
		free(copy);
		return ret;
	}
	*out = copy;
	return EL_OK;
}

int el_sandbox_workdir_copy_remove(const char *copy)
{
	char *parent = strdup(copy), *slash;
	int dir, ret;

	if (!parent)
		return el__error_oom();
	slash = strrchr(parent, '/');
	if (!slash) {
		free(parent);
		return el__error(EL_EINVAL, "%s: not a copy's path", copy);
	}
	*slash = '\0';
	dir = open(*parent ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ret = dir < 0 ? el__error_errno(EL_ERROR, "removing %s", copy) : el__tree_remove(dir, slash + 1);
	if (dir >= 0)
		close(dir);
	free(parent);
	return ret;
}
