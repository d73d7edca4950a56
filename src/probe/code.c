#include <ctype.h>
#include <pwd.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe/gitindex.h"
#include "probe/probe.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/run.h"

#define SMALL_FILE_MAX (1 << 20)
#define PACKED_REFS_MAX (256u << 20)
#define GIT_TIMEOUT_MS 30000

/*
 * The "code" section: the commit checked out in the working directory and
 * whether tracked files differ from it (untracked files do not count, as
 * with `git describe --dirty`). HEAD and refs are plain files; the dirty
 * check compares the index's stat data first and runs git only when that
 * cannot settle it, so a clean, unchanged checkout costs no process.
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
static bool owned_by_caller(uid_t owner)
{
	const char *sudo_uid = getenv("SUDO_UID");
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
	size_t n = 0;

	while (isxdigit((unsigned char)s[n]) && !isupper((unsigned char)s[n]))
		n++;
	return n == hash_size * 2 && (s[n] == '\0' || s[n] == '\n' || s[n] == ' ');
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

/* Ask git itself; -1 when it cannot tell (not installed, refused the repo). */
static int run_git_diff(el__probe_ctx *ctx, const struct repo *r)
{
	el__buf git, out, home;
	struct passwd *pw;
	int status, dirty = -1;

	el__buf_init(&git);
	el__buf_init(&out);
	el__buf_init(&home);
	if (!ctx->may_run)
		goto done; /* the capture said so once */
	if (el__probe_which(ctx, "git", &git) != EL_OK) {
		el__warn(ctx, "code", "git_dirty left out: the index cannot settle it and git is not on PATH");
		goto done;
	}
	/*
	 * The effective user's own home, never an inherited $HOME: under
	 * `sudo -E` that would be another user's ~/.gitconfig, whose filter
	 * commands git diff would run as root.
	 */
	pw = getpwuid(geteuid());
	el__buf_printf(&home, "HOME=%s", pw && pw->pw_dir ? pw->pw_dir : "/");
	{
		/*
		 * Read-only and inert: no optional index write (which, as root, would
		 * hand the user's index to root), no fsmonitor hook, no external diff
		 * or textconv program from the repository's config.
		 */
		char a0[] = "--no-optional-locks", a1[] = "-c", a2[] = "core.fsmonitor=false",
		     a3[] = "-C", a5[] = "diff", a6[] = "--no-ext-diff", a7[] = "--no-textconv",
		     a8[] = "--quiet", a9[] = "HEAD", a10[] = "--";
		char *argv[] = { git.data, a0, a1, a2, a3, r->worktree.data, a5, a6, a7, a8, a9, a10, NULL };
		char locale[] = "LC_ALL=C", path[4096];
		char *envp[] = { locale, path, home.data, NULL };

		snprintf(path, sizeof(path), "PATH=%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
		if (el__run_capture(&out, &status, argv, envp, GIT_TIMEOUT_MS) != EL_OK)
			el__warn(ctx, "code", "git_dirty left out: %s", el_error_last());
		else if (WIFEXITED(status) && WEXITSTATUS(status) <= 1)
			dirty = WEXITSTATUS(status);
		else
			el__warn(ctx, "code", "git_dirty left out: 'git diff --quiet HEAD' failed in %s (exit %d)",
				 r->worktree.data, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	}
done:
	el__buf_free(&git);
	el__buf_free(&out);
	el__buf_free(&home);
	return dirty;
}

static int git_dirty(el__probe_ctx *ctx, const struct repo *r, const char *commit)
{
	el__git_index_result check = { .state = EL_GIT_STAT_UNKNOWN };
	el__buf index, key;
	struct stat st;
	bool cacheable;
	int dirty;
	json_t *cached;

	el__buf_init(&index);
	el__buf_init(&key);
	el__buf_printf(&index, "%s/index", r->gitdir.data);
	if (el__git_index_check(&check, index.data, r->worktree.data, r->hash_size) != EL_OK) {
		el__warn(ctx, "code", "%s", el_error_last());
		check.state = EL_GIT_STAT_UNKNOWN;
	}
	/*
	 * git's answer depends on HEAD, the index and the content of tracked
	 * files. Files whose stat data matches the index are unchanged; the
	 * others are named by changed_digest. So the answer can be cached with
	 * the commit and that digest, by the index file's identity. One entry
	 * per repository: a new answer replaces the old one.
	 */
	el__buf_printf(&key, "%s\t%s", commit,
		       check.state == EL_GIT_STAT_CHANGED ? check.changed_digest : "clean");
	cacheable = check.state != EL_GIT_STAT_UNKNOWN && !el__cache_too_recent(check.newest_change_ns) &&
		    stat(index.data, &st) == 0;
	if (cacheable) {
		cached = el__cache_get(ctx->cache, "git-dirty", r->gitdir.data, &st);
		if (json_is_boolean(json_object_get(cached, "dirty")) &&
		    json_is_string(json_object_get(cached, "for")) &&
		    strcmp(json_string_value(json_object_get(cached, "for")), key.data) == 0) {
			dirty = json_is_true(json_object_get(cached, "dirty"));
			goto done;
		}
	}
	dirty = run_git_diff(ctx, r);
	if (dirty >= 0 && cacheable)
		el__cache_put(ctx->cache, "git-dirty", r->gitdir.data, &st,
			      json_pack("{s:s,s:b}", "for", key.data, "dirty", dirty));
done:
	el__buf_free(&index);
	el__buf_free(&key);
	return dirty;
}

int el__probe_code(el__probe_ctx *ctx, json_t **section)
{
	struct repo r = { 0 };
	el__buf workdir, top;
	char commit[65];
	json_t *code = NULL;
	int ret = EL_PROBE_ABSENT, dirty;

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
	if (!owned_by_caller(r.owner)) {
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
