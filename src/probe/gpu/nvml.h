/* SPDX-License-Identifier: Apache-2.0 */
#ifndef EL_PROBE_NVML_H
#define EL_PROBE_NVML_H

#include <stdbool.h>

#include <jansson.h>

#include "probe/probe.h"

/*
 * The GPUs as NVML enumerates them. NVML is asked in a forked child (see
 * el__dl_run): nvmlInit_v2 takes seconds on a large machine and a broken
 * driver can crash it. path is libnvidia-ml's real file under ctx->root,
 * without the root prefix.
 *
 * On success *out is a new object for the caller to json_decref():
 *   "driver"   nvmlSystemGetDriverVersion, when NVML gave one;
 *   "devices"  by index: {"name", "compute_capability" ("9.0"),
 *              "memory_mib"}, a field left out (with a warning) where NVML
 *              could not give it;
 *   "uuids"    the devices' UUIDs in the same order (null where unknown).
 * The answer is cached under a digest of the driver's files in /proc and
 * the library's identity, so a warm capture loads no NVML; an answer with a
 * field missing is not cached.
 *
 * Fails with EL_ERROR (NVML could not start: no driver, a crash, a
 * time-out) or EL_ENOTFOUND (an entry point is missing), with a message
 * naming the call and NVML's error.
 */
int el__nvml_query(el__probe_ctx *ctx, const char *path, json_t **out);

/* True when the kernel driver is loaded under ctx->root (/proc/driver/nvidia exists). */
bool el__nvml_driver_loaded(el__probe_ctx *ctx);

#endif
