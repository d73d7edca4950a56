/* SPDX-License-Identifier: Apache-2.0 */
#include "probe/probe.h"

#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "probe/libraries/dlversion.h"
#include "probe/libraries/ldcache.h"
#include "lock/lock_internal.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sha256.h"
#include "util/text.h"

#define NO_DL_QUERY (-1)

/*
 * The libraries that change a training run's numbers. An exact name is
 * looked up as is; a prefix ("libcudart.so.") stands for every version the
 * loader knows, since two CUDA runtimes can sit side by side.
 */
static const struct wanted {
	const char *name;
	bool prefix;
	bool glibc; /* part of glibc: its version is glibc's */
	int dl;     /* el__dl_query for the library's own version call */
} wanted[] = {
	{ "libc.so.6", false, true, NO_DL_QUERY },
	{ "libm.so.6", false, true, NO_DL_QUERY },
	{ "libstdc++.so.6", false, false, NO_DL_QUERY },
	{ "libgomp.so.1", false, false, NO_DL_QUERY },
	{ "libnvidia-ml.so.1", false, false, EL_DL_NVML_DRIVER },
	{ "libcuda.so.1", false, false, EL_DL_CUDA_DRIVER },
	{ "libblas.so.", true, false, NO_DL_QUERY },
	{ "libcblas.so.", true, false, NO_DL_QUERY },
	{ "liblapack.so.", true, false, NO_DL_QUERY },
	{ "libopenblas.so.", true, false, NO_DL_QUERY },
	{ "libmkl_rt.so.", true, false, NO_DL_QUERY },
	{ "libcudart.so.", true, false, EL_DL_CUDART },
	{ "libcublas.so.", true, false, EL_DL_CUBLAS },
	{ "libcublasLt.so.", true, false, EL_DL_CUBLASLT },
	{ "libcudnn.so.", true, false, EL_DL_CUDNN },
	{ "libnccl.so.", true, false, EL_DL_NCCL },
};

/* A library found, waiting for its hash. */
struct found {
	char *soname;
	char *host;    /* the real file, root prefix included */
	json_t *entry; /* borrowed: the section owns it */
};

struct found_list {
	struct found *v;
	size_t n, cap;
};

static bool dotted_digits(const char *s)
{
	bool digit = false;

	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digit = true;
		else if (*s == '.' && digit)
			digit = false;
		else
			return false;
	}
	return digit;
}

/*
 * What the file name says: libstdc++.so.6 resolves to libstdc++.so.6.0.30,
 * libnvidia-ml.so.1 to libnvidia-ml.so.550.54.15. The stem must be the
 * soname's own, so that libblas.so.3 resolving to libopenblas.so.0 does not
 * pass off OpenBLAS's "0" as a version.
 */
static bool version_from_name(char *out, size_t size, const char *soname, const char *path)
{
	const char *so = strstr(soname, ".so.");
	const char *base = el__basename(path);
	size_t stem;

	if (!so || strlen(base) <= strlen(soname))
		return false;
	stem = (size_t)(so - soname) + 4;
	if (strncmp(base, soname, stem) != 0 || !dotted_digits(base + stem))
		return false;
	snprintf(out, size, "%s", base + stem);
	return true;
}

/* The version to lock, or false when nothing says it (the sha256 still pins the file). */
static bool find_version(el__probe_ctx *ctx, const struct wanted *w, const char *soname,
			 const char *path, char *out, size_t size)
{
	int ret;

	if (version_from_name(out, size, soname, path))
		return true;
	if (w->glibc && el__ctx_is_host(ctx)) {
		snprintf(out, size, "%s", gnu_get_libc_version());
		return true;
	}
	if (w->dl == NO_DL_QUERY)
		return false;
	ret = el__dl_version(ctx, path, (el__dl_query)w->dl, out, size);
	if (ret != EL_OK && ret != EL_ENOTFOUND)
		el__warn(ctx, "libraries", "%s: version left out: %s", soname, el_error_last());
	return ret == EL_OK && out[0];
}

static int found_push(struct found_list *fl, const char *soname, const char *host, json_t *entry)
{
	struct found *f;

	if (fl->n == fl->cap) {
		size_t cap = fl->cap ? fl->cap * 2 : 16;
		struct found *v = realloc(fl->v, cap * sizeof(*v));

		if (!v)
			return el__error_oom();
		fl->v = v;
		fl->cap = cap;
	}
	f = &fl->v[fl->n];
	f->soname = strdup(soname);
	f->host = strdup(host);
	f->entry = entry;
	if (!f->soname || !f->host) {
		free(f->soname);
		free(f->host);
		return el__error_oom();
	}
	fl->n++;
	return EL_OK;
}

static void found_free(struct found_list *fl)
{
	for (size_t i = 0; i < fl->n; i++) {
		free(fl->v[i].soname);
		free(fl->v[i].host);
	}
	free(fl->v);
}

/* Add soname's path and version to section, and remember it for hashing. */
static int describe(el__probe_ctx *ctx, const struct wanted *w, const char *soname,
		    json_t *section, struct found_list *fl)
{
	char version[128] = "";
	el__buf path, host;
	json_t *entry;
	int ret;

	el__buf_init(&path);
	el__buf_init(&host);
	ret = el__probe_find_library(ctx, soname, &path);
	if (ret == EL_ENOTFOUND) {
		ret = EL_OK;
		goto done;
	}
	if (ret != EL_OK)
		goto done;
	el__root_path(&host, ctx->root, path.data);
	if (!el__utf8_valid(soname, strlen(soname)) || !el__utf8_valid(path.data, path.len)) {
		el__warn(ctx, "libraries", "a library whose name or path is not UTF-8 is left out");
		goto done;
	}
	entry = json_pack("{s:s}", "path", path.data);
	if (!entry || el__buf_failed(&host) || json_object_set_new(section, soname, entry) != 0) {
		ret = el__error_oom();
		goto done;
	}
	if (find_version(ctx, w, soname, path.data, version, sizeof(version)) &&
	    el__json_set_text(entry, "version", version) == EL_ENOMEM) {
		ret = el__error_oom();
		goto done;
	}
	ret = found_push(fl, soname, host.data, entry);
done:
	el__buf_free(&path);
	el__buf_free(&host);
	return ret;
}

static int describe_wanted(el__probe_ctx *ctx, const struct wanted *w, json_t *section, struct found_list *fl)
{
	char **names;
	int ret;

	if (!w->prefix)
		return describe(ctx, w, w->name, section, fl);
	ret = el__probe_list_libraries(ctx, w->name, &names);
	for (size_t i = 0; ret == EL_OK && names[i]; i++)
		ret = describe(ctx, w, names[i], section, fl);
	el__strv_free(names);
	return ret;
}

static void set_sha256(json_t *entry, const char *hex)
{
	json_object_set_new(entry, "sha256", json_string(hex));
}

/*
 * Hashes come from the stat cache while a file's identity holds: cuBLASLt
 * alone is half a gigabyte, and a warm capture must cost a stat per
 * library. The misses are hashed in parallel.
 */
static int hash_found(el__probe_ctx *ctx, struct found_list *fl)
{
	el__hash_job *jobs = calloc(fl->n ? fl->n : 1, sizeof(*jobs));
	size_t *owner = calloc(fl->n ? fl->n : 1, sizeof(*owner));
	size_t n = 0;
	int ret = EL_OK;

	if (!jobs || !owner) {
		ret = el__error_oom();
		goto done;
	}
	for (size_t i = 0; i < fl->n; i++) {
		struct stat st;
		json_t *hit = NULL;

		if (stat(fl->v[i].host, &st) == 0)
			hit = el__cache_get(ctx->cache, "sha256", fl->v[i].host, &st);
		if (json_is_string(hit)) {
			set_sha256(fl->v[i].entry, json_string_value(hit));
			continue;
		}
		jobs[n].path = fl->v[i].host;
		owner[n++] = i;
	}
	if (n)
		el__sha256_files(jobs, n, 0);
	for (size_t j = 0; ret == EL_OK && j < n; j++) {
		const struct found *f = &fl->v[owner[j]];

		if (jobs[j].rc != EL_OK) {
			el__warn(ctx, "libraries", "%s: sha256 left out: %s", f->soname, jobs[j].error);
			continue;
		}
		set_sha256(f->entry, jobs[j].hex);
		el__cache_put(ctx->cache, "sha256", f->host, &jobs[j].st, json_string(jobs[j].hex));
	}
done:
	free(jobs);
	free(owner);
	return ret;
}

/* As many as a run's report may hold (EL_SANDBOX_OBSERVED_MAX): a lock cannot ask for more. */
#define OBSERVED_FROM_LOCK_MAX 10000

/*
 * Whether a path the lock being checked names as observed may be hashed
 * here. A lock is anyone's to write: it names a shared object (an ELF
 * file, read without following a final link), and, when envlock runs as
 * root, one any user could read, so that no digest of a root-only file
 * (/etc/shadow) ever reaches a report. What is not hashed reads as gone.
 */
static bool lock_path_hashable(const el__probe_ctx *ctx, const char *path)
{
	char magic[4];
	el__buf host;
	int fd;
	bool ok;

	if (path[0] != '/')
		return false;
	el__buf_init(&host);
	el__root_path(&host, ctx->root, path);
	ok = !el__buf_failed(&host) && (geteuid() != 0 || !el__ctx_is_host(ctx) || el__path_public(host.data));
	fd = ok ? open(host.data, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY) : -1;
	ok = fd >= 0 && pread(fd, magic, 4, 0) == 4 && memcmp(magic, "\177ELF", 4) == 0;
	if (fd >= 0)
		close(fd);
	el__buf_free(&host);
	return ok;
}

/*
 * What a run loaded (capture --observe), and what the lock being checked
 * says a run loaded: hashed here, now, from this machine's files.
 */
static int observed_paths(el__probe_ctx *ctx, char ***out, size_t *count)
{
	const json_t *old = ctx->checking ? json_object_get(el__lock_doc(ctx->checking), "libraries") : NULL;
	size_t n = 0, cap = ctx->observed_count + json_object_size(old) + 1, kept = 0;
	char **paths = calloc(cap, sizeof(*paths));
	const char *key;
	json_t *entry;

	*out = NULL;
	*count = 0;
	if (!paths)
		return el__error_oom();
	for (size_t i = 0; i < ctx->observed_count; i++)
		paths[n++] = (char *)(uintptr_t)ctx->observed[i];
	json_object_foreach((json_t *)(uintptr_t)old, key, entry)
		if (json_is_true(json_object_get(entry, "observed")) && json_is_string(json_object_get(entry, "path")) &&
		    n < ctx->observed_count + OBSERVED_FROM_LOCK_MAX &&
		    lock_path_hashable(ctx, json_string_value(json_object_get(entry, "path"))))
			paths[n++] = (char *)(uintptr_t)json_string_value(json_object_get(entry, "path"));
	qsort(paths, n, sizeof(*paths), el__strcmp_ptr);
	for (size_t i = 0; i < n; i++)
		if (paths[i][0] == '/' && (!kept || strcmp(paths[kept - 1], paths[i]) != 0))
			paths[kept++] = paths[i];
	*out = paths;
	*count = kept;
	return EL_OK;
}

/* The library entries by the real file each describes (links resolved), to find one by its file. */
struct known {
	char **real;
	json_t **entry;
	size_t n;
};

static int known_add(struct known *k, char *real, json_t *entry)
{
	k->real[k->n] = real;
	k->entry[k->n++] = entry;
	return EL_OK;
}

static int known_init(struct known *k, el__probe_ctx *ctx, json_t *libs, size_t more)
{
	const char *key;
	json_t *entry;

	k->n = 0;
	k->real = calloc(json_object_size(libs) + more + 1, sizeof(*k->real));
	k->entry = calloc(json_object_size(libs) + more + 1, sizeof(*k->entry));
	if (!k->real || !k->entry)
		return el__error_oom();
	json_object_foreach(libs, key, entry) {
		const json_t *path = json_object_get(entry, "path");
		char *host, *real;

		if (!json_is_string(path))
			continue;
		if (asprintf(&host, "%s%s", ctx->root, json_string_value(path)) < 0)
			return el__error_oom();
		real = realpath(host, NULL);
		free(host);
		if (real)
			known_add(k, real, entry);
	}
	return EL_OK;
}

static json_t *known_find(const struct known *k, const char *real)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->real[i], real) == 0)
			return k->entry[i];
	return NULL;
}

static void known_free(struct known *k)
{
	for (size_t i = 0; k->real && i < k->n; i++)
		free(k->real[i]);
	free(k->real);
	free(k->entry);
}

/*
 * Marks a file an entry already describes; otherwise a new entry, added
 * in path order once every digest is known, so that which of two files
 * of one name gets the name never depends on the cache.
 */
static int add_observed(el__probe_ctx *ctx, json_t *libs)
{
	char **paths = NULL, **reals = NULL, (*hex)[EL_SHA256_HEX] = NULL;
	size_t count = 0, n = 0, *owner = NULL;
	el__hash_job *jobs = NULL;
	struct known known = { 0 };
	int ret = observed_paths(ctx, &paths, &count);

	if (ret != EL_OK || count == 0)
		goto done;
	ret = known_init(&known, ctx, libs, count);
	jobs = calloc(count, sizeof(*jobs));
	reals = calloc(count, sizeof(*reals));
	hex = calloc(count, sizeof(*hex));
	owner = calloc(count, sizeof(*owner));
	if (ret == EL_OK && (!jobs || !reals || !hex || !owner))
		ret = el__error_oom();
	for (size_t i = 0; ret == EL_OK && i < count; i++) {
		char *host = NULL;
		struct stat st;
		json_t *hit, *entry = NULL;

		if (asprintf(&host, "%s%s", ctx->root, paths[i]) < 0) {
			ret = el__error_oom();
			break;
		}
		reals[i] = realpath(host, NULL);
		free(host);
		/* Gone (or not a file): left out, which a check reports as removed. */
		if (!reals[i] || stat(reals[i], &st) != 0 || !S_ISREG(st.st_mode) || (entry = known_find(&known, reals[i]))) {
			if (entry && json_object_set_new(entry, "observed", json_true()) != 0)
				ret = el__error_oom();
			free(reals[i]);
			reals[i] = NULL;
			continue;
		}
		hit = el__cache_get(ctx->cache, "sha256", reals[i], &st);
		if (json_is_string(hit)) {
			snprintf(hex[i], sizeof(hex[i]), "%s", json_string_value(hit));
			continue;
		}
		jobs[n].path = reals[i];
		owner[n++] = i;
	}
	if (ret == EL_OK && n)
		el__sha256_files(jobs, n, 0);
	for (size_t j = 0; ret == EL_OK && j < n; j++) {
		if (jobs[j].rc != EL_OK) {
			el__warn(ctx, "libraries", "%s: left out: %s", paths[owner[j]], jobs[j].error);
			continue;
		}
		memcpy(hex[owner[j]], jobs[j].hex, EL_SHA256_HEX);
		el__cache_put(ctx->cache, "sha256", jobs[j].path, &jobs[j].st, json_string(jobs[j].hex));
	}
	for (size_t i = 0; ret == EL_OK && i < count; i++) {
		const char *name = strrchr(paths[i], '/') + 1;
		json_t *entry;

		if (!reals[i] || !hex[i][0])
			continue;
		/* Two names of one file: the first one's entry. */
		if ((entry = known_find(&known, reals[i]))) {
			if (json_object_set_new(entry, "observed", json_true()) != 0)
				ret = el__error_oom();
			continue;
		}
		entry = json_pack("{s:s,s:s,s:b}", "path", paths[i], "sha256", hex[i], "observed", 1);
		if (!entry || json_object_set_new(libs, json_object_get(libs, name) ? paths[i] : name, entry) != 0) {
			ret = el__error_oom();
			break;
		}
		/* The entry's real file is the known list's from here (reals[i] moves there). */
		known_add(&known, reals[i], entry);
		reals[i] = NULL;
	}
done:
	known_free(&known);
	for (size_t i = 0; reals && i < count; i++)
		free(reals[i]);
	free(reals);
	free(hex);
	free(owner);
	free(jobs);
	free(paths);
	return ret;
}

int el__probe_libraries(el__probe_ctx *ctx, json_t **section)
{
	struct found_list fl = { 0 };
	json_t *libs = json_object();
	int ret = libs ? EL_OK : el__error_oom();

	*section = NULL;
	for (size_t i = 0; ret == EL_OK && i < sizeof(wanted) / sizeof(wanted[0]); i++)
		ret = describe_wanted(ctx, &wanted[i], libs, &fl);
	if (ret == EL_OK)
		ret = hash_found(ctx, &fl);
	if (ret == EL_OK)
		ret = add_observed(ctx, libs);
	if (ret == EL_OK && json_object_size(libs) == 0)
		ret = EL__PROBE_ABSENT;
	found_free(&fl);
	if (ret != EL_OK) {
		json_decref(libs);
		return ret;
	}
	*section = libs;
	return EL_OK;
}
