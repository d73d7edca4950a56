/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a run left in the sandbox's scratch mounts (see sandbox.h), listed
 * or copied out once the sandbox ended. The mounts are those PID 1 sent
 * envlock before the command started: an open descriptor keeps a tmpfs
 * alive after its namespace is gone, so they are walked here, on the host,
 * with envlock's credentials and nothing of the sandbox's running, and
 * every name is opened relative to its directory without following links
 * (util/tree.h): a job may have planted anything there.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "envlock/sandbox.h"
#include "sandbox/sandbox_internal.h"
#include "util/error.h"
#include "util/tree.h"

typedef struct walk_ctx {
	const el_sandbox_plan *plan;
	size_t step;              /* the scratch mount being walked */
	el_sandbox_files *files;
	size_t max_paths;
} walk_ctx;

static bool within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/*
 * envlock's own (its run directory), and the mount points the set-up made
 * in the mount for later steps: not the command's.
 */
static bool skip(void *arg, const char *path)
{
	const walk_ctx *c = arg;

	if (within(path, EL__RUN_DIR))
		return true;
	for (size_t i = c->step + 1; i < c->plan->mount_count; i++)
		if (strcmp(c->plan->mounts[i].dest, path) == 0)
			return true;
	return false;
}

/* Keep the max_paths smallest, in order: an insertion into a short sorted list. */
static int found(void *arg, const char *path)
{
	walk_ctx *c = arg;
	el_sandbox_files *f = c->files;
	size_t at = f->path_count;
	char *copy;

	while (at > 0 && strcmp(path, f->paths[at - 1]) < 0)
		at--;
	if (at >= c->max_paths)
		return EL_OK;
	if (!(copy = strdup(path)))
		return el__error_oom();
	if (f->path_count == c->max_paths)
		free(f->paths[--f->path_count]);
	memmove(f->paths + at + 1, f->paths + at, (f->path_count - at) * sizeof(*f->paths));
	f->paths[at] = copy;
	f->path_count++;
	return EL_OK;
}

void el_sandbox_files_free(el_sandbox_files *files)
{
	if (!files)
		return;
	for (size_t i = 0; i < files->path_count; i++)
		free(files->paths[i]);
	free(files->paths);
	free(files->too_deep);
	free(files);
}

/* Copy the walk's counts into the result. */
static void walk_done(el_sandbox_files *f, el__tree_walk *w)
{
	f->count = w->files;
	f->kept = w->kept;
	f->skipped = w->skipped;
	f->too_many = w->too_many;
	f->too_deep = w->too_deep;
	w->too_deep = NULL;
}

/* Every scratch mount, in plan order, into dirfd (-1: only counted). One walk: the bounds are over all. */
static int walk_scratch(el_sandbox_files *f, const el_sandbox *sb, int dirfd, size_t max_paths)
{
	const el_sandbox_plan *plan = el__sandbox_plan(sb);
	walk_ctx c = { .plan = plan, .files = f, .max_paths = max_paths };
	el__tree_walk w = { .max_entries = EL_SANDBOX_FILES_MAX_ENTRIES, .max_depth = EL_SANDBOX_FILES_MAX_DEPTH,
			    .skip = skip, .found = max_paths ? found : NULL, .ctx = &c };
	int ret = EL_OK;

	if (!el__sandbox_ended(sb))
		return el__error(EL_ERROR, "the sandbox's files: it has not ended");
	if (max_paths && !(f->paths = calloc(max_paths, sizeof(*f->paths))))
		return el__error_oom();
	for (size_t i = 0; i < plan->mount_count && ret == EL_OK && !w.too_many; i++) {
		const struct el__mount_step *m = &plan->mounts[i];
		int fd = el__sandbox_fd(sb, i);

		if (!m->scratch || within(m->dest, EL__RUN_DIR))
			continue;
		if (fd < 0)
			return el__error(EL_ERROR, "%s: the sandbox did not hand it over", m->dest);
		c.step = i;
		ret = el__tree_walk_dir(&w, fd, dirfd, m->dest + 1, m->dest);
	}
	walk_done(f, &w);
	return ret;
}

int el_sandbox_scratch_list(el_sandbox_files **out, const el_sandbox *sb, size_t max_paths)
{
	el_sandbox_files *f = calloc(1, sizeof(*f));
	int ret;

	*out = NULL;
	if (!f)
		return el__error_oom();
	ret = walk_scratch(f, sb, -1, max_paths);
	if (ret != EL_OK) {
		el_sandbox_files_free(f);
		return ret;
	}
	*out = f;
	return EL_OK;
}

int el_sandbox_scratch_keep(el_sandbox_files **out, const el_sandbox *sb, int dirfd)
{
	el_sandbox_files *f = calloc(1, sizeof(*f));

	*out = f;
	if (!f)
		return el__error_oom();
	return walk_scratch(f, sb, dirfd, 0);
}
