/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_PROBE_PROBE_H
#define EL_PROBE_PROBE_H

#include <stdbool.h>

#include <jansson.h>

#include "envlock/capture.h"
#include "util/buf.h"
#include "util/cache.h"
#include "util/error.h"

/*
 * A probe fills one section of the lock. Every probe has the same signature
 * and is listed once in el__probes[] (table.c); the capture runner only walks
 * that table.
 *
 * A probe reads files under ctx->root rather than "/", so unit tests run it
 * on fixture trees. It returns:
 *   EL_OK             *section is a new object (the probe owns nothing after);
 *   EL__PROBE_ABSENT  (util/error.h) the section does not apply here (no GPU
 *                     stack, not a git checkout): not an error, the key stays
 *                     out of the lock;
 *   < 0               a failure; the runner warns with el_error_last() and
 *                     leaves the section out.
 * Problems with a single field are reported with el__warn() and the field is
 * left out, so one unreadable file never costs the whole lock.
 */

struct el__ldcache;
struct el__python;

typedef struct el__probe_ctx {
	const char *root;    /* "" for this machine, else a fixture directory */
	const char *python;  /* interpreter asked for with --python, or NULL */
	const char *workdir; /* the directory being locked: an absolute path inside root */
	el__cache *cache;    /* never NULL (may be memory-only) */
	const char *cache_dir; /* the data digest cache's directory ("" for none), resolved from the options */
	const char *const *env; /* el_capture_options.env: the only environment a probe reads */
	bool may_run;        /* programs and libraries of the tree may be run and loaded */
	el_warn_fn warn;
	void *warn_data;
	json_t *meta; /* volatile facts (device UUIDs...) go here, not in sections */
	const struct el_profile *profile; /* its pins are the env section */
	const el_lock *checking;          /* the lock being checked (see el_capture_options), or NULL */
	const char *const *observed;      /* el_capture_options.observed */
	size_t observed_count;
	unsigned threads;                 /* the count the threads probe chose, for env; 0: none */

	/* Shared between probes, loaded on first use (see the accessors). */
	struct el__ldcache *ldcache;
	int ldcache_rc;
	bool ldcache_tried;
	struct el__python *python_info;
	int python_rc;
	bool python_tried;
} el__probe_ctx;

typedef int (*el__probe_fn)(el__probe_ctx *ctx, json_t **section);

typedef struct el__probe {
	const char *section;
	el__probe_fn run;
	/*
	 * The section describes the run, not the environment: it goes to
	 * meta.<section>, outside the fingerprint (the code's commit: a lock
	 * committed beside the code must not go stale by that commit).
	 */
	bool in_meta;
	/*
	 * What it finds depends only on the files it looks at and the
	 * variables it asks for (no /proc, /sys, program run or library
	 * loaded on a warm capture): a state record may stand for it
	 * (state/capture_state.h). The others run in every capture.
	 */
	bool replayable;
} el__probe;

extern const el__probe el__probes[];
extern const unsigned el__probe_count;

/* Report a field left out of section; the message is one line. */
void el__warn(el__probe_ctx *ctx, const char *section, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The value of name in the capture's environment (el_capture_options.env), or NULL. */
const char *el__probe_getenv(const el__probe_ctx *ctx, const char *name);

/* True when probing this machine itself (root "/"), not a fixture tree. */
bool el__ctx_is_host(const el__probe_ctx *ctx);

/*
 * Find program on $PATH as seen under ctx->root: found gets the host path
 * (root prefix included) of the first executable regular file. Relative
 * PATH entries are ignored: a capture must not depend on the cwd.
 * EL_ENOTFOUND when there is none.
 */
int el__probe_which(el__probe_ctx *ctx, const char *program, el__buf *found);

/* Release what the shared accessors loaded. */
void el__probe_ctx_release(el__probe_ctx *ctx);

/* The probes, in table order. */
int el__probe_host(el__probe_ctx *ctx, json_t **section);

/* cpu.topology from sysfs (cpu_topology.c): a new object, or NULL when sysfs says nothing. */
json_t *el__cpu_topology(const el__probe_ctx *ctx);
int el__probe_cpu(el__probe_ctx *ctx, json_t **section);
int el__probe_toolchain(el__probe_ctx *ctx, json_t **section);
int el__probe_libraries(el__probe_ctx *ctx, json_t **section);
int el__probe_python(el__probe_ctx *ctx, json_t **section);
int el__probe_frameworks(el__probe_ctx *ctx, json_t **section);
int el__probe_gpu(el__probe_ctx *ctx, json_t **section);

/*
 * The version that a header in include_dir (an absolute path inside
 * ctx->root) states for gpu component key ("cuda_runtime", "cudnn", "nccl",
 * "cublas"): cudnn_version.h, nccl.h, cublas_api.h, cuda_runtime_api.h, as
 * the gpu probe reads them, cached by the header's identity. major < 0
 * takes a header of any major. Into out; false when none says it.
 */
bool el__gpu_header_version(el__probe_ctx *ctx, const char *key, const char *include_dir, long major, char *out,
			    size_t outsize);

/* The soname prefix of gpu component key ("cublas": "libcublas.so."), or NULL. */
const char *el__gpu_component_stem(const char *key);

/*
 * The stack a run loads, once every section is probed (capture.c): when the
 * lock's interpreter has a framework (doc's frameworks.torch, .tensorflow
 * or .jax) built for CUDA and the nvidia-* wheels, gpu.cuda_runtime, cudnn,
 * nccl and cublas become the wheels' versions and the system toolkit's move
 * to gpu.system; when its frameworks are all CPU-only, the system's move to
 * gpu.system too (nothing loads them). A CUDA framework without wheels loads
 * the system toolkit, and no framework at all leaves gpu as it is.
 * EL_OK or EL_ENOMEM.
 */
int el__gpu_stack(json_t *doc);
int el__probe_threads(el__probe_ctx *ctx, json_t **section);
int el__probe_env(el__probe_ctx *ctx, json_t **section);
int el__probe_code(el__probe_ctx *ctx, json_t **section);

#endif
