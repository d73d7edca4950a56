/* SPDX-License-Identifier: Apache-2.0 */
#include "probe/probe.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lock/lock_internal.h"
#include "probe/python/frameworks.h"
#include "probe/python/pymetadata.h"
#include "probe/python/python_locate.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/parallel.h"
#include "util/sha256.h"
#include "util/text.h"

/*
 * The "frameworks" section: what the lock's interpreter would import as
 * torch, tensorflow, jax and the nvidia-* CUDA wheels, and the native
 * libraries they bundle. Everything comes from files on the interpreter's
 * search path (the directories the python probe reads); nothing is
 * imported or run. A package is taken from the first search-path entry
 * that holds its directory, as import would.
 *
 *   torch:      torch/version.py; the shared objects in torch/lib and torch/
 *   tensorflow: its dist-info version; build_info.py; every shared object
 *               under tensorflow/
 *   jax:        jax's and jaxlib's dist-info versions (jaxlib/version.py
 *               when jaxlib has none), the jax CUDA plugins' dist-infos,
 *               the shared objects under jaxlib/ and the plugins' packages
 *   nvidia:     per nvidia/<name> wheel, the version its header states
 *               (gpu.c's header parsers) or its versioned file name, and
 *               the shared objects in nvidia/<name>/lib; CUDA 13's merged
 *               nvidia/cu13 as one entry, plus the stack components in it
 *
 * Libraries are keyed by their path relative to the search-path entry and
 * hashed like the libraries section: through the stat cache, the misses
 * in parallel. A symlink (Debian's torch/lib points into /usr/lib) is
 * hashed as the file it resolves to inside the root.
 */

#define SECTION "frameworks"
#define WALK_DEPTH_MAX 12
#define VERSION_MAX 64

/* ---------------------------------------------------------------- parsers */

static bool ident_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool ident_char(char c)
{
	return ident_start(c) || (c >= '0' && c <= '9');
}

/* Spaces and tabs; newlines too when nl (inside brackets). */
static const char *ws(const char *p, const char *end, bool nl)
{
	while (p < end && (*p == ' ' || *p == '\t' || (nl && (*p == '\n' || *p == '\r'))))
		p++;
	return p;
}

/* Also a comment to the end of its line, when nl. */
static const char *ws_comments(const char *p, const char *end)
{
	for (;;) {
		p = ws(p, end, true);
		if (p >= end || *p != '#')
			return p;
		while (p < end && *p != '\n')
			p++;
	}
}

static bool word(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(end - p) >= n && memcmp(p, w, n) == 0 && (p + n == end || !ident_char(p[n]));
}

/* A quoted string without escapes on one line; NULL when p holds none. */
static const char *string_lit(const char *p, const char *end, json_t **out)
{
	const char *s;
	char q;

	*out = NULL;
	if (p >= end || (*p != '\'' && *p != '"'))
		return NULL;
	q = *p++;
	for (s = p; p < end && *p != q; p++)
		if (*p == '\\' || *p == '\n' || *p == '\r' || *p == '\0')
			return NULL;
	if (p >= end || !el__utf8_valid(s, (size_t)(p - s)))
		return NULL;
	/* ''' or """: a docstring, not a literal this parser takes. */
	if (p == s && p + 1 < end && p[1] == q)
		return NULL;
	*out = json_stringn(s, (size_t)(p - s));
	return *out ? p + 1 : NULL;
}

/* One literal (see frameworks.h) at p; the position after it, or NULL. */
static const char *literal(const char *p, const char *end, bool nl, json_t **out)
{
	*out = NULL;
	if (p < end && (*p == '\'' || *p == '"'))
		return string_lit(p, end, out);
	if (word(p, end, "True") || word(p, end, "False") || word(p, end, "None")) {
		*out = *p == 'T' ? json_true() : *p == 'F' ? json_false() : json_null();
		return p + (*p == 'T' ? 4 : *p == 'F' ? 5 : 4);
	}
	if (p < end && ((*p >= '0' && *p <= '9') || *p == '-')) {
		bool neg = *p == '-';
		long long v = 0;
		const char *d = p + neg;

		if (d >= end || *d < '0' || *d > '9')
			return NULL;
		for (; d < end && *d >= '0' && *d <= '9'; d++) {
			if (v > (1LL << 52))
				return NULL;
			v = v * 10 + (*d - '0');
		}
		/* 1.5, 1e3, 0x10, 10j: not a whole decimal number. */
		if (d < end && (*d == '.' || ident_char(*d)))
			return NULL;
		*out = json_integer(neg ? -v : v);
		return *out ? d : NULL;
	}
	if (p < end && *p == '[') {
		json_t *list = json_array(), *item;

		p = nl ? ws_comments(p + 1, end) : ws(p + 1, end, false);
		while (list && p < end && *p != ']') {
			p = string_lit(p, end, &item);
			if (!p || json_array_append_new(list, item))
				goto bad_list;
			p = nl ? ws_comments(p, end) : ws(p, end, false);
			if (p < end && *p == ',')
				p = nl ? ws_comments(p + 1, end) : ws(p + 1, end, false);
			else if (p < end && *p != ']')
				goto bad_list;
		}
		if (!list || p >= end)
			goto bad_list;
		*out = list;
		return p + 1;
bad_list:
		json_decref(list);
		return NULL;
	}
	return NULL;
}

/* Only a comment or nothing may follow a literal on its line. */
static bool line_ends(const char *p, const char *end)
{
	p = ws(p, end, false);
	return p >= end || *p == '#' || *p == '\r' || *p == '\n';
}

/*
 * One line: NAME [: ANNOTATION] = LITERAL, or NAME['KEY'] = LITERAL when
 * key is wanted. *name and *key point into the line (lengths in *nlen,
 * *klen; *key NULL without a subscript). False for anything else.
 */
static bool assignment(const char *p, const char *end, const char **name, size_t *nlen, json_t **key,
		       json_t **value)
{
	*key = *value = NULL;
	if (p >= end || !ident_start(*p))
		return false;
	*name = p;
	while (p < end && ident_char(*p))
		p++;
	*nlen = (size_t)(p - *name);
	p = ws(p, end, false);
	if (p < end && *p == '[') {
		p = string_lit(ws(p + 1, end, false), end, key);
		if (!p)
			return false;
		p = ws(p, end, false);
		if (p >= end || *p != ']')
			goto bad;
		p = ws(p + 1, end, false);
	} else if (p < end && *p == ':') {
		/* An annotation: dotted names and subscripts only ("Optional[str]"). */
		for (p++; p < end && *p != '='; p++)
			if (!ident_char(*p) && !strchr(" \t.[],", *p))
				return false;
	}
	if (p >= end || *p != '=' || (p + 1 < end && p[1] == '='))
		goto bad;
	p = literal(ws(p + 1, end, false), end, false, value);
	if (!p || !line_ends(p, end))
		goto bad;
	return true;
bad:
	json_decref(*key);
	json_decref(*value);
	*key = *value = NULL;
	return false;
}

/*
 * The next line of text after *line (NULL: the first), in [*line, *lend);
 * false at the end. Lines longer than EL_PYLIT_LINE_MAX come back empty.
 */
static bool next_line(const char *text, size_t len, const char **line, const char **lend)
{
	const char *end = text + len, *p = *line ? *lend + (*lend < end) : text;

	if (*line && *lend >= end)
		return false;
	*line = p;
	*lend = memchr(p, '\n', (size_t)(end - p));
	if (!*lend)
		*lend = end;
	if ((size_t)(*lend - p) > EL_PYLIT_LINE_MAX)
		*line = *lend;
	return true;
}

int el__py_assignments(json_t **out, const char *text, size_t len)
{
	json_t *obj = json_object();

	*out = NULL;
	if (!obj)
		return el__error_oom();
	for (const char *line = NULL, *lend = NULL; next_line(text, len, &line, &lend);) {
		const char *name;
		size_t nlen;
		json_t *key, *value;
		char buf[256];

		if (!assignment(line, lend, &name, &nlen, &key, &value))
			continue;
		if (!key && nlen < sizeof(buf)) {
			memcpy(buf, name, nlen);
			buf[nlen] = '\0';
			if (json_object_set_new(obj, buf, value)) {
				json_decref(obj);
				return el__error_oom();
			}
			value = NULL;
		}
		json_decref(key);
		json_decref(value);
	}
	*out = obj;
	return EL_OK;
}

/* The pairs of a dict display after its '{'; stops at the first that is no literal. */
static int dict_display(json_t *obj, const char *p, const char *end)
{
	for (p = ws_comments(p, end); p < end && *p != '}';) {
		json_t *key = NULL, *value = NULL;

		p = string_lit(p, end, &key);
		if (p)
			p = ws_comments(p, end);
		if (p && p < end && *p == ':')
			p = literal(ws_comments(p + 1, end), end, true, &value);
		else
			p = NULL;
		if (!p) {
			json_decref(key);
			json_decref(value);
			break;
		}
		if (!json_is_null(value) && json_object_set_new(obj, json_string_value(key), value)) {
			json_decref(key);
			return el__error_oom();
		}
		if (json_is_null(value))
			json_decref(value);
		json_decref(key);
		p = ws_comments(p, end);
		if (p < end && *p == ',')
			p = ws_comments(p + 1, end);
		else if (p < end && *p != '}')
			break;
	}
	return EL_OK;
}

int el__tf_build_info(json_t **out, const char *text, size_t len)
{
	json_t *obj = json_object();
	int ret = obj ? EL_OK : el__error_oom();

	*out = NULL;
	for (const char *line = NULL, *lend = NULL; ret == EL_OK && next_line(text, len, &line, &lend);) {
		const char *name, *p;
		size_t nlen;
		json_t *key, *value;

		if (word(line, lend, "build_info")) {
			/* build_info = { ...: the display may run over many lines. */
			p = ws(line + 10, lend, false);
			if (p < lend && *p == '=' && (p = ws(p + 1, lend, false)) < lend && *p == '{') {
				ret = dict_display(obj, p + 1, text + len);
				continue;
			}
		}
		if (!assignment(line, lend, &name, &nlen, &key, &value))
			continue;
		if (key && nlen == 10 && memcmp(name, "build_info", 10) == 0) {
			if (json_is_null(value))
				json_object_del(obj, json_string_value(key));
			else if (json_object_set(obj, json_string_value(key), value))
				ret = el__error_oom();
		}
		json_decref(key);
		json_decref(value);
	}
	if (ret != EL_OK) {
		json_decref(obj);
		return ret;
	}
	*out = obj;
	return EL_OK;
}

/* ---------------------------------------------------------------- libraries */

/* A bundled library waiting for its hash. */
struct lib {
	char *host;       /* the real file, root prefix included */
	char *rel;        /* its key: the path relative to the search-path entry */
	json_t *libraries; /* borrowed: the map it goes into */
};

/* Read by the hashing threads: no allocation, no shared state. */
struct job {
	const char *host;
	char hex[EL_SHA256_HEX];
	struct stat st;
	int rc; /* EL_OK, 1 (not ELF), or an error */
	char error[256];
};

typedef struct fw {
	el__probe_ctx *ctx;
	struct lib *libs;
	size_t nlibs, cap;
	size_t visited;  /* directory entries walked, against WALK_ENTRIES_MAX */
	bool said_cut;   /* the walk's bound was said */
	el__buf host, rel, real, scratch; /* scratch */
} fw;

/* More entries than any framework's installation has (TensorFlow's is about 15,000). */
#define WALK_ENTRIES_MAX 200000

/*
 * Whether no directory from site down to site/reldir is a symbolic link:
 * the walks are of the package's own tree, and a link planted there (a
 * venv in a job's working directory) must not send a root capture
 * through "/". The site directory itself may be one (lib64 -> lib).
 */
static bool no_link_below_site(fw *f, const char *site, const char *reldir)
{
	el__buf path, host;
	struct stat st;
	bool ok = true;

	el__buf_init(&path);
	el__buf_init(&host);
	for (const char *p = reldir; ok && *p;) {
		size_t n = strcspn(p, "/");

		el__buf_reset(&path);
		el__buf_reset(&host);
		el__buf_printf(&path, "%s/%.*s", site, (int)(p - reldir + (ptrdiff_t)n), reldir);
		el__root_path(&host, f->ctx->root, path.data);
		ok = !el__buf_failed(&host) && lstat(host.data, &st) == 0 && S_ISDIR(st.st_mode);
		p += n;
		p += *p == '/';
	}
	el__buf_free(&path);
	el__buf_free(&host);
	return ok;
}

static bool shared_object_name(const char *name)
{
	const char *so = strstr(name, ".so");

	if (!so || so == name)
		return false;
	for (;;) {
		const char *rest = so + 3;

		if (*rest == '\0')
			return true;
		if (*rest == '.') {
			/* .so.2, .so.9.1.0 */
			for (rest++; *rest; rest++)
				if ((*rest < '0' || *rest > '9') && *rest != '.')
					break;
			if (*rest == '\0')
				return true;
		}
		if (!(so = strstr(so + 3, ".so")))
			return false;
	}
}

static int lib_add(fw *f, const char *site, const char *rel, json_t *libraries)
{
	struct lib *l;
	el__buf abs;
	int ret;

	if (!el__utf8_valid(rel, strlen(rel))) {
		el__warn(f->ctx, SECTION, "a library whose path is not UTF-8 is left out");
		return EL_OK;
	}
	el__buf_init(&abs);
	el__buf_printf(&abs, "%s/%s", site, rel);
	ret = el__resolve_in_root(&f->real, f->ctx->root, abs.data);
	el__buf_free(&abs);
	if (ret == EL_ENOMEM)
		return ret;
	/* A dangling link (Debian's torch/lib names packages not installed) is nothing a run can load. */
	if (ret == EL_ENOTFOUND)
		return EL_OK;
	if (ret != EL_OK) {
		el__warn(f->ctx, SECTION, "%s/%s: left out: %s", site, rel, el_error_last());
		return EL_OK;
	}
	if (f->nlibs == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		struct lib *v = realloc(f->libs, cap * sizeof(*v));

		if (!v)
			return el__error_oom();
		f->libs = v;
		f->cap = cap;
	}
	el__root_path(&f->host, f->ctx->root, f->real.data);
	l = &f->libs[f->nlibs];
	l->host = strdup(f->host.data);
	l->rel = strdup(rel);
	l->libraries = libraries;
	if (!l->host || !l->rel || el__buf_failed(&f->host)) {
		free(l->host);
		free(l->rel);
		return el__error_oom();
	}
	f->nlibs++;
	return EL_OK;
}

/*
 * The shared objects in site/reldir, and below it when depth > 0. Symlinked
 * directories are not followed (a wheel has none; a link could lead out).
 */
static int walk(fw *f, const char *site, const char *reldir, int depth, json_t *libraries)
{
	el__buf dir, rel;
	struct dirent *de;
	DIR *d;
	int ret = EL_OK;

	el__buf_init(&dir);
	el__buf_init(&rel);
	el__buf_printf(&dir, "%s/%s", site, reldir);
	el__root_path(&f->host, f->ctx->root, dir.data);
	d = el__buf_failed(&f->host) || !no_link_below_site(f, site, reldir) ? NULL : opendir(f->host.data);
	if (!d)
		goto done;
	while (ret == EL_OK && (de = readdir(d))) {
		unsigned char type = de->d_type;

		if (++f->visited > WALK_ENTRIES_MAX) {
			if (!f->said_cut)
				el__warn(f->ctx, "frameworks", "more than %d files under the frameworks' directories: the rest "
					 "are not looked at", WALK_ENTRIES_MAX);
			f->said_cut = true;
			break;
		}

		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (type == DT_UNKNOWN) {
			struct stat st;

			type = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ? DT_UNKNOWN
			       : S_ISDIR(st.st_mode)				     ? DT_DIR
			       : S_ISLNK(st.st_mode)				     ? DT_LNK
			       : S_ISREG(st.st_mode)				     ? DT_REG
										     : DT_UNKNOWN;
		}
		el__buf_reset(&rel);
		el__buf_printf(&rel, "%s/%s", reldir, de->d_name);
		if (el__buf_failed(&rel)) {
			ret = el__error_oom();
		} else if (type == DT_DIR) {
			if (depth > 0 && strcmp(de->d_name, "__pycache__") != 0 && strcmp(de->d_name, "include") != 0)
				ret = walk(f, site, rel.data, depth - 1, libraries);
		} else if ((type == DT_REG || type == DT_LNK) && shared_object_name(de->d_name)) {
			ret = lib_add(f, site, rel.data, libraries);
		}
	}
	closedir(d);
done:
	el__buf_free(&dir);
	el__buf_free(&rel);
	return ret;
}

static bool elf_magic(const char *host)
{
	unsigned char magic[4];
	int fd = open(host, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	bool elf;

	if (fd < 0)
		return false;
	elf = pread(fd, magic, 4, 0) == 4 && memcmp(magic, "\177ELF", 4) == 0;
	close(fd);
	return elf;
}

static void hash_one(void *data, size_t i)
{
	struct job *j = &((struct job *)data)[i];

	if (!elf_magic(j->host)) {
		/* Not ELF (a linker script named .so), or unreadable: the hash says which. */
		if (stat(j->host, &j->st) == 0 && S_ISREG(j->st.st_mode) && access(j->host, R_OK) == 0) {
			j->rc = 1;
			return;
		}
	}
	j->rc = el__sha256_file(j->hex, &j->st, j->host);
	if (j->rc != EL_OK)
		snprintf(j->error, sizeof(j->error), "%s", el_error_last());
}

static int set_sha256(const struct lib *l, const char *hex)
{
	json_t *entry = json_pack("{s:s}", "sha256", hex);

	if (!entry || json_object_set_new(l->libraries, l->rel, entry))
		return el__error_oom();
	return EL_OK;
}

/*
 * A warm capture costs a stat per library: torch/lib and the CUDA wheels
 * are gigabytes. What is not ELF is remembered too, so it is not opened
 * again while unchanged.
 */
static int hash_libs(fw *f)
{
	struct job *jobs = calloc(f->nlibs ? f->nlibs : 1, sizeof(*jobs));
	size_t *owner = calloc(f->nlibs ? f->nlibs : 1, sizeof(*owner));
	size_t n = 0;
	int ret = EL_OK;

	if (!jobs || !owner) {
		ret = el__error_oom();
		goto done;
	}
	for (size_t i = 0; i < f->nlibs && ret == EL_OK; i++) {
		struct stat st;
		json_t *hit = NULL;

		if (stat(f->libs[i].host, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (json_is_string(hit = el__cache_get(f->ctx->cache, "sha256", f->libs[i].host, &st))) {
			ret = set_sha256(&f->libs[i], json_string_value(hit));
			continue;
		}
		if (json_is_true(el__cache_get(f->ctx->cache, "not-elf", f->libs[i].host, &st)))
			continue;
		jobs[n].host = f->libs[i].host;
		owner[n++] = i;
	}
	if (ret == EL_OK && n)
		el__parallel_for(n, 0, hash_one, jobs);
	for (size_t j = 0; ret == EL_OK && j < n; j++) {
		const struct lib *l = &f->libs[owner[j]];

		if (jobs[j].rc == 1) {
			el__cache_put(f->ctx->cache, "not-elf", l->host, &jobs[j].st, json_true());
		} else if (jobs[j].rc != EL_OK) {
			el__warn(f->ctx, SECTION, "%s: sha256 left out: %s", l->rel, jobs[j].error);
		} else {
			ret = set_sha256(l, jobs[j].hex);
			el__cache_put(f->ctx->cache, "sha256", l->host, &jobs[j].st, json_string(jobs[j].hex));
		}
	}
done:
	free(jobs);
	free(owner);
	return ret;
}

/* ---------------------------------------------------------------- packages */

/* The first search-path entry holding directory name, or NULL. */
static const char *site_of(fw *f, const el__python *py, const char *name)
{
	struct stat st;

	for (size_t i = 0; i < py->npaths; i++) {
		if (py->paths[i][0] != '/')
			continue;
		el__buf_reset(&f->host);
		el__buf_printf(&f->host, "%s%s/%s", f->ctx->root, py->paths[i], name);
		if (!el__buf_failed(&f->host) && stat(f->host.data, &st) == 0 && S_ISDIR(st.st_mode))
			return py->paths[i];
	}
	return NULL;
}

/* A small file of site/rel into f->scratch; false when absent or too large (warned). */
static bool read_small(fw *f, const char *site, const char *rel)
{
	el__buf abs;
	int ret;

	el__buf_init(&abs);
	el__buf_printf(&abs, "%s/%s", site, rel);
	el__root_path(&f->host, f->ctx->root, abs.data);
	ret = el__read_file(&f->scratch, f->host.data, EL_PYLIT_FILE_MAX, false);
	if (ret != EL_OK && ret != EL_ENOTFOUND)
		el__warn(f->ctx, SECTION, "%s", el_error_last());
	el__buf_free(&abs);
	return ret == EL_OK;
}

/*
 * The Version of the distribution whose dist-info directory in site starts
 * with one of prefixes ("jax-"), the one pip would list first (sorted
 * names). Into out; false when there is none.
 */
static bool dist_version(fw *f, const char *site, const char *prefix, char *name_out, size_t name_size, char *out,
			 size_t size)
{
	struct dirent *de;
	char *best = NULL;
	el__pymeta m = { 0 };
	el__buf rel;
	DIR *d;
	bool ok = false;

	el__root_path(&f->host, f->ctx->root, site);
	if (el__buf_failed(&f->host) || !(d = opendir(f->host.data)))
		return false;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len > 10 && strcmp(de->d_name + len - 10, ".dist-info") == 0 &&
		    strncasecmp(de->d_name, prefix, strlen(prefix)) == 0 && (!best || strcmp(de->d_name, best) < 0)) {
			free(best);
			best = strdup(de->d_name);
		}
	}
	el__buf_init(&rel);
	if (best) {
		el__buf_printf(&rel, "%s/METADATA", best);
		if (!el__buf_failed(&rel) && el__pymeta_read_at(&m, dirfd(d), rel.data, rel.data) == EL_OK &&
		    m.version && el__utf8_valid(m.version, strlen(m.version))) {
			snprintf(out, size, "%s", m.version);
			if (name_out)
				snprintf(name_out, name_size, "%s", m.name && el__utf8_valid(m.name, strlen(m.name)) ? m.name : "");
			ok = true;
		}
	}
	el__pymeta_free(&m);
	el__buf_free(&rel);
	free(best);
	closedir(d);
	return ok;
}

static int set_text(json_t *obj, const char *key, const char *value)
{
	int ret = el__json_set_text(obj, key, value);

	return ret == EL_ENOMEM ? ret : EL_OK;
}

/* A "libraries" map for obj, filled once the hashes are known (dropped when empty). */
static json_t *libraries_of(json_t *obj)
{
	json_t *libs = json_object();

	if (!libs || json_object_set_new(obj, "libraries", libs))
		return NULL;
	return libs;
}

static int torch(fw *f, const el__python *py, json_t *section)
{
	static const char *const strings[] = { "cuda", "hip", "git_version" };
	const char *site = site_of(f, py, "torch");
	json_t *obj, *vars = NULL, *v, *libs;
	int ret = EL_OK;

	if (!site)
		return EL_OK;
	if (!(obj = json_object()) || json_object_set_new(section, "torch", obj))
		return el__error_oom();
	if (read_small(f, site, "torch/version.py")) {
		if ((ret = el__py_assignments(&vars, f->scratch.data, f->scratch.len)) != EL_OK)
			return ret;
		if (json_is_string(v = json_object_get(vars, "__version__")))
			ret = set_text(obj, "version", json_string_value(v));
		for (size_t i = 0; ret == EL_OK && i < sizeof(strings) / sizeof(*strings); i++)
			if (json_is_string(v = json_object_get(vars, strings[i])))
				ret = set_text(obj, strings[i], json_string_value(v));
		if (ret == EL_OK && json_is_boolean(v = json_object_get(vars, "debug")) &&
		    json_object_set(obj, "debug", v))
			ret = el__error_oom();
		json_decref(vars);
	}
	if (ret == EL_OK && !(libs = libraries_of(obj)))
		ret = el__error_oom();
	if (ret == EL_OK)
		ret = walk(f, site, "torch/lib", 0, libs);
	if (ret == EL_OK)
		ret = walk(f, site, "torch", 0, libs);
	return ret;
}

static bool tf_dist(fw *f, const char *site, char *out, size_t size)
{
	static const char *const names[] = { "tensorflow-", "tensorflow_cpu-", "tensorflow_gpu-",
					     "tensorflow_intel-", "tf_nightly-" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (dist_version(f, site, names[i], NULL, 0, out, size))
			return true;
	return false;
}

static int tensorflow(fw *f, const el__python *py, json_t *section)
{
	const char *site = site_of(f, py, "tensorflow");
	char version[VERSION_MAX];
	json_t *obj, *info = NULL, *libs;
	int ret = EL_OK;

	if (!site)
		return EL_OK;
	if (!(obj = json_object()) || json_object_set_new(section, "tensorflow", obj))
		return el__error_oom();
	if (tf_dist(f, site, version, sizeof(version)))
		ret = set_text(obj, "version", version);
	if (ret == EL_OK && read_small(f, site, "tensorflow/python/platform/build_info.py")) {
		ret = el__tf_build_info(&info, f->scratch.data, f->scratch.len);
		if (ret == EL_OK && json_object_size(info) && json_object_set(obj, "build_info", info))
			ret = el__error_oom();
		json_decref(info);
	}
	if (ret == EL_OK && !(libs = libraries_of(obj)))
		ret = el__error_oom();
	if (ret == EL_OK)
		ret = walk(f, site, "tensorflow", WALK_DEPTH_MAX, libs);
	return ret;
}

/* jax_cuda12_plugin, jax_cuda12_pjrt (and cuda11, cuda13): the plugin's dist-infos. */
static int jax_plugins(fw *f, const char *site, json_t *obj)
{
	static const char *const plugins[] = { "jax_cuda11_plugin-", "jax_cuda11_pjrt-", "jax_cuda12_plugin-",
					       "jax_cuda12_pjrt-",   "jax_cuda13_plugin-", "jax_cuda13_pjrt-" };
	char name[128], version[VERSION_MAX], key[128];
	json_t *map = json_object();
	int ret = map ? EL_OK : el__error_oom();

	for (size_t i = 0; ret == EL_OK && i < sizeof(plugins) / sizeof(*plugins); i++) {
		if (!dist_version(f, site, plugins[i], name, sizeof(name), version, sizeof(version)))
			continue;
		/* The PEP 503 name pip lists: "jax-cuda12-plugin". */
		snprintf(key, sizeof(key), "%.*s", (int)strlen(plugins[i]) - 1, plugins[i]);
		for (char *c = key; *c; c++)
			if (*c == '_')
				*c = '-';
		ret = set_text(map, key, version);
	}
	if (ret == EL_OK && json_object_size(map) && json_object_set(obj, "plugins", map))
		ret = el__error_oom();
	json_decref(map);
	return ret;
}

static int jax(fw *f, const el__python *py, json_t *section)
{
	static const char *const plugin_dirs[] = { "jax_plugins", "jax_cuda12_plugin", "jax_cuda13_plugin",
						   "jax_cuda11_plugin" };
	const char *jax_site = site_of(f, py, "jax"), *lib_site = site_of(f, py, "jaxlib"), *site;
	char version[VERSION_MAX];
	json_t *obj, *vars = NULL, *v, *libs;
	int ret = EL_OK;

	if (!jax_site && !lib_site)
		return EL_OK;
	if (!(obj = json_object()) || json_object_set_new(section, "jax", obj))
		return el__error_oom();
	if (jax_site && dist_version(f, jax_site, "jax-", NULL, 0, version, sizeof(version)))
		ret = set_text(obj, "version", version);
	if (ret == EL_OK && lib_site) {
		if (dist_version(f, lib_site, "jaxlib-", NULL, 0, version, sizeof(version))) {
			ret = set_text(obj, "jaxlib", version);
		} else if (read_small(f, lib_site, "jaxlib/version.py")) {
			ret = el__py_assignments(&vars, f->scratch.data, f->scratch.len);
			if (ret == EL_OK && (json_is_string(v = json_object_get(vars, "__version__")) ||
					     json_is_string(v = json_object_get(vars, "_version"))))
				ret = set_text(obj, "jaxlib", json_string_value(v));
			json_decref(vars);
		}
	}
	site = lib_site ? lib_site : jax_site;
	if (ret == EL_OK)
		ret = jax_plugins(f, site, obj);
	if (ret == EL_OK && !(libs = libraries_of(obj)))
		ret = el__error_oom();
	if (ret == EL_OK && lib_site)
		ret = walk(f, lib_site, "jaxlib", WALK_DEPTH_MAX, libs);
	for (size_t i = 0; ret == EL_OK && i < sizeof(plugin_dirs) / sizeof(*plugin_dirs); i++) {
		const char *s = site_of(f, py, plugin_dirs[i]);

		if (s)
			ret = walk(f, s, plugin_dirs[i], WALK_DEPTH_MAX, libs);
	}
	return ret;
}

/*
 * The version a wheel's versioned file names say: the longest ".so.N[.N...]"
 * suffix of its libraries (libcudnn.so.9 -> "9", libcudnn.so.9.1.0 -> 9.1.0),
 * of those whose name starts with stem when stem is given.
 */
static void name_version(const fw *f, size_t from, const char *stem, char *out, size_t size, long *major)
{
	size_t best = 0;

	out[0] = '\0';
	*major = -1;
	for (size_t i = from; i < f->nlibs; i++) {
		const char *base = el__basename(f->libs[i].rel), *so = strstr(base, ".so.");

		if (stem && strncmp(base, stem, strlen(stem)) != 0)
			continue;
		if (!so || strspn(so + 4, "0123456789.") != strlen(so + 4) || strlen(so + 4) <= best ||
		    so[4] < '0' || so[4] > '9')
			continue;
		best = strlen(so + 4);
		snprintf(out, size, "%s", so + 4);
		*major = strtol(so + 4, NULL, 10);
	}
}

/*
 * The version of component key (a gpu.c key, "cublas") among the libraries
 * walked since first: the header in include states it for the major the
 * file names carry (a header of any major when they carry none), else the
 * longest versioned file name. Empty when neither says.
 */
static void component_version(fw *f, size_t first, const char *key, const char *stem, const char *include,
			      char *out, size_t size)
{
	char from_name[VERSION_MAX];
	long major;

	name_version(f, first, stem, from_name, sizeof(from_name), &major);
	if (el__gpu_header_version(f->ctx, key, include, major, out, size) ||
	    (major < 0 && el__gpu_header_version(f->ctx, key, include, -1, out, size)))
		return;
	snprintf(out, size, "%s", from_name);
}

/*
 * nvidia.<name> for the directory nvidia/<name> of site: a new entry *obj
 * with the shared objects of its lib/ (from f->libs[*first] on), and the
 * path of its include/ in include. EL_OK with *obj NULL when an earlier
 * entry holds the name.
 */
static int wheel_dir(fw *f, const char *site, const char *name, json_t *nvidia, json_t **obj, size_t *first,
		     el__buf *include)
{
	json_t *libs;
	el__buf rel;
	int ret;

	*obj = NULL;
	*first = f->nlibs;
	if (json_object_get(nvidia, name) || !el__utf8_valid(name, strlen(name)))
		return EL_OK;
	if (!(*obj = json_object()) || json_object_set_new(nvidia, name, *obj) || !(libs = libraries_of(*obj)))
		return el__error_oom();
	el__buf_init(&rel);
	el__buf_printf(&rel, "nvidia/%s/lib", name);
	el__buf_printf(include, "%s/nvidia/%s/include", site, name);
	ret = el__buf_failed(&rel) || el__buf_failed(include) ? el__error_oom() : walk(f, site, rel.data, 0, libs);
	el__buf_free(&rel);
	return ret;
}

static int nvidia_wheel(fw *f, const char *site, const char *name, json_t *nvidia)
{
	char version[VERSION_MAX];
	json_t *obj;
	el__buf include;
	size_t first;
	int ret;

	el__buf_init(&include);
	ret = wheel_dir(f, site, name, nvidia, &obj, &first, &include);
	if (ret == EL_OK && obj) {
		/* The header is the wheel's own: it states the version for whatever major. */
		component_version(f, first, name, NULL, include.data, version, sizeof(version));
		if (version[0])
			ret = set_text(obj, "version", version);
	}
	el__buf_free(&include);
	return ret;
}

/* "cu13": the directory CUDA 13's wheels share (nvidia/cu13/lib, nvidia/cu13/include). */
static bool merged_tree_name(const char *name)
{
	return name[0] == 'c' && name[1] == 'u' && name[2] && strspn(name + 2, "0123456789") == strlen(name + 2);
}

/*
 * A merged tree: since CUDA 13 the runtime, cuBLAS and the other toolkit
 * wheels install into one nvidia/cuNN (cuDNN and NCCL keep their own
 * directories). Its libraries are locked under nvidia.cuNN, versioned by
 * the CUDA runtime its headers state (else NN); each stack component it
 * holds that no wheel of its own has named also gets nvidia.<component>
 * with its version, so that gpu.cublas and gpu.cuda_runtime describe it.
 */
static int nvidia_merged(fw *f, const char *site, const char *name, json_t *nvidia)
{
	char version[VERSION_MAX];
	json_t *obj;
	el__buf include;
	size_t first;
	int ret;

	el__buf_init(&include);
	ret = wheel_dir(f, site, name, nvidia, &obj, &first, &include);
	if (ret != EL_OK || !obj) {
		el__buf_free(&include);
		return ret;
	}
	if (!el__gpu_header_version(f->ctx, "cuda_runtime", include.data, strtol(name + 2, NULL, 10), version,
				    sizeof(version)))
		snprintf(version, sizeof(version), "%s", name + 2);
	ret = set_text(obj, "version", version);
	for (const char *const *k = el__gpu_stack_keys; ret == EL_OK && *k; k++) {
		const char *stem = el__gpu_component_stem(*k);
		json_t *component;

		if (json_object_get(nvidia, *k) || !stem)
			continue;
		component_version(f, first, *k, stem, include.data, version, sizeof(version));
		if (!version[0])
			continue;
		if (!(component = json_object()) || json_object_set_new(nvidia, *k, component))
			ret = el__error_oom();
		else
			ret = set_text(component, "version", version);
	}
	el__buf_free(&include);
	return ret;
}

/* The wheels in one search-path entry's nvidia/: their own directories first, then the merged trees. */
static int nvidia_dir(fw *f, const char *site, DIR *d, json_t *section, json_t **obj)
{
	int ret = EL_OK;

	for (int merged = 0; ret == EL_OK && merged < 2; merged++) {
		struct dirent *de;

		rewinddir(d);
		while (ret == EL_OK && (de = readdir(d))) {
			struct stat st;

			if (de->d_name[0] == '.' || de->d_name[0] == '_' || merged_tree_name(de->d_name) != merged ||
			    fstatat(dirfd(d), de->d_name, &st, 0) != 0 || !S_ISDIR(st.st_mode))
				continue;
			if (!*obj && (!(*obj = json_object()) || json_object_set_new(section, "nvidia", *obj)))
				ret = el__error_oom();
			else if (merged)
				ret = nvidia_merged(f, site, de->d_name, *obj);
			else
				ret = nvidia_wheel(f, site, de->d_name, *obj);
		}
	}
	return ret;
}

static int nvidia(fw *f, const el__python *py, json_t *section)
{
	json_t *obj = NULL;
	int ret = EL_OK;

	/* A namespace package: its wheels may sit in different entries; the first of each name wins. */
	for (size_t i = 0; ret == EL_OK && i < py->npaths; i++) {
		el__buf dir;
		DIR *d;

		if (py->paths[i][0] != '/')
			continue;
		el__buf_init(&dir);
		el__buf_printf(&dir, "%s/nvidia", py->paths[i]);
		el__root_path(&f->host, f->ctx->root, dir.data);
		el__buf_free(&dir);
		if (el__buf_failed(&f->host) || !(d = opendir(f->host.data)))
			continue;
		ret = nvidia_dir(f, py->paths[i], d, section, &obj);
		closedir(d);
	}
	return ret;
}

/* Empty "libraries" maps go: a component that is not there is an absent key. */
static void prune(json_t *section)
{
	const char *key, *k2;
	json_t *v, *w;

	json_object_foreach(section, key, v) {
		if (strcmp(key, "nvidia") == 0) {
			json_object_foreach(v, k2, w)
				if (json_object_size(json_object_get(w, "libraries")) == 0)
					json_object_del(w, "libraries");
		} else if (json_object_size(json_object_get(v, "libraries")) == 0) {
			json_object_del(v, "libraries");
		}
	}
}

int el__probe_frameworks(el__probe_ctx *ctx, json_t **section)
{
	const el__python *py;
	fw f = { .ctx = ctx };
	json_t *obj;
	int ret;

	*section = NULL;
	ret = el__probe_python_locate(ctx, &py);
	/* No interpreter, or one that fails: the python probe has said so already. */
	if (ret != EL_OK)
		return ret == EL_ENOMEM ? ret : EL__PROBE_ABSENT;
	if (!(obj = json_object()))
		return el__error_oom();
	el__buf_init(&f.host);
	el__buf_init(&f.rel);
	el__buf_init(&f.real);
	el__buf_init(&f.scratch);
	ret = torch(&f, py, obj);
	if (ret == EL_OK)
		ret = tensorflow(&f, py, obj);
	if (ret == EL_OK)
		ret = jax(&f, py, obj);
	if (ret == EL_OK)
		ret = nvidia(&f, py, obj);
	if (ret == EL_OK)
		ret = hash_libs(&f);
	if (ret == EL_OK)
		prune(obj);
	for (size_t i = 0; i < f.nlibs; i++) {
		free(f.libs[i].host);
		free(f.libs[i].rel);
	}
	free(f.libs);
	el__buf_free(&f.host);
	el__buf_free(&f.rel);
	el__buf_free(&f.real);
	el__buf_free(&f.scratch);
	if (ret == EL_OK && json_object_size(obj) == 0)
		ret = EL__PROBE_ABSENT;
	if (ret != EL_OK) {
		json_decref(obj);
		return ret;
	}
	*section = obj;
	return EL_OK;
}
