/* SPDX-License-Identifier: Apache-2.0 */
#include "probe/gpu/nvml.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "probe/libraries/dlversion.h"
#include "util/error.h"
#include "util/text.h"
#include "util/fs.h"
#include "util/sha256.h"

/* NVML's own buffer sizes (the _V2 ones where there are two). */
#define NAME_SIZE 96   /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */
#define UUID_SIZE 96   /* NVML_DEVICE_UUID_V2_BUFFER_SIZE */
#define DRIVER_SIZE 80 /* NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE */
#define MAX_DEVICES 64
#define NVML_TIMEOUT_MS (3 * EL_DL_TIMEOUT_MS) /* init wakes every GPU without persistence mode */
#define PROC_FILE_MAX (64 * 1024)
#define CACHE_KIND "gpu-devices"

/* The entry points used, in the order they are called. */
enum call { CALL_INIT, CALL_SHUTDOWN, CALL_DRIVER, CALL_COUNT, CALL_HANDLE, CALL_NAME, CALL_CC, CALL_MEMORY,
	    CALL_UUID, CALL_N };

static const char *const call_names[CALL_N] = {
	"nvmlInit_v2", "nvmlShutdown", "nvmlSystemGetDriverVersion", "nvmlDeviceGetCount_v2",
	"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetName", "nvmlDeviceGetCudaComputeCapability",
	"nvmlDeviceGetMemoryInfo", "nvmlDeviceGetUUID",
};

/* Declared here: nothing from CUDA is needed at build time. nvmlReturn_t is an int enum, 0 success. */
typedef struct nvml_device_st *nvml_device;                       /* nvmlDevice_t */
typedef struct nvml_memory {
	unsigned long long total, free, used;                      /* nvmlMemory_t, bytes */
} nvml_memory;

struct nvml_api {
	int (*init)(void);
	int (*shutdown)(void);
	int (*driver)(char *, unsigned int);
	int (*count)(unsigned int *);
	int (*handle)(unsigned int, nvml_device *);
	int (*name)(nvml_device, char *, unsigned int);
	int (*cc)(nvml_device, int *, int *);
	int (*memory)(nvml_device, nvml_memory *);
	int (*uuid)(nvml_device, char *, unsigned int);
};

/* What the child sends back: raw structs, read by the same binary. */
enum { HAVE_NAME = 1, HAVE_CC = 2, HAVE_MEMORY = 4, HAVE_UUID = 8 };

struct record {
	unsigned have;
	int failed_call; /* the first call that failed for this device, or -1 */
	int code;
	int cc_major, cc_minor;
	unsigned long long memory_total;
	char name[NAME_SIZE];
	char uuid[UUID_SIZE];
};

struct report {
	int failed_call; /* a call without which there is no answer, or -1 */
	int code;        /* its return; MISSING when the symbol is absent */
	int driver_code;
	unsigned count;
	char driver[DRIVER_SIZE];
	struct record devices[MAX_DEVICES];
};

#define MISSING (-1)

/* The child side, from here to ask(). */

static bool resolve(void *lib, struct nvml_api *api, struct report *r)
{
	void **slots[CALL_N] = {
		(void **)&api->init, (void **)&api->shutdown, (void **)&api->driver, (void **)&api->count,
		(void **)&api->handle, (void **)&api->name, (void **)&api->cc, (void **)&api->memory,
		(void **)&api->uuid,
	};

	for (int i = 0; i < CALL_N; i++) {
		*slots[i] = dlsym(lib, call_names[i]);
		if (!*slots[i]) {
			r->failed_call = i;
			r->code = MISSING;
			return false;
		}
	}
	return true;
}

static void failed(struct record *d, int call, int code)
{
	if (d->failed_call < 0) {
		d->failed_call = call;
		d->code = code;
	}
}

static void ask_device(const struct nvml_api *api, unsigned index, struct record *d)
{
	nvml_device dev;
	nvml_memory mem;
	int rc;

	d->failed_call = -1;
	rc = api->handle(index, &dev);
	if (rc) {
		failed(d, CALL_HANDLE, rc);
		return;
	}
	if (!(rc = api->name(dev, d->name, sizeof(d->name))))
		d->have |= HAVE_NAME;
	else
		failed(d, CALL_NAME, rc);
	if (!(rc = api->cc(dev, &d->cc_major, &d->cc_minor)))
		d->have |= HAVE_CC;
	else
		failed(d, CALL_CC, rc);
	if (!(rc = api->memory(dev, &mem))) {
		d->memory_total = mem.total;
		d->have |= HAVE_MEMORY;
	} else {
		failed(d, CALL_MEMORY, rc);
	}
	if (!(rc = api->uuid(dev, d->uuid, sizeof(d->uuid))))
		d->have |= HAVE_UUID;
	else
		failed(d, CALL_UUID, rc);
	d->name[sizeof(d->name) - 1] = '\0';
	d->uuid[sizeof(d->uuid) - 1] = '\0';
}

static size_t ask(void *lib, void *buf, size_t max, void *arg)
{
	struct report *r = buf;
	struct nvml_api api;
	unsigned count = 0;
	int rc;

	r->failed_call = -1;
	if (!resolve(lib, &api, r))
		return sizeof(*r);
	if ((rc = api.init()) != 0) {
		r->failed_call = CALL_INIT;
		r->code = rc;
		return sizeof(*r);
	}
	r->driver_code = api.driver(r->driver, sizeof(r->driver));
	r->driver[sizeof(r->driver) - 1] = '\0';
	if ((rc = api.count(&count)) != 0) {
		r->failed_call = CALL_COUNT;
		r->code = rc;
	}
	r->count = count < MAX_DEVICES ? count : MAX_DEVICES;
	for (unsigned i = 0; i < r->count; i++)
		ask_device(&api, i, &r->devices[i]);
	api.shutdown();
	return sizeof(*r);
}

/* The parent side. */

static const char *nvml_error_name(int code)
{
	switch (code) {
	case 3:
		return "not supported";
	case 4:
		return "no permission";
	case 9:
		return "driver not loaded";
	case 12:
		return "library not found";
	case 15:
		return "GPU is lost";
	case 17:
		return "operating system error";
	case 18:
		return "driver/library version mismatch";
	default:
		return NULL;
	}
}

/* "nvmlInit_v2 failed (error 9: driver not loaded)" into b. */
static void describe_failure(el__buf *b, int call, int code)
{
	const char *what = nvml_error_name(code);

	if (code == MISSING)
		el__buf_printf(b, "no %s", call_names[call]);
	else if (what)
		el__buf_printf(b, "%s failed (error %d: %s)", call_names[call], code, what);
	else
		el__buf_printf(b, "%s failed (error %d)", call_names[call], code);
}

static json_t *device_json(el__probe_ctx *ctx, unsigned index, const struct record *d, bool *complete)
{
	json_t *dev = json_object();
	char cc[32];

	if (!dev)
		return NULL;
	if ((d->have & HAVE_NAME) && d->name[0] && el__json_set_text(dev, "name", d->name) == EL_EINVAL)
		el__warn(ctx, "gpu", "device %u: name left out: not UTF-8", index);
	if (d->have & HAVE_CC) {
		snprintf(cc, sizeof(cc), "%d.%d", d->cc_major, d->cc_minor);
		json_object_set_new(dev, "compute_capability", json_string(cc));
	}
	if (d->have & HAVE_MEMORY)
		json_object_set_new(dev, "memory_mib", json_integer((json_int_t)(d->memory_total / 1048576)));
	if (d->failed_call >= 0) {
		el__buf why;

		el__buf_init(&why);
		describe_failure(&why, d->failed_call, d->code);
		el__warn(ctx, "gpu", "device %u: %s", index, why.data);
		el__buf_free(&why);
		*complete = false;
	}
	return dev;
}

static json_t *report_json(el__probe_ctx *ctx, const struct report *r, bool *complete)
{
	json_t *out = json_object(), *devices = json_array(), *uuids = json_array();

	if (!out || !devices || !uuids)
		goto fail;
	for (unsigned i = 0; i < r->count; i++) {
		const struct record *d = &r->devices[i];
		json_t *dev = device_json(ctx, i, d, complete);
		json_t *uuid = (d->have & HAVE_UUID) && d->uuid[0] ? json_string(d->uuid) : NULL;

		if (!dev || json_array_append_new(devices, dev) != 0)
			goto fail;
		/* null keeps the UUIDs aligned with the devices by index. */
		if (json_array_append_new(uuids, uuid ? uuid : json_null()) != 0)
			goto fail;
	}
	if (r->driver_code == 0 && r->driver[0])
		json_object_set_new(out, "driver", json_string(r->driver));
	json_object_set_new(out, "devices", devices);
	json_object_set_new(out, "uuids", uuids);
	return out;
fail:
	json_decref(out);
	json_decref(devices);
	json_decref(uuids);
	return NULL;
}

/* Length-prefixed content of a file under root, or a mark that it is absent. */
static void add_file(el__buf *in, el__buf *scratch, const char *root, const char *abs)
{
	el__buf host;

	el__buf_init(&host);
	el__root_path(&host, root, abs);
	if (el__read_file(scratch, host.data, PROC_FILE_MAX, false) == EL_OK)
		el__buf_printf(in, "%s %zu\n", abs, scratch->len);
	else
		el__buf_printf(in, "%s absent\n", abs);
	el__buf_add(in, scratch->data, scratch->len);
	el__buf_reset(scratch);
	el__buf_free(&host);
}

static int skip_dots(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/*
 * What the answer depends on besides the library: the loaded driver and the
 * GPUs it found, both described by its files in /proc. Reading them is
 * cheap; starting NVML is not.
 */
static int driver_digest(el__probe_ctx *ctx, const char *lib, char hex[EL_SHA256_HEX])
{
	el__buf in, scratch, dir, abs;
	struct dirent **names = NULL;
	int n, ret;

	el__buf_init(&in);
	el__buf_init(&scratch);
	el__buf_init(&dir);
	el__buf_init(&abs);
	el__buf_printf(&in, "%s\n", lib);
	add_file(&in, &scratch, ctx->root, "/proc/driver/nvidia/version");
	el__root_path(&dir, ctx->root, "/proc/driver/nvidia/gpus");
	n = scandir(dir.data, &names, skip_dots, alphasort);
	for (int i = 0; i < n; i++) {
		el__buf_reset(&abs);
		el__buf_printf(&abs, "/proc/driver/nvidia/gpus/%s/information", names[i]->d_name);
		add_file(&in, &scratch, ctx->root, abs.data);
		free(names[i]);
	}
	free(names);
	if (el__buf_failed(&in) || el__buf_failed(&abs))
		ret = el__error_oom();
	else
		ret = el__sha256_hex(hex, in.data, in.len);
	el__buf_free(&in);
	el__buf_free(&scratch);
	el__buf_free(&dir);
	el__buf_free(&abs);
	return ret;
}

bool el__nvml_driver_loaded(el__probe_ctx *ctx)
{
	el__buf dir;
	struct stat st;
	bool loaded;

	el__buf_init(&dir);
	el__root_path(&dir, ctx->root, "/proc/driver/nvidia");
	loaded = stat(dir.data, &st) == 0;
	el__buf_free(&dir);
	return loaded;
}

static int ask_nvml(el__probe_ctx *ctx, const char *host, json_t **out, bool *complete)
{
	const char *name = el__basename(host);
	struct report r;
	el__buf said, why;
	int ret;

	el__buf_init(&said);
	el__buf_init(&why);
	ret = el__dl_run(&said, host, "device query", ask, NULL, sizeof(r), NVML_TIMEOUT_MS, NULL);
	if (ret == EL_OK && said.len != sizeof(r))
		ret = el__error(EL_ERROR, "%s: device query gave a truncated answer", name);
	if (ret != EL_OK)
		goto done;
	memcpy(&r, said.data, sizeof(r));
	if (r.failed_call >= 0 && r.failed_call < CALL_N) {
		describe_failure(&why, r.failed_call, r.code);
		ret = el__error(r.code == MISSING ? EL_ENOTFOUND : EL_ERROR, "%s: %s", name, why.data);
		goto done;
	}
	*out = report_json(ctx, &r, complete);
	if (!*out)
		ret = el__error_oom();
done:
	el__buf_free(&said);
	el__buf_free(&why);
	return ret;
}

int el__nvml_query(el__probe_ctx *ctx, const char *path, json_t **out)
{
	char key[EL_SHA256_HEX];
	bool complete = true;
	struct stat st;
	el__buf host;
	json_t *hit;
	int ret;

	*out = NULL;
	el__buf_init(&host);
	el__root_path(&host, ctx->root, path);
	if (stat(host.data, &st) != 0) {
		ret = el__error_errno(errno == ENOENT || errno == ENOTDIR ? EL_ENOTFOUND : EL_ERROR, "%s", path);
		goto done;
	}
	if ((ret = driver_digest(ctx, host.data, key)) != EL_OK)
		goto done;
	/* The library's identity goes in as st, so the cache's racy-clean rule applies to it. */
	hit = el__cache_get(ctx->cache, CACHE_KIND, key, &st);
	if (json_is_string(json_object_get(hit, "error"))) {
		ret = el__error(EL_ERROR, "%s", json_string_value(json_object_get(hit, "error")));
		goto done;
	}
	if (json_is_array(json_object_get(hit, "devices"))) {
		*out = json_deep_copy(hit);
		ret = *out ? EL_OK : el__error_oom();
		goto done;
	}
	if (!ctx->may_run) {
		ret = el__error(EL_ENOTFOUND, "%s: not loaded: the probed tree is not trusted", path);
		goto done;
	}
	ret = ask_nvml(ctx, host.data, out, &complete);
	if (ret == EL_OK && complete)
		el__cache_put(ctx->cache, CACHE_KIND, key, &st, json_deep_copy(*out));
	/*
	 * Without a driver NVML cannot start, and asking again is pointless
	 * until one is loaded, which changes the digest.
	 */
	else if (ret == EL_ERROR && !el__nvml_driver_loaded(ctx))
		el__cache_put(ctx->cache, CACHE_KIND, key, &st, json_pack("{s:s}", "error", el_error_last()));
done:
	el__buf_free(&host);
	return ret;
}
