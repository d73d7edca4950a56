/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe/git/gitindex.h"
#include "probe/probe.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/run.h"
#include "util/text.h"

#define SMALL_FILE_MAX (1 << 20)
#define PACKED_REFS_MAX (256u << 20)
#define GIT_TIMEOUT_MS 30000

/*
 * The "code" section: the commit checked out in the working directory and
 * whether tracked files differ from it (untracked files do not count, as
 * with `git describe --dirty`). HEAD and refs are plain files; the dirty
 * check reads the index (see git_dirty) and asks git only whether the index
 * differs from HEAD, an answer kept in the stat cache: a clean, unchanged
 * checkout costs no process.
 */
struct repo {
	uid_t owner;      /* of the .git entry */
	el__buf worktree; /* the directory holding .git */
	el__buf gitdir;   /* HEAD, index: per worktree */
	el__buf common;   /* refs, packed-refs, config: shared by worktrees */
	size_t hash_size;
};

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Resolve "gitdir: X" (worktrees, submodules) relative to base. */
static void relative_to(el__buf *out, const char *base, const char *path)
{
	el__buf_reset(out);
	if (path[0] != '/')
		el__buf_printf(out, "%s/", base);
	el__buf_puts(out, path);
}

static int read_small(el__buf *out, const char *dir, const char *name)
{
	el__buf path;
	int rc;

	el__buf_init(&path);
	el__buf_printf(&path, "%s/%s", dir, name);
	rc = el__read_file(out, path.data, SMALL_FILE_MAX, false);
	el__buf_free(&path);
	return rc;
}

/*
 * Walk up from workdir to the first directory with a .git, as git does:
 * never above top (the probed tree's root) and never into another file
 * system (git's GIT_DISCOVERY_ACROSS_FILESYSTEM default).
 */
static bool find_repo(struct repo *r, const char *workdir, const char *top)
{
	el__buf dotgit, text;
	struct stat start, st;
	bool found = false;

	el__buf_init(&dotgit);
	el__buf_init(&text);
	el__buf_puts(&r->worktree, workdir);
	if (stat(workdir, &start) != 0)
		goto done;
	for (;;) {
		el__buf_reset(&dotgit);
		el__buf_printf(&dotgit, "%s/.git", strcmp(r->worktree.data, "/") ? r->worktree.data : "");
		if (lstat(dotgit.data, &st) == 0) {
			r->owner = st.st_uid;
			if (S_ISDIR(st.st_mode)) {
				el__buf_puts(&r->gitdir, dotgit.data);
				found = true;
			} else if (S_ISREG(st.st_mode) &&
				   el__read_file(&text, dotgit.data, SMALL_FILE_MAX, true) == EL_OK &&
				   el__startswith(text.data, "gitdir:")) {
				relative_to(&r->gitdir, r->worktree.data, el__strtrim(text.data + 7));
				found = is_dir(r->gitdir.data);
			}
			break;
		}
		if (strcmp(r->worktree.data, top) == 0 || strcmp(r->worktree.data, "/") == 0)
			break;
		el__path_parent(&r->worktree);
		if (stat(r->worktree.data, &st) != 0 || st.st_dev != start.st_dev)
			break;
	}
	if (found) {
		if (read_small(&text, r->gitdir.data, "commondir") == EL_OK)
			relative_to(&r->common, r->gitdir.data, el__strtrim(text.data));
		else
			el__buf_puts(&r->common, r->gitdir.data);
		r->hash_size = 20;
		/* extensions.objectFormat = sha256 switches every object id to 32 bytes. */
		if (read_small(&text, r->common.data, "config") == EL_OK) {
			for (char *c = text.data; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			if (strstr(text.data, "objectformat") && strstr(text.data, "sha256"))
				r->hash_size = 32;
		}
	}
done:
	el__buf_free(&dotgit);
	el__buf_free(&text);
	return found;
}

/*
 * git's rule for trusting a repository (safe.directory): the effective user
 * owns it, or, for root, the user sudo ran envlock for. A .git planted in a
 * shared directory above the working directory must not speak for it.
 */
static bool owned_by_caller(const el__probe_ctx *ctx, uid_t owner)
{
	const char *sudo_uid = el__probe_getenv(ctx, "SUDO_UID");
	uid_t me = geteuid();
	char *end;
	unsigned long uid;

	if (owner == me)
		return true;
	if (me != 0 || !sudo_uid || !*sudo_uid)
		return false;
	errno = 0;
	uid = strtoul(sudo_uid, &end, 10);
	return !errno && !*end && (uid_t)uid == owner;
}

static bool is_object_id(const char *s, size_t hash_size)
{
	size_t n = hash_size * 2;

	return el__lower_hex(s, n) && (s[n] == '\0' || s[n] == '\n' || s[n] == ' ');
}

/* A ref's object id from packed-refs ("<oid> <refname>" lines). */
static bool packed_ref(const struct repo *r, const char *ref, char *oid)
{
	el__buf path, text;
	size_t hexlen = r->hash_size * 2, reflen = strlen(ref);
	bool found = false;

	el__buf_init(&path);
	el__buf_init(&text);
	el__buf_printf(&path, "%s/packed-refs", r->common.data);
	if (el__read_file(&text, path.data, PACKED_REFS_MAX, false) == EL_OK) {
		for (char *line = text.data; line && *line && !found; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
			if (is_object_id(line, r->hash_size) && line[hexlen] == ' ' &&
			    strncmp(line + hexlen + 1, ref, reflen) == 0 &&
			    (line[hexlen + 1 + reflen] == '\n' || line[hexlen + 1 + reflen] == '\0')) {
				memcpy(oid, line, hexlen);
				oid[hexlen] = '\0';
				found = true;
			}
		}
	}
	el__buf_free(&path);
	el__buf_free(&text);
	return found;
}

/* HEAD's commit as hex into oid (65 bytes); false on an unborn branch. */
static bool resolve_head(const struct repo *r, char *oid)
{
	el__buf text, ref;
	bool ok = false;

	el__buf_init(&text);
	el__buf_init(&ref);
	if (read_small(&text, r->gitdir.data, "HEAD") != EL_OK)
		goto done;
	for (int depth = 0; depth < 5; depth++) {
		char *s = el__strtrim(text.data);

		if (is_object_id(s, r->hash_size)) {
			memcpy(oid, s, r->hash_size * 2);
			oid[r->hash_size * 2] = '\0';
			ok = true;
			break;
		}
		if (!el__startswith(s, "ref:"))
			break;
		el__buf_reset(&ref);
		el__buf_puts(&ref, el__strtrim(s + 4));
		if (strstr(ref.data, "..") || ref.data[0] == '/')
			break;
		/* Per-worktree refs live in gitdir, shared ones in the common dir. */
		if (read_small(&text, r->gitdir.data, ref.data) != EL_OK &&
		    read_small(&text, r->common.data, ref.data) != EL_OK) {
			ok = packed_ref(r, ref.data, oid);
			break;
		}
	}
done:
	el__buf_free(&text);
	el__buf_free(&ref);
	return ok;
}

/*
 * Does the index differ from HEAD (staged changes)? Asked of git as
 * `git diff --cached --quiet HEAD`, which compares two sets of stored
 * objects and never reads the worktree: no clean filter, no fsmonitor, no
 * textconv or external diff program runs, whatever the repository's
 * configuration says (a job may have written that configuration: a .git it
 * created in its working directory). -1 when git cannot tell.
 */
static int run_git_diff_cached(el__probe_ctx *ctx, const struct repo *r)
{
	el__buf git, out, home;
	struct passwd *pw;
	int status, staged = -1;

	el__buf_init(&git);
	el__buf_init(&out);
	el__buf_init(&home);
	if (!ctx->may_run)
		goto done; /* the capture said so once */
	if (el__probe_which(ctx, "git", &git) != EL_OK) {
		el__warn(ctx, "code", "git_dirty left out: git is not on PATH to compare the index with HEAD");
		goto done;
	}
	/*
	 * The effective user's own home, never an inherited $HOME: under
	 * `sudo -E` that would be another user's ~/.gitconfig.
	 */
	pw = getpwuid(geteuid());
	el__buf_printf(&home, "HOME=%s", pw && pw->pw_dir ? pw->pw_dir : "/");
	{
		/* No optional index write (as root it would hand the index to root), no fetch of missing objects. */
		char a0[] = "--no-optional-locks", a1[] = "--no-pager", a2[] = "-c", a3[] = "core.fsmonitor=false",
		     a4[] = "-c", a5[] = "protocol.allow=never", a6[] = "-C", a8[] = "diff", a9[] = "--cached",
		     a10[] = "--no-ext-diff", a11[] = "--no-textconv", a12[] = "--quiet", a13[] = "HEAD", a14[] = "--";
		char *argv[] = { git.data, a0, a1, a2, a3, a4, a5, a6, r->worktree.data, a8, a9, a10, a11, a12, a13, a14, NULL };
		char locale[] = "LC_ALL=C", no_fetch[] = "GIT_NO_LAZY_FETCH=1", path[4096];
		char *envp[] = { locale, no_fetch, path, home.data, NULL };

		snprintf(path, sizeof(path), "PATH=%s",
			 el__probe_getenv(ctx, "PATH") ? el__probe_getenv(ctx, "PATH") : "/usr/bin:/bin");
		if (el__run_capture(&out, &status, argv, envp, GIT_TIMEOUT_MS) != EL_OK)
			el__warn(ctx, "code", "git_dirty left out: %s", el_error_last());
		else if (WIFEXITED(status) && WEXITSTATUS(status) <= 1)
			staged = WEXITSTATUS(status);
		else
			el__warn(ctx, "code", "git_dirty left out: 'git diff --cached --quiet HEAD' failed in %s (exit %d)",
				 r->worktree.data, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
done:
	el__buf_free(&git);
	el__buf_free(&out);
	el__buf_free(&home);
	return staged;
}

/* Staged changes, from the stat cache while the index file and HEAD are the same. */
static int index_differs_from_head(el__probe_ctx *ctx, const struct repo *r, const char *index, const char *commit)
{
	struct stat st;
	json_t *cached;
	bool cacheable = stat(index, &st) == 0;
	int staged;

	if (cacheable) {
		cached = el__cache_get(ctx->cache, "git-staged", r->gitdir.data, &st);
		if (json_is_boolean(json_object_get(cached, "staged")) &&
		    json_is_string(json_object_get(cached, "for")) &&
		    strcmp(json_string_value(json_object_get(cached, "for")), commit) == 0)
			return json_is_true(json_object_get(cached, "staged"));
	}
	staged = run_git_diff_cached(ctx, r);
	if (staged >= 0 && cacheable)
		el__cache_put(ctx->cache, "git-staged", r->gitdir.data, &st,
			      json_pack("{s:s,s:b}", "for", commit, "staged", staged));
	return staged;
}

/*
 * Does a suspect's content still equal its indexed blob? The file's blob
 * id is kept in the stat cache under the file's identity, so a touched or
 * edited file is hashed once, not at every capture.
 */
static int suspect_matches(el__probe_ctx *ctx, const struct repo *r, const el__git_suspect *s, bool *match)
{
	char want[2 * EL_GIT_OID_MAX + 1], have[2 * EL_GIT_OID_MAX + 1];
	unsigned char oid[EL_GIT_OID_MAX];
	el__buf key;
	json_t *cached;
	bool found;
	int ret = EL_OK;

	el__hex(want, s->oid, r->hash_size);
	el__buf_init(&key);
	el__buf_printf(&key, "%s/%s", r->worktree.data, s->path);
	if (el__buf_failed(&key))
		return el__error_oom();
	cached = el__cache_get(ctx->cache, "git-blob", key.data, &s->st);
	if (json_is_string(cached)) {
		*match = strcmp(json_string_value(cached), want) == 0;
		goto done;
	}
	ret = el__git_blob_id(r->worktree.data, s, r->hash_size, oid, &found);
	*match = false;
	if (ret == EL_OK && found) {
		el__hex(have, oid, r->hash_size);
		*match = strcmp(have, want) == 0;
		el__cache_put(ctx->cache, "git-blob", key.data, &s->st, json_string(have));
	}
done:
	el__buf_free(&key);
	return ret;
}

/*
 * git_dirty: tracked files differ from HEAD, as `git diff --quiet HEAD`
 * says, in two halves. Worktree against index is decided here, from the
 * index's stat data and, for files whose stat data moved, their content
 * hashed as blobs: git is never run on worktree files, since a clean
 * filter named by the repository would run with envlock's rights. Index
 * against HEAD is asked of git with --cached (see run_git_diff_cached).
 * -1 when it cannot be told.
 */
static int git_dirty(el__probe_ctx *ctx, const struct repo *r, const char *commit)
{
	el__git_index_result check = { .state = EL_GIT_STAT_UNKNOWN };
	el__buf index;
	int dirty = 0;

	el__buf_init(&index);
	el__buf_printf(&index, "%s/index", r->gitdir.data);
	if (el__buf_failed(&index))
		return -1;
	if (el__git_index_check(&check, index.data, r->worktree.data, r->hash_size) != EL_OK) {
		el__warn(ctx, "code", "git_dirty left out: %s", el_error_last());
		dirty = -1;
		goto done;
	}
	switch (check.state) {
	case EL_GIT_STAT_CHANGED:
		dirty = 1;
		goto done;
	case EL_GIT_STAT_UNKNOWN:
		el__warn(ctx, "code", "git_dirty left out: %s is a split index or of a version envlock does not read",
			 index.data);
		dirty = -1;
		goto done;
	case EL_GIT_STAT_SUSPECT:
		for (size_t i = 0; i < check.nsuspects && dirty == 0; i++) {
			bool match = false;

			if (suspect_matches(ctx, r, &check.suspects[i], &match) != EL_OK) {
				el__warn(ctx, "code", "git_dirty left out: %s", el_error_last());
				dirty = -1;
				goto done;
			}
			dirty = !match;
		}
		break;
	}
	if (dirty == 0)
		dirty = index_differs_from_head(ctx, r, index.data, commit);
done:
	el__git_index_result_free(&check);
	el__buf_free(&index);
	return dirty;
}

int el__probe_code(el__probe_ctx *ctx, json_t **section)
{
	struct repo r = { 0 };
	el__buf workdir, top;
	char commit[65];
	json_t *code = NULL;
	int ret = EL__PROBE_ABSENT, dirty;

	el__buf_init(&workdir);
	el__buf_init(&top);
	el__buf_init(&r.worktree);
	el__buf_init(&r.gitdir);
	el__buf_init(&r.common);
	if (!ctx->workdir || ctx->workdir[0] != '/')
		goto done;
	/* workdir names a directory of the probed tree, like every other path. */
	el__root_path(&workdir, ctx->root, ctx->workdir);
	el__root_path(&top, ctx->root, "");
	if (!find_repo(&r, workdir.data, top.len ? top.data : "/"))
		goto done;
	if (!owned_by_caller(ctx, r.owner)) {
		el__warn(ctx, "code", "%s is owned by uid %u, not by this user: left out, as git itself "
			 "refuses such repositories", r.worktree.data, (unsigned)r.owner);
		goto done;
	}
	if (!resolve_head(&r, commit))
		goto done; /* an unborn branch has no commit to lock */
	code = json_pack("{s:s}", "git_commit", commit);
	if (!code) {
		ret = el__error_oom();
		goto done;
	}
	dirty = git_dirty(ctx, &r, commit);
	if (dirty >= 0)
		json_object_set_new(code, "git_dirty", json_boolean(dirty));
	*section = code;
	ret = EL_OK;
done:
	el__buf_free(&workdir);
	el__buf_free(&top);
	el__buf_free(&r.worktree);
	el__buf_free(&r.gitdir);
	el__buf_free(&r.common);
	return ret;
}
