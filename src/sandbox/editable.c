/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sources of editable installs ("pip install -e"): a package installed
 * that way is imported from its source directory, wherever that lies (a
 * sibling checkout, ~/src/mylib), which the sandbox would not show. PEP 610
 * records it in the distribution's direct_url.json: {"url": "file:///...",
 * "dir_info": {"editable": true}}. Read from the interpreter's site
 * directories when the plan is made, so only what the interpreter really
 * imports from is bound, never a directory a lock names.
 */
#include "sandbox/editable.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/direct_url.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/text.h"

static int list_add(el__path_list *list, char *path)
{
	char **grown;

	for (size_t i = 0; i < list->count; i++) {
		if (strcmp(list->paths[i], path) == 0) {
			free(path);
			return EL_OK;
		}
	}
	grown = realloc(list->paths, (list->count + 1) * sizeof(*list->paths));
	if (!grown) {
		free(path);
		return el__error_oom();
	}
	list->paths = grown;
	list->paths[list->count++] = path;
	return EL_OK;
}

/* One distribution's direct_url.json: its editable source, if it is one. */
static int read_direct_url(el__path_list *list, int site, const char *dist)
{
	el__direct_url d;
	char *path;
	int ret = el__direct_url_read_at(&d, site, dist, dist);

	if (ret == EL_ENOMEM)
		return ret;
	/* None (the common case), or unreadable: nothing to bind. */
	if (ret != EL_OK) {
		el_error_clear();
		return EL_OK;
	}
	if (d.editable && (path = el__file_url_path(d.url)))
		ret = list_add(list, path);
	el__direct_url_free(&d);
	return ret;
}

/* Every *.dist-info of one site directory (host path). */
static int scan_site(el__path_list *list, const char *host_dir)
{
	DIR *d = opendir(host_dir);
	struct dirent *e;
	int ret = EL_OK;

	if (!d)
		return EL_OK;
	while (ret == EL_OK && (e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n > 10 && strcmp(e->d_name + n - 10, ".dist-info") == 0)
			ret = read_direct_url(list, dirfd(d), e->d_name);
	}
	closedir(d);
	return ret;
}

/* PREFIX/lib/python3*\/{site,dist}-packages, under root. */
static int scan_prefix(el__path_list *list, const char *root, const char *prefix)
{
	static const char *const kinds[] = { "site-packages", "dist-packages" };
	el__buf inside, host;
	struct dirent *e;
	DIR *d;
	int ret = EL_OK;

	el__buf_init(&inside);
	el__buf_init(&host);
	el__buf_printf(&inside, "%s/lib", prefix);
	el__root_path(&host, root, inside.data);
	d = el__buf_failed(&host) ? NULL : opendir(host.data);
	while (d && ret == EL_OK && (e = readdir(d))) {
		if (!el__startswith(e->d_name, "python3"))
			continue;
		for (size_t k = 0; k < 2 && ret == EL_OK; k++) {
			el__buf_reset(&inside);
			el__buf_reset(&host);
			el__buf_printf(&inside, "%s/lib/%s/%s", prefix, e->d_name, kinds[k]);
			el__root_path(&host, root, inside.data);
			ret = el__buf_failed(&host) ? el__error_oom() : scan_site(list, host.data);
		}
	}
	if (d)
		closedir(d);
	el__buf_free(&inside);
	el__buf_free(&host);
	return ret;
}

int el__editable_sources(el__path_list *out, const char *root, const char *const *prefixes)
{
	int ret = EL_OK;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; prefixes[i] && ret == EL_OK; i++) {
		ret = scan_prefix(out, root, prefixes[i]);
		/* pip's target for a system interpreter on Debian: /usr/local/lib/python3.X/dist-packages. */
		if (ret == EL_OK && strcmp(prefixes[i], "/usr") == 0)
			ret = scan_prefix(out, root, "/usr/local");
	}
	if (ret != EL_OK)
		el__path_list_free(out);
	return ret;
}

void el__path_list_free(el__path_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->paths[i]);
	free(list->paths);
	memset(list, 0, sizeof(*list));
}
