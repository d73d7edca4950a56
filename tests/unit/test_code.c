/* SPDX-License-Identifier: Apache-2.0 */
/*
 * src/probe/git/code.c on real git repositories made in temp dirs, and the
 * index reader of src/probe/git/gitindex.c on real and hand-made index images.
 */
#include "helpers.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "envlock/error.h"
#include "probe/git/gitindex.h"
#include "util/fs.h"

static char *home; /* a private HOME: no user or global git config applies */

/* Run a shell command in dir (printf-style); its stdout, trimmed of the final newline, in a static buffer. */
static const char *sh(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *sh(const char *dir, const char *fmt, ...)
{
	static char out[4096];
	char cmd[8192];
	size_t n;
	va_list ap;
	FILE *p;
	int len;

	len = snprintf(cmd, sizeof(cmd), "cd '%s' && { ", dir);
	va_start(ap, fmt);
	len += vsnprintf(cmd + len, sizeof(cmd) - (size_t)len, fmt, ap);
	va_end(ap);
	snprintf(cmd + len, sizeof(cmd) - (size_t)len, "; } 2>&1");
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	if (pclose(p) != 0)
		fail_msg("command failed: %s\n%s", cmd, out);
	if (n && out[n - 1] == '\n')
		out[n - 1] = '\0';
	return out;
}

#define GIT_COMMIT "git -c user.name=t -c user.email=t@t commit -q"

/* A repository in dir/rel with a.txt and sub/b.txt committed on main. */
static char *make_repo(const char *dir, const char *rel)
{
	char *repo = el_test_path(dir, rel);

	el_test_write(repo, "a.txt", "alpha\n");
	el_test_write(repo, "sub/b.txt", "beta\n");
	sh(repo, "git init -q -b main && git add a.txt sub/b.txt && " GIT_COMMIT " -m one");
	return repo;
}

/* The code probe with workdir; returns its JSON, "ABSENT", and the warnings. */
/* The environment a capture gets, when a test makes one up; NULL: the test process's. */
static const char *const *probe_env;

static const char *probe(const char *workdir, char *warnings, size_t size)
{
	static char json[4096];
	el__probe_ctx ctx;
	json_t *section = NULL;
	int rc;

	/* Root "": git is looked up on this machine's PATH. */
	el_test_ctx_init(&ctx, "");
	ctx.workdir = workdir;
	if (probe_env)
		ctx.env = probe_env;
	rc = el__probe_code(&ctx, &section);
	if (rc == EL__PROBE_ABSENT) {
		assert_null(section);
		snprintf(json, sizeof(json), "ABSENT");
	} else {
		assert_int_equal(rc, EL_OK);
		snprintf(json, sizeof(json), "%s", el_test_json(section));
		json_decref(section);
	}
	snprintf(warnings, size, "%s", el_test_warnings(&ctx));
	el_test_ctx_release(&ctx);
	return json;
}

/* The section the probe should give for repo at HEAD. */
static const char *expect(const char *repo, bool dirty)
{
	static char text[512];

	snprintf(text, sizeof(text), "{\"git_commit\":\"%s\",\"git_dirty\":%s}",
		 sh(repo, "git rev-parse HEAD"), dirty ? "true" : "false");
	return text;
}

static void assert_probe(const char *workdir, const char *repo, bool dirty)
{
	char warnings[4096], want[512];

	snprintf(want, sizeof(want), "%s", expect(repo, dirty));
	assert_string_equal(probe(workdir, warnings, sizeof(warnings)), want);
	assert_string_equal(warnings, "");
}

/* ---- the code probe ---- */

static void test_clean_and_dirty_states(void **state)
{
	char *repo = make_repo(*state, "r");

	assert_probe(repo, repo, false);
	/* Untracked files do not count. */
	el_test_write(repo, "untracked.txt", "new\n");
	assert_probe(repo, repo, false);
	/* A tracked file touched but unchanged is clean. */
	sh(repo, "touch -d '2001-01-01' a.txt");
	assert_probe(repo, repo, false);
	/* A modified tracked file. */
	el_test_write(repo, "a.txt", "changed\n");
	assert_probe(repo, repo, true);
	sh(repo, "git checkout -q -- a.txt");
	assert_probe(repo, repo, false);
	/* A staged new file: the index differs from HEAD though the worktree matches the index. */
	sh(repo, "git add untracked.txt");
	assert_probe(repo, repo, true);
	sh(repo, "git rm -q --cached untracked.txt");
	assert_probe(repo, repo, false);
	/* A deleted tracked file. */
	sh(repo, "rm sub/b.txt");
	assert_probe(repo, repo, true);
	free(repo);
}

static void test_subdirectory_workdir(void **state)
{
	char *repo = make_repo(*state, "r");
	char *sub = el_test_path(repo, "sub");

	assert_probe(sub, repo, false);
	/* A change outside the subdirectory still makes the checkout dirty. */
	el_test_write(repo, "a.txt", "changed\n");
	assert_probe(sub, repo, true);
	free(sub);
	free(repo);
}

static void test_detached_head(void **state)
{
	char *repo = make_repo(*state, "r");
	char first[80], warnings[4096], want[512];

	snprintf(first, sizeof(first), "%s", sh(repo, "git rev-parse HEAD"));
	el_test_write(repo, "a.txt", "two\n");
	sh(repo, GIT_COMMIT " -a -m two && git checkout -q --detach HEAD~1");
	assert_string_equal(sh(repo, "cat .git/HEAD"), first);
	snprintf(want, sizeof(want), "{\"git_commit\":\"%s\",\"git_dirty\":false}", first);
	assert_string_equal(probe(repo, warnings, sizeof(warnings)), want);
	assert_string_equal(warnings, "");
	free(repo);
}

static void test_packed_refs(void **state)
{
	char *repo = make_repo(*state, "r");
	char packed[512], main_oid[80], line_oid[80];

	sh(repo, "git pack-refs --all && rm -f .git/refs/heads/main && test ! -e .git/refs/heads/main "
		 "&& grep -q ' refs/heads/main$' .git/packed-refs");
	assert_probe(repo, repo, false);
	/* A branch whose name is a prefix of another's is not confused with it. */
	el_test_write(repo, "a.txt", "two\n");
	sh(repo, "git checkout -q -b mainline && " GIT_COMMIT " -a -m two && git pack-refs --all "
		 "&& git checkout -q main && test ! -e .git/refs/heads/mainline");
	snprintf(main_oid, sizeof(main_oid), "%s", sh(repo, "git rev-parse main"));
	snprintf(line_oid, sizeof(line_oid), "%s", sh(repo, "git rev-parse mainline"));
	assert_string_not_equal(main_oid, line_oid);
	/* The longer name first, so that a prefix match would find the wrong one. */
	snprintf(packed, sizeof(packed), "# pack-refs with: peeled fully-peeled \n%s refs/heads/mainline\n"
		 "%s refs/heads/main\n", line_oid, main_oid);
	el_test_write(repo, ".git/packed-refs", packed);
	assert_probe(repo, repo, false);
	sh(repo, "git checkout -q mainline");
	assert_probe(repo, repo, false);
	free(repo);
}

static void test_linked_worktree(void **state)
{
	const char *dir = *state;
	char *repo = make_repo(dir, "r");
	char *wt = el_test_path(dir, "wt");
	char main_commit[80];

	snprintf(main_commit, sizeof(main_commit), "%s", sh(repo, "git rev-parse HEAD"));
	sh(repo, "git worktree add -q -b feature '%s' 2>/dev/null", wt);
	assert_string_equal(sh(wt, "head -c 7 .git"), "gitdir:");
	el_test_write(wt, "a.txt", "feature\n");
	sh(wt, GIT_COMMIT " -a -m feature");
	assert_string_not_equal(sh(wt, "git rev-parse HEAD"), main_commit);
	/* Each worktree has its own HEAD and index. */
	assert_probe(wt, wt, false);
	assert_probe(repo, repo, false);
	el_test_write(wt, "sub/b.txt", "changed\n");
	assert_probe(wt, wt, true);
	assert_probe(repo, repo, false);
	/* Its branch in the common dir's packed-refs. */
	sh(wt, "git checkout -q -- sub/b.txt && git pack-refs --all && rm -f '%s/.git/refs/heads/feature'", repo);
	assert_probe(wt, wt, false);
	free(wt);
	free(repo);
}

static void test_not_a_checkout(void **state)
{
	const char *dir = *state;
	char *unborn = el_test_path(dir, "unborn");
	char *plain = el_test_path(dir, "plain");
	char warnings[4096];

	/* No commit yet: nothing to lock, even with something staged. */
	el_test_write(unborn, "a.txt", "a\n");
	sh(unborn, "git init -q -b main");
	assert_string_equal(probe(unborn, warnings, sizeof(warnings)), "ABSENT");
	sh(unborn, "git add a.txt");
	assert_string_equal(probe(unborn, warnings, sizeof(warnings)), "ABSENT");
	assert_string_equal(warnings, "");
	el_test_write(plain, "x", "");
	assert_string_equal(probe(plain, warnings, sizeof(warnings)), "ABSENT");
	assert_string_equal(warnings, "");
	/* A relative workdir is never guessed at. */
	assert_string_equal(probe("relative/dir", warnings, sizeof(warnings)), "ABSENT");
	free(unborn);
	free(plain);
}

/* A .git that another user owns does not speak for the directory (git's safe.directory rule). */
static void test_foreign_repository(void **state)
{
	const char *dir = *state;
	static const char *const no_sudo[] = { "PATH=/usr/bin:/bin", NULL };
	static const char *const sudo_for_owner[] = { "PATH=/usr/bin:/bin", "SUDO_UID=65534", NULL };
	static const char *const sudo_for_another[] = { "PATH=/usr/bin:/bin", "SUDO_UID=65535", NULL };
	char *repo, *work, want[4096], warnings[4096];

	if (geteuid() != 0)
		el_test_skip_case("test_foreign_repository needs root to hand a repository to another user");
	/* A .git planted in a shared parent of the working directory. */
	repo = make_repo(dir, "shared");
	work = el_test_path(repo, "sub");
	sh(repo, "chown -R 65534:65534 .git");
	probe_env = no_sudo;
	assert_string_equal(probe(work, warnings, sizeof(warnings)), "ABSENT");
	snprintf(want, sizeof(want),
		 "code: %s is owned by uid 65534, not by this user: left out, as git itself "
		 "refuses such repositories\n", repo);
	assert_string_equal(warnings, want);
	/* Root running for that user through sudo trusts it, as git does: SUDO_UID comes from the capture's environment. */
	probe_env = sudo_for_owner;
	setenv("SUDO_UID", "65535", 1); /* the process's own is not read */
	assert_string_not_equal(probe(work, warnings, sizeof(warnings)), "ABSENT");
	unsetenv("SUDO_UID");
	probe_env = sudo_for_another;
	setenv("SUDO_UID", "65534", 1);
	assert_string_equal(probe(work, warnings, sizeof(warnings)), "ABSENT");
	unsetenv("SUDO_UID");
	probe_env = NULL;
	free(repo);
	free(work);
}

/* The search for .git stops at the probed tree's root. */
static void test_search_stops_at_root(void **state)
{
	const char *dir = *state;
	char *repo = make_repo(dir, "outer"), *root = el_test_path(repo, "fixture-root");
	el__probe_ctx ctx;
	json_t *section = NULL;

	el_test_write(root, "work/x", "");
	el_test_ctx_init(&ctx, root);
	ctx.workdir = "/work";
	assert_int_equal(el__probe_code(&ctx, &section), EL__PROBE_ABSENT);
	assert_null(section);
	el_test_ctx_release(&ctx);
	free(repo);
	free(root);
}

static void test_index_v4(void **state)
{
	char *repo = make_repo(*state, "r");

	sh(repo, "git update-index --index-version 4 && test \"$(od -An -tx1 -j4 -N4 .git/index | tr -d ' ')\" = 00000004");
	assert_probe(repo, repo, false);
	el_test_write(repo, "sub/b.txt", "changed\n");
	assert_probe(repo, repo, true);
	free(repo);
}

static void test_sha256_repository(void **state)
{
	char *repo = el_test_path(*state, "r");
	char warnings[4096];
	const char *json;

	el_test_write(repo, "a.txt", "alpha\n");
	sh(repo, "git init -q -b main --object-format=sha256 && git add a.txt && " GIT_COMMIT " -m one");
	assert_int_equal(strlen(sh(repo, "git rev-parse HEAD")), 64);
	assert_probe(repo, repo, false);
	/* Also through packed-refs, where the object id length matters. */
	sh(repo, "git pack-refs --all && rm -f .git/refs/heads/main");
	json = probe(repo, warnings, sizeof(warnings));
	assert_string_equal(json, expect(repo, false));
	free(repo);
}

static void settle(const char *repo);

static void test_degraded_answers_warn(void **state)
{
	/* A capture whose environment has no git on its PATH (the test process's own PATH is not read). */
	static const char *const no_git[] = { "PATH=/nonexistent", NULL };
	char *repo = make_repo(*state, "r");
	char warnings[4096], want[4096], commit[80];

	snprintf(commit, sizeof(commit), "%s", sh(repo, "git rev-parse HEAD"));
	/* The index alone cannot tell staged changes apart: without git, no git_dirty. */
	settle(repo);
	probe_env = no_git;
	snprintf(want, sizeof(want), "{\"git_commit\":\"%s\"}", commit);
	assert_string_equal(probe(repo, warnings, sizeof(warnings)), want);
	probe_env = NULL;
	assert_string_equal(warnings, "code: git_dirty left out: git is not on PATH to compare the index with HEAD\n");
	/* A tracked file that differs needs no git to say so. */
	el_test_write(repo, "a.txt", "alpha, changed\n");
	probe_env = no_git;
	snprintf(want, sizeof(want), "{\"git_commit\":\"%s\",\"git_dirty\":true}", commit);
	assert_string_equal(probe(repo, warnings, sizeof(warnings)), want);
	probe_env = NULL;
	assert_string_equal(warnings, "");

	/* A corrupt index: the reader says so, and git is not asked. */
	el_test_write(repo, ".git/index", "garbage that is long enough to have a checksum");
	snprintf(want, sizeof(want), "{\"git_commit\":\"%s\"}", commit);
	assert_string_equal(probe(repo, warnings, sizeof(warnings)), want);
	snprintf(want, sizeof(want), "code: git_dirty left out: %s/.git/index: not a git index\n", repo);
	assert_string_equal(warnings, want);
	free(repo);
}

/*
 * A job can write a .git into its working directory: a capture there must
 * not run what that repository's configuration names. Clean filters and
 * fsmonitor hooks are the commands `git diff HEAD` would run.
 */
static void test_repository_commands_never_run(void **state)
{
	const char *dir = *state;
	char *repo = make_repo(dir, "r");
	char *marker = el_test_path(dir, "ran");

	settle(repo);
	sh(repo, "printf '*.txt filter=evil\\n' > .git/info/attributes && "
		 "git config filter.evil.clean 'touch %s; cat' && git config filter.evil.process 'touch %s' && "
		 "git config core.fsmonitor 'touch %s; false'", marker, marker, marker);
	assert_probe(repo, repo, false);
	/* Touched: hashed here, as git would after the filter. */
	sh(repo, "touch a.txt");
	assert_probe(repo, repo, false);
	/* Changed, same size. */
	el_test_write(repo, "a.txt", "ALPHA\n");
	assert_probe(repo, repo, true);
	/* Staged: asked of git with --cached, which reads no worktree file. */
	sh(repo, "git -c filter.evil.clean=cat -c filter.evil.process= -c core.fsmonitor=false add a.txt");
	assert_probe(repo, repo, true);
	assert_int_equal(access(marker, F_OK), -1);
	/* The test would see it: git diff HEAD runs the filter here. */
	sh(repo, "git -c core.fsmonitor=false diff --quiet HEAD -- || true");
	assert_int_equal(access(marker, F_OK), 0);
	free(marker);
	free(repo);
}

/* ---- the index reader on real indexes ---- */

/*
 * Set every tracked file's mtime 100 s back, and let git record that in the
 * index. Each call picks another second: git (built without USE_NSEC)
 * compares whole seconds only, and would keep an entry's old nanoseconds
 * after a change within the same second.
 */
static void settle(const char *repo)
{
	static int calls;

	sh(repo, "touch -d '@%lld' a.txt sub/b.txt && git update-index -q --refresh",
	   (long long)time(NULL) - 100 - calls++);
}

static int index_state(const char *repo)
{
	char *index = el_test_path(repo, ".git/index");
	el__git_index_result result;
	int state;

	memset(&result, 0xff, sizeof(result));
	assert_int_equal(el__git_index_check(&result, index, repo, 20), EL_OK);
	free(index);
	state = result.state;
	el__git_index_result_free(&result);
	return state;
}

/* The only suspect's blob id, in hex, as envlock hashes the file now. */
static const char *suspect_blob(const char *repo, const char *want_path)
{
	static char hex[41];
	char *index = el_test_path(repo, ".git/index");
	el__git_index_result result;
	unsigned char oid[EL_GIT_OID_MAX];
	bool found;

	assert_int_equal(el__git_index_check(&result, index, repo, 20), EL_OK);
	assert_int_equal(result.state, EL_GIT_STAT_SUSPECT);
	assert_int_equal(result.nsuspects, 1);
	assert_string_equal(result.suspects[0].path, want_path);
	assert_int_equal(el__git_blob_id(repo, &result.suspects[0], 20, oid, &found), EL_OK);
	assert_true(found);
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", oid[i]);
	el__git_index_result_free(&result);
	free(index);
	return hex;
}

static void test_index_check_real(void **state)
{
	char *repo = make_repo(*state, "r");
	char *indexed;

	settle(repo);
	assert_int_equal(index_state(repo), EL_GIT_STAT_CLEAN);
	sh(repo, "git update-index --index-version 4");
	assert_int_equal(index_state(repo), EL_GIT_STAT_CLEAN);
	sh(repo, "git update-index --index-version 3");
	assert_int_equal(index_state(repo), EL_GIT_STAT_CLEAN);
	/* Touched only: a suspect whose content is still the indexed blob. */
	indexed = strdup(sh(repo, "git rev-parse :a.txt"));
	sh(repo, "touch a.txt");
	assert_string_equal(suspect_blob(repo, "a.txt"), indexed);
	/* Same size, new content: a suspect, and its blob is another one. */
	el_test_write(repo, "a.txt", "ALPHA\n");
	assert_string_equal(suspect_blob(repo, "a.txt"), "43581617a67b3cbef4bf71458d418efa59ac2de6");
	assert_string_equal(sh(repo, "git hash-object a.txt"), "43581617a67b3cbef4bf71458d418efa59ac2de6");
	free(indexed);
	/* Another size: changed, without reading it. */
	el_test_write(repo, "a.txt", "alpha and more\n");
	assert_int_equal(index_state(repo), EL_GIT_STAT_CHANGED);
	sh(repo, "git add a.txt");
	settle(repo);
	assert_int_equal(index_state(repo), EL_GIT_STAT_CLEAN);
	sh(repo, "chmod +x a.txt");
	assert_int_equal(index_state(repo), EL_GIT_STAT_CHANGED);
	sh(repo, "chmod -x a.txt");
	settle(repo);
	sh(repo, "rm sub/b.txt");
	assert_int_equal(index_state(repo), EL_GIT_STAT_CHANGED);
	free(repo);
}

static void test_index_check_file_errors(void **state)
{
	const char *dir = *state;
	char *index = el_test_path(dir, "index");
	char want[4096];
	el__git_index_result st;

	/* No index yet (nothing ever staged) is clean. */
	memset(&st, 0xff, sizeof(st));
	assert_int_equal(el__git_index_check(&st, index, dir, 20), EL_OK);
	assert_int_equal(st.state, EL_GIT_STAT_CLEAN);
	/* A corrupt one names the file. */
	el_test_write_bytes(dir, "index", "DIRC\0\0\0\2\0\0\0\1" "0123456789abcdefghij", 32);
	assert_int_equal(el__git_index_check(&st, index, dir, 20), EL_EINVAL);
	snprintf(want, sizeof(want), "%s: entry 0 is truncated", index);
	assert_string_equal(el_error_last(), want);
	free(index);
}

/* ---- the index reader on hand-made images ---- */

struct image {
	unsigned char d[4096];
	size_t n;
};

static void put(struct image *m, const void *p, size_t len)
{
	assert_true(m->n + len <= sizeof(m->d));
	memcpy(m->d + m->n, p, len);
	m->n += len;
}

static void put32(struct image *m, unsigned v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
			       (unsigned char)v };

	put(m, b, 4);
}

static void put16(struct image *m, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	put(m, b, 2);
}

static void header(struct image *m, const char *magic, unsigned version, unsigned count)
{
	m->n = 0;
	put(m, magic, 4);
	put32(m, version);
	put32(m, count);
}

/* The 62 fixed bytes of an entry (SHA-1) describing st, with flags. */
static void entry_fixed(struct image *m, const struct stat *st, unsigned mode, unsigned flags)
{
	static const unsigned char oid[20];

	put32(m, (unsigned)st->st_ctim.tv_sec);
	put32(m, (unsigned)st->st_ctim.tv_nsec);
	put32(m, (unsigned)st->st_mtim.tv_sec);
	put32(m, (unsigned)st->st_mtim.tv_nsec);
	put32(m, (unsigned)st->st_dev);
	put32(m, (unsigned)st->st_ino);
	put32(m, mode);
	put32(m, st->st_uid);
	put32(m, st->st_gid);
	put32(m, (unsigned)st->st_size);
	put(m, oid, sizeof(oid));
	put16(m, flags);
}

/* A complete v2/v3 entry for path (NUL-padded to eight bytes). */
static void entry(struct image *m, const struct stat *st, unsigned mode, unsigned flags, unsigned xflags,
		  const char *path)
{
	static const unsigned char zeros[8];
	size_t start = m->n, used;

	entry_fixed(m, st, mode, flags | (unsigned)strlen(path));
	if (flags & 0x4000)
		put16(m, xflags);
	put(m, path, strlen(path));
	used = m->n - start;
	put(m, zeros, 8 - used % 8);
}

static void trailer(struct image *m)
{
	static const unsigned char checksum[20];

	put(m, checksum, sizeof(checksum));
}

static el__git_index_result last_result;

/* Check the image; *state gets the verdict (the full result stays in last_result). */
static int check(struct image *m, const char *worktree, long long index_mtime_ns, int *state)
{
	int rc;

	memset(&last_result, 0xff, sizeof(last_result));
	rc = el__git_index_check_image(&last_result, m->d, m->n, index_mtime_ns, worktree, 20);
	*state = last_result.state;
	return rc;
}

static void assert_corrupt(struct image *m, const char *message)
{
	int state;

	el_error_clear();
	assert_int_equal(check(m, "/nonexistent", 0, &state), EL_EINVAL);
	assert_string_equal(el_error_last(), message);
}

static void test_image_corrupt(void **state)
{
	struct image m;
	struct stat st;
	int s;

	memset(&st, 0, sizeof(st));
	/* Shorter than a header and checksum. */
	header(&m, "DIRC", 2, 0);
	assert_corrupt(&m, "not a git index");
	trailer(&m);
	m.n--;
	assert_corrupt(&m, "not a git index");
	header(&m, "DIRX", 2, 0);
	trailer(&m);
	assert_corrupt(&m, "not a git index");

	/* An empty index is fine. */
	header(&m, "DIRC", 2, 0);
	trailer(&m);
	assert_int_equal(check(&m, "/nonexistent", 0, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_CLEAN);

	/* One entry announced, 20 bytes there. */
	header(&m, "DIRC", 2, 1);
	put(&m, "01234567890123456789", 20);
	trailer(&m);
	assert_corrupt(&m, "entry 0 is truncated");

	/* The path runs into the checksum (whose zero bytes do not terminate it). */
	header(&m, "DIRC", 2, 1);
	entry_fixed(&m, &st, 0100644, 5);
	put(&m, "abcde", 5);
	trailer(&m);
	assert_corrupt(&m, "entry 0 has an unterminated path");

	/* Terminated, but its padding is cut off. */
	header(&m, "DIRC", 2, 1);
	entry_fixed(&m, &st, 0100644, 2);
	put(&m, "ab", 3);
	trailer(&m);
	assert_corrupt(&m, "entry 0 is truncated");

	/* The second entry is the bad one (the first, a submodule, is not compared). */
	header(&m, "DIRC", 2, 2);
	entry(&m, &st, 0160000, 0, 0, "submodule");
	put(&m, "short", 5);
	trailer(&m);
	assert_corrupt(&m, "entry 1 is truncated");

	/* Extended flags exist from version 3 on. */
	header(&m, "DIRC", 2, 1);
	entry(&m, &st, 0100644, 0x4000, 0, "a");
	trailer(&m);
	assert_corrupt(&m, "entry 0 has extended flags it cannot have");

	/* v4: strip more of the previous path than there is. */
	header(&m, "DIRC", 4, 1);
	entry_fixed(&m, &st, 0100644, 1);
	put(&m, "\x05" "a", 3);
	trailer(&m);
	assert_corrupt(&m, "entry 0 has a bad path prefix");
	/* v4: a varint that never ends. */
	header(&m, "DIRC", 4, 1);
	entry_fixed(&m, &st, 0100644, 1);
	put(&m, "\x80\x80", 2);
	trailer(&m);
	assert_corrupt(&m, "entry 0 has a bad path prefix");
}

static void test_image_unsupported_version(void **state)
{
	struct image m;
	int s;

	header(&m, "DIRC", 5, 1);
	put(&m, "whatever follows is not read", 28);
	trailer(&m);
	assert_int_equal(check(&m, "/nonexistent", 0, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_UNKNOWN);
	header(&m, "DIRC", 1, 0);
	trailer(&m);
	assert_int_equal(check(&m, "/nonexistent", 0, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_UNKNOWN);
}

static void test_image_stat_comparison(void **state)
{
	const char *dir = *state;
	char *path = el_test_path(dir, "f.txt");
	struct image m;
	struct stat st, other;
	long long later, mtime_ns;
	int s;

	el_test_write(dir, "f.txt", "content\n");
	el_test_write(dir, "g.txt", "other\n");
	assert_int_equal(lstat(path, &st), 0);
	mtime_ns = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
	later = mtime_ns + 10000000000LL;

	/* v2, v3 and v4 entries matching the file. */
	header(&m, "DIRC", 2, 1);
	entry(&m, &st, 0100644, 0, 0, "f.txt");
	trailer(&m);
	assert_int_equal(check(&m, dir, later, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_CLEAN);
	header(&m, "DIRC", 3, 1);
	entry(&m, &st, 0100644, 0, 0, "f.txt");
	trailer(&m);
	assert_int_equal(check(&m, dir, later, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_CLEAN);
	/* v4 paths: each strips a suffix of the previous one, then adds its own. */
	free(path);
	path = el_test_path(dir, "g.txt");
	assert_int_equal(lstat(path, &other), 0);
	header(&m, "DIRC", 4, 2);
	entry_fixed(&m, &st, 0100644, 5);
	put(&m, "\x00" "f.txt", 7);
	entry_fixed(&m, &other, 0100644, 5);
	put(&m, "\x05" "g.txt", 7);
	trailer(&m);
	assert_int_equal(check(&m, dir, later, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_CLEAN);
	/* A prefix kept from the previous path: "f.txt" -> strip 3 ("txt"), add "md" = "f.md" (missing). */
	header(&m, "DIRC", 4, 2);
	entry_fixed(&m, &st, 0100644, 5);
	put(&m, "\x00" "f.txt", 7);
	entry_fixed(&m, &st, 0100644, 4);
	put(&m, "\x03" "md", 4);
	trailer(&m);
	assert_int_equal(check(&m, dir, later, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_CHANGED);

	/* Racily clean: the entry is as new as the index, so its content must decide. */
	header(&m, "DIRC", 2, 1);
	entry(&m, &st, 0100644, 0, 0, "f.txt");
	trailer(&m);
	assert_int_equal(check(&m, dir, mtime_ns, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_SUSPECT);
	assert_int_equal(last_result.nsuspects, 1);
	assert_string_equal(last_result.suspects[0].path, "f.txt");
	assert_int_equal(last_result.suspects[0].mode, 0100644);
	assert_int_equal(last_result.suspects[0].st.st_ino, st.st_ino);
	el__git_index_result_free(&last_result);

	/* Size, executable bit, type, missing file. */
	other = st;
	other.st_size++;
	header(&m, "DIRC", 2, 1);
	entry(&m, &other, 0100644, 0, 0, "f.txt");
	trailer(&m);
	assert_int_equal(check(&m, dir, later, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_CHANGED);
	header(&m, "DIRC", 2, 1);
	entry(&m, &st, 0100755, 0, 0, "f.txt");
	trailer(&m);
	assert_int_equal(check(&m, dir, later, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_CHANGED);
	header(&m, "DIRC", 2, 1);
	entry(&m, &st, 0120000, 0, 0, "f.txt");
	trailer(&m);
	assert_int_equal(check(&m, dir, later, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_CHANGED);
	header(&m, "DIRC", 2, 1);
	entry(&m, &st, 0100644, 0, 0, "missing.txt");
	trailer(&m);
	assert_int_equal(check(&m, dir, later, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_CHANGED);

	/* Skip-worktree entries and submodules are not compared; intent-to-add is a change. */
	header(&m, "DIRC", 3, 2);
	entry(&m, &st, 0100644, 0x4000, 0x4000, "missing.txt");
	entry(&m, &st, 0160000, 0, 0, "submodule");
	trailer(&m);
	assert_int_equal(check(&m, dir, later, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_CLEAN);
	header(&m, "DIRC", 3, 1);
	entry(&m, &st, 0100644, 0x4000, 0x2000, "f.txt");
	trailer(&m);
	assert_int_equal(check(&m, dir, later, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_CHANGED);

	/* Unmerged stages are a change; a split index's "link" extension cannot be read alone. */
	header(&m, "DIRC", 2, 1);
	entry(&m, &st, 0100644, 0x1000, 0, "f.txt");
	trailer(&m);
	assert_int_equal(check(&m, dir, later, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_CHANGED);
	header(&m, "DIRC", 2, 1);
	entry(&m, &st, 0100644, 0, 0, "f.txt");
	put(&m, "link", 4);
	put32(&m, 20);
	put(&m, "01234567890123456789", 20);
	trailer(&m);
	assert_int_equal(check(&m, dir, later, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_UNKNOWN);
	free(path);
}

/* A crafted index cannot point the reader outside the worktree or into .git. */
static void test_image_paths_outside(void **state)
{
	static const char *const bad[] = { "../f.txt", "a/../../f.txt", "/etc/passwd", ".git/config", "a/.GIT/x",
					   "a//b", "./f.txt", "a/.", "", NULL };
	const char *dir = *state;
	char *path = el_test_path(dir, "f.txt");
	struct image m;
	struct stat st;
	int s;

	el_test_write(dir, "f.txt", "content\n");
	assert_int_equal(lstat(path, &st), 0);
	for (size_t i = 0; bad[i]; i++) {
		header(&m, "DIRC", 2, 1);
		entry(&m, &st, 0100644, 0, 0, bad[i]);
		trailer(&m);
		el_error_clear();
		assert_int_equal(check(&m, dir, 0, &s), EL_EINVAL);
		assert_string_equal(el_error_last(), "entry 0 names a path outside the worktree");
	}
	/* Names that only look alike are fine. */
	header(&m, "DIRC", 2, 2);
	entry(&m, &st, 0100644, 0, 0, ".gitignore");
	entry(&m, &st, 0100644, 0, 0, "a/..b/.git2");
	trailer(&m);
	assert_int_equal(check(&m, dir, 0, &s), EL_OK);
	assert_int_equal(s, EL_GIT_STAT_CHANGED); /* both missing */
	free(path);
}

/* A suspect for path as it is now (its path borrowed from a static buffer). */
static el__git_suspect suspect(const char *path, unsigned mode, const char *worktree)
{
	static char copy[256];
	el__git_suspect sp = { .path = copy, .mode = mode };
	char *full = el_test_path(worktree, path);

	snprintf(copy, sizeof(copy), "%s", path);
	if (lstat(full, &sp.st) != 0)
		memset(&sp.st, 0, sizeof(sp.st));
	free(full);
	return sp;
}

static const char *hex(const unsigned char *oid, size_t n)
{
	static char out[65];

	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", oid[i]);
	return out;
}

/* Blob ids as `git hash-object` prints them (SHA-1, and SHA-256 repositories). */
static void test_blob_id(void **state)
{
	const char *dir = *state;
	unsigned char oid[EL_GIT_OID_MAX];
	el__git_suspect sp;
	bool found;

	el_test_write(dir, "f.txt", "content\n");
	el_test_write(dir, "real/g.txt", "content\n");
	el_test_symlink(dir, "link", "f.txt");
	el_test_symlink(dir, "via", "real");
	sp = suspect("f.txt", 0100644, dir);
	assert_int_equal(el__git_blob_id(dir, &sp, 20, oid, &found), EL_OK);
	assert_true(found);
	assert_string_equal(hex(oid, 20), "d95f3ad14dee633a758d2e331151e950dd13e4ed");
	assert_int_equal(el__git_blob_id(dir, &sp, 32, oid, &found), EL_OK);
	assert_true(found);
	assert_string_equal(hex(oid, 32), "7c490ebf9db90b84753749c721ef2bedfeb85c1da94160f2619df1249c64bdda");
	/* A symbolic link's blob is its target. */
	sp = suspect("link", 0120000, dir);
	assert_int_equal(el__git_blob_id(dir, &sp, 20, oid, &found), EL_OK);
	assert_true(found);
	assert_string_equal(hex(oid, 20), "7f66e4fb948e0071a63a15b9a2373e19aa4a40ea");
	/* Not through a link on the way, not a link where a file was, not a file that is gone or grew. */
	sp = suspect("via/g.txt", 0100644, dir);
	assert_int_equal(el__git_blob_id(dir, &sp, 20, oid, &found), EL_OK);
	assert_false(found);
	sp = suspect("link", 0100644, dir);
	assert_int_equal(el__git_blob_id(dir, &sp, 20, oid, &found), EL_OK);
	assert_false(found);
	sp = suspect("missing", 0100644, dir);
	assert_int_equal(el__git_blob_id(dir, &sp, 20, oid, &found), EL_OK);
	assert_false(found);
	sp = suspect("f.txt", 0100644, dir);
	el_test_write(dir, "f.txt", "content and more\n");
	assert_int_equal(el__git_blob_id(dir, &sp, 20, oid, &found), EL_OK);
	assert_false(found);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clean_and_dirty_states, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_image_paths_outside, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_blob_id, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_repository_commands_never_run, el_test_setup_tmpdir,
						el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_subdirectory_workdir, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_detached_head, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_packed_refs, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_linked_worktree, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_not_a_checkout, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_foreign_repository, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_search_stops_at_root, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_index_v4, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_sha256_repository, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_degraded_answers_warn, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_index_check_real, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_index_check_file_errors, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_image_corrupt, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_image_unsupported_version, el_test_setup_tmpdir, el_test_teardown_tmpdir),
		cmocka_unit_test_setup_teardown(test_image_stat_comparison, el_test_setup_tmpdir, el_test_teardown_tmpdir),
	};
	int rc;

	if (system("git --version >/dev/null 2>&1") != 0)
		el_test_skip("git is not installed");
	home = el_test_mkdtemp();
	setenv("HOME", home, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("GIT_DIR");
	unsetenv("GIT_WORK_TREE");
	unsetenv("GIT_INDEX_FILE");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	el_test_rmtree(home);
	free(home);
	return rc;
}
