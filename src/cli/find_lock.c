/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Finding the lock as git finds .git: from the current directory upward,
 * stopping at the repository root (a directory holding .git) or at "/".
 * The lock is committed at the top of a training repository, and a run
 * starts from wherever the user stands in it (src/, scripts/). Also the
 * small file-system helpers of the commands (the lock's directory, the
 * directories --record and --keep-scratch make).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#define LOCK_NAME "env.lock"

/* "env.lock", "../env.lock", "../../env.lock": how the user would name it from here. */
static char *relative_name(unsigned up)
{
	size_t len = 3 * (size_t)up + sizeof(LOCK_NAME);
	char *name = malloc(len);

	if (!name)
		return NULL;
	name[0] = '\0';
	for (unsigned i = 0; i < up; i++)
		strcat(name, "../");
	strcat(name, LOCK_NAME);
	return name;
}

char *cli_absolute_path(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	return asprintf(&out, "%s/%s", cwd, path) < 0 ? NULL : out;
}

bool cli_repository_root(const char *dir)
{
	char *git;
	struct stat st;
	bool root;

	if (asprintf(&git, "%s/.git", strcmp(dir, "/") ? dir : "") < 0)
		return false;
	root = lstat(git, &st) == 0;
	free(git);
	return root;
}

bool cli_find_lock(char **out, const char *command, const char *otherwise)
{
	char dir[PATH_MAX], top[PATH_MAX] = "/";
	unsigned up = 0;

	*out = NULL;
	if (!getcwd(dir, sizeof(dir))) {
		cli_error("%s: the current directory: %s", command, strerror(errno));
		return false;
	}
	for (;;) {
		char path[PATH_MAX + sizeof("/" LOCK_NAME)];
		struct stat st;
		char *slash;

		snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") ? dir : "", LOCK_NAME);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			/*
			 * As git does with a repository: a lock that another user
			 * owns (planted in /tmp) decides nothing here unless named.
			 */
			if (st.st_uid != geteuid() && st.st_uid != 0) {
				cli_error("%s: %s belongs to uid %u, not to you: not used; name it with --lock if you "
					  "trust it", command, path, (unsigned)st.st_uid);
				return false;
			}
			if (!(*out = relative_name(up)))
				cli_error("out of memory");
			return *out != NULL;
		}
		if (cli_repository_root(dir)) {
			snprintf(top, sizeof(top), "%s", dir);
			break;
		}
		if (strcmp(dir, "/") == 0)
			break;
		slash = strrchr(dir, '/');
		slash[slash == dir ? 1 : 0] = '\0';
		up++;
	}
	cli_error("%s: no %s in this directory or above it (up to %s%s); capture one with "
		  "'envlock capture -o " LOCK_NAME "' where the code is, or name one with --lock%s",
		  command, LOCK_NAME, top, strcmp(top, "/") ? ", the repository's root" : "", otherwise);
	return false;
}

char *cli_lock_dir(const char *lock_path)
{
	char *real = realpath(lock_path, NULL), *slash;

	if (!real) {
		cli_error("%s: %s", lock_path, strerror(errno));
		return NULL;
	}
	slash = strrchr(real, '/');
	slash[slash == real ? 1 : 0] = '\0';
	return real;
}

bool cli_make_dirs(const char *path)
{
	char *copy = strdup(path), *p = copy;
	bool ok = copy != NULL;

	while (ok && *(p += strspn(p, "/"))) {
		char saved;

		p += strcspn(p, "/");
		saved = *p;
		*p = '\0';
		ok = mkdir(copy, 0755) == 0 || errno == EEXIST;
		*p = saved;
	}
	if (!copy)
		errno = ENOMEM;
	free(copy);
	return ok;
}
