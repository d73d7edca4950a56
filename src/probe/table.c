/* SPDX-License-Identifier: Apache-2.0 */
#include "probe/probe.h"

/*
 * Every section of the lock that is probed, in the order they run. "data"
 * is filled from --data paths rather than probed, and "meta" and
 * "fingerprint" by the capture runner itself. "threads" is a number, not
 * an object, and comes before "env", which pins it. "code" goes into meta.
 * Replayable: the sections a state record may stand for, those that read
 * nothing but files and variables (host and cpu read /proc and sysfs, gpu
 * the driver's /proc files and NVML, threads the CPUs this process may
 * use; code is the checkout's own state, in meta).
 */
const el__probe el__probes[] = {
	{ "host", el__probe_host, false, false },
	{ "cpu", el__probe_cpu, false, false },
	{ "toolchain", el__probe_toolchain, false, true },
	{ "libraries", el__probe_libraries, false, true },
	{ "python", el__probe_python, false, true },
	{ "frameworks", el__probe_frameworks, false, true },
	{ "gpu", el__probe_gpu, false, false },
	{ "threads", el__probe_threads, false, false },
	{ "env", el__probe_env, false, false },
	{ "code", el__probe_code, true, false },
};

const unsigned el__probe_count = sizeof(el__probes) / sizeof(el__probes[0]);
