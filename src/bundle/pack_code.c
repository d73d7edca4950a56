/* SPDX-License-Identifier: Apache-2.0 */
/* A bundle's code/ (pack_code.h). */
#include "bundle/pack_code.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bundle/archive_lib.h"
#include "bundle/pack_tree.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"

/* The largest file taken from git: it is held in memory on its way into the bundle. */
#define CODE_FILE_MAX (1ULL << 30)

extern char **environ;

/* Copy the entries of git's tar (on fd) into code/. */
static int copy_git_tar(el__pack_writer *w, const struct el__archive_lib *lib, int fd)
{
	struct archive *a = lib->archive_read_new();
	struct archive_entry *e;
	char *content = NULL;
	int rc, ret = EL_OK;

	if (!a)
		return el__error_oom();
	lib->archive_read_support_format_tar(a);
	if (lib->archive_read_open_fd(a, fd, 64 * 1024) != ARCHIVE_OK) {
		ret = el__error(EL_ERROR, "git archive: %s", lib->archive_error_string(a));
		goto done;
	}
	ret = el__pack_add_dir(w, "code");
	while (ret == EL_OK && (rc = lib->archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = lib->archive_entry_pathname(e);
		unsigned type = lib->archive_entry_filetype(e);
		el__buf member;
		size_t len;

		el__buf_init(&member);
		el__buf_printf(&member, "code/%s", name);
		len = member.len;
		/* git names a directory with a trailing '/'. */
		while (len > 5 && member.data[len - 1] == '/')
			member.data[--len] = '\0';
		if (el__buf_failed(&member)) {
			ret = el__error_oom();
		} else if (type == AE_IFDIR) {
			ret = el__pack_add_dir(w, member.data);
		} else if (type == AE_IFLNK) {
			ret = el__pack_add_symlink(w, member.data, lib->archive_entry_symlink(e));
		} else if (type == AE_IFREG) {
			unsigned long long size = (unsigned long long)lib->archive_entry_size(e), got = 0;

			if (size > CODE_FILE_MAX) {
				ret = el__error(EL_EINVAL, "code %s: larger than %llu bytes", name, CODE_FILE_MAX);
			} else if (!(content = realloc(content, size + 1))) {
				ret = el__error_oom();
			} else {
				while (got < size) {
					la_ssize_t n = lib->archive_read_data(a, content + got, size - got);

					if (n <= 0)
						break;
					got += (unsigned long long)n;
				}
				ret = got == size ? el__pack_add_bytes(w, member.data, (lib->archive_entry_perm(e) & 0111) != 0,
									 content, size)
						  : el__error(EL_ERROR, "git archive: %s cut short", name);
			}
		}
		/* Anything else (a submodule is not in git archive's output) has no place in code/. */
		el__buf_free(&member);
	}
	if (ret == EL_OK && rc != ARCHIVE_EOF)
		ret = el__error(EL_ERROR, "git archive: %s", lib->archive_error_string(a));
done:
	free(content);
	lib->archive_read_free(a);
	return ret;
}

/* git's first line on standard error (in errfd), for the message. */
static void first_line(char *out, size_t size, int errfd)
{
	ssize_t n = pread(errfd, out, size - 1, 0);
	char *nl;

	out[n > 0 ? n : 0] = '\0';
	if ((nl = strchr(out, '\n')))
		*nl = '\0';
}

/*
 * git archive of the commit, hardened as the capture runs git: no pager,
 * no fsmonitor, no fetch, the C locale, the effective user's own home. git
 * itself refuses a repository it does not trust (safe.directory).
 */
static int pack_git(el__pack_writer *w, const el_record *r)
{
	const struct el__archive_lib *lib = el__archive_lib();
	struct passwd *pw = getpwuid(geteuid());
	char home[PATH_MAX + 8], path_var[] = "PATH=/usr/local/bin:/usr/bin:/bin", locale[] = "LC_ALL=C",
	     no_fetch[] = "GIT_NO_LAZY_FETCH=1", no_system[] = "GIT_CONFIG_NOSYSTEM=1", why[512];
	char *envp[] = { path_var, locale, no_fetch, no_system, home, NULL };
	char a0[] = "git", a1[] = "--no-pager", a2[] = "-c", a3[] = "core.fsmonitor=false", a4[] = "-c",
	     a5[] = "protocol.allow=never", a6[] = "-C", a8[] = "archive", a9[] = "--format=tar", a11[] = "--";
	char *argv[] = { a0, a1, a2, a3, a4, a5, a6, r->workdir, a8, a9, r->git_commit, a11, NULL };
	posix_spawn_file_actions_t fa;
	int pipefd[2] = { -1, -1 }, errfd = -1, status = 0, ret, spawned;
	pid_t pid = -1;

	if (!lib)
		return EL_ERROR;
	snprintf(home, sizeof(home), "HOME=%s", pw && pw->pw_dir ? pw->pw_dir : "/");
	errfd = memfd_create("envlock-git-stderr", MFD_CLOEXEC);
	if (errfd < 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
		ret = el__error_errno(EL_ERROR, "git archive");
		goto done;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	spawned = posix_spawnp(&pid, "git", &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	pipefd[1] = -1;
	if (spawned != 0) {
		errno = spawned;
		ret = el__error_errno(EL_ERROR, "the run's code is in git, and git cannot be started");
		goto done;
	}
	ret = copy_git_tar(w, lib, pipefd[0]);
	close(pipefd[0]);
	pipefd[0] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		first_line(why, sizeof(why), errfd);
		ret = el__error(EL_EINVAL, "git archive %.12s in %s failed: %s", r->git_commit, r->workdir,
				why[0] ? why : "no message");
	}
done:
	for (int i = 0; i < 2; i++)
		if (pipefd[i] >= 0)
			close(pipefd[i]);
	if (errfd >= 0)
		close(errfd);
	return ret;
}

/* Whether the working directory's file rel ("/out.txt") is one of the run's outputs: made by it, not its code. */
static bool an_output(const el_record *r, const char *rel)
{
	for (size_t i = 0; i < r->output_count; i++) {
		const char *out = r->outputs[i].path;
		size_t n = strlen(out);

		while (n && out[n - 1] == '/')
			n--;
		if (strncmp(rel + 1, out, n) == 0 && (rel[1 + n] == '\0' || rel[1 + n] == '/'))
			return true;
	}
	return false;
}

/* No git: what the trace saw of the working directory, relative to it, the run's outputs left out. */
static int pack_traced(el__pack_writer *w, const el_record *r)
{
	const size_t top = strlen(r->workdir);
	el__pack_tree tree = { 0 };
	int ret = EL_OK;

	for (size_t i = 0; i < r->observed_count && ret == EL_OK; i++) {
		const char *path = r->observed[i].name;

		if (strncmp(path, r->workdir, top) == 0 && path[top] == '/' && !an_output(r, path + top))
			ret = el__pack_tree_add(&tree, path + top, EL__PACK_FILE, NULL, r->observed[i].value + 7, false);
	}
	for (size_t i = 0; i < r->link_count && ret == EL_OK; i++) {
		const char *path = r->links[i].name;

		if (strncmp(path, r->workdir, top) == 0 && path[top] == '/')
			ret = el__pack_tree_add(&tree, path + top, EL__PACK_LINK, r->links[i].value, NULL, false);
	}
	if (ret == EL_OK)
		ret = el__pack_tree_finish(&tree);
	if (ret == EL_OK)
		ret = el__pack_add_dir(w, "code");
	for (size_t i = 0; i < tree.count && ret == EL_OK; i++) {
		const el__pack_node *n = &tree.nodes[i];
		el__buf member, host;
		char hex[EL_SHA256_HEX];
		struct stat st;
		int fd;

		el__buf_init(&member);
		el__buf_init(&host);
		el__buf_printf(&member, "code%s", n->path);
		el__buf_printf(&host, "%s%s", r->workdir, n->path);
		if (el__buf_failed(&member) || el__buf_failed(&host))
			ret = el__error_oom();
		else if (n->kind == EL__PACK_DIR)
			ret = el__pack_add_dir(w, member.data);
		else if (n->kind == EL__PACK_LINK)
			ret = el__pack_add_symlink(w, member.data, n->target);
		else if ((fd = open(host.data, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
			ret = el__error_errno(EL_EINVAL, "%s", host.data);
			if (fd >= 0)
				close(fd);
		} else if (el__sha256_fd(hex, fd, host.data) != EL_OK || strcmp(hex, n->sha256) != 0) {
			ret = el__error(EL_EINVAL, "%s: changed since the run; run again with --trace to pack what runs now",
					host.data);
			close(fd);
		} else {
			ret = el__pack_add_file(w, member.data, (st.st_mode & 0111) != 0, fd, (unsigned long long)st.st_size);
			close(fd);
		}
		el__buf_free(&member);
		el__buf_free(&host);
	}
	el__pack_tree_free(&tree);
	return ret;
}

int el__pack_code(el__pack_writer *w, const el_record *r)
{
	return r->git_commit ? pack_git(w, r) : pack_traced(w, r);
}
