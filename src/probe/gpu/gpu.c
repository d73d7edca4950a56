/* SPDX-License-Identifier: Apache-2.0 */
#include "probe/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lock/lock_internal.h"
#include "probe/libraries/dlversion.h"
#include "probe/libraries/ldcache.h"
#include "probe/gpu/nvml.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/text.h"

/*
 * The "gpu" section. Versions come, in order of preference, from what a
 * file already says (/proc/driver/nvidia/version, the real file's name, a
 * header installed with the library), then from the library's own version
 * call in a forked child (dlversion.c). No program is run.
 *
 * cuda_runtime is "M.m", the precision of cudaRuntimeGetVersion
 * (1000*M+10*m), whichever source gives it; the full file version
 * (12.4.127) is in libraries[].version. cudnn, nccl and cublas are "M.m.p".
 */

#define SECTION "gpu"
#define VERSION_MAX 64
#define FILE_MAX (1 << 20)

/* A library as the loader finds it. */
struct found {
	el__buf real; /* its real file under the root, "/usr/lib/.../libcudnn.so.9.1.0" */
	long major;   /* the soname's major version, 9 */
};

static const struct component {
	const char *key;
	const char *stem;      /* soname prefix, "libcudnn.so." */
	int parts;             /* components a versioned file name must carry */
	el__dl_query query;
	const char *header;    /* header base name ("nccl": nccl.h or nccl_v2.h), or NULL */
	const char *header2;   /* another one, or NULL */
	const char *macros[3]; /* the header's major, minor and patch; or one encoded number (CUDART_VERSION) */
} components[] = {
	/* CUDART_VERSION is 1000*M + 10*m, the encoding of cudaRuntimeGetVersion. */
	{ "cuda_runtime", "libcudart.so.", 2, EL_DL_CUDART, "cuda_runtime_api", NULL, { "CUDART_VERSION", NULL, NULL } },
	/* cuDNN 8+ has its version in cudnn_version.h, cuDNN 7 in cudnn.h. */
	{ "cudnn", "libcudnn.so.", 3, EL_DL_CUDNN, "cudnn_version", "cudnn",
	  { "CUDNN_MAJOR", "CUDNN_MINOR", "CUDNN_PATCHLEVEL" } },
	{ "nccl", "libnccl.so.", 3, EL_DL_NCCL, "nccl", NULL, { "NCCL_MAJOR", "NCCL_MINOR", "NCCL_PATCH" } },
	{ "cublas", "libcublas.so.", 3, EL_DL_CUBLAS, "cublas_api", NULL,
	  { "CUBLAS_VER_MAJOR", "CUBLAS_VER_MINOR", "CUBLAS_VER_PATCH" } },
};

/* Versions are digits and dots by the time they get here; anything else is left out. */
static void set_string(json_t *obj, const char *key, const char *value)
{
	el__json_set_text(obj, key, value);
}

/* The loader's location of soname, resolved to its real file (el__probe_find_library resolves it). */
static int find_real(el__probe_ctx *ctx, const char *soname, el__buf *real)
{
	return el__probe_find_library(ctx, soname, real);
}

/*
 * The newest of the libraries whose sonames start with stem, the way a
 * program linked against the newest toolkit would find it. strverscmp: the
 * loader's list is sorted as text, where "libcudart.so.9" comes after .13.
 */
static int find_newest(el__probe_ctx *ctx, const char *stem, struct found *f)
{
	char **names = NULL;
	const char *best = NULL;
	int ret;

	ret = el__probe_list_libraries(ctx, stem, &names);
	if (ret != EL_OK)
		return ret;
	for (char **n = names; *n; n++)
		if (!best || strverscmp(*n, best) > 0)
			best = *n;
	if (!best) {
		ret = el__error(EL_ENOTFOUND, "%s*: not found", stem);
		goto done;
	}
	f->major = strtol(best + strlen(stem), NULL, 10);
	ret = find_real(ctx, best, &f->real);
done:
	el__strv_free(names);
	return ret;
}

/*
 * The version in the real file's name ("libcudnn.so.9.1.0" -> "9.1.0"),
 * cut to parts components. Only a name that is stem, then dot-separated
 * numbers, the first being the soname's major, counts.
 */
static bool version_from_name(const struct found *f, const char *stem, int parts, char *out, size_t outsize)
{
	const char *name = el__basename(f->real.data), *p, *cut = NULL;
	int n = 0;

	if (!el__startswith(name, stem))
		return false;
	p = name + strlen(stem);
	if (strtol(p, NULL, 10) != f->major)
		return false;
	for (;;) {
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
		if (++n == parts)
			cut = p;
		if (*p == '\0')
			break;
		if (*p++ != '.')
			return false;
	}
	if (!cut)
		return false;
	snprintf(out, outsize, "%.*s", (int)(cut - (name + strlen(stem))), name + strlen(stem));
	return true;
}

/* The number in "#define NAME 19" on one line of a header, or -1. */
static long define_on_line(const char *p, const char *name)
{
	size_t len = strlen(name);
	char *end;
	long v;

	p += strspn(p, " \t");
	if (*p != '#')
		return -1;
	p += 1 + strspn(p + 1, " \t");
	if (strncmp(p, "define", 6) != 0 || (p[6] != ' ' && p[6] != '\t'))
		return -1;
	p += 6 + strspn(p + 6, " \t");
	if (strncmp(p, name, len) != 0 || (p[len] != ' ' && p[len] != '\t'))
		return -1;
	p += len + strspn(p + len, " \t");
	if (*p < '0' || *p > '9')
		return -1;
	v = strtol(p, &end, 10);
	/* strchr also finds the NUL: a define on the last line counts. */
	if (v > 100000 || !strchr(" \t\r\n/", *end))
		return -1;
	return v;
}

static long define_value(const char *text, const char *name)
{
	for (const char *line = text; line; line = strchr(line, '\n')) {
		long v;

		if (*line == '\n')
			line++;
		if ((v = define_on_line(line, name)) >= 0)
			return v;
	}
	return -1;
}

/*
 * The values of c's macros in the header at host (-1 where absent). A
 * header can be large (cuda_runtime_api.h is 600 KB): what it says is kept
 * in the stat cache, so a warm capture does not read it again.
 */
static void header_defines(el__probe_ctx *ctx, const struct component *c, const char *host, el__buf *text,
			   long v[3])
{
	struct stat st;
	char kind[64];
	json_t *hit;

	snprintf(kind, sizeof(kind), "header:%s", c->key);
	if (stat(host, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	hit = el__cache_get(ctx->cache, kind, host, &st);
	if (json_is_array(hit) && json_array_size(hit) == 3) {
		for (int i = 0; i < 3; i++)
			v[i] = (long)json_integer_value(json_array_get(hit, (size_t)i));
		return;
	}
	if (el__read_file(text, host, FILE_MAX, false) != EL_OK)
		return;
	for (int i = 0; i < 3 && c->macros[i]; i++)
		v[i] = define_value(text->data, c->macros[i]);
	el__cache_put(ctx->cache, kind, host, &st, json_pack("[III]", (json_int_t)v[0], (json_int_t)v[1], (json_int_t)v[2]));
}

/* The version a header states, if it belongs to major. */
static bool version_from_header(el__probe_ctx *ctx, const char *abs, const struct component *c, long major,
				char *out, size_t outsize)
{
	el__buf resolved, host, text;
	long v[3] = { -1, -1, -1 };

	el__buf_init(&resolved);
	el__buf_init(&host);
	el__buf_init(&text);
	/* Resolved inside the root: /usr/include/cudnn_version.h is an alternatives link. */
	if (el__resolve_in_root(&resolved, ctx->root, abs) == EL_OK) {
		el__root_path(&host, ctx->root, resolved.data);
		header_defines(ctx, c, host.data, &text, v);
	}
	el__buf_free(&resolved);
	el__buf_free(&host);
	el__buf_free(&text);
	if (!c->macros[1]) {
		/* One encoded number: CUDART_VERSION. */
		if (v[0] <= 0 || (major >= 0 && v[0] / 1000 != major))
			return false;
		el__decode_cuda_version((int)v[0], out, outsize);
		return true;
	}
	/* A header of another major is another library's (major < 0: a wheel's own header, any). */
	if (v[0] < 0 || (major >= 0 && v[0] != major) || v[1] < 0 || v[2] < 0)
		return false;
	snprintf(out, outsize, "%ld.%ld.%ld", v[0], v[1], v[2]);
	return true;
}

/* Try base.h and base_vM.h in dir. */
static bool version_in_dir(el__probe_ctx *ctx, const char *dir, const char *base, const struct component *c,
			   long major, char *out, size_t outsize)
{
	el__buf abs;
	bool ok;

	if (!base)
		return false;
	el__buf_init(&abs);
	el__buf_printf(&abs, "%s/%s.h", dir, base);
	ok = version_from_header(ctx, abs.data, c, major, out, outsize);
	if (!ok && major >= 0) {
		el__buf_reset(&abs);
		el__buf_printf(&abs, "%s/%s_v%ld.h", dir, base, major);
		ok = version_from_header(ctx, abs.data, c, major, out, outsize);
	}
	el__buf_free(&abs);
	return ok;
}

/*
 * The multiarch triplet of a distribution library directory ("/usr/lib/
 * x86_64-linux-gnu" -> "x86_64-linux-gnu"), "" for /usr/lib, /lib64...,
 * NULL for any other directory: only a library the distribution installed
 * may be described by the distribution's headers.
 */
static const char *system_triplet(const char *dir)
{
	static const char *const plain[] = { "/lib", "/lib64", "/usr/lib", "/usr/lib64" };
	const char *rest = NULL;

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (strcmp(dir, plain[i]) == 0)
			return "";
		if (!rest && el__startswith(dir, plain[i]) && dir[strlen(plain[i])] == '/')
			rest = dir + strlen(plain[i]) + 1;
	}
	if (rest && !strchr(rest, '/') && strstr(rest, "-linux-"))
		return rest;
	return NULL;
}

/*
 * The headers installed with the library: <libdir>/../include (toolkits,
 * conda, pip wheels), and for a distribution library /usr/include/<triplet>
 * (NVIDIA's Debian packages: cudnn_version_v9.h) and /usr/include.
 */
static bool version_from_headers(el__probe_ctx *ctx, const struct component *c, const struct found *f, char *out,
				 size_t outsize)
{
	el__buf libdir, dir;
	const char *triplet, *slash;
	bool ok = false;

	el__buf_init(&libdir);
	el__buf_init(&dir);
	slash = strrchr(f->real.data, '/');
	el__buf_add(&libdir, f->real.data, slash ? (size_t)(slash - f->real.data) : 0);
	slash = strrchr(libdir.data, '/');
	el__buf_add(&dir, libdir.data, slash ? (size_t)(slash - libdir.data) : 0);
	el__buf_puts(&dir, "/include");
	for (int i = 0; i < 2 && !ok; i++)
		ok = version_in_dir(ctx, dir.data, i ? c->header2 : c->header, c, f->major, out, outsize);
	triplet = system_triplet(libdir.data);
	if (triplet && *triplet && !ok) {
		el__buf_reset(&dir);
		el__buf_printf(&dir, "/usr/include/%s", triplet);
		for (int i = 0; i < 2 && !ok; i++)
			ok = version_in_dir(ctx, dir.data, i ? c->header2 : c->header, c, f->major, out, outsize);
	}
	for (int i = 0; triplet && i < 2 && !ok; i++)
		ok = version_in_dir(ctx, "/usr/include", i ? c->header2 : c->header, c, f->major, out, outsize);
	el__buf_free(&libdir);
	el__buf_free(&dir);
	return ok;
}

bool el__gpu_header_version(el__probe_ctx *ctx, const char *key, const char *include_dir, long major, char *out,
			    size_t outsize)
{
	for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++) {
		const struct component *c = &components[i];

		if (strcmp(c->key, key) != 0)
			continue;
		return version_in_dir(ctx, include_dir, c->header, c, major, out, outsize) ||
		       version_in_dir(ctx, include_dir, c->header2, c, major, out, outsize);
	}
	return false;
}

const char *el__gpu_component_stem(const char *key)
{
	for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++)
		if (strcmp(components[i].key, key) == 0)
			return components[i].stem;
	return NULL;
}

static void warn_unless_absent(el__probe_ctx *ctx, int ret)
{
	if (ret != EL_OK && ret != EL_ENOTFOUND)
		el__warn(ctx, SECTION, "%s", el_error_last());
}

static void probe_component(el__probe_ctx *ctx, const struct component *c, json_t *gpu)
{
	char version[VERSION_MAX];
	struct found f;
	int ret;

	el__buf_init(&f.real);
	ret = find_newest(ctx, c->stem, &f);
	if (ret != EL_OK) {
		warn_unless_absent(ctx, ret);
		goto done;
	}
	if (version_from_name(&f, c->stem, c->parts, version, sizeof(version)) ||
	    (c->header && version_from_headers(ctx, c, &f, version, sizeof(version))))
		ret = EL_OK;
	else
		ret = el__dl_version(ctx, f.real.data, c->query, version, sizeof(version));
	if (ret == EL_OK)
		set_string(gpu, c->key, version);
	else
		el__warn(ctx, SECTION, "%s", el_error_last());
done:
	el__buf_free(&f.real);
}

/* cuDriverGetVersion answers without a GPU: it is libcuda's own CUDA version. */
static void probe_cuda_driver(el__probe_ctx *ctx, json_t *gpu)
{
	char version[VERSION_MAX];
	el__buf real;
	int ret;

	el__buf_init(&real);
	ret = find_real(ctx, "libcuda.so.1", &real);
	if (ret != EL_OK) {
		warn_unless_absent(ctx, ret);
		goto done;
	}
	if (el__dl_version(ctx, real.data, EL_DL_CUDA_DRIVER, version, sizeof(version)) == EL_OK)
		set_string(gpu, "cuda_driver", version);
	else
		el__warn(ctx, SECTION, "%s", el_error_last());
done:
	el__buf_free(&real);
}

static bool dotted_number(const char *s, size_t len)
{
	bool dot = false;

	if (len == 0 || s[0] < '0' || s[0] > '9' || s[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.')
			dot = true;
		else if (s[i] < '0' || s[i] > '9')
			return false;
	}
	return dot;
}

/*
 * The driver version in the first line of /proc/driver/nvidia/version: the
 * first dotted number after "Kernel Module", which covers both modules:
 *   NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 ...
 *   NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.15  Release Build ...
 */
static bool parse_nvrm_line(const char *line, size_t len, char *out, size_t outsize)
{
	const char *p = memmem(line, len, "Kernel Module", 13), *end = line + len;

	if (!el__startswith(line, "NVRM version:") || !p)
		return false;
	for (p += 13; p < end;) {
		size_t tok;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		for (tok = 0; p + tok < end && p[tok] != ' ' && p[tok] != '\t'; tok++)
			;
		if (dotted_number(p, tok)) {
			snprintf(out, outsize, "%.*s", (int)tok, p);
			return true;
		}
		p += tok;
	}
	return false;
}

/* The driver as the kernel module states it; a garbled file costs a warning. */
static bool probe_proc_driver(el__probe_ctx *ctx, json_t *gpu)
{
	static const char proc_version[] = "/proc/driver/nvidia/version";
	char version[VERSION_MAX];
	el__buf host, text;
	size_t len;
	bool ok = false;
	int ret;

	el__buf_init(&host);
	el__buf_init(&text);
	el__root_path(&host, ctx->root, proc_version);
	ret = el__read_file(&text, host.data, FILE_MAX, false);
	if (ret != EL_OK) {
		warn_unless_absent(ctx, ret);
		goto done;
	}
	len = strcspn(text.data, "\n");
	ok = parse_nvrm_line(text.data, len, version, sizeof(version));
	if (ok)
		set_string(gpu, "driver", version);
	else
		el__warn(ctx, SECTION, "%s: no driver version in \"%.*s\"", proc_version, (int)(len < 120 ? len : 120),
			 text.data);
done:
	el__buf_free(&host);
	el__buf_free(&text);
	return ok;
}

/* Devices, and the driver when /proc did not tell, from NVML. UUIDs go to meta. */
static void probe_devices(el__probe_ctx *ctx, json_t *gpu, bool want_driver)
{
	json_t *info = NULL, *devices, *uuids, *driver;
	el__buf real;
	int ret;

	el__buf_init(&real);
	ret = find_real(ctx, "libnvidia-ml.so.1", &real);
	if (ret != EL_OK) {
		warn_unless_absent(ctx, ret);
		goto done;
	}
	if (el__nvml_query(ctx, real.data, &info) != EL_OK) {
		/* NVML with no driver is a CUDA image on a machine without a GPU: nothing to report. */
		if (el__nvml_driver_loaded(ctx))
			el__warn(ctx, SECTION, "%s", el_error_last());
		goto done;
	}
	driver = json_object_get(info, "driver");
	if (want_driver && json_is_string(driver))
		json_object_set(gpu, "driver", driver);
	devices = json_object_get(info, "devices");
	if (json_array_size(devices))
		json_object_set(gpu, "devices", devices);
	uuids = json_object_get(info, "uuids");
	if (ctx->meta && json_array_size(uuids))
		json_object_set(ctx->meta, "gpu_uuids", uuids);
done:
	json_decref(info);
	el__buf_free(&real);
}

int el__probe_gpu(el__probe_ctx *ctx, json_t **section)
{
	json_t *gpu = json_object();
	bool have_driver;

	*section = NULL;
	if (!gpu)
		return el__error_oom();
	have_driver = probe_proc_driver(ctx, gpu);
	probe_cuda_driver(ctx, gpu);
	for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++)
		probe_component(ctx, &components[i], gpu);
	probe_devices(ctx, gpu, !have_driver);
	if (json_object_size(gpu) == 0) {
		json_decref(gpu);
		return EL__PROBE_ABSENT;
	}
	*section = gpu;
	return EL_OK;
}

/* ---------------------------------------------------------------- the stack a run loads */

int el__gpu_stack(json_t *doc)
{
	json_t *frameworks = json_object_get(doc, "frameworks"), *nvidia, *gpu, *system;
	bool framework, cuda, wheels;
	int ret = EL_OK;

	el__gpu_stack_kind(frameworks, &framework, &cuda, &wheels);
	if (!framework)
		return EL_OK;
	nvidia = json_object_get(frameworks, "nvidia");
	/* A CUDA framework without wheels loads the system's toolkit: gpu.* stays as it is. */
	if (cuda && !wheels)
		return EL_OK;
	gpu = json_object_get(doc, "gpu");
	if (!gpu && !(cuda && wheels))
		return EL_OK;
	if (!(system = json_object()))
		return el__error_oom();
	if (!gpu && (!(gpu = json_object()) || json_object_set_new(doc, "gpu", gpu)))
		ret = el__error_oom();
	for (const char *const *k = el__gpu_stack_keys; ret == EL_OK && *k; k++) {
		json_t *v = json_object_get(gpu, *k);
		json_t *wheel = json_object_get(json_object_get(nvidia, *k), "version");

		if (v && (json_object_set(system, *k, v) || json_object_del(gpu, *k)))
			ret = el__error_oom();
		else if (cuda && json_is_string(wheel) && json_object_set(gpu, *k, wheel))
			ret = el__error_oom();
	}
	if (ret == EL_OK && json_object_size(system) && json_object_set(gpu, "system", system))
		ret = el__error_oom();
	json_decref(system);
	if (ret == EL_OK && json_object_size(gpu) == 0)
		json_object_del(doc, "gpu");
	return ret;
}
