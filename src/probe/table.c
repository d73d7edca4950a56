#include "probe/probe.h"

/*
 * Every section of the lock that is probed, in the order they run. "data"
 * is filled from --data paths rather than probed, and "meta" and
 * "fingerprint" by the capture runner itself. "threads" is a number, not
 * an object, and comes before "env", which pins it.
 */
const el__probe el__probes[] = {
	{ "host", el__probe_host },
	{ "cpu", el__probe_cpu },
	{ "toolchain", el__probe_toolchain },
	{ "libraries", el__probe_libraries },
	{ "python", el__probe_python },
	{ "gpu", el__probe_gpu },
	{ "threads", el__probe_threads },
	{ "env", el__probe_env },
	{ "code", el__probe_code },
};

const unsigned el__probe_count = sizeof(el__probes) / sizeof(el__probes[0]);
