/* SPDX-License-Identifier: Apache-2.0 */
#include "policy/lookup.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "envlock/error.h"
#include "envlock/profile.h"
#include "envlock/version.h"
#include "policy/builtin.h"
#include "util/error.h"
#include "util/fs.h"

/* A profile is a small text file; anything larger is not one. */
#define PROFILE_MAX (1 << 20)

void el__profile_source_free(el__profile_source *src)
{
	el__buf_free(&src->text);
	free(src->file);
	free(src->id);
	free(src->dir);
	memset(src, 0, sizeof(*src));
	el__buf_init(&src->text);
}

bool el_profile_name_valid(const char *name)
{
	if (!name[0])
		return false;
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
		      *c == '_' || *c == '-'))
			return false;
	return strlen(name) <= 64;
}

static int push_dir(char ***dirs, size_t *n, const char *a, const char *b)
{
	char **grown = realloc(*dirs, (*n + 2) * sizeof(**dirs));
	el__buf dir;

	if (!grown)
		return el__error_oom();
	*dirs = grown;
	el__buf_init(&dir);
	el__buf_printf(&dir, "%s%s", a, b);
	if (el__buf_failed(&dir))
		return el__error_oom();
	grown[(*n)++] = el__buf_detach(&dir, NULL);
	grown[*n] = NULL;
	return EL_OK;
}

/*
 * $ENVLOCK_PROFILE_PATH (directories separated by ':') replaces the usual
 * list; the built-in profiles stay last either way.
 */
int el_profile_search_path(char ***out)
{
	const char *env = getenv("ENVLOCK_PROFILE_PATH"), *home;
	char **dirs = calloc(1, sizeof(*dirs));
	size_t n = 0;
	int ret = EL_OK;

	if (!dirs)
		return el__error_oom();
	if (env) {
		char *copy = strdup(env), *save = NULL;

		if (!copy)
			ret = el__error_oom();
		for (char *d = copy ? strtok_r(copy, ":", &save) : NULL; d && ret == EL_OK; d = strtok_r(NULL, ":", &save))
			if (d[0] == '/')
				ret = push_dir(&dirs, &n, d, "");
		free(copy);
	} else {
		if ((home = getenv("XDG_CONFIG_HOME")) && home[0] == '/')
			ret = push_dir(&dirs, &n, home, "/envlock/profiles");
		else if ((home = getenv("HOME")) && home[0] == '/')
			ret = push_dir(&dirs, &n, home, "/.config/envlock/profiles");
		if (ret == EL_OK)
			ret = push_dir(&dirs, &n, "/etc/envlock/profiles", "");
		if (ret == EL_OK)
			ret = push_dir(&dirs, &n, EL_DATADIR, "/profiles");
	}
	if (ret != EL_OK) {
		el_profile_search_path_free(dirs);
		return ret;
	}
	*out = dirs;
	return EL_OK;
}

void el_profile_search_path_free(char **dirs)
{
	for (char **d = dirs; d && *d; d++)
		free(*d);
	free(dirs);
}

/* Read path into src. EL_ENOTFOUND when it does not exist. */
static int read_source(el__profile_source *src, const char *path)
{
	struct stat st;
	el__buf id, dir;
	int ret;

	el__buf_reset(&src->text);
	ret = el__read_file(&src->text, path, PROFILE_MAX, false);
	if (ret != EL_OK)
		return ret;
	if (stat(path, &st) != 0)
		return el__error_errno(EL_ERROR, "%s", path);
	el__buf_init(&id);
	el__buf_init(&dir);
	el__buf_printf(&id, "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	el__buf_puts(&dir, path);
	el__path_parent(&dir);
	if (el__buf_failed(&id) || el__buf_failed(&dir) || !(src->file = strdup(path))) {
		el__buf_free(&id);
		el__buf_free(&dir);
		return el__error_oom();
	}
	src->id = el__buf_detach(&id, NULL);
	src->dir = el__buf_detach(&dir, NULL);
	return EL_OK;
}

int el__profile_read_path(el__profile_source *out, const char *path, const char *base_dir)
{
	el__buf full;
	int ret;

	el__buf_init(&full);
	if (path[0] != '/' && base_dir) {
		/* "./x" from "." stays "./x", not "././x": it names the file in messages. */
		while (path[0] == '.' && path[1] == '/')
			path += 2;
		el__buf_printf(&full, "%s/", base_dir);
	}
	el__buf_puts(&full, path);
	ret = el__buf_failed(&full) ? el__error_oom() : read_source(out, full.data);
	el__buf_free(&full);
	return ret;
}

static int find_builtin(el__profile_source *out, const char *name)
{
	for (const struct el__builtin_profile *b = el__builtin_profiles; b->name; b++) {
		el__buf id;

		if (strcmp(b->name, name) != 0)
			continue;
		el__buf_reset(&out->text);
		el__buf_add(&out->text, b->text, b->len);
		el__buf_init(&id);
		el__buf_printf(&id, "builtin:%s", name);
		out->file = strdup(EL_PROFILE_BUILTIN);
		out->id = el__buf_detach(&id, NULL);
		out->dir = NULL;
		if (el__buf_failed(&out->text) || !out->file || !out->id)
			return el__error_oom();
		return EL_OK;
	}
	return EL_ENOTFOUND;
}

/* A candidate found (ret EL_OK) that skip() rules out is as good as none. */
static int unless_skipped(int ret, el__profile_source *out, bool (*skip)(const char *id, const void *data),
			  const void *data, bool *skipped)
{
	if (ret != EL_OK || !skip || !skip(out->id, data))
		return ret;
	el__profile_source_free(out);
	*skipped = true;
	return EL_ENOTFOUND;
}

int el__profile_find(el__profile_source *out, const char *name, bool (*skip)(const char *id, const void *data),
		     const void *data, bool *all_skipped)
{
	char **dirs = NULL;
	el__buf path, looked;
	int ret;
	bool skipped = false;

	*all_skipped = false;
	if (!el_profile_name_valid(name))
		return el__error(EL_EINVAL, "'%s' is not a profile name (letters, digits, '_' and '-'; a path has a '/')", name);
	ret = el_profile_search_path(&dirs);
	if (ret != EL_OK)
		return ret;
	el__buf_init(&path);
	el__buf_init(&looked);
	ret = EL_ENOTFOUND;
	for (char **d = dirs; *d && ret == EL_ENOTFOUND; d++) {
		struct stat st;

		el__buf_reset(&path);
		el__buf_printf(&path, "%s/%s", *d, name);
		el__buf_printf(&looked, "%s, ", *d);
		if (stat(path.data, &st) == 0) {
			/* As the listing does: a directory of that name is not a profile. */
			if (!S_ISREG(st.st_mode))
				continue;
		} else if (errno == EACCES) {
			/*
			 * A directory this user cannot enter (another user's $HOME
			 * after sudo -u) holds no profile for them: look further.
			 * A file that is there but unreadable stays an error.
			 */
			continue;
		}
		ret = unless_skipped(read_source(out, path.data), out, skip, data, &skipped);
	}
	if (ret == EL_ENOTFOUND)
		ret = unless_skipped(find_builtin(out, name), out, skip, data, &skipped);
	if (ret == EL_ENOTFOUND) {
		*all_skipped = skipped;
		ret = el__error(EL_ENOTFOUND, "profile '%s' not found (looked in %s%sthe built-in profiles)", name,
				looked.data, looked.len ? "and " : "");
	}
	el__buf_free(&path);
	el__buf_free(&looked);
	el_profile_search_path_free(dirs);
	return ret;
}

static int add_entry(el_profile_entry **v, size_t *n, const char *name, const char *source)
{
	el_profile_entry *grown = realloc(*v, (*n + 1) * sizeof(**v));

	if (!grown)
		return el__error_oom();
	*v = grown;
	grown[*n].name = strdup(name);
	grown[*n].source = strdup(source);
	grown[*n].shadowed_by = NULL;
	(*n)++;
	if (!grown[*n - 1].name || !grown[*n - 1].source)
		return el__error_oom();
	return EL_OK;
}

/*
 * Sorted by name; for one name, in lookup order. qsort is not stable:
 * shadowed_by holds each entry's position in lookup order while it sorts.
 */
static int by_name(const void *a, const void *b)
{
	const el_profile_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	uintptr_t i = (uintptr_t)x->shadowed_by, j = (uintptr_t)y->shadowed_by;

	return c ? c : (i > j) - (i < j);
}

static int list_dir(el_profile_entry **v, size_t *n, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	el__buf path;
	int ret = EL_OK;

	if (!d)
		return EL_OK; /* a directory that is not there holds no profile */
	el__buf_init(&path);
	while (ret == EL_OK && (e = readdir(d))) {
		struct stat st;

		if (!el_profile_name_valid(e->d_name))
			continue; /* README.md, editor leftovers */
		el__buf_reset(&path);
		el__buf_printf(&path, "%s/%s", dir, e->d_name);
		if (stat(path.data, &st) == 0 && S_ISREG(st.st_mode))
			ret = add_entry(v, n, e->d_name, path.data);
	}
	closedir(d);
	el__buf_free(&path);
	return ret;
}

int el_profile_list(el_profile_entry **out, size_t *count)
{
	el_profile_entry *v = NULL;
	char **dirs = NULL;
	size_t n = 0;
	int ret;

	ret = el_profile_search_path(&dirs);
	for (char **d = dirs; ret == EL_OK && *d; d++)
		ret = list_dir(&v, &n, *d);
	for (const struct el__builtin_profile *b = el__builtin_profiles; ret == EL_OK && b->name; b++)
		ret = add_entry(&v, &n, b->name, EL_PROFILE_BUILTIN);
	el_profile_search_path_free(dirs);
	if (ret != EL_OK) {
		el_profile_entries_free(v, n);
		return ret;
	}
	for (size_t i = 0; i < n; i++)
		v[i].shadowed_by = (char *)(uintptr_t)i;
	qsort(v, n, sizeof(*v), by_name);
	for (size_t i = 0; i < n; i++)
		v[i].shadowed_by = NULL;
	for (size_t i = 1; i < n; i++) {
		size_t first = i;

		while (first > 0 && strcmp(v[first - 1].name, v[i].name) == 0)
			first--;
		if (first != i && !(v[i].shadowed_by = strdup(v[first].source))) {
			el_profile_entries_free(v, n);
			return el__error_oom();
		}
	}
	*out = v;
	*count = n;
	return EL_OK;
}

void el_profile_entries_free(el_profile_entry *entries, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(entries[i].name);
		free(entries[i].source);
		free(entries[i].shadowed_by);
	}
	free(entries);
}
