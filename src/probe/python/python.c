/* SPDX-License-Identifier: Apache-2.0 */
#include "probe/probe.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "probe/python/pymetadata.h"
#include "probe/python/python_locate.h"
#include "probe/python/pyversion.h"
#include "envlock/data.h"
#include "util/direct_url.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/text.h"

/*
 * The "python" section: the packages `python -m pip list` reports, read
 * from the files pip reads. pip 23 on Python 3.11+ (the importlib backend,
 * pip/_internal/metadata/importlib/_envs.py) walks the search path in order
 * and, in each directory:
 *
 *   1. takes every *.dist-info and *.egg-info entry (a directory with
 *      METADATA or PKG-INFO, or a file that is itself the metadata), and
 *      EGG-INFO when the directory is itself an unpacked .egg;
 *   2. takes every *.egg in it through pkg_resources (name and version from
 *      the file name);
 *   3. follows every *.egg-link file (the first non-empty line names a
 *      directory searched as in 1).
 *
 * The name in METADATA decides: the first distribution seen with a given
 * normalized name wins (1 and 3 only: pip does not deduplicate eggs, a lock
 * keeps the first). A distribution whose directory name is no valid project
 * name, or names "python", "wsgiref" or "argparse", is left out, as pip
 * does. pip lists a directory in the order the file system returns it;
 * envlock sorts by name so that a capture does not depend on it.
 *
 * pip on Python 3.10 and older uses pkg_resources instead, which takes
 * names and versions from the .dist-info/.egg-info directory names. For
 * what pip and wheel install the two agree (the directory name is the
 * normalized name and version); for hand-made directories they may not.
 */

#define EGG_LINK_MAX_BYTES 65536
/*
 * An editable source with more files than this is not addressed (tree
 * left out, one warning): a "pip install -e" of a monorepo's root must
 * not make every capture walk it. Below it, a warm capture costs one
 * stat per file (the data digest cache).
 */
#define SOURCE_TREE_MAX_FILES 20000

static const char *const stdlib_pkgs[] = { "python", "wsgiref", "argparse", NULL };

typedef struct scan {
	el__probe_ctx *ctx;
	json_t *packages; /* normalized name -> version: the section */
	json_t *installs; /* normalized name -> PEP 610 identity (python.installs) */
	json_t *seen;     /* names pip's finder has taken -> [directory, entry, version] */
	bool linked;      /* scanning a directory an .egg-link names (a legacy editable install) */
	el__buf host, name, version, path; /* scratch */
} scan;

typedef struct names {
	char **v;
	size_t n, cap;
} names;

static int names_add(names *l, const char *name)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return el__error_oom();
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = strdup(name)))
		return el__error_oom();
	l->n++;
	return EL_OK;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_sort(names *l)
{
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), by_name);
}

static void names_free(names *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static bool ends_with(const char *s, const char *suffix, bool nocase)
{
	size_t n = strlen(s), m = strlen(suffix);

	if (n < m)
		return false;
	return nocase ? strcasecmp(s + n - m, suffix) == 0 : strcmp(s + n - m, suffix) == 0;
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* pip's project name check (PEP 508): ^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$ */
static bool valid_project_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

static bool stdlib_pkg(const char *canonical)
{
	for (const char *const *p = stdlib_pkgs; *p; p++)
		if (strcmp(*p, canonical) == 0)
			return true;
	return false;
}

/* "dir/entry" for messages and host paths ("/" + entry at the top). */
static const char *join(el__buf *out, const char *dir, const char *entry)
{
	el__buf_reset(out);
	el__buf_printf(out, "%s/%s", strcmp(dir, "/") ? dir : "", entry);
	return out->data;
}

/* Add a package unless an earlier one holds the name; false if JSON refused it. */
static bool add_package(scan *s, const char *canonical, const char *version)
{
	json_t *v;

	if (json_object_get(s->packages, canonical))
		return true;
	v = json_string(version);
	return v && json_object_set_new(s->packages, canonical, v) == 0;
}

/*
 * The checks pip applies once the finder took a distribution: a valid
 * project name (canonical: from the directory name where it has one) and
 * not one of the names pip list skips.
 */
static bool listed(scan *s, const char *where, const char *canonical)
{
	if (!valid_project_name(canonical)) {
		el__warn(s->ctx, "python", "%s: invalid distribution name \"%s\", skipped as pip does",
			 where, canonical);
		return false;
	}
	return !stdlib_pkg(canonical);
}

/* Length of s up to the first c, at most max. */
static size_t prefix_len(const char *s, char c, size_t max)
{
	const char *hit = memchr(s, c, max);

	return hit ? (size_t)(hit - s) : max;
}

/*
 * pip's canonical_name for an importlib distribution: the directory name up
 * to its first '-' when it ends in exactly ".dist-info" or ".egg-info"
 * (os.path.splitext), else the Name header.
 */
static void canonical_name(el__buf *out, const char *entry, const char *name)
{
	const char *dot = strrchr(entry, '.'), *p = entry;
	el__buf stem;

	while (*p == '.')
		p++;
	if (!dot || dot < p || (strcmp(dot, ".dist-info") != 0 && strcmp(dot, ".egg-info") != 0)) {
		el__pep503_normalize(out, name);
		return;
	}
	el__buf_init(&stem);
	el__buf_add(&stem, entry, prefix_len(entry, '-', (size_t)(dot - entry)));
	el__pep503_normalize(out, stem.data);
	el__buf_free(&stem);
}

/* METADATA, else PKG-INFO, else the entry itself: importlib's order. */
static int read_metadata(scan *s, el__pymeta *m, int dfd, const char *dir, const char *entry)
{
	static const char *const files[] = { "/METADATA", "/PKG-INFO", "" };
	el__buf rel;
	int ret = EL_ENOTFOUND;

	el__buf_init(&rel);
	for (size_t i = 0; i < sizeof(files) / sizeof(*files) && ret == EL_ENOTFOUND; i++) {
		el__buf_reset(&rel);
		el__buf_printf(&rel, "%s%s", entry, files[i]);
		if (el__buf_failed(&rel)) {
			ret = el__error_oom();
			break;
		}
		ret = el__pymeta_read_at(m, dfd, rel.data, join(&s->path, dir, rel.data));
	}
	el__buf_free(&rel);
	return ret;
}

/* Two distributions of one name side by side: pip's pick depends on readdir order. */
static void same_dir_twice(scan *s, const char *dir, const char *entry, const char *canonical,
			   const char *version)
{
	json_t *first = json_object_get(s->seen, canonical);
	const char *first_version = json_string_value(json_array_get(first, 2));

	if (!first || strcmp(json_string_value(json_array_get(first, 0)), dir) != 0 ||
	    (first_version && version && strcmp(first_version, version) == 0))
		return;
	el__warn(s->ctx, "python", "%s: %s and %s both provide \"%s\" (%s, %s); keeping %s", dir,
		 json_string_value(json_array_get(first, 1)), entry, canonical,
		 first_version ? first_version : "no version", version ? version : "no version",
		 json_string_value(json_array_get(first, 1)));
}

/*
 * A URL as a lock may hold it: PEP 610 forbids credentials in "url" but
 * allows "git@" (ssh) and environment variables ("${TOKEN}@"); anything
 * else before an '@' in the authority is dropped, with a warning, since
 * locks get committed.
 */
static int lockable_url(el__buf *out, scan *s, const char *where, const char *url)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL;

	el__buf_reset(out);
	if (auth) {
		auth += 3;
		end = auth + strcspn(auth, "/?#");
		for (const char *p = auth; p < end; p++)
			if (*p == '@')
				at = p;
	}
	if (at) {
		size_t n = (size_t)(at - auth);
		bool env_only = n > 3 && auth[0] == '$' && auth[1] == '{' && auth[n - 1] == '}';

		if (!(n == 3 && memcmp(auth, "git", 3) == 0) && !env_only) {
			el__warn(s->ctx, "python", "%s: credentials in its url, left out of the lock", where);
			el__buf_add(out, url, (size_t)(auth - url));
			el__buf_puts(out, at + 1);
			return el__buf_failed(out) ? el__error_oom() : EL_OK;
		}
	}
	el__buf_puts(out, url);
	return el__buf_failed(out) ? el__error_oom() : EL_OK;
}

/* Whether path is dir or below it (both absolute, no trailing '/'). */
static bool path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || !path[n]);
}

/*
 * The address of a local directory source (a file:// URL), by the data
 * manifest rules with what a build leaves out (el_data_options
 * .python_source): "sha256:<hex>" into install["tree"], or a warning. The
 * URL is only ever followed as a local path, inside the probed root.
 */
static int source_tree(scan *s, json_t *install, const char *where, const char *url)
{
	el_data_options opts = { .cache_dir = s->ctx->cache_dir, .python_source = true,
				 .max_entries = SOURCE_TREE_MAX_FILES };
	char *path = el__file_url_path(url);
	el_data_tree *tree = NULL;
	el__buf real, host;
	const char *workdir = s->ctx->workdir;
	int ret = EL_OK, rc;

	if (!path) {
		el__warn(s->ctx, "python", "%s: %s is no local file:// URL, so its source has no tree", where, url);
		return EL_OK;
	}
	el__buf_init(&real);
	el__buf_init(&host);
	rc = el__resolve_in_root(&real, s->ctx->root, path);
	if (rc == EL_ENOMEM) {
		ret = rc;
		goto done;
	}
	if (rc != EL_OK) {
		el__warn(s->ctx, "python", "%s: its source %s does not exist any more, so it has no tree", where, path);
		goto done;
	}
	/*
	 * The project itself installed editable (pip install -e . where the
	 * lock is made): its files are the code, identified by meta.code, and
	 * the lock and the runs' outputs are written among them.
	 */
	if (workdir && workdir[0] == '/' && path_within(workdir, real.data))
		goto done;
	el__root_path(&host, s->ctx->root, real.data);
	if (el__buf_failed(&host)) {
		ret = el__error_oom();
		goto done;
	}
	rc = el_data_hash(&tree, host.data, &opts);
	if (rc == EL_ENOMEM)
		ret = rc;
	else if (rc == EL_ENOTFOUND)
		el__warn(s->ctx, "python", "%s: its source %s does not exist any more, so it has no tree", where, path);
	else if (rc != EL_OK)
		el__warn(s->ctx, "python", "%s: its source has no tree: %s", where, el_error_last());
	else if (!tree->directory)
		el__warn(s->ctx, "python", "%s: its source %s is not a directory, so it has no tree", where, path);
	else
		ret = el__json_set_text(install, "tree", tree->digest);
done:
	el_data_tree_free(tree);
	el__buf_free(&real);
	el__buf_free(&host);
	free(path);
	return ret;
}

/*
 * python.installs[key]: what dir/entry/direct_url.json (PEP 610) says of
 * how the distribution was installed; nothing when it has none. A file
 * that cannot be read or parsed is reported and left out.
 */
static int install_identity(scan *s, int dfd, const char *dir, const char *entry, const char *key)
{
	el__direct_url d;
	el__buf file, url;
	json_t *install = NULL;
	int ret;

	el__buf_init(&file);
	el__buf_init(&url);
	el__buf_printf(&file, "%s/direct_url.json", join(&s->path, dir, entry));
	if (el__buf_failed(&file)) {
		el__buf_free(&file);
		return el__error_oom();
	}
	ret = el__direct_url_read_at(&d, dfd, entry, file.data);
	if (ret == EL_ENOTFOUND) {
		el_error_clear();
		ret = EL_OK;
		goto done;
	}
	if (ret != EL_OK) {
		if (ret != EL_ENOMEM) {
			el__warn(s->ctx, "python", "%s; left out of python.installs", el_error_last());
			ret = EL_OK;
		}
		goto done;
	}
	if (!(install = json_object())) {
		ret = el__error_oom();
		goto done;
	}
	ret = lockable_url(&url, s, file.data, d.url);
	if (ret == EL_OK)
		ret = el__json_set_text(install, "url", url.data);
	if (ret == EL_OK && d.vcs)
		ret = el__json_set_text(install, "vcs", d.vcs);
	if (ret == EL_OK && d.commit_id)
		ret = el__json_set_text(install, "commit_id", d.commit_id);
	if (ret == EL_OK && d.editable && json_object_set_new(install, "editable", json_true()))
		ret = el__error_oom();
	if (ret == EL_OK && d.dir_info)
		ret = source_tree(s, install, file.data, d.url);
	if (ret == EL_OK && json_object_set(s->installs, key, install))
		ret = el__error_oom();
	/* Strings jansson parsed are UTF-8: EL_EINVAL cannot come from them. */
	if (ret == EL_EINVAL) {
		el__warn(s->ctx, "python", "%s: %s; left out of python.installs", file.data, el_error_last());
		ret = EL_OK;
	}
done:
	json_decref(install);
	el__direct_url_free(&d);
	el__buf_free(&file);
	el__buf_free(&url);
	return ret;
}

/*
 * python.installs[key] of a legacy editable install (setup.py develop, pip
 * install -e without PEP 660): no direct_url.json, but an .egg-link naming
 * the source directory dir, where the .egg-info sits. The same identity a
 * PEP 660 install gets: editable, the directory's file URL, its tree.
 */
static int legacy_editable(scan *s, const char *dir, const char *key, const char *where)
{
	json_t *install = json_object();
	el__buf url;
	int ret;

	el__buf_init(&url);
	ret = install ? el__file_url(&url, dir) : el__error_oom();
	if (ret == EL_OK)
		ret = el__json_set_text(install, "url", url.data);
	if (ret == EL_OK && json_object_set_new(install, "editable", json_true()))
		ret = el__error_oom();
	if (ret == EL_OK)
		ret = source_tree(s, install, where, url.data);
	if (ret == EL_OK && json_object_set(s->installs, key, install))
		ret = el__error_oom();
	/* A directory name that is not UTF-8 cannot be a lock's text: said, left out. */
	if (ret == EL_EINVAL) {
		el__warn(s->ctx, "python", "%s: %s; left out of python.installs", where, el_error_last());
		ret = EL_OK;
	}
	json_decref(install);
	el__buf_free(&url);
	return ret;
}

/* One distribution importlib.metadata finds: dir/entry is its .dist-info, .egg-info or EGG-INFO. */
static int importlib_dist(scan *s, int dfd, const char *dir, const char *entry)
{
	el__pymeta m;
	el__buf key;
	const char *where;
	int ret;

	ret = read_metadata(s, &m, dfd, dir, entry);
	if (ret == EL_ENOMEM)
		return ret;
	if (ret == EL_ENOTFOUND) {
		el__warn(s->ctx, "python", "%s: no METADATA or PKG-INFO, skipped", join(&s->path, dir, entry));
		return EL_OK;
	}
	if (ret != EL_OK) {
		el__warn(s->ctx, "python", "%s, skipped", el_error_last());
		return EL_OK;
	}
	el__buf_init(&key);
	if (!m.name || !*m.name) {
		/* pip skips the first; it would list the second as "", which no lock path can name. */
		el__warn(s->ctx, "python", "%s: %s Name in its metadata, skipped", join(&s->path, dir, entry),
			 m.name ? "empty" : "no");
		goto done;
	}
	el__pep503_normalize(&key, m.name);
	if (m.version)
		el__pep440_normalize(&s->version, m.version);
	if (json_object_get(s->seen, key.data)) {
		same_dir_twice(s, dir, entry, key.data, m.version ? s->version.data : NULL);
		goto done;
	}
	json_object_set_new(s->seen, key.data,
			    json_pack("[sso]", dir, entry, m.version ? json_string(s->version.data) : json_null()));
	where = join(&s->path, dir, entry);
	canonical_name(&s->name, entry, m.name);
	if (!listed(s, where, s->name.data))
		goto done;
	if (!m.version) {
		el__warn(s->ctx, "python", "%s: no Version in its metadata, skipped", where);
	} else if (json_object_get(s->packages, key.data)) {
		/* An egg earlier on the path holds the name: the lock keeps that one. */
	} else if (!add_package(s, key.data, s->version.data)) {
		ret = el__error_oom();
	} else if (ends_with(entry, ".dist-info", true)) {
		ret = install_identity(s, dfd, dir, entry, key.data);
	} else if (s->linked) {
		ret = legacy_editable(s, dir, key.data, where);
	}
done:
	if (ret == EL_OK && (el__buf_failed(&key) || el__buf_failed(&s->version) || el__buf_failed(&s->name)))
		ret = el__error_oom();
	el__buf_free(&key);
	el__pymeta_free(&m);
	return ret;
}

/* pkg_resources' safe_version: PEP 440 normalized, else spaces and odd runs made '.' and '-'. */
static void safe_version(el__buf *out, const char *v)
{
	el__buf tmp;
	bool run = false;

	if (el__pep440_normalize(out, v))
		return;
	el__buf_init(&tmp);
	for (const char *p = v; *p; p++) {
		char c = *p == ' ' ? '.' : *p;

		if (is_alnum(c) || c == '.') {
			el__buf_putc(&tmp, c);
			run = false;
		} else if (!run) {
			el__buf_putc(&tmp, '-');
			run = true;
		}
	}
	/* pip parses the result once more. */
	el__pep440_normalize(out, tmp.data);
	el__buf_free(&tmp);
}

/* pkg_resources' safe_name: runs of anything but letters, digits and '.' become '-'. */
static void safe_name(el__buf *out, const char *name, size_t len)
{
	bool run = false;

	el__buf_reset(out);
	for (size_t i = 0; i < len; i++) {
		if (is_alnum(name[i]) || name[i] == '.') {
			el__buf_putc(out, name[i]);
			run = false;
		} else if (!run) {
			el__buf_putc(out, '-');
			run = true;
		}
	}
}

/* The Version of an unpacked egg whose file name has none: EGG-INFO/PKG-INFO. */
static bool egg_info_version(scan *s, int dfd, const char *dir, const char *entry)
{
	el__pymeta m;
	el__buf rel;
	bool ok;

	el__buf_init(&rel);
	el__buf_printf(&rel, "%s/EGG-INFO/PKG-INFO", entry);
	ok = el__pymeta_read_at(&m, dfd, rel.data, join(&s->path, dir, rel.data)) == EL_OK && m.version;
	if (ok)
		safe_version(&s->version, el__strtrim(m.version));
	el__pymeta_free(&m);
	el__buf_free(&rel);
	return ok;
}

/* pkg_resources only opens a file egg that is a zip archive. */
static bool is_zip(int dfd, const char *entry)
{
	char magic[4];
	int fd = openat(dfd, entry, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	bool zip = fd >= 0 && read(fd, magic, sizeof(magic)) == sizeof(magic) &&
		   memcmp(magic, "PK\x03\x04", sizeof(magic)) == 0;

	if (fd >= 0)
		close(fd);
	return zip;
}

/*
 * A *.egg inside a search path directory, as pkg_resources reads it: name and
 * version from "Name-Version-pyX.Y-platform.egg". Unpacked eggs only; a
 * zipped one is reported, not opened.
 */
static int egg_dist(scan *s, int dfd, const char *dir, const char *entry)
{
	size_t stem = strlen(entry) - strlen(".egg"), nlen = strcspn(entry, "-");
	const char *ver = NULL;
	el__buf rel, key;
	struct stat st;
	int ret = EL_OK;

	if (fstatat(dfd, entry, &st, 0) != 0)
		return EL_OK;
	if (S_ISREG(st.st_mode)) {
		if (is_zip(dfd, entry))
			el__warn(s->ctx, "python", "%s: zipped egg not read, skipped", join(&s->path, dir, entry));
		return EL_OK;
	}
	el__buf_init(&rel);
	el__buf_init(&key);
	el__buf_printf(&rel, "%s/EGG-INFO/PKG-INFO", entry);
	if (fstatat(dfd, rel.data, &st, 0) != 0 || !S_ISREG(st.st_mode))
		goto done; /* not an unpacked egg: pkg_resources would look inside, pip rarely meets one */
	if (nlen > stem)
		nlen = stem;
	if (nlen && nlen < stem)
		ver = entry + nlen + 1;
	safe_name(&s->name, nlen ? entry : "Unknown", nlen ? nlen : strlen("Unknown"));
	if (ver && ver < entry + stem && *ver != '-') {
		el__buf_reset(&rel);
		el__buf_add(&rel, ver, prefix_len(ver, '-', (size_t)(entry + stem - ver)));
		safe_version(&s->version, rel.data);
	} else if (!egg_info_version(s, dfd, dir, entry)) {
		el__warn(s->ctx, "python", "%s: no version in its name or PKG-INFO, skipped",
			 join(&s->path, dir, entry));
		goto done;
	}
	el__pep503_normalize(&key, s->name.data);
	if (listed(s, join(&s->path, dir, entry), key.data) && !add_package(s, key.data, s->version.data))
		ret = el__error_oom();
done:
	if (ret == EL_OK && (el__buf_failed(&rel) || el__buf_failed(&key)))
		ret = el__error_oom();
	el__buf_free(&rel);
	el__buf_free(&key);
	return ret;
}

typedef struct listing {
	names infos; /* *.dist-info, *.egg-info (any case) */
	names eggs;  /* *.egg */
	names links; /* *.egg-link */
	bool egg_info; /* an EGG-INFO child, which counts when the directory is an .egg */
} listing;

static int list_dir(listing *l, DIR *d)
{
	struct dirent *de;
	int ret = EL_OK;

	memset(l, 0, sizeof(*l));
	while (ret == EL_OK && (de = readdir(d))) {
		const char *n = de->d_name;

		if (ends_with(n, ".dist-info", true) || ends_with(n, ".egg-info", true))
			ret = names_add(&l->infos, n);
		else if (ends_with(n, ".egg", false))
			ret = names_add(&l->eggs, n);
		else if (ends_with(n, ".egg-link", false) && strrchr(n, '.') > n)
			ret = names_add(&l->links, n);
		else if (strcasecmp(n, "egg-info") == 0)
			l->egg_info = true;
	}
	names_sort(&l->infos);
	names_sort(&l->eggs);
	names_sort(&l->links);
	return ret;
}

static void listing_free(listing *l)
{
	names_free(&l->infos);
	names_free(&l->eggs);
	names_free(&l->links);
}

static DIR *open_dir(scan *s, const char *dir)
{
	el__root_path(&s->host, s->ctx->root, dir);
	return el__buf_failed(&s->host) ? NULL : opendir(s->host.data);
}

/* importlib.metadata.distributions(path=[dir]) through pip's finder. */
static int importlib_dists(scan *s, DIR *d, const listing *l, const char *dir)
{
	int ret = EL_OK;

	for (size_t i = 0; i < l->infos.n && ret == EL_OK; i++)
		ret = importlib_dist(s, dirfd(d), dir, l->infos.v[i]);
	if (ret == EL_OK && l->egg_info && ends_with(el__basename(dir), ".egg", true))
		ret = importlib_dist(s, dirfd(d), dir, "EGG-INFO");
	return ret;
}

/* The directory an .egg-link names: its first non-empty line, relative to dir. */
static bool egg_link_target(el__buf *out, int dfd, const char *dir, const char *entry)
{
	el__buf text, joined;
	char *line = NULL;
	int fd = openat(dfd, entry, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return false;
	el__buf_init(&text);
	el__buf_init(&joined);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		char chunk[4096];

		while (text.len < EGG_LINK_MAX_BYTES && (n = read(fd, chunk, sizeof(chunk))) > 0)
			el__buf_add(&text, chunk, (size_t)n);
	}
	close(fd);
	for (char *p = text.data, *save = NULL; (p = strtok_r(p, "\r\n", &save)); p = NULL) {
		line = el__strtrim(p);
		if (*line)
			break;
		line = NULL;
	}
	el__buf_reset(out);
	/* Normalized as pip does (os.path.abspath): the directory is named in python.installs. */
	if (line && line[0] == '/')
		el__path_lexical(out, line);
	else if (line)
		el__path_lexical(out, join(&joined, dir, line));
	el__buf_free(&text);
	el__buf_free(&joined);
	return line && !el__buf_failed(out);
}

/* find_linked: the distributions in the directories that .egg-link files name. */
static int egg_links(scan *s, DIR *d, const listing *l, const char *dir)
{
	el__buf target;
	listing tl;
	DIR *td;
	int ret = EL_OK;

	el__buf_init(&target);
	for (size_t i = 0; i < l->links.n && ret == EL_OK; i++) {
		if (!egg_link_target(&target, dirfd(d), dir, l->links.v[i]) || !(td = open_dir(s, target.data)))
			continue;
		ret = list_dir(&tl, td);
		s->linked = true;
		if (ret == EL_OK)
			ret = importlib_dists(s, td, &tl, target.data);
		s->linked = false;
		listing_free(&tl);
		closedir(td);
	}
	el__buf_free(&target);
	return ret;
}

/* One entry of the search path: what pip's Environment._iter_distributions yields for it. */
static int scan_dir(scan *s, const char *dir)
{
	listing l;
	DIR *d = open_dir(s, dir);
	int ret;

	/* Not a directory (a zip on sys.path, a missing entry): nothing pip would read here. */
	if (!d)
		return el__buf_failed(&s->host) ? el__error_oom() : EL_OK;
	ret = list_dir(&l, d);
	if (ret == EL_OK)
		ret = importlib_dists(s, d, &l, dir);
	for (size_t i = 0; i < l.eggs.n && ret == EL_OK; i++)
		ret = egg_dist(s, dirfd(d), dir, l.eggs.v[i]);
	if (ret == EL_OK)
		ret = egg_links(s, d, &l, dir);
	listing_free(&l);
	closedir(d);
	return ret;
}

/* python.build: the interpreter's build, as python_locate.c learnt it; NULL when it said nothing. */
static json_t *build_section(const el__python *py)
{
	json_t *build = json_object();

	if (!build)
		return NULL;
	if ((py->build_version && el__json_set_text(build, "version", py->build_version)) ||
	    (py->build_compiler && el__json_set_text(build, "compiler", py->build_compiler)) ||
	    (py->config_args && el__json_set_text(build, "config_args", py->config_args))) {
		json_decref(build);
		return NULL;
	}
	return build;
}

int el__probe_python(el__probe_ctx *ctx, json_t **section)
{
	const el__python *py;
	scan s = { .ctx = ctx };
	int ret;

	*section = NULL;
	ret = el__probe_python_locate(ctx, &py);
	if (ret != EL_OK)
		return ret;
	s.packages = json_object();
	s.installs = json_object();
	s.seen = json_object();
	el__buf_init(&s.host);
	el__buf_init(&s.name);
	el__buf_init(&s.version);
	el__buf_init(&s.path);
	ret = s.packages && s.installs && s.seen ? EL_OK : el__error_oom();
	for (size_t i = 0; i < py->npaths && ret == EL_OK; i++)
		ret = scan_dir(&s, py->paths[i]);
	if (ret == EL_OK) {
		*section = json_pack("{s:s,s:s,s:O}", "executable", py->executable, "version", py->version,
				     "packages", s.packages);
		if (!*section)
			ret = el__error(EL_EINVAL, "%s: executable or version is not UTF-8", py->executable);
	}
	if (ret == EL_OK && json_object_size(s.installs) &&
	    json_object_set(*section, "installs", s.installs))
		ret = el__error_oom();
	if (ret == EL_OK) {
		json_t *build = build_section(py);

		/* A build string that is not UTF-8 is left out, the rest of the section kept. */
		if (!build)
			el__warn(ctx, "python", "%s: its build (sys.version, CONFIG_ARGS) is not UTF-8, left out",
				 py->executable);
		else if (json_object_size(build) && json_object_set(*section, "build", build))
			ret = el__error_oom();
		json_decref(build);
	}
	if (ret != EL_OK) {
		json_decref(*section);
		*section = NULL;
	}
	json_decref(s.packages);
	json_decref(s.installs);
	json_decref(s.seen);
	el__buf_free(&s.host);
	el__buf_free(&s.name);
	el__buf_free(&s.version);
	el__buf_free(&s.path);
	return ret;
}
