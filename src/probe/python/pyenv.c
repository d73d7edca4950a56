/* SPDX-License-Identifier: Apache-2.0 */
#include "probe/python/pyenv.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "probe/python/python_locate.h"
#include "util/env.h"
#include "util/error.h"
#include "util/fs.h"

/* A shim is a few hundred bytes; anything much larger is something else. */
#define SHIM_MAX_BYTES 65536
/* pyenv-version-file-read reads at most this much of each line. */
#define VERSION_FILE_MAX_BYTES 65536

typedef struct pyenv {
	const char *root;    /* the fixture root, "" for this machine */
	const char *command; /* "python3": the shim's name */
	const char *shim_dir;
	const char *const *env; /* PATH, PYENV_ROOT, PYENV_VERSION, PYENV_DIR, HOME */
	el__buf pyenv_root;
	el__buf versions; /* the selected names, each followed by '\0' */
	el__buf origin;   /* where they came from, for the message */
	el__buf host;     /* scratch */
} pyenv;

static bool is_dir_in_root(pyenv *pe, const char *path)
{
	struct stat st;

	el__root_path(&pe->host, pe->root, path);
	return stat(pe->host.data, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file_in_root(pyenv *pe, const char *path)
{
	struct stat st;

	el__root_path(&pe->host, pe->root, path);
	return stat(pe->host.data, &st) == 0 && S_ISREG(st.st_mode);
}

/* The PYENV_ROOT="..." the shim exports: it wins over the environment. */
static bool root_from_shim(el__buf *out, const char *text)
{
	const char *p = strstr(text, "export PYENV_ROOT=\""), *end;

	if (!p)
		return false;
	p += strlen("export PYENV_ROOT=\"");
	end = strchr(p, '"');
	if (!end || end == p || *p != '/')
		return false;
	el__buf_reset(out);
	el__buf_add(out, p, (size_t)(end - p));
	return true;
}

static void find_pyenv_root(pyenv *pe, const char *shim_text)
{
	const char *env;

	if (root_from_shim(&pe->pyenv_root, shim_text))
		return;
	el__buf_reset(&pe->pyenv_root);
	if ((env = el__env_get(pe->env, "PYENV_ROOT")) && env[0] == '/')
		el__buf_puts(&pe->pyenv_root, env);
	else if ((env = el__env_get(pe->env, "HOME")) && env[0] == '/')
		el__buf_printf(&pe->pyenv_root, "%s/.pyenv", strcmp(env, "/") ? env : "");
}

static void add_version(pyenv *pe, const char *name, size_t len)
{
	el__buf_add(&pe->versions, name, len);
	el__buf_putc(&pe->versions, '\0');
}

/*
 * pyenv-version-file-read's is_version_safe: a name with a '/' (or "..")
 * must stay below versions/ once "." and ".." are applied, and exist there.
 */
static bool version_safe(pyenv *pe, const char *name, size_t len)
{
	el__buf path;
	int depth = 0;
	bool ok;

	if (!memchr(name, '/', len) && !(len == 2 && memcmp(name, "..", 2) == 0))
		return true;
	for (const char *p = name, *end = name + len; p < end;) {
		size_t n = 0;

		while (p + n < end && p[n] != '/')
			n++;
		if (n == 2 && p[0] == '.' && p[1] == '.')
			depth--;
		else if (n && !(n == 1 && p[0] == '.'))
			depth++;
		if (depth < 0)
			return false;
		p += n + 1;
	}
	if (depth == 0)
		return false;
	el__buf_init(&path);
	el__buf_printf(&path, "%s/versions/%.*s", pe->pyenv_root.data, (int)len, name);
	ok = is_dir_in_root(pe, path.data);
	el__buf_free(&path);
	return ok;
}

/*
 * The first word of each line of a version file, as pyenv-version-file-read
 * takes them. Returns false when the file names no version.
 */
static bool read_version_file(pyenv *pe, const char *path)
{
	el__buf text;
	size_t before = pe->versions.len;

	el__buf_init(&text);
	el__root_path(&pe->host, pe->root, path);
	if (el__read_file(&text, pe->host.data, VERSION_FILE_MAX_BYTES, false) != EL_OK)
		el__buf_reset(&text);
	for (char *p = text.data; *p;) {
		size_t skip = strspn(p, " \t\r"), len;

		p += skip;
		len = strcspn(p, " \t\r\n");
		if (len && p[0] != '#' && version_safe(pe, p, len))
			add_version(pe, p, len);
		p += strcspn(p, "\n");
		if (*p)
			p++;
	}
	el__buf_free(&text);
	return pe->versions.len > before;
}

/* pyenv-version-file: .python-version from dir upwards, "/" included. */
static bool local_version_file(el__buf *out, pyenv *pe, const char *dir)
{
	el__buf_reset(out);
	el__buf_puts(out, dir);
	while (out->len && out->data[out->len - 1] == '/')
		out->data[--out->len] = '\0';
	for (;;) {
		size_t len = out->len;

		el__buf_puts(out, "/.python-version");
		if (is_file_in_root(pe, out->data))
			return true;
		out->len = len;
		out->data[len] = '\0';
		if (len == 0)
			return false;
		out->len = (size_t)(strrchr(out->data, '/') - out->data);
		out->data[out->len] = '\0';
	}
}

/* pyenv-version-name: the selected names, before prefixes are resolved. */
static void select_versions(pyenv *pe, const char *workdir)
{
	const char *env = el__env_get(pe->env, "PYENV_VERSION"), *dir = el__env_get(pe->env, "PYENV_DIR");
	bool found;

	el__buf_reset(&pe->versions);
	el__buf_reset(&pe->origin);
	if (env && *env) {
		el__buf_puts(&pe->origin, "PYENV_VERSION");
		for (const char *p = env; *p;) {
			size_t len = strcspn(p, ":");

			if (len)
				add_version(pe, p, len);
			p += len + (p[len] == ':');
		}
		return;
	}
	found = dir && dir[0] == '/' && local_version_file(&pe->origin, pe, dir);
	if (!found && workdir && workdir[0] == '/')
		found = local_version_file(&pe->origin, pe, workdir);
	if (!found) {
		el__buf_reset(&pe->origin);
		el__buf_printf(&pe->origin, "%s/version", pe->pyenv_root.data);
	}
	read_version_file(pe, pe->origin.data);
}

/* sort -n's value of a field: its leading digits (saturating). */
static unsigned long long field_number(const char *s, size_t len)
{
	unsigned long long n = 0;

	for (size_t i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		n = n > (~0ULL - 9) / 10 ? ~0ULL : n * 10 + (unsigned)(s[i] - '0');
	return n;
}

/* The i-th '.'-separated field of s (0-based); length in *len. */
static const char *field(const char *s, int i, size_t *len)
{
	while (i-- > 0) {
		s = strchr(s, '.');
		if (!s) {
			*len = 0;
			return "";
		}
		s++;
	}
	*len = strcspn(s, ".");
	return s;
}

/*
 * pyenv-latest's sort key: "pypy3.9-7.3" reads as "pypy3.9.7.3..", other
 * names get "..." appended.
 */
static void sort_key(el__buf *out, const char *name)
{
	size_t alnum = 0;

	el__buf_reset(out);
	while ((name[alnum] >= '0' && name[alnum] <= '9') || (name[alnum] >= 'a' && name[alnum] <= 'z') ||
	       (name[alnum] >= 'A' && name[alnum] <= 'Z'))
		alnum++;
	if (alnum && name[alnum] == '-') {
		el__buf_add(out, name, alnum);
		el__buf_printf(out, ".%s..", name + alnum + 1);
	} else {
		el__buf_printf(out, "%s...", name);
	}
}

/* sort -t. -k1,1r -k2,2nr -k3,3nr -k4,4nr, then the whole line: < 0 when a goes first. */
static int latest_cmp(const char *a, const char *b)
{
	size_t alen, blen;
	const char *fa = field(a, 0, &alen), *fb = field(b, 0, &blen);
	int c = memcmp(fa, fb, alen < blen ? alen : blen);

	if (c == 0 && alen != blen)
		c = alen < blen ? -1 : 1;
	if (c)
		return -c;
	for (int i = 1; i <= 3; i++) {
		unsigned long long na, nb;

		fa = field(a, i, &alen);
		fb = field(b, i, &blen);
		na = field_number(fa, alen);
		nb = field_number(fb, blen);
		if (na != nb)
			return na > nb ? -1 : 1;
	}
	return strcmp(a, b);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A pre-release or a build pyenv-latest leaves out: -dev, -src, a1, rc2... */
static bool latest_excluded(const char *name, bool want_t)
{
	size_t n = strlen(name), d = n;

	if (ends_with(name, "-dev") || ends_with(name, "-src") || ends_with(name, "-latest"))
		return true;
	while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
		d--;
	if (d < n && ((d >= 1 && (name[d - 1] == 'a' || name[d - 1] == 'b')) ||
		      (d >= 2 && name[d - 2] == 'r' && name[d - 1] == 'c')))
		return true;
	return !want_t && n >= 2 && name[n - 1] == 't' && name[n - 2] >= '0' && name[n - 2] <= '9';
}

/* pyenv-latest: the newest installed version named prefix-... or prefix.... */
static bool latest(el__buf *out, pyenv *pe, const char *prefix)
{
	el__buf dir, key, best_key;
	size_t plen = strlen(prefix);
	bool want_t = false, found = false;
	struct dirent *de;
	DIR *d;

	if (plen >= 2 && prefix[plen - 1] == 't' && prefix[plen - 2] >= '0' && prefix[plen - 2] <= '9') {
		want_t = true;
		plen--;
	}
	el__buf_init(&dir);
	el__buf_init(&key);
	el__buf_init(&best_key);
	el__buf_printf(&dir, "%s/versions", pe->pyenv_root.data);
	el__root_path(&pe->host, pe->root, dir.data);
	d = opendir(pe->host.data);
	while (d && (de = readdir(d))) {
		const char *n = de->d_name;

		if (strncmp(n, prefix, plen) != 0 || (n[plen] != '-' && n[plen] != '.') ||
		    (want_t && !ends_with(n, "t")) || latest_excluded(n, want_t))
			continue;
		el__buf_reset(&key);
		el__buf_printf(&key, "%s/%s", dir.data, n);
		if (!is_dir_in_root(pe, key.data))
			continue;
		sort_key(&key, n);
		if (found && latest_cmp(key.data, best_key.data) >= 0)
			continue;
		el__buf_reset(&best_key);
		el__buf_puts(&best_key, key.data);
		el__buf_reset(out);
		el__buf_puts(out, n);
		found = true;
	}
	if (d)
		closedir(d);
	el__buf_free(&dir);
	el__buf_free(&key);
	el__buf_free(&best_key);
	return found;
}

static bool version_dir_exists(pyenv *pe, const char *name)
{
	el__buf path;
	bool ok;

	el__buf_init(&path);
	el__buf_printf(&path, "%s/versions/%s", pe->pyenv_root.data, name);
	ok = is_dir_in_root(pe, path.data);
	el__buf_free(&path);
	return ok;
}

/* pyenv-version-name -f, then pyenv-prefix: the directory name under versions/. */
static bool resolve_name(el__buf *out, pyenv *pe, const char *name)
{
	const char *bare = el__startswith(name, "python-") ? name + strlen("python-") : name;

	el__buf_reset(out);
	if (version_dir_exists(pe, name)) {
		el__buf_puts(out, name);
		return true;
	}
	if (version_dir_exists(pe, bare)) {
		el__buf_puts(out, bare);
		return true;
	}
	return latest(out, pe, name) || latest(out, pe, bare);
}

static int which_system(el__buf *out, pyenv *pe)
{
	el__buf shims;
	const char *skip[3];
	int ret;

	el__buf_init(&shims);
	el__buf_printf(&shims, "%s/shims", pe->pyenv_root.data);
	skip[0] = shims.data;
	skip[1] = pe->shim_dir;
	skip[2] = NULL;
	ret = el__which(out, pe->root, el__env_get(pe->env, "PATH"), pe->command, skip);
	el__buf_free(&shims);
	return ret;
}

/* pyenv-which: the selected versions in order, then "system". */
static int pick(el__buf *out, pyenv *pe)
{
	el__buf name;
	int ret = EL_ENOTFOUND;

	el__buf_init(&name);
	for (const char *v = pe->versions.data; v < pe->versions.data + pe->versions.len; v += strlen(v) + 1) {
		if (strcmp(v, "system") == 0) {
			if ((ret = which_system(out, pe)) == EL_OK)
				goto done;
			continue;
		}
		if (!resolve_name(&name, pe, v))
			continue;
		el__buf_reset(out);
		el__buf_printf(out, "%s/versions/%s/bin/%s", pe->pyenv_root.data, name.data, pe->command);
		el__root_path(&pe->host, pe->root, out->data);
		if (el__is_executable(pe->host.data)) {
			ret = EL_OK;
			goto done;
		}
	}
	ret = which_system(out, pe);
done:
	el__buf_free(&name);
	return ret;
}

static bool is_shim(pyenv *pe, el__buf *text, const char *path)
{
	el__root_path(&pe->host, pe->root, path);
	if (strcmp(el__basename(pe->shim_dir), "shims") != 0 ||
	    el__read_file(text, pe->host.data, SHIM_MAX_BYTES, false) != EL_OK)
		return false;
	return strlen(text->data) == text->len && strstr(text->data, "pyenv");
}

int el__pyenv_resolve(el__buf *out, bool *shim, const char *root, const char *path, const char *workdir,
		      const char *const *env)
{
	pyenv pe = { .root = root, .command = el__basename(path), .env = env };
	el__buf text, dir;
	int ret = EL_OK;

	*shim = false;
	el__buf_init(&text);
	el__buf_init(&dir);
	el__buf_init(&pe.pyenv_root);
	el__buf_init(&pe.versions);
	el__buf_init(&pe.origin);
	el__buf_init(&pe.host);
	el__buf_add(&dir, path, (size_t)(pe.command - path));
	while (dir.len > 1 && dir.data[dir.len - 1] == '/')
		dir.data[--dir.len] = '\0';
	pe.shim_dir = dir.data;
	if (!is_shim(&pe, &text, path))
		goto done;
	*shim = true;
	find_pyenv_root(&pe, text.data);
	select_versions(&pe, workdir);
	if (el__buf_failed(&pe.versions) || el__buf_failed(&pe.origin) || el__buf_failed(&pe.pyenv_root)) {
		ret = el__error_oom();
		goto done;
	}
	ret = pick(out, &pe);
	if (ret == EL_ENOTFOUND)
		ret = el__error(EL_ENOTFOUND, "%s: pyenv shim: no version selected by %s provides %s",
				path, pe.origin.data, pe.command);
done:
	el__buf_free(&text);
	el__buf_free(&dir);
	el__buf_free(&pe.pyenv_root);
	el__buf_free(&pe.versions);
	el__buf_free(&pe.origin);
	el__buf_free(&pe.host);
	return ret;
}
