#include "probe/probe.h"

/*
 * Every section of the lock that is probed, in the order they run. "data"
 * is filled from --data paths rather than probed, and "meta" and
 * "fingerprint" by the capture runner itself. "threads" is a number, not
 * an object, and comes before "env", which pins it. "code" goes into meta.
 */
const el__probe el__probes[] = {
	{ "host", el__probe_host, false },
	{ "cpu", el__probe_cpu, false },
	{ "toolchain", el__probe_toolchain, false },
	{ "libraries", el__probe_libraries, false },
	{ "python", el__probe_python, false },
	{ "frameworks", el__probe_frameworks, false },
	{ "gpu", el__probe_gpu, false },
	{ "threads", el__probe_threads, false },
	{ "env", el__probe_env, false },
	{ "code", el__probe_code, true },
};

const unsigned el__probe_count = sizeof(el__probes) / sizeof(el__probes[0]);
